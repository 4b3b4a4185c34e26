import {
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type IPairedItemData,
	type ResourceMapperValue,
} from 'n8n-workflow';

import { paginate } from '../../../shared/pagination';
import { showFor, type BatchOperation, type OperationContext } from '../../../shared/operation';
import { accountHeader } from '../../../shared/recordData';
import type { ResolvedResource } from '../../../shared/resources';
import type { ApiClient } from '../../../shared/transport';
import { applyPlan, type ApplySettings, type Outcome } from '../../engine/apply';
import { planSync, type PlanSettings, type SourceRecord, type SyncMode, type SyncPlan } from '../../engine/plan';
import { RateLimiter } from '../../engine/schedule';

/** Re-reads after uncertain writes (network errors, 5xx): each one re-plans only those records. */
const MAX_RECONCILE_ROUNDS = 3;
const BULK_SIZE = 100;

export const OUTPUT_NAMES = ['Created', 'Updated', 'Unchanged', 'Deleted', 'Failed'] as const;

export const sync: BatchOperation = {
	description: showFor('sync', [
		{
			displayName: 'Mode',
			name: 'syncMode',
			type: 'options',
			options: [
				{ name: 'Upsert', value: 'upsert', description: 'Create missing records, update changed ones' },
				{ name: 'Create Only', value: 'createOnly', description: 'Create missing records; never change existing ones' },
				{ name: 'Update Only', value: 'updateOnly', description: 'Update existing records; never create' },
				{
					name: 'Mirror',
					value: 'mirror',
					description: 'Upsert, then delete remote records that are not in the input',
				},
			],
			default: 'upsert',
		},
		{
			displayName:
				'Mirror deletes every remote record whose match fields are not in the input. Try a Dry Run first.',
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
				loadOptionsDependsOn: ['remoteResource', 'customPath', 'customIdField', 'authentication'],
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
					description: 'Whether "ACME@example.com" matches "acme@example.com"',
				},
				{
					displayName: 'Concurrency',
					name: 'concurrency',
					type: 'number',
					typeOptions: { minValue: 1, maxValue: 32 },
					default: 4,
					description: 'Write requests in flight at once',
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
					displayName: 'Max Requests per Second',
					name: 'maxRequestsPerSecond',
					type: 'number',
					typeOptions: { minValue: 0 },
					default: 10,
					description:
						'Upper limit on request starts per second (0 = no limit). EenvoudigFactureren may block an account that makes too many calls in a row.',
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

	async executeBatch(ctx) {
		return await runSync.call(this, ctx);
	},
};

interface SyncSettings extends PlanSettings {
	dryRun: boolean;
	maxDeletes: number;
}

async function runSync(this: IExecuteFunctions, { client, resource }: OperationContext): Promise<INodeExecutionData[][]> {
	const started = Date.now();
	const items = this.getInputData();
	const options = this.getNodeParameter('syncOptions', 0, {}) as IDataObject;
	const columns = this.getNodeParameter('columns', 0) as ResourceMapperValue;
	const matchFields = (columns?.matchingColumns ?? []).filter(Boolean);
	if (matchFields.length === 0) {
		throw new NodeOperationError(this.getNode(), 'No field to match on', {
			description: 'Open "Fields" and choose at least one field under "Match On", e.g. external_client_id.',
		});
	}
	const settings: SyncSettings = {
		mode: this.getNodeParameter('syncMode', 0, 'upsert') as SyncMode,
		matchFields,
		caseInsensitive: options.caseInsensitive === true,
		idField: resource.idField,
		ignoreFields: String(options.ignoreFields ?? '')
			.split(',')
			.map((f) => f.trim())
			.filter(Boolean),
		dryRun: options.dryRun === true,
		maxDeletes: this.getNodeParameter('maxDeletes', 0, 10) as number,
	};
	const limiter = new RateLimiter(Number(options.maxRequestsPerSecond ?? 10));
	const applySettings: ApplySettings = {
		resource,
		useBulk: options.useBulk !== false,
		bulkSize: BULK_SIZE,
		concurrency: Number(options.concurrency ?? 4),
		limiter,
		headers: accountHeader(this.getNodeParameter('options.accountId', 0, '') as string),
	};

	const { sources, mappingFailures } = mapItems(this, items.length, columns);
	const readFields = fieldsToRead(sources, settings, resource);
	const remote = await readRemote(client, this, resource, readFields, applySettings);
	const plan = planSync(sources, remote, settings);
	plan.failures.push(...mappingFailures);

	if (plan.deletes.length > settings.maxDeletes && !settings.dryRun) {
		throw new NodeOperationError(
			this.getNode(),
			`Mirror would delete ${plan.deletes.length} remote records, more than Max Deletes (${settings.maxDeletes}). Nothing was written.`,
			{
				description:
					'Check that the input holds every record (a failed or partial source step would look like mass deletion). Run with Dry Run to see the plan, then raise Max Deletes if the deletions are intended.',
			},
		);
	}

	const allItems: IPairedItemData[] = items.map((_, item) => ({ item }));
	let outputs: INodeExecutionData[][];
	if (settings.dryRun) {
		outputs = planOutputs(plan, allItems);
	} else {
		let outcomes = await applyPlan(client, withoutFailures(plan), applySettings);
		outcomes = await reconcile(this, client, resource, outcomes, sources, settings, readFields, applySettings);
		outputs = outcomeOutputs(plan, outcomes, allItems);
	}

	const summary = summarise(outputs, client, limiter, Date.now() - started, settings.dryRun, plan);
	this.addExecutionHints({ message: summary, location: 'outputPane', type: outputs[4].length ? 'warning' : 'info' });
	this.logger.info(`API Sync: ${summary}`);
	return outputs;
}

/** Maps each input item through the field mapping; an item whose mapping fails goes to Failed. */
function mapItems(
	ctx: IExecuteFunctions,
	itemCount: number,
	columns: ResourceMapperValue,
): { sources: SourceRecord[]; mappingFailures: SyncPlan['failures'] } {
	const sources: SourceRecord[] = [];
	const mappingFailures: SyncPlan['failures'] = [];
	const schemaIds = new Set((columns.schema ?? []).filter((f) => f.display !== false).map((f) => f.id));
	const items = ctx.getInputData();
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			let record: IDataObject;
			if (columns.mappingMode === 'autoMapInputData') {
				record = {};
				for (const [field, value] of Object.entries(items[itemIndex].json)) {
					if (schemaIds.size === 0 || schemaIds.has(field)) record[field] = value;
				}
			} else {
				const value = ctx.getNodeParameter('columns.value', itemIndex, {}) as IDataObject | null;
				record = {};
				for (const [field, fieldValue] of Object.entries(value ?? {})) {
					if (fieldValue !== undefined) record[field] = fieldValue;
				}
			}
			sources.push({ itemIndex, record });
		} catch (error) {
			mappingFailures.push({
				itemIndex,
				match: {},
				reason: `The field mapping failed for this item: ${(error as Error).message}`,
			});
		}
	}
	return { sources, mappingFailures };
}

/** EenvoudigFactureren can return only some fields (`fields=`): just what the plan compares. */
function fieldsToRead(sources: SourceRecord[], settings: PlanSettings, resource: ResolvedResource): string | undefined {
	if (!resource.efListParameters) return undefined;
	const fields = new Set([resource.idField, ...settings.matchFields]);
	for (const { record } of sources) for (const field of Object.keys(record)) fields.add(field);
	for (const ignored of settings.ignoreFields) if (!settings.matchFields.includes(ignored)) fields.delete(ignored);
	return [...fields].join(',');
}

async function readRemote(
	client: ApiClient,
	ctx: IExecuteFunctions,
	resource: ResolvedResource,
	fields: string | undefined,
	applySettings: ApplySettings,
): Promise<IDataObject[]> {
	const records: IDataObject[] = [];
	const pages = paginate(
		{
			...client,
			request: async (req) => {
				await applySettings.limiter.acquire();
				return await client.request(req);
			},
		},
		ctx.getNode(),
		{ method: 'GET', path: resource.path, query: fields ? { fields } : {}, headers: applySettings.headers },
		resource.pagination,
	);
	for await (const page of pages) records.push(...page.records);
	if (records.length > 0 && records[0][resource.idField] === undefined) {
		throw new NodeOperationError(ctx.getNode(), `Remote records have no "${resource.idField}" field`, {
			description: `The ID Field must name the field that holds each record's ID. Fields seen: ${Object.keys(records[0]).join(', ')}.`,
		});
	}
	return records;
}

function withoutFailures(plan: SyncPlan): SyncPlan {
	return { ...plan, failures: [] };
}

/**
 * After a network error or a 5xx on a write, the API may or may not have applied it. Re-read the
 * remote side and re-plan only those records: what was applied is now found, so nothing is
 * written twice; what was not is written again.
 */
async function reconcile(
	ctx: IExecuteFunctions,
	client: ApiClient,
	resource: ResolvedResource,
	outcomes: Outcome[],
	sources: SourceRecord[],
	settings: SyncSettings,
	readFields: string | undefined,
	applySettings: ApplySettings,
): Promise<Outcome[]> {
	const sourceByItem = new Map(sources.map((s) => [s.itemIndex, s]));
	for (let round = 1; round <= MAX_RECONCILE_ROUNDS; round++) {
		const uncertain = outcomes.filter((o) => o.kind === 'failed' && o.uncertain);
		if (uncertain.length === 0) return outcomes;
		const settled = outcomes.filter((o) => !(o.kind === 'failed' && o.uncertain));
		const remote = await readRemote(client, ctx, resource, readFields, applySettings);
		const remoteIds = new Set(remote.map((r) => String(r[resource.idField])));

		const retrySources: SourceRecord[] = [];
		const intent = new Map<number, Outcome & { kind: 'failed' }>();
		const subPlan: SyncPlan = { creates: [], updates: [], unchanged: [], deletes: [], failures: [], remoteWithoutKey: 0 };
		for (const outcome of uncertain as Array<Outcome & { kind: 'failed' }>) {
			if (outcome.stage === 'delete') {
				const entry = outcome.entry as SyncPlan['deletes'][number];
				if (remoteIds.has(String(entry.remoteId))) subPlan.deletes.push(entry);
				else settled.push({ kind: 'deleted', match: entry.match, remoteId: entry.remoteId, remote: entry.remote });
				continue;
			}
			const source = sourceByItem.get(outcome.itemIndex as number);
			if (!source) continue;
			retrySources.push(source);
			intent.set(source.itemIndex, outcome);
		}
		const replanned = planSync(retrySources, remote, { ...settings, mode: settings.mode === 'mirror' ? 'upsert' : settings.mode });
		subPlan.creates = replanned.creates;
		subPlan.updates = replanned.updates;
		for (const failure of replanned.failures) {
			const original = intent.get(failure.itemIndex)!;
			settled.push({ ...original, reason: failure.reason, uncertain: false });
		}
		// Found as intended after the re-read: the earlier write did go through.
		for (const done of replanned.unchanged) {
			const original = intent.get(done.itemIndex)!;
			if (original.stage === 'create') {
				settled.push({ kind: 'created', itemIndex: done.itemIndex, match: done.match, remoteId: done.remoteId, record: sourceByItem.get(done.itemIndex)!.record });
			} else {
				const entry = original.entry as SyncPlan['updates'][number];
				const changes: IDataObject = {};
				for (const [field, to] of Object.entries(entry.changes)) changes[field] = { from: entry.remote[field] ?? null, to };
				settled.push({ kind: 'updated', itemIndex: done.itemIndex, match: done.match, remoteId: done.remoteId, changes });
			}
		}
		const retried = await applyPlan(client, subPlan, applySettings);
		outcomes = [...settled, ...retried];
	}
	return outcomes.map((o) =>
		o.kind === 'failed' && o.uncertain
			? {
					...o,
					reason: `${o.reason}. It could not be confirmed whether this write was applied after ${MAX_RECONCILE_ROUNDS} re-reads; run the sync again: it re-reads the remote records first, so nothing is created twice.`,
				}
			: o,
	);
}

function idOf(value: unknown): IDataObject['id'] {
	return (value ?? null) as IDataObject['id'];
}

function planOutputs(plan: SyncPlan, allItems: IPairedItemData[]): INodeExecutionData[][] {
	const dryRun = true;
	return [
		plan.creates.map((c) => ({ json: { dryRun, match: c.match, fields: c.record }, pairedItem: { item: c.itemIndex } })),
		plan.updates.map((u) => {
			const changes: IDataObject = {};
			for (const [field, to] of Object.entries(u.changes)) changes[field] = { from: u.remote[field] ?? null, to };
			return { json: { dryRun, id: idOf(u.remoteId), match: u.match, changes }, pairedItem: { item: u.itemIndex } };
		}),
		plan.unchanged.map((u) => ({
			json: { dryRun, id: idOf(u.remoteId), match: u.match, ...(u.note ? { note: u.note } : {}) },
			pairedItem: { item: u.itemIndex },
		})),
		plan.deletes.map((d) => ({ json: { dryRun, id: idOf(d.remoteId), match: d.match, record: d.remote }, pairedItem: allItems })),
		plan.failures.map((f) => ({
			json: { dryRun, match: f.match, error: f.reason, stage: 'plan' },
			pairedItem: { item: f.itemIndex },
		})),
	];
}

function outcomeOutputs(plan: SyncPlan, outcomes: Outcome[], allItems: IPairedItemData[]): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [[], [], [], [], []];
	const byItem = (a: { pairedItem?: unknown }, b: { pairedItem?: unknown }) =>
		((a.pairedItem as IPairedItemData)?.item ?? 0) - ((b.pairedItem as IPairedItemData)?.item ?? 0);
	for (const outcome of outcomes) {
		switch (outcome.kind) {
			case 'created':
				outputs[0].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, fields: outcome.record },
					pairedItem: { item: outcome.itemIndex },
				});
				break;
			case 'updated':
				outputs[1].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, changes: outcome.changes },
					pairedItem: { item: outcome.itemIndex },
				});
				break;
			case 'deleted':
				outputs[3].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, record: outcome.remote },
					pairedItem: allItems,
				});
				break;
			case 'failed':
				outputs[4].push({
					json: {
						match: outcome.match,
						error: outcome.reason,
						stage: outcome.stage,
						...(outcome.httpCode ? { httpCode: outcome.httpCode } : {}),
					},
					pairedItem: outcome.itemIndex === undefined ? allItems : { item: outcome.itemIndex },
				});
				break;
		}
	}
	outputs[2] = plan.unchanged.map((u) => ({
		json: { id: idOf(u.remoteId), match: u.match, ...(u.note ? { note: u.note } : {}) },
		pairedItem: { item: u.itemIndex },
	}));
	outputs[4].push(
		...plan.failures.map((f) => ({
			json: { match: f.match, error: f.reason, stage: 'plan' },
			pairedItem: { item: f.itemIndex },
		})),
	);
	for (const output of [outputs[0], outputs[1], outputs[4]]) output.sort(byItem);
	return outputs;
}

function summarise(
	outputs: INodeExecutionData[][],
	client: ApiClient,
	limiter: RateLimiter,
	elapsedMs: number,
	dryRun: boolean,
	plan: SyncPlan,
): string {
	const counts = OUTPUT_NAMES.map((name, i) => `${outputs[i].length} ${name.toLowerCase()}`).join(', ');
	const { stats } = client;
	const writes = stats.requests - (stats.byMethod.GET ?? 0);
	const waited = ((stats.waitedMs + limiter.waitedMs) / 1000).toFixed(1);
	const parts = [
		`${dryRun ? 'Dry run (nothing written): would be ' : 'Sync: '}${counts}`,
		`${stats.requests} requests (${writes} writes), ${stats.retries} retries, ${waited} s waiting on rate limits and retries, ${(elapsedMs / 1000).toFixed(1)} s in all`,
	];
	if (plan.remoteWithoutKey > 0) parts.push(`${plan.remoteWithoutKey} remote records have empty match fields and were left alone`);
	if (dryRun && plan.deletes.length > 0) parts.push(`Mirror would delete ${plan.deletes.length} records`);
	return parts.join(' · ');
}
