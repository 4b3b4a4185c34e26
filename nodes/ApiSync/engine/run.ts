import { NodeOperationError, type IDataObject, type INode, type INodeExecutionData, type IPairedItemData } from 'n8n-workflow';

import { MAX_CONFIRMING_READS, readAllRecords, SHIFTING_STYLES } from '../../shared/pagination';
import { plainRecords, wireFormatOf } from '../../shared/recordShape';
import type { ResolvedResource } from '../../shared/resources';
import type { ApiClient } from '../../shared/transport';
import { applyPlan, type ApplySettings, type FailedOutcome, type Outcome } from './apply';
import { outcomeOutputs, planOutputs, summarise } from './outputs';
import { matchValuesOf } from './compare';
import { findOwnDuplicates, overlapCheckFilters, type CreatedOutcome } from './overlap';
import { fieldsThePlanUses, keepPlanFields } from './planFields';
import { emptyPlan, planSync, type PlanSettings, type SourceRecord, type SyncPlan } from './plan';
import { asCreated, settleAfterReread } from './reconcile';
import { RateLimiter, runPool, WaitLog } from './schedule';
import {
	describeUnreadUpdates,
	digestsOf,
	planSkippingUnchanged,
	readOverlapByKey,
	replanVanished,
	skipSummary,
	type SkipContext,
	type SkipOptions,
} from './skipRun';
import { nextSkipState, type SkipState } from './skipUnchanged';

/** Re-reads after uncertain writes (network errors, 5xx): each one re-plans only those records. */
export const MAX_RECONCILE_ROUNDS = 3;
export const BULK_SIZE = 100;

export interface SyncSettings extends PlanSettings {
	dryRun: boolean;
	maxDeletes: number;
	/**
	 * After creating records, read once more and give up this run's records that another writer created at
	 * the same time (see `findOwnDuplicates`).
	 */
	removeOverlapDuplicates: boolean;
}

export interface SyncRun {
	/** Skip Unchanged Input on: what the node remembered, and when to compare in full. */
	skip?: SkipOptions;
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
	/** Skip Unchanged Input: the state to store for the next run; undefined to leave the stored one as it is. */
	skipState?: SkipState;
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
		const planFields = fieldsThePlanUses(sources, settings, resource);
		const read = async () => keepPlanFields(await readRemote(client, node, resource, readFields, applySettings, {}), planFields);
		const skipContext = run.skip ? skipContextOf(run, applySettings, readFields) : undefined;
		const skipping = skipContext ? await planSkippingUnchanged(skipContext) : undefined;

		let firstRead: FirstRead | undefined;
		let plan: SyncPlan;
		if (skipping?.kind === 'skip') {
			plan = skipping.plan;
		} else {
			const confirmed = await confirmAbsent(await read(), read, sources, settings, resource, node);
			plan = confirmed.plan;
			// Past the plan only the ids are needed (and, for Mirror's state, the records): the rest can go.
			firstRead = summariseRead(confirmed.remote, settings, skipping !== undefined);
		}
		const overMaxDeletes = plan.deletes.length > settings.maxDeletes;
		if (overMaxDeletes && !settings.dryRun) {
			throw new NodeOperationError(node, `${maxDeletesReason(plan.deletes.length, settings.maxDeletes)}. Nothing was written.`, {
				description: `${MAX_DELETES_ADVICE} Run with Dry Run to see the plan, then raise Max Deletes if the deletions are intended.`,
			});
		}
		// The dry run shows the plan, and says that the real run would not carry it out.
		const stopReason = overMaxDeletes
			? `The real run would stop before writing anything (no create, update or delete): ${maxDeletesReason(plan.deletes.length, settings.maxDeletes)}.`
			: undefined;
		const stopNote = stopReason && `${stopReason} ${MAX_DELETES_ADVICE} Raise Max Deletes if the deletions are intended.`;

		const allItems: IPairedItemData[] = sources.map(({ itemIndex: item }) => ({ item }));
		let outputs: INodeExecutionData[][];
		let outputsOutcomes: Outcome[] = [];
		let overlaps = 0;
		let overlapCheckFailed: string | undefined;
		if (settings.dryRun) {
			outputs = planOutputs(plan, allItems, stopReason);
		} else {
			let outcomes = await applyPlan(client, { ...plan, failures: [] }, applySettings);
			if (skipping?.kind === 'skip') outcomes = describeUnreadUpdates(outcomes, skipping.unread);
			outcomes = await reconcile(outcomes, sources, settings, read, client, applySettings);
			if (skipping?.kind === 'skip') {
				outcomes = await replanVanished(skipContext!, outcomes, skipping.unread, async (replan) =>
					await reconcile(await applyPlan(client, replan, applySettings), sources, settings, read, client, applySettings),
				);
			}
			// Only records whose id the API returned can be told apart from another run's.
			if (settings.removeOverlapDuplicates && outcomes.some((o) => o.kind === 'created' && o.remoteId !== null && o.remoteId !== undefined)) {
				let remote: IDataObject[] | undefined;
				try {
					const readIds = firstRead?.ids ?? skipContext?.replanReadIds;
					remote = readIds ? await readOverlapCandidates(run, readIds, outcomes, applySettings) : await readOverlapByKey(skipContext!, outcomes);
				} catch (error) {
					// What was written stays reported; only the check is missing, and the summary says so.
					overlapCheckFailed = (error as Error).message;
				}
				if (remote && remote.length > 0) ({ outcomes, overlaps } = await removeOverlapDuplicates(outcomes, sources, settings, remote, client, applySettings));
			}
			outputs = outcomeOutputs(plan, outcomes, allItems);
			outputsOutcomes = outcomes;
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
			overlaps,
		);
		let skipState: SkipState | undefined;
		let skipNote = '';
		if (skipping && run.skip) {
			if (skipping.kind === 'skip' || skipping.keepsState) {
				skipState = nextSkipState({
					previous: skipping.kind === 'skip' ? skipping.previous : undefined,
					fingerprint: run.skip.fingerprint,
					now: run.skip.now,
					settings,
					fullRead: firstRead?.records,
					fullReadCount: firstRead?.ids.length,
					digests: skipping.kind === 'skip' ? skipping.digests : digestsOf(sources, settings),
					plan,
					outcomes: outputsOutcomes,
					forget: skipping.kind === 'skip' ? skipping.forget : undefined,
				});
			}
			skipNote = ` · ${skipSummary(skipping, run.skip.schedule, run.skip.now, skipState)}`;
		}
		const checkNote = overlapCheckFailed
			? ` · the check for records created meanwhile by another run or system could not read the remote records (${overlapCheckFailed}); a later run lists any duplicate under Failed`
			: '';
		return {
			outputs,
			summary: summary + checkNote + (stopNote ? ` · ${stopNote}` : '') + skipNote,
			warning:
				outputs[4].length > 0 ||
				plan.deletesWithheld !== undefined ||
				overlaps > 0 ||
				overlapCheckFailed !== undefined ||
				stopNote !== undefined,
			skipState,
		};
	} finally {
		stopTracking();
	}
}

/** What Skip Unchanged Input needs of this run. */
function skipContextOf(run: SyncRun, apply: ApplySettings, readFields: string | undefined): SkipContext {
	const { client, node, resource } = run;
	return {
		client,
		node,
		skip: run.skip!,
		settings: run.settings,
		sources: run.sources,
		apply,
		readFields,
		readRecords: async (fields, query) => await readRemote(client, node, resource, fields, apply, query),
	};
}

/**
 * What the overlap check compares this run's creates with: the records another writer may have created since the
 * first read, with ids and match values only (the few records kept are then read in full, one by one). Where the API
 * filters on the id (EenvoudigFactureren) only the id ranges such records can be in are read (`overlapCheckFilters`:
 * usually none or one request); elsewhere everything once more. This run's own records, known from the create
 * answers, are added from the outcomes when another writer's record was found, so they need not be read.
 */
async function readOverlapCandidates(run: SyncRun, firstReadIds: unknown[], outcomes: Outcome[], applySettings: ApplySettings): Promise<IDataObject[]> {
	const { client, node, resource, settings } = run;
	const created = outcomes.filter((o): o is CreatedOutcome => o.kind === 'created' && o.remoteId !== null && o.remoteId !== undefined);
	const filters = resource.efListParameters ? overlapCheckFilters(firstReadIds, created.map((o) => o.remoteId), resource.idField) : undefined;
	if (filters === undefined) return await readRemote(client, node, resource, undefined, applySettings, {});
	const checkFields = [resource.idField, ...settings.matchFields].join(',');
	const others: IDataObject[] = [];
	for (const filter of filters) {
		others.push(...(await readRemote(client, node, resource, checkFields, applySettings, filter === undefined ? {} : { filter })));
	}
	if (others.length === 0) return [];
	const ownIds = new Set(created.map((o) => String(o.remoteId)));
	const own = created.map((o) => ({ ...matchValuesOf(o.record, settings.matchFields), [resource.idField]: o.remoteId }) as IDataObject);
	return [...others.filter((record) => !ownIds.has(String(record[resource.idField]))), ...own];
}

const MAX_DELETES_ADVICE =
	'Check that the input holds every record (a failed or partial source step would look like mass deletion).';

function maxDeletesReason(deletes: number, maxDeletes: number): string {
	return `Mirror would delete ${deletes} remote records, more than Max Deletes (${maxDeletes})`;
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

/**
 * Two runs of one Sync that overlap (a schedule firing while the last run is still going, two workers)
 * both read before either writes, so both create the same new records. After its creates, a run reads
 * again and gives up each record of its own for which an older one with the same match values exists
 * (`findOwnDuplicates`): it deletes its record, then brings the kept one in line with its input (an
 * update, or nothing when equal). Reported as Updated or Unchanged with a note naming both ids; a
 * failed delete is reported as Failed with the id to remove by hand.
 */
async function removeOverlapDuplicates(
	outcomes: Outcome[],
	sources: SourceRecord[],
	settings: SyncSettings,
	remote: IDataObject[],
	client: ApiClient,
	applySettings: ApplySettings,
): Promise<{ outcomes: Outcome[]; overlaps: number }> {
	const found = findOwnDuplicates(outcomes, remote, settings);
	if (found.length === 0) return { outcomes, overlaps: 0 };
	const { idField } = settings;
	// Read each kept record in full where the check read only ids and match values (EenvoudigFactureren), and
	// make sure it still exists before giving up this run's record for it: if it is gone, this run's record stays.
	const fetched = await runPool(found, applySettings.concurrency, async (duplicate) => {
		if (!applySettings.resource.efListParameters) return duplicate;
		try {
			await applySettings.limiter.acquire();
			const path = `${applySettings.resource.path}/${encodeURIComponent(String(duplicate.keeper[idField]))}`;
			const response = await client.request<IDataObject>({ method: 'GET', path, headers: applySettings.headers });
			return response.body && typeof response.body === 'object' ? { ...duplicate, keeper: response.body } : undefined;
		} catch {
			return undefined;
		}
	});
	const duplicates = fetched.filter((d): d is NonNullable<typeof d> => d !== undefined);
	if (duplicates.length === 0) return { outcomes, overlaps: 0 };
	const deletes = await applyPlan(
		client,
		{ ...emptyPlan(), deletes: duplicates.map(({ ours }) => ({ match: ours.match, remoteId: ours.remoteId as string | number, remote: ours.record })) },
		applySettings,
	);
	const replaced = new Map<CreatedOutcome, Outcome>();
	const followUp = emptyPlan();
	const notes = new Map<number, string>();
	duplicates.forEach(({ ours, keeper }, i) => {
		const deleted = deletes[i];
		const keeperId = keeper[idField];
		if (deleted.kind === 'failed') {
			replaced.set(ours, {
				...deleted,
				itemIndex: ours.itemIndex,
				stage: 'create',
				uncertain: false,
				reason: `This run created ${idField} ${String(ours.remoteId)} while another run created the same record (${idField} ${String(keeperId)}); deleting this run's duplicate failed: ${deleted.reason}. Delete ${idField} ${String(ours.remoteId)} in the remote system.`,
			});
			return;
		}
		notes.set(
			ours.itemIndex,
			`Another run or system created this record meanwhile (${idField} ${String(keeperId)}); the duplicate this run had created (${idField} ${String(ours.remoteId)}) was deleted`,
		);
		// Against the kept record alone: it is what this run's input must now be written to.
		const source = sources.find((s) => s.itemIndex === ours.itemIndex)!;
		const plan = planSync([source], [keeper], { ...settings, mode: settings.mode === 'mirror' ? 'upsert' : settings.mode });
		if (plan.updates.length > 0) followUp.updates.push(...plan.updates);
		else replaced.set(ours, { kind: 'unchanged', itemIndex: ours.itemIndex, match: ours.match, remoteId: keeperId, note: notes.get(ours.itemIndex) });
	});
	const updated = await applyPlan(client, followUp, { ...applySettings, useBulk: false });
	for (const outcome of updated) {
		const ours = duplicates.find((d) => d.ours.itemIndex === (outcome as { itemIndex?: number }).itemIndex)!.ours;
		const note = notes.get(ours.itemIndex);
		if (outcome.kind === 'updated') replaced.set(ours, { ...outcome, note });
		else if (outcome.kind === 'failed') replaced.set(ours, { ...outcome, reason: `${note}; then updating the kept record failed: ${outcome.reason}` });
		else replaced.set(ours, outcome);
	}
	const overlaps = [...replaced.values()].filter((o) => o.kind !== 'failed' || o.stage !== 'create').length;
	return { outcomes: outcomes.map((o) => (o.kind === 'created' ? (replaced.get(o) ?? o) : o)), overlaps };
}

/** What a run keeps of its first read once the plan is made. */
interface FirstRead {
	ids: unknown[];
	/** Skip Unchanged Input in Mirror mode: the records, to remember every remote key. */
	records?: IDataObject[];
}

function summariseRead(records: IDataObject[], settings: SyncSettings, keepsState: boolean): FirstRead {
	return {
		ids: records.map((record) => record[settings.idField]),
		records: keepsState && settings.mode === 'mirror' ? records : undefined,
	};
}

/**
 * Issue 16.8, for the paging styles that cannot check themselves (`SHIFTING_STYLES`: page numbers, next links): a
 * record the read skipped because the pages shifted (someone deleted a record before it meanwhile) looks absent.
 * Before creating a record or reporting it missing (Update Only), the listing is read once more, the reads are
 * merged by ID (the later read wins) and the plan is made again. Another read follows only while the last one
 * resolved some of the input items believed absent (found the record for them); a read that resolves none
 * confirms the rest, whatever else it brings (records others add meanwhile match nothing the plan needs). Mirror
 * always reads twice: a record not in the input that shifted past the first read would otherwise not be deleted.
 * Costs one more full read when the plan has creates or missing records (Mirror: always), nothing otherwise; the
 * merged list and the read being merged are held at once (up to twice the remote records) while planning.
 */
async function confirmAbsent(
	first: IDataObject[],
	read: () => Promise<IDataObject[]>,
	sources: SourceRecord[],
	settings: SyncSettings,
	resource: ResolvedResource,
	node: INode,
): Promise<{ remote: IDataObject[]; plan: SyncPlan }> {
	if (!SHIFTING_STYLES.has(resource.pagination.style)) return { remote: first, plan: planSync(sources, first, settings) };
	let remote = mergeById([], first, settings.idField);
	let plan = planSync(sources, remote, settings);
	let absent = absentItems(plan);
	for (let reads = 0; absent.size > 0 || (settings.mode === 'mirror' && reads === 0); reads++) {
		const merged = mergeById(remote, await read(), settings.idField);
		const next = planSync(sources, merged, settings);
		const stillAbsent = absentItems(next);
		const resolved = [...absent.keys()].filter((item) => !stillAbsent.has(item));
		if (resolved.length > 0 && reads + 1 >= MAX_CONFIRMING_READS && stillAbsent.size > 0) {
			const named = resolved.slice(0, 5).map((item) => JSON.stringify(absent.get(item)));
			throw new NodeOperationError(
				node,
				`The remote list kept changing while it was read (${MAX_CONFIRMING_READS + 1} reads, each found records for input items the one before had missed, the last: ${named.join(', ')}${resolved.length > 5 ? ', …' : ''}). Nothing was written.`,
				{
					description:
						'Records are being deleted or added in the remote system right now, and page-number or next-link paging cannot read a consistent list while that happens. Run again later; where the API offers it, offset, cursor-token or last-record-ID paging avoid the problem.',
				},
			);
		}
		remote = merged;
		plan = next;
		// A read that found none of the records believed absent confirms them.
		if (resolved.length === 0) break;
		absent = stillAbsent;
	}
	return { remote, plan };
}

/** Input items the plan believes have no remote record (creates; Update Only: missing), with their match values. */
function absentItems(plan: SyncPlan): Map<number, IDataObject> {
	const items = new Map<number, IDataObject>();
	for (const create of plan.creates) items.set(create.itemIndex, create.match);
	for (const unchanged of plan.unchanged) if (unchanged.remoteId === null) items.set(unchanged.itemIndex, unchanged.match);
	return items;
}

/** Records of both lists, each ID once (the later read wins); records without an ID are kept from `later` only. */
function mergeById(earlier: IDataObject[], later: IDataObject[], idField: string): IDataObject[] {
	const byId = new Map<string, IDataObject>();
	const withoutId: IDataObject[] = [];
	for (const list of [earlier, later]) {
		for (const record of list) {
			const id = record[idField];
			if (id === undefined || id === null || id === '') {
				if (list === later) withoutId.push(record);
			} else byId.set(String(id as string | number), record);
		}
	}
	return [...byId.values(), ...withoutId];
}

/**
 * Where the API can be asked for some fields only (EenvoudigFactureren `fields=`, HubSpot `properties=`, the record
 * shape's `fieldsParam`): just what the plan compares. An ID beside an envelope comes anyway.
 */
function fieldsToRead(sources: SourceRecord[], settings: PlanSettings, resource: ResolvedResource): string | undefined {
	if (!resource.shape.fieldsParam) return undefined;
	const fields = new Set([...(resource.shape.fieldsPath ? [] : [resource.idField]), ...settings.matchFields]);
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
	extraQuery: Record<string, string>,
): Promise<IDataObject[]> {
	// Pages are read Concurrency at a time where the paging style allows (offset, page number); every request
	// still waits for the run's Max Requests per Second limiter.
	const raw = await readAllRecords(
		{
			...client,
			request: async (req) => {
				await applySettings.limiter.acquire();
				return await client.request(req);
			},
		},
		node,
		{
			method: 'GET',
			path: resource.path,
			query: { ...(fields ? { [resource.shape.fieldsParam]: fields } : {}), ...extraQuery },
			headers: applySettings.headers,
			accept: wireFormatOf(resource.shape).accept,
		},
		resource.pagination,
		{ concurrency: applySettings.concurrency },
	);
	// The API's records (as paging yields them) as the plain records the plan compares: fields out of their envelope.
	const records = plainRecords(raw, resource.shape, resource.idField, node);
	if (records.length > 0 && records[0][resource.idField] === undefined) {
		throw new NodeOperationError(node, `Remote records have no "${resource.idField}" field`, {
			description: `The ID Field must name the field that holds each record's ID. Fields seen: ${Object.keys(records[0]).join(', ')}.`,
		});
	}
	return records;
}
