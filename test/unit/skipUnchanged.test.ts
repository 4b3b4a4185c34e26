/**
 * Skip Unchanged Input's pure part (nodes/ApiSync/engine/skipUnchanged.ts): digests, the lookup filter, reading the
 * state, when a full check is due, and the state a run leaves.
 */
import type { IDataObject } from 'n8n-workflow';

import type { Outcome } from '../../nodes/ApiSync/engine/apply';
import { matchKeyOf } from '../../nodes/ApiSync/engine/compare';
import { emptyPlan, type PlanSettings } from '../../nodes/ApiSync/engine/plan';
import { digestsOf } from '../../nodes/ApiSync/engine/skipRun';
import {
	decodeEntry,
	fullCheckDue,
	keyDigest,
	lookupFilter,
	nextSkipState,
	readSkipState,
	recordDigest,
	type ReadSkipState,
	triageInput,
	type SkipState,
} from '../../nodes/ApiSync/engine/skipUnchanged';

const SETTINGS: PlanSettings = { matchFields: ['ref'], caseInsensitive: false, mode: 'upsert', idField: 'id', ignoreFields: ['updated'] };

describe('digests', () => {
	const key = (value: IDataObject[string], settings: PlanSettings = SETTINGS) => keyDigest(matchKeyOf({ ref: value }, settings)!);
	it('a key digest follows matching: trimmed, NFC, case-folded only when asked; text and numbers stay apart', () => {
		expect(key(' A-1 ')).toBe(key('A-1'));
		expect(key('Cafe\u0301')).toBe(key('Café'));
		expect(key('a-1')).not.toBe(key('A-1'));
		expect(key('a-1', { ...SETTINGS, caseInsensitive: true })).toBe(key('A-1', { ...SETTINGS, caseInsensitive: true }));
		expect(key(42)).not.toBe(key('42'));
		expect(key('42')).not.toBe(key('0042'));
		expect(key('x')).toHaveLength(12);
	});
	it('a record digest ignores the ID field, Fields to Ignore and key order, and sees every other change', () => {
		const ignore = new Set(['id', 'updated']);
		const digest = recordDigest({ ref: 'A', city: 'Gent' }, ignore);
		expect(recordDigest({ city: 'Gent', ref: 'A', id: 7, updated: 'now' }, ignore)).toBe(digest);
		expect(recordDigest({ ref: 'A', city: 'Gent ' }, ignore)).not.toBe(digest);
		expect(recordDigest({ ref: 'A', city: 'Gent', zip: null }, ignore)).not.toBe(digest);
		expect(digest).toHaveLength(10);
	});

	it('a value with toJSON (a JS Date, a Luxon DateTime) is hashed as it is sent: its JSON form, not its own keys', () => {
		const ignore = new Set<string>();
		const at = (iso: string) => recordDigest({ ref: 'A', when: new Date(iso) as unknown as IDataObject[string] }, ignore);
		expect(at('2024-01-01T00:00:00Z')).not.toBe(at('2025-06-01T00:00:00Z'));
		expect(at('2024-01-01T00:00:00Z')).toBe(recordDigest({ ref: 'A', when: '2024-01-01T00:00:00.000Z' }, ignore));
		const luxonLike = { toJSON: () => '2024-01-01T01:00:00.000+01:00', c: { year: 2024 } };
		expect(recordDigest({ ref: 'A', when: luxonLike as unknown as IDataObject[string] }, ignore)).toBe(
			recordDigest({ ref: 'A', when: '2024-01-01T01:00:00.000+01:00' }, ignore),
		);
		expect(() => recordDigest({ ref: 'A', n: BigInt(1) as unknown as IDataObject[string] }, ignore)).not.toThrow();
	});
});

describe('lookupFilter (EenvoudigFactureren filter= for a key never seen)', () => {
	it.each([
		[{ ref: 'WS-1' }, 'ref=WS-1'],
		[{ ref: 12345 }, 'ref=12345'],
		[{ ref: '12345' }, 'ref=12345'],
		[{ ref: 'a b&c=d' }, 'ref=a b&c=d'],
	])('%j → %s', (record, filter) => expect(lookupFilter(record, SETTINGS)).toBe(filter));
	it('several match fields: one condition each, joined with "," (and)', () => {
		expect(lookupFilter({ ref: 'A', country: 'BE' }, { ...SETTINGS, matchFields: ['ref', 'country'] })).toBe('ref=A,country=BE');
	});
	it.each([
		[{ ref: ' A' }, SETTINGS],
		[{ ref: 'Cafe\u0301' }, SETTINGS],
		[{ ref: 'a,b' }, SETTINGS],
		[{ ref: '0042' }, SETTINGS],
		[{ ref: '1.50' }, SETTINGS],
		[{ ref: '1e3' }, SETTINGS],
		[{ ref: true }, SETTINGS],
		[{ ref: { a: 1 } }, SETTINGS],
		[{ ref: 'A' }, { ...SETTINGS, caseInsensitive: true }],
		[{ 'ref-x': 'A' }, { ...SETTINGS, matchFields: ['ref-x'] }],
	])('none when the filter could miss a matching record: %j', (record, settings) => {
		expect(lookupFilter(record as IDataObject, settings)).toBeUndefined();
	});
});

describe('readSkipState', () => {
	const good: SkipState = { v: 1, fp: 'fp', at: 1, runs: 1, n: 0, k: { abcdefghijkl: '0123456789101' } };
	const why = (read: ReadSkipState) => ('why' in read ? read.why : undefined);
	it('returns the state for its fingerprint, and otherwise why there is none to use (never throws)', () => {
		expect(readSkipState(good, 'fp')).toEqual({ state: good });
		expect(why(readSkipState(undefined, 'fp'))).toMatch(/^no saved state \(a first run/);
		expect(why(readSkipState(good, 'other'))).toMatch(/belongs to other settings/);
		expect(why(readSkipState({ ...good, v: 2 }, 'fp'))).toMatch(/newer version of this node \(state version 2\)/);
		expect(why(readSkipState('x', 'fp'))).toBe('the saved state cannot be read');
		expect(why(readSkipState({ ...good, k: { a: 5 } }, 'fp'))).toBe('the saved state cannot be read');
		expect(why(readSkipState({ ...good, runs: 1.5 }, 'fp'))).toBe('the saved state cannot be read');
	});
});

describe('fullCheckDue', () => {
	const state: SkipState = { v: 1, fp: 'fp', at: 0, runs: 3, n: 0, k: {} };
	it('by runs, the full check included; by hours; Mirror without every remote key', () => {
		expect(fullCheckDue(state, { everyRuns: 4, everyHours: 0 }, 0, false)).toBeUndefined();
		expect(fullCheckDue({ ...state, runs: 4 }, { everyRuns: 4, everyHours: 0 }, 0, false)).toMatch(/^4 runs since the last one/);
		expect(fullCheckDue(state, { everyRuns: 0, everyHours: 24 }, 23.9 * 3_600_000, false)).toBeUndefined();
		expect(fullCheckDue(state, { everyRuns: 0, everyHours: 24 }, 24 * 3_600_000, false)).toMatch(/^24\.0 h since the last one/);
		expect(fullCheckDue(state, { everyRuns: 0, everyHours: 24 }, 0, true)).toMatch(/^Mirror needs every remote key/);
		expect(fullCheckDue({ ...state, all: true }, { everyRuns: 0, everyHours: 24 }, 0, true)).toBeUndefined();
	});
});

describe('nextSkipState: only what happened is remembered', () => {
	const sources = ['A', 'B', 'C', 'D'].map((ref, itemIndex) => ({ itemIndex, record: { ref, city: 'Gent' } }));
	const digests = digestsOf(sources, SETTINGS);
	const entry = (state: SkipState, itemIndex: number) => decodeEntry(state.k[digests.get(itemIndex)!.key]);
	const match = (i: number) => ({ ref: sources[i].record.ref });

	it('created, updated and found equal: digest and id; a failed or unconfirmed write: not remembered as done', () => {
		const plan = emptyPlan();
		plan.unchanged.push({ itemIndex: 2, match: match(2), remoteId: 12 });
		const outcomes: Outcome[] = [
			{ kind: 'created', itemIndex: 0, match: match(0), remoteId: 10, record: sources[0].record },
			{ kind: 'updated', itemIndex: 1, match: match(1), remoteId: 11, changes: {} },
			{
				kind: 'failed',
				itemIndex: 3,
				match: match(3),
				stage: 'create',
				reason: 'outcome unknown',
				uncertain: true,
				entry: { itemIndex: 3, match: match(3), record: sources[3].record },
			},
		];
		const state = nextSkipState({ fingerprint: 'fp', now: 5, settings: SETTINGS, fullRead: [], digests, plan, outcomes });
		expect(entry(state, 0)).toEqual({ digest: digests.get(0)!.record, id: '10' });
		expect(entry(state, 1)).toEqual({ digest: digests.get(1)!.record, id: '11' });
		expect(entry(state, 2)).toEqual({ digest: digests.get(2)!.record, id: '12' });
		expect(state.k[digests.get(3)!.key]).toBeUndefined();
		expect(state).toMatchObject({ v: 1, fp: 'fp', at: 5, runs: 1, num: true });

		// The next run: a failed update of a remembered record keeps its id, without a digest (sent again next time).
		const failedUpdate: Outcome = {
			kind: 'failed',
			itemIndex: 1,
			match: match(1),
			stage: 'update',
			reason: 'refused',
			uncertain: false,
			entry: { itemIndex: 1, match: match(1), remoteId: 11, changes: {}, record: sources[1].record, remote: {} },
		};
		const next = nextSkipState({ previous: state, fingerprint: 'fp', now: 9, settings: SETTINGS, digests, plan: emptyPlan(), outcomes: [failedUpdate] });
		expect(entry(next, 1)).toEqual({ id: '11' });
		expect(next).toMatchObject({ at: 5, runs: 2 });
		const triage = triageInput(sources, next, SETTINGS);
		expect(triage.unreadUpdates.map((u) => u.itemIndex)).toEqual([1]);
		expect(triage.unchanged.map((u) => u.itemIndex)).toEqual([0, 2]);
		expect(triage.unknown.map((u) => u.itemIndex)).toEqual([3]);
	});

	it('Mirror: every remote record nobody claimed is remembered by its own key; a deleted one is forgotten', () => {
		const settings: PlanSettings = { ...SETTINGS, mode: 'mirror' };
		const plan = emptyPlan();
		plan.unchanged.push({ itemIndex: 0, match: match(0), remoteId: 1 });
		const fullRead = [{ id: 1, ref: 'A' }, { id: 2, ref: 'X' }, { id: 3, ref: 'Y' }, { id: 4, ref: '' }];
		const outcomes: Outcome[] = [{ kind: 'deleted', match: { ref: 'Y' }, remoteId: 3, remote: fullRead[2] }];
		const state = nextSkipState({ fingerprint: 'fp', now: 5, settings, fullRead, digests, plan, outcomes });
		expect(state.all).toBe(true);
		expect(Object.values(state.k).map((v) => decodeEntry(v).id).sort()).toEqual(['1', '2']);
		expect(state.n).toBe(3);
	});
});

describe('the size of the state in static data', () => {
	it.each([10_000, 100_000])('%d remembered records', (count) => {
		const sources = Array.from({ length: count }, (_, itemIndex) => ({
			itemIndex,
			record: { ref: `BENCH-${String(itemIndex).padStart(6, '0')}`, name: `Client ${itemIndex}`, city: 'Gent' },
		}));
		const plan = emptyPlan();
		for (const { itemIndex, record } of sources) plan.unchanged.push({ itemIndex, match: { ref: record.ref }, remoteId: 100_000 + itemIndex });
		const state = nextSkipState({ fingerprint: 'fp', now: 0, settings: SETTINGS, fullRead: [], digests: digestsOf(sources, SETTINGS), plan, outcomes: [] });
		const bytes = JSON.stringify(state).length;
		// 12-character key digest, 10-character record digest, a 6-digit id, quotes, colon and comma: 35 bytes a record.
		expect(bytes / count).toBeLessThan(36);
		expect(bytes / count).toBeGreaterThan(34);
	});

	it('28 bytes a record plus the length of its ID: a UUID (36 characters) makes it about 64', () => {
		const count = 10_000;
		const sources = Array.from({ length: count }, (_, itemIndex) => ({ itemIndex, record: { ref: `R-${itemIndex}`, city: 'Gent' } }));
		const plan = emptyPlan();
		const uuid = (i: number) => `${String(i).padStart(8, '0')}-4b1c-4d2e-9f3a-0123456789ab`;
		for (const { itemIndex, record } of sources) plan.unchanged.push({ itemIndex, match: { ref: record.ref }, remoteId: uuid(itemIndex) });
		const state = nextSkipState({ fingerprint: 'fp', now: 0, settings: SETTINGS, fullRead: [], digests: digestsOf(sources, SETTINGS), plan, outcomes: [] });
		const perRecord = JSON.stringify(state).length / count;
		expect(perRecord).toBeGreaterThan(63.5);
		expect(perRecord).toBeLessThan(64.5);
	});
});
