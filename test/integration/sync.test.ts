/**
 * Record Sync through real workflows against the sandbox: plan, then apply; every mode, dry run,
 * bulk, duplicates, bad input, and correctness under injected faults.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS, ALL_SECRETS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => {
	sandbox.reset();
	for (const account of [ACCOUNTS.owner]) for (const c of sandbox.store.list(account, 'clients')) sandbox.store.remove(account, 'clients', c.client_id as number);
});

const OWNER = ACCOUNTS.owner;

/** A webshop customer, as a Code node or database would deliver it. */
function customer(i: number, extra: IDataObject = {}): IDataObject {
	return { shopId: `WS-${i}`, company: `Customer ${i} BV`, email: `customer${i}@shop.example`, city: i % 2 ? 'Gent' : 'Antwerpen', ...extra };
}

const MAPPING = {
	external_client_id: '={{ $json.shopId }}',
	name: '={{ $json.company }}',
	email_address: '={{ $json.email }}',
	city: '={{ $json.city }}',
};

function sync(items: IDataObject[], parameters: IDataObject = {}, syncOptions: IDataObject = {}): Promise<RunResult> {
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
					value: MAPPING,
					matchingColumns: ['external_client_id'],
					schema: [],
				},
				syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
				...parameters,
			},
		},
		items,
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
	});
}

const remoteClients = () => sandbox.store.list(OWNER, 'clients');
const writes = () => sandbox.log.filter((e) => e.method !== 'GET');
const counts = (result: RunResult) => result.output.map((o) => o.length);

describe('Sync: upsert', () => {
	it('creates everything on the first run, then makes no write when nothing changed', async () => {
		const items = Array.from({ length: 250 }, (_, i) => customer(i));
		const first = await sync(items, {}, { useBulk: false });
		expect(first.error).toBeUndefined();
		expect(counts(first)).toEqual([250, 0, 0, 0, 0]);
		expect(remoteClients()).toHaveLength(250);
		expect(first.output[0][0]).toEqual({
			json: { id: expect.any(Number), match: { external_client_id: 'WS-0' }, fields: { external_client_id: 'WS-0', name: 'Customer 0 BV', email_address: 'customer0@shop.example', city: 'Antwerpen' } },
			pairedItem: { item: 0 },
		});
		expect(first.hints[0].message).toMatch(/^Sync: 250 created, 0 updated, 0 unchanged, 0 deleted, 0 failed · 252 requests \(250 writes\)/);
		// 252: one read (the empty list), 250 creates, and one read of the ids below this run's lowest, where records
		// another run created meanwhile would be

		sandbox.log.length = 0;
		const second = await sync(items);
		expect(counts(second)).toEqual([0, 0, 250, 0, 0]);
		expect(writes()).toHaveLength(0);
		// Only list requests, at most one per 100 records, with fields= to fetch just what is compared.
		// (Pages overlap by one record to catch a listing that shifts while it is read; 297, 396 and 495 are the three
		// requests past the end that reading four pages at once costs.)
		expect(sandbox.log.map((e) => Number(e.query.skip)).sort((a, b) => a - b)).toEqual([0, 99, 198, 297, 396, 495]);
		expect(sandbox.log[0].query.fields).toBe('client_id,external_client_id,name,email_address,city');
	});

	it('updates only the changed fields, with a partial update', async () => {
		const items = Array.from({ length: 5 }, (_, i) => customer(i));
		await sync(items);
		sandbox.log.length = 0;
		items[2] = customer(2, { city: 'Leuven' });
		const result = await sync(items);
		expect(counts(result)).toEqual([0, 1, 4, 0, 0]);
		const id = result.output[1][0].json.id;
		expect(result.output[1][0]).toEqual({
			json: { id, match: { external_client_id: 'WS-2' }, changes: { city: { from: 'Antwerpen', to: 'Leuven' } } },
			pairedItem: { item: 2 },
		});
		const update = writes();
		expect(update.map((w) => `${w.method} ${w.url}`)).toEqual([`POST /api/v1/clients?bulk=`]);
		expect(JSON.parse(update[0].body)).toEqual({ clients: [{ client_id: id, city: 'Leuven' }] });
	});

	it('treats equal values as unchanged on the first run too (numbers, whitespace, empty)', async () => {
		sandbox.store.insert(OWNER, 'clients', { name: 'Customer 1 BV', external_client_id: 'WS-1', email_address: 'customer1@shop.example', city: 'Gent' });
		const result = await sync([customer(1, { company: '  Customer 1 BV ' })]);
		expect(counts(result)).toEqual([0, 0, 1, 0, 0]);
		expect(writes()).toHaveLength(0);
	});

	it('matches case-insensitively when asked, and on several fields', async () => {
		sandbox.store.insert(OWNER, 'clients', { name: 'Acme', external_client_id: 'ws-7', email_address: 'a@b.c', city: 'Gent' });
		const item = { shopId: 'WS-7', company: 'Acme', email: 'a@b.c', city: 'Gent' };
		const strict = await sync([item], {}, { dryRun: true });
		expect(counts(strict)).toEqual([1, 0, 0, 0, 0]);
		const relaxed = await sync([item], { columns: { mappingMode: 'defineBelow', value: MAPPING, matchingColumns: ['external_client_id', 'email_address'], schema: [] } }, { caseInsensitive: true });
		// Matched despite the case; the source's spelling of the key is then written.
		expect(counts(relaxed)).toEqual([0, 1, 0, 0, 0]);
		expect(relaxed.output[1][0].json.changes).toEqual({ external_client_id: { from: 'ws-7', to: 'WS-7' } });
	});

	it('maps input fields automatically by name', async () => {
		const result = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'clients',
					columns: { mappingMode: 'autoMapInputData', value: null, matchingColumns: ['email_address'], schema: [{ id: 'name', displayName: 'name', required: true, defaultMatch: false, display: true }, { id: 'email_address', displayName: 'email_address', required: false, defaultMatch: false, display: true }] },
				},
			},
			items: [{ name: 'Auto', email_address: 'auto@x.be', notAField: 'dropped' }],
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		});
		expect(result.error).toBeUndefined();
		expect(remoteClients()).toEqual([expect.objectContaining({ name: 'Auto', email_address: 'auto@x.be' })]);
		expect(remoteClients()[0].notAField).toBeUndefined();
	});
});

describe('Sync: modes', () => {
	beforeEach(() => {
		for (const i of [1, 2, 3]) sandbox.store.insert(OWNER, 'clients', { name: `Customer ${i} BV`, external_client_id: `WS-${i}`, email_address: `customer${i}@shop.example`, city: 'Brussel' });
	});

	it('Create Only creates what is missing and leaves existing records alone', async () => {
		const result = await sync([customer(1), customer(9)], { syncMode: 'createOnly' });
		expect(counts(result)).toEqual([1, 0, 1, 0, 0]);
		expect(result.output[2][0].json.note).toMatch(/Create Only/);
		expect(remoteClients().find((c) => c.external_client_id === 'WS-1')?.city).toBe('Brussel');
	});

	it('Update Only updates existing records and creates nothing', async () => {
		const result = await sync([customer(1), customer(9)], { syncMode: 'updateOnly' });
		expect(counts(result)).toEqual([0, 1, 1, 0, 0]);
		expect(result.output[2][0].json).toMatchObject({ id: null, note: expect.stringMatching(/No remote record matches/) });
		expect(remoteClients()).toHaveLength(3);
	});

	it('Mirror upserts, then deletes remote records absent from the input', async () => {
		const result = await sync([customer(1)], { syncMode: 'mirror' });
		expect(counts(result)).toEqual([0, 1, 0, 2, 0]);
		expect(result.output[3].map((d) => d.json.match)).toEqual([{ external_client_id: 'WS-2' }, { external_client_id: 'WS-3' }]);
		expect(result.output[3][0].pairedItem).toEqual([{ item: 0 }]);
		expect(remoteClients().map((c) => c.external_client_id)).toEqual(['WS-1']);
	});

	it('Mirror stops before writing anything when it would delete more than Max Deletes', async () => {
		const result = await sync([customer(1, { city: 'Changed' })], { syncMode: 'mirror', maxDeletes: 1 });
		expect((result.error as Error).message).toBe('Mirror would delete 2 remote records, more than Max Deletes (1). Nothing was written.');
		expect(writes()).toHaveLength(0);
		expect(remoteClients()).toHaveLength(3);
	});

	it('Dry Run over Max Deletes says that the real run would stop, and why (issue 16.9)', async () => {
		const items = [customer(1, { city: 'Changed' }), customer(9)];
		const dry = await sync(items, { syncMode: 'mirror', maxDeletes: 1 }, { dryRun: true });
		expect(dry.error).toBeUndefined();
		expect(counts(dry)).toEqual([1, 1, 0, 2, 0]);
		const stop =
			'The real run would stop before writing anything (no create, update or delete): Mirror would delete 2 remote records, more than Max Deletes (1).';
		expect(dry.hints).toHaveLength(1);
		expect(dry.hints[0]).toMatchObject({ type: 'warning' });
		expect(dry.hints[0].message).toContain(
			`${stop} Check that the input holds every record (a failed or partial source step would look like mass deletion). Raise Max Deletes if the deletions are intended.`,
		);
		for (const deletion of dry.output[3]) expect(deletion.json).toMatchObject({ dryRun: true, note: stop });
		expect(writes()).toHaveLength(0);

		// The real run does exactly what the dry run said.
		const real = await sync(items, { syncMode: 'mirror', maxDeletes: 1 });
		expect((real.error as Error).message).toBe('Mirror would delete 2 remote records, more than Max Deletes (1). Nothing was written.');
		expect(writes()).toHaveLength(0);
	});

	it('Dry Run within Max Deletes carries no stop note', async () => {
		const dry = await sync([customer(1), customer(2)], { syncMode: 'mirror', maxDeletes: 1 }, { dryRun: true });
		expect(dry.output[3]).toHaveLength(1);
		expect(dry.hints[0].message).not.toContain('would stop');
		expect(dry.hints[0]).toMatchObject({ type: 'info' });
		expect(dry.output[3][0].json.note).toBeUndefined();
	});

	it('Dry Run outputs the plan and writes nothing', async () => {
		const result = await sync([customer(1), customer(2, { city: 'Brussel' }), customer(9)], { syncMode: 'mirror', maxDeletes: 0 }, { dryRun: true });
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([1, 1, 1, 1, 0]);
		expect(result.output[0][0].json).toMatchObject({ dryRun: true, match: { external_client_id: 'WS-9' } });
		expect(result.output[1][0].json).toMatchObject({ dryRun: true, changes: { city: { from: 'Brussel', to: 'Gent' } } });
		expect(result.hints[0].message).toMatch(/^Dry run \(nothing written\): would be 1 created, 1 updated, 1 unchanged, 1 deleted, 0 failed.*Mirror would delete 1 records/);
		expect(writes()).toHaveLength(0);
	});
});

describe('Sync: bad input is reported, never silently skipped', () => {
	it('fails duplicate match keys in the input and in the remote system', async () => {
		sandbox.store.insert(OWNER, 'clients', { name: 'Dup A', external_client_id: 'WS-5' });
		sandbox.store.insert(OWNER, 'clients', { name: 'Dup B', external_client_id: 'WS-5' });
		const result = await sync([customer(1), customer(1, { company: 'Other' }), customer(5), customer(6)]);
		expect(counts(result)).toEqual([1, 0, 0, 0, 3]);
		const failed = result.output[4].map((f) => [f.pairedItem, f.json.error]);
		expect(failed).toEqual([
			[{ item: 0 }, expect.stringMatching(/^Duplicate match key in the input: items 0, 1 have the same external_client_id "WS-1"/)],
			[{ item: 1 }, expect.stringMatching(/^Duplicate match key in the input/)],
			[{ item: 2 }, expect.stringMatching(/^2 remote records share external_client_id "WS-5" \(client_id \d+, \d+\)/)],
		]);
	});

	it('fails an item whose match key is empty', async () => {
		const result = await sync([customer(1, { shopId: '  ' }), customer(2)]);
		expect(counts(result)).toEqual([1, 0, 0, 0, 1]);
		expect(result.output[4][0]).toEqual({
			json: { match: { external_client_id: '  ' }, error: expect.stringMatching(/^Missing match key: external_client_id is empty/), stage: 'plan' },
			pairedItem: { item: 0 },
		});
	});

	it('stops with a clear error when no match field is chosen', async () => {
		const result = await sync([customer(1)], { columns: { mappingMode: 'defineBelow', value: MAPPING, matchingColumns: [], schema: [] } });
		expect((result.error as Error).message).toBe('No field to match on');
		expect(sandbox.log).toHaveLength(0);
	});

	it('retries a record the bulk call rejects alone, so one bad record cannot sink the others', async () => {
		const items = Array.from({ length: 120 }, (_, i) => customer(i));
		items[50] = customer(50, { company: '' });
		const result = await sync(items);
		expect(counts(result)).toEqual([119, 0, 0, 0, 1]);
		expect(result.output[4][0]).toMatchObject({
			json: { error: '400 Bad Request from POST /api/v1/clients: "name is required"', stage: 'create', httpCode: '400' },
			pairedItem: { item: 50 },
		});
		expect(writes().map((w) => w.url)).toEqual(['/api/v1/clients?bulk=', '/api/v1/clients?bulk=', '/api/v1/clients']);
	});

	it('names the wrong ID field of a custom API', async () => {
		const result = await sync([customer(1)], { remoteResource: 'custom', customPath: '/clients', customIdField: 'uuid' });
		sandbox.store.insert(OWNER, 'clients', { name: 'x' });
		const again = await sync([customer(1)], { remoteResource: 'custom', customPath: '/clients', customIdField: 'uuid' });
		expect(result.error).toBeUndefined();
		expect((again.error as Error).message).toBe('Remote records have no "uuid" field');
	});

	it('fails on a wrong credential with a clear error and no secret', async () => {
		const result = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'sync', columns: { mappingMode: 'defineBelow', value: MAPPING, matchingColumns: ['external_client_id'], schema: [] } } },
			items: [customer(1)],
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl, { apiKey: 'wrong-key-123456' }) }],
		});
		expect((result.error as Error).message).toBe('401 Unauthorized from GET /api/v1/clients: "invalid credentials"');
		const visible = JSON.stringify({ e: result.error, logs: result.logs });
		for (const secret of [...ALL_SECRETS, 'wrong-key-123456']) expect(visible).not.toContain(secret);
	});
});

describe('Sync: nothing lost, nothing duplicated under faults', () => {
	it('syncs 2,000 records exactly once through 20% 429/503 responses and connection resets', async () => {
		const items = Array.from({ length: 2000 }, (_, i) => customer(i));
		sandbox.setFaults({ rateLimitShare: 0.1, retryAfter: '0', errorShare: 0.05, errorStatuses: [503], resetShare: 0.05, randomSeed: 7 });
		const result = await sync(items, {}, { useBulk: false, concurrency: 8 });
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([2000, 0, 0, 0, 0]);
		const remote = remoteClients();
		expect(remote).toHaveLength(2000);
		expect(new Set(remote.map((c) => c.external_client_id)).size).toBe(2000);
		const faults = sandbox.log.filter((e) => e.fault);
		expect(faults.length).toBeGreaterThan(300);
		expect(result.hints[0].message).toMatch(/retries/);

		// Also with bulk: a second run with changes finds the state correct and writes only the changes.
		sandbox.log.length = 0;
		items[10] = customer(10, { city: 'Hasselt' });
		const second = await sync(items, {}, { concurrency: 8 });
		expect(counts(second)).toEqual([0, 1, 1999, 0, 0]);
	});

	it('creates no duplicates when a run is interrupted and started again', async () => {
		const items = Array.from({ length: 300 }, (_, i) => customer(i));
		// The first run loses the connection for good after some writes (every later POST is reset).
		const log = sandbox.log;
		log.push = (...entries) => {
			const count = Array.prototype.push.apply(log, entries);
			if (log.filter((e) => e.method === 'POST' && e.status === 201).length === 120) {
				sandbox.setFaults({ scripted: [{ method: 'POST', reset: true, times: 100000 }] });
			}
			return count;
		};
		const first = await sync(items, {}, { useBulk: false, concurrency: 1 });
		delete (log as { push?: unknown }).push;
		expect(first.output[0].length).toBeGreaterThanOrEqual(120);
		expect(first.output[4].length).toBe(300 - first.output[0].length);
		expect(first.output[4][0].json.error).toMatch(/could not be confirmed whether this write was applied after 3 re-reads; run the sync again/);

		sandbox.setFaults({});
		const second = await sync(items, {}, { useBulk: false });
		expect(counts(second)).toEqual([300 - first.output[0].length, 0, first.output[0].length, 0, 0]);
		expect(remoteClients()).toHaveLength(300);
		expect(new Set(remoteClients().map((c) => c.external_client_id)).size).toBe(300);
	});
});
