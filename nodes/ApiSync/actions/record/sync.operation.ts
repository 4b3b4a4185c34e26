import {
	NodeOperationError,
	type INode,
	type IDataObject,
	type IExecuteFunctions,
	type ResourceMapperValue,
} from 'n8n-workflow';

import { settingsFingerprint } from '../../../shared/changes/state';
import { wholeNumberOption } from '../../../shared/authentication';
import { showFor, type BatchOperation } from '../../../shared/operation';
import { credentialAccountId, credentialIdentity } from '../../../shared/changes';
import { accountHeader } from '../../../shared/recordData';
import { DOCUMENT_PRESETS, type ResolvedResource } from '../../../shared/resources';
import type { SourceRecord, SyncMode } from '../../engine/plan';
import { newRunId } from '../../engine/idempotency';
import { runSync } from '../../engine/run';
import type { SkipOptions } from '../../engine/skipRun';
import { SKIP_STATE_KEY } from '../../engine/skipUnchanged';

export const sync: BatchOperation = {
	description: showFor('sync', [
		{
			displayName: 'Mode',
			name: 'syncMode',
			type: 'options',
			options: [
				{
					name: 'Create or Update',
					value: 'upsert',
					description: 'Create a new record for an input item without a match, or update the current one if it already exists (upsert)',
				},
				{ name: 'Create Only', value: 'createOnly', description: 'Create missing records; never change existing ones' },
				{ name: 'Update Only', value: 'updateOnly', description: 'Update existing records; never create' },
				{
					name: 'Mirror',
					value: 'mirror',
					description: 'Create or Update, then delete remote records that are not in the input',
				},
			],
			default: 'upsert',
		},
		{
			displayName:
				'Mirror deletes every remote record whose match fields are not in the input. It deletes nothing when an input item fails to plan or no item has a match value. Try a Dry Run first.',
			name: 'mirrorNotice',
			type: 'notice',
			default: '',
			displayOptions: { show: { syncMode: ['mirror'] } },
		},
		{
			displayName: 'Max Deletes',
			name: 'maxDeletes',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 10,
			description:
				'If Mirror would delete more records than this, the run stops before writing anything. Protects against a partial input wiping the remote side.',
			displayOptions: { show: { syncMode: ['mirror'] } },
		},
		{
			displayName: 'Fields',
			name: 'columns',
			type: 'resourceMapper',
			noDataExpression: true,
			default: { mappingMode: 'defineBelow', value: null },
			required: true,
			typeOptions: {
				loadOptionsDependsOn: ['remoteResource', 'customPath', 'customIdField', 'customRecordFormat', 'authentication'],
				resourceMapper: {
					resourceMapperMethod: 'getMappingColumns',
					mode: 'upsert',
					fieldWords: { singular: 'field', plural: 'fields' },
					addAllFields: true,
					multiKeyMatch: true,
					supportAutoMap: true,
					matchingFieldsLabels: {
						title: 'Match On',
						description:
							'Remote fields that identify a record in both systems, e.g. external_client_id or email_address',
						hint: 'Values are compared trimmed; see the options for case-insensitive matching',
					},
				},
			},
		},
		{
			displayName: 'Sync Options',
			name: 'syncOptions',
			type: 'collection',
			placeholder: 'Add Option',
			// Dry Run is in the default value, so a new node shows it as a toggle without "Add Option".
			// It stays at syncOptions.dryRun, where saved workflows have it.
			default: { dryRun: false },
			options: [
				{
					displayName: 'Case-Insensitive Match',
					name: 'caseInsensitive',
					type: 'boolean',
					default: false,
					description: 'Whether "ACME@example.com" matches "acme@example.com" (full case folding: "STRASSE" matches "straße")',
				},
				{
					displayName: 'Concurrency',
					name: 'concurrency',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 32 },
					default: 4,
					description: 'Requests in flight at once: writes, and list pages read with offset or page-number paging',
				},
				{
					displayName: 'Dry Run',
					name: 'dryRun',
					type: 'boolean',
					default: false,
					description:
						'Whether to only show the plan: the five outputs say what would be created, updated, left unchanged, deleted or refused, and nothing is written',
				},
				{
					displayName: 'Fields to Ignore',
					name: 'ignoreFields',
					type: 'string',
					default: '',
					placeholder: 'last_modified, created',
					description: 'Comma-separated fields never compared, e.g. ones the API sets itself',
				},
				{
					displayName: 'Full Check Every N Hours',
					name: 'fullCheckHours',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 24,
					description:
						'With Skip Unchanged Input: compare every item with the remote side once this many hours have passed since the last full check, to catch records changed or created in the other system (0 = not by time)',
				},
				{
					displayName: 'Full Check Every N Runs',
					name: 'fullCheckRuns',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 0,
					description:
						'With Skip Unchanged Input: compare every item with the remote side on every Nth run, the full check included (1 = every run; 0 = not by count)',
				},
				{
					displayName: 'Idempotency Key Header',
					name: 'idempotencyHeader',
					type: 'string',
					default: '',
					placeholder: 'Idempotency-Key',
					description:
						'For APIs that honour idempotency keys (Stripe style): every write carries a key in this header, the same when that write is sent again within the run, so the API applies it once; another run never reuses a key. Empty: none sent.',
				},
				{
					displayName: 'Max Requests per Second',
					name: 'maxRequestsPerSecond',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 10,
					description:
						'Upper limit on request starts per second (0 = no limit). Without this option: 10, or for an API preset its documented limit (Airtable 4, HubSpot 9, Shopify 2). Airtable blocks a base for 30 s above 5 per second; EenvoudigFactureren may block an account that makes too many calls in a row.',
				},
				{
					displayName: 'Remove Duplicates of Overlapping Runs',
					name: 'overlapDuplicates',
					type: 'options',
					options: [
						{
							name: 'Auto',
							value: 'auto',
							description: 'On, except for numbered documents (invoices, quotes, orders, deliveries, receipts, subscriptions)',
						},
						{ name: 'Off', value: 'off', description: 'Keep every record created; a later run lists duplicates under Failed' },
						{ name: 'On', value: 'on', description: 'Also for numbered documents (deleting one can leave a gap in its numbering)' },
					],
					default: 'auto',
					description:
						'After creating records, read the new remote records once more. Where another run of this workflow (or another system) created a record with the same match values meanwhile, this run deletes the one it created and keeps the older one, updated if needed. Assumes newer records get higher IDs, as in EenvoudigFactureren.',
				},
				{
					displayName: 'Skip Unchanged Input',
					name: 'skipUnchanged',
					type: 'boolean',
					default: false,
					description:
						'Whether to remember what each run wrote or found equal (per match key, in the workflow\'s static data) and not compare input items that are unchanged since: an unchanged re-sync makes no request. Records changed in the other system are caught by the full check (see Full Check Every N Hours / Runs). Manual runs always compare in full.',
				},
				{
					displayName: 'Use Bulk Endpoint',
					name: 'useBulk',
					type: 'boolean',
					default: true,
					description:
						'Whether to send creates and updates 100 at a time where the API has a bulk endpoint (EenvoudigFactureren clients and stock items)',
				},
			],
		},
	]),

	async executeBatch({ client, resource }) {
		const options = this.getNodeParameter('syncOptions', 0, {}) as IDataObject;
		const columns = this.getNodeParameter('columns', 0) as ResourceMapperValue;
		const matchFields = (columns?.matchingColumns ?? []).filter(Boolean);
		if (matchFields.length === 0) {
			throw new NodeOperationError(this.getNode(), 'No field to match on', {
				description: 'Open "Fields" and choose at least one field under "Match On", e.g. external_client_id.',
			});
		}
		const nodeAccount = String(this.getNodeParameter('options.accountId', 0, '') ?? '').trim();
		const idempotencyHeader = String(options.idempotencyHeader ?? '').trim() || undefined;
		const sources = mapItems(this, columns);
		// A field named like the ID field (an Airtable column "id") would mean two things where a record keeps its
		// fields in an envelope: when it is mapped or matched on, such records are refused with a clear error.
		const usesIdField = matchFields.includes(resource.idField) || sources.some(({ record }) => resource.idField in record);
		const shape = resource.shape.fieldsPath && usesIdField ? { ...resource.shape, refuseIdFieldInEnvelope: true } : resource.shape;
		const skip = options.skipUnchanged === true ? await skipOptions(this, options, client.baseUrl, resource, matchFields) : undefined;
		const { outputs, summary, warning, skipState } = await runSync({
			skip,
			client,
			node: this.getNode(),
			resource: { ...resource, shape },
			settings: {
				mode: this.getNodeParameter('syncMode', 0, 'upsert') as SyncMode,
				matchFields,
				caseInsensitive: options.caseInsensitive === true,
				idField: resource.idField,
				// Fields the API sets itself are never compared (nor sent: see writeBody).
				ignoreFields: [
					...String(options.ignoreFields ?? '')
						.split(',')
						.map((f) => f.trim())
						.filter(Boolean),
					...resource.shape.readOnlyFields,
				],
				dryRun: options.dryRun === true,
				maxDeletes: this.getNodeParameter('maxDeletes', 0, 10) as number,
				removeOverlapDuplicates: removeOverlapDuplicates(options.overlapDuplicates, this.getNodeParameter('remoteResource', 0) as string),
			},
			sources,
			write: {
				useBulk: options.useBulk !== false,
				concurrency: wholeNumberOption(this.getNode(), options.concurrency, 'Sync Options → Concurrency', 1, 32, 4),
				// Not set: the API preset's documented limit (Airtable 4, HubSpot 9, Shopify 2), else 10. A value the user
				// set (also one saved in a workflow) is used as it is.
				maxRequestsPerSecond: requestsPerSecond(this.getNode(), options.maxRequestsPerSecond, resource.defaultRequestsPerSecond ?? 10),
				headers: accountHeader(nodeAccount),
				idempotencyHeader,
				// A key identifies one write of this run: never reused by another run, account or Base URL.
				idempotencyScope: idempotencyHeader
					? {
							executionId: this.getExecutionId() ?? '',
							nodeId: this.getNode().id,
							runId: newRunId(),
							baseUrl: client.baseUrl,
							account: nodeAccount || (await credentialAccountId(this, this.getNodeParameter('authentication', 0) as string)),
						}
					: undefined,
			},
		});
		// Stored only now, with the outputs: the state describes exactly what this run wrote or found.
		if (skip && skipState && !skip.noStaticData) this.getWorkflowStaticData('node')[SKIP_STATE_KEY] = skipState as unknown as IDataObject;
		this.addExecutionHints({ message: summary, location: 'outputPane', type: warning ? 'warning' : 'info' });
		this.logger.info(`API Sync: ${summary}`);
		return outputs;
	},
};

/**
 * Skip Unchanged Input: the stored state, what it must belong to (Base URL, effective account, resource, ID field,
 * match fields, case folding), and the full-check schedule. Manual runs compare in full: n8n keeps no static data
 * for them.
 */
async function skipOptions(
	ctx: IExecuteFunctions,
	options: IDataObject,
	baseUrl: string,
	resource: ResolvedResource,
	matchFields: string[],
): Promise<SkipOptions> {
	const node = ctx.getNode();
	// Numbers, or numeric text from an expression, as the other number options.
	const number = (name: string, fallback: number) => {
		const value = options[name] === undefined || options[name] === null || options[name] === '' ? fallback : options[name];
		const parsed = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
		if (!Number.isFinite(parsed) || parsed < 0) {
			throw new NodeOperationError(node, `Sync Options → ${name === 'fullCheckRuns' ? 'Full Check Every N Runs' : 'Full Check Every N Hours'} must be a number of 0 or more, not ${JSON.stringify(value)}`, {
				description: 'Set how often Skip Unchanged Input compares every item with the remote side (0 turns that schedule off).',
			});
		}
		return parsed;
	};
	const everyRuns = Math.floor(number('fullCheckRuns', 0));
	const everyHours = number('fullCheckHours', 24);
	if (everyRuns === 0 && everyHours === 0) {
		throw new NodeOperationError(node, 'Skip Unchanged Input needs a full check: Full Check Every N Hours and Full Check Every N Runs are both 0', {
			description:
				'Without a periodic full comparison, records changed, deleted or created in the other system would never be noticed. Set one of them (e.g. every 24 hours), or switch Skip Unchanged Input off.',
		});
	}
	const account = (ctx.getNodeParameter('options.accountId', 0, '') as string).trim();
	const credentialType = ctx.getNodeParameter('authentication', 0) as string;
	const credentialAccount = await credentialAccountId(ctx, credentialType);
	const manual = ctx.getMode() === 'manual';
	return {
		stored: manual ? undefined : ctx.getWorkflowStaticData('node')[SKIP_STATE_KEY],
		// The state belongs to the account it describes: the node's Account ID, else the credential's; and to the
		// credential itself (its n8n id and a digest of what identifies its account: the key, token or user), so a
		// switch to another key or credential compares in full even when no Account ID is set anywhere.
		fingerprint: settingsFingerprint([
			'sync',
			baseUrl,
			account || credentialAccount,
			await credentialIdentity(ctx, credentialType),
			resource.path,
			resource.idField,
			matchFields,
			options.caseInsensitive === true,
		]),
		now: Date.now(),
		schedule: { everyRuns, everyHours },
		noStaticData: manual ? 'a manual run: n8n keeps no state for manual executions, so nothing is skipped and nothing is remembered' : undefined,
	};
}

/** Max Requests per Second: 0 or more (0 = no limit), fractions allowed; an expression giving no number is an error. */
function requestsPerSecond(node: INode, value: unknown, fallback: number): number {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return fallback;
	const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
	if (!Number.isFinite(number) || number < 0) {
		throw new NodeOperationError(node, `Sync Options → Max Requests per Second must be a number of 0 or more, got ${JSON.stringify(value) ?? String(value)}`, {
			description: 'Set Max Requests per Second to a number such as 10 (0 = no limit); an expression there must give a number.',
		});
	}
	return number;
}

/** Remove Duplicates of Overlapping Runs: Auto is on except for numbered documents, where a delete leaves a gap. */
function removeOverlapDuplicates(option: unknown, remoteResource: string): boolean {
	if (option === 'on') return true;
	if (option === 'off') return false;
	return !DOCUMENT_PRESETS.has(remoteResource);
}

/** Maps each input item through the field mapping; an item whose mapping fails carries the reason (it goes to Failed). */
function mapItems(ctx: IExecuteFunctions, columns: ResourceMapperValue): SourceRecord[] {
	const schemaIds = new Set((columns.schema ?? []).filter((f) => f.display !== false).map((f) => f.id));
	return ctx.getInputData().map((item, itemIndex) => {
		try {
			const record: IDataObject = {};
			if (columns.mappingMode === 'autoMapInputData') {
				for (const [field, value] of Object.entries(item.json)) {
					if (schemaIds.size === 0 || schemaIds.has(field)) record[field] = value;
				}
			} else {
				const value = ctx.getNodeParameter('columns.value', itemIndex, {}) as IDataObject | null;
				for (const [field, fieldValue] of Object.entries(value ?? {})) {
					if (fieldValue !== undefined) record[field] = fieldValue;
				}
			}
			return { itemIndex, record };
		} catch (error) {
			return { itemIndex, record: {}, mappingError: `The field mapping failed for this item: ${(error as Error).message}` };
		}
	});
}
