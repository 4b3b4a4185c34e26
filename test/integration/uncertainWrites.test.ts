/**
 * A gateway error after the write: the sandbox applies the POST, then answers 502/503/504 or drops the
 * connection. Such a write is never repeated blindly: Sync re-reads and re-plans it, the API Key node reports an
 * unknown outcome — unless the request carries an idempotency key the API honours.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { ACCOUNTANT, CREDENTIAL_TYPE, credentialData } from '../support/credentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const OWNER = ACCOUNTS.owner;

function customers(count: number): IDataObject[] {
	return Array.from({ length: count }, (_, i) => ({ shopId: `WS-${i}`, company: `Customer ${i} BV` }));
}

function sync(items: IDataObject[], syncOptions: IDataObject): Promise<RunResult> {
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
					value: { external_client_id: '={{ $json.shopId }}', name: '={{ $json.company }}' },
					matchingColumns: ['external_client_id'],
					schema: [],
				},
				syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
			},
		},
		items,
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
	});
}

/** How many remote clients carry each external id. */
function remoteCopies(): Record<string, number> {
	const copies: Record<string, number> = {};
	for (const client of sandbox.store.list(OWNER, 'clients')) {
		const id = String(client.external_client_id);
		copies[id] = (copies[id] ?? 0) + 1;
	}
	return copies;
}

const once = (count: number) => Object.fromEntries(customers(count).map((c) => [c.shopId as string, 1]));

describe('Sync: a POST answered 502/503/504 after the API applied it', () => {
	it.each([502, 503, 504])('single writes: the record answered %i is created exactly once', async (status) => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status, afterApply: true }] });
		const result = await sync(customers(3), { useBulk: false });
		expect(result.error).toBeUndefined();
		expect(remoteCopies()).toEqual(once(3));
		const posts = sandbox.log.filter((e) => e.method === 'POST');
		expect(posts.map((p) => p.status)).toEqual([status, 201, 201]);
		expect(posts[0].fault).toBe('applied-error');
		// Nothing is reported failed: the re-read found the record the gateway error hid.
		expect(result.output[4]).toHaveLength(0);
	});

	it('bulk: a whole batch answered 504 after it was applied is created exactly once', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: /\/api\/v1\/clients\?bulk/, status: 504, afterApply: true }] });
		const result = await sync(customers(5), { useBulk: true });
		expect(result.error).toBeUndefined();
		expect(remoteCopies()).toEqual(once(5));
		expect(sandbox.log.filter((e) => e.method === 'POST')).toHaveLength(1);
		expect(result.output[4]).toHaveLength(0);
	});

	it('a create answered 500 after it was applied is created exactly once (any 5xx: outcome unknown)', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status: 500, afterApply: true }] });
		const result = await sync(customers(2), { useBulk: false });
		expect(result.error).toBeUndefined();
		expect(remoteCopies()).toEqual(once(2));
		expect(result.output[0]).toHaveLength(2);
	});

	it('a create answered 303 See Other is followed with GET and reported Created with the id read there (issue 16.6)', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', seeOther: true }] });
		const result = await sync(customers(2), { useBulk: false, concurrency: 1 });
		expect(result.error).toBeUndefined();
		expect(remoteCopies()).toEqual(once(2));
		const ids = sandbox.store.list(OWNER, 'clients').map((c) => c.client_id);
		expect(result.output[0].map((o) => o.json.id).sort()).toEqual(ids.sort());
		expect(sandbox.log.filter((e) => e.method !== 'GET' || e.path !== '/api/v1/clients').map((e) => `${e.method} ${e.status}`)).toEqual([
			'POST 303',
			'GET 200',
			'POST 201',
		]);
	});

	it('a connection lost after the write creates the record exactly once', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', reset: true, afterApply: true }] });
		const result = await sync(customers(2), { useBulk: false });
		expect(result.error).toBeUndefined();
		expect(remoteCopies()).toEqual(once(2));
	});

	it('under a seeded share of applied-then-failed writes, no record is ever created twice', async () => {
		sandbox.setFaults({ appliedErrorShare: 0.25, appliedResetShare: 0.1, randomSeed: 7, pathPattern: /^\/api\/v1\/clients$/ });
		const result = await sync(customers(30), { useBulk: false });
		expect(result.error).toBeUndefined();
		expect(sandbox.log.some((e) => e.fault === 'applied-error')).toBe(true);
		expect(Object.values(remoteCopies()).every((n) => n === 1)).toBe(true);
		// Every item is accounted for: on the remote side, or reported failed.
		const failed = result.output[4].map((o) => (o.json.match as IDataObject).external_client_id);
		const present = Object.keys(remoteCopies());
		expect([...present, ...failed].sort()).toEqual(Object.keys(once(30)).sort());
	});

	it('a 429 on a POST is still retried: the API did not act', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status: 429, headers: { 'Retry-After': '0' } }] });
		const result = await sync(customers(1), { useBulk: false });
		expect(result.error).toBeUndefined();
		expect(sandbox.log.filter((e) => e.method === 'POST').map((p) => p.status)).toEqual([429, 201]);
		expect(remoteCopies()).toEqual(once(1));
	});
});

function createKey(options: INodeParameters = {}, continueOnFail = false, items = [{ account: ACCOUNTS.portalClients[0] }]): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSyncApiKey',
			continueOnFail,
			parameters: {
				keyName: '={{ "Key for " + $json.account }}',
				rights: ['clients'],
				accountId: '={{ $json.account }}',
				options,
			},
		},
		items,
		credentials: [
			{
				type: CREDENTIAL_TYPE.basic,
				data: credentialData('basic', sandbox.baseUrl, { user: ACCOUNTANT.email, password: ACCOUNTANT.password }),
			},
		],
	});
}

const keyPosts = () => sandbox.log.filter((e) => e.method === 'POST' && e.path === '/api/v1/apikeys');

describe('API Key node: a POST /apikeys answered 504 after the key was created', () => {
	it('fails the item saying the outcome is unknown and how to check, and creates exactly one key', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 504, afterApply: true }] });
		const result = await createKey();
		const error = result.error as Error & { description?: string; httpCode?: string };
		expect(error.message).toBe(
			'504 Gateway Timeout from POST /api/v1/apikeys: "gateway timeout"; not retried: POST is not idempotent, and the outcome is unknown: a gateway answered, and the API may or may not have applied it',
		);
		expect(error.httpCode).toBe('504');
		expect(error.description).toMatch(/^The outcome is unknown: the API may have created the key.*Check the API keys of this account/);
		expect(keyPosts()).toHaveLength(1);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
	});

	it('with continueOnFail, the item becomes an error item saying the outcome is unknown', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 502, afterApply: true }] });
		const result = await createKey({}, true);
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toEqual([
			{ json: { error: expect.stringMatching(/^502 Bad Gateway .*the outcome is unknown/) }, pairedItem: { item: 0 } },
		]);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
	});

	it('with an Idempotency Key Header, the POST is repeated with the same key and the API replays the first answer', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 504, afterApply: true }] });
		const result = await createKey({ idempotencyKeyHeader: 'Idempotency-Key' });
		expect(result.error).toBeUndefined();
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
		const [first, second] = keyPosts();
		expect([first.status, second.status]).toEqual([504, 201]);
		expect(first.headers['idempotency-key']).toMatch(/^[0-9a-f]{32}$/);
		expect(second.headers['idempotency-key']).toBe(first.headers['idempotency-key']);
		expect(result.output[0][0].json).toMatchObject({ apiKey: expect.stringMatching(/^ef-key-/), verified: true });
	});

	it('two items asking for the same key in one execution send two idempotency keys, and get two keys', async () => {
		const account = ACCOUNTS.portalClients[0];
		const result = await createKey({ idempotencyKeyHeader: 'Idempotency-Key' }, false, [{ account }, { account }]);
		expect(result.error).toBeUndefined();
		const [first, second] = keyPosts();
		expect(second.headers['idempotency-key']).not.toBe(first.headers['idempotency-key']);
		expect(sandbox.log.filter((e) => e.replayed)).toEqual([]);
		expect(sandbox.issuedApiKeys()).toHaveLength(2);
		const keys = result.output[0].map((item) => item.json.apiKey);
		expect(new Set(keys).size).toBe(2);
	});

	it('a new execution sends another idempotency key (a second key is a new request)', async () => {
		await createKey({ idempotencyKeyHeader: 'Idempotency-Key' });
		await createKey({ idempotencyKeyHeader: 'Idempotency-Key' });
		const [first, second] = keyPosts();
		expect(second.headers['idempotency-key']).not.toBe(first.headers['idempotency-key']);
		expect(sandbox.issuedApiKeys()).toHaveLength(2);
	});
});
