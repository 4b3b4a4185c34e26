/**
 * Sync integrity (issue 9) through real workflows against the sandbox: values and match keys that
 * round-trip with another type, Mirror on doubtful input, honest reports after lost answers, bulk
 * replies of every common shape, bounded concurrency, wall-clock waiting and idempotency keys.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult, type TestCredential } from '../harness';
import { ACCOUNTS, USERS } from '../sandbox/fixtures';
import { startSandbox, type RequestLogEntry, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;
const PORTAL = USERS.find((u) => u.portal)!;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

function customer(i: number, extra: IDataObject = {}): IDataObject {
	return { shopId: `WS-${i}`, company: `Customer ${i} BV`, city: 'Gent', ...extra };
}

const MAPPING: Record<string, string> = {
	external_client_id: '={{ $json.shopId }}',
	name: '={{ $json.company }}',
	city: '={{ $json.city }}',
};

interface SyncCall {
	mapping?: Record<string, string>;
	schema?: Array<Record<string, string | boolean>>;
	matchOn?: string[];
	parameters?: IDataObject;
	syncOptions?: IDataObject;
	credentials?: TestCredential[];
}

function sync(items: IDataObject[], call: SyncCall = {}): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
				operation: 'sync',
				remoteResource: 'clients',
				syncMode: 'upsert',
				columns: {
					mappingMode: 'defineBelow',
					value: call.mapping ?? MAPPING,
					matchingColumns: call.matchOn ?? ['external_client_id'],
					schema: call.schema ?? [],
				},
				syncOptions: { maxRequestsPerSecond: 0, ...call.syncOptions },
				...call.parameters,
			},
		},
		items,
		credentials: call.credentials ?? [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
	});
}

const remoteClients = () => sandbox.store.list(OWNER, 'clients');
const insert = (data: IDataObject) => sandbox.store.insert(OWNER, 'clients', data).client_id as number;
const writes = () => sandbox.log.filter((e) => e.method !== 'GET');
const counts = (result: RunResult) => result.output.map((o) => o.length);

/** Calls `onLogged` with every log entry as the sandbox appends it (when the response is sent). */
function watchLog(onLogged: (entry: RequestLogEntry) => void): () => void {
	const log = sandbox.log;
	log.push = (...entries: RequestLogEntry[]) => {
		const count = Array.prototype.push.apply(log, entries);
		for (const entry of entries) onLogged(entry);
		return count;
	};
	return () => delete (log as { push?: unknown }).push;
}

describe('point 7: different values are never equal, equal values are never rewritten', () => {
	it('corrects text that only looks like the same number', async () => {
		const id = insert({ name: 'A', external_client_id: 'WS-1', phone: '0470123456', number: '01000', vat_rate: '1.10', ref: '12345678901234567' });
		const mapping = { external_client_id: MAPPING.external_client_id, name: MAPPING.name, phone: '={{ $json.phone }}', number: '={{ $json.number }}', vat_rate: '={{ $json.vat }}', ref: '={{ $json.ref }}' };
		const item = { shopId: 'WS-1', company: 'A', phone: '470123456', number: '1000', vat: '1.1', ref: '12345678901234568' };
		const result = await sync([item], { mapping });
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(result.output[1][0].json.changes).toEqual({
			phone: { from: '0470123456', to: '470123456' },
			number: { from: '01000', to: '1000' },
			vat_rate: { from: '1.10', to: '1.1' },
			ref: { from: '12345678901234567', to: '12345678901234568' },
		});
		expect(sandbox.store.get(OWNER, 'clients', id)).toMatchObject({ phone: '470123456', number: '1000', vat_rate: '1.1', ref: '12345678901234568' });
	});

	it('writes nothing on the second run when the API stores numbers as numbers, text as text, and drops null members', async () => {
		sandbox.store.setFieldTypes('clients', { amount: 'number', prices: 'number', phone: 'text' });
		const mapping = { ...MAPPING, amount: '={{ $json.amount }}', prices: '={{ $json.prices }}', phone: '={{ $json.phone }}' };
		const items = [customer(1, { amount: '10.50', prices: { unit: '10.50', discount: null, tiers: ['1.50', 2] }, phone: 470123456 })];
		const first = await sync(items, { mapping });
		expect(counts(first)).toEqual([1, 0, 0, 0, 0]);
		expect(remoteClients()[0]).toMatchObject({ amount: 10.5, prices: { unit: 10.5, tiers: [1.5, 2] }, phone: '470123456' });
		expect(remoteClients()[0].prices).not.toHaveProperty('discount');

		sandbox.log.length = 0;
		const second = await sync(items, { mapping });
		expect(counts(second)).toEqual([0, 0, 1, 0, 0]);
		expect(writes()).toHaveLength(0);
	});
});

describe('point 8: match keys normalise like values', () => {
	it('finds the record whose numeric key the API returns as a number, so a second run creates no duplicate', async () => {
		sandbox.store.setFieldTypes('clients', { external_client_id: 'number' });
		const items = [customer(0, { shopId: '0042' }), customer(1, { shopId: '7' })];
		const first = await sync(items);
		expect(counts(first)).toEqual([2, 0, 0, 0, 0]);
		expect(remoteClients().map((c) => c.external_client_id)).toEqual([42, 7]);
		const second = await sync(items);
		expect(counts(second)).toEqual([0, 0, 2, 0, 0]);
		expect(remoteClients()).toHaveLength(2);
	});

	it('keeps numeric text apart from other numeric text: "0042" is not "42"', async () => {
		insert({ name: 'Forty-two', external_client_id: '42' });
		const result = await sync([customer(0, { shopId: '0042' })]);
		expect(counts(result)).toEqual([1, 0, 0, 0, 0]);
		expect(remoteClients().map((c) => c.external_client_id)).toEqual(['42', '0042']);
	});

	it('fails both items when "0042" and "42" both match the remote number 42, instead of picking one', async () => {
		insert({ name: 'Forty-two', external_client_id: 42 });
		const result = await sync([customer(0, { shopId: '0042' }), customer(1, { shopId: '42' })]);
		expect(counts(result)).toEqual([0, 0, 0, 0, 2]);
		expect(result.output[4][0].json.error).toMatch(/^Items 0, 1 all match the remote record client_id \d+/);
		expect(remoteClients()).toHaveLength(1);
	});

	it('matches composed and decomposed Unicode (NFC = NFD)', async () => {
		insert({ name: 'Café NFC', external_client_id: 'Caf\u00e9', city: 'Gent' });
		const result = await sync([customer(0, { shopId: 'Cafe\u0301', company: 'Café NFC' })]);
		expect(counts(result)).toEqual([0, 0, 1, 0, 0]);
		expect(remoteClients()).toHaveLength(1);
	});

	it('matches case-insensitively with full case folding (STRASSE = straße)', async () => {
		insert({ name: 'Street', external_client_id: 'HAUPTSTRASSE-1', city: 'Gent' });
		const result = await sync([customer(0, { shopId: 'hauptstraße-1', company: 'Street' })], { syncOptions: { caseInsensitive: true } });
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(result.output[1][0].json.changes).toEqual({ external_client_id: { from: 'HAUPTSTRASSE-1', to: 'hauptstraße-1' } });
		expect(remoteClients()).toHaveLength(1);
	});

	it('keeps composite keys apart even when a value contains the old separator', async () => {
		insert({ name: 'x\u001fy', external_client_id: 'z', city: 'Gent' });
		const result = await sync([customer(0, { company: 'x', shopId: 'y\u001fz' })], { matchOn: ['name', 'external_client_id'] });
		expect(counts(result)).toEqual([1, 0, 0, 0, 0]);
		expect(remoteClients()).toHaveLength(2);
	});
});

describe('point 3: Mirror never deletes on doubtful input', () => {
	beforeEach(() => {
		for (const i of [1, 2, 3]) insert({ name: `Customer ${i} BV`, external_client_id: `WS-${i}`, city: 'Brussel' });
	});

	const expectNothingDeleted = (result: RunResult, why: RegExp) => {
		expect(result.error).toBeUndefined();
		expect(result.output[3]).toHaveLength(0);
		expect(sandbox.log.filter((e) => e.method === 'DELETE')).toHaveLength(0);
		expect(result.hints[0]).toMatchObject({ type: 'warning', message: expect.stringMatching(why) });
	};

	it('deletes nothing when an item has an empty match key, and still updates the others', async () => {
		const result = await sync([customer(1), customer(9, { shopId: '' })], { parameters: { syncMode: 'mirror' } });
		expectNothingDeleted(result, /Mirror deleted nothing: 1 input item could not be planned \(see Failed\).*\(2 remote records not in the input kept\)/);
		expect(counts(result)).toEqual([0, 1, 0, 0, 1]);
		expect(remoteClients()).toHaveLength(3);
	});

	it('deletes nothing when an item’s field mapping fails', async () => {
		// The mapping declares "amount" a number: n8n refuses "abc" for the second item.
		const mapping = { ...MAPPING, amount: '={{ $json.amount }}' };
		const schema = [{ id: 'amount', displayName: 'amount', type: 'number', required: false, defaultMatch: false, display: true }];
		const items = [customer(1, { amount: 5 }), customer(2, { amount: 'abc' })];
		const result = await sync(items, { mapping, schema, parameters: { syncMode: 'mirror' } });
		expectNothingDeleted(result, /Mirror deleted nothing: 1 input item could not be planned/);
		expect(result.output[4][0]).toMatchObject({ json: { error: expect.stringMatching(/^The field mapping failed for this item/), stage: 'plan' }, pairedItem: { item: 1 } });
		expect(remoteClients()).toHaveLength(3);
	});

	it('deletes nothing when the input has duplicate match keys', async () => {
		const result = await sync([customer(1), customer(1, { city: 'Leuven' })], { parameters: { syncMode: 'mirror' } });
		expectNothingDeleted(result, /could not be planned/);
		expect(counts(result)).toEqual([0, 0, 0, 0, 2]);
	});

	it('deletes nothing on one empty item (an upstream node with Always Output Data)', async () => {
		const result = await sync([{}], { parameters: { syncMode: 'mirror' } });
		expectNothingDeleted(result, /Mirror deleted nothing: no input item has a value in external_client_id/);
		expect(remoteClients()).toHaveLength(3);
	});

	it('says so in a dry run too', async () => {
		const result = await sync([{}], { parameters: { syncMode: 'mirror' }, syncOptions: { dryRun: true } });
		expect(result.output[3]).toHaveLength(0);
		expect(result.hints[0].message).toMatch(/Mirror would delete nothing: no input item has a value/);
	});

	it('still deletes on complete input', async () => {
		const result = await sync([customer(1)], { parameters: { syncMode: 'mirror' } });
		expect(counts(result)).toEqual([0, 1, 0, 2, 0]);
	});
});

describe('point 10: honest reports', () => {
	it('Update Only: an update whose record was deleted meanwhile (answer lost) goes to Failed, not Updated with id null', async () => {
		const id = insert({ name: 'Customer 1 BV', external_client_id: 'WS-1', city: 'Brussel' });
		const stop = watchLog((entry) => {
			if (entry.method === 'GET') sandbox.store.remove(OWNER, 'clients', id);
		});
		sandbox.setFaults({ scripted: [{ method: 'POST', path: `/api/v1/clients/${id}`, reset: true }] });
		const result = await sync([customer(1)], { parameters: { syncMode: 'updateOnly' }, syncOptions: { useBulk: false } });
		stop();
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(result.output[4][0]).toMatchObject({
			json: { stage: 'update', error: expect.stringMatching(new RegExp(`^The remote record \\(client_id ${id}\\) no longer exists: it was deleted after this run read it`)) },
			pairedItem: { item: 0 },
		});
	});

	it('Update Only: a 404 on the update names the vanished record', async () => {
		const id = insert({ name: 'Customer 1 BV', external_client_id: 'WS-1', city: 'Brussel' });
		const stop = watchLog((entry) => {
			if (entry.method === 'GET') sandbox.store.remove(OWNER, 'clients', id);
		});
		const result = await sync([customer(1)], { parameters: { syncMode: 'updateOnly' }, syncOptions: { useBulk: false } });
		stop();
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(result.output[4][0].json).toMatchObject({ stage: 'update', httpCode: '404', error: expect.stringMatching(/no longer exists.*404 Not Found from POST/) });
	});

	it('a create whose answer was lost and whose record was then changed by someone else lands under Created', async () => {
		let lost = false;
		sandbox.store.onCommit = ({ id, kind }) => {
			if (kind !== 'create' || lost) return;
			lost = true;
			sandbox.store.update(OWNER, 'clients', id, { city: 'Edited elsewhere' });
			throw new Error('gateway lost the answer');
		};
		const result = await sync([customer(1)], { syncOptions: { useBulk: false } });
		expect(counts(result)).toEqual([1, 0, 0, 0, 0]);
		const [client] = remoteClients();
		expect(result.output[0][0]).toMatchObject({ json: { id: client.client_id, match: { external_client_id: 'WS-1' } }, pairedItem: { item: 0 } });
		expect(client.city).toBe('Gent');
		expect(remoteClients()).toHaveLength(1);
	});
});

describe('point 11: bulk fallbacks keep their promises', () => {
	const fifty = () => {
		const items = Array.from({ length: 50 }, (_, i) => customer(i));
		items[20] = customer(20, { company: '' });
		return items;
	};

	it.each(['resource', 'list', 'results'] as const)('reads a %s-shaped bulk reply: a rejected record is tried alone and fails with the API’s words', async (shape) => {
		sandbox.store.bulkReplyShape = shape;
		const result = await sync(fifty());
		expect(counts(result)).toEqual([49, 0, 0, 0, 1]);
		expect(result.output[4][0]).toMatchObject({
			json: { error: '400 Bad Request from POST /api/v1/clients: "name is required"', stage: 'create', httpCode: '400' },
			pairedItem: { item: 20 },
		});
		expect(sandbox.log.map((e) => `${e.method} ${e.path}${e.query.bulk === undefined ? '' : '?bulk'}`)).toEqual([
			'GET /api/v1/clients',
			'POST /api/v1/clients?bulk',
			'POST /api/v1/clients',
			// the check for records another run created at the same time (overlappingRuns.test.ts)
			'GET /api/v1/clients',
		]);
		expect(remoteClients()).toHaveLength(49);
	});

	it('after a bulk reply without results, re-reads once and never sends the batch again', async () => {
		sandbox.store.bulkReplyShape = 'none';
		const result = await sync(fifty());
		expect(counts(result)).toEqual([49, 0, 0, 0, 1]);
		expect(result.output[4][0].json.error).toBe('400 Bad Request from POST /api/v1/clients: "name is required"');
		expect(sandbox.log.filter((e) => e.query.bulk !== undefined)).toHaveLength(1);
		// read, bulk, re-read, WS-20 alone, and the read that checks for overlapping runs
		expect(sandbox.log.map((e) => `${e.method} ${e.path}${e.query.bulk === undefined ? '' : '?bulk'}`)).toEqual([
			'GET /api/v1/clients',
			'POST /api/v1/clients?bulk',
			'GET /api/v1/clients',
			'POST /api/v1/clients',
			'GET /api/v1/clients',
		]);
		expect(result.output[0].every((o) => typeof o.json.id === 'number')).toBe(true);
	});

	// Issue 16.7: an entry is Created only with an id, or once a re-read confirms it.
	it.each(['status', 'ok', 'message'] as const)(
		'a bulk reply reporting a refusal in another shape (%s) is never read as Created: the record fails with the API’s words',
		async (shape) => {
			sandbox.store.bulkErrorShape = shape;
			const result = await sync(fifty());
			expect(counts(result)).toEqual([49, 0, 0, 0, 1]);
			expect(result.output[0].every((o) => typeof o.json.id === 'number')).toBe(true);
			expect(result.output[4][0]).toMatchObject({
				json: { error: '400 Bad Request from POST /api/v1/clients: "name is required"', stage: 'create', httpCode: '400' },
				pairedItem: { item: 20 },
			});
			expect(sandbox.log.filter((e) => e.query.bulk !== undefined)).toHaveLength(1);
			expect(remoteClients()).toHaveLength(49);
		},
	);

	it('a bulk reply without ids is confirmed by a re-read before anything is reported Created', async () => {
		sandbox.store.bulkReplyIds = false;
		const result = await sync(Array.from({ length: 5 }, (_, i) => customer(i)));
		expect(counts(result)).toEqual([5, 0, 0, 0, 0]);
		const ids = remoteClients().map((c) => c.client_id);
		expect(result.output[0].map((o) => o.json.id)).toEqual(ids);
		// read, bulk, the re-read that confirms, and the overlap check; nothing sent twice
		expect(sandbox.log.map((e) => `${e.method} ${e.path}${e.query.bulk === undefined ? '' : '?bulk'}`)).toEqual([
			'GET /api/v1/clients',
			'POST /api/v1/clients?bulk',
			'GET /api/v1/clients',
			'GET /api/v1/clients',
		]);
	});

	it('a refused bulk call is retried record by record within the Concurrency setting', async () => {
		const spans: Array<[number, number]> = [];
		const stop = watchLog((entry) => {
			if (entry.method === 'POST' && entry.query.bulk === undefined) spans.push([entry.time, Date.now()]);
		});
		sandbox.setFaults({ latencyMs: 20, scripted: [{ method: 'POST', path: '/api/v1/clients?bulk=', status: 400, body: '{"error": "bulk refused"}' }] });
		const result = await sync(Array.from({ length: 24 }, (_, i) => customer(i)), { syncOptions: { concurrency: 4 } });
		stop();
		expect(counts(result)).toEqual([24, 0, 0, 0, 0]);
		expect(spans).toHaveLength(24);
		// Most requests in flight at once, as the sandbox saw them (arrival to answer).
		const inFlight = Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
		expect(inFlight).toBeLessThanOrEqual(4);
	});

	it('reports waiting as wall-clock time, not the sum of concurrent waits', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', status: 429, headers: { 'Retry-After': '1' }, times: 8 }] });
		const result = await sync(Array.from({ length: 8 }, (_, i) => customer(i)), { syncOptions: { useBulk: false, concurrency: 8 } });
		expect(counts(result)).toEqual([8, 0, 0, 0, 0]);
		const [, waiting, total] = /(\d+\.\d) s waiting on rate limits and retries, (\d+\.\d) s in all/.exec(result.hints[0].message) ?? [];
		expect(Number(waiting)).toBeGreaterThanOrEqual(1);
		expect(Number(waiting)).toBeLessThanOrEqual(Number(total));
	});
});

describe('idempotency keys', () => {
	it('sends a stable key per write, the same when a write whose answer was lost is sent again', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', reset: true }] });
		const result = await sync([customer(1), customer(2)], { syncOptions: { useBulk: false, concurrency: 1, idempotencyHeader: 'Idempotency-Key' } });
		expect(counts(result)).toEqual([2, 0, 0, 0, 0]);
		const posts = writes();
		expect(posts.map((p) => p.status)).toEqual([0, 201, 201]);
		const keys = posts.map((p) => p.headers['idempotency-key']);
		for (const key of keys) expect(key).toMatch(/^[0-9a-f]{64}$/);
		const byRecord = (n: number) => posts.filter((p) => JSON.parse(p.body).external_client_id === `WS-${n}`).map((p) => p.headers['idempotency-key']);
		expect(byRecord(1)).toHaveLength(2);
		expect(new Set(byRecord(1)).size).toBe(1);
		expect(byRecord(2)[0]).not.toBe(byRecord(1)[0]);
	});

	// Issue 16.5: a key identifies one intended write of one run; the API's replay store never answers another run.
	const withKey = { syncOptions: { useBulk: false, idempotencyHeader: 'Idempotency-Key' } };
	const replayed = () => sandbox.log.filter((e) => e.replayed);

	it('a value that changes back is written every run (Gent → Leuven → Gent → Leuven), never answered from the replay store', async () => {
		insert({ name: 'Customer 1 BV', external_client_id: 'WS-1', city: 'Leuven' });
		for (const city of ['Gent', 'Leuven', 'Gent', 'Leuven']) {
			const result = await sync([customer(1, { city })], withKey);
			expect({ city, counts: counts(result) }).toEqual({ city, counts: [0, 1, 0, 0, 0] });
			expect(remoteClients()[0].city).toBe(city);
		}
		expect(replayed()).toEqual([]);
		const keys = writes().map((w) => w.headers['idempotency-key']);
		expect(new Set(keys).size).toBe(4);
	});

	it('a record someone deleted is created again by the next run, with a new id', async () => {
		const first = await sync([customer(1)], withKey);
		const oldId = first.output[0][0].json.id as number;
		sandbox.store.remove(OWNER, 'clients', oldId);
		const second = await sync([customer(1)], withKey);
		expect(counts(second)).toEqual([1, 0, 0, 0, 0]);
		expect(remoteClients()).toHaveLength(1);
		expect(second.output[0][0].json.id).toBe(remoteClients()[0].client_id);
		expect(second.output[0][0].json.id).not.toBe(oldId);
		expect(replayed()).toEqual([]);
	});

	it('an accountant-portal user syncing the same client into a second account creates it there', async () => {
		const [first, second] = ACCOUNTS.portalClients;
		const portal = { type: CREDENTIAL_TYPE.basic, data: credentialData('basic', sandbox.baseUrl, { user: PORTAL.email, password: PORTAL.password }) };
		const parameters = (account: string) => ({ authentication: CREDENTIAL_TYPE.basic, options: { accountId: account } });
		for (const account of [first, second]) {
			const result = await sync([customer(1)], { ...withKey, parameters: parameters(account), credentials: [portal] });
			expect({ account, counts: counts(result) }).toEqual({ account, counts: [1, 0, 0, 0, 0] });
			expect(result.output[0][0].json.id).toBe(sandbox.store.list(account, 'clients')[0]?.client_id);
		}
		expect(sandbox.store.list(first, 'clients')).toHaveLength(1);
		expect(sandbox.store.list(second, 'clients')).toHaveLength(1);
		expect(replayed()).toEqual([]);
	});

	it('a write whose answer was lost is sent again with its key, and the API applies it once', async () => {
		sandbox.setFaults({ scripted: [{ path: /^\/api\/v1\/clients\/\d+$/, status: 504, afterApply: true }] });
		insert({ name: 'Customer 1 BV', external_client_id: 'WS-1', city: 'Leuven' });
		const result = await sync([customer(1)], withKey);
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		const patches = writes();
		expect(patches.map((p) => [p.status, p.fault ?? null, p.replayed ?? false])).toEqual([
			[504, 'applied-error', false],
			[200, null, true],
		]);
		expect(patches[1].headers['idempotency-key']).toBe(patches[0].headers['idempotency-key']);
		expect(remoteClients()[0].city).toBe('Gent');
	});

	it('sends no key when the option is empty', async () => {
		await sync([customer(1)], { syncOptions: { useBulk: false } });
		expect(writes()[0].headers['idempotency-key']).toBeUndefined();
	});
});
