/**
 * The API Sync Webhook in one real `n8n start`: two README promises of *Repeated deliveries* that depend on how n8n
 * answers and saves (first written for the review of the `webhook` change, /work/notes/review16h.md).
 *
 * - E1 "A sender that stops waiting before the answer … sends the delivery again, and that retry runs — even while the
 *   first run is still going" (the 'close'-without-'finish' path of the store).
 * - E2 two API Sync Webhook nodes in one workflow: node A answers When Last Node Finishes and its run takes a while,
 *   node B responds immediately. n8n saves the whole static data, last writer wins; every save carries both nodes'
 *   deliveries (global static data), so after a restart B's redeliveries are still dropped. Also shown: n8n's limit —
 *   a When Last Node Finishes call alone saves nothing (n8n starts the run on the call's static data object, which
 *   marks it unchanged); the next save of the workflow (here B's, or one during A's run) carries it.
 * In-process, step by step: test/integration/webhookReplays.test.ts.
 */
import { createHmac, randomUUID } from 'node:crypto';

import { ACCOUNTS } from '../sandbox/fixtures';
import type { N8nWorkflow, StartedN8n } from './support/n8n';
import { sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(900_000);

const TYPE = 'n8n-nodes-api-sync.apiSyncWebhook';
const GH_SECRET = 'gh-two-nodes-Secret';
const ACK = '{"received":true}';

const hookNode = (id: string, name: string, responseMode: string, position: number) => ({
	id,
	name,
	type: TYPE,
	typeVersion: 1,
	position: [0, position],
	webhookId: randomUUID(),
	parameters: { httpMethod: 'POST', verification: 'github', responseMode, options: { dropRepeatedDeliveries: true } },
	credentials: { apiSyncWebhookSecretApi: { id: 'tnGithub', name: 'tnGithub' } },
});

const createNode = {
	id: 'tn-create',
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
};

const hangup = hookNode('tn-hangup-hook', 'Inbound', 'lastNode', 0);
const twoA = hookNode('tn-two-a', 'A', 'lastNode', 0);
const twoB = hookNode('tn-two-b', 'B', 'onReceived', 200);
const WF: Record<string, N8nWorkflow> = {
	hangup: {
		id: 'tnHangup',
		name: 'tnHangup',
		nodes: [hangup, createNode],
		connections: { Inbound: { main: [[{ node: 'Create client', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	},
	two: {
		id: 'tnTwoNodes',
		name: 'tnTwoNodes',
		nodes: [twoA, twoB, createNode],
		connections: { A: { main: [[{ node: 'Create client', type: 'main', index: 0 }]] } },
		settings: { executionOrder: 'v1' },
	},
};

let env: PackageE2e;
let n8n: StartedN8n;

const url = (hook: { webhookId: string }) => `${n8n.url}/webhook/${hook.webhookId}/webhook`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitRegistered(hooks: Array<{ webhookId: string }>): Promise<void> {
	for (const hook of hooks) {
		const deadline = Date.now() + 90_000;
		for (;;) {
			const res = await fetch(url(hook), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{}' });
			await res.text();
			if (res.status !== 404) break;
			if (Date.now() > deadline) throw new Error('webhook not registered after 90 s');
			await sleep(250);
		}
	}
}

beforeAll(async () => {
	env = await startPackageE2e();
	await env.n8n.importCredentials([
		{ id: 'tnGithub', name: 'tnGithub', type: 'apiSyncWebhookSecretApi', data: { secret: GH_SECRET } },
		sandboxCredential('apiKey', env.sandbox),
	]);
	await env.n8n.importWorkflows(Object.values(WF));
	n8n = await env.n8n.start();
	for (const workflow of Object.values(WF)) {
		const saved = await n8n.rest('GET', `/rest/workflows/${workflow.id}`);
		const activated = await n8n.rest('POST', `/rest/workflows/${workflow.id}/activate`, { versionId: saved.body.data.versionId });
		expect(activated.status).toBe(200);
	}
	await waitRegistered([hangup, twoA, twoB]);
});

afterAll(async () => {
	env?.sandbox.setFaults({});
	await stopPackageE2e(env);
});

function github(body: string, delivery: string): Record<string, string> {
	return {
		'Content-Type': 'application/json',
		'X-GitHub-Event': 'push',
		'X-GitHub-Delivery': delivery,
		'X-Hub-Signature-256': `sha256=${createHmac('sha256', GH_SECRET).update(body).digest('hex')}`,
	};
}

async function post(target: string, body: string, headers: Record<string, string>, signal?: AbortSignal) {
	const res = await fetch(target, { method: 'POST', headers, body, signal });
	return { status: res.status, text: await res.text(), retryAfter: res.headers.get('retry-after') };
}

type Execution = { id: string; status: string };
async function executionsOf(workflowId: string): Promise<Execution[]> {
	const filter = encodeURIComponent(JSON.stringify({ workflowId }));
	const res = await n8n.rest('GET', `/rest/executions?filter=${filter}&limit=100`);
	return res.body.data.results as Execution[];
}
async function waitFinished(workflowId: string, atLeast: number): Promise<Execution[]> {
	const deadline = Date.now() + 180_000;
	for (;;) {
		const all = await executionsOf(workflowId);
		if (all.filter((e) => e.status !== 'running' && e.status !== 'new').length >= atLeast) return all;
		if (Date.now() > deadline) throw new Error(`only ${all.length} executions of ${workflowId}`);
		await sleep(500);
	}
}
const clientsNamed = (name: string) => env.sandbox.store.list(ACCOUNTS.owner, 'clients').filter((c) => c.name === name);

async function waitSandboxInFlight(count: number): Promise<void> {
	const deadline = Date.now() + 120_000;
	while (env.sandbox.inFlight < count) {
		if (Date.now() > deadline) throw new Error('the run never reached the API');
		await sleep(100);
	}
}

describe('E1: the sender hangs up before n8n answers (When Last Node Finishes)', () => {
	it('its retry, sent while the first run is still going, runs (README) — not 503', async () => {
		const name = 'Hung up, then retried';
		const body = JSON.stringify({ name });
		const delivery = randomUUID();
		// The first run's create is held by the sandbox until a second create arrives (the retry's) or we release it.
		env.sandbox.setFaults({ rendezvous: { method: 'POST', path: /\/clients$/, count: 2 } });
		const abort = new AbortController();
		const first = post(url(hangup), body, github(body, delivery), abort.signal).catch((e: Error) => ({ status: -1, text: e.name, retryAfter: null }));
		await waitSandboxInFlight(1);
		abort.abort(); // the sender's timeout
		expect((await first).status).toBe(-1);
		await sleep(1500);
		const retry = await post(url(hangup), body, github(body, delivery));
		env.sandbox.setFaults({}); // releases the first run if the retry did not
		await waitFinished(WF.hangup.id, 1);
		expect({ status: retry.status, retryAfter: retry.retryAfter }).toEqual({ status: 200, retryAfter: null });
		// Both runs created (at least once; the README says so). Once the retry was answered 200 it is remembered.
		const later = await post(url(hangup), body, github(body, delivery));
		expect([later.status, later.text]).toEqual([200, ACK]);
		await waitFinished(WF.hangup.id, 2);
		expect(clientsNamed(name)).toHaveLength(2);
	});
});

describe('E2: two API Sync Webhook nodes in one workflow', () => {
	it("node A's save after its run keeps what node B saved meanwhile: after a restart B's redeliveries are still dropped", async () => {
		const deliver = async (hook: { webhookId: string }, body: string, id: string) => post(url(hook), body, github(body, id));
		/** Executions the given calls started: a fresh delivery to B after them, waited for, makes the count exact. */
		const started = async (send: () => Promise<unknown>) => {
			const before = (await waitFinished(WF.two.id, 0)).length;
			await send();
			const sentinel = JSON.stringify({ sentinel: randomUUID() });
			expect((await deliver(twoB, sentinel, randomUUID())).status).toBe(200);
			await sleep(2000);
			const after = await waitFinished(WF.two.id, before + 1);
			return after.length - before - 1;
		};
		const saved = async () => {
			const workflow = await n8n.rest('GET', `/rest/workflows/${WF.two.id}`);
			const durable = workflow.body?.data?.staticData?.global?.apiSyncWebhookDeliveries ?? {};
			const keysOf = (node: { id: string }) =>
				Object.keys({ ...(durable[node.id]?.remembered ?? {}), ...(durable[node.id]?.replayWindow ?? {}) }).length;
			return { A: keysOf(twoA), B: keysOf(twoB) };
		};
		// Control: c-1 to B while nothing else is going on (saved with its own call: id + signed bytes).
		const c1 = JSON.stringify({ c: 1 });
		const c1id = randomUUID();
		expect(await deliver(twoB, c1, c1id)).toMatchObject({ status: 200, text: ACK });
		await waitFinished(WF.two.id, 1);
		// a-0, then a-00: two quick runs of A, one after the other, each answered 200.
		expect((await deliver(twoA, JSON.stringify({ name: 'A zero' }), randomUUID())).status).toBe(200);
		expect((await deliver(twoA, JSON.stringify({ name: 'A double zero' }), randomUUID())).status).toBe(200);
		await waitFinished(WF.two.id, 3);
		// n8n's limit: a-00's call wrote a-0 into its static data, but n8n started the run on that object (marking it
		// unchanged) and saved nothing after it. A's deliveries are in process memory only, for now.
		expect(await saved()).toEqual({ A: 0, B: 2 });
		// a-1: A's next call; its run is held by the sandbox until we release it.
		env.sandbox.setFaults({ rendezvous: { method: 'POST', path: /\/clients$/, count: 2 } });
		const a1answer = deliver(twoA, JSON.stringify({ name: 'A one' }), randomUUID());
		await waitSandboxInFlight(1);
		// b-1 to B (Respond Immediately): saved with its own call — with what the process knows about A.
		const b1 = JSON.stringify({ b: 1 });
		const b1id = randomUUID();
		expect(await deliver(twoB, b1, b1id)).toMatchObject({ status: 200, text: ACK });
		await waitFinished(WF.two.id, 4);
		await sleep(1000);
		expect(await saved()).toEqual({ A: 4, B: 4 });
		env.sandbox.setFaults({}); // A's run ends; n8n saves A's copy of the whole static data, then answers.
		expect((await a1answer).status).toBe(200);
		await waitFinished(WF.two.id, 5);
		await sleep(1000);
		// A's save (its copy was read before b-1) still holds B's c-1 and b-1, and A's a-0 and a-00.
		expect(await saved()).toEqual({ A: 4, B: 4 });

		// n8n restarts (deploy, crash): process memory is gone, the database copy is what is left.
		await n8n.stop();
		n8n = await env.n8n.start();
		await waitRegistered([twoA, twoB]);
		// GitHub "Redeliver": both are acknowledged and start nothing.
		const control = await started(() => deliver(twoB, c1, c1id));
		const redelivered = await started(() => deliver(twoB, b1, b1id));
		expect({ control, redelivered }).toEqual({ control: 0, redelivered: 0 });
	});
});
