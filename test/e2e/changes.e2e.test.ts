/**
 * Changes since the last run in a real n8n (2.40.7, the built package installed as a community
 * package), against the sandbox:
 * - Get Changes in successive `n8n execute` runs (mode 'cli', so n8n saves the node's static
 *   data after each run): creates and updates between runs, ties at the boundary, an API error
 *   mid-paging, first-run choices and reset;
 * - the API Sync Trigger, from the importable example, activated in `n8n start` and polling the
 *   sandbox on its own schedule.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ACCOUNTS, ALL_SECRETS } from '../sandbox/fixtures';
import { REPO_ROOT, type N8nCredential, type N8nWorkflow } from './support/n8n';
import { apiSyncNode, sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';
import { chainWorkflow } from './support/workflow';

jest.setTimeout(600_000);

const OWNER = ACCOUNTS.owner;
const EXAMPLE_SANDBOX = 'http://127.0.0.1:8787/api/v1';
const EXAMPLE_FILE = path.join(REPO_ROOT, 'examples', 'forward-new-invoices.json');

let env: PackageE2e;
let now = Date.parse('2026-03-02T10:00:00Z');

const clientsFeed = (resetKey = '') =>
	chainWorkflow({
		id: 'changes-clients',
		nodes: [
			apiSyncNode('apiKey', 'cred-apiKey', {
				operation: 'getChanges',
				remoteResource: 'clients',
				changeDetection: 'cursor',
				cursorField: 'last_modified',
				firstRun: 'all',
				changeOptions: resetKey ? { resetKey } : {},
			}),
		],
	});

beforeAll(async () => {
	env = await startPackageE2e();
	env.sandbox.setClock(() => new Date(now));
	const exampleCredentials = JSON.parse(
		fs.readFileSync(path.join(REPO_ROOT, 'examples', 'credentials', 'sandbox-credentials.json'), 'utf8').split(EXAMPLE_SANDBOX).join(env.sandbox.baseUrl),
	) as N8nCredential[];
	await env.n8n.importCredentials([sandboxCredential('apiKey', env.sandbox), ...exampleCredentials]);
	await env.n8n.importWorkflows([
		clientsFeed(),
		chainWorkflow({
			id: 'changes-inv-now',
			nodes: [apiSyncNode('apiKey', 'cred-apiKey', { operation: 'getChanges', remoteResource: 'invoices', firstRun: 'now' })],
		}),
		chainWorkflow({
			id: 'changes-stock',
			nodes: [
				apiSyncNode('apiKey', 'cred-apiKey', {
					operation: 'getChanges',
					remoteResource: 'stockitems',
					firstRun: 'from',
					startFrom: '2026-01-04',
				}),
			],
		}),
	]);
});

afterAll(async () => await stopPackageE2e(env));

/** Runs a workflow with `n8n execute` and returns what API Sync emitted. */
async function run(workflowId: string): Promise<Array<Record<string, unknown>>> {
	const result = await env.n8n.execute(workflowId);
	expect(result.errorMessage).toBeUndefined();
	expect(result.exitCode).toBe(0);
	for (const secret of ALL_SECRETS) expect(result.stdout).not.toContain(secret);
	return result.nodeOutput('API Sync')[0] ?? [];
}

const ids = (records: Array<Record<string, unknown>>, field = 'client_id') => records.map((record) => record[field]);
const insertClient = (name: string) => env.sandbox.store.insert(OWNER, 'clients', { name }).client_id as number;

describe('Get Changes in successive n8n runs', () => {
	it('emits exactly what changed between runs, ties at the boundary once, and again after an error mid-paging', async () => {
		const started = Date.now();
		expect(ids(await run('changes-clients'))).toEqual([101, 102, 103]);

		now += 5 * 60_000;
		const a = insertClient('Nieuw A');
		now += 1000;
		env.sandbox.store.update(OWNER, 'clients', 102, { city: 'Brugge' });
		expect(ids(await run('changes-clients'))).toEqual([a, 102]);

		// Ties: the clock stands still, so these writes share one second with the last change seen.
		now += 60_000;
		const b = insertClient('Tie B');
		const c = insertClient('Tie C');
		expect(ids(await run('changes-clients'))).toEqual([b, c]);
		const d = insertClient('Tie D');
		env.sandbox.store.update(OWNER, 'clients', b, { city: 'Hasselt' });
		expect(ids(await run('changes-clients'))).toEqual([b, d]);
		expect(await run('changes-clients')).toEqual([]);

		// An API error on the second page: the run fails, and the cursor stays where it was.
		const bulk: number[] = [];
		for (let i = 0; i < 150; i++) {
			now += 1000;
			bulk.push(insertClient(`Bulk ${i}`));
		}
		// The second page starts at the first page's last record (skip=99; README: Paging).
		env.sandbox.setFaults({ scripted: [{ method: 'GET', path: /skip=99&/, status: 500, body: '{"error": "database timeout"}' }] });
		const failed = await env.n8n.execute('changes-clients');
		expect(failed.exitCode).not.toBe(0);
		expect(failed.errorMessage).toBe('500 Internal Server Error from GET /api/v1/clients: "database timeout"');
		env.sandbox.setFaults({});
		expect(ids(await run('changes-clients'))).toEqual(bulk);
		expect(await run('changes-clients')).toEqual([]);
		console.log(`8 Get Changes runs in real n8n took ${Date.now() - started} ms`);
	});

	it('a new Reset Key starts over; the state itself survives a re-import', async () => {
		const exported = path.join(env.n8n.userFolder, 'exported-changes-clients.json');
		const res = await env.n8n.run(['export:workflow', '--id=changes-clients', `--output=${exported}`]);
		expect(res.exitCode).toBe(0);
		const [saved] = JSON.parse(fs.readFileSync(exported, 'utf8')) as N8nWorkflow[];
		const state = saved.staticData['node:API Sync'].changeTracking;
		expect(state).toMatchObject({ v: 1, mode: 'cursor', from: expect.any(String), max: expect.any(String) });
		// Small: only the records of the last 60 s (the lookback window) are remembered.
		expect(Object.keys(state.seen).length).toBeLessThanOrEqual(61);

		await env.n8n.importWorkflow({ ...clientsFeed(), staticData: saved.staticData });
		expect(await run('changes-clients')).toEqual([]);
		await env.n8n.importWorkflow({ ...clientsFeed('2026-03-02'), staticData: saved.staticData });
		expect(ids(await run('changes-clients'))).toHaveLength(env.sandbox.store.count(OWNER, 'clients'));
		expect(await run('changes-clients')).toEqual([]);
	});

	it('first run: "Start From Now" for invoices (by ID), "Start From a Date" for stock items (by last_activity)', async () => {
		const [invoices, stock] = await Promise.all([run('changes-inv-now'), run('changes-stock')]);
		expect(invoices).toEqual([]);
		expect(stock.map((item) => item.code)).toEqual(['BRD-01']);
		const created = env.sandbox.store.insert(OWNER, 'invoices', { client_id: 101, date: '2026-03-02', total: 12.5 });
		env.sandbox.store.insert(OWNER, 'stockitems', { code: 'TAR-03', description: 'Taart', last_activity: '2026-03-02' });
		const [newInvoices, newStock] = await Promise.all([run('changes-inv-now'), run('changes-stock')]);
		expect(ids(newInvoices, 'invoice_id')).toEqual([created.invoice_id]);
		expect(newStock.map((item) => item.code)).toEqual(['TAR-03']);
	});
});

describe('API Sync Trigger in an active workflow', () => {
	it('polls the sandbox on its schedule and forwards each new invoice once (the example workflow)', async () => {
		env.sandbox.reset(); // real clock from here
		const example = JSON.parse(fs.readFileSync(EXAMPLE_FILE, 'utf8')) as N8nWorkflow;
		const trigger = example.nodes.find((node) => node.type === 'n8n-nodes-api-sync.apiSyncTrigger');
		expect(trigger.parameters.pollTimes).toEqual({ item: [{ mode: 'everyX', value: 15, unit: 'minutes' }] });
		// Same workflow, polled twice a minute instead of every 15 minutes (n8n allows no less than a minute per entry).
		trigger.parameters.pollTimes = {
			item: [
				{ mode: 'custom', cronExpression: '5 * * * * *' },
				{ mode: 'custom', cronExpression: '35 * * * * *' },
			],
		};
		await env.n8n.importWorkflow(example);

		const started = Date.now();
		const n8n = await env.n8n.start();
		try {
			const workflow = await n8n.rest('GET', `/rest/workflows/${example.id}`);
			expect(workflow.status).toBe(200);
			const activated = await n8n.rest('POST', `/rest/workflows/${example.id}/activate`, { versionId: workflow.body.data.versionId });
			expect({ status: activated.status, body: activated.status === 200 ? 'ok' : activated.body }).toEqual({ status: 200, body: 'ok' });
			// The first poll: "Start From Now" remembers the existing invoice 1001 and emits nothing.
			await waitFor(() => invoiceReads().length >= 2, 'the first poll', n8n);
			console.log(`first poll ${Date.now() - started} ms after n8n start began`);
			expect(invoiceReads()).toEqual(['/api/v1/invoices?sort=-invoice_id&skip=0&take=1', '/api/v1/invoices?filter=invoice_id>=1001&skip=0&take=100']);

			// n8n saves that baseline with the workflow, so a restart does not start over.
			expect(await savedState(n8n, example.id as string, 1001)).toEqual({ v: 1, fp: expect.any(String), mode: 'cursor', from: 1001, max: 1001, seen: { '1001': '=' } });
			const first = [insertInvoice(100), insertInvoice(200)];
			const [firstRun] = await waitForExecutions(n8n, example.id as string, 1);
			expect(firstRun).toMatchObject({ mode: 'trigger', status: 'success' });
			expect(await forwarded(n8n, firstRun.id)).toEqual(first.map((invoice_id, i) => expect.objectContaining({ forwarded: true, invoice_id, total: (i + 1) * 100 })));

			const second = insertInvoice(300);
			const executions = await waitForExecutions(n8n, example.id as string, 2);
			expect(await forwarded(n8n, executions[1].id)).toEqual([expect.objectContaining({ forwarded: true, invoice_id: second, total: 300 })]);

			expect(await savedState(n8n, example.id as string, second)).toMatchObject({ from: second, seen: { [String(second)]: '=' } });
			const polls = invoiceReads().filter((url) => url.includes('filter=')).length;
			expect(polls).toBeGreaterThanOrEqual(3);
			console.log(`trigger e2e: n8n start, activation and ${polls} polls in ${Date.now() - started} ms`);
			for (const secret of ALL_SECRETS) expect(n8n.logs()).not.toContain(secret);
		} finally {
			await n8n.stop();
		}
	});
});

function invoiceReads(): string[] {
	return env.sandbox.log.filter((entry) => entry.method === 'GET' && entry.path === '/api/v1/invoices').map((entry) => decodeURIComponent(entry.url));
}

function insertInvoice(total: number): number {
	return env.sandbox.store.insert(OWNER, 'invoices', { client_id: 101, date: '2026-03-02', total }).invoice_id as number;
}

type Started = Awaited<ReturnType<PackageE2e['n8n']['start']>>;

async function waitFor(done: () => boolean, what: string, n8n: Started, timeoutMs = 300_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!done()) {
		if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}:\n${n8n.logs().slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
	}
}

/** Waits (up to 300 s) until the workflow has `count` finished executions; returns them oldest first. */
async function waitForExecutions(n8n: Started, workflowId: string, count: number): Promise<Array<{ id: string; mode: string; status: string }>> {
	const deadline = Date.now() + 300_000;
	for (;;) {
		const filter = encodeURIComponent(JSON.stringify({ workflowId }));
		const res = await n8n.rest('GET', `/rest/executions?filter=${filter}&limit=20`);
		expect(res.status).toBe(200);
		const finished = (res.body.data.results as Array<{ id: string; mode: string; status: string }>)
			.filter((execution) => execution.status !== 'running' && execution.status !== 'new')
			.sort((x, y) => Number(x.id) - Number(y.id));
		if (finished.length >= count) {
			expect(finished).toHaveLength(count);
			return finished;
		}
		if (Date.now() > deadline) throw new Error(`Only ${finished.length} of ${count} executions after 300 s:\n${n8n.logs().slice(-3000)}`);
		await new Promise((resolve) => setTimeout(resolve, 1000));
	}
}

/** The trigger's change-tracking state as n8n saved it, once it reached `max` (waits up to 120 s). */
async function savedState(n8n: Started, workflowId: string, max: number): Promise<Record<string, unknown>> {
	let state: Record<string, unknown> | undefined;
	const deadline = Date.now() + 120_000;
	while (state?.max !== max) {
		if (Date.now() > deadline) throw new Error(`The saved state did not reach ${max}: ${JSON.stringify(state)}`);
		await new Promise((resolve) => setTimeout(resolve, 500));
		const res = await n8n.rest('GET', `/rest/workflows/${workflowId}`);
		state = res.body.data.staticData?.['node:New invoices']?.changeTracking;
	}
	return state;
}

/** The items the example's "Forward invoice" node returned in one execution. */
async function forwarded(n8n: Started, executionId: string): Promise<Array<Record<string, unknown>>> {
	const res = await n8n.rest('GET', `/rest/executions/${executionId}`);
	expect(res.status).toBe(200);
	const { parse } = require(path.join(env.n8n.installDir, 'node_modules', 'flatted')) as { parse(text: string): any };
	const data = parse(res.body.data.data);
	return data.resultData.runData['Forward invoice'][0].data.main[0].map((item: { json: Record<string, unknown> }) => item.json);
}
