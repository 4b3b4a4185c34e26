/**
 * The API Sync Webhook trigger in a real `n8n start`: active workflows on their production URLs, and
 * the editor's test URL. Every call is answered, then the executions n8n started are counted through
 * its REST API: a valid call starts exactly one execution with the body byte for byte; a tampered
 * byte, a wrong secret, a missing header, a stale or far-future timestamp, a replayed delivery id and
 * a caller outside the IP allow-list get their status and start none.
 *
 * Signatures are made here with node:crypto, as each provider documents them (GitHub, Standard
 * Webhooks), and for the generic scheme with the API Sync HMAC credential's own signer (the
 * outbound side of the same template language).
 */
import { createHash, createHmac, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { signRequest } from '../../credentials/common/hmacSigning';
import { ACCOUNTS } from '../sandbox/fixtures';
import type { N8nCredential, N8nWorkflow, StartedN8n } from './support/n8n';
import { n8nMajorVersion, REPO_ROOT } from './support/n8n';
import { startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(600_000);

const TYPE = 'n8n-nodes-api-sync.apiSyncWebhook';
const GH_SECRET = 'gh-current-Secret-2026';
const GH_PREVIOUS = 'gh-previous-Secret-2025';
const SW_SECRET = `whsec_${Buffer.from('e2e-standard-webhooks-key-0001').toString('base64')}`;
const HMAC_SECRET = 'hmac-inbound-Secret-77';
const HMAC_TEMPLATE = '{timestamp}\\n{method}\\n{path}\\n{bodySha256}';
const API_KEY = 'inbound-api-Key-31';
const SECRETS = [GH_SECRET, GH_PREVIOUS, SW_SECRET, HMAC_SECRET, API_KEY];

const EXAMPLE_FILE = path.join(REPO_ROOT, 'examples', 'webshop-customer-webhook.json');
const EXAMPLE_SANDBOX = 'http://127.0.0.1:8787/api/v1';

const credentials: N8nCredential[] = [
	{ id: 'whGithub', name: 'GitHub secret', type: 'apiSyncWebhookSecretApi', data: { secret: GH_SECRET, previousSecret: GH_PREVIOUS } },
	{ id: 'whStandard', name: 'Standard Webhooks secret', type: 'apiSyncWebhookSecretApi', data: { secret: SW_SECRET, previousSecret: '' } },
	{ id: 'whApiKey', name: 'Inbound API key', type: 'apiSyncWebhookSecretApi', data: { secret: API_KEY, previousSecret: '' } },
	{
		id: 'whHmac',
		name: 'Inbound HMAC',
		type: 'apiSyncWebhookHmacApi',
		data: {
			secret: HMAC_SECRET,
			previousSecret: '',
			algorithm: 'sha256',
			encoding: 'hex',
			signatureHeader: 'X-Signature',
			signaturePrefix: '',
			timestampHeader: 'X-Timestamp',
			payloadTemplate: HMAC_TEMPLATE,
		},
	},
];

const CREDENTIAL_OF: Record<string, { type: string; id: string }> = {
	github: { type: 'apiSyncWebhookSecretApi', id: 'whGithub' },
	standardWebhooks: { type: 'apiSyncWebhookSecretApi', id: 'whStandard' },
	apiKeyHeader: { type: 'apiSyncWebhookSecretApi', id: 'whApiKey' },
	bearer: { type: 'apiSyncWebhookSecretApi', id: 'whApiKey' },
	hmac: { type: 'apiSyncWebhookHmacApi', id: 'whHmac' },
};

/** A workflow with only the webhook trigger (plus a Respond to Webhook node when asked). */
function webhookWorkflow(id: string, verification: string, options: Record<string, unknown>, extra: Record<string, unknown> = {}): N8nWorkflow & { webhookId: string } {
	const webhookId = randomUUID();
	const credential = CREDENTIAL_OF[verification];
	const nodes: any[] = [
		{
			id: `${id}-hook`,
			name: 'Inbound',
			type: TYPE,
			typeVersion: 1,
			position: [0, 0],
			webhookId,
			parameters: { httpMethod: 'POST', verification, responseMode: 'onReceived', options: { includeRawBody: true, ...options }, ...extra },
			...(credential ? { credentials: { [credential.type]: { id: credential.id, name: credential.id } } } : {}),
		},
	];
	const connections: any = {};
	if (extra.responseMode === 'responseNode') {
		// n8n's Respond to Webhook answers for other trigger types only in its version 1 (see README).
		nodes.push({
			id: `${id}-respond`,
			name: 'Respond',
			type: 'n8n-nodes-base.respondToWebhook',
			typeVersion: 1,
			position: [220, 0],
			parameters: { respondWith: 'text', responseBody: '={{ "handled " + $json.body.order }}', options: { responseCode: 202 } },
		});
		connections.Inbound = { main: [[{ node: 'Respond', type: 'main', index: 0 }]] };
	}
	if (extra.responseMode === 'lastNode') {
		nodes.push({
			id: `${id}-answer`,
			name: 'Answer',
			type: 'n8n-nodes-base.code',
			typeVersion: 2,
			position: [220, 0],
			parameters: { jsCode: 'return [{ json: { handled: $input.first().json.body.order } }];' },
		});
		connections.Inbound = { main: [[{ node: 'Answer', type: 'main', index: 0 }]] };
	}
	return { id, name: id, nodes, connections, settings: { executionOrder: 'v1' }, webhookId };
}

const WF = {
	github: webhookWorkflow('wfGithub', 'github', {}),
	standard: webhookWorkflow('wfStandard', 'standardWebhooks', { dropRepeatedDeliveries: true }),
	hmac: webhookWorkflow('wfHmac', 'hmac', {}),
	ipDenied: webhookWorkflow('wfIpDenied', 'none', { ipAllowList: '10.0.0.0/8, 2001:db8::/32' }),
	ipAllowed: webhookWorkflow('wfIpAllowed', 'bearer', { ipAllowList: '10.0.0.0/8, 127.0.0.1/32, ::1' }),
	respond: webhookWorkflow('wfRespond', 'apiKeyHeader', {}, { responseMode: 'responseNode', apiKeyHeader: 'X-Shop-Key' }),
	lastNode: webhookWorkflow('wfLastNode', 'apiKeyHeader', {}, { responseMode: 'lastNode' }),
	editor: webhookWorkflow('wfEditor', 'github', {}),
};

let env: PackageE2e;
let n8n: StartedN8n;
let example: N8nWorkflow;
/** n8n 1.x (compatibility run): the editor's run request differs, see "the editor's test URL". */
let v1 = false;

/** Every call sent, with what it was meant to show and the status it got. */
const tally: Array<{ workflow: string; reason: string; status: number }> = [];

beforeAll(async () => {
	env = await startPackageE2e();
	v1 = n8nMajorVersion(env.n8n.installDir) < 2;
	const exampleCredentials = ['sandbox-credentials.json', 'webhook-credentials.json'].flatMap(
		(file) =>
			JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'credentials', file), 'utf8').split(EXAMPLE_SANDBOX).join(env.sandbox.baseUrl)) as N8nCredential[],
	);
	await env.n8n.importCredentials([...credentials, ...exampleCredentials]);
	example = JSON.parse(fs.readFileSync(EXAMPLE_FILE, 'utf8')) as N8nWorkflow;
	await env.n8n.importWorkflows([...Object.values(WF), example]);
	n8n = await env.n8n.start();
	for (const workflow of [...Object.values(WF).filter((w) => w !== WF.editor), example]) {
		const saved = await n8n.rest('GET', `/rest/workflows/${workflow.id}`);
		const activated = await n8n.rest('POST', `/rest/workflows/${workflow.id}/activate`, { versionId: saved.body.data.versionId });
		expect({ workflow: workflow.id, status: activated.status }).toEqual({ workflow: workflow.id, status: 200 });
	}
	// n8n registers production webhooks shortly after activation answers: until then a call gets 404.
	// An unsigned call is the probe: 404 while unregistered, then the node's own rejection (no execution).
	for (const workflow of [...Object.values(WF).filter((w) => w !== WF.editor), example]) {
		const hook = workflow.nodes.find((node) => node.type === TYPE);
		const url = `${n8n.url}/webhook/${hook.webhookId}/webhook`;
		const deadline = Date.now() + 60_000;
		for (;;) {
			const res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
			await res.text();
			if (res.status !== 404) {
				tally.push({ workflow: workflow.id as string, reason: 'missing header (unsigned probe until registered)', status: res.status });
				expect([401, 403]).toContain(res.status);
				break;
			}
			if (Date.now() > deadline) throw new Error(`${workflow.id}: webhook not registered after 60 s`);
			await new Promise((resolve) => setTimeout(resolve, 250));
		}
	}
});

afterAll(async () => {
	if (tally.length) {
		const byReason = new Map<string, { calls: number; statuses: Set<number> }>();
		for (const call of tally) {
			const entry = byReason.get(call.reason) ?? { calls: 0, statuses: new Set<number>() };
			entry.calls++;
			entry.statuses.add(call.status);
			byReason.set(call.reason, entry);
		}
		console.log(
			`webhook e2e: ${tally.length} calls sent\n` +
				[...byReason].map(([reason, { calls, statuses }]) => `  ${reason}: ${calls} call(s) → ${[...statuses].join('/')}`).join('\n'),
		);
	}
	await stopPackageE2e(env);
});

async function call(
	workflow: string,
	reason: string,
	url: string,
	body: string | Buffer,
	headers: Record<string, string>,
): Promise<{ status: number; text: string }> {
	const res = await fetch(url, { method: 'POST', headers, body });
	const text = await res.text();
	tally.push({ workflow, reason, status: res.status });
	return { status: res.status, text };
}

const production = (workflow: { webhookId: string }) => `${n8n.url}/webhook/${workflow.webhookId}/webhook`;
const nowSeconds = () => Math.floor(Date.now() / 1000);
const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');

/** GitHub, as documented: X-Hub-Signature-256 = "sha256=" + hex(HMAC-SHA256(secret, raw body)). */
function github(body: string | Buffer, secret = GH_SECRET, delivery = randomUUID()): Record<string, string> {
	return {
		'Content-Type': 'application/json',
		'X-GitHub-Event': 'push',
		'X-GitHub-Delivery': delivery,
		'X-Hub-Signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
	};
}

/** Standard Webhooks, as specified: v1,base64(HMAC-SHA256(base64-decoded key, "id.timestamp.body")). */
function standard(body: string | Buffer, id: string, timestamp = nowSeconds(), secret = SW_SECRET): Record<string, string> {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	const signature = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(body).digest('base64');
	return { 'Content-Type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': `v1,${signature}` };
}

type Execution = { id: string; mode: string; status: string };

/** All executions of a workflow (any status), oldest first. */
async function executionsOf(workflowId: string): Promise<Execution[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const res = await n8n.rest('GET', `/rest/executions?filter=${filter}&limit=100`);
	expect(res.status).toBe(200);
	return (res.body.data.results as Execution[]).sort((a, b) => Number(a.id) - Number(b.id));
}

/** Waits until `count` executions of the workflow have finished; fails if more were started. */
async function waitForExecutions(workflowId: string, count: number): Promise<Execution[]> {
	const deadline = Date.now() + 120_000;
	for (;;) {
		const all = await executionsOf(workflowId);
		const finished = all.filter((e) => e.status !== 'running' && e.status !== 'new');
		if (finished.length >= count) {
			expect(all).toHaveLength(count);
			return all;
		}
		if (Date.now() > deadline) throw new Error(`Only ${finished.length} of ${count} executions of ${workflowId}:\n${n8n.logs().slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** What a node output (on output `index`) in one execution. */
async function outputOf(executionId: string, node: string, index = 0): Promise<Array<Record<string, any>>> {
	const res = await n8n.rest('GET', `/rest/executions/${executionId}`);
	expect(res.status).toBe(200);
	const { parse } = require(path.join(env.n8n.installDir, 'node_modules', 'flatted')) as { parse(text: string): any };
	const data = parse(res.body.data.data);
	const runs = data.resultData.runData[node];
	if (!runs) throw new Error(`${node} did not run in execution ${executionId}: ${JSON.stringify(data.resultData.error ?? {})}`);
	return runs[0].data.main[index].map((item: { json: Record<string, unknown> }) => item.json);
}

const UNAUTHORIZED = { status: 401, text: '{"message":"Unauthorized"}' };
const ACK = { status: 200, text: '{"received":true}' };

describe('production URL of an active workflow', () => {
	it('GitHub: one execution per valid call with the body byte for byte; tampered, wrong secret and missing header start none; the previous secret is accepted', async () => {
		const url = production(WF.github);
		// Spaces, key order and non-ASCII as sent: a re-serialised body would not verify.
		const body = '{ "ref":"refs/heads/main",  "pusher": {"name":"Zoë"}, "n": 1.50 }';
		const delivery = randomUUID();
		expect(await call('github', 'valid', url, body, github(body, GH_SECRET, delivery))).toEqual(ACK);
		const tampered = body.replace('1.50', '1.51');
		expect(await call('github', 'tampered byte', url, tampered, github(body))).toEqual(UNAUTHORIZED);
		expect(await call('github', 'wrong secret', url, body, github(body, 'not-the-secret'))).toEqual(UNAUTHORIZED);
		const unsigned = github(body);
		delete unsigned['X-Hub-Signature-256'];
		expect(await call('github', 'missing header', url, body, unsigned)).toEqual(UNAUTHORIZED);
		expect(await call('github', 'previous secret (rotation)', url, body, github(body, GH_PREVIOUS))).toEqual(ACK);

		const executions = await waitForExecutions(WF.github.id, 2);
		expect(executions.map((e) => [e.mode, e.status])).toEqual([
			['webhook', 'success'],
			['webhook', 'success'],
		]);
		const [item] = await outputOf(executions[0].id, 'Inbound');
		expect(item.rawBody).toBe(body);
		expect(item).toMatchObject({
			body: { ref: 'refs/heads/main', pusher: { name: 'Zoë' }, n: 1.5 },
			deliveryId: delivery,
			verification: 'github',
			query: {},
			receivedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
		});
		expect(item.headers['x-github-event']).toBe('push');
		expect(item.headers).not.toHaveProperty('x-hub-signature-256');
	});

	it('Standard Webhooks: stale and far-future timestamps start none; a replayed id is acknowledged and starts none; a 1 MB body verifies', async () => {
		const url = production(WF.standard);
		const body = JSON.stringify({ type: 'customer.updated', data: { id: 'WS-1' } });
		expect(await call('standard', 'valid', url, body, standard(body, 'msg_e2e_1'))).toEqual(ACK);
		expect(await call('standard', 'stale timestamp', url, body, standard(body, 'msg_e2e_2', nowSeconds() - 360))).toEqual(UNAUTHORIZED);
		expect(await call('standard', 'far-future timestamp', url, body, standard(body, 'msg_e2e_3', nowSeconds() + 360))).toEqual(UNAUTHORIZED);
		// Wait until the first delivery's id is remembered (n8n saves the static data with the workflow).
		await waitForExecutions(WF.standard.id, 1);
		expect(await call('standard', 'replayed delivery id (dedupe on)', url, body, standard(body, 'msg_e2e_1'))).toEqual(ACK);

		const big = JSON.stringify({ type: 'bulk', data: 'x'.repeat(1024 * 1024) });
		expect(await call('standard', 'valid, 1 MB body', url, big, standard(big, 'msg_e2e_big'))).toEqual(ACK);

		const executions = await waitForExecutions(WF.standard.id, 2);
		const [item] = await outputOf(executions[1].id, 'Inbound');
		expect(item.deliveryId).toBe('msg_e2e_big');
		expect(item.rawBody.length).toBe(big.length);
		expect(sha256(item.rawBody)).toBe(sha256(big));
	});

	it('generic HMAC (signed by the API Sync HMAC credential): a form-encoded body verifies; a stale timestamp starts none', async () => {
		const url = production(WF.hmac);
		const urlPath = new URL(url).pathname;
		const body = 'customer=WS-7&name=Caf%C3%A9+Noir&tags=a&tags=b';
		const sign = (clockSeconds: number) =>
			signRequest(
				{
					secret: HMAC_SECRET,
					algorithm: 'sha256',
					encoding: 'hex',
					prefix: '',
					template: HMAC_TEMPLATE,
					signatureHeader: 'X-Signature',
					timestampHeader: 'X-Timestamp',
				},
				{ method: 'POST', path: urlPath, body },
				{ now: () => clockSeconds * 1000 },
			);
		const form = { 'Content-Type': 'application/x-www-form-urlencoded' };
		expect(await call('hmac', 'stale timestamp', url, body, { ...form, ...sign(nowSeconds() - 3600) })).toEqual(UNAUTHORIZED);
		expect(await call('hmac', 'wrong secret', url, body, { ...form, ...sign(nowSeconds()), 'X-Signature': '0'.repeat(64) })).toEqual(UNAUTHORIZED);
		expect(await call('hmac', 'valid, form-encoded', url, body, { ...form, ...sign(nowSeconds()) })).toEqual(ACK);

		const executions = await waitForExecutions(WF.hmac.id, 1);
		const [item] = await outputOf(executions[0].id, 'Inbound');
		expect(item.rawBody).toBe(body);
		expect(item.body).toEqual({ customer: 'WS-7', name: 'Café Noir', tags: 'b' });
		expect(item.headers).not.toHaveProperty('x-signature');
		expect(item.verification).toBe('hmac');
	});

	it('IP allow-list: a caller outside it gets 403 and starts nothing; inside it, the call is accepted', async () => {
		const body = '{"ping":true}';
		const json = { 'Content-Type': 'application/json' };
		expect(await call('ipDenied', 'IP outside the allow-list', production(WF.ipDenied), body, json)).toEqual({ status: 403, text: '{"message":"Forbidden"}' });
		expect(await call('ipAllowed', 'valid, IP in the allow-list', production(WF.ipAllowed), body, { ...json, Authorization: `Bearer ${API_KEY}` })).toEqual(ACK);
		await waitForExecutions(WF.ipAllowed.id, 1);
		expect(await executionsOf(WF.ipDenied.id)).toHaveLength(0);
	});

	it('API key header with a Respond to Webhook node: the workflow answers; a wrong key starts none', async () => {
		const url = production(WF.respond);
		const body = '{"order":"A-17"}';
		expect(await call('respond', 'wrong secret', url, body, { 'Content-Type': 'application/json', 'X-Shop-Key': 'guess' })).toEqual(UNAUTHORIZED);
		expect(await call('respond', 'valid, answered by Respond to Webhook', url, body, { 'Content-Type': 'application/json', 'X-Shop-Key': API_KEY })).toEqual({
			status: 202,
			text: 'handled A-17',
		});
		const executions = await waitForExecutions(WF.respond.id, 1);
		const [item] = await outputOf(executions[0].id, 'Inbound');
		expect(item.headers).not.toHaveProperty('x-shop-key');
	});

	it('API key header, answered when the last node finishes', async () => {
		const body = '{"order":"A-18"}';
		expect(await call('lastNode', 'valid, answered by the last node', production(WF.lastNode), body, { 'Content-Type': 'application/json', 'X-API-Key': API_KEY })).toEqual({
			status: 200,
			text: '{"handled":"A-18"}',
		});
		await waitForExecutions(WF.lastNode.id, 1);
	});

	it('the example: a signed customer webhook upserts the client; a redelivery changes nothing; an update updates it', async () => {
		const hook = example.nodes.find((node) => node.type === TYPE);
		const url = `${n8n.url}/webhook/${hook.webhookId}/webhook`;
		const secret = JSON.parse(fs.readFileSync(path.join(REPO_ROOT, 'examples', 'credentials', 'webhook-credentials.json'), 'utf8'))[0].data.secret as string;
		const event = (city: string) =>
			JSON.stringify({
				type: 'customer.updated',
				timestamp: new Date().toISOString(),
				data: { id: 'WS-1001', company: 'Bakkerij Peeters BV', email: 'info@peeters.example', vat: 'BE0400000001', city },
			});
		const clients = () => env.sandbox.store.list(ACCOUNTS.owner, 'clients').filter((c) => c.external_client_id === 'WS-1001');

		const first = event('Gent');
		expect(await call('example', 'valid', url, first, standard(first, 'msg_shop_1', nowSeconds(), secret))).toEqual(ACK);
		await waitForExecutions(example.id as string, 1);
		expect(clients()).toEqual([expect.objectContaining({ name: 'Bakkerij Peeters BV', email_address: 'info@peeters.example', city: 'Gent' })]);

		expect(await call('example', 'replayed delivery id (dedupe on)', url, first, standard(first, 'msg_shop_1', nowSeconds(), secret))).toEqual(ACK);
		const moved = event('Leuven');
		expect(await call('example', 'valid', url, moved, standard(moved, 'msg_shop_2', nowSeconds(), secret))).toEqual(ACK);
		const executions = await waitForExecutions(example.id as string, 2);
		expect(executions.every((e) => e.status === 'success')).toBe(true);
		expect(clients()).toEqual([expect.objectContaining({ city: 'Leuven' })]);
		const [updated] = await outputOf(executions[1].id, 'Upsert client', 1);
		expect(updated).toMatchObject({ match: { external_client_id: 'WS-1001' }, changes: { city: { from: 'Gent', to: 'Leuven' } } });
	});
});

describe("the editor's test URL", () => {
	it('a rejected call starts nothing and leaves the test webhook listening; a valid call runs the workflow once', async () => {
		// n8n 1.x's editor sends the workflow along with the run request (2.x reads the saved one).
		const workflowData = v1 ? (await n8n.rest('GET', `/rest/workflows/${WF.editor.id}`)).body.data : undefined;
		const listening = await n8n.rest('POST', `/rest/workflows/${WF.editor.id}/run`, { workflowData, triggerToStartFrom: { name: 'Inbound' } });
		expect(listening).toEqual({ status: 200, body: { data: { waitingForWebhook: true } } });
		const url = `${n8n.url}/webhook-test/${WF.editor.webhookId}/webhook`;
		const body = '{"zen":"Keep it logically awesome."}';
		expect(await call('editor', 'wrong secret (test URL)', url, body, github(body, 'not-the-secret'))).toEqual(UNAUTHORIZED);
		expect(await executionsOf(WF.editor.id)).toHaveLength(0);
		expect(await call('editor', 'valid (test URL)', url, body, github(body))).toEqual(ACK);
		const executions = await waitForExecutions(WF.editor.id, 1);
		expect(executions[0]).toMatchObject({ mode: 'manual', status: 'success' });
		const [item] = await outputOf(executions[0].id, 'Inbound');
		expect(item.rawBody).toBe(body);
	});
});

describe('in all', () => {
	it('n8n started exactly one execution per accepted call that was not a repeated delivery, and none for any rejection', async () => {
		const res = await n8n.rest('GET', '/rest/executions?limit=100');
		expect(res.status).toBe(200);
		const started = (res.body.data.results as Execution[]).length;
		const accepted = tally.filter((t) => t.status >= 200 && t.status < 300).length;
		const repeats = tally.filter((t) => t.reason.startsWith('replayed')).length;
		const rejected = tally.filter((t) => t.status === 401 || t.status === 403).length;
		console.log(`webhook e2e: ${tally.length} calls, ${accepted} accepted (${repeats} of them repeated deliveries, dropped), ${rejected} rejected; ${started} executions started`);
		expect(rejected + accepted).toBe(tally.length);
		expect(started).toBe(accepted - repeats);
	});
});

describe('what n8n logged', () => {
	it('names every rejection and its reason, and never a secret', () => {
		const rejected = tally.filter((t) => t.status === 401 || t.status === 403).length;
		const logged = n8n.logs().match(/API Sync Webhook rejected a call/g) ?? [];
		expect(logged).toHaveLength(rejected);
		for (const secret of SECRETS) expect(n8n.logs()).not.toContain(secret);
	});
});
