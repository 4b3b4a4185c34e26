import { NodeOperationError, type IDataObject, type INode, type INodeExecutionData, type IPairedItemData } from 'n8n-workflow';

import { paginate } from '../../shared/pagination';
import type { ResolvedResource } from '../../shared/resources';
import type { ApiClient } from '../../shared/transport';
import { applyPlan, type ApplySettings, type FailedOutcome, type Outcome } from './apply';
import { outcomeOutputs, planOutputs, summarise } from './outputs';
import { planSync, type PlanSettings, type SourceRecord } from './plan';
import { asCreated, settleAfterReread } from './reconcile';
import { RateLimiter, WaitLog } from './schedule';

/** Re-reads after uncertain writes (network errors, 5xx): each one re-plans only those records. */
export const MAX_RECONCILE_ROUNDS = 3;
export const BULK_SIZE = 100;

export interface SyncSettings extends PlanSettings {
	dryRun: boolean;
	maxDeletes: number;
}

export interface SyncRun {
	client: ApiClient;
	node: INode;
	resource: ResolvedResource;
	settings: SyncSettings;
	/** The input items after field mapping, one per item. */
	sources: SourceRecord[];
	write: Omit<ApplySettings, 'resource' | 'limiter' | 'bulkSize'> & { maxRequestsPerSecond: number };
}

export interface SyncResult {
	outputs: INodeExecutionData[][];
	summary: string;
	/** Something needs the user's attention: failed records, or deletions withheld. */
	warning: boolean;
}

/**
 * One Sync run: read the remote side once, plan (pure), apply, and settle uncertain writes by re-reading.
 * A dry run stops after the plan.
 */
export async function runSync(run: SyncRun): Promise<SyncResult> {
	const started = Date.now();
	const { client, node, resource, settings, sources } = run;
	const waits = new WaitLog();
	// Transport retry waits and rate-limiter waits, as intervals: concurrent waits count once.
	const stopTracking = client.onWait((startedAt, ms) => waits.add(startedAt, ms));
	try {
		const limiter = new RateLimiter(run.write.maxRequestsPerSecond, waits);
		const applySettings: ApplySettings = { ...run.write, resource, limiter, bulkSize: BULK_SIZE };
		const readFields = fieldsToRead(sources, settings, resource);
		const read = async () => await readRemote(client, node, resource, readFields, applySettings);

		const plan = planSync(sources, await read(), settings);
		if (plan.deletes.length > settings.maxDeletes && !settings.dryRun) {
			throw new NodeOperationError(
				node,
				`Mirror would delete ${plan.deletes.length} remote records, more than Max Deletes (${settings.maxDeletes}). Nothing was written.`,
				{
					description:
						'Check that the input holds every record (a failed or partial source step would look like mass deletion). Run with Dry Run to see the plan, then raise Max Deletes if the deletions are intended.',
				},
			);
		}

		const allItems: IPairedItemData[] = sources.map(({ itemIndex: item }) => ({ item }));
		let outputs: INodeExecutionData[][];
		if (settings.dryRun) {
			outputs = planOutputs(plan, allItems);
		} else {
			const outcomes = await applyPlan(client, { ...plan, failures: [] }, applySettings);
			outputs = outcomeOutputs(plan, await reconcile(outcomes, sources, settings, read, client, applySettings), allItems);
		}
		const { stats } = client;
		const summary = summarise(
			outputs,
			{
				requests: stats.requests,
				writes: stats.requests - (stats.byMethod.GET ?? 0),
				retries: stats.retries,
				waitedMs: waits.totalMs(),
				elapsedMs: Date.now() - started,
			},
			settings.dryRun,
			plan,
		);
		return { outputs, summary, warning: outputs[4].length > 0 || plan.deletesWithheld !== undefined };
	} finally {
		stopTracking();
	}
}

/**
 * After a network error or a 5xx on a write, the API may or may not have applied it. Re-read the
 * remote side and settle those records (see `settleAfterReread`): what was applied is now found, so
 * nothing is written twice; what was not is written again, one record at a time.
 */
async function reconcile(
	outcomes: Outcome[],
	sources: SourceRecord[],
	settings: SyncSettings,
	read: () => Promise<IDataObject[]>,
	client: ApiClient,
	applySettings: ApplySettings,
): Promise<Outcome[]> {
	const sourceByItem = new Map(sources.map((s) => [s.itemIndex, s]));
	const createIntents = new Set<number>();
	const isUncertain = (o: Outcome): o is FailedOutcome => o.kind === 'failed' && o.uncertain;
	for (let round = 1; round <= MAX_RECONCILE_ROUNDS; round++) {
		const uncertain = outcomes.filter(isUncertain);
		if (uncertain.length === 0) break;
		const settlement = settleAfterReread(uncertain, await read(), sourceByItem, settings);
		for (const item of settlement.createIntents) createIntents.add(item);
		const retried = await applyPlan(client, settlement.retry, { ...applySettings, useBulk: false });
		outcomes = [...outcomes.filter((o) => !isUncertain(o)), ...settlement.settled, ...retried];
	}
	return outcomes.map((o) =>
		isUncertain(o)
			? {
					...o,
					reason: `${o.reason}. It could not be confirmed whether this write was applied after ${MAX_RECONCILE_ROUNDS} re-reads; run the sync again: it re-reads the remote records first, so nothing is created twice.`,
				}
			: asCreated(o, createIntents, sourceByItem),
	);
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
	node: INode,
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
		node,
		{ method: 'GET', path: resource.path, query: fields ? { fields } : {}, headers: applySettings.headers },
		resource.pagination,
	);
	for await (const page of pages) records.push(...page.records);
	if (records.length > 0 && records[0][resource.idField] === undefined) {
		throw new NodeOperationError(node, `Remote records have no "${resource.idField}" field`, {
			description: `The ID Field must name the field that holds each record's ID. Fields seen: ${Object.keys(records[0]).join(', ')}.`,
		});
	}
	return records;
}
