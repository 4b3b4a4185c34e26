/**
 * Skip Unchanged Input, the doing part: from the state (`skipUnchanged.ts`) to a plan that reads only what it
 * must, and after the writes, the state that follows them. Anything the state cannot vouch for makes the run
 * compare in full instead, decided before anything is written.
 */
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

import { answeredRecord, plainRecord, recordPathOf, wireFormatOf } from '../../shared/recordShape';
import type { ApiClient } from '../../shared/transport';
import { wrongRecordUrlReason, type ApplySettings, type Outcome } from './apply';
import { matchKeyOf, matchValuesOf } from './compare';
import { doubtfulInput, emptyPlan, planSync, type PlannedDelete, type PlanSettings, type SourceRecord, type SyncPlan } from './plan';
import { runPool } from './schedule';
import {
	formatHours,
	fullCheckDue,
	keyDigest,
	lookupFilter,
	mirrorCandidates,
	readSkipState,
	recordDigest,
	triageInput,
	UNREAD_UPDATE_NOTE,
	type FullCheckSchedule,
	type ItemDigests,
	type SkipState,
} from './skipUnchanged';

/** What the node passes to a Sync run that has Skip Unchanged Input on. */
export interface SkipOptions {
	/** The stored state (workflow static data), as found. */
	stored: unknown;
	fingerprint: string;
	now: number;
	schedule: FullCheckSchedule;
	/** Why n8n keeps no state for this run (a manual run): it then compares in full and keeps nothing. */
	noStaticData?: string;
}

/** Reads the remote records with these `fields=` and query parameters (all pages). */
export type ReadRecords = (fields: string | undefined, query: Record<string, string>) => Promise<IDataObject[]>;

export interface SkipContext {
	client: ApiClient;
	node: INode;
	skip: SkipOptions;
	settings: PlanSettings & { dryRun: boolean; maxDeletes: number; removeOverlapDuplicates: boolean };
	sources: SourceRecord[];
	apply: ApplySettings;
	/** The compared fields (`fields=`), as the full read asks for them. */
	readFields: string | undefined;
	readRecords: ReadRecords;
	/** The IDs of the full read `replanVanished` made, when it made one: the overlap check reads only the gaps after them. */
	replanReadIds?: unknown[];
}

/** A run that compares only what changed. */
export interface SkippingRun {
	kind: 'skip';
	previous: SkipState;
	plan: SyncPlan;
	digests: Map<number, ItemDigests>;
	/** Items updated by their remembered id without a read. */
	unread: Set<number>;
	/** Items not compared at all. */
	skipped: number;
	lookups: number;
	/** Key digests of remembered records found gone (or without a key) when Mirror read them: forgotten. */
	forget: string[];
}

/** A run that compares everything (reads the remote side in full), and why. */
export interface FullRun {
	kind: 'full';
	why: string;
	/** False when nothing is stored after it (a manual run or a dry run). */
	keepsState: boolean;
	/** The state the run found, when there was one. */
	previous?: SkipState;
}

/**
 * Decides how this run compares, and when it can skip, plans it: unchanged items are left out, changed items with a
 * remembered id are updated by that id, keys never seen are looked up by key (EenvoudigFactureren `filter=`), and
 * Mirror's deletions come from the remembered keys, each read once by id before it is deleted.
 */
export async function planSkippingUnchanged(ctx: SkipContext): Promise<SkippingRun | FullRun> {
	const { skip, settings, sources } = ctx;
	if (skip.noStaticData) return { kind: 'full', why: skip.noStaticData, keepsState: false };
	if (settings.dryRun) return { kind: 'full', why: 'a dry run compares every item and keeps no state', keepsState: false };
	const read = readSkipState(skip.stored, skip.fingerprint);
	if (!read.state) return { kind: 'full', why: read.why, keepsState: true };
	const previous = read.state;
	const full = (why: string): FullRun => ({ kind: 'full', why, keepsState: true, previous });
	const mirror = settings.mode === 'mirror';
	const due = fullCheckDue(previous, skip.schedule, skip.now, mirror);
	if (due) return full(due);

	const triage = triageInput(sources, previous, settings);
	const plan = emptyPlan();
	plan.failures.push(...triage.failures);
	plan.unchanged.push(...triage.unchanged);
	plan.updates.push(...triage.unreadUpdates);

	// Keys never seen: looked up one by one where the API filters on the match fields, and that costs less than a full read.
	let lookups = 0;
	const forget: string[] = [];
	if (triage.unknown.length > 0) {
		const filters = ctx.apply.resource.efListParameters ? triage.unknown.map((s) => lookupFilter(s.record, settings)) : [];
		const n = triage.unknown.length;
		const some = `${n} input item${n === 1 ? '' : 's'} with a key not remembered`;
		if (filters.length === 0 || filters.some((f) => f === undefined)) {
			return full(`${some}, and ${ctx.apply.resource.efListParameters ? 'a lookup by key could miss a matching record (case-insensitive matching, or a value a filter cannot carry exactly)' : 'this API has no known filter to look them up by key'}`);
		}
		const fullReadCost = Math.floor(previous.n / ctx.apply.resource.pagination.pageSize) + 1;
		if (n >= fullReadCost) return full(`${some}: looking them up would take at least as many requests as reading everything`);
		const found = await runPool(filters as string[], ctx.apply.concurrency, async (filter) => await ctx.readRecords(ctx.readFields, { filter }));
		// A lookup that finds the record proves it is there. One that finds nothing proves nothing: the API's filter
		// compares the text it holds exactly, while this node matches after trimming and Unicode normalisation, and
		// date-times by their instant — a record written "WS-9 ", decomposed, or in another time zone would be missed and
		// duplicated. Only the full comparison can say a key is new, so it decides before anything is created.
		const missed = found.filter((records) => records.length === 0).length;
		if (missed > 0) {
			return full(
				`${some}, and the lookup by key found no remote record for ${missed === n ? (n === 1 ? 'it' : 'any of them') : `${missed} of them`}: only a full comparison can tell a new key from one the remote side holds written otherwise (blanks, another Unicode form or time zone)`,
			);
		}
		lookups = n;
		const byId = new Map<string, IDataObject>();
		for (const record of found.flat()) byId.set(String(record[settings.idField]), record);
		const sub = planSync(triage.unknown, [...byId.values()], { ...settings, mode: mirror ? 'upsert' : settings.mode });
		// What the lookups found does not match an item by this node's rules: nothing proves that key absent either.
		if (sub.creates.length > 0) return full(`${some}, and what the lookup by key found does not match ${sub.creates.length} of them: compared in full before creating`);
		plan.creates.push(...sub.creates);
		plan.updates.push(...sub.updates);
		plan.unchanged.push(...sub.unchanged);
		plan.failures.push(...sub.failures);
	}

	if (mirror) {
		const candidates = mirrorCandidates(previous, triage.inputKeys);
		const withheld = doubtfulInput(plan, triage.input.keys, settings);
		if (withheld !== undefined) {
			if (candidates.length > 0) plan.deletesWithheld = { count: candidates.length, reason: withheld };
		} else if (candidates.length > settings.maxDeletes) {
			return full(`Mirror would delete up to ${candidates.length} remembered records, more than Max Deletes: compared in full to count them exactly`);
		} else {
			const verified = await verifyMirrorDeletes(ctx, candidates, triage.input.index, forget);
			if (!Array.isArray(verified)) return full(verified.full);
			plan.deletes = verified;
		}
	}
	return {
		kind: 'skip',
		previous,
		plan,
		digests: triage.digests,
		unread: new Set(triage.unreadUpdates.map((u) => u.itemIndex)),
		skipped: triage.unchanged.length,
		lookups,
		forget,
	};
}

/** Why a skipping Mirror run compares in full after reading its delete candidates, instead of deleting from them. */
type VerifyFallback = { full: string };

/** Statuses that say a record is not there (any more): 404 Not Found, 410 Gone. */
const GONE_STATUSES = [404, 410];

/**
 * Reads each remembered record Mirror would delete, by id, as the Get operation and the sync reads do: its Record
 * Path (`/customers/{id}.json`), the Fields query (`properties=`), the Accept type, and its record shape (`{customer:
 * …}`, `{id, properties}`, JSON:API `data.attributes`, Airtable `fields`) turned into a plain record before its key is
 * taken. Only a 404 or 410 means gone (forgotten, nothing to delete). A record whose key is now in the input, or
 * that now has no key, makes the run compare in full; so does a read the API refused (403, or a failure after the
 * retries), which a full comparison settles from the listing. A 200 answer that is not a record of this shape is an
 * error saying what to check: never "gone".
 */
async function verifyMirrorDeletes(
	ctx: SkipContext,
	candidates: Array<{ key: string; remoteId: string | number }>,
	inputIndex: ReturnType<typeof triageInput>['input']['index'],
	forget: string[],
): Promise<PlannedDelete[] | VerifyFallback> {
	const { client, apply, settings } = ctx;
	const { resource } = apply;
	const fields = resource.shape.fieldsParam && ctx.readFields ? { [resource.shape.fieldsParam]: ctx.readFields } : undefined;
	let refused: string | undefined;
	const records = await runPool(candidates, apply.concurrency, async ({ remoteId }) => {
		if (refused !== undefined) return undefined;
		await apply.limiter.acquire();
		let response: { status: number; body: unknown };
		try {
			response = await client.request<unknown>({
				method: 'GET',
				path: recordPathOf(resource.path, resource.shape, remoteId),
				query: fields,
				headers: apply.headers,
				accept: wireFormatOf(resource.shape).accept,
				allowStatuses: GONE_STATUSES,
			});
		} catch (error) {
			refused ??= `reading remembered record ${settings.idField} ${String(remoteId)} before deleting it failed (${(error as Error).message})`;
			return undefined;
		}
		if (GONE_STATUSES.includes(response.status)) return 'gone' as const;
		return readOneRecord(ctx, response.body, remoteId);
	});
	if (refused !== undefined) return { full: `${refused}: compared in full instead, where the listing decides` };
	const deletes: PlannedDelete[] = [];
	for (const [i, record] of records.entries()) {
		if (record === 'gone') {
			// Gone already: nothing to delete, nothing to remember.
			forget.push(candidates[i].key);
			continue;
		}
		const key = matchKeyOf(record!, settings);
		// Now without a key: Mirror leaves such a record alone, but only a full comparison can tell that from a record
		// read otherwise than it is listed.
		if (key === undefined) return { full: `remembered record ${settings.idField} ${String(candidates[i].remoteId)} now has no ${settings.matchFields.join(' + ')}` };
		if (inputIndex.find(key).length > 0) return { full: 'a record to delete now has a key that is in the input (changed in the remote system)' };
		deletes.push({ match: matchValuesOf(record!, settings.matchFields), remoteId: candidates[i].remoteId, remote: record! });
	}
	return deletes;
}

/** One record as the API answered it by ID, as a plain record; an answer that is not one is an error saying what to check. */
function readOneRecord(ctx: SkipContext, body: unknown, remoteId: string | number): IDataObject {
	const { resource } = ctx.apply;
	const { idField } = ctx.settings;
	const answered = answeredRecord(body, resource.shape, idField);
	const plain = answered ? plainRecord(answered, resource.shape, idField) : undefined;
	const id = plain?.[idField];
	if (!plain || (id !== undefined && id !== null && String(id) !== String(remoteId))) {
		const seen = body && typeof body === 'object' ? Object.keys(body).slice(0, 20).join(', ') || 'none' : typeof body;
		throw new NodeOperationError(
			ctx.node,
			`Remembered record ${idField} ${String(remoteId)} could not be read before Mirror deletes it: the answer to ${recordPathOf(resource.path, resource.shape, remoteId)} is not that record${
				resource.shape.fieldsPath ? ` with its fields in "${resource.shape.fieldsPath}"` : ''
			}`,
			{
				description: `Skip Unchanged Input reads each record Mirror would delete by its ID first; nothing was deleted or written. Fields seen: ${seen}. Check the Record Path (where one record is, e.g. /customers/{id}.json) and the Fields Path. Until then, set Sync Options → Full Check Every N Runs to 1 (every run compares in full and deletes from the listing) or switch Skip Unchanged Input off.`,
			},
		);
	}
	return { ...plain, [idField]: id ?? remoteId };
}

/**
 * Updates sent without a read name no previous values: their changes are `{ to }`, with a note saying why. One the
 * API answered 404 is settled by looking its key up (`replanVanished`), not by re-reading everything.
 */
export function describeUnreadUpdates(outcomes: Outcome[], unread: ReadonlySet<number>): Outcome[] {
	if (unread.size === 0) return outcomes;
	return outcomes.map((o) => {
		if (o.kind === 'failed' && o.stage === 'update' && o.notFound && o.itemIndex !== undefined && unread.has(o.itemIndex)) return { ...o, uncertain: false };
		if (o.kind !== 'updated' || !unread.has(o.itemIndex)) return o;
		const changes: IDataObject = {};
		for (const [field, change] of Object.entries(o.changes)) changes[field] = { to: (change as IDataObject).to };
		return { ...o, changes, note: UNREAD_UPDATE_NOTE };
	});
}

/**
 * An update sent by a remembered id that the API answered 404: the record was deleted in the remote system since.
 * Those items are planned again against the remote side (looked up by key, or read in full), so Upsert creates the
 * record again and Update Only reports that nothing matches — as a run without the state would have done.
 */
export async function replanVanished(
	ctx: SkipContext,
	outcomes: Outcome[],
	unread: ReadonlySet<number>,
	apply: (plan: SyncPlan) => Promise<Outcome[]>,
): Promise<Outcome[]> {
	const vanished = outcomes.filter((o) => o.kind === 'failed' && o.stage === 'update' && o.httpCode === '404' && o.itemIndex !== undefined && unread.has(o.itemIndex));
	if (vanished.length === 0) return outcomes;
	const items = new Set(vanished.map((o) => (o as { itemIndex: number }).itemIndex));
	const sources = ctx.sources.filter((s) => items.has(s.itemIndex));
	const { settings } = ctx;
	let remote: IDataObject[];
	try {
		const filters = ctx.apply.resource.efListParameters ? sources.map((s) => lookupFilter(s.record, settings)) : [];
		const found =
			filters.length === sources.length && filters.every((f) => f !== undefined)
				? await runPool(filters as string[], ctx.apply.concurrency, async (filter) => await ctx.readRecords(ctx.readFields, { filter }))
				: undefined;
		// A key the lookup did not find is confirmed absent by a full read before it is created (see planSkippingUnchanged).
		if (found && found.every((records) => records.length > 0)) {
			remote = found.flat();
		} else {
			remote = await ctx.readRecords(ctx.readFields, {});
			ctx.replanReadIds = remote.map((record) => record[settings.idField]);
		}
	} catch (error) {
		const why = (error as Error).message;
		return outcomes.map((o) =>
			vanished.includes(o) ? { ...o, reason: `${(o as { reason: string }).reason}; reading the remote records to plan it again failed: ${why}` } : o,
		);
	}
	const plan = planSync(sources, remote, { ...settings, mode: settings.mode === 'mirror' ? 'upsert' : settings.mode });
	// The remembered record is still there under its key: the 404 came from a URL that does not lead to it.
	const remembered = new Map(vanished.map((o) => [(o as { itemIndex: number }).itemIndex, o as Extract<Outcome, { kind: 'failed' }>]));
	const wrongUrl: Outcome[] = [];
	plan.updates = plan.updates.filter((u) => {
		const failed = remembered.get(u.itemIndex)!;
		if (String(u.remoteId) !== String((failed.entry as { remoteId?: unknown }).remoteId)) return true;
		wrongUrl.push({ ...failed, reason: wrongRecordUrlReason(settings.idField, u.remoteId, 'update', failed.reason), uncertain: false, notFound: false });
		return false;
	});
	const replanned = [
		...wrongUrl,
		...(await apply({ ...plan, unchanged: [], failures: [] })),
		...plan.unchanged.map((u): Outcome => ({ kind: 'unchanged', itemIndex: u.itemIndex, match: u.match, remoteId: u.remoteId, note: u.note })),
		...plan.failures.map(
			(f): Outcome => ({ kind: 'failed', itemIndex: f.itemIndex, match: f.match, stage: 'update', reason: f.reason, uncertain: false, entry: { ...f, record: {} } }),
		),
	];
	return [...outcomes.filter((o) => !vanished.includes(o)), ...replanned];
}

/**
 * The overlap check of a skipping run. Its creates come only from items re-planned after a 404 (a key the lookup did
 * not find is confirmed by a full comparison, which has its own check), so this is rare: one read of every record's ID
 * and match fields, matched with this node's rules. A lookup by key would miss another writer's record whose key the
 * API holds written otherwise (blanks, another Unicode form or time zone), which the old full re-read caught.
 */
export async function readOverlapByKey(ctx: SkipContext, outcomes: Outcome[]): Promise<IDataObject[]> {
	if (!outcomes.some((o) => o.kind === 'created' && o.remoteId !== null && o.remoteId !== undefined)) return [];
	const fields = ctx.apply.resource.shape.fieldsParam ? [ctx.settings.idField, ...ctx.settings.matchFields].join(',') : undefined;
	return await ctx.readRecords(fields, {});
}

/** The digests of every input item with a usable match key (a full comparison's next state is built from them). */
export function digestsOf(sources: SourceRecord[], settings: PlanSettings): Map<number, ItemDigests> {
	const ignore = new Set([...settings.ignoreFields, settings.idField]);
	const digests = new Map<number, ItemDigests>();
	for (const { itemIndex, record, mappingError } of sources) {
		if (mappingError !== undefined) continue;
		const key = matchKeyOf(record, settings);
		if (key) digests.set(itemIndex, { key: keyDigest(key), record: recordDigest(record, ignore) });
	}
	return digests;
}

/** The sentence the run summary gets about Skip Unchanged Input. */
export function skipSummary(run: SkippingRun | FullRun, schedule: FullCheckSchedule, now: number, next?: SkipState): string {
	const when = (at: number) => `${new Date(at).toISOString().replace(/\.\d+Z$/, 'Z')} (${formatHours(now - at)} ago)`;
	const upcoming = (state: SkipState) => {
		const parts: string[] = [];
		if (schedule.everyHours > 0) parts.push(`after ${new Date(state.at + schedule.everyHours * 3_600_000).toISOString().replace(/\.\d+Z$/, 'Z')}`);
		const left = Math.max(1, schedule.everyRuns - state.runs);
		if (schedule.everyRuns > 0) parts.push(`at the latest in ${left} run${left === 1 ? '' : 's'}`);
		return parts.length ? `; next full check ${parts.join(' or ')}` : '';
	};
	if (run.kind === 'skip') {
		const { skipped, lookups, unread } = run;
		const extra = [
			unread.size > 0 ? `${unread.size} changed item${unread.size === 1 ? '' : 's'} updated by remembered id without a read` : '',
			lookups > 0 ? `${lookups} new key${lookups === 1 ? '' : 's'} looked up` : '',
		].filter(Boolean);
		return `Skip Unchanged Input: ${skipped} item${skipped === 1 ? '' : 's'} unchanged since the last run not compared${extra.length ? `, ${extra.join(', ')}` : ''}; last full check ${when(run.previous.at)}${next ? upcoming(next) : ''}`;
	}
	const last = run.previous ? `; the previous full check was ${when(run.previous.at)}` : '';
	if (!run.keepsState) return `Skip Unchanged Input: every item compared — ${run.why}${last}`;
	return `Skip Unchanged Input: full check, every item compared — ${run.why}${last}${next ? upcoming(next) : ''}`;
}
