/**
 * `npm run bench`: the Sync operation against the sandbox on loopback (GitHub issue 4).
 *
 * What is measured, in one run, for 10,000 EenvoudigFactureren `clients` records matched on
 * `external_client_id`:
 *   1. initial sync (all creates), with and without the bulk endpoint;
 *   2. re-sync with nothing changed;
 *   3. re-sync with 1% of the records changed (with and without bulk);
 *   4. an initial sync of 100,000 records with bulk, for peak memory;
 *   and, for information, the initial sync with "Map Each Column Manually" expressions, and the
 *   1% re-sync with 20 ms of API latency per request;
 * for our node and for two baselines:
 *   (a) naive: per record one lookup `GET /clients?filter=external_client_id=…`, then `POST /clients/{id}`
 *       (full record) or `POST /clients`, strictly sequential, as HTTP Request nodes without batching do;
 *   (b) raw: a plain axios client making exactly the requests of our node's plan (list pages with the
 *       same `fields=`, then bulk or single writes with the same bodies) at the same concurrency (4),
 *       measured both without keep-alive (a new connection per request, as n8n's request stack does)
 *       and with keep-alive.
 *
 * How:
 *   - The sandbox API runs in a child process (`test/sandbox/cli.ts`, no seed, no logged bodies).
 *   - Each client of each scenario runs in a fresh forked process (`worker.ts`), so its memory is its
 *     own. The worker warms up on another sandbox account (same kind and size of run, capped at
 *     10,000 records, then a re-sync), then makes REPEAT measured runs; the median run is reported.
 *   - Our node runs in-process through the test harness (`runNode`: n8n-core's real WorkflowExecute
 *     and request helpers) with `maxRequestsPerSecond: 0, concurrency: 4`, "Map Automatically".
 *   - Before each measured run the sandbox is reset and, for re-syncs, loaded with the original records
 *     (bulk, not measured). After it, the request log gives the request count and the stored clients
 *     are checked: every record present exactly once with the expected values. Our node's outputs are
 *     checked, and the raw client must have sent the same requests (method, path, query) as the node.
 *
 * Writes `bench/RESULTS.md`. Exits 1 when a correctness check fails; missed performance targets
 * are reported as FAIL in RESULTS.md and the script still exits 0.
 * Environment: BENCH_RECORDS (default 10000), BENCH_BIG_RECORDS (default 100000; 0 skips it),
 * BENCH_REPEAT (default 3), BENCH_ONLY (comma-separated scenario ids, e.g. `unchanged,initial-single`; `read-latency` is the read phase under 100 ms latency, bench/readLatency.ts),
 * BENCH_PROFILE_DIR (write a CPU profile of every measured run there). RESULTS.md is written only by a
 * run of every scenario without profiling.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';

import {
	apiClient,
	bulkPost,
	clientRecords,
	isChanged,
	OWNER_ACCOUNT,
	OWNER_API_KEY,
	PAGE_SIZE,
	SandboxControl,
	type ClientRecord,
	type LogEntry,
	type Variant,
} from './shared';
import { READ_LATENCY_ID, readLatencyScenario } from './readLatency';
import type { Job, Mapping, WorkerResult } from './worker';

const ROOT = path.resolve(__dirname, '..');
const N = Number(process.env.BENCH_RECORDS ?? 10_000);
const BIG_N = Number(process.env.BENCH_BIG_RECORDS ?? 100_000);
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
const CONCURRENCY = 4;
const WARMUP_MAX = 10_000;
const LATENCY_MS = 20;
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
	mapping?: Mapping;
	/** Sandbox latency per API request during the measured run. */
	latencyMs?: number;
	/** Measured runs per client (naive runs once). */
	repeat: number;
	/** Shown under "Additional measurements"; not judged against the targets. */
	informational?: boolean;
	note?: string;
}

function scenarios(): Scenario[] {
	const updates = Array.from({ length: N }, (_, i) => i).filter(isChanged).length;
	const all: Client[] = ['node', 'raw', 'rawKeepAlive', 'naive'];
	const list: Scenario[] = [
		{ id: 'initial-bulk', title: `Initial sync of ${fmtInt(N)} records (all creates), bulk`, count: N, before: 'empty', input: 'original', useBulk: true, clients: all, expectedOutputs: [N, 0, 0, 0, 0], repeat: REPEAT },
		{ id: 'initial-single', title: `Initial sync of ${fmtInt(N)} records (all creates), without bulk`, count: N, before: 'empty', input: 'original', useBulk: false, clients: all, expectedOutputs: [N, 0, 0, 0, 0], repeat: REPEAT },
		{ id: 'unchanged', title: `Re-sync of ${fmtInt(N)} records, nothing changed`, count: N, before: 'original', input: 'original', useBulk: true, clients: all, expectedOutputs: [0, 0, N, 0, 0], repeat: REPEAT },
		{ id: 'changed-bulk', title: `Re-sync of ${fmtInt(N)} records, 1% changed (${updates}), bulk`, count: N, before: 'original', input: 'changed', useBulk: true, clients: all, expectedOutputs: [0, updates, N - updates, 0, 0], repeat: REPEAT },
		{ id: 'changed-single', title: `Re-sync of ${fmtInt(N)} records, 1% changed (${updates}), without bulk`, count: N, before: 'original', input: 'changed', useBulk: false, clients: all, expectedOutputs: [0, updates, N - updates, 0, 0], repeat: REPEAT },
	];
	if (BIG_N > 0) {
		list.push({ id: 'big-initial-bulk', title: `Initial sync of ${fmtInt(BIG_N)} records, bulk (peak memory)`, count: BIG_N, before: 'empty', input: 'original', useBulk: true, clients: ['node', 'raw'], expectedOutputs: [BIG_N, 0, 0, 0, 0], repeat: 1 });
	}
	list.push(
		{
			id: 'initial-bulk-expressions',
			title: `Initial sync of ${fmtInt(N)} records, bulk, "Map Each Column Manually"`,
			count: N, before: 'empty', input: 'original', useBulk: true, clients: ['node'], expectedOutputs: [N, 0, 0, 0, 0], repeat: 1, informational: true, mapping: 'expressions',
			note: 'The Fields mapping set to "Map Each Column Manually" with `{{ $json.<field> }}` for each of the 9 fields, the mode the node offers by default, instead of "Map Automatically". The raw client has no mapping step; compare with the first table.',
		},
		{
			id: 'changed-single-latency',
			title: `Re-sync of ${fmtInt(N)} records, 1% changed, without bulk, ${LATENCY_MS} ms API latency`,
			count: N, before: 'original', input: 'changed', useBulk: false, clients: ['node', 'raw', 'rawKeepAlive'], expectedOutputs: [0, updates, N - updates, 0, 0], repeat: 1, informational: true, latencyMs: LATENCY_MS,
			note: `The sandbox waits ${LATENCY_MS} ms before answering each API request (\`latencyMs\` fault), a stand-in for a remote API. It does not model connection set-up: on a real network every new connection also costs a TCP (and TLS) handshake.`,
		},
	);
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
		env: { ...process.env, SANDBOX_PORT: String(port), SANDBOX_LOG_BODIES: 'false', SANDBOX_SEED: 'false', SANDBOX_MAX_LOG: '300000' },
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

/** CPU time the sandbox process has used so far (Linux /proc), or undefined elsewhere. */
function sandboxCpuMs(): number | undefined {
	try {
		const fields = readFileSync(`/proc/${sandboxProcess!.pid}/stat`, 'utf8').split(') ')[1].split(' ');
		// utime and stime (fields 14 and 15 of stat), in clock ticks of 10 ms.
		return (Number(fields[11]) + Number(fields[12])) * 10;
	} catch {
		return undefined;
	}
}

function stopSandbox(): void {
	if (sandboxProcess && sandboxProcess.exitCode === null) sandboxProcess.kill('SIGTERM');
}

/**
 * Forks a worker for one job. Before each of its measured runs, `beforeRun` prepares the sandbox;
 * `afterRun` receives each run's result. Resolves when the worker has reported every run.
 */
async function runWorker(job: Job, beforeRun: () => Promise<void>, afterRun: (result: WorkerResult) => Promise<void>): Promise<void> {
	const child = fork(path.join(__dirname, 'worker.ts'), [], {
		cwd: ROOT,
		execArgv: ['--require', 'ts-node/register/transpile-only'],
		stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
	});
	try {
		await new Promise<void>((resolve, reject) => {
			let reported = 0;
			// One message at a time: the next run's preparation (a reset) must not start while this run is checked.
			let queue = Promise.resolve();
			child.on('message', (message: { type: string; result?: WorkerResult; message?: string }) => {
				queue = queue.then(async () => {
					if (message.type === 'ready') {
						await beforeRun();
						child.send({ type: 'go' });
					} else if (message.type === 'result') {
						await afterRun(message.result!);
						if (++reported === job.repeat) resolve();
					} else {
						throw new Error(`worker failed: ${message.message ?? message.type}`);
					}
				});
				queue.catch(reject);
			});
			// 'close' comes after the IPC channel is drained; the check waits for the messages still being handled.
			child.once('close', (code) => {
				queue = queue.then(() => {
					if (reported < job.repeat) throw new Error(`worker exited with code ${code} after ${reported} of ${job.repeat} runs`);
				});
				queue.catch(reject);
			});
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
	signatures: string;
}

function countRequests(log: LogEntry[], what: string): RequestCounts {
	const counts: RequestCounts = { total: 0, lists: 0, lookups: 0, writes: 0, bulk: 0, singleCreates: 0, singleUpdates: 0, connection: {}, signatures: '' };
	const signatures: string[] = [];
	for (const entry of log) {
		check(entry.auth?.account === OWNER_ACCOUNT, `${what}: a request acted on account ${entry.auth?.account ?? 'none'} (${entry.method} ${entry.path})`);
		check(entry.status >= 200 && entry.status < 300, `${what}: ${entry.method} ${entry.path} answered ${entry.status}`);
		counts.total++;
		const connection = String(entry.headers.connection ?? '(none)').toLowerCase();
		counts.connection[connection] = (counts.connection[connection] ?? 0) + 1;
		const query = Object.keys(entry.query)
			.sort()
			.map((k) => `${k}=${entry.query[k]}`)
			.join('&');
		signatures.push(`${entry.method} ${entry.path}?${query}`);
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
	counts.signatures = signatures.sort().join('\n');
	return counts;
}

// ---------------------------------------------------------------------------------------------
// Running

interface Run {
	result: WorkerResult;
	requests: RequestCounts;
	/** CPU the sandbox spent serving the run. */
	sandboxCpuMs?: number;
}

interface Measurement {
	client: Client;
	/** The run with the median wall time. */
	median: Run;
	runs: Run[];
	/** Highest RSS sampled during any of the runs, and the process's peak at the end. */
	peakRssSampled: number;
	maxRssLifetime: number;
	/** Naive only: the same run serves several tables. */
	sharedWith?: string;
}

interface ScenarioResult {
	scenario: Scenario;
	measurements: Measurement[];
	/** Our node and the raw clients sent the same requests (method, path, query). */
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
	if (scenario.latencyMs) await control.setFaults({ latencyMs: scenario.latencyMs });
	await control.clearLog();
}

async function measure(control: SandboxControl, scenario: Scenario, client: Client, naiveRuns: Map<string, Measurement>): Promise<Measurement> {
	const what = `${scenario.id} / ${CLIENT_LABEL[client]}`;
	// The naive baseline never uses bulk: one initial run and one 1% run serve both tables.
	const naiveKey = `${scenario.before}-${scenario.input}-${scenario.count}-${scenario.latencyMs ?? 0}`;
	const shared = client === 'naive' ? naiveRuns.get(naiveKey) : undefined;
	if (shared) return shared;

	const repeat = client === 'naive' ? 1 : scenario.repeat;
	const job: Job = {
		kind: client === 'rawKeepAlive' ? 'raw' : client,
		label: `${scenario.id}-${client}`,
		baseUrl: control.baseUrl,
		count: scenario.count,
		variant: scenario.input,
		useBulk: scenario.useBulk,
		concurrency: CONCURRENCY,
		keepAlive: client === 'rawKeepAlive',
		mapping: scenario.mapping ?? 'auto',
		repeat,
		warmupCount: client === 'naive' ? 200 : Math.min(scenario.count, WARMUP_MAX),
	};
	const runs: Run[] = [];
	let sandboxCpuBefore: number | undefined;
	progress(`${what}: starting (${repeat} run${repeat > 1 ? 's' : ''} after warm-up)`);
	await runWorker(
		job,
		async () => {
			await prepareRemote(control, scenario);
			sandboxCpuBefore = sandboxCpuMs();
		},
		async (result) => {
			const sandboxCpuAfter = sandboxCpuMs();
			// The next worker's warm-up must not run with this run's latency.
			if (scenario.latencyMs) await control.setFaults({});
			const run: Run = {
				result,
				requests: countRequests(await control.log(), what),
				sandboxCpuMs: sandboxCpuBefore !== undefined && sandboxCpuAfter !== undefined ? sandboxCpuAfter - sandboxCpuBefore : undefined,
			};
			await verifyStore(control, clientRecords(scenario.count, scenario.input), what);
			if (client === 'node') {
				check(JSON.stringify(result.outputCounts) === JSON.stringify(scenario.expectedOutputs), `${what}: outputs ${JSON.stringify(result.outputCounts)}, expected ${JSON.stringify(scenario.expectedOutputs)}`);
			}
			check(runs.length === 0 || runs[0].requests.signatures === run.requests.signatures, `${what}: run ${runs.length + 1} sent other requests than run 1`);
			runs.push(run);
			progress(`${what}: run ${runs.length}: ${secs(result.wallMs)} s (CPU ${secs(result.cpuMs)} s, sandbox ${run.sandboxCpuMs === undefined ? '?' : secs(run.sandboxCpuMs)} s), ${run.requests.total} requests, peak RSS ${mb(result.peakRssSampled)} MB`);
		},
	);
	const byWall = [...runs].sort((a, b) => a.result.wallMs - b.result.wallMs);
	const measurement: Measurement = {
		client,
		median: byWall[Math.floor((byWall.length - 1) / 2)],
		runs,
		peakRssSampled: Math.max(...runs.map((r) => r.result.peakRssSampled)),
		maxRssLifetime: runs[runs.length - 1].result.maxRssLifetime,
	};
	if (client === 'naive') naiveRuns.set(naiveKey, { ...measurement, sharedWith: scenario.title });
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

function wallCell(m: Measurement): string {
	const walls = m.runs.map((r) => r.result.wallMs);
	const range = walls.length > 1 ? ` (${secs(Math.min(...walls))}–${secs(Math.max(...walls))})` : '';
	const node = m.client === 'node' && m.median.result.nodeMs !== undefined ? `; node ${secs(m.median.result.nodeMs)}` : '';
	return `${secs(m.median.result.wallMs)}${range}${node}`;
}

interface TargetLine {
	pass: boolean;
	text: string;
}

function get(results: ScenarioResult[], id: string, client: Client): Measurement | undefined {
	return results.find((r) => r.scenario.id === id)?.measurements.find((m) => m.client === client);
}

function scenarioSection(lines: string[], { scenario, measurements, sameRequests }: ScenarioResult): void {
	lines.push(`### ${scenario.title}`, '');
	if (scenario.note) lines.push(scenario.note, '');
	lines.push('| Client | Wall time (s): median (range); node alone | Requests | Records/s | Client CPU (s) | Sandbox CPU (s) | Peak RSS during run (MB) | Process peak RSS (MB) | Connection header |');
	lines.push('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- |');
	for (const m of measurements) {
		const run = m.median;
		const label = m.sharedWith && m.sharedWith !== scenario.title ? `${CLIENT_LABEL[m.client]} (same run as in "${m.sharedWith}")` : CLIENT_LABEL[m.client];
		lines.push(
			`| ${label} | ${wallCell(m)} | ${describeRequests(run.requests)} | ${fmtInt(Math.round(scenario.count / (run.result.wallMs / 1000)))} | ${secs(run.result.cpuMs)} | ${run.sandboxCpuMs === undefined ? '–' : secs(run.sandboxCpuMs)} | ${mb(m.peakRssSampled)} | ${mb(m.maxRssLifetime)} | ${describeConnection(run.requests)} |`,
		);
	}
	lines.push('');
	const node = measurements.find((m) => m.client === 'node');
	if (!node) return;
	const ratios: string[] = [];
	const naive = measurements.find((m) => m.client === 'naive');
	if (naive) {
		ratios.push(`vs naive: ${ratio(naive.median.requests.total / node.median.requests.total)}× fewer requests, ${ratio(naive.median.result.wallMs / node.median.result.wallMs)}× faster`);
	}
	for (const client of ['raw', 'rawKeepAlive'] as const) {
		const raw = measurements.find((m) => m.client === client);
		if (raw) ratios.push(`vs ${CLIENT_LABEL[client]}: ${ratio(node.median.result.wallMs / raw.median.result.wallMs)}× its wall time`);
	}
	if (ratios.length) lines.push(`Ratios (API Sync node): ${ratios.join('; ')}.`);
	if (sameRequests !== undefined) {
		lines.push(sameRequests ? 'The raw client sent exactly the same requests as the node (method, path, query).' : '**The raw client did not send the same requests as the node** (see the request counts).');
	}
	if (node.median.result.summary) lines.push('', `Node summary: _${node.median.result.summary}_`);
	lines.push('');
}

function observations(results: ScenarioResult[]): string[] {
	const lines: string[] = [];
	const nodeRequests = results.flatMap((r) => r.measurements.filter((m) => m.client === 'node').flatMap((m) => m.runs.map((run) => run.requests)));
	const total = nodeRequests.reduce((sum, r) => sum + r.total, 0);
	const close = nodeRequests.reduce((sum, r) => sum + (r.connection.close ?? 0), 0);
	lines.push(`- **Connections.** n8n's request helpers sent \`Connection: close\` on ${fmtInt(close)} of the node's ${fmtInt(total)} requests: n8n-core builds a new \`http.Agent\` for every request, so every request opens a new TCP connection.`);
	const single = ['node', 'raw', 'rawKeepAlive'].map((c) => get(results, 'initial-single', c as Client));
	if (single.every(Boolean)) {
		const [node, raw, rawKa] = single as Measurement[];
		const perRequest = (m: Measurement) => (m.median.result.cpuMs / m.median.requests.total) * 1000;
		const closeCost = ((raw.median.result.wallMs - rawKa.median.result.wallMs) / raw.median.requests.total) * 1000;
		lines.push(
			`  What that costs on loopback, initial sync without bulk (${fmtInt(raw.median.requests.total)} requests, ${CONCURRENCY} in flight): the raw client took ${secs(raw.median.result.wallMs)} s without keep-alive and ${secs(rawKa.median.result.wallMs)} s with it (${ratio(raw.median.result.wallMs / rawKa.median.result.wallMs)}×, ${closeCost.toFixed(0)} µs of wall time per request). Client CPU per request: node ${perRequest(node).toFixed(0)} µs, raw without keep-alive ${perRequest(raw).toFixed(0)} µs, raw with keep-alive ${perRequest(rawKa).toFixed(0)} µs; the node's ${(perRequest(node) - perRequest(raw)).toFixed(0)} µs over the raw client with the same connection handling go to n8n's request helpers and the node's transport. Against a remote HTTPS API each new connection also costs a TCP and a TLS handshake (one to three round trips), which loopback does not show.`,
		);
	}
	const auto = get(results, 'initial-bulk', 'node');
	const expressions = get(results, 'initial-bulk-expressions', 'node');
	if (auto && expressions) {
		lines.push(
			`- **Mapping.** With "Map Each Column Manually" (9 expressions) the initial bulk sync took ${secs(expressions.median.result.wallMs)} s against ${secs(auto.median.result.wallMs)} s with "Map Automatically" (${ratio(expressions.median.result.wallMs / auto.median.result.wallMs)}×): n8n evaluates every expression of every item (\`getNodeParameter('columns.value', i)\`), ${((expressions.median.result.wallMs - auto.median.result.wallMs) / (N * 9) * 1000).toFixed(0)} µs per expression here.`,
		);
	}
	const latency = ['node', 'raw', 'rawKeepAlive'].map((c) => get(results, 'changed-single-latency', c as Client));
	if (latency.every(Boolean)) {
		const [node, raw, rawKa] = latency as Measurement[];
		const lists = node.median.requests.lists;
		lines.push(
			`- **Latency.** With ${LATENCY_MS} ms per request, the 1% re-sync without bulk took ${secs(node.median.result.wallMs)} s for the node, ${secs(raw.median.result.wallMs)} s / ${secs(rawKa.median.result.wallMs)} s for the raw client without / with keep-alive (${ratio(node.median.result.wallMs / raw.median.result.wallMs)}× / ${ratio(node.median.result.wallMs / rawKa.median.result.wallMs)}×). The ${lists} list pages are read up to ${CONCURRENCY} at a time, like the writes (see "Read phase under latency").`,
		);
	}
	return lines;
}

function report(results: ScenarioResult[], targets: TargetLine[]): string {
	const lines: string[] = [];
	const cpus = os.cpus();
	const n8nCore = (require(path.join(ROOT, 'node_modules/n8n-core/package.json')) as { version: string }).version;
	lines.push('# Sync benchmark results', '');
	lines.push('Generated by `npm run bench` (`bench/sync.bench.ts`); do not edit by hand. All numbers come from one run of the');
	lines.push('script; compare ratios rather than absolute times, which vary a lot on shared machines.', '');
	lines.push(`- Date: ${new Date().toISOString()}`);
	lines.push(`- Machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown CPU'}, ${mb(os.totalmem())} MB RAM, ${os.platform()} ${os.release()}`);
	lines.push(`- Node ${process.version}, n8n-core ${n8nCore}. The sandbox API runs in a separate process on loopback and shares the cores.`);
	lines.push(`- ${REPEAT} measured runs per client and scenario after a warm-up (the naive baseline, the ${fmtInt(BIG_N)}-record run and the additional measurements: 1); tables show the median run.`);
	lines.push(`- Total bench time: ${((Date.now() - started) / 1000).toFixed(0)} s`, '');

	lines.push('## Targets', '');
	for (const t of targets) lines.push(`- **${t.pass ? 'PASS' : 'FAIL'}** ${t.text}`);
	lines.push('', 'A missed target is reported here as FAIL; the script still exits 0. It exits 1 only when a correctness check fails.', '');

	lines.push('## Observations', '', ...observations(results), '');

	lines.push('## Results', '');
	for (const result of results.filter((r) => !r.scenario.informational)) scenarioSection(lines, result);
	const extra = results.filter((r) => r.scenario.informational);
	if (extra.length) {
		lines.push('## Additional measurements', '');
		for (const result of extra) scenarioSection(lines, result);
	}

	lines.push('## How this is measured', '');
	lines.push(
		`- Records: ${fmtInt(N)} deterministic EenvoudigFactureren \`clients\` (\`external_client_id\`, \`name\`, \`email_address\`, \`tax_code\`, \`street\`, \`postal_code\`, \`city\`, \`country_code\`, \`number\`), matched on \`external_client_id\`. The 1% change alters \`city\` and \`street\` of every 100th record.`,
		'- Our node: `runNode` from `test/harness` (n8n-core\'s real `WorkflowExecute` and request helpers, the API key credential), Sync in Upsert mode, "Map Automatically", `maxRequestsPerSecond: 0`, `concurrency: 4`, `useBulk` as the scenario says. Wall time is the whole workflow run (Manual Trigger → Items → API Sync); "node alone" is the Sync node\'s execution time from the run data.',
		'- Naive (baseline a): axios, per record `GET /clients?filter=external_client_id=…` then `POST /clients/{id}` with the full record or `POST /clients`, sequential, without keep-alive (HTTP Request nodes go through the same n8n request stack). It makes two requests per record whatever changed; it runs once for the initial sync, the unchanged re-sync and the 1% re-sync, and the same run appears in the bulk and the single table.',
		'- Raw (baseline b): axios making exactly the plan\'s requests (the list pages with the same `fields=`, read like the node: overlapping by one record, up to 4 at once, then the writes with the same bodies, 4 in flight), without n8n. Without keep-alive (a new TCP connection and `Connection: close` per request, like n8n\'s request helpers) and with keep-alive. The bench checks that it sends the same requests (method, path, query) as the node.',
		`- Each client of each scenario runs in a fresh child process of the bench script, so its memory is its own. The process loads what it needs (the raw and naive ones no n8n; all of them ts-node, about 100 MB), warms up on another sandbox account (a run of the same kind and size, at most ${fmtInt(WARMUP_MAX)} records, then a re-sync; not counted), then makes the measured runs. "Peak RSS during run" is the highest \`process.memoryUsage().rss\` sampled every 20 ms during the measured runs; "Process peak RSS" is the kernel's \`maxRSS\` of that process over its whole life, warm-up included. The 500 MB target uses the process peak. The sandbox is not included.`,
		'- Client CPU is the worker\'s `process.cpuUsage()` over the run; sandbox CPU is the sandbox process\'s utime + stime from `/proc` (10 ms resolution).',
		'- Before each measured run the sandbox is reset (and, for re-syncs, loaded with the original records through the bulk endpoint, not measured). Requests are counted from the sandbox\'s request log. After each run every stored client is checked: each record present exactly once with the expected values; and our node\'s outputs (Created/Updated/Unchanged/Deleted/Failed counts) are checked.',
		'',
	);
	return lines.join('\n');
}

function evaluateTargets(results: ScenarioResult[]): TargetLine[] {
	const targets: TargetLine[] = [];
	const unchanged = get(results, 'unchanged', 'node');
	if (unchanged) {
		const r = unchanged.median.requests;
		const limit = Math.floor(N / PAGE_SIZE);
		const onlyLists = r.total === r.lists && r.writes === 0;
		targets.push({
			pass: onlyLists && r.lists <= limit,
			text: `Unchanged re-sync makes only list requests, at most one per ${PAGE_SIZE} records (≤ ${limit}), and zero writes: ${r.lists} list requests, ${r.total - r.lists} other requests, ${r.writes} writes.${
				onlyLists && r.lists === limit + 1 && N % PAGE_SIZE === 0
					? ` The one request over the limit is the empty page that ends paging: with ${fmtInt(N)} records, a multiple of ${PAGE_SIZE}, a full last page looks the same as "more to come", because the list response carries no total.`
					: ''
			}`,
		});
	}
	for (const id of ['changed-bulk', 'changed-single']) {
		const node = get(results, id, 'node');
		const naive = get(results, id, 'naive');
		if (!node || !naive) continue;
		const factor = naive.median.requests.total / node.median.requests.total;
		targets.push({
			pass: factor >= TARGETS.requestRatioVsNaive,
			text: `1% re-sync ${id === 'changed-single' ? 'without' : 'with'} bulk, at least ${TARGETS.requestRatioVsNaive}× fewer requests than naive: ${fmtInt(node.median.requests.total)} vs ${fmtInt(naive.median.requests.total)}, ${ratio(factor)}×.`,
		});
	}
	for (const client of ['raw', 'rawKeepAlive'] as const) {
		for (const result of results.filter((r) => !r.scenario.informational)) {
			const node = result.measurements.find((m) => m.client === 'node');
			const raw = result.measurements.find((m) => m.client === client);
			if (!node || !raw) continue;
			const equal = raw.median.requests.total === node.median.requests.total && result.sameRequests === true;
			const factor = node.median.result.wallMs / raw.median.result.wallMs;
			targets.push({
				pass: equal && factor <= TARGETS.timeRatioVsRaw,
				text: `Within ${TARGETS.timeRatioVsRaw}× of the ${CLIENT_LABEL[client]}, ${result.scenario.title.replace(/^./, (c) => c.toLowerCase())}: ${secs(node.median.result.wallMs)} s vs ${secs(raw.median.result.wallMs)} s, ${ratio(factor)}×${equal ? `, ${fmtInt(node.median.requests.total)} requests each` : ` (request counts differ: ${node.median.requests.total} vs ${raw.median.requests.total})`}.`,
			});
		}
	}
	const big = get(results, 'big-initial-bulk', 'node');
	targets.push(
		big
			? {
					pass: big.maxRssLifetime < TARGETS.peakRssBytes,
					text: `${fmtInt(BIG_N)} records synced (initial, bulk) within ${mb(TARGETS.peakRssBytes)} MB peak RSS: process peak ${mb(big.maxRssLifetime)} MB (during the run ${mb(big.peakRssSampled)} MB sampled, ${mb(big.median.result.rssBefore)} MB just before it), in ${secs(big.median.result.wallMs)} s.`,
				}
			: { pass: false, text: `Peak memory for ${fmtInt(BIG_N)} records: not measured in this run.` },
	);
	return targets;
}

async function main(): Promise<void> {
	progress(`starting the sandbox (${os.cpus().length} cores, Node ${process.version})`);
	const control = await startSandbox();
	progress(`sandbox at ${control.url}`);
	const results: ScenarioResult[] = [];
	const naiveRuns = new Map<string, Measurement>();
	const only = process.env.BENCH_ONLY?.split(',').map((id) => id.trim());
	for (const scenario of scenarios().filter((s) => !only || only.includes(s.id))) {
		progress(`== ${scenario.title}`);
		const measurements: Measurement[] = [];
		for (const client of scenario.clients) measurements.push(await measure(control, scenario, client, naiveRuns));
		const node = measurements.find((m) => m.client === 'node');
		const raws = measurements.filter((m) => m.client === 'raw' || m.client === 'rawKeepAlive');
		const sameRequests = node && raws.length ? raws.every((m) => m.median.requests.signatures === node.median.requests.signatures) : undefined;
		results.push({ scenario, measurements, sameRequests });
	}
	// Issue 18.1: the read phase under 100 ms latency (bench/readLatency.ts), last: it loads n8n in this process.
	const readLatency = !only || only.includes(READ_LATENCY_ID) ? await readLatencyScenario(control, progress) : undefined;
	await control.reset();
	const targets = [...evaluateTargets(results), ...(readLatency?.targets ?? [])];
	if (only || process.env.BENCH_PROFILE_DIR) {
		progress('partial or profiled run: bench/RESULTS.md left as it was');
	} else {
		writeFileSync(path.join(__dirname, 'RESULTS.md'), [report(results, targets), '## Read phase under latency', '', ...(readLatency?.lines ?? [])].join('\n'));
		progress('wrote bench/RESULTS.md');
	}
	if (readLatency && only) console.log(readLatency.lines.join('\n'));
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
