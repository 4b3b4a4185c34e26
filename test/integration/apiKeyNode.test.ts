/**
 * The API Sync API Key node in real workflows against the sandbox: POST /apikeys with Basic auth.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { BUILTIN_NODE_TYPES, runNode, runWorkflow, type RunResult, type TestCredential } from '../harness';
import { ACCOUNTS, ALL_SECRETS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { ACCOUNTANT, CREDENTIAL_TYPE, credentialData, OWNER } from '../support/credentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const accountantBasic = () =>
	credentialData('basic', sandbox.baseUrl, { user: ACCOUNTANT.email, password: ACCOUNTANT.password });

function createKeys(options: {
	items: Array<IDataObject>;
	parameters?: IDataObject;
	credential?: ICredentialDataDecryptedObject;
	continueOnFail?: boolean;
}): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSyncApiKey',
			continueOnFail: options.continueOnFail,
			parameters: {
				keyName: '={{ "Read-only key for " + $json.account }}',
				rights: [],
				additionalRights: 'clients:read, invoices:read',
				accountId: '={{ $json.account }}',
				...options.parameters,
			},
		},
		items: options.items,
		credentials: [{ type: CREDENTIAL_TYPE.basic, data: options.credential ?? accountantBasic() }],
	});
}

const posts = () => sandbox.log.filter((e) => e.method === 'POST' && e.path === '/api/v1/apikeys');

function visibleText(result: RunResult): string {
	const error = result.error as (Error & { description?: string }) | undefined;
	return JSON.stringify({ message: error?.message, description: error?.description, logs: result.logs });
}

describe('API Sync API Key: create', () => {
	it('creates one verified read-only key per client account of an accountant portal', async () => {
		const items = ACCOUNTS.portalClients.map((account) => ({ account }));
		const result = await createKeys({ items });
		expect(result.error).toBeUndefined();
		const out = result.output[0];
		expect(out).toHaveLength(3);
		out.forEach((item, i) => {
			expect(item.pairedItem).toEqual({ item: i });
			expect(item.json).toMatchObject({
				name: `Read-only key for ${ACCOUNTS.portalClients[i]}`,
				rights: ['clients:read', 'invoices:read'],
				accountId: ACCOUNTS.portalClients[i],
				verified: true,
				apiKey: expect.any(String),
				createdAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
			});
		});
		// Each key exists for its own account, with the rights asked for, and the POST went with Basic auth.
		for (const account of ACCOUNTS.portalClients) {
			expect(sandbox.issuedApiKeys(account)).toEqual([
				expect.objectContaining({ rights: ['clients:read', 'invoices:read'], accounts: [account] }),
			]);
		}
		expect(posts().map((p) => p.auth)).toEqual(
			ACCOUNTS.portalClients.map((account) => ({ scheme: 'basic', principal: ACCOUNTANT.email, account })),
		);
		// Verification used the new key itself, not the Basic credential.
		const verifications = sandbox.log.filter((e) => e.path === '/api/v1/accounts/current');
		expect(verifications).toHaveLength(3);
		expect(verifications.map((v) => v.headers['x-api-key'])).toEqual(out.map((o) => o.json.apiKey));
		expect(verifications.every((v) => v.headers.authorization === undefined)).toBe(true);

		// A read-only key can read its account's clients, and only that account's.
		const read = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'getAll', returnAll: true } },
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl, { apiKey: out[0].json.apiKey }) }],
		});
		expect(read.error).toBeUndefined();
		expect(read.output[0].map((i) => i.json.client_id)).toEqual(
			sandbox.store.list(ACCOUNTS.portalClients[0], 'clients').map((c) => c.client_id),
		);
	});

	it('sends no rights (all rights) when none are chosen, and skips verification when asked', async () => {
		const result = await createKeys({
			items: [{}],
			credential: credentialData('basic', sandbox.baseUrl),
			parameters: { keyName: 'Integratie met webshop', additionalRights: '', accountId: '', verifyKey: false },
		});
		expect(result.error).toBeUndefined();
		expect(JSON.parse(posts()[0].body)).toEqual({ name: 'Integratie met webshop' });
		expect(result.output[0][0].json).toMatchObject({ rights: 'all', verified: false, verification: 'skipped' });
		expect(sandbox.log.filter((e) => e.path === '/api/v1/accounts/current')).toHaveLength(0);
	});

	it('reports verified: false with a reason, without the key, when the key does not work', async () => {
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }], parameters: { options: { verifyPath: '/invoices/424242' } } });
		expect(result.error).toBeUndefined();
		const json = result.output[0][0].json;
		expect(json.verified).toBe(false);
		expect(json.verification).toMatch(/^The key was created but did not work for GET \/invoices\/424242: 404 Not Found/);
		expect(String(json.verification)).not.toContain(String(json.apiKey));
	});

	it('says the Basic Auth e-mail/password was rejected on a wrong password, and creates nothing', async () => {
		const result = await createKeys({
			items: [{ account: ACCOUNTS.portalClients[0] }],
			credential: credentialData('basic', sandbox.baseUrl, { user: ACCOUNTANT.email, password: 'wrong-Password-1' }),
		});
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe('401 Unauthorized from POST /api/v1/apikeys: "invalid credentials"');
		expect(error.description).toMatch(/Basic Auth e-mail or password was rejected.*needs Basic authentication.*check the "API Sync Basic Auth API" credential/);
		expect(error.description).toMatch(/No API key was created/);
		expect(sandbox.issuedApiKeys()).toHaveLength(0);
		expect(visibleText(result)).not.toContain('wrong-Password-1');
		expect(visibleText(result)).not.toContain(ACCOUNTANT.password);
	});

	it('explains which account was refused when a non-portal user asks for another account', async () => {
		const result = await createKeys({
			items: [{ account: ACCOUNTS.other }],
			credential: credentialData('basic', sandbox.baseUrl),
		});
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(/^403 Forbidden from POST \/api\/v1\/apikeys: "no access to account B10000001: user owner@example.com is not an accountant-portal user/);
		expect(error.description).toMatch(/refused to create a key for account B10000001\. Only accountant-portal users/);
		expect(visibleText(result)).not.toContain(OWNER.password);
	});

	it('quotes the API on a 400 (an unknown right)', async () => {
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }], parameters: { additionalRights: 'everything' } });
		expect((result.error as Error).message).toBe('400 Bad Request from POST /api/v1/apikeys: "unknown right: everything"');
	});

	it('rejects an empty key name before any request, naming the item', async () => {
		const result = await createKeys({ items: [{ account: ' ' }], parameters: { keyName: '={{ $json.account.trim() }}' } });
		expect(result.error?.constructor.name).toBe('NodeOperationError');
		expect((result.error as Error).message).toBe('The Key Name is empty (item 0)');
		expect(sandbox.log).toHaveLength(0);
	});

	it('makes exactly one POST when the API answers 500 (a retry could create two keys)', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 500 }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		expect((result.error as Error).message).toBe(
			'500 Internal Server Error from POST /api/v1/apikeys: "internal server error"; not retried: POST is not idempotent, and the outcome is unknown: the API failed while handling it, and the API may or may not have applied it',
		);
		expect(posts()).toHaveLength(1);
	});

	// Issue 16.6: every 5xx on the create is "outcome unknown" with how to check; a 303 is followed or reported.
	it('a 500 after the key was created says the outcome is unknown and how to check, never "no key was created"', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 500, afterApply: true }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		const error = result.error as Error & { description?: string; httpCode?: string };
		expect(error.message).toMatch(/^500 Internal Server Error from POST \/api\/v1\/apikeys: .*the outcome is unknown/);
		expect(error.httpCode).toBe('500');
		expect(error.description).toMatch(/^The outcome is unknown: the API may have created the key .*Check the API keys of this account .*running again as is may create a second key/);
		expect(error.description).toContain('No earlier item of this run created a key. The key of the item that failed may exist as well (see above): check before running again.');
		expect(error.description).not.toContain('No API key was created in this run');
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
		expect(posts()).toHaveLength(1);
	});

	it('a 303 See Other after the create is followed with GET: the key is reported created, and not returned', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', seeOther: true }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		expect(result.error).toBeUndefined();
		const [item] = result.output[0];
		expect(item.json).toMatchObject({ apiKey: null, location: '/api/v1/apikeys/1', verified: false, accountId: ACCOUNTS.portalClients[0] });
		expect(item.json.verification).toMatch(
			/^The API created the key and answered 303 See Other; GET \/api\/v1\/apikeys\/1 did not return the key .*The key was created, but not returned\. .*Do not run this item again as is/,
		);
		expect(sandbox.log.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(['POST /api/v1/apikeys 303', 'GET /api/v1/apikeys/1 200']);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
	});

	it('a 303 See Other to another origin is not followed: an error that says the key was created', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 303, redirectTo: 'http://127.0.0.1:9', afterApply: true }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		const error = result.error as Error & { description?: string; httpCode?: string };
		expect(error.message).toBe(
			`303 See Other from POST /api/v1/apikeys: the API applied the request, but its result could not be read: it is at http://127.0.0.1:9, which is not on the credential's Base URL origin ${sandbox.url}, so it was not read (the credential is only ever sent to its Base URL's origin)`,
		);
		expect(error.description).toMatch(/^The key was created, but not returned\./);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
		expect(sandbox.log).toHaveLength(1);
	});

	it('a 303 See Other whose result cannot be read is an error that says the key was created', async () => {
		sandbox.setFaults({
			scripted: [
				{ method: 'POST', path: '/api/v1/apikeys', seeOther: true },
				{ method: 'GET', path: /^\/api\/v1\/apikeys\/\d+$/, status: 404 },
			],
		});
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		const error = result.error as Error & { description?: string; httpCode?: string };
		expect(error.message).toBe(
			'303 See Other from POST /api/v1/apikeys: the API applied the request, but its result could not be read: reading it (GET /api/v1/apikeys/1) failed: 404 Not Found from GET /api/v1/apikeys/1: "not found"',
		);
		expect(error.httpCode).toBe('303');
		expect(error.description).toMatch(/^The key was created, but not returned\./);
		expect(posts()).toHaveLength(1);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
	});

	it('does not retry the POST after a connection reset', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', reset: true }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		expect((result.error as Error).message).toMatch(/^Network error \(connection reset\) on POST \/api\/v1\/apikeys; not retried: POST is not idempotent/);
		expect(posts()).toHaveLength(1);
	});

	it('retries the POST after a 429 with Retry-After, since the API did not act on it', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 429, headers: { 'Retry-After': '1' } }] });
		const result = await createKeys({ items: [{ account: ACCOUNTS.portalClients[0] }] });
		expect(result.error).toBeUndefined();
		expect(posts().map((p) => p.status)).toEqual([429, 201]);
		expect(posts()[1].time - posts()[0].time).toBeGreaterThanOrEqual(900);
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
	});

	it('with continueOnFail, reports the failing item and creates the others', async () => {
		const items = [{ account: ACCOUNTS.portalClients[0] }, { account: ACCOUNTS.other }, { account: ACCOUNTS.portalClients[2] }];
		const result = await createKeys({ items, continueOnFail: true });
		expect(result.error).toBeUndefined();
		const out = result.output[0];
		expect(out.map((o) => o.pairedItem)).toEqual([{ item: 0 }, { item: 1 }, { item: 2 }]);
		expect(out[0].json.verified).toBe(true);
		expect(out[1].json.error).toMatch(/^403 Forbidden/);
		expect(out[2].json.verified).toBe(true);
		expect(sandbox.issuedApiKeys()).toHaveLength(2);
	});

	it('without continueOnFail, stops and says which keys were already created', async () => {
		const items = [{ account: ACCOUNTS.portalClients[0] }, { account: ACCOUNTS.portalClients[1] }, { account: ACCOUNTS.other }];
		const result = await createKeys({ items });
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(/^403 Forbidden/);
		expect(error.description).toContain('2 API keys were already created in this run before the failure:');
		expect(error.description).toContain(`"Read-only key for ${ACCOUNTS.portalClients[0]}" for account ${ACCOUNTS.portalClients[0]}`);
		expect(sandbox.issuedApiKeys()).toHaveLength(2);
		for (const secret of ALL_SECRETS) expect(visibleText(result)).not.toContain(secret);
	});

	it('declares the key as sensitive output', async () => {
		const { ApiSyncApiKey } = await import('../../nodes/ApiSyncApiKey/ApiSyncApiKey.node');
		expect(new ApiSyncApiKey().description.sensitiveOutputFields).toEqual(['apiKey']);
	});
});

/** A workflow: Manual Trigger → a list of accounts → API Key, with the node settings given (e.g. Retry On Fail). */
function keyWorkflow(accounts: string[], parameters: IDataObject = {}, settings: IDataObject = {}): Promise<RunResult> {
	const credentials: TestCredential[] = [{ type: CREDENTIAL_TYPE.basic, data: accountantBasic() }];
	return runWorkflow(
		{
			nodes: [
				{ id: 't1', name: 'Manual Trigger', type: BUILTIN_NODE_TYPES.manualTrigger, typeVersion: 1, position: [0, 0], parameters: {} },
				{
					id: 'a1',
					name: 'Accounts',
					type: BUILTIN_NODE_TYPES.items,
					typeVersion: 1,
					position: [200, 0],
					parameters: { items: JSON.stringify(accounts.map((account) => ({ account }))) },
				},
				{
					id: 'k1',
					name: 'API Key',
					type: 'n8n-nodes-api-sync.apiSyncApiKey',
					typeVersion: 1,
					position: [400, 0],
					parameters: {
						keyName: '={{ "Webshop " + $json.account }}',
						rights: [],
						additionalRights: 'clients:read',
						accountId: '={{ $json.account }}',
						...parameters,
					},
					credentials: { [CREDENTIAL_TYPE.basic]: { id: null, name: '' } },
					...settings,
				},
			],
			connections: {
				'Manual Trigger': { main: [[{ node: 'Accounts', type: 'main', index: 0 }]] },
				Accounts: { main: [[{ node: 'API Key', type: 'main', index: 0 }]] },
			},
		},
		{ credentials, nodeUnderTest: 'API Key' },
	);
}

// n8n waits at least 1 s between tries whatever is set (0 counts as unset), and tries at least twice.
const RETRY_ON_FAIL = { retryOnFail: true, maxTries: 2, waitBetweenTries: 0 };
const WITH_KEY = { options: { idempotencyKeyHeader: 'Idempotency-Key' } };

describe('API Sync API Key: n8n\'s Retry On Fail never repeats a POST whose outcome is unknown (README "Retries and safety")', () => {
	it('Retry On Fail without an Idempotency Key Header: refused before any POST, saying why and what to do (a 500 after the key was created made 2 keys)', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 500, afterApply: true }] });
		const result = await keyWorkflow([ACCOUNTS.portalClients[0]], {}, RETRY_ON_FAIL);
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe('Retry On Fail would create API keys twice: nothing was sent');
		expect(error.description).toMatch(/^This node's Settings > Retry On Fail is on\. .*Turn Retry On Fail off .*or, if the API honours idempotency keys, set Options > Idempotency Key Header/);
		expect({ posts: posts().length, keys: sandbox.issuedApiKeys().length }).toEqual({ posts: 0, keys: 0 });
	});

	it('Retry On Fail without an Idempotency Key Header: refused even when nothing fails (a failure on item 3 would re-create keys 1 and 2)', async () => {
		const result = await keyWorkflow(ACCOUNTS.portalClients.slice(0, 2), {}, RETRY_ON_FAIL);
		expect((result.error as Error).message).toBe('Retry On Fail would create API keys twice: nothing was sent');
		expect(sandbox.log).toEqual([]);
	});

	it('Retry On Fail with an Idempotency Key Header: n8n\'s retry after a 403 on item 3 re-sends items 1 and 2 with their keys, and the API creates no second key', async () => {
		const result = await keyWorkflow([...ACCOUNTS.portalClients.slice(0, 2), ACCOUNTS.other], WITH_KEY, RETRY_ON_FAIL);
		expect((result.error as Error).message).toMatch(/^403 Forbidden/);
		// n8n ran the node twice: items 1 and 2 sent again with the same keys, answered from the replay store.
		const sent = posts();
		expect(sent.filter((e) => !e.replayed && e.status === 201)).toHaveLength(2);
		expect(sent.filter((e) => e.replayed).map((e) => e.status)).toEqual([201, 201]);
		expect(new Set(sent.map((e) => e.headers['idempotency-key'])).size).toBe(3);
		expect(sandbox.issuedApiKeys()).toHaveLength(2);
	});

	it('Retry On Fail with an Idempotency Key Header: a 500 after the key was created is retried by n8n with the same key, and one key exists', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 500, afterApply: true }] });
		const result = await keyWorkflow([ACCOUNTS.portalClients[0]], WITH_KEY, RETRY_ON_FAIL);
		const sent = posts();
		expect(new Set(sent.map((e) => e.headers['idempotency-key'])).size).toBe(1);
		// The sandbox kept the answer of the applied request (as Stripe keeps a request's result): the retry gets the key.
		expect(sent.map((e) => [e.status, e.replayed === true])).toEqual([
			[500, false],
			[201, true],
		]);
		expect(result.error).toBeUndefined();
		expect(sandbox.issuedApiKeys()).toHaveLength(1);
		expect(result.output[0][0].json).toMatchObject({ apikey_id: sandbox.issuedApiKeys()[0].id, verified: true });
	});
});

describe('API Sync API Key: an idempotency key identifies one POST of one run of the node', () => {
	it('the node running twice in one execution (two branches into it) creates two keys, not one key reported twice', async () => {
		const credentials: TestCredential[] = [{ type: CREDENTIAL_TYPE.basic, data: accountantBasic() }];
		const items = (name: string, id: string) => ({
			id,
			name,
			type: BUILTIN_NODE_TYPES.items,
			typeVersion: 1,
			position: [200, 0] as [number, number],
			parameters: { items: JSON.stringify([{ account: ACCOUNTS.portalClients[0] }]) },
		});
		const result = await runWorkflow(
			{
				nodes: [
					{ id: 't1', name: 'Manual Trigger', type: BUILTIN_NODE_TYPES.manualTrigger, typeVersion: 1, position: [0, 0], parameters: {} },
					items('Branch A', 'a1'),
					items('Branch B', 'b1'),
					{
						id: 'k1',
						name: 'API Key',
						type: 'n8n-nodes-api-sync.apiSyncApiKey',
						typeVersion: 1,
						position: [400, 0],
						parameters: {
							keyName: 'Webshop',
							rights: [],
							additionalRights: 'clients:read',
							accountId: '={{ $json.account }}',
							...WITH_KEY,
						},
						credentials: { [CREDENTIAL_TYPE.basic]: { id: null, name: '' } },
					},
				],
				connections: {
					'Manual Trigger': { main: [[{ node: 'Branch A', type: 'main', index: 0 }, { node: 'Branch B', type: 'main', index: 0 }]] },
					'Branch A': { main: [[{ node: 'API Key', type: 'main', index: 0 }]] },
					'Branch B': { main: [[{ node: 'API Key', type: 'main', index: 0 }]] },
				},
			},
			{ credentials, nodeUnderTest: 'API Key' },
		);
		expect(result.error).toBeUndefined();
		const runs = result.runData['API Key'];
		expect(runs).toHaveLength(2);
		const reported = runs.map((run) => run.data?.main[0]?.[0]?.json.apikey_id);
		const replayed = sandbox.log.filter((e) => e.replayed).length;
		// Two runs of the node, two keys reported: both exist, none answered from the replay store.
		expect({ keys: sandbox.issuedApiKeys().length, replayed, distinctIdsReported: new Set(reported).size }).toEqual({
			keys: 2,
			replayed: 0,
			distinctIdsReported: 2,
		});
		expect(new Set(posts().map((e) => e.headers['idempotency-key'])).size).toBe(2);
	});
});
