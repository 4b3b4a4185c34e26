/**
 * Outbound "None" (trusted networks only): every node works with the API Sync No Authentication
 * credential against an internal gateway that needs no credential, only the extra header it is
 * configured with. The gateway is a real HTTP server in front of the sandbox that authenticates on
 * the caller's behalf (as an internal API gateway does). Also: the Test buttons of the webhook
 * credentials (the node's `testedBy` check).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject } from 'n8n-workflow';

import { runNode, testCredential } from '../harness';
import { runPoll } from '../harness/poll';
import { ACCOUNTS, USERS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';

const NONE = 'apiSyncNoAuthApi';
const TENANT = { 'X-Tenant': 'shop-1' };

let sandbox: Sandbox;
let gateway: Server;
let gatewayUrl: string;
const gatewayLog: Array<{ method: string; url: string; tenant?: string; authorization?: string }> = [];

beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
	const owner = `Basic ${Buffer.from(`${USERS[0].email}:${USERS[0].password}`).toString('base64')}`;
	gateway = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (chunk: Buffer) => chunks.push(chunk));
		req.on('end', () => {
			gatewayLog.push({ method: req.method ?? '', url: req.url ?? '', tenant: req.headers['x-tenant'] as string, authorization: req.headers.authorization });
			if (req.headers['x-tenant'] !== 'shop-1') {
				res.writeHead(403, { 'Content-Type': 'application/json' });
				res.end(JSON.stringify({ error: 'unknown tenant' }));
				return;
			}
			const headers: Record<string, string> = { Authorization: owner };
			for (const name of ['content-type', 'accept', 'x-accountid']) {
				const value = req.headers[name];
				if (typeof value === 'string') headers[name] = value;
			}
			const body = chunks.length ? Buffer.concat(chunks) : undefined;
			void fetch(`${sandbox.url}${req.url}`, { method: req.method, headers, body }).then(async (upstream) => {
				res.writeHead(upstream.status, { 'Content-Type': upstream.headers.get('content-type') ?? 'application/json' });
				res.end(Buffer.from(await upstream.arrayBuffer()));
			});
		});
	});
	await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
	gatewayUrl = `http://127.0.0.1:${(gateway.address() as AddressInfo).port}/api/v1`;
});

afterAll(async () => {
	await new Promise((resolve) => gateway.close(resolve));
	await sandbox.close();
});

beforeEach(() => {
	sandbox.reset();
	gatewayLog.length = 0;
	for (const c of sandbox.store.list(ACCOUNTS.owner, 'clients')) sandbox.store.remove(ACCOUNTS.owner, 'clients', c.client_id as number);
});

const noneCredential = (data: IDataObject = {}) => ({
	type: NONE,
	data: { baseUrl: gatewayUrl, extraHeaders: JSON.stringify(TENANT), testPath: '/accounts/current', ...data },
});

describe('API Sync No Authentication credential', () => {
	it('Test button: OK through the gateway, sending the extra header and no credential', async () => {
		const result = await testCredential(NONE, noneCredential().data);
		expect(result).toEqual(expect.objectContaining({ status: 'OK' }));
		expect(gatewayLog).toEqual([{ method: 'GET', url: '/api/v1/accounts/current', tenant: 'shop-1', authorization: undefined }]);
	});

	it('Test button: without the extra header the gateway refuses, and the message says so', async () => {
		const result = await testCredential(NONE, noneCredential({ extraHeaders: '{}' }).data);
		expect(result.status).toBe('Error');
		expect(result.message).toMatch(/403/);
	});

	it('Get Many and Sync (upsert) work without a credential', async () => {
		const customers = [1, 2, 3].map((i) => ({ shopId: `WS-${i}`, company: `Customer ${i} BV` }));
		const synced = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: NONE,
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns: {
						mappingMode: 'defineBelow',
						value: { external_client_id: '={{ $json.shopId }}', name: '={{ $json.company }}' },
						matchingColumns: ['external_client_id'],
						schema: [],
					},
					syncOptions: { maxRequestsPerSecond: 0 },
				},
			},
			items: customers,
			credentials: [noneCredential()],
		});
		expect(synced.error).toBeUndefined();
		expect(synced.output.map((o) => o.length)).toEqual([3, 0, 0, 0, 0]);

		const read = await runNode({
			node: { type: 'apiSync', parameters: { authentication: NONE, operation: 'getAll', returnAll: true, remoteResource: 'clients' } },
			credentials: [noneCredential()],
		});
		expect(read.error).toBeUndefined();
		expect(read.output[0].map((item) => item.json.external_client_id).sort()).toEqual(['WS-1', 'WS-2', 'WS-3']);
		expect(gatewayLog.every((entry) => entry.tenant === 'shop-1' && entry.authorization === undefined)).toBe(true);
	});

	it('the trigger polls without a credential', async () => {
		sandbox.store.insert(ACCOUNTS.owner, 'clients', { name: 'Existing BV', external_client_id: 'X-1' });
		const result = await runPoll({
			node: {
				type: 'apiSyncTrigger',
				parameters: { authentication: NONE, remoteResource: 'clients', firstRun: 'all', pollTimes: { item: [{ mode: 'everyMinute' }] } },
			},
			credentials: [noneCredential()],
		});
		expect(result.error).toBeUndefined();
		expect(result.emitted?.[0].map((item) => item.json.name)).toEqual(['Existing BV']);
	});

	it('the API Key node creates a key without a credential of its own', async () => {
		const result = await runNode({
			node: { type: 'apiSyncApiKey', parameters: { authentication: NONE, keyName: 'Internal key', rights: [], additionalRights: '', accountId: '', verifyKey: false } },
			credentials: [noneCredential()],
		});
		expect(result.error).toBeUndefined();
		expect(sandbox.issuedApiKeys(ACCOUNTS.owner).map((key) => key.name)).toEqual(['Internal key']);
	});

	it('Extra Headers that are not a JSON object stop the request with a clear message', async () => {
		const result = await runNode({
			node: { type: 'apiSync', parameters: { authentication: NONE, operation: 'getAll', returnAll: true, remoteResource: 'clients' } },
			credentials: [noneCredential({ extraHeaders: 'X-Tenant: shop-1' })],
		});
		expect(result.error?.message).toMatch(/Extra Headers is not valid JSON/);
		expect(gatewayLog).toHaveLength(0);
	});
});

describe('webhook credentials: Test button', () => {
	it.each([
		['apiSyncWebhookSecretApi', { secret: 'whsec_abc', previousSecret: '' }, 'OK'],
		['apiSyncWebhookSecretApi', { secret: '', previousSecret: '' }, 'Error'],
		['apiSyncWebhookBasicAuthApi', { user: 'shop', password: 'pw', previousPassword: '' }, 'OK'],
		['apiSyncWebhookBasicAuthApi', { user: 'shop', password: '', previousPassword: '' }, 'Error'],
		['apiSyncWebhookHmacApi', { secret: 's', payloadTemplate: '{timestamp}.{body}' }, 'OK'],
		['apiSyncWebhookHmacApi', { secret: 's', payloadTemplate: '{timestamp}.{bodyHash}' }, 'Error'],
	])('%s %j → %s', async (type, data, status) => {
		const result = await testCredential(type, data);
		expect(result.status).toBe(status);
		if (status === 'Error') expect(result.message).toMatch(/Enter|Unknown placeholder \{bodyHash\}/);
	});
});
