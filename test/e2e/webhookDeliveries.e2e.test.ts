/**
 * Repeated deliveries and replays at the API Sync Webhook, in one real `n8n start` (README "Repeated deliveries"):
 *
 * - a burst: 8 different deliveries at the same moment, each delivered again 3 s later → 8 executions (Respond
 *   Immediately, and When Last Node Finishes with every delivery sent twice at once);
 * - a failed run (the API Sync Create behind the webhook gets a 503 from the sandbox) → the sender gets 500 → its
 *   retry runs and succeeds → one record; a successful run → the retry is acknowledged and dropped → one record;
 *   a repeat while the first run is still going → 503 with Retry-After, no second run;
 * - GitHub and Shopify sign no id: the same signed bytes under a new id, or without an id, are dropped;
 * - generic HMAC: the default template covers method, path and body; a call signed the old way is refused;
 * - a nonce is used once.
 *
 * Signatures are made here with node:crypto as each provider documents them, and for the generic scheme with the
 * API Sync HMAC credential's signer (the outbound side of the same template language).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';

import { signRequest } from '../../credentials/common/hmacSigning';
import { ACCOUNTS } from '../sandbox/fixtures';
import type { N8nCredential, N8nWorkflow, StartedN8n } from './support/n8n';
import { sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(600_000);

const TYPE = 'n8n-nodes-api-sync.apiSyncWebhook';
const GH_SECRET = 'gh-deliveries-Secret-2026';
const SHOP_SECRET = 'shopify-deliveries-Secret-9';
const HMAC_SECRET = 'hmac-deliveries-Secret-41';
const NONCE_TEMPLATE = '{timestamp}\\n{nonce}\\n{method}\\n{path}\\n{bodySha256}';

const credentials: N8nCredential[] = [
	{ id: 'dlGithub', name: 'GitHub secret', type: 'apiSyncWebhookSecretApi', data: { secret: GH_SECRET } },
	{ id: 'dlShopify', name: 'Shopify secret', type: 'apiSyncWebhookSecretApi', data: { secret: SHOP_SECRET } },
	// As n8n's editor saves a credential whose other fields were left at their defaults: only what differs.
	{ id: 'dlHmacDefault', name: 'Inbound HMAC, defaults', type: 'apiSyncWebhookHmacApi', data: { secret: HMAC_SECRET } },
	{ id: 'dlHmacNonce', name: 'Inbound HMAC, nonce', type: 'apiSyncWebhookHmacApi', data: { secret: HMAC_SECRET, payloadTemplate: NONCE_TEMPLATE } },
];

const CREDENTIAL_OF: Record<string, string> = { github: 'dlGithub', shopify: 'dlShopify' };

/** The webhook trigger, optionally followed by an API Sync Create of a client named after the body. */
function deliveriesWorkflow(
	id: string,
	verification: string,
	responseMode: 'onReceived' | 'lastNode',
	options: Record<string, unknown>,
	credential: { type: string; id: string } = { type: 'apiSyncWebhookSecretApi', id: CREDENTIAL_OF[verification] },
	create = false,
): N8nWorkflow & { webhookId: string } {
	const webhookId = randomUUID();
	const nodes: any[] = [
		{
			id: `${id}-hook`,
			name: 'Inbound',
			type: TYPE,
			typeVersion: 1,
			position: [0, 0],
			webhookId,
			parameters: { httpMethod: 'POST', verification, responseMode, options },
			credentials: { [credential.type]: { id: credential.id, name: credential.id } },
		},
	];
	const connections: any = {};
	if (create) {
		nodes.push({
			id: `${id}-create`,
			name: 'Create client',
			type: 'n8n-nodes-api-sync.apiSync',
			typeVersion: 1,
			position: [220, 0],
			parameters: {
				authentication: 'apiSyncApiKeyApi',
				resource: 'record',
				operation: 'create',
				remoteResource: 'clients',
				recordData: '={{ JSON.stringify({ name: $json.body.name, city: "Gent" }) }}',
			},
			credentials: { apiSyncApiKeyApi: { id: 'cred-apiKey', name: 'cred-apiKey' } },
		});
		connections.Inbound = { main: [[{ node: 'Create client', type: 'main', index: 0 }]] };
	}
	return { id, name: id, nodes, connections, settings: { executionOrder: 'v1' }, webhookId };
}

const DROP = { dropRepeatedDeliveries: true };
const WF = {
	burst: deliveriesWorkflow('dlBurst', 'github', 'onReceived', DROP),
	lastNode: deliveriesWorkflow('dlLastNode', 'github', 'lastNode', DROP, undefined, true),
	github: deliveriesWorkflow('dlReplayGithub', 'github', 'onReceived', DROP),
	shopify: deliveriesWorkflow('dlReplayShopify', 'shopify', 'onReceived', DROP),
	hmacDefault: deliveriesWorkflow('dlHmacDefault', 'hmac', 'onReceived', {}, { type: 'apiSyncWebhookHmacApi', id: 'dlHmacDefault' }),
	nonce: deliveriesWorkflow('dlNonce', 'hmac', 'onReceived', {}, { type: 'apiSyncWebhookHmacApi', id: 'dlHmacNonce' }),
};

let env: PackageE2e;
let n8n: StartedN8n;

beforeAll(async () => {
	env = await startPackageE2e();
	await env.n8n.importCredentials([...credentials, sandboxCredential('apiKey', env.sandbox)]);
	await env.n8n.importWorkflows(Object.values(WF));
	n8n = await env.n8n.start();
	for (const workflow of Object.values(WF)) {
		const saved = await n8n.rest('GET', `/rest/workflows/${workflow.id}`);
		const activated = await n8n.rest('POST', `/rest/workflows/${workflow.id}/activate`, { versionId: saved.body.data.versionId });
		expect({ workflow: workflow.id, status: activated.status }).toEqual({ workflow: workflow.id, status: 200 });
	}
	// n8n registers production webhooks shortly after activation answers: until then a call gets 404.
	for (const workflow of Object.values(WF)) {
		const deadline = Date.now() + 60_000;
		for (;;) {
			const res = await fetch(production(workflow), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
			await res.text();
			if (res.status !== 404) {
				expect(res.status).toBe(401);
				break;
			}
			if (Date.now() > deadline) throw new Error(`${workflow.id}: webhook not registered after 60 s`);
			await sleep(250);
		}
	}
});

afterAll(async () => {
	env?.sandbox.setFaults({});
	await stopPackageE2e(env);
});

const production = (workflow: { webhookId: string }) => `${n8n.url}/webhook/${workflow.webhookId}/webhook`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Answer {
	status: number;
	text: string;
	retryAfter: string | null;
}

async function post(url: string, body: string, headers: Record<string, string>): Promise<Answer> {
	const res = await fetch(url, { method: 'POST', headers, body });
	return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

/** GitHub, as documented: X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(secret, raw body)); the delivery id is not signed. */
function github(body: string, delivery: string | undefined): Record<string, string> {
	const headers: Record<string, string> = {
		'Content-Type': 'application/json',
		'X-GitHub-Event': 'push',
		'X-Hub-Signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`,
	};
	if (delivery !== undefined) headers['X-GitHub-Delivery'] = delivery;
	return headers;
}

/** Shopify, as documented: X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(secret, raw body)); the webhook id is not signed. */
function shopify(body: string, webhookId: string | undefined): Record<string, string> {
	const headers: Record<string, string> = {
		'Content-Type': 'application/json',
		'X-Shopify-Topic': 'customers/update',
		'X-Shopify-Hmac-Sha256': createHmac('sha256', SHOP_SECRET).update(body).digest('base64'),
	};
	if (webhookId !== undefined) headers['X-Shopify-Webhook-Id'] = webhookId;
	return headers;
}

type Execution = { id: string; mode: string; status: string };

async function executionsOf(workflowId: string): Promise<Execution[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const res = await n8n.rest('GET', `/rest/executions?filter=${filter}&limit=100`);
	expect(res.status).toBe(200);
	return (res.body.data.results as Execution[]).sort((a, b) => Number(a.id) - Number(b.id));
}

/** Waits until `count` executions of the workflow have finished; fails if more were started. */
async function waitForExecutions(workflowId: string, count: number): Promise<Execution[]> {
	const deadline = Date.now() + 180_000;
	for (;;) {
		const all = await executionsOf(workflowId);
		const finished = all.filter((e) => e.status !== 'running' && e.status !== 'new');
		if (finished.length >= count) {
			expect({ workflowId, executions: all.length }).toEqual({ workflowId, executions: count });
			return all;
		}
		if (Date.now() > deadline) throw new Error(`Only ${finished.length} of ${count} executions of ${workflowId}:\n${n8n.logs().slice(-3000)}`);
		await sleep(500);
	}
}

/**
 * With Respond Immediately n8n answers before it has created the execution. A fresh delivery sent after every
 * other call was answered, and waited for, makes sure every execution those calls started is counted.
 */
async function sentinel(url: string, sign: (body: string, id: string) => Record<string, string>): Promise<void> {
	const body = JSON.stringify({ sentinel: randomUUID() });
	expect((await post(url, body, sign(body, randomUUID()))).status).toBe(200);
}

const clientsNamed = (name: string) => env.sandbox.store.list(ACCOUNTS.owner, 'clients').filter((c) => c.name === name);
const ACK = '{"received":true}';
/** The last node's answer (When Last Node Finishes): the API's reply to the create. */
const CREATED = { success: 'client created' };

describe('point 1: a burst of deliveries and their redeliveries, in one n8n process', () => {
	it('Respond Immediately: 8 different deliveries at the same moment, each redelivered 3 s later → 8 executions', async () => {
		const url = production(WF.burst);
		const deliveries = Array.from({ length: 8 }, (_, i) => ({ id: randomUUID(), body: JSON.stringify({ n: i, name: `Burst ${i}` }) }));
		const first = await Promise.all(deliveries.map((d) => post(url, d.body, github(d.body, d.id))));
		expect(first.map((a) => [a.status, a.text])).toEqual(Array(8).fill([200, ACK]));
		await sleep(3000);
		const again = await Promise.all(deliveries.map((d) => post(url, d.body, github(d.body, d.id))));
		expect(again.map((a) => [a.status, a.text])).toEqual(Array(8).fill([200, ACK]));
		await sentinel(url, github);
		const executions = await waitForExecutions(WF.burst.id, 9);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
	});

	it('When Last Node Finishes: 8 deliveries each sent twice at the same moment, then again 3 s later → 8 runs, 8 records', async () => {
		const url = production(WF.lastNode);
		const deliveries = Array.from({ length: 8 }, (_, i) => ({ id: randomUUID(), name: `Burst answered ${i}` }));
		const body = (d: { name: string }) => JSON.stringify({ name: d.name });
		const first = await Promise.all(deliveries.flatMap((d) => [post(url, body(d), github(body(d), d.id)), post(url, body(d), github(body(d), d.id))]));
		for (let i = 0; i < deliveries.length; i++) {
			const pair = [first[2 * i], first[2 * i + 1]];
			// One of the two ran (200, the API's reply to the create); the other was told to retry later (503 with
			// Retry-After) or, when the first had already finished, acknowledged as a repeat.
			const ran = pair.filter((a) => a.status === 200 && a.text !== ACK);
			const other = pair.filter((a) => !ran.includes(a));
			expect({ delivery: i, ran: ran.length }).toEqual({ delivery: i, ran: 1 });
			expect(JSON.parse(ran[0].text)).toMatchObject(CREATED);
			const [second] = other;
			if (second.status === 503) expect(Number(second.retryAfter)).toBeGreaterThan(0);
			else expect([second.status, second.text]).toEqual([200, ACK]);
		}
		await sleep(3000);
		const again = await Promise.all(deliveries.map((d) => post(url, body(d), github(body(d), d.id))));
		expect(again.map((a) => [a.status, a.text])).toEqual(Array(8).fill([200, ACK]));
		const executions = await waitForExecutions(WF.lastNode.id, 8);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
		for (const d of deliveries) expect({ name: d.name, records: clientsNamed(d.name).length }).toEqual({ name: d.name, records: 1 });
	});
});

describe('issue 20: a delivery counts as seen only once its run succeeded (When Last Node Finishes)', () => {
	it('a failed run (the API answered 503) → 500; the retry runs and succeeds → one record; a later retry is dropped', async () => {
		const url = production(WF.lastNode);
		const before = (await executionsOf(WF.lastNode.id)).length;
		const name = 'Retried after a failed run';
		const body = JSON.stringify({ name });
		const delivery = randomUUID();
		env.sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status: 503 }] });
		const failed = await post(url, body, github(body, delivery));
		expect(failed.status).toBe(500);
		expect(clientsNamed(name)).toHaveLength(0);
		await sleep(2000);
		const retry = await post(url, body, github(body, delivery));
		expect(retry.status).toBe(200);
		expect(JSON.parse(retry.text)).toMatchObject(CREATED);
		expect(clientsNamed(name)).toHaveLength(1);
		const later = await post(url, body, github(body, delivery));
		expect([later.status, later.text]).toEqual([200, ACK]);
		const executions = await waitForExecutions(WF.lastNode.id, before + 2);
		expect(executions.slice(before).map((e) => e.status)).toEqual(['error', 'success']);
		expect(clientsNamed(name)).toHaveLength(1);
	});

	it('a successful run → 200; the retry is acknowledged and starts nothing → one record', async () => {
		const url = production(WF.lastNode);
		const before = (await executionsOf(WF.lastNode.id)).length;
		const name = 'Retried after a successful run';
		const body = JSON.stringify({ name });
		const delivery = randomUUID();
		const ok = await post(url, body, github(body, delivery));
		expect(ok.status).toBe(200);
		expect(JSON.parse(ok.text)).toMatchObject(CREATED);
		await sleep(2000);
		const retry = await post(url, body, github(body, delivery));
		expect([retry.status, retry.text]).toEqual([200, ACK]);
		const executions = await waitForExecutions(WF.lastNode.id, before + 1);
		expect(executions[before].status).toBe('success');
		expect(clientsNamed(name)).toHaveLength(1);
	});

	it('a repeat while the first run is still going → 503 with Retry-After and no second run; after it finished → acknowledged', async () => {
		const url = production(WF.lastNode);
		const before = (await executionsOf(WF.lastNode.id)).length;
		const name = 'Repeated while in flight';
		const body = JSON.stringify({ name });
		const delivery = randomUUID();
		// The first run's create is held by the sandbox until released.
		env.sandbox.setFaults({ rendezvous: { method: 'POST', path: /\/clients$/, count: 2 } });
		const first = post(url, body, github(body, delivery));
		const deadline = Date.now() + 120_000;
		while (env.sandbox.inFlight === 0) {
			if (Date.now() > deadline) throw new Error('the first run never reached the API');
			await sleep(100);
		}
		const repeat = await post(url, body, github(body, delivery));
		expect(repeat.status).toBe(503);
		expect(Number(repeat.retryAfter)).toBeGreaterThan(0);
		env.sandbox.setFaults({});
		const answered = await first;
		expect(answered.status).toBe(200);
		const later = await post(url, body, github(body, delivery));
		expect([later.status, later.text]).toEqual([200, ACK]);
		await waitForExecutions(WF.lastNode.id, before + 1);
		expect(clientsNamed(name)).toHaveLength(1);
	});
});

describe('point 2: ids the provider does not sign', () => {
	it.each([
		['GitHub', 'github', github],
		['Shopify', 'shopify', shopify],
	] as const)('%s: the same signed bytes under a new id, or with no id, are acknowledged and start nothing', async (_label, key, sign) => {
		const workflow = WF[key];
		const url = production(workflow);
		const body = JSON.stringify({ event: 'captured', at: randomUUID() });
		expect((await post(url, body, sign(body, randomUUID()))).status).toBe(200);
		await waitForExecutions(workflow.id, 1);
		expect(await post(url, body, sign(body, randomUUID()))).toMatchObject({ status: 200, text: ACK });
		expect(await post(url, body, sign(body, undefined))).toMatchObject({ status: 200, text: ACK });
		// Different signed bytes are a different delivery.
		const other = JSON.stringify({ event: 'another', at: randomUUID() });
		expect((await post(url, other, sign(other, undefined))).status).toBe(200);
		await sentinel(url, sign);
		await waitForExecutions(workflow.id, 3);
	});
});

describe('point 3: generic HMAC covers the body by default', () => {
	it('a credential left at the default template: signed over method, path and body it verifies; {timestamp} alone (the old default) is refused', async () => {
		const url = production(WF.hmacDefault);
		const urlPath = new URL(url).pathname;
		const body = '{"customer":"WS-9","total":"12.50"}';
		const tampered = '{"customer":"WS-9","total":"99.99"}';
		const t = nowSeconds();
		const json = { 'Content-Type': 'application/json' };
		const old = { ...json, 'X-Timestamp': String(t), 'X-Signature': createHmac('sha256', HMAC_SECRET).update(String(t)).digest('hex') };
		expect((await post(url, body, old)).status).toBe(401);
		expect((await post(url, tampered, old)).status).toBe(401);
		const sha = createHash('sha256').update(body).digest('hex');
		const signed = { ...json, 'X-Timestamp': String(t), 'X-Signature': createHmac('sha256', HMAC_SECRET).update(`${t}\nPOST\n${urlPath}\n${sha}`).digest('hex') };
		expect((await post(url, tampered, signed)).status).toBe(401);
		expect(await post(url, body, signed)).toMatchObject({ status: 200, text: ACK });
		await waitForExecutions(WF.hmacDefault.id, 1);
		// The log says why the old-style call was refused, and what to do.
		expect(n8n.logs()).toMatch(/API Sync Webhook rejected a call: .*\{timestamp\} only/);
	});
});

describe('point 4: a nonce is used once', () => {
	it('the same signed call with {nonce} sent again a second later is refused (401); a new nonce runs', async () => {
		const url = production(WF.nonce);
		const urlPath = new URL(url).pathname;
		const sign = (body: string) =>
			signRequest(
				{
					secret: HMAC_SECRET,
					algorithm: 'sha256',
					encoding: 'hex',
					prefix: '',
					template: NONCE_TEMPLATE,
					signatureHeader: 'X-Signature',
					timestampHeader: 'X-Timestamp',
					nonceHeader: 'X-Nonce',
				},
				{ method: 'POST', path: urlPath, body },
			);
		const body = '{"order":"N-1"}';
		const headers = { 'Content-Type': 'application/json', ...sign(body) };
		expect(await post(url, body, headers)).toMatchObject({ status: 200, text: ACK });
		await sleep(1000);
		expect((await post(url, body, headers)).status).toBe(401);
		expect(await post(url, body, { 'Content-Type': 'application/json', ...sign(body) })).toMatchObject({ status: 200, text: ACK });
		const other = '{"order":"N-2"}';
		expect((await post(url, other, { 'Content-Type': 'application/json', ...sign(other) })).status).toBe(200);
		await waitForExecutions(WF.nonce.id, 3);
		expect(n8n.logs()).toMatch(/API Sync Webhook rejected a call: .*nonce/);
	});
});
