/**
 * The pure parts of change tracking: cursor values, content hashes, state (de)serialisation and
 * the planning of one run, including a simulation of many runs that must emit every change
 * exactly once.
 */
import type { IDataObject } from 'n8n-workflow';

import {
	compareCursors,
	isDateCursor,
	laterCursor,
	lookbackStart,
	parseStartValue,
	toCursorValue,
} from '../../nodes/shared/changes/cursor';
import { canonicalJson, contentHash, HASH_LENGTH } from '../../nodes/shared/changes/hash';
import { DELETED_FLAG, planCursorRun, planHashRun, type CursorRunPlan } from '../../nodes/shared/changes/plan';
import { mulberry32 } from '../sandbox/faults';
import {
	ChangeTrackingError,
	MAX_TRACKED_IDS,
	readState,
	settingsFingerprint,
	STATE_VERSION,
	type ChangeState,
} from '../../nodes/shared/changes/state';

describe('cursor values', () => {
	it.each([
		[1, 2, -1],
		['10', 9, 1],
		['1001', 1001, 0],
		['2026-01-05T09:00:00Z', '2026-01-05T09:00:01Z', -1],
		['2026-01-05T11:00:00+02:00', '2026-01-05T09:00:00Z', 0],
		['2026-01-05T10:59:59+0200', '2026-01-05T09:00:00Z', -1],
		['2026-01-05', '2026-01-05T00:00:00Z', 0],
		['2026-01-04', '2026-01-05T00:00:00Z', -1],
		['2026-01-05T09:00:00.250Z', '2026-01-05T09:00:00.25Z', 0],
		['2026-01-05 09:00', '2026-01-05T09:00:00Z', 0],
		['b', 'a', 1],
		['2026-01-05', 'abc', -1],
	])('compares %p with %p as %p', (a, b, expected) => {
		expect(compareCursors(a, b)).toBe(expected);
		expect(compareCursors(b, a)).toBe(-expected || 0);
	});

	it('reads usable values only', () => {
		expect(toCursorValue(5)).toBe(5);
		expect(toCursorValue(' 2026-01-05 ')).toBe('2026-01-05');
		for (const value of [undefined, null, '', '  ', NaN, Infinity, true, {}, []]) expect(toCursorValue(value)).toBeUndefined();
	});

	it('knows dates from other values, and the later of two', () => {
		expect(isDateCursor('2026-01-05T09:00:00Z')).toBe(true);
		expect(isDateCursor('2026-13-05')).toBe(false);
		expect(isDateCursor(20260105)).toBe(false);
		expect(laterCursor(undefined, 3)).toBe(3);
		expect(laterCursor('2026-01-05', '2026-01-04')).toBe('2026-01-05');
		expect(laterCursor(undefined, undefined)).toBeUndefined();
	});

	it.each([
		['2026-01-05T09:00:00Z', 60, '2026-01-05T08:59:00Z'],
		['2026-01-01T00:00:30Z', 60, '2025-12-31T23:59:30Z'],
		['2026-01-05T09:00:00.123Z', 0.5, '2026-01-05T08:59:59.623Z'],
		['2026-01-05T09:00:00.123456Z', 1, '2026-01-05T08:59:59.123000Z'],
		['2026-01-05T09:00:00.29Z', 0, '2026-01-05T09:00:00.29Z'],
		['2026-01-05T09:00:00.29Z', 1, '2026-01-05T08:59:59.29Z'],
		['2026-01-05T11:00:00+02:00', 3600, '2026-01-05T10:00:00+02:00'],
		['2026-01-05 09:00', 30, '2026-01-05 08:59'],
		['2026-01-05T09:00:00', 5, '2026-01-05T08:59:55'],
		['2026-03-01', 60, '2026-03-01'],
		['2026-03-01', 2 * 86_400 + 5, '2026-02-27'],
		[1500, 60, 1500],
		['not a date', 60, 'not a date'],
	])('the lookback window before %p of %p s starts at %p', (value, seconds, expected) => {
		expect(lookbackStart(value, seconds)).toBe(expected);
		// The window never starts after the value itself.
		expect(compareCursors(lookbackStart(value, seconds), value)).toBeLessThanOrEqual(0);
	});

	it('reads a Start From value', () => {
		expect(parseStartValue(' 1000 ')).toBe(1000);
		expect(parseStartValue('2026-01-01')).toBe('2026-01-01');
		expect(parseStartValue('2026-01-01T08:00:00Z')).toBe('2026-01-01T08:00:00Z');
		for (const text of ['', 'yesterday', '01/02/2026', '2026-02-30x']) expect(parseStartValue(text)).toBeUndefined();
	});
});

describe('content hash', () => {
	it('does not depend on key order, and changes with any value', () => {
		const a = { id: 1, name: 'Acme', address: { city: 'Gent', zip: '9000' }, tags: ['a', 'b'] };
		const b = { tags: ['a', 'b'], address: { zip: '9000', city: 'Gent' }, name: 'Acme', id: 1 };
		expect(canonicalJson(a)).toBe(canonicalJson(b));
		expect(canonicalJson(a)).toBe('{"address":{"city":"Gent","zip":"9000"},"id":1,"name":"Acme","tags":["a","b"]}');
		expect(contentHash(a)).toBe(contentHash(b));
		expect(contentHash(a)).toHaveLength(HASH_LENGTH);
		expect(contentHash({ ...a, tags: ['b', 'a'] })).not.toBe(contentHash(a));
		expect(contentHash({ ...a, name: 'Acme ' })).not.toBe(contentHash(a));
		expect(contentHash({ ...a, extra: null })).not.toBe(contentHash(a));
		// A field that is absent and one that is undefined are the same JSON.
		expect(contentHash({ ...a, gone: undefined })).toBe(contentHash(a));
	});

	it('is a known SHA-256 prefix (stored states stay valid across versions)', () => {
		// sha256('{"id":1}') = 037c9214eef74cc3887f3a4f085b4e17d76280dafd273b0ee160c09c4ba1cfd4
		expect(contentHash({ id: 1 })).toBe('A3ySFO73TMOI');
	});
});

describe('state', () => {
	const fp = settingsFingerprint(['https://x', '', '/clients', 'client_id', 'cursor', 'last_modified', 'all', null, '']);
	const good: ChangeState = { v: STATE_VERSION, fp, mode: 'cursor', from: '2026-01-05T08:59:00Z', max: '2026-01-05T09:00:00Z', seen: { '101': 'abcdefghijkl' } };

	it('round-trips through JSON (static data)', () => {
		expect(readState(JSON.parse(JSON.stringify(good)), fp)).toEqual(good);
	});

	it('is absent when there is none, or it belongs to other settings (a reset)', () => {
		expect(readState(undefined, fp)).toBeUndefined();
		expect(readState(good, settingsFingerprint(['other']))).toBeUndefined();
	});

	it('fingerprints differ for any setting that defines the feed', () => {
		const parts = ['https://x', '', '/clients', 'client_id', 'cursor', 'last_modified', 'all', null, ''];
		const fingerprints = new Set(parts.map((_, i) => settingsFingerprint(parts.map((p, j) => (i === j ? `${String(p)}-changed` : p)))));
		expect(fingerprints.size).toBe(parts.length);
		expect(fingerprints.has(fp)).toBe(false);
	});

	it.each([
		['a newer version', { ...good, v: 2 }, /newer version of this node \(state version 2\)/],
		['no version', { fp, seen: {} }, /cannot be read: it has no version number/],
		['an unknown old version', { ...good, v: 0 }, /its version 0 is unknown/],
		['no mode', { ...good, mode: 'other' }, /detection mode is missing/],
		['unreadable seen records', { ...good, seen: ['x'] }, /list of seen records is not readable/],
		['a bad cursor', { ...good, from: { x: 1 } }, /"from" is not a value/],
	])('refuses a state with %s, saying how to start over', (_name, raw, message) => {
		try {
			readState(raw, fp);
			throw new Error('expected an error');
		} catch (error) {
			expect(error).toBeInstanceOf(ChangeTrackingError);
			expect((error as Error).message).toMatch(message);
			expect((error as ChangeTrackingError).description).toMatch(/Reset Key/);
		}
	});
});

const ID = 'client_id';
const AT = 'last_modified';
const rec = (id: number, at: string | number | undefined, extra: IDataObject = {}): IDataObject => ({ [ID]: id, [AT]: at, ...extra });
const ids = (records: IDataObject[]) => records.map((r) => r[ID]);

function cursorRun(records: IDataObject[], previous?: CursorRunPlan, options: { lookbackSeconds?: number; emit?: boolean; from?: string | number; maxTrackedIds?: number } = {}) {
	return planCursorRun({
		records: options.from === undefined && previous?.from !== undefined ? records.filter((r) => compareCursors(r[AT] as string, previous.from as string) >= 0) : records,
		idField: ID,
		cursorField: AT,
		from: options.from ?? previous?.from,
		previous,
		lookbackSeconds: options.lookbackSeconds ?? 60,
		emit: options.emit ?? true,
		maxTrackedIds: options.maxTrackedIds,
	});
}

describe('planCursorRun', () => {
	it('emits every record on a first run, oldest change first, and remembers the lookback window', () => {
		const plan = cursorRun([rec(1, '2026-01-05T09:00:30Z'), rec(2, '2026-01-05T08:00:00Z'), rec(3, '2026-01-05T09:00:00Z')]);
		expect(ids(plan.changes)).toEqual([2, 3, 1]);
		expect(plan.max).toBe('2026-01-05T09:00:30Z');
		expect(plan.from).toBe('2026-01-05T08:59:30Z');
		expect(Object.keys(plan.seen).sort()).toEqual(['1', '3']);
	});

	it('at the boundary: a record sharing the last value is emitted once, and again when it changes', () => {
		const first = cursorRun([rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-05T09:00:00Z')], undefined, { lookbackSeconds: 0 });
		expect(ids(first.changes)).toEqual([1, 2]);
		expect(first.from).toBe('2026-01-05T09:00:00Z');
		// Same second: a new record 3 and record 2 edited again.
		const data = [rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-05T09:00:00Z', { name: 'edited' }), rec(3, '2026-01-05T09:00:00Z')];
		const second = cursorRun(data, first, { lookbackSeconds: 0 });
		expect(ids(second.changes)).toEqual([2, 3]);
		expect(ids(cursorRun(data, second, { lookbackSeconds: 0 }).changes)).toEqual([]);
	});

	it('emits a record that shows up late inside the lookback window, once', () => {
		const first = cursorRun([rec(1, '2026-01-05T09:00:00Z')]);
		const late = [rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-05T08:59:30Z')];
		const second = cursorRun(late, first);
		expect(ids(second.changes)).toEqual([2]);
		expect(ids(cursorRun(late, second).changes)).toEqual([]);
		// Without a window it would have been missed: that is what the window is for.
		const noWindow = cursorRun([rec(1, '2026-01-05T09:00:00Z')], undefined, { lookbackSeconds: 0 });
		expect(ids(cursorRun(late, noWindow, { lookbackSeconds: 0 }).changes)).toEqual([]);
	});

	it('ignores records before the read bound and without a cursor value; a record read twice counts once', () => {
		const plan = cursorRun(
			[rec(1, '2026-01-01T00:00:00Z'), rec(2, undefined), rec(3, ''), rec(4, '2026-02-01T00:00:00Z', { v: 1 }), rec(4, '2026-02-01T00:00:00Z', { v: 2 })],
			undefined,
			{ from: '2026-01-15' },
		);
		expect(plan.changes).toEqual([rec(4, '2026-02-01T00:00:00Z', { v: 2 })]);
	});

	it('never moves the read bound back, e.g. when the newest records are deleted', () => {
		const first = cursorRun([rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-05T10:00:00Z')]);
		expect(first.from).toBe('2026-01-05T09:59:00Z');
		const second = cursorRun([rec(1, '2026-01-05T09:00:00Z')], first);
		expect(second.from).toBe('2026-01-05T09:59:00Z');
		expect(second.max).toBe('2026-01-05T10:00:00Z');
		expect(second.changes).toEqual([]);
	});

	it('works with numeric IDs as an append-only cursor (no window)', () => {
		const first = cursorRun([rec(1003, 1003), rec(1001, 1001), rec(1002, 1002)], undefined, { lookbackSeconds: 300 });
		expect(ids(first.changes)).toEqual([1001, 1002, 1003]);
		expect(first.from).toBe(1003);
		expect(first.seen).toEqual({ '1003': expect.any(String) });
		const second = cursorRun([rec(1003, 1003), rec(1004, 1004)], first, { lookbackSeconds: 300 });
		expect(ids(second.changes)).toEqual([1004]);
	});

	it('with the ID as cursor, counts new IDs only: an edit is not a new record', () => {
		const run = (records: IDataObject[], previous?: CursorRunPlan) =>
			planCursorRun({ records, idField: ID, cursorField: ID, from: previous?.from, previous, lookbackSeconds: 60, emit: true });
		const first = run([rec(1001, 'x'), rec(1002, 'x')]);
		expect(first.seen).toEqual({ '1002': '=' });
		expect(ids(run([rec(1002, 'edited'), rec(1003, 'x')], first).changes)).toEqual([1003]);
	});

	it('remembers without emitting for "start from now"', () => {
		const plan = cursorRun([rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-04T09:00:00Z')], undefined, { emit: false });
		expect(plan.changes).toEqual([]);
		expect(plan.from).toBe('2026-01-05T08:59:00Z');
		expect(plan.seen).toEqual({ '1': contentHash(rec(1, '2026-01-05T09:00:00Z')) });
	});

	it('keeps an empty state when there is nothing yet', () => {
		expect(cursorRun([], undefined, { emit: false })).toEqual({ changes: [], from: undefined, max: undefined, seen: {} });
	});

	it('narrows the window by whole groups of equal values when it holds too many records', () => {
		const records = [rec(1, '2026-01-05T09:00:00Z'), rec(2, '2026-01-05T09:00:10Z'), rec(3, '2026-01-05T09:00:10Z'), rec(4, '2026-01-05T09:00:20Z')];
		const plan = cursorRun(records, undefined, { maxTrackedIds: 2 });
		expect(ids(plan.changes)).toEqual([1, 2, 3, 4]);
		expect(plan.from).toBe('2026-01-05T09:00:20Z');
		expect(Object.keys(plan.seen)).toEqual(['4']);
		const three = cursorRun(records, undefined, { maxTrackedIds: 3 });
		expect(three.from).toBe('2026-01-05T09:00:10Z');
		expect(Object.keys(three.seen)).toEqual(['2', '3', '4']);
	});

	it('refuses to guess when more records share the highest value than it can remember', () => {
		const records = [rec(1, '2026-01-05'), rec(2, '2026-01-05'), rec(3, '2026-01-05')];
		expect(() => cursorRun(records, undefined, { maxTrackedIds: 2 })).toThrow(
			/More than 2 records share the value 2026-01-05 of the cursor field "last_modified"/,
		);
	});

	it('says which field is missing when a record has no ID', () => {
		expect(() => cursorRun([{ name: 'x', [AT]: '2026-01-05' }])).toThrow(/A record has no usable "client_id" field \(its fields: name, last_modified\)/);
	});

	// The core promise, over many runs: every change is emitted exactly once, including changes
	// that share a timestamp with the boundary and writes that become visible late.
	it.each([1, 2, 3, 4, 5])('simulation %p: every change emitted exactly once over 40 runs', (seed) => {
		const random = mulberry32(seed);
		const lookbackSeconds = 30;
		let clock = Date.parse('2026-01-05T09:00:00Z');
		const stamp = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
		const store = new Map<number, IDataObject>();
		let pending: Array<{ at: number; record: IDataObject }> = []; // written, not yet visible
		const lastEmitted = new Map<number, string>();
		let nextId = 1;
		let state: CursorRunPlan | undefined;
		for (let run = 0; run < 40; run++) {
			for (let i = Math.floor(random() * 6); i > 0; i--) {
				if (random() < 0.5) clock += Math.floor(random() * 3) * 1000; // many writes share a second
				const id = store.size && random() < 0.5 ? 1 + Math.floor(random() * (nextId - 1)) : nextId++;
				const record = { [ID]: id, [AT]: stamp(clock), version: Math.floor(random() * 1e9) };
				if (random() < 0.2) pending.push({ at: clock + Math.floor(random() * 15_000), record }); // slow commit, inside the window
				else store.set(id, record);
			}
			clock += 1000;
			for (const write of pending.filter((w) => w.at <= clock)) {
				const current = store.get(write.record[ID] as number);
				if (!current || String(current[AT]) <= String(write.record[AT])) store.set(write.record[ID] as number, write.record);
			}
			pending = pending.filter((w) => w.at > clock);
			const visible = [...store.values()];
			const expected = visible.filter((r) => lastEmitted.get(r[ID] as number) !== contentHash(r)).map((r) => r[ID]);
			state = cursorRun(visible, state, { lookbackSeconds });
			expect(ids(state.changes).sort()).toEqual([...expected].sort());
			for (const record of state.changes) lastEmitted.set(record[ID] as number, contentHash(record));
		}
	});
});

describe('planHashRun', () => {
	const clients = [rec(101, 'x', { name: 'A' }), rec(102, 'x', { name: 'B' }), rec(103, 'x', { name: 'C' })];

	it('emits everything for "all", nothing for "now", and remembers every record either way', () => {
		const all = planHashRun({ records: clients, idField: ID, emit: true, emitDeletions: false });
		expect(ids(all.changes)).toEqual([101, 102, 103]);
		const now = planHashRun({ records: clients, idField: ID, emit: false, emitDeletions: true });
		expect(now.changes).toEqual([]);
		expect(now.seen).toEqual(all.seen);
		expect(now.numericIds).toBe(true);
	});

	it('emits new and changed records, and deletions when asked, with the ID as the API gave it', () => {
		const previous = planHashRun({ records: clients, idField: ID, emit: false, emitDeletions: false });
		const next = [rec(101, 'x', { name: 'A' }), rec(102, 'x', { name: 'B2' }), rec(104, 'x', { name: 'D' })];
		const plan = planHashRun({ records: next, idField: ID, previous, emit: true, emitDeletions: true });
		expect(plan.changes).toEqual([next[1], next[2], { [ID]: 103, [DELETED_FLAG]: true }]);
		expect(planHashRun({ records: next, idField: ID, previous, emit: true, emitDeletions: false }).changes).toEqual([next[1], next[2]]);
		const stringIds = planHashRun({ records: [{ [ID]: 'a-1' }], idField: ID, emit: false, emitDeletions: true });
		expect(planHashRun({ records: [], idField: ID, previous: stringIds, emit: true, emitDeletions: true }).changes).toEqual([
			{ [ID]: 'a-1', [DELETED_FLAG]: true },
		]);
	});

	it('refuses more records than it keeps track of, saying what to use instead', () => {
		expect(() => planHashRun({ records: clients, idField: ID, emit: true, emitDeletions: false, maxTrackedIds: 2 })).toThrow(
			/The resource has 3 records; content-hash detection keeps track of at most 2/,
		);
	});

	it(`keeps the state of ${MAX_TRACKED_IDS} records small enough for static data`, () => {
		const records = Array.from({ length: MAX_TRACKED_IDS }, (_, i) => ({ [ID]: 100_000 + i, name: `Client ${i}`, city: 'Gent' }));
		const started = Date.now();
		const plan = planHashRun({ records, idField: ID, emit: true, emitDeletions: true });
		const elapsed = Date.now() - started;
		const state: ChangeState = { v: STATE_VERSION, fp: 'x'.repeat(12), mode: 'hash', seen: plan.seen, numericIds: true };
		const bytes = JSON.stringify(state).length;
		console.log(`content-hash state for ${MAX_TRACKED_IDS} ids: ${(bytes / 1e6).toFixed(2)} MB of JSON, planned in ${elapsed} ms`);
		expect(bytes).toBeLessThan(2.5e6);
		expect(() => planHashRun({ records: [...records, { [ID]: 1 }], idField: ID, emit: true, emitDeletions: false })).toThrow(ChangeTrackingError);
	});
});
