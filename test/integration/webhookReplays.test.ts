/**
 * The API Sync Webhook's replay and repeat protection through the node's real `webhook()`, called the way n8n calls
 * it (test/harness/webhook.ts: a new Workflow over the static data read per call, n8n-core's WebhookContext, saves
 * whole and last-writer-wins). Each describe is one finding of the review of the `webhook` change
 * (/work/notes/review16h.md; issue 16 points 1–4 and issue 20): the store when full, the scope of a nonce, the test
 * URL, and two API Sync Webhook nodes in one workflow. The same in a real n8n: test/e2e/webhookTwoNodes.e2e.test.ts.
 */
import { createHmac, randomUUID } from 'node:crypto';

import type { IDataObject, INode } from 'n8n-workflow';

import { signRequest } from '../../credentials/common/hmacSigning';
import {
	DURABLE_FIELD,
	MAX_REMEMBERED_KEYS,
	MAX_WINDOW_KEYS,
	replayKey,
} from '../../nodes/ApiSyncWebhook/deliveries';
import { WebhookWorkflow, type TestCredential } from '../harness';

const TYPE = 'n8n-nodes-api-sync.apiSyncWebhook';
const HMAC_SECRET = 'replays-hmac-secret';
const GH_SECRET = 'replays-github-secret';

function webhookNode(name: string, parameters: IDataObject, credentials: INode['credentials'], typeVersion = 1.1): INode {
	return {
		id: `node-${name}-${randomUUID()}`,
		name,
		type: TYPE,
		typeVersion,
		position: [0, 0],
		webhookId: randomUUID(),
		parameters: { httpMethod: 'POST', ...parameters },
		credentials,
	};
}

const hmacCredential = (id: string, template: string): TestCredential => ({
	id,
	name: id,
	type: 'apiSyncWebhookHmacApi',
	data: { secret: HMAC_SECRET, payloadTemplate: template },
});
const githubCredential: TestCredential = { id: 'gh', name: 'gh', type: 'apiSyncWebhookSecretApi', data: { secret: GH_SECRET } };

/** A call signed by the API Sync HMAC API credential's signer (the outbound side of the same template language). */
function signedHmac(template: string, body: string, path: string, timestampSeconds = Math.floor(Date.now() / 1000)): Record<string, string> {
	return {
		...signRequest(
			{ secret: HMAC_SECRET, algorithm: 'sha256', encoding: 'hex', prefix: '', template, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp' },
			{ method: 'POST', path, body },
			{ now: () => timestampSeconds * 1000 },
		),
		'Content-Type': 'application/json',
	};
}

function github(body: string, delivery: string): Record<string, string> {
	return {
		'Content-Type': 'application/json',
		'X-GitHub-Event': 'push',
		'X-GitHub-Delivery': delivery,
		'X-Hub-Signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`,
	};
}

/** The keys a saved static data holds for a node (in the workflow's global static data, n8n's `global` key). */
function savedKeys(saved: IDataObject, node: INode): string[] {
	const entry = ((saved.global as IDataObject | undefined)?.[DURABLE_FIELD] as IDataObject | undefined)?.[node.id] as IDataObject | undefined;
	return Object.keys({ ...(entry?.remembered as IDataObject), ...(entry?.replayWindow as IDataObject) });
}

// ---------------------------------------------------------------------------------------------------------------
describe('a full store: keys that guard the replay window are never forgotten inside it', () => {
	const template = '{timestamp}\\n{nonce}\\n{method}\\n{path}\\n{bodySha256}';

	it(`${MAX_REMEMBERED_KEYS} delivery ids remembered for hours: a captured call with {nonce} replayed under a new (unsigned) delivery id is still refused`, async () => {
		const node = webhookNode('Inbound', { verification: 'hmac', options: { dropRepeatedDeliveries: true, deliveryIdHeader: 'X-Delivery-ID' } }, {
			apiSyncWebhookHmacApi: { id: 'hmac-full', name: 'hmac-full' },
		});
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [hmacCredential('hmac-full', template)] });
		// The static data as a day of traffic leaves it (another process saved it): 3,000 ids, each valid for hours.
		const now = Math.floor(Date.now() / 1000);
		const ids = Object.fromEntries(Array.from({ length: MAX_REMEMBERED_KEYS }, (_, i) => [replayKey('d', `old-${i}`), now + 3600 + i]));
		workflow.savedStaticData = { global: { [DURABLE_FIELD]: { [node.id]: { remembered: ids } } } };

		const path = `/webhook/${node.webhookId}/webhook`;
		const body = '{"order":1}';
		const headers = { ...signedHmac(template, body, path, now), 'X-Delivery-ID': 'real-1' };
		const first = await workflow.call('Inbound', { headers, body, path });
		expect(first.ran).toBe(true);
		first.save();
		const replay = await workflow.call('Inbound', { headers: { ...headers, 'X-Delivery-ID': 'attacker-2' }, body, path });
		expect({ status: replay.response.statusCode, ran: replay.ran }).toEqual({ status: 401, ran: false });
		expect(replay.logs.join('\n')).toContain('the nonce was already used');
		// The saved copy: still 3,000 ids (the oldest id made room for the new one), plus the nonce and the digest.
		expect(savedKeys(workflow.savedStaticData, node)).toHaveLength(MAX_REMEMBERED_KEYS + 2);
	});

	it(`${MAX_WINDOW_KEYS} keys inside the replay window already: a new call is refused with 503 + Retry-After (until the first expires) and a log line, never accepted unprotected`, async () => {
		const node = webhookNode('Inbound', { verification: 'hmac', options: {} }, { apiSyncWebhookHmacApi: { id: 'hmac-busy', name: 'hmac-busy' } });
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [hmacCredential('hmac-busy', template)] });
		const now = Math.floor(Date.now() / 1000);
		// Saved by a busy process: MAX_WINDOW_KEYS nonces still inside the window; ten of them expire in 2 s, the rest in 2 min.
		const nonces = Object.fromEntries(Array.from({ length: MAX_WINDOW_KEYS }, (_, i) => [replayKey('n', `busy-${i}`), now + (i < 10 ? 2 : 120)]));
		workflow.savedStaticData = { global: { [DURABLE_FIELD]: { [node.id]: { replayWindow: nonces } } } };
		const path = `/webhook/${node.webhookId}/webhook`;
		const body = '{"order":2}';
		const headers = signedHmac(template, body, path, now);
		const refused = await workflow.call('Inbound', { headers, body, path });
		expect({ ran: refused.ran, status: refused.response.statusCode }).toEqual({ ran: false, status: 503 });
		expect(Number(refused.response.headers['retry-after'])).toBeGreaterThanOrEqual(1);
		expect(Number(refused.response.headers['retry-after'])).toBeLessThanOrEqual(2);
		expect(refused.logs.join('\n')).toMatch(/refused a call: 6000 signatures or nonces inside the replay window are remembered already/);
		// Nothing was remembered for the refused call (its retry is not a replay), and nothing was forgotten.
		refused.save();
		expect(savedKeys(workflow.savedStaticData, node)).toHaveLength(MAX_WINDOW_KEYS);
		// The sender retries after Retry-After: ten keys have expired, so the same signed call runs (once).
		await new Promise((resolve) => setTimeout(resolve, 3000));
		const retried = await workflow.call('Inbound', { headers, body, path });
		expect({ ran: retried.ran, status: retried.response.statusCode }).toEqual({ ran: true, status: 200 });
		expect((await workflow.call('Inbound', { headers, body, path })).response.statusCode).toBe(401);
	});
});

// ---------------------------------------------------------------------------------------------------------------
describe('a nonce is used up for its credential: every webhook verifying with that credential refuses the replay', () => {
	// Without {path}, as the README advises behind a proxy that rewrites the path: the same signature is valid at every URL.
	const template = '{timestamp}\\n{nonce}\\n{method}\\n{bodySha256}';

	it('a call captured at one workflow and replayed to another workflow (same credential) is refused there (401)', async () => {
		const credentials = [hmacCredential('shared-hmac', template)];
		const ref = { apiSyncWebhookHmacApi: { id: 'shared-hmac', name: 'shared-hmac' } };
		const a = await WebhookWorkflow.create({ id: `wf-a-${randomUUID()}`, nodes: [webhookNode('A', { verification: 'hmac' }, ref)], credentials });
		const b = await WebhookWorkflow.create({ id: `wf-b-${randomUUID()}`, nodes: [webhookNode('B', { verification: 'hmac' }, ref)], credentials });
		const body = '{"refund":100}';
		const headers = signedHmac(template, body, '/ignored');
		expect((await a.call('A', { headers, body })).ran).toBe(true);
		const replay = await b.call('B', { headers, body });
		expect({ status: replay.response.statusCode, ran: replay.ran }).toEqual({ status: 401, ran: false });
		// The same on the other workflow's test URL (Listen for test event).
		const onTestUrl = await b.call('B', { headers, body }, 'manual');
		expect({ status: onTestUrl.response.statusCode, ran: onTestUrl.ran }).toEqual({ status: 401, ran: false });
	});

	it('another credential (its own id) is another nonce space: the same signed call runs there once', async () => {
		const a = await WebhookWorkflow.create({
			id: `wf-a-${randomUUID()}`,
			nodes: [webhookNode('A', { verification: 'hmac' }, { apiSyncWebhookHmacApi: { id: 'first-hmac', name: 'first-hmac' } })],
			credentials: [hmacCredential('first-hmac', template)],
		});
		const b = await WebhookWorkflow.create({
			id: `wf-b-${randomUUID()}`,
			nodes: [webhookNode('B', { verification: 'hmac' }, { apiSyncWebhookHmacApi: { id: 'second-hmac', name: 'second-hmac' } })],
			credentials: [hmacCredential('second-hmac', template)],
		});
		const body = '{"refund":5}';
		const headers = signedHmac(template, body, '/ignored');
		expect((await a.call('A', { headers, body })).ran).toBe(true);
		expect((await b.call('B', { headers, body })).ran).toBe(true);
		expect((await b.call('B', { headers, body })).response.statusCode).toBe(401);
	});
});

// ---------------------------------------------------------------------------------------------------------------
describe('the test URL (Listen for test event): repeats reach the editor and are not remembered', () => {
	it('the same GitHub sample sent twice to the test URL runs twice; the production URL afterwards still runs it once', async () => {
		const node = webhookNode('GitHub', { verification: 'github', options: { dropRepeatedDeliveries: true } }, {
			apiSyncWebhookSecretApi: { id: 'gh', name: 'gh' },
		});
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [githubCredential] });
		const body = '{"zen":"Keep it logically awesome."}';
		const headers = github(body, randomUUID());
		const first = await workflow.call('GitHub', { headers, body }, 'manual');
		const again = await workflow.call('GitHub', { headers, body }, 'manual');
		expect([first.ran, again.ran]).toEqual([true, true]);
		// Production: the test calls did not mark the delivery as handled; once handled there, its repeat is dropped.
		const live = await workflow.call('GitHub', { headers, body });
		expect(live.ran).toBe(true);
		live.save();
		const repeat = await workflow.call('GitHub', { headers, body });
		expect([repeat.ran, repeat.response.statusCode, repeat.response.body]).toEqual([false, 200, { received: true }]);
	});

	it('a nonce is still used up on the test URL', async () => {
		const template = '{timestamp}\\n{nonce}\\n{method}\\n{bodySha256}';
		const node = webhookNode('Inbound', { verification: 'hmac' }, { apiSyncWebhookHmacApi: { id: 'hmac-test-url', name: 'hmac-test-url' } });
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [hmacCredential('hmac-test-url', template)] });
		const body = '{"a":1}';
		const headers = signedHmac(template, body, '/x');
		expect((await workflow.call('Inbound', { headers, body }, 'manual')).ran).toBe(true);
		expect((await workflow.call('Inbound', { headers, body }, 'manual')).response.statusCode).toBe(401);
	});
});

// ---------------------------------------------------------------------------------------------------------------
describe('two API Sync Webhook nodes in one workflow: a save (whole static data, last writer wins) keeps both nodes', () => {
	async function twoNodes() {
		const ref = { apiSyncWebhookSecretApi: { id: 'gh', name: 'gh' } };
		const options = { dropRepeatedDeliveries: true };
		const a = webhookNode('A', { verification: 'github', responseMode: 'lastNode', options }, ref);
		const b = webhookNode('B', { verification: 'github', responseMode: 'onReceived', options }, ref);
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [a, b], credentials: [githubCredential] });
		return { workflow, a, b };
	}

	it('node A (When Last Node Finishes) saves after its run, node B (Immediately) saved meanwhile: both nodes\' deliveries are in the database', async () => {
		const { workflow, a, b } = await twoNodes();
		// a-0 to A: a quick run, answered 200. n8n starts the run on the call's static data, saves after it, then answers.
		const a0 = await workflow.call('A', { headers: github('{"a":0}', 'a-0'), body: '{"a":0}' });
		a0.startRun();
		a0.save();
		a0.response.answer(200);
		// a-1 to A: its run takes a while.
		const a1 = await workflow.call('A', { headers: github('{"a":1}', 'a-1'), body: '{"a":1}' });
		expect(a1.ran).toBe(true);
		a1.startRun();
		// b-1 to B (Respond Immediately): saved with its own call.
		const b1 = await workflow.call('B', { headers: github('{"b":1}', 'b-1'), body: '{"b":1}' });
		expect(b1.ran).toBe(true);
		expect(b1.save()).toBe(true);
		expect([savedKeys(workflow.savedStaticData, a), savedKeys(workflow.savedStaticData, b)].map((k) => k.length)).toEqual([2, 2]);
		// A's run ends: n8n saves A's whole copy (read before B's save), then answers 200.
		expect(a1.save()).toBe(true);
		a1.response.answer(200);
		// B's delivery survived A's save, and A's earlier delivery is in it too (id + signed bytes each).
		expect([savedKeys(workflow.savedStaticData, a), savedKeys(workflow.savedStaticData, b)].map((k) => k.length)).toEqual([2, 2]);
		// The other order: B saves last, with A's copy saved before it — still both.
		const b2 = await workflow.call('B', { headers: github('{"b":2}', 'b-2'), body: '{"b":2}' });
		b2.save();
		expect([savedKeys(workflow.savedStaticData, a), savedKeys(workflow.savedStaticData, b)].map((k) => k.length)).toEqual([4, 4]);
	});

	it("n8n's limit: a When Last Node Finishes call alone saves nothing (n8n starts the run on its static data and marks it unchanged); the process still drops the repeat, and the next call answered immediately saves it", async () => {
		const { workflow, a, b } = await twoNodes();
		const a0 = await workflow.call('A', { headers: github('{"a":0}', 'a-0'), body: '{"a":0}' });
		a0.startRun();
		expect(a0.save()).toBe(false);
		a0.response.answer(200);
		const a1 = await workflow.call('A', { headers: github('{"a":1}', 'a-1'), body: '{"a":1}' });
		a1.startRun();
		// a-1's copy carried a-0 when webhook() returned, but the run's start marked it unchanged: n8n does not save it.
		expect(a1.save()).toBe(false);
		a1.response.answer(200);
		expect(workflow.savedStaticData).toEqual({});
		const repeat = await workflow.call('A', { headers: github('{"a":0}', 'a-0'), body: '{"a":0}' });
		expect([repeat.ran, repeat.response.statusCode]).toEqual([false, 200]);
		// A call to B (Respond Immediately) carries what the process knew about A.
		const b1 = await workflow.call('B', { headers: github('{"b":1}', 'b-1'), body: '{"b":1}' });
		expect(b1.save()).toBe(true);
		expect([savedKeys(workflow.savedStaticData, a), savedKeys(workflow.savedStaticData, b)].map((k) => k.length)).toEqual([4, 2]);
	});
});

// ---------------------------------------------------------------------------------------------------------------
describe('Key Header Name (version 1.1) and API Key Header (version 1)', () => {
	const API_KEY = 'inbound-key-123';
	const keyCredential: TestCredential = { id: 'key', name: 'key', type: 'apiSyncWebhookSecretApi', data: { secret: API_KEY } };
	const ref = { apiSyncWebhookSecretApi: { id: 'key', name: 'key' } };

	it.each([
		['1.1, Key Header Name set', 1.1, { keyHeaderName: 'X-Shop-Key' }, 'X-Shop-Key'],
		['1.1, Key Header Name left at its default', 1.1, {}, 'X-API-Key'],
		['1 (a saved workflow), API Key Header set', 1, { apiKeyHeader: 'X-Shop-Key' }, 'X-Shop-Key'],
		['1 (a saved workflow), API Key Header left at its default', 1, {}, 'X-API-Key'],
	])('version %s: the key is read from that header, and nowhere else', async (_label, version, parameters, header) => {
		const node = webhookNode('Keyed', { verification: 'apiKeyHeader', ...parameters }, ref, version);
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [keyCredential] });
		const accepted = await workflow.call('Keyed', { headers: { [header]: API_KEY, 'Content-Type': 'application/json' }, body: '{}' });
		expect({ ran: accepted.ran, status: accepted.response.statusCode }).toEqual({ ran: true, status: 200 });
		// The header that carries the key never reaches the output.
		const json = accepted.result.workflowData?.[0]?.[0]?.json as IDataObject;
		expect(Object.keys(json.headers as IDataObject)).not.toContain(header.toLowerCase());
		const other = header === 'X-API-Key' ? 'X-Shop-Key' : 'X-API-Key';
		const refused = await workflow.call('Keyed', { headers: { [other]: API_KEY, 'Content-Type': 'application/json' }, body: '{}' });
		expect({ ran: refused.ran, status: refused.response.statusCode }).toEqual({ ran: false, status: 401 });
	});

	it('version 1.1 ignores an apiKeyHeader value (a v1 parameter, not shown in 1.1): n8n drops it when it loads the workflow', async () => {
		const node = webhookNode('Keyed', { verification: 'apiKeyHeader', apiKeyHeader: 'X-Old-Name', keyHeaderName: 'X-New-Name' }, ref, 1.1);
		const workflow = await WebhookWorkflow.create({ id: `wf-${randomUUID()}`, nodes: [node], credentials: [keyCredential] });
		expect((await workflow.call('Keyed', { headers: { 'X-New-Name': API_KEY }, body: '{}' })).ran).toBe(true);
		expect((await workflow.call('Keyed', { headers: { 'X-Old-Name': API_KEY }, body: '{}' })).ran).toBe(false);
	});
});
