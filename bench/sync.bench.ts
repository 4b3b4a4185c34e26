/**
 * `npm run bench`: the Sync operation against the sandbox on loopback (GitHub issue 4).
 *
 * What is measured, in one run, for 10,000 EenvoudigFactureren `clients` records matched on
 * `external_client_id`:
 *   1. initial sync (all creates), with and without the bulk endpoint;
 *   2. re-sync with nothing changed;
 *   3. re-sync with 1% of the records changed (with and without bulk);
 *   4. an initial sync of 100,000 records with bulk, for peak memory;
 * each for our node and for two baselines:
 *   (a) naive: per record one lookup `GET /clients?filter=external_client_id=…`, then `POST /clients/{id}`
 *       (full record) or `POST /clients`, strictly sequential, as HTTP Request nodes without batching do;
 *   (b) raw: a plain axios client making exactly the requests of our node's plan (list pages with the
 *       same `fields=`, then bulk or single writes with the same bodies) at the same concurrency (4),
 *       measured both without keep-alive (a new connection per request, as n8n's request stack does)
 *       and with keep-alive.
 *
 * How:
 *   - The sandbox API runs in a child process (`test/sandbox/cli.ts`, no seed, no logged bodies).
 *   - Every measured run happens in a fresh forked process (`worker.ts`), so its peak RSS is its
 *     own: RSS is sampled every 20 ms during the run, and the kernel's lifetime peak (maxRSS) of the
 *     process is reported too. Before the run the worker warms up (a 200-record run of the same kind
 *     against another sandbox account); that traffic is not counted.
 *   - Our node runs in-process through the test harness (`runNode`: n8n-core's real WorkflowExecute
 *     and request helpers) with `maxRequestsPerSecond: 0, concurrency: 4`, "Map Automatically".
 *   - Before each run the sandbox is reset and, for re-syncs, filled with the 10,000 original records
 *     (bulk, not measured); after each run the request log gives the request count, and the stored
 *     clients are checked: every record present exactly once with the expected values. Our node's
 *     outputs and its request list are checked too (the raw client must send the same requests).
 *
 * Writes `bench/RESULTS.md`. Exits 1 when a correctness check fails; missed performance targets
 * are reported as FAIL in RESULTS.md and the script still exits 0.
 * Environment: BENCH_RECORDS (default 10000), BENCH_BIG_RECORDS (default 100000; 0 skips it).
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
	apiClient,
	bulkPost,
	clientRecords,
	isChanged,
	OWNER_API_KEY,
	PAGE_SIZE,
	SandboxControl,
	type ClientRecord,
	type LogEntry,
	type Variant,
} from './shared';
import type { Job, WorkerResult } from './worker';

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.BENCH_RECORDS ?? 10_000);
const BIG_N = Number(process.env.BENCH_BIG_RECORDS ?? 100_000);
const CONCURRENCY = 4;
const MB = 1024 * 1024;

const TARGETS = {
	requestRatioVsNaive: 20,
	timeRatioVsRaw: 1.25,
	peakRssBytes: 500 * MB,
};

// ---------------------------------------------------------------------------------------------
// Scenarios

type Client = 'node' | 'raw' | 'rawKeepAlive' | 'naive';

const CLIENT_LABEL: Record<Client, string> = {
	node: 'API Sync node (n8n)',
	raw: 'raw client, no keep-alive',
	rawKeepAlive: 'raw client, keep-alive',
	naive: 'naive per-record (baseline a)',
};

interface Scenario {
	id: string;
	title: string;
	count: number;
	/** Remote state before the run: empty, or the `count` original records. */
	before: 'empty' | 'original';
	/** The input of the run, and what the remote side must hold afterwards. */
	input: Variant;
	useBulk: boolean;
	clients: Client[];
	/** Our node's expected outputs: Created, Updated, Unchanged, Deleted, Failed. */
	expectedOutputs: number[];
}

function scenarios(): Scenario[] {
	const updates = Array.from({ length: N }, (_, i) => i).filter(isChanged).length;
	const list: Scenario[] = [
		{ id: 'initial-bulk', title: `Initial sync of ${fmtInt(N)} records (all creates), bulk`, count: N, before: 'empty', input: 'original', useBulk: true, clients: ['node', 'raw', 'rawKeepAlive', 'naive'], expectedOutputs: [N, 0, 0, 0, 0] },
		{ id: 'initial-single', title: `Initial sync of ${fmtInt(N)} records (all creates), without bulk`, count: N, before: 'empty', input: 'original', useBulk: false, clients: ['node', 'raw', 'rawKeepAlive'], expectedOutputs: [N, 0, 0, 0, 0] },
		{ id: 'unchanged', title: `Re-sync of ${fmtInt(N)} records, nothing changed`, count: N, before: 'original', input: 'original', useBulk: true, clients: ['node', 'raw', 'rawKeepAlive', 'naive'], expectedOutputs: [0, 0, N, 0, 0] },
		{ id: 'changed-bulk', title: `Re-sync of ${fmtInt(N)} records, 1% changed (${updates}), bulk`, count: N, before: 'original', input: 'changed', useBulk: true, clients: ['node', 'raw', 'rawKeepAlive', 'naive'], expectedOutputs: [0, updates, N - updates, 0, 0] },
		{ id: 'changed-single', title: `Re-sync of ${fmtInt(N)} records, 1% changed (${updates}), without bulk`, count: N, before: 'original', input: 'changed', useBulk: false, clients: ['node', 'raw', 'rawKeepAlive'], expectedOutputs: [0, updates, N - updates, 0, 0] },
	];
	if (BIG_N > 0) {
		list.push({ id: 'big-initial-bulk', title: `Initial sync of ${fmtInt(BIG_N)} records, bulk (peak memory)`, count: BIG_N, before: 'empty', input: 'original', useBulk: true, clients: ['node', 'raw'], expectedOutputs: [BIG_N, 0, 0, 0, 0] });
	}
	return list;
}

// ---------------------------------------------------------------------------------------------
// Processes

let sandboxProcess: ChildProcess | undefined;

async function freePort(): Promise<number> {
	return await new Promise((resolve, reject) => {
		const server = createServer();
		server.once('error', reject);
		server.listen(0, '127.0.0.1', () => {
			const { port } = server.address() as { port: number };
			server.close(() => resolve(port));
		});
	});
}

/** Starts the sandbox API in a child process and waits for its "listening" line. */
async function startSandbox(): Promise<SandboxControl> {
	const port = await freePort();
	const child = spawn(path.join(ROOT, 'node_modules/.bin/ts-node'), ['--transpile-only', 'test/sandbox/cli.ts'], {
		cwd: ROOT,
		env: {
			...process.env,
			SANDBOX_PORT: String(port),
			SANDBOX_LOG_BODIES: 'false',
			SANDBOX_SEED: 'false',
			SANDBOX_MAX_LOG: '300000',
		},
		stdio: ['ignore', 'pipe', 'inherit'],
	});
	sandboxProcess = child;
	const url = await new Promise<string>((resolve, reject) => {
		let buffer = '';
		const timer = setTimeout(() => reject(new Error('the sandbox did not start within 60 s')), 60_000);
		child.stdout!.on('data', (chunk: Buffer) => {
			buffer += chunk.toString();
			const match = /sandbox listening on (\S+)\/api\/v1/.exec(buffer);
			if (match) {
				clearTimeout(timer);
				resolve(match[1]);
			}
		});
		child.once('exit', (code) => reject(new Error(`the sandbox exited with code ${code}`)));
	});
	child.stdout!.resume();
	return new SandboxControl(url);
}

function stopSandbox(): void {
	if (sandboxProcess && sandboxProcess.exitCode === null) sandboxProcess.kill('SIGTERM');
}

/** Forks a worker for one job; calls `beforeGo` once it has warmed up; returns its measurements. */
async function runWorker(job: Job, beforeGo: () => Promise<void>): Promise<WorkerResult> {
	const child = fork(path.join(__dirname, 'worker.ts'), [], {
		cwd: ROOT,
		execArgv: ['--require', 'ts-node/register/transpile-only'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	try {
		return await new Promise<WorkerResult>((resolve, reject) => {
			child.on('message', (message: { type: string; result?: WorkerResult; message?: string }) => {
				if (message.type === 'ready') {
					beforeGo().then(
						() => child.send({ type: 'go' }),
						(error: Error) => reject(error),
					);
				} else if (message.type === 'result') resolve(message.result!);
				else if (message.type === 'error') reject(new Error(`worker failed: ${message.message}`));
			});
			child.once('exit', (code) => reject(new Error(`worker exited with code ${code} before reporting`)));
			child.send({ type: 'start', job });
		});
	} finally {
		if (child.exitCode === null) child.kill('SIGTERM');
	}
}

// ---------------------------------------------------------------------------------------------
// Checks

class CorrectnessError extends Error {}

function check(condition: boolean, message: string): void {
	if (!condition) throw new CorrectnessError(message);
}

/** Every expected record present exactly once, with the expected values; nothing else. */
async function verifyStore(control: SandboxControl, expected: ClientRecord[], what: string): Promise<void> {
	const stored = await control.clients();
	const byKey = new Map<string, Record<string, unknown>>();
	for (const record of stored) {
		const key = String(record.external_client_id);
		check(!byKey.has(key), `${what}: external_client_id ${key} is stored twice`);
		byKey.set(key, record);
	}
	check(stored.length === expected.length, `${what}: ${stored.length} clients stored, expected ${expected.length}`);
	for (const record of expected) {
		const remote = byKey.get(record.external_client_id);
		check(remote !== undefined, `${what}: ${record.external_client_id} is missing`);
		for (const [field, value] of Object.entries(record)) {
			check(String(remote![field] ?? '') === value, `${what}: ${record.external_client_id}.${field} is "${String(remote![field])}", expected "${value}"`);
		}
	}
}

interface RequestCounts {
	total: number;
	lists: number;
	lookups: number;
	writes: number;
	bulk: number;
	singleCreates: number;
	singleUpdates: number;
	/** Values of the Connection request header seen, with counts. */
	connection: Record<string, number>;
	/** Sorted request signatures (method, path, query), to compare our node with the raw client. */
	signatures: string[];
}

function countRequests(log: LogEntry[], what: string): RequestCounts {
	const counts: RequestCounts = { total: 0, lists: 0, lookups: 0, writes: 0, bulk: 0, singleCreates: 0, singleUpdates: 0, connection: {}, signatures: [] };
	for (const entry of log) {
		check(entry.auth?.account === 'A10000001', `${what}: a request acted on account ${entry.auth?.account ?? 'none'} (${entry.method} ${entry.path})`);
		check(entry.status >= 200 && entry.status < 300, `${what}: ${entry.method} ${entry.path} answered ${entry.status}`);
		counts.total++;
		const connection = String(entry.headers.connection ?? '(none)').toLowerCase();
		counts.connection[connection] = (counts.connection[connection] ?? 0) + 1;
		const query = Object.keys(entry.query)
			.sort()
			.map((k) => `${k}=${entry.query[k]}`)
			.join('&');
		counts.signatures.push(`${entry.method} ${entry.path}?${query}`);
		if (entry.method === 'GET') {
			if ('filter' in entry.query) counts.lookups++;
			else if ('skip' in entry.query) counts.lists++;
			else throw new CorrectnessError(`${what}: unexpected request GET ${entry.path}`);
			continue;
		}
		check(entry.method === 'POST', `${what}: unexpected method ${entry.method} ${entry.path}`);
		counts.writes++;
		if ('bulk' in entry.query) counts.bulk++;
		else if (entry.path === '/api/v1/clients') counts.singleCreates++;
		else counts.singleUpdates++;
	}
	counts.signatures.sort();
	return counts;
}

// ---------------------------------------------------------------------------------------------
// Running

interface Measurement {
	client: Client;
	result: WorkerResult;
	requests: RequestCounts;
}

interface ScenarioResult {
	scenario: Scenario;
	measurements: Measurement[];
	/** Our node and the raw client sent the same requests (method, path, query). */
	sameRequests?: boolean;
}

const started = Date.now();

function progress(message: string): void {
	const seconds = ((Date.now() - started) / 1000).toFixed(0).padStart(4);
	console.log(`[bench ${seconds}s] ${message}`);
}

async function prepareRemote(control: SandboxControl, scenario: Scenario): Promise<void> {
	await control.reset();
	if (scenario.before === 'original') {
		await bulkPost(apiClient(control.baseUrl, OWNER_API_KEY, true), clientRecords(scenario.count, 'original'));
		await verifyStore(control, clientRecords(scenario.count, 'original'), `${scenario.id} setup`);
	}
	await control.clearLog();
}

async function measure(control: SandboxControl, scenario: Scenario, client: Client, naiveCache: Map<string, Measurement>): Promise<Measurement> {
	const what = `${scenario.id} / ${CLIENT_LABEL[client]}`;
	// The naive baseline does not use bulk: its initial sync and 1% re-sync are the same runs for both tables.
	const naiveKey = `${scenario.before}-${scenario.input}-${scenario.count}`;
	if (client === 'naive' && naiveCache.has(naiveKey)) return naiveCache.get(naiveKey)!;

	progress(`${what}: preparing`);
	await prepareRemote(control, scenario);
	const job: Job = {
		kind: client === 'rawKeepAlive' ? 'raw' : client,
		baseUrl: control.baseUrl,
		count: scenario.count,
		variant: scenario.input,
		useBulk: scenario.useBulk,
		concurrency: CONCURRENCY,
		keepAlive: client === 'rawKeepAlive',
	};
	const result = await runWorker(job, async () => {
		// Prepared before the worker started; the worker's warm-up went to another account. Count from here.
		await control.clearLog();
	});
	const requests = countRequests(await control.log(), what);
	await verifyStore(control, clientRecords(scenario.count, scenario.input), what);
	if (client === 'node') {
		check(JSON.stringify(result.outputCounts) === JSON.stringify(scenario.expectedOutputs), `${what}: outputs ${JSON.stringify(result.outputCounts)}, expected ${JSON.stringify(scenario.expectedOutputs)}`);
	}
	progress(`${what}: ${(result.wallMs / 1000).toFixed(2)} s, ${requests.total} requests, peak RSS ${mb(result.peakRssSampled)} MB (process ${mb(result.maxRssLifetime)} MB)`);
	const measurement = { client, result, requests };
	if (client === 'naive') naiveCache.set(naiveKey, measurement);
	return measurement;
}

// ---------------------------------------------------------------------------------------------
// Report

function fmtInt(n: number): string {
	return n.toLocaleString('en-US');
}

function mb(bytes: number): string {
	return (bytes / MB).toFixed(0);
}

function secs(ms: number): string {
	return (ms / 1000).toFixed(2);
}

function ratio(x: number): string {
	return x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
}

function describeRequests(r: RequestCounts): string {
	const parts: string[] = [];
	if (r.lists) parts.push(`${fmtInt(r.lists)} list`);
	if (r.lookups) parts.push(`${fmtInt(r.lookups)} lookup`);
	if (r.bulk) parts.push(`${fmtInt(r.bulk)} bulk`);
	if (r.singleCreates) parts.push(`${fmtInt(r.singleCreates)} create`);
	if (r.singleUpdates) parts.push(`${fmtInt(r.singleUpdates)} update`);
	return `${fmtInt(r.total)} (${parts.join(', ') || 'none'})`;
}

function describeConnection(r: RequestCounts): string {
	return Object.entries(r.connection)
		.map(([value, count]) => (count === r.total ? value : `${value} ×${count}`))
		.join(', ');
}

interface TargetLine {
	pass: boolean;
	text: string;
}

function report(results: ScenarioResult[], targets: TargetLine[]): string {
	const lines: string[] = [];
	const cpus = os.cpus();
	const n8nCore = (require(path.join(ROOT, 'node_modules/n8n-core/package.json')) as { version: string }).version;
	lines.push('# Sync benchmark results', '');
	lines.push('Generated by `npm run bench` (`bench/sync.bench.ts`); do not edit by hand. One run; ratios come from this one run,');
	lines.push('absolute times are noisy on shared machines.', '');
	lines.push(`- Date: ${new Date().toISOString()}`);
	lines.push(`- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${mb(os.totalmem())} MB RAM, ${os.platform()} ${os.release()}`);
	lines.push(`- Node ${process.version}, n8n-core ${n8nCore}; sandbox API in a separate process on loopback (it shares the cores)`);
	lines.push(`- Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`, '');

	lines.push('## Targets', '');
	for (const t of targets) lines.push(`- **${t.pass ? 'PASS' : 'FAIL'}** ${t.text}`);
	lines.push('', 'A missed target is reported here as FAIL; the script still exits 0. It exits 1 only when a correctness check fails.', '');

	lines.push('## Results', '');
	for (const { scenario, measurements, sameRequests } of results) {
		lines.push(`### ${scenario.title}`, '');
		lines.push('| Client | Wall time (s) | Requests | Records/s | RSS before run (MB) | Peak RSS during run (MB) | Process peak RSS (MB) | Connection header |');
		lines.push('| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |');
		for (const m of measurements) {
			const wall = m.client === 'node' && m.result.nodeMs !== undefined ? `${secs(m.result.wallMs)} (node ${secs(m.result.nodeMs)})` : secs(m.result.wallMs);
			lines.push(
				`| ${CLIENT_LABEL[m.client]} | ${wall} | ${describeRequests(m.requests)} | ${fmtInt(Math.round(scenario.count / (m.result.wallMs / 1000)))} | ${mb(m.result.rssBefore)} | ${mb(m.result.peakRssSampled)} | ${mb(m.result.maxRssLifetime)} | ${describeConnection(m.requests)} |`,
			);
		}
		lines.push('');
		const node = measurements.find((m) => m.client === 'node');
		if (node) {
			const ratios: string[] = [];
			const naive = measurements.find((m) => m.client === 'naive');
			if (naive) {
				ratios.push(`vs naive: ${ratio(naive.requests.total / node.requests.total)}× fewer requests, ${ratio(naive.result.wallMs / node.result.wallMs)}× faster`);
			}
			for (const client of ['raw', 'rawKeepAlive'] as const) {
				const raw = measurements.find((m) => m.client === client);
				if (raw) ratios.push(`vs ${CLIENT_LABEL[client]}: ${ratio(node.result.wallMs / raw.result.wallMs)}× its wall time`);
			}
			lines.push(`Ratios (API Sync node): ${ratios.join('; ')}.`);
			if (sameRequests !== undefined) {
				lines.push(sameRequests ? 'The raw client sent exactly the same requests as the node (method, path, query).' : '**The raw client did not send the same requests as the node** (see the request counts).');
			}
			if (node.result.summary) lines.push('', `Node summary: _${node.result.summary}_`);
			lines.push('');
		}
	}

	lines.push('## How this is measured', '');
	lines.push(
		`- Records: ${fmtInt(N)} deterministic EenvoudigFactureren \`clients\` (${'`external_client_id`, `name`, `email_address`, `tax_code`, `street`, `postal_code`, `city`, `country_code`, `number`'}), matched on \`external_client_id\`. The 1% change alters \`city\` and \`street\` of every 100th record.`,
		'- Our node: `runNode` from `test/harness` (n8n-core\'s real `WorkflowExecute` and request helpers, API key credential), Sync in Upsert mode, "Map Automatically", `maxRequestsPerSecond: 0`, `concurrency: 4`, `useBulk` as the scenario says. Wall time is the whole workflow run (Manual Trigger → Items → API Sync); "node" is the Sync node\'s own execution time from the run data.',
		'- Naive (baseline a): axios, per record `GET /clients?filter=external_client_id=…` then `POST /clients/{id}` with the full record or `POST /clients`, sequential. Without keep-alive, as HTTP Request nodes go through the same n8n request stack. It makes 2 requests per record whatever changed, so it is run for the initial sync, the unchanged re-sync and the 1% re-sync (the same runs appear in the bulk and the single tables).',
		'- Raw (baseline b): axios making exactly the plan\'s requests (the list pages with the same `fields=`, read sequentially like the node, then the writes with the same bodies, 4 in flight), without n8n. Measured without keep-alive (a new TCP connection and `Connection: close` per request, like n8n\'s request helpers) and with keep-alive. The bench checks that it sends the same requests (method, path, query) as the node.',
		'- Each measured run is a fresh child process of the bench script, so peak memory is that run\'s own: "Peak RSS during run" is the max of `process.memoryUsage().rss` sampled every 20 ms during the run; "Process peak RSS" is the kernel\'s `maxRSS` of that process over its life (loading n8n, a 200-record warm-up against another sandbox account, the run). The 500 MB target uses the process peak. The sandbox runs in its own process and is not included.',
		'- Before each run the sandbox is reset (and, for re-syncs, loaded with the original records through the bulk endpoint, not measured); requests are counted from the sandbox\'s request log; afterwards every stored client is checked: each record present exactly once with the expected values. Our node\'s outputs (Created/Updated/Unchanged/Deleted/Failed counts) are checked as well.',
		'',
	);
	return lines.join('\n');
}

function evaluateTargets(results: ScenarioResult[]): TargetLine[] {
	const targets: TargetLine[] = [];
	const get = (id: string, client: Client) => results.find((r) => r.scenario.id === id)?.measurements.find((m) => m.client === client);

	const unchanged = get('unchanged', 'node');
	if (unchanged) {
		const r = unchanged.requests;
		const limit = Math.floor(N / PAGE_SIZE);
		const onlyLists = r.total === r.lists && r.writes === 0;
		targets.push({
			pass: onlyLists && r.lists <= limit,
			text: `Unchanged re-sync makes only list requests (at most one per ${PAGE_SIZE} records, ≤ ${limit}) and zero writes: ${r.lists} list requests, ${r.total - r.lists} other requests, ${r.writes} writes.${
				onlyLists && r.lists === limit + 1 && N % PAGE_SIZE === 0
					? ` The one over is the empty page that ends paging: with ${fmtInt(N)} records (a multiple of ${PAGE_SIZE}) a full last page cannot be told from "more to come", as the list response carries no total.`
					: ''
			}`,
		});
	}
	for (const id of ['changed-bulk', 'changed-single']) {
		const node = get(id, 'node');
		const naive = get('changed-bulk', 'naive');
		if (!node || !naive) continue;
		const factor = naive.requests.total / node.requests.total;
		targets.push({
			pass: factor >= TARGETS.requestRatioVsNaive,
			text: `1% re-sync${id === 'changed-single' ? ' without bulk' : ' with bulk'}: at least ${TARGETS.requestRatioVsNaive}× fewer requests than naive: ${fmtInt(node.requests.total)} vs ${fmtInt(naive.requests.total)}, ${ratio(factor)}×.`,
		});
	}
	for (const result of results) {
		const node = result.measurements.find((m) => m.client === 'node');
		if (!node) continue;
		for (const client of ['raw', 'rawKeepAlive'] as const) {
			const raw = result.measurements.find((m) => m.client === client);
			if (!raw) continue;
			const equal = raw.requests.total === node.requests.total && result.sameRequests === true;
			const factor = node.result.wallMs / raw.result.wallMs;
			targets.push({
				pass: equal && factor <= TARGETS.timeRatioVsRaw,
				text: `${result.scenario.title}: within ${TARGETS.timeRatioVsRaw}× of the ${CLIENT_LABEL[client]}'s wall time: ${secs(node.result.wallMs)} s vs ${secs(raw.result.wallMs)} s, ${ratio(factor)}×${equal ? ` at ${fmtInt(node.requests.total)} requests each` : ` (request counts differ: ${node.requests.total} vs ${raw.requests.total})`}.`,
			});
		}
	}
	const big = get('big-initial-bulk', 'node');
	if (big) {
		targets.push({
			pass: big.result.maxRssLifetime < TARGETS.peakRssBytes,
			text: `${fmtInt(BIG_N)} records synced (initial, bulk) within ${mb(TARGETS.peakRssBytes)} MB peak RSS: process peak ${mb(big.result.maxRssLifetime)} MB (${mb(big.result.peakRssSampled)} MB sampled during the run, ${mb(big.result.rssBefore)} MB before it), in ${secs(big.result.wallMs)} s.`,
		});
	} else {
		targets.push({ pass: false, text: `${fmtInt(BIG_N)}-record peak memory: not run (BENCH_BIG_RECORDS=0).` });
	}
	return targets;
}

async function main(): Promise<void> {
	progress(`starting the sandbox (${os.cpus().length} cores, Node ${process.version})`);
	const control = await startSandbox();
	progress(`sandbox at ${control.url}`);
	const results: ScenarioResult[] = [];
	const naiveCache = new Map<string, Measurement>();
	for (const scenario of scenarios()) {
		progress(`== ${scenario.title}`);
		const measurements: Measurement[] = [];
		for (const client of scenario.clients) measurements.push(await measure(control, scenario, client, naiveCache));
		const node = measurements.find((m) => m.client === 'node');
		const raws = measurements.filter((m) => m.client === 'raw' || m.client === 'rawKeepAlive');
		const sameRequests = node && raws.length ? raws.every((m) => m.requests.signatures.join('\n') === node.requests.signatures.join('\n')) : undefined;
		results.push({ scenario, measurements, sameRequests });
	}
	await control.reset();
	const targets = evaluateTargets(results);
	const markdown = report(results, targets);
	writeFileSync(path.join(__dirname, 'RESULTS.md'), markdown);
	progress('wrote bench/RESULTS.md');
	for (const t of targets) console.log(`${t.pass ? 'PASS' : 'FAIL'} ${t.text}`);
}

process.on('exit', stopSandbox);
main().then(
	() => {
		stopSandbox();
		process.exit(0);
	},
	(error: Error) => {
		console.error(error instanceof CorrectnessError ? `CORRECTNESS CHECK FAILED: ${error.message}` : (error.stack ?? error.message));
		stopSandbox();
		process.exit(1);
	},
);
