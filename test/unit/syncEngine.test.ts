import { changedFields, keysMatch, matchKeyOf, valuesEqual } from '../../nodes/ApiSync/engine/compare';
import { planSync, type PlanSettings } from '../../nodes/ApiSync/engine/plan';
import { chunk, runPool } from '../../nodes/ApiSync/engine/schedule';

const settings: PlanSettings = {
	mode: 'upsert',
	matchFields: ['external_client_id'],
	caseInsensitive: false,
	idField: 'client_id',
	ignoreFields: [],
};

describe('valuesEqual', () => {
	it.each([
		['', null],
		[undefined, ''],
		['  Gent ', 'Gent'],
		['10.50', 10.5],
		[3, '3'],
		[true, 'true'],
		[{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }],
		// An empty list or object is empty: a form sends it as `name=` like null, and Airtable leaves it out.
		[[], undefined],
		[{}, null],
		[{}, {}],
		[{ plan: '' }, {}],
		// Date-times with a time zone are their instant: HubSpot answers without zero milliseconds, Shopify in the shop's zone.
		['2024-01-01T00:00:00.000Z', '2024-01-01T00:00:00Z'],
		['2024-01-01T01:00:00.000+01:00', '2024-01-01T00:00:00Z'],
		['2024-01-01T05:30:00+0530', '2024-01-01T00:00Z'],
		['2023-12-31T19:00:00-05:00', '2024-01-01 00:00:00z'],
		['2019-10-30T03:30:17.883Z', '2019-10-30T03:30:17.883000Z'],
	])('%p equals %p', (a, b) => expect(valuesEqual(a, b)).toBe(true));

	it.each([
		['Gent', 'gent'],
		['', 'x'],
		[0, ''],
		['10.5', '10.51'],
		[{ a: 1 }, { a: 2 }],
		['abc', 'abd'],
		[[], ['a']],
		[{}, { plan: 'basic' }],
		['2024-01-01T00:00:00.001Z', '2024-01-01T00:00:00Z'],
		// Without a time zone, or a date alone, it is text: which instant it means is not known.
		['2024-01-01T00:00:00', '2024-01-01T00:00:00Z'],
		['2024-01-01', '2024-01-01T00:00:00Z'],
		[1704067200000, '2024-01-01T00:00:00Z'],
		['2024-02-30T00:00:00Z', '2024-03-01T00:00:00Z'],
	])('%p differs from %p', (a, b) => expect(valuesEqual(a, b)).toBe(false));
});

describe('match keys', () => {
	it('trims, optionally lower-cases, and keeps multi-field keys apart', () => {
		expect(matchKeyOf({ e: ' A@B.c ' }, { matchFields: ['e'], caseInsensitive: true })?.parts).toEqual([{ text: 'a@b.c' }]);
		const two = { matchFields: ['a', 'b'], caseInsensitive: false };
		expect(keysMatch(matchKeyOf({ a: 'x', b: 'y z' }, two)!, matchKeyOf({ a: 'x y', b: 'z' }, two)!)).toBe(false);
		expect(matchKeyOf({ a: 'x', b: ' ' }, two)).toBeUndefined();
		expect(matchKeyOf({ a: 'x', b: [] }, two)).toBeUndefined();
		const at = { matchFields: ['at'], caseInsensitive: false };
		expect(keysMatch(matchKeyOf({ at: '2024-01-01T01:00:00.000+01:00' }, at)!, matchKeyOf({ at: '2024-01-01T00:00:00Z' }, at)!)).toBe(true);
	});

	it('compares only fields that are mapped and not ignored', () => {
		expect(changedFields({ name: 'A', city: 'X', stamp: 1 }, { name: 'A', city: 'Y', stamp: 2, other: 'z' }, new Set(['stamp']))).toEqual({ city: 'X' });
	});
});

describe('planSync', () => {
	const remote = [
		{ client_id: 1, external_client_id: 'A', name: 'Alpha' },
		{ client_id: 2, external_client_id: 'B', name: 'Beta' },
		{ client_id: 3, external_client_id: 'D', name: 'Dup 1' },
		{ client_id: 4, external_client_id: 'D', name: 'Dup 2' },
		{ client_id: 5, name: 'No key' },
	];
	const source = [
		{ itemIndex: 0, record: { external_client_id: 'A', name: 'Alpha' } },
		{ itemIndex: 1, record: { external_client_id: 'B', name: 'Beta 2' } },
		{ itemIndex: 2, record: { external_client_id: 'C', name: 'Gamma' } },
		{ itemIndex: 3, record: { external_client_id: 'D', name: 'Delta' } },
		{ itemIndex: 4, record: { external_client_id: 'E', name: 'Eps' } },
		{ itemIndex: 5, record: { external_client_id: 'E', name: 'Eps again' } },
		{ itemIndex: 6, record: { name: 'No key' } },
	];

	it('sorts every input item into exactly one bucket', () => {
		const plan = planSync(source, remote, settings);
		expect(plan.unchanged.map((u) => u.itemIndex)).toEqual([0]);
		expect(plan.updates).toEqual([expect.objectContaining({ itemIndex: 1, remoteId: 2, changes: { name: 'Beta 2' } })]);
		expect(plan.creates.map((c) => c.itemIndex)).toEqual([2]);
		expect(plan.failures.map((f) => f.itemIndex)).toEqual([3, 4, 5, 6]);
		expect(plan.failures[0].reason).toMatch(/^2 remote records share external_client_id "D" \(client_id 3, 4\)/);
		expect(plan.failures[1].reason).toMatch(/^Duplicate match key in the input: items 4, 5/);
		expect(plan.failures[3].reason).toMatch(/^Missing match key: external_client_id is empty/);
		expect(plan.deletes).toEqual([]);
		expect(plan.remoteWithoutKey).toBe(1);
	});

	it('mirror deletes remote records whose key is absent from the input, never those without a key', () => {
		const plan = planSync(source.slice(0, 1), remote, { ...settings, mode: 'mirror' });
		expect(plan.deletes.map((d) => d.remoteId)).toEqual([2, 3, 4]);
	});

	it('keeps duplicate messages short when many items share one match value (e.g. matching on city by mistake)', () => {
		const many = Array.from({ length: 20_000 }, (_, itemIndex) => ({ itemIndex, record: { external_client_id: 'Gent', name: `n${itemIndex}` } }));
		const plan = planSync(many, remote, settings);
		expect(plan.failures).toHaveLength(20_000);
		expect(plan.failures[0].reason).toMatch(/^Duplicate match key in the input: items 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 and 19990 more have the same/);
	});

	it('create only and update only never touch the other side', () => {
		const createOnly = planSync(source.slice(0, 3), remote, { ...settings, mode: 'createOnly' });
		expect([createOnly.creates.length, createOnly.updates.length, createOnly.unchanged.length]).toEqual([1, 0, 2]);
		const updateOnly = planSync(source.slice(0, 3), remote, { ...settings, mode: 'updateOnly' });
		expect([updateOnly.creates.length, updateOnly.updates.length, updateOnly.unchanged.length]).toEqual([0, 1, 2]);
	});
});

describe('schedule helpers', () => {
	it('runs with bounded concurrency and keeps the task order', async () => {
		let running = 0;
		let peak = 0;
		const results = await runPool([5, 1, 4, 2, 3], 2, async (n) => {
			running++;
			peak = Math.max(peak, running);
			await new Promise((r) => setImmediate(r));
			running--;
			return n * 10;
		});
		expect(results).toEqual([50, 10, 40, 20, 30]);
		expect(peak).toBe(2);
	});

	it('chunks', () => expect(chunk([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]));
});
