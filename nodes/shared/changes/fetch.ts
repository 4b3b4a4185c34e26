/**
 * Reading a change feed: the requests of one run, over the transport's `paginate()`.
 *
 * INVARIANT — the state is never ahead of the data. `fetchChanges` reads everything first and
 * only then computes `nextState`, which describes exactly the records it returns plus those
 * emitted by earlier runs. It never writes static data itself: `runChangeFeed` (feed.ts) stores
 * `nextState` after the run succeeded, right before the records are handed to n8n. Any error
 * while reading (an API error on page 7, an endless-paging guard) is thrown before a state
 * exists, so the stored state stays where it was and the next run reads the same records again:
 * at least once, never lost. Tested in test/integration/getChanges.test.ts and trigger.test.ts
 * ("an API error mid-paging"), and end to end in test/e2e/changes.e2e.test.ts.
 */
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

import { MAX_CONFIRMING_READS, readAllRecords, SHIFTING_STYLES } from '../pagination';
import type { ResolvedResource } from '../resources';
import type { ApiClient, ApiRequest } from '../transport';
import { compareCursors, lookbackStart, toCursorValue, type CursorValue } from './cursor';
import { planCursorRun, planHashRun } from './plan';
import { ChangeTrackingError, readState, STATE_VERSION, type ChangeState, type DetectionMode } from './state';

export type FirstRun = 'now' | 'all' | 'from';

/** Everything a run needs to know, read and checked from the node parameters (see `description.ts`). */
export interface ChangeFeedSettings {
	resource: ResolvedResource;
	mode: DetectionMode;
	/** Cursor mode: the field changes are ordered by. */
	cursorField?: string;
	/**
	 * The API filters with `filter=<field>>=<value>` and sorts with `sort=[-]<field>`
	 * (EenvoudigFactureren); otherwise every page is read and filtered here.
	 */
	serverQuery: boolean;
	firstRun: FirstRun;
	/** First run "from": the cursor value to start at (inclusive). */
	startFrom?: CursorValue;
	lookbackSeconds: number;
	emitDeletions: boolean;
	/** Records in a manual run's sample. */
	sampleSize: number;
	/** Per-request headers, e.g. X-AccountId. */
	headers?: Record<string, string>;
	/** List pages read at once (offset and page-number paging). */
	readConcurrency?: number;
	/** Fingerprint of the settings that define the feed (see `settingsFingerprint`). */
	fingerprint: string;
}

export interface ChangeRun {
	/** New and changed records (and deletions, when asked), to emit in this order. */
	records: IDataObject[];
	/** The state to store once `records` are handed on. */
	nextState: ChangeState;
	/** Records read from the API in this run. */
	read: number;
}

/**
 * Reads what changed since `stored` (or, without a stored state, what the First Run setting
 * asks for) and returns the records to emit with the state that follows them.
 * Throws `NodeApiError` for HTTP failures and `NodeOperationError` for settings or data the
 * user must fix; in both cases no state is produced (see the invariant at the top).
 */
export async function fetchChanges(
	client: ApiClient,
	node: INode,
	settings: ChangeFeedSettings,
	stored: ChangeState | undefined,
): Promise<ChangeRun> {
	try {
		return settings.mode === 'hash'
			? await hashRun(client, node, settings, stored)
			: await cursorRun(client, node, settings, stored);
	} catch (error) {
		throw asNodeError(node, error);
	}
}

/**
 * The latest `sampleSize` records (by cursor, or by ID in content-hash mode where the API can
 * sort; otherwise the first ones listed): what a manual run shows so the next nodes can be set
 * up. Reads no state and produces none.
 */
export async function fetchSample(client: ApiClient, node: INode, settings: ChangeFeedSettings): Promise<IDataObject[]> {
	const size = settings.sampleSize;
	const sortField = settings.mode === 'cursor' ? settings.cursorField : settings.resource.idField;
	if (settings.serverQuery && sortField) {
		const latest = await readFirst(client, node, settings, { sort: `-${sortField}` }, size);
		return settings.mode === 'cursor' ? newestFirst(latest, sortField).slice(0, size) : latest;
	}
	if (settings.mode === 'hash' || !sortField) return await readFirst(client, node, settings, {}, size);
	return newestFirst(await readAll(client, node, settings, {}), sortField).slice(0, size);
}

/** Reads the stored state for these settings; a node error when it cannot be trusted. */
export function readStoredState(node: INode, raw: unknown, settings: ChangeFeedSettings): ChangeState | undefined {
	try {
		const state = readState(raw, settings.fingerprint);
		return state?.mode === settings.mode ? state : undefined;
	} catch (error) {
		throw asNodeError(node, error);
	}
}

async function cursorRun(
	client: ApiClient,
	node: INode,
	settings: ChangeFeedSettings,
	stored: ChangeState | undefined,
): Promise<ChangeRun> {
	const field = settings.cursorField as string;
	let from: CursorValue | undefined;
	let emit = true;
	if (stored) {
		from = stored.from;
	} else if (settings.firstRun === 'from') {
		from = settings.startFrom;
	} else if (settings.firstRun === 'now') {
		// Remember what exists, emit nothing. Where the API sorts, only the newest records are read.
		emit = false;
		if (settings.serverQuery) {
			const [newest] = await readFirst(client, node, settings, { sort: `-${field}` }, 1);
			const value = newest ? toCursorValue(newest[field]) : undefined;
			if (value !== undefined) from = lookbackStart(value, settings.lookbackSeconds);
		}
	}
	// No sort parameter: with offset paging, sorting by a field that changes on edit would move
	// an edited record to the end while the pages are read and shift an unread record onto a page
	// already read. The API's own order (by ID) only grows at the end; the plan sorts afterwards.
	// A comma would split the filter into two conditions: such a value is filtered here instead.
	const filterable = settings.serverQuery && from !== undefined && !String(from).includes(',');
	const query: IDataObject = filterable ? { filter: `${field}>=${String(from)}` } : {};
	const records = await readAll(client, node, settings, query);
	const plan = planCursorRun({
		records,
		idField: settings.resource.idField,
		cursorField: field,
		from,
		previous: stored,
		lookbackSeconds: settings.lookbackSeconds,
		emit,
	});
	return {
		records: plan.changes,
		nextState: { v: STATE_VERSION, fp: settings.fingerprint, mode: 'cursor', from: plan.from, max: plan.max, seen: plan.seen },
		read: records.length,
	};
}

async function hashRun(
	client: ApiClient,
	node: INode,
	settings: ChangeFeedSettings,
	stored: ChangeState | undefined,
): Promise<ChangeRun> {
	let records = await readAll(client, node, settings, {});
	if (stored && SHIFTING_STYLES.has(settings.resource.pagination.style)) {
		records = await confirmVanished(records, async () => await readAll(client, node, settings, {}), settings.resource.idField, stored.seen);
	}
	const plan = planHashRun({
		records,
		idField: settings.resource.idField,
		previous: stored,
		emit: stored !== undefined || settings.firstRun === 'all',
		emitDeletions: settings.emitDeletions,
	});
	const nextState: ChangeState = { v: STATE_VERSION, fp: settings.fingerprint, mode: 'hash', seen: plan.seen };
	if (plan.numericIds !== undefined) nextState.numericIds = plan.numericIds;
	return { records: plan.changes, nextState, read: records.length };
}

/**
 * Page-number and link paging cannot see a listing shift while it is read (`SHIFTING_STYLES`): a record deleted
 * before page 2 is read moves a record of page 2 onto page 1, already read, and that record looks deleted (with Emit
 * Deletions a false `_deleted`; without, it leaves the state and comes back later as a false change). So when
 * records the state remembers are missing, the listing is read again and the reads merged by ID (the later read
 * wins): a record counts as gone only when two reads in a row miss it. When the second read misses records the
 * first had (deleted between the reads, or shifted out of the second), it is read once more, at most
 * `MAX_CONFIRMING_READS` times; a record missed by one read only stays remembered and is looked at again next run.
 * Costs a read only when something looks deleted. Records without a usable ID are left to `planHashRun` (an error).
 */
async function confirmVanished(
	first: IDataObject[],
	read: () => Promise<IDataObject[]>,
	idField: string,
	remembered: Record<string, string>,
): Promise<IDataObject[]> {
	const keyOf = (record: IDataObject) => {
		const id = record[idField];
		return (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id !== '') ? String(id) : undefined;
	};
	const missing = (records: IDataObject[]) => {
		const present = new Set(records.map(keyOf));
		return new Set(Object.keys(remembered).filter((key) => !present.has(key)));
	};
	if (first.some((record) => keyOf(record) === undefined)) return first;
	let missedBefore = missing(first);
	if (missedBefore.size === 0) return first;
	const merged = new Map(first.map((record) => [keyOf(record) as string, record]));
	for (let reads = 1; ; reads++) {
		const again = await read();
		if (again.some((record) => keyOf(record) === undefined)) return again;
		for (const record of again) merged.set(keyOf(record) as string, record);
		const missedNow = missing(again);
		const newlyMissed = [...missedNow].some((key) => !missedBefore.has(key));
		if (!newlyMissed || reads >= MAX_CONFIRMING_READS) {
			// Gone: missed by the last two reads. Everything else read in any of them is there.
			for (const key of missedNow) if (missedBefore.has(key)) merged.delete(key);
			return [...merged.values()];
		}
		missedBefore = missedNow;
	}
}

function listRequest(settings: ChangeFeedSettings, query: IDataObject): ApiRequest {
	return { method: 'GET', path: settings.resource.path, query, headers: settings.headers };
}

async function readAll(client: ApiClient, node: INode, settings: ChangeFeedSettings, query: IDataObject): Promise<IDataObject[]> {
	return await readAllRecords(client, node, listRequest(settings, query), settings.resource.pagination, { concurrency: settings.readConcurrency });
}

/** The first `count` records of a listing, asking for pages of that size where the paging style allows. */
async function readFirst(
	client: ApiClient,
	node: INode,
	settings: ChangeFeedSettings,
	query: IDataObject,
	count: number,
): Promise<IDataObject[]> {
	const pagination = { ...settings.resource.pagination };
	if (pagination.style === 'offset' || pagination.style === 'page') pagination.pageSize = Math.min(pagination.pageSize, count);
	return await readAllRecords(client, node, listRequest(settings, query), pagination, { limit: count, concurrency: settings.readConcurrency });
}

function newestFirst(records: IDataObject[], field: string): IDataObject[] {
	const placed = records.filter((record) => toCursorValue(record[field]) !== undefined);
	return placed.sort((a, b) => compareCursors(toCursorValue(b[field]) as CursorValue, toCursorValue(a[field]) as CursorValue));
}

function asNodeError(node: INode, error: unknown): Error {
	if (error instanceof ChangeTrackingError) {
		return new NodeOperationError(node, error.message, { description: error.description });
	}
	return error as Error;
}
