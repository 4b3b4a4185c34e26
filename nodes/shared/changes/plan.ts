/**
 * Deciding what changed: pure functions from the records read in one run and the previous state
 * to the records to emit and the next state. No I/O here; `fetch.ts` does the reading.
 */
import type { IDataObject } from 'n8n-workflow';

import { compareCursors, laterCursor, lookbackStart, toCursorValue, type CursorValue } from './cursor';
import { contentHash } from './hash';
import { ChangeTrackingError, MAX_TRACKED_IDS, type ChangeState } from './state';

/** Field set on the item emitted for a deleted record (content-hash mode), next to its ID. */
export const DELETED_FLAG = '_deleted';

export interface CursorRunInput {
	/** Every record read in this run: all records with a cursor `>= from` (more are filtered out here). */
	records: IDataObject[];
	idField: string;
	cursorField: string;
	/** Lower bound (inclusive) this run read from; undefined when it read everything. */
	from?: CursorValue;
	/** What the previous runs remembered; undefined on the first run. */
	previous?: Pick<ChangeState, 'max' | 'seen'>;
	/** Seconds to keep re-reading before the highest cursor value, for records that show up late. */
	lookbackSeconds: number;
	/** False for a "start from now" first run: remember what exists, emit nothing. */
	emit: boolean;
	/** Default {@link MAX_TRACKED_IDS}. */
	maxTrackedIds?: number;
}

export interface CursorRunPlan {
	/** Records to emit, in cursor order (oldest change first). */
	changes: IDataObject[];
	/** Next state; see {@link ChangeState}. */
	from?: CursorValue;
	max?: CursorValue;
	seen: Record<string, string>;
}

/** Stands for the content in append-only feeds, where only the ID matters. */
const ID_ONLY = '=';

interface Row {
	key: string;
	record: IDataObject;
	cursor: CursorValue;
	hash: string;
}

/**
 * Cursor mode. A record is emitted when its ID is not among the records remembered at or after
 * the boundary, or its content hash differs (it changed again within the same cursor value).
 * With the ID field as cursor (append-only resources) only new IDs count.
 * The next run reads from the highest cursor value minus the lookback window (never from
 * earlier than this run did), and remembers every record at or after that point.
 *
 * Records without a cursor value cannot be placed in the order of changes and are skipped.
 * When more than `maxTrackedIds` records fall inside the window, the window is narrowed (whole
 * groups of equal cursor values, oldest first); when the records sharing the highest value alone
 * are too many, it throws, since no boundary can then separate old from new.
 */
export function planCursorRun(input: CursorRunInput): CursorRunPlan {
	const limit = input.maxTrackedIds ?? MAX_TRACKED_IDS;
	// The ID as cursor means "new records only": an edit of a record already emitted is not a new record.
	const appendOnly = input.cursorField === input.idField;
	const rows = uniqueRows(
		input.records,
		input.idField,
		(record) => {
			const cursor = toCursorValue(record[input.cursorField]);
			if (cursor === undefined) return undefined;
			if (input.from !== undefined && compareCursors(cursor, input.from) < 0) return undefined;
			return cursor;
		},
		appendOnly,
	);
	rows.sort((a, b) => compareCursors(a.cursor, b.cursor));

	const seenBefore = input.previous?.seen ?? {};
	const changes = input.emit ? rows.filter((row) => seenBefore[row.key] !== row.hash).map((row) => row.record) : [];

	const max = laterCursor(input.previous?.max, rows.at(-1)?.cursor);
	let from = max === undefined ? input.from : laterCursor(input.from, lookbackStart(max, input.lookbackSeconds));
	let tracked = from === undefined ? rows : rows.filter((row) => compareCursors(row.cursor, from as CursorValue) >= 0);

	if (tracked.length > limit) {
		let start = tracked.length - limit;
		while (start < tracked.length && compareCursors(tracked[start].cursor, tracked[start - 1].cursor) === 0) start++;
		if (start >= tracked.length) {
			throw new ChangeTrackingError(
				`More than ${limit} records share the value ${String(tracked[tracked.length - 1].cursor)} of the cursor field "${input.cursorField}"`,
				'So many records with the same cursor value cannot be told apart as old or new. Choose a cursor field that changes with finer precision (a timestamp with seconds, or the ID), or use content-hash detection.',
			);
		}
		from = tracked[start].cursor;
		tracked = tracked.slice(start);
	}
	return { changes, from, max, seen: Object.fromEntries(tracked.map((row) => [row.key, row.hash])) };
}

export interface HashRunInput {
	/** Every record of the resource. */
	records: IDataObject[];
	idField: string;
	previous?: Pick<ChangeState, 'seen' | 'numericIds'>;
	/** False for a "start from now" first run: remember what exists, emit nothing. */
	emit: boolean;
	/** Also emit `{ <idField>: id, _deleted: true }` for records that are gone. */
	emitDeletions: boolean;
	/** Default {@link MAX_TRACKED_IDS}. */
	maxTrackedIds?: number;
}

export interface HashRunPlan {
	/** New and changed records in the order read, then deletions. */
	changes: IDataObject[];
	seen: Record<string, string>;
	numericIds?: boolean;
}

/**
 * Content-hash mode, for APIs without a usable cursor: every record is read each run and
 * compared by ID with the content hash remembered for it. New and changed records are emitted,
 * and, when asked, one item per ID that is no longer there.
 */
export function planHashRun(input: HashRunInput): HashRunPlan {
	const limit = input.maxTrackedIds ?? MAX_TRACKED_IDS;
	const rows = uniqueRows(input.records, input.idField, () => 0);
	if (rows.length > limit) {
		throw new ChangeTrackingError(
			`The resource has ${rows.length} records; content-hash detection keeps track of at most ${limit}`,
			'Use a cursor field instead (a modification timestamp, a date, or the ID for records that are only added).',
		);
	}
	const seenBefore = input.previous?.seen ?? {};
	const numericIds = rows.length > 0 ? typeof rows[0].record[input.idField] === 'number' : input.previous?.numericIds;
	const seen = Object.fromEntries(rows.map((row) => [row.key, row.hash]));
	if (!input.emit) return { changes: [], seen, numericIds };

	const changes = rows.filter((row) => seenBefore[row.key] !== row.hash).map((row) => row.record);
	if (input.emitDeletions && input.previous) {
		const wasNumeric = input.previous.numericIds ?? numericIds;
		for (const key of Object.keys(seenBefore)) {
			if (seen[key] !== undefined) continue;
			changes.push({ [input.idField]: wasNumeric ? Number(key) : key, [DELETED_FLAG]: true });
		}
	}
	return { changes, seen, numericIds };
}

/**
 * The records as rows keyed by ID (a record read twice, e.g. when paging shifted, counts once:
 * the later copy wins). `cursorOf` returns undefined to leave a record out.
 */
function uniqueRows(
	records: IDataObject[],
	idField: string,
	cursorOf: (record: IDataObject) => CursorValue | undefined,
	idOnly = false,
): Row[] {
	const rows: Row[] = [];
	const indexByKey = new Map<string, number>();
	for (const record of records) {
		const cursor = cursorOf(record);
		if (cursor === undefined) continue;
		const key = recordKey(record, idField);
		const row = { key, record, cursor, hash: idOnly ? ID_ONLY : contentHash(record) };
		const index = indexByKey.get(key);
		if (index === undefined) {
			indexByKey.set(key, rows.length);
			rows.push(row);
		} else {
			rows[index] = row;
		}
	}
	return rows;
}

function recordKey(record: IDataObject, idField: string): string {
	const id = record[idField];
	if ((typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id !== '')) return String(id);
	throw new ChangeTrackingError(
		`A record has no usable "${idField}" field (its fields: ${Object.keys(record).slice(0, 20).join(', ') || 'none'})`,
		'Change tracking needs each record’s ID. Set "ID Field" to the field that holds it (for EenvoudigFactureren resources it is set for you).',
	);
}
