/**
 * The pure deciding half of Sync (issue 9): value comparison, match keys, the plan's Mirror safety,
 * bulk reply reading, settling uncertain writes, wall-clock waiting, concurrency slots, idempotency keys.
 */
import type { IDataObject, INode } from 'n8n-workflow';

import type { FailedOutcome } from '../../nodes/ApiSync/engine/apply';
import { readBulkReply, type SentRecord } from '../../nodes/ApiSync/engine/bulkReply';
import { foldCase, keysMatch, matchKeyOf, valuesEqual } from '../../nodes/ApiSync/engine/compare';
import { idempotencyKeyFor } from '../../nodes/ApiSync/engine/idempotency';
import { planSync, type PlanSettings, type SourceRecord } from '../../nodes/ApiSync/engine/plan';
import { asCreated, settleAfterReread } from '../../nodes/ApiSync/engine/reconcile';
import { Slots, WaitLog } from '../../nodes/ApiSync/engine/schedule';
import { readChangeSettings } from '../../nodes/shared/changes/description';
import { PLAIN_SHAPE } from '../../nodes/shared/recordShape';

const settings: PlanSettings = { mode: 'upsert', matchFields: ['ext'], caseInsensitive: false, idField: 'id', ignoreFields: [] };

describe('valuesEqual: numeric only between a number and a number or numeric text', () => {
	it.each([
		['10.50', 10.5],
		[10.5, '10.50'],
		['0042', 42],
		[3, 3],
		[' 7 ', 7],
		['1e3', 1000],
		['  Gent ', 'Gent'],
		['Cafe\u0301', 'Caf\u00e9'],
		[true, 'TRUE'],
		[null, ''],
		[undefined, null],
		[{ unit: '10.50', discount: null }, { unit: 10.5 }],
		[[{ a: '1.50' }, 2], [{ a: 1.5 }, '2']],
		[{ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }],
	])('%p equals %p', (a, b) => expect(valuesEqual(a, b)).toBe(true));

	it.each([
		['0470123456', '470123456'],
		['01000', '1000'],
		['1.10', '1.1'],
		['12345678901234567', '12345678901234568'],
		['Gent', 'gent'],
		['abc', 0],
		[0, ''],
		[1, true],
		[[1, 2], [1, 2, 3]],
		[{ a: 1 }, [1]],
		[{ a: '1.10' }, { a: '1.1' }],
		[{ a: 1 }, { a: 1, b: 2 }],
	])('%p differs from %p', (a, b) => expect(valuesEqual(a, b)).toBe(false));
});

describe('match keys', () => {
	const key = (value: IDataObject[string], caseInsensitive = false) => matchKeyOf({ ext: value }, { matchFields: ['ext'], caseInsensitive })!;
	const match = (a: IDataObject[string], b: IDataObject[string], ci = false) => keysMatch(key(a, ci), key(b, ci));

	it('matches numeric text with a number of the same value, but not with other numeric text', () => {
		expect(match('0042', 42)).toBe(true);
		expect(match('42', 42)).toBe(true);
		expect(match(42, 42.0)).toBe(true);
		expect(match('0042', '42')).toBe(false);
		expect(match('42', '42')).toBe(true);
		expect(match('043', 42)).toBe(false);
	});

	it('normalises Unicode (NFC) always, and folds case fully when asked', () => {
		expect(match('Cafe\u0301', 'Caf\u00e9')).toBe(true);
		expect(match('STRASSE', 'straße')).toBe(false);
		expect(match('STRASSE', 'straße', true)).toBe(true);
		expect(match('ΟΔΟΣ', 'οδος', true)).toBe(true);
		expect(foldCase('ﬁle')).toBe('file');
	});

	it('has no separator a value could collide with, and no key when a part is empty', () => {
		const two = { matchFields: ['a', 'b'], caseInsensitive: false };
		expect(keysMatch(matchKeyOf({ a: 'x\u001fy', b: 'z' }, two)!, matchKeyOf({ a: 'x', b: 'y\u001fz' }, two)!)).toBe(false);
		expect(keysMatch(matchKeyOf({ a: 'x","y', b: 'z' }, two)!, matchKeyOf({ a: 'x', b: 'y","z' }, two)!)).toBe(false);
		expect(matchKeyOf({ a: 'x', b: '  ' }, two)).toBeUndefined();
		expect(matchKeyOf({ a: 'x' }, two)).toBeUndefined();
	});
});

describe('planSync: Mirror never deletes on doubtful input', () => {
	const remote = [
		{ id: 1, ext: 'A', name: 'a' },
		{ id: 2, ext: 'B', name: 'b' },
	];
	const mirror = { ...settings, mode: 'mirror' as const };

	it.each<[string, SourceRecord[], RegExp]>([
		['a mapping failure', [{ itemIndex: 0, record: { ext: 'A', name: 'a' } }, { itemIndex: 1, record: {}, mappingError: 'bad' }], /1 input item could not be planned/],
		['an empty key', [{ itemIndex: 0, record: { ext: 'A', name: 'a' } }, { itemIndex: 1, record: { ext: ' ' } }], /1 input item could not be planned/],
		['duplicate keys', [{ itemIndex: 0, record: { ext: 'A' } }, { itemIndex: 1, record: { ext: 'A' } }], /2 input items could not be planned/],
		['one empty item', [{ itemIndex: 0, record: {} }], /no input item has a value in ext/],
		['no items', [], /no input item has a value in ext/],
	])('withholds deletions on %s, and still plans the rest', (_, source, reason) => {
		const plan = planSync(source, remote, mirror);
		expect(plan.deletes).toEqual([]);
		expect(plan.deletesWithheld).toEqual({ count: expect.any(Number), reason: expect.stringMatching(reason) });
	});

	it('deletes what is not in a complete input', () => {
		const plan = planSync([{ itemIndex: 0, record: { ext: 'A', name: 'a' } }], remote, mirror);
		expect(plan.deletes.map((d) => d.remoteId)).toEqual([2]);
		expect(plan.deletesWithheld).toBeUndefined();
		expect(plan.unchanged).toHaveLength(1);
	});

	it('fails every item claiming one remote record through different numeric text', () => {
		const plan = planSync([{ itemIndex: 0, record: { ext: '0042' } }, { itemIndex: 1, record: { ext: '42' } }], [{ id: 9, ext: 42 }], settings);
		expect(plan.failures.map((f) => f.itemIndex)).toEqual([0, 1]);
		expect(plan.creates).toEqual([]);
	});

	it('does not delete a remote record an input item matches by number', () => {
		const plan = planSync([{ itemIndex: 0, record: { ext: '0042' } }], [{ id: 9, ext: 42 }], mirror);
		expect(plan.deletes).toEqual([]);
		expect(plan.unchanged).toEqual([{ itemIndex: 0, match: { ext: '0042' }, remoteId: 9 }]);
	});
});

describe('readBulkReply', () => {
	const creates = (n: number): SentRecord[] => Array.from({ length: n }, () => ({ op: 'create' }));
	it.each([
		['results', { success: 'ok', results: [{ client_id: 1 }, { error: 'name is required' }] }],
		['the resource name', { clients: [{ client_id: 1 }, { error: 'name is required' }] }],
		['data', { data: [{ id: 1 }, { success: false, message: 'name is required' }] }],
		['a bare list', [1, { errors: [{ message: 'name is required' }] }]],
	])('reads %s', (_, body) => {
		expect(readBulkReply(body, creates(2), 'clients', 'client_id')).toEqual([
			{ ok: true, id: 1 },
			{ ok: false, message: 'name is required' },
		]);
	});

	it.each([
		['no list', { success: 'bulk processed' }],
		['a list of another length', { results: [{ client_id: 1 }] }],
		['an unreadable entry', { results: [{ client_id: 1 }, null] }],
		['text', 'ok'],
	])('returns undefined for %s', (_, body) => expect(readBulkReply(body, creates(2), 'clients', 'client_id')).toBeUndefined());

	it.each([
		['status: "error"', { status: 'error', message: 'name is required' }],
		['ok: false', { ok: false, message: 'name is required' }],
		['a 4xx status', { status: 422, message: 'name is required' }],
		['status: "failed"', { status: 'failed', reason: 'x', error_description: 'name is required' }],
	])('reads a refusal in another shape (%s) as refused, with the API’s words', (_, entry) => {
		expect(readBulkReply([entry], creates(1), 'clients', 'client_id')).toEqual([{ ok: false, message: 'name is required' }]);
	});

	it.each([
		['a message only', { message: 'name is required' }, '(its entry has message)'],
		['success without an id', { success: 'client created' }, '(its entry has success)'],
		['an empty entry', {}, '(its entry is empty)'],
		['a null id', { client_id: null, status: 'queued' }, '(its entry has client_id, status)'],
	])('a create with %s is unclear, never Created', (_, entry, fields) => {
		expect(readBulkReply([entry], creates(1), 'clients', 'client_id')).toEqual([
			{ ok: 'unclear', reason: `the bulk reply gave no client_id for this record ${fields}` },
		]);
	});

	it.each([
		['errors', { client_id: 101, errors: ['the welcome e-mail could not be sent'] }, 'the welcome e-mail could not be sent'],
		['status: "error"', { id: 101, status: 'error', message: 'created, but not indexed' }, 'created, but not indexed'],
		['success: 0', { client_id: 101, success: 0 }, 'rejected by the bulk call, without a reason'],
	])('a create with an id AND a refusal sign (%s) is unclear — it may exist — never refused (re-sent)', (_, entry, words) => {
		const [result] = readBulkReply([entry], creates(1), 'clients', 'client_id')!;
		expect(result).toEqual({ ok: 'unclear', reason: expect.stringContaining(`the bulk reply gave a client_id and an error for this record ("${words}")`) });
	});

	it('bare text is an id only when it reads as one: never words, a status word, or a word among numeric ids', () => {
		expect(readBulkReply([101, 'name is required'], creates(2), 'clients', 'client_id')).toEqual([
			{ ok: true, id: 101 },
			{ ok: 'unclear', reason: 'the bulk reply gave text, not an id, for this record ("name is required")' },
		]);
		expect(readBulkReply(['ok', 'invalid'], creates(2), 'clients', 'client_id')).toEqual([
			expect.objectContaining({ ok: 'unclear' }),
			expect.objectContaining({ ok: 'unclear' }),
		]);
		expect(readBulkReply([101, 'invalid_email'], creates(2), 'clients', 'client_id')).toEqual([
			{ ok: true, id: 101 },
			{ ok: 'unclear', reason: 'the bulk reply gave "invalid_email" for this record where the others have numeric ids' },
		]);
		expect(readBulkReply(['rec0001', 'cus_NffrFeUfNV2Hib', '42'], creates(3), 'clients', 'client_id')).toEqual([
			{ ok: true, id: 'rec0001' },
			{ ok: true, id: 'cus_NffrFeUfNV2Hib' },
			{ ok: true, id: '42' },
		]);
	});

	const update = (id: unknown, fields: IDataObject = { city: 'Brugge' }): SentRecord => ({ op: 'update', id, fields });

	it('an update is written only on a real sign of success; an echo of the id sent proves nothing', () => {
		const entries: unknown[] = [
			{ client_id: 7, success: 'client updated' },
			{ success: true },
			{ success: 1 },
			{ ok: true },
			{ status: 'ok' },
			{ status: 204 },
			{ client_id: 7 },
			{ client_id: 7, message: 'name is required' },
			{ message: 'queued' },
			7,
		];
		expect(readBulkReply(entries, entries.map(() => update(7)), 'clients', 'client_id')).toEqual([
			{ ok: true, id: 7 },
			{ ok: true, id: null },
			{ ok: true, id: null },
			{ ok: true, id: null },
			{ ok: true, id: null },
			{ ok: true, id: null },
			{ ok: 'unclear', reason: 'the bulk reply did not say whether this record was updated (its entry has client_id)' },
			{ ok: 'unclear', reason: 'the bulk reply did not say whether this record was updated (its entry has client_id, message)' },
			{ ok: 'unclear', reason: 'the bulk reply did not say whether this record was updated (its entry has message)' },
			{ ok: 'unclear', reason: 'the bulk reply gave only an id for this record, which says nothing about the update' },
		]);
	});

	it.each([0, -1, '0', 'false', 'FALSE', 'no', 'error', 'failed: name is required', 'not saved'])(
		'an update with success: %p is refused (tried alone), never Updated',
		(success) => {
			expect(readBulkReply([{ client_id: 7, success, message: 'name is required' }], [update(7)], 'clients', 'client_id')).toEqual([
				{ ok: false, message: 'name is required' },
			]);
		},
	);

	it('an update entry naming another record than the one sent at its place is unclear', () => {
		expect(readBulkReply([{ client_id: 8, success: 'client updated' }], [update(7)], 'clients', 'client_id')).toEqual([
			{ ok: 'unclear', reason: 'the bulk reply names another record (client_id 8) at this record\'s place (its entry has client_id, success)' },
		]);
	});

	it('an update entry that is the record showing every value written is Updated (Airtable {id, fields}); words beside it are not', () => {
		const shape = { ...PLAIN_SHAPE, fieldsPath: 'fields' };
		const sent = [update('rec1', { Status: 'Customer', Score: 7 })];
		const record = { id: 'rec1', createdTime: '2026-01-01T00:00:00.000Z', fields: { Name: 'Anna', Status: 'Customer', Score: '7' } };
		expect(readBulkReply({ records: [record] }, sent, 'records', 'id', shape)).toEqual([{ ok: true, id: 'rec1' }]);
		expect(readBulkReply({ records: [{ ...record, message: 'Score is read-only' }] }, sent, 'records', 'id', shape)).toEqual([
			expect.objectContaining({ ok: 'unclear' }),
		]);
		expect(readBulkReply({ records: [{ ...record, fields: { Status: 'Lead', Score: 7 } }] }, sent, 'records', 'id', shape)).toEqual([
			expect.objectContaining({ ok: 'unclear' }),
		]);
		// Flat records: the values written, echoed with the API's words, are no proof either.
		expect(readBulkReply([{ client_id: 7, city: 'Brugge', message: 'name is required' }], [update(7)], 'clients', 'client_id')).toEqual([
			expect.objectContaining({ ok: 'unclear' }),
		]);
		expect(readBulkReply([{ client_id: 7, name: 'Acme', city: 'Brugge' }], [update(7)], 'clients', 'client_id')).toEqual([{ ok: true, id: 7 }]);
	});
});

describe('settleAfterReread', () => {
	const failedOutcome = (stage: FailedOutcome['stage'], entry: FailedOutcome['entry']): FailedOutcome => ({
		kind: 'failed',
		itemIndex: 'itemIndex' in entry ? entry.itemIndex : undefined,
		match: entry.match,
		stage,
		reason: 'connection reset',
		uncertain: true,
		entry,
	});
	const sources = new Map<number, SourceRecord>([
		[0, { itemIndex: 0, record: { ext: 'A', name: 'new' } }],
		[1, { itemIndex: 1, record: { ext: 'B', name: 'b2' } }],
	]);

	it('an update whose record is gone fails, naming the record; one found as intended is updated', () => {
		const update = { itemIndex: 1, match: { ext: 'B' }, remoteId: 7, changes: { name: 'b2' }, record: { ext: 'B', name: 'b2' }, remote: { id: 7, ext: 'B', name: 'b' } };
		const gone = settleAfterReread([failedOutcome('update', update)], [], sources, settings);
		expect(gone.settled).toEqual([expect.objectContaining({ kind: 'failed', uncertain: false, reason: expect.stringMatching(/^The remote record \(id 7\) no longer exists/) })]);
		const done = settleAfterReread([failedOutcome('update', update)], [{ id: 7, ext: 'B', name: 'b2' }], sources, settings);
		expect(done.settled).toEqual([{ kind: 'updated', itemIndex: 1, match: { ext: 'B' }, remoteId: 7, changes: { name: { from: 'b', to: 'b2' } } }]);
	});

	it('a create found with other values is brought in line and still reported as created', () => {
		const create = { itemIndex: 0, match: { ext: 'A' }, record: { ext: 'A', name: 'new' } };
		const settlement = settleAfterReread([failedOutcome('create', create)], [{ id: 3, ext: 'A', name: 'edited' }], sources, settings);
		expect(settlement.settled).toEqual([]);
		expect(settlement.retry.updates).toEqual([expect.objectContaining({ itemIndex: 0, remoteId: 3, changes: { name: 'new' } })]);
		const followUp = { kind: 'updated' as const, itemIndex: 0, match: { ext: 'A' }, remoteId: 3, changes: {} };
		expect(asCreated(followUp, settlement.createIntents, sources)).toEqual({ kind: 'created', itemIndex: 0, match: { ext: 'A' }, remoteId: 3, record: { ext: 'A', name: 'new' } });
	});

	it('a create not found is created again; a delete not found is done', () => {
		const create = { itemIndex: 0, match: { ext: 'A' }, record: { ext: 'A', name: 'new' } };
		const del = { match: { ext: 'Z' }, remoteId: 5, remote: { id: 5, ext: 'Z' } };
		const settlement = settleAfterReread([failedOutcome('create', create), failedOutcome('delete', del)], [], sources, settings);
		expect(settlement.retry.creates).toEqual([create]);
		expect(settlement.settled).toEqual([{ kind: 'deleted', match: { ext: 'Z' }, remoteId: 5, remote: del.remote }]);
	});
});

describe('WaitLog', () => {
	it('counts overlapping waits once (wall clock), separate waits each', () => {
		const waits = new WaitLog();
		for (let i = 0; i < 8; i++) waits.add(1000 + i, 1000);
		waits.add(5000, 500);
		waits.add(5200, 100);
		expect(waits.totalMs()).toBe(1007 + 500);
		expect(new WaitLog().totalMs()).toBe(0);
	});
});

describe('Slots', () => {
	it('never runs more than its limit at once', async () => {
		const slots = new Slots(3);
		let active = 0;
		let most = 0;
		const releases: Array<() => void> = [];
		const tasks = Array.from({ length: 10 }, () =>
			slots.run(async () => {
				active++;
				most = Math.max(most, active);
				await new Promise<void>((resolve) => releases.push(resolve));
				active--;
			}),
		);
		while (releases.length > 0 || active > 0) {
			await new Promise((resolve) => setImmediate(resolve));
			releases.shift()?.();
		}
		await Promise.all(tasks);
		expect(most).toBe(3);
	});
});

describe('idempotencyKeyFor', () => {
	const scope = { executionId: '41', nodeId: 'node-1', runId: 'run-1', baseUrl: 'https://api.example/v1', account: '' };
	it('is stable for the same write of the same run and differs for another write', () => {
		const a = idempotencyKeyFor(scope, 'POST', '/clients', { ext: 'A' }, { name: 'x' });
		expect(a).toMatch(/^[0-9a-f]{64}$/);
		expect(idempotencyKeyFor({ ...scope }, 'post', '/clients', { ext: 'A' }, { name: 'x' })).toBe(a);
		expect(idempotencyKeyFor(scope, 'POST', '/clients', { ext: 'A' }, { name: 'y' })).not.toBe(a);
		expect(idempotencyKeyFor(scope, 'POST', '/clients', { ext: 'B' }, { name: 'x' })).not.toBe(a);
	});

	it.each([
		['another execution', { executionId: '42' }],
		['another node', { nodeId: 'node-2' }],
		['another run of the node', { runId: 'run-2' }],
		['another account', { account: 'CBBBBBBBB' }],
		['another Base URL', { baseUrl: 'https://other.example/v1' }],
	])('differs for the same write in %s', (_, change) => {
		const key = (s: typeof scope) => idempotencyKeyFor(s, 'PATCH', '/clients/7', { ext: 'A' }, { city: 'Gent' });
		expect(key({ ...scope, ...change })).not.toBe(key(scope));
	});
});

describe('change-feed fingerprint', () => {
	const node = { name: 'n', type: 't', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;
	const fingerprint = (accountId: string, credentialAccountId: string, baseUrl = 'https://x/api/v1') =>
		readChangeSettings({ node, getParam: (_, fallback) => fallback, options: {}, baseUrl, accountId, credentialAccountId }).fingerprint;

	it('belongs to the effective account (node option, else the credential’s) and the base URL', () => {
		expect(fingerprint('', 'A')).not.toBe(fingerprint('', 'B'));
		expect(fingerprint('B', 'A')).toBe(fingerprint('', 'B'));
		expect(fingerprint('', 'A')).not.toBe(fingerprint('', 'A', 'https://y/api/v1'));
		expect(fingerprint('', '')).toBe(fingerprint('', ' '));
	});
});
