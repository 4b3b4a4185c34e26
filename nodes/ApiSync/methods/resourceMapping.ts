import type {
	FieldType,
	IDataObject,
	ILoadOptionsFunctions,
	ResourceMapperField,
	ResourceMapperFields,
} from 'n8n-workflow';

import { paginate } from '../../shared/pagination';
import { plainRecords } from '../../shared/recordShape';
import { resolveResource, type ApiPresetName, type PresetName } from '../../shared/resources';
import { createApiClient } from '../../shared/transport';

type KnownField = { id: string; type?: FieldType; required?: boolean; match?: boolean };

/** Fields named in the APIs' docs; other fields are discovered from sample records. */
const DOCUMENTED_FIELDS: Partial<Record<PresetName | ApiPresetName, KnownField[]>> = {
	clients: [
		{ id: 'name', required: true },
		{ id: 'number' },
		{ id: 'email_address' },
		{ id: 'tax_code' },
		{ id: 'street' },
		{ id: 'postal_code' },
		{ id: 'city' },
		{ id: 'country_code' },
		{ id: 'external_client_id', match: true },
	],
	stockitems: [
		{ id: 'code', required: true, match: true },
		{ id: 'description', required: true },
		{ id: 'price', type: 'number' },
	],
	invoices: [
		{ id: 'client_id', type: 'number', required: true },
		{ id: 'date' },
		{ id: 'items', type: 'array' },
	],
	// HubSpot lists only the properties a record has values for (and, without properties=, only a few).
	hubspotContacts: [
		{ id: 'email', match: true },
		{ id: 'firstname' },
		{ id: 'lastname' },
		{ id: 'phone' },
		{ id: 'company' },
		{ id: 'website' },
		{ id: 'city' },
		{ id: 'jobtitle' },
		{ id: 'lifecyclestage' },
	],
	shopifyCustomers: [{ id: 'email', match: true }, { id: 'first_name' }, { id: 'last_name' }, { id: 'phone' }, { id: 'note' }, { id: 'tags' }],
	// Nested parameters as dot paths: metadata.* is whatever keys the account uses (found in the sample).
	stripeCustomers: [
		{ id: 'email' },
		{ id: 'name' },
		{ id: 'phone' },
		{ id: 'description' },
		{ id: 'address.line1' },
		{ id: 'address.postal_code' },
		{ id: 'address.city' },
		{ id: 'address.country' },
	],
};

const SAMPLE_SIZE = 20;

/**
 * Fields that APIs set themselves (timestamps), by the names EenvoudigFactureren and common REST
 * APIs use. They stay in the schema with `display: false`: n8n then neither shows them in the
 * mapping nor offers them under Match On, and Map Automatically leaves them out.
 */
const SERVER_SET_FIELDS = new Set([
	'created',
	'last_modified',
	'last_activity',
	'modified',
	'created_at',
	'updated_at',
	'createdAt',
	'updatedAt',
	'date_created',
	'date_modified',
]);

function typeOf(value: unknown): FieldType {
	if (typeof value === 'number') return 'number';
	if (typeof value === 'boolean') return 'boolean';
	if (Array.isArray(value)) return 'array';
	if (value && typeof value === 'object') return 'object';
	return 'string';
}

function toField({ id, type, required, match }: KnownField, readOnly: ReadonlySet<string> = new Set()): ResourceMapperField {
	const writable = !SERVER_SET_FIELDS.has(id) && !readOnly.has(id);
	return {
		id,
		displayName: id,
		type: type ?? 'string',
		required: required ?? false,
		defaultMatch: match ?? false,
		canBeUsedToMatch: writable,
		display: writable,
	};
}

/**
 * The fields offered by the Sync operation's field mapping: the documented fields of an
 * EenvoudigFactureren resource, plus any field found in a sample of remote records (the only
 * way to learn the fields of a custom API). The id field is left out: it is never written; fields
 * the API sets itself are kept but hidden (see SERVER_SET_FIELDS).
 */
export async function getMappingColumns(this: ILoadOptionsFunctions): Promise<ResourceMapperFields> {
	const resourceName = this.getNodeParameter('remoteResource', 'clients') as PresetName | ApiPresetName | 'custom';
	const resource = resolveResource((name, fallback) => this.getNodeParameter(name, fallback) as unknown);
	const fields = new Map<string, ResourceMapperField>();
	for (const known of resourceName === 'custom' ? [] : (DOCUMENTED_FIELDS[resourceName] ?? [])) {
		fields.set(known.id, toField(known));
	}

	let sampleError: string | undefined;
	try {
		const client = await createApiClient(this, { credentialType: this.getNodeParameter('authentication') as string });
		// The first page is a sample: stop after it (never an error, whatever the API says about more pages).
		const pages = paginate(client, this.getNode(), { method: 'GET', path: resource.path }, {
			...resource.pagination,
			pageSize: Math.min(resource.pagination.pageSize, SAMPLE_SIZE),
		});
		const readOnly = new Set(resource.shape.readOnlyFields);
		for await (const page of pages) {
			// The fields inside an envelope (HubSpot properties, Airtable fields, JSON:API attributes), as Sync compares them.
			const records = plainRecords(page.records.slice(0, SAMPLE_SIZE) as IDataObject[], resource.shape, resource.idField, this.getNode());
			for (const record of records) {
				for (const [id, value] of Object.entries(record)) {
					if (id === resource.idField || fields.has(id)) continue;
					fields.set(id, toField({ id, type: typeOf(value) }, readOnly));
				}
			}
			break;
		}
	} catch (error) {
		sampleError = (error as Error).message;
		// The credential cannot read this resource: say so now rather than offer the documented fields and fail at run time.
		if (['401', '403'].includes(String((error as { httpCode?: unknown }).httpCode))) fields.clear();
	}

	if (fields.size === 0) {
		return {
			fields: [],
			emptyFieldsNotice: sampleError
				? `Could not read sample records to learn the fields: ${sampleError}`
				: 'No records found to learn the fields from. Create one record in the remote system first, or use "Map Automatically".',
		};
	}
	return { fields: [...fields.values()] };
}
