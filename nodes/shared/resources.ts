import type { IDataObject, INodeProperties } from 'n8n-workflow';

import { EENVOUDIGFACTUREREN_PAGINATION, type PaginationSettings, type PaginationStyle } from './pagination';
import { AIRTABLE_BATCH, eenvoudigFactureren, HUBSPOT_BATCH, type BulkShape } from './bulkShape';
import { PLAIN_SHAPE, type BodyEncoding, type RecordShape } from './recordShape';

export interface ResourcePreset {
	/** Path under the base URL. */
	path: string;
	/** Field holding the record's id in responses, e.g. `client_id`. */
	idField: string;
	/** Whether `POST /{path}?bulk` exists (at most 100 records per call). */
	bulk: boolean;
	/**
	 * Default cursor for finding changes: a documented field that grows on every edit or addition
	 * (for documents, the ID: new documents). Undefined when none is documented; changes are then
	 * found by comparing content hashes.
	 */
	cursorField?: string;
}

/** EenvoudigFactureren / SimplyBooks resources (API v1). */
export const PRESETS = {
	clients: { path: '/clients', idField: 'client_id', bulk: true },
	stockitems: { path: '/stockitems', idField: 'stockitem_id', bulk: true, cursorField: 'last_activity' },
	invoices: { path: '/invoices', idField: 'invoice_id', bulk: false, cursorField: 'invoice_id' },
	quotes: { path: '/quotes', idField: 'quote_id', bulk: false, cursorField: 'quote_id' },
	orders: { path: '/orders', idField: 'order_id', bulk: false, cursorField: 'order_id' },
	deliveries: { path: '/deliveries', idField: 'delivery_id', bulk: false, cursorField: 'delivery_id' },
	receipts: { path: '/receipts', idField: 'receipt_id', bulk: false, cursorField: 'receipt_id' },
	subscriptions: { path: '/subscriptions', idField: 'subscription_id', bulk: false, cursorField: 'subscription_id' },
	projects: { path: '/projects', idField: 'project_id', bulk: false, cursorField: 'last_activity' },
} satisfies Record<string, ResourcePreset>;

export type PresetName = keyof typeof PRESETS;

/**
 * Numbered documents: deleting one can leave a gap in its numbering (Belgian invoices must be numbered without
 * gaps), so Sync does not delete its own duplicates of them unless asked (Remove Duplicates of Overlapping Runs).
 */
export const DOCUMENT_PRESETS: ReadonlySet<string> = new Set(['invoices', 'quotes', 'orders', 'deliveries', 'receipts', 'subscriptions']);

export const PRESET_LABELS: Record<PresetName, string> = {
	clients: 'Clients',
	stockitems: 'Stock Items (Products)',
	invoices: 'Invoices',
	quotes: 'Quotes',
	orders: 'Orders',
	deliveries: 'Deliveries',
	receipts: 'Receipts',
	subscriptions: 'Subscriptions',
	projects: 'Projects',
};

/** Everything an operation needs to know about the remote resource it works on. */
export interface ResolvedResource extends ResourcePreset {
	/** How updates are sent: EenvoudigFactureren updates partially with POST /{id}. */
	updateMethod: 'POST' | 'PATCH' | 'PUT';
	pagination: PaginationSettings;
	/** The API understands EenvoudigFactureren's list parameters (`filter=`, `fields=`, `sort=`). */
	efListParameters: boolean;
	/** Where a record keeps its fields, how writes are wrapped and encoded, where one record is (recordShape.ts). */
	shape: RecordShape;
	/** The API's batch endpoint for creates and updates, if it has one (bulkShape.ts). */
	bulkShape?: BulkShape;
	/**
	 * Sync's *Max Requests per Second* when the user has not set it: an API preset's documented limit (with room for
	 * timing jitter); undefined: the option's default, 10.
	 */
	defaultRequestsPerSecond?: number;
}

/**
 * Well-known APIs other than EenvoudigFactureren, as data: paging, record shape and update method from their
 * public documentation. The credential's Base URL is the API's root (see each `baseUrl`).
 */
export interface ApiPreset {
	label: string;
	/** The API root the credential's Base URL should hold, for descriptions and the README. */
	baseUrl: string;
	/** Collection path; empty when the user gives it (Airtable: /{base ID}/{table}). */
	path: string;
	idField: string;
	updateMethod: ResolvedResource['updateMethod'];
	pagination: Partial<PaginationSettings>;
	shape: Partial<RecordShape>;
	bulkShape?: BulkShape;
	/** Sync's default *Max Requests per Second* for this API: under its documented rate limit. */
	maxRequestsPerSecond: number;
}

export const API_PRESETS = {
	airtableRecords: {
		label: 'Airtable: Records',
		baseUrl: 'https://api.airtable.com/v0',
		// The user's: /{base ID}/{table name or ID}.
		path: '',
		idField: 'id',
		updateMethod: 'PATCH',
		pagination: { style: 'cursor', cursorPath: 'offset', cursorParam: 'offset', pageSizeParam: 'pageSize', pageSize: 100, recordsPath: 'records' },
		shape: { fieldsPath: 'fields', writeKey: 'fields' },
		bulkShape: AIRTABLE_BATCH,
		// Airtable: 5 requests per second per base, then a 429 and 30 s before any request succeeds again.
		maxRequestsPerSecond: 4,
	},
	hubspotContacts: {
		label: 'HubSpot: Contacts',
		baseUrl: 'https://api.hubapi.com',
		path: '/crm/v3/objects/contacts',
		idField: 'id',
		updateMethod: 'PATCH',
		pagination: { style: 'cursor', cursorPath: 'paging.next.after', cursorParam: 'after', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'results' },
		shape: {
			fieldsPath: 'properties',
			writeKey: 'properties',
			// Without properties= HubSpot returns only its default properties.
			fieldsParam: 'properties',
			readOnlyFields: ['hs_object_id', 'createdate', 'lastmodifieddate'],
		},
		bulkShape: HUBSPOT_BATCH,
		// HubSpot private apps: 100 requests per 10 seconds (Free and Starter; 190 on Professional and Enterprise).
		maxRequestsPerSecond: 9,
	},
	shopifyCustomers: {
		label: 'Shopify: Customers',
		baseUrl: 'https://{shop}.myshopify.com/admin/api/2025-01',
		path: '/customers.json',
		idField: 'id',
		// Shopify's PUT changes only the attributes sent.
		updateMethod: 'PUT',
		pagination: { style: 'linkHeader', pageSizeParam: 'limit', pageSize: 250, recordsPath: 'customers' },
		shape: {
			writeKey: 'customer',
			recordPath: '/customers/{id}.json',
			readOnlyFields: ['created_at', 'updated_at', 'orders_count', 'total_spent', 'admin_graphql_api_id', 'last_order_id', 'last_order_name', 'currency'],
		},
		// Shopify REST Admin: a bucket of 40 requests that empties at 2 per second (standard plans).
		maxRequestsPerSecond: 2,
	},
	stripeCustomers: {
		label: 'Stripe: Customers',
		baseUrl: 'https://api.stripe.com',
		path: '/v1/customers',
		idField: 'id',
		// Stripe updates with POST /v1/customers/{id}, changing only the parameters sent.
		updateMethod: 'POST',
		pagination: { style: 'lastId', cursorParam: 'starting_after', hasMorePath: 'has_more', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'data' },
		shape: {
			encoding: 'form',
			// metadata.plan, address.city: each its own field, sent as metadata[plan]=…
			nestedFields: true,
			readOnlyFields: ['object', 'created', 'livemode', 'delinquent', 'currency', 'discount', 'default_source', 'test_clock'],
		},
		// Stripe: 100 operations per second in live mode, 25 in test mode.
		maxRequestsPerSecond: 10,
	},
} satisfies Record<string, ApiPreset>;

export type ApiPresetName = keyof typeof API_PRESETS;

export function isApiPreset(name: string): name is ApiPresetName {
	return Object.prototype.hasOwnProperty.call(API_PRESETS, name);
}

/**
 * The chosen resource in words, for a node's subtitle (an n8n expression, without the braces):
 * "Clients", "Stock Items", "Shopify: Customers", or the custom path.
 */
export const RESOURCE_LABEL_EXPRESSION = `(${JSON.stringify({
	...Object.fromEntries(Object.entries(PRESET_LABELS).map(([value, label]) => [value, label.replace(/ \(.*\)$/, '')])),
	...Object.fromEntries(Object.entries(API_PRESETS).map(([value, preset]) => [value, preset.label])),
})}[$parameter["remoteResource"]] ?? $parameter["customPath"])`;

export const resourceProperties: INodeProperties[] = [
	{
		displayName: 'Remote Resource',
		name: 'remoteResource',
		type: 'options',
		// Written out (not mapped from PRESET_LABELS) so n8n's scanner can check the order and the default;
		// test/unit/editorLabels.test.ts keeps the two in step.
		options: [
			{ name: 'Airtable: Records', value: 'airtableRecords' },
			{ name: 'Custom Path (Any JSON REST API)', value: 'custom' },
			{ name: 'EenvoudigFactureren: Clients', value: 'clients' },
			{ name: 'EenvoudigFactureren: Deliveries', value: 'deliveries' },
			{ name: 'EenvoudigFactureren: Invoices', value: 'invoices' },
			{ name: 'EenvoudigFactureren: Orders', value: 'orders' },
			{ name: 'EenvoudigFactureren: Projects', value: 'projects' },
			{ name: 'EenvoudigFactureren: Quotes', value: 'quotes' },
			{ name: 'EenvoudigFactureren: Receipts', value: 'receipts' },
			{ name: 'EenvoudigFactureren: Stock Items (Products)', value: 'stockitems' },
			{ name: 'EenvoudigFactureren: Subscriptions', value: 'subscriptions' },
			{ name: 'HubSpot: Contacts', value: 'hubspotContacts' },
			{ name: 'Shopify: Customers', value: 'shopifyCustomers' },
			{ name: 'Stripe: Customers', value: 'stripeCustomers' },
		],
		default: 'clients',
		description: 'Which records to work on, under the credential’s base URL',
	},
	{
		displayName: 'Path',
		name: 'customPath',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/contacts',
		description: 'Path of the collection under the base URL. A record is at {path}/{ID}.',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'Base and Table',
		name: 'customPath',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/appXXXXXXXXXXXXXX/Customers',
		description:
			'The base ID and the table ID or name, as /{base ID}/{table}, e.g. /appXXXXXXXXXXXXXX/tblXXXXXXXXXXXXXX (a table ID keeps working when the table is renamed). A name is sent percent-encoded. The credential’s Base URL is https://api.airtable.com/v0.',
		displayOptions: { show: { remoteResource: ['airtableRecords'] } },
	},
	{
		displayName: 'ID Field',
		name: 'customIdField',
		type: 'string',
		default: 'id',
		required: true,
		description: 'Field that holds the record ID in responses',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'Update Method',
		name: 'customUpdateMethod',
		type: 'options',
		options: [
			{ name: 'PATCH (Partial Update)', value: 'PATCH' },
			{ name: 'PUT (Full Replace)', value: 'PUT' },
			{ name: 'POST to {path}/{ID} (Partial Update)', value: 'POST' },
		],
		default: 'PATCH',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'Pagination',
		name: 'customPagination',
		type: 'collection',
		placeholder: 'Set Pagination',
		default: {},
		displayOptions: { show: { remoteResource: ['custom'] } },
		// In alphabetical order, as n8n's scanner asks of a collection (its Add menu lists them so).
		options: [
			{
				displayName: 'Cursor Parameter',
				name: 'cursorParam',
				type: 'string',
				default: '',
				placeholder: 'after',
				description:
					'Cursor Token and Last Record ID styles: query parameter the token or the last record’s ID is sent in, e.g. after (HubSpot), cursor, offset (Airtable), starting_after (Stripe)',
			},
			{
				displayName: 'Cursor Path',
				name: 'cursorPath',
				type: 'string',
				default: '',
				placeholder: 'paging.next.after',
				description:
					'Cursor Token style: dot path in the response body to the next page’s token, e.g. paging.next.after (HubSpot), next_cursor, offset (Airtable). Paging ends when it is missing or empty.',
			},
			{ displayName: 'First Page Number', name: 'firstPage', type: 'number', default: 1 },
			{
				displayName: 'Has More Path',
				name: 'hasMorePath',
				type: 'string',
				default: '',
				placeholder: 'has_more',
				description:
					'Cursor Token and Last Record ID styles: dot path to a true/false field saying whether more records follow, e.g. has_more (Stripe). Empty: not used (Last Record ID then goes on until an empty page).',
			},
			{ displayName: 'Limit Parameter', name: 'limitParam', type: 'string', default: 'take' },
			{ displayName: 'Max Pages', name: 'maxPages', type: 'number', typeOptions: { minValue: 1 }, default: 1000 },
			{
				displayName: 'Next URL Path',
				name: 'nextUrlPath',
				type: 'string',
				default: 'next',
				description: 'Dot path in the response body to the next page’s URL, e.g. links.next',
			},
			{ displayName: 'Offset Parameter', name: 'offsetParam', type: 'string', default: 'skip' },
			{ displayName: 'Page Parameter', name: 'pageParam', type: 'string', default: 'page' },
			{ displayName: 'Page Size', name: 'pageSize', type: 'number', typeOptions: { minValue: 1 }, default: 100 },
			{
				displayName: 'Page Size Parameter',
				name: 'pageSizeParam',
				type: 'string',
				default: 'per_page',
				description:
					'Query parameter for the page size. Page Number style: always sent. Next URL, Link Header, Cursor Token and Last Record ID: sent only when added here, e.g. limit (HubSpot, Stripe) or pageSize (Airtable).',
			},
			{
				displayName: 'Records Path',
				name: 'recordsPath',
				type: 'string',
				default: '',
				description: 'Dot path in the response body to the list of records, e.g. data. Empty when the body is the list itself.',
			},
			{
				displayName: 'Style',
				name: 'style',
				type: 'options',
				options: [
					{ name: 'Cursor Token in Response Body', value: 'cursor' },
					{ name: 'Last Record ID (Starting After)', value: 'lastId' },
					{ name: 'Link Header (Rel=next)', value: 'linkHeader' },
					{ name: 'Next URL in Response Body', value: 'nextUrl' },
					{ name: 'None (One Request)', value: 'none' },
					{ name: 'Offset and Limit', value: 'offset' },
					{ name: 'Page Number', value: 'page' },
				],
				default: 'offset',
			},
		],
	},
	{
		displayName: 'Record Format',
		name: 'customRecordFormat',
		type: 'collection',
		placeholder: 'Set Record Format',
		default: {},
		description: 'How the API lays out a record and wants writes: an envelope, a wrapper, a form body, a record path',
		displayOptions: { show: { remoteResource: ['custom'] } },
		options: [
			{
				displayName: 'Body Encoding',
				name: 'encoding',
				type: 'options',
				options: [
					{ name: 'Form URL-Encoded (Nested Keys in Brackets)', value: 'form' },
					{ name: 'JSON', value: 'json' },
				],
				default: 'json',
				description: 'How create and update bodies are sent. Stripe-style APIs take only forms.',
			},
			{
				displayName: 'Content Type',
				name: 'contentType',
				type: 'string',
				default: '',
				placeholder: 'application/vnd.api+json',
				description: 'Content-Type header of create and update bodies, when the API wants another than the usual one. Empty: the JSON or form type.',
			},
			{
				displayName: 'Fields Path',
				name: 'fieldsPath',
				type: 'string',
				default: '',
				placeholder: 'properties',
				description:
					'Dot path inside each record to the object that holds its fields (HubSpot: properties, Airtable: fields, JSON:API: attributes). Mapping, matching and comparing then work on those fields. Empty: the record is flat.',
			},
			{
				displayName: 'Fields Query Parameter',
				name: 'fieldsParam',
				type: 'string',
				default: '',
				placeholder: 'properties',
				description:
					'Query parameter that asks the API for the fields Sync compares, sent as a comma-separated list (HubSpot: properties). Empty: none is sent.',
			},
			{
				displayName: 'JSON:API Type',
				name: 'jsonApiType',
				type: 'string',
				default: '',
				placeholder: 'articles',
				description:
					'For JSON:API servers: the resource type. Writes are then sent as {"data": {"type", "ID", "attributes"}} with the JSON:API media type as Content-Type, and Fields Path defaults to attributes.',
			},
			{
				displayName: 'Nested Fields as Dot Paths',
				name: 'nestedFields',
				type: 'boolean',
				default: false,
				description:
					'Whether objects inside a record become fields of their own, named with dots (metadata.plan; a key that holds a dot in brackets: metadata[order.ref]), so each is mapped and compared alone and written back nested',
			},
			{
				displayName: 'Read-Only Fields',
				name: 'readOnlyFields',
				type: 'string',
				default: '',
				placeholder: 'createdate, hs_object_id',
				description: 'Comma-separated fields the API sets itself: never compared and never sent, even when mapped',
			},
			{
				displayName: 'Record Path',
				name: 'recordPath',
				type: 'string',
				default: '',
				placeholder: '/customers/{ID}.json',
				description: 'Where one record is, for updates, deletes and Get: {path} is the Path, {ID} the record ID. Empty: {path}/{ID}.',
			},
			{
				displayName: 'Wrap Writes In',
				name: 'writeKey',
				type: 'string',
				default: '',
				placeholder: 'properties',
				description:
					'Key that create and update bodies are wrapped in, e.g. properties (HubSpot), fields (Airtable), customer (Shopify). Empty: the fields are the body.',
			},
		],
	},
];

/** Reads the resource parameters of item `itemIndex` into one resolved description. */
export function resolveResource(
	getParam: (name: string, fallback?: unknown) => unknown,
): ResolvedResource {
	const name = (getParam('remoteResource', 'clients') ?? 'clients') as PresetName | ApiPresetName | 'custom';
	if (isApiPreset(name)) {
		const preset: ApiPreset = API_PRESETS[name];
		return {
			path: preset.path || baseAndTableOf(getParam),
			idField: preset.idField,
			bulk: false,
			updateMethod: preset.updateMethod,
			pagination: {
				...EENVOUDIGFACTUREREN_PAGINATION,
				maxPages: 1000,
				cursorPath: '',
				cursorParam: '',
				hasMorePath: '',
				pageSizeParam: '',
				...preset.pagination,
				idField: preset.idField,
				fullPagesGuaranteed: false,
			},
			efListParameters: false,
			shape: { ...PLAIN_SHAPE, ...preset.shape },
			bulkShape: preset.bulkShape,
			defaultRequestsPerSecond: preset.maxRequestsPerSecond,
		};
	}
	if (name !== 'custom') {
		const preset: ResourcePreset = PRESETS[name];
		return {
			...preset,
			updateMethod: 'POST',
			pagination: { ...EENVOUDIGFACTUREREN_PAGINATION, idField: preset.idField },
			efListParameters: true,
			shape: { ...PLAIN_SHAPE, fieldsParam: 'fields' },
			bulkShape: preset.bulk ? eenvoudigFactureren(preset.path.replace(/^\/+/, '')) : undefined,
		};
	}
	const path = customPathOf(getParam);
	const paging = (getParam('customPagination', {}) ?? {}) as Partial<PaginationSettings> & { style?: PaginationStyle };
	const idField = String(getParam('customIdField', 'id') || 'id');
	const style = paging.style ?? 'offset';
	const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
	return {
		path,
		idField,
		bulk: false,
		updateMethod: getParam('customUpdateMethod', 'PATCH') as ResolvedResource['updateMethod'],
		pagination: {
			...EENVOUDIGFACTUREREN_PAGINATION,
			maxPages: 1000,
			...paging,
			// Numbers an expression gave as text count as numbers; anything else is refused by paginate, by name.
			...numbersOf(paging, ['pageSize', 'maxPages', 'firstPage']),
			style,
			cursorPath: text(paging.cursorPath),
			cursorParam: text(paging.cursorParam),
			hasMorePath: text(paging.hasMorePath),
			// Page Number sends a page size parameter by default (per_page); the other styles only one the user added,
			// so that workflows saved before they could send one send nothing new.
			pageSizeParam: style === 'page' ? (paging.pageSizeParam ?? EENVOUDIGFACTUREREN_PAGINATION.pageSizeParam) : text(paging.pageSizeParam),
			idField,
			// A custom API may give fewer records than asked (a capped page size): only an empty page, or one shorter
			// than an earlier page, ends the listing.
			fullPagesGuaranteed: false,
		},
		efListParameters: false,
		shape: customShape(getParam('customRecordFormat', {})),
	};
}

/** The fields given as numeric text (`"100"`), as numbers; other values stay as they are. */
function numbersOf(paging: IDataObject, fields: string[]): IDataObject {
	const numbers: IDataObject = {};
	for (const field of fields) {
		const value = paging[field];
		if (typeof value === 'string' && value.trim() !== '' && Number.isFinite(Number(value.trim()))) numbers[field] = Number(value.trim());
	}
	return numbers;
}

function customPathOf(getParam: (name: string, fallback?: unknown) => unknown): string {
	return `/${String(getParam('customPath', '')).trim().replace(/^\/+|\/+$/g, '')}`;
}

/**
 * Airtable's *Base and Table*, `/{base ID}/{table name or ID}`, as a URL path: the table name is free text
 * (`Orders #2`, `Q&A?`, `In/Out`), so everything after the base ID is one segment, percent-encoded. A name typed
 * already encoded (`Orders%20%232`) is not encoded twice.
 */
function baseAndTableOf(getParam: (name: string, fallback?: unknown) => unknown): string {
	const text = String(getParam('customPath', '')).trim().replace(/^\/+|\/+$/g, '');
	const slash = text.indexOf('/');
	if (slash < 0) return `/${encodeSegment(text)}`;
	return `/${encodeSegment(text.slice(0, slash))}/${encodeSegment(text.slice(slash + 1))}`;
}

function encodeSegment(segment: string): string {
	let decoded = segment;
	try {
		decoded = decodeURIComponent(segment);
	} catch {
		// Not percent-encoding (a lone "%"): the text as typed.
	}
	return encodeURIComponent(decoded);
}

/** The Record Format collection of a custom path as a record shape; JSON:API implies its envelope and media type. */
function customShape(raw: unknown): RecordShape {
	const format = (raw && typeof raw === 'object' ? raw : {}) as Record<string, unknown>;
	const text = (name: string) => String(format[name] ?? '').trim();
	const jsonApiType = text('jsonApiType');
	return {
		fieldsPath: text('fieldsPath') || (jsonApiType ? 'attributes' : ''),
		readOnlyFields: text('readOnlyFields')
			.split(',')
			.map((field) => field.trim())
			.filter(Boolean),
		writeKey: text('writeKey'),
		jsonApiType,
		encoding: (text('encoding') || 'json') as BodyEncoding,
		contentType: text('contentType'),
		recordPath: text('recordPath'),
		fieldsParam: text('fieldsParam'),
		nestedFields: format.nestedFields === true,
	};
}
