/**
 * The measured runs of one client in one scenario, in a fresh process forked by `sync.bench.ts`,
 * so that peak memory is this client's own. Protocol over IPC:
 *   parent → `start` (the job); the worker loads what it needs and warms up on another sandbox
 *   account (a run of the same kind and size, then a re-sync, so that both the create and the
 *   compare paths are compiled), then for each repetition:
 *   worker → `ready`; parent resets and prepares the sandbox, clears its log → `go`;
 *   worker runs once (measured) → `result`. After the last repetition the worker exits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import type { IDataObject } from 'n8n-workflow';
import { Session } from 'node:inspector';
import path from 'node:path';

import {
	apiClient,
	CLIENT_FIELDS,
	clientRecords,
	MATCH_FIELD,
	naiveSync,
	OWNER_API_KEY,
	rawSync,
	WARMUP_API_KEY,
	type ClientRecord,
	type Variant,
} from './shared';

export type Mapping = 'auto' | 'expressions';

export interface Job {
	kind: 'node' | 'raw' | 'naive';
	/** Names the run (e.g. in a CPU profile's file name). */
	label: string;
	baseUrl: string;
	count: number;
	variant: Variant;
	useBulk: boolean;
	concurrency: number;
	/** raw and naive only; the node always goes through n8n's request helpers. */
	keepAlive: boolean;
	/** node only: "Map Automatically", or "Map Each Column Manually" with one `{{ $json.… }}` per field. */
	mapping: Mapping;
	repeat: number;
	/** Records per warm-up run. */
	warmupCount: number;
	/** node only: more Sync Options (e.g. Skip Unchanged Input). */
	syncOptions?: Record<string, unknown>;
	/**
	 * node only: before each measured run, a run (not measured) with these records in production mode, whose workflow
	 * static data the measured run then starts from (Skip Unchanged Input); both runs are production runs.
	 */
	prime?: Variant;
}

export interface WorkerResult {
	wallMs: number;
	/** CPU time (user + system) this process spent in the run. */
	cpuMs: number;
	/** node only: the API Sync node's own execution time, as n8n records it in the run data. */
	nodeMs?: number;
	/** node only: items on Created, Updated, Unchanged, Deleted, Failed. */
	outputCounts?: number[];
	/** node only: the node's run summary (its own request counts). */
	summary?: string;
	/** RSS sampled every 20 ms during the run (max), and just before it. */
	peakRssSampled: number;
	rssBefore: number;
	/** The kernel's peak RSS of this process so far (loading, warm-up, the runs up to this one). */
	maxRssLifetime: number;
}

type Message = { type: 'start'; job: Job } | { type: 'go' };
type Run = (records: ClientRecord[], apiKey: string, staticData?: IDataObject) => Promise<Partial<WorkerResult> & { staticData?: IDataObject }>;

const SAMPLE_MS = 20;

/** Prepares a job; returns the function that runs it once. */
async function prepare(job: Job): Promise<Run> {
	if (job.kind === 'raw') {
		return async (records, apiKey) => {
			await rawSync(apiClient(job.baseUrl, apiKey, job.keepAlive), records, job.useBulk, job.concurrency);
			return {};
		};
	}
	if (job.kind === 'naive') {
		return async (records, apiKey) => {
			await naiveSync(apiClient(job.baseUrl, apiKey, job.keepAlive), records);
			return {};
		};
	}
	// Loaded only here: baseline workers stay free of n8n.
	const { runNode, loadTypes } = require('../test/harness') as typeof import('../test/harness');
	const { CREDENTIAL_TYPE, credentialData } = require('../test/support/credentials') as typeof import('../test/support/credentials');
	await loadTypes(false);
	const columns = {
		mappingMode: job.mapping === 'auto' ? 'autoMapInputData' : 'defineBelow',
		value: job.mapping === 'auto' ? null : Object.fromEntries(CLIENT_FIELDS.map((field) => [field, `={{ $json.${field} }}`])),
		matchingColumns: [MATCH_FIELD],
		schema: CLIENT_FIELDS.map((id) => ({ id, displayName: id, required: id === 'name', defaultMatch: false, display: true, type: 'string' })),
	};
	return async (records, apiKey, staticData) => {
		const result = await runNode({
			// Production mode where a state is carried from run to run (n8n keeps no static data for manual runs).
			...(job.prime ? { mode: 'trigger' as const, staticData: staticData ?? {} } : {}),
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns,
					syncOptions: { maxRequestsPerSecond: 0, concurrency: job.concurrency, useBulk: job.useBulk, ...job.syncOptions },
				},
			},
			items: records,
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', job.baseUrl, { apiKey }) }],
		});
		if (result.error) throw new Error(`the Sync node failed: ${result.error.message}`);
		const task = Object.values(result.runData).find((tasks) => tasks[0]?.data?.main?.length === 5)?.[0];
		return {
			nodeMs: task?.executionTime,
			outputCounts: result.output.map((o) => o.length),
			summary: result.hints[0]?.message,
			staticData: result.staticData,
		};
	};
}

/** BENCH_PROFILE_DIR set: a V8 CPU profile of each measured run (open it in Chrome DevTools). */
async function startProfiler(): Promise<{ stop(file: string): Promise<void> }> {
	const session = new Session();
	session.connect();
	const post = (method: string, params?: object) =>
		new Promise<any>((resolve, reject) => session.post(method, params, (error, result) => (error ? reject(error) : resolve(result))));
	await post('Profiler.enable');
	await post('Profiler.start');
	return {
		async stop(file) {
			const { profile } = await post('Profiler.stop');
			mkdirSync(path.dirname(file), { recursive: true });
			writeFileSync(file, JSON.stringify(profile));
			session.disconnect();
		},
	};
}

/** One measured run. */
async function measure(run: Run, records: ClientRecord[], label: string, staticData?: IDataObject): Promise<WorkerResult> {
	const rssBefore = process.memoryUsage().rss;
	let peakRssSampled = rssBefore;
	const sampler = setInterval(() => {
		peakRssSampled = Math.max(peakRssSampled, process.memoryUsage().rss);
	}, SAMPLE_MS);
	const profiler = process.env.BENCH_PROFILE_DIR ? await startProfiler() : undefined;
	const cpu0 = process.cpuUsage();
	const t0 = performance.now();
	const extra = await run(records, OWNER_API_KEY, staticData);
	delete extra.staticData;
	const wallMs = performance.now() - t0;
	const cpu = process.cpuUsage(cpu0);
	clearInterval(sampler);
	if (profiler) await profiler.stop(path.join(process.env.BENCH_PROFILE_DIR!, `${label}.cpuprofile`));
	return {
		wallMs,
		cpuMs: (cpu.user + cpu.system) / 1000,
		...extra,
		peakRssSampled: Math.max(peakRssSampled, process.memoryUsage().rss),
		rssBefore,
		maxRssLifetime: process.resourceUsage().maxRSS * 1024,
	};
}

function send(message: unknown): Promise<void> {
	return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

async function main(): Promise<void> {
	let onStart: (job: Job) => void = () => {};
	const goWaiters: Array<() => void> = [];
	process.on('message', (message: Message) => {
		if (message.type === 'start') onStart(message.job);
		if (message.type === 'go') goWaiters.shift()?.();
	});
	const job = await new Promise<Job>((resolve) => (onStart = resolve));

	const run = await prepare(job);
	const goAhead = async (message: { type: string }) => {
		const go = new Promise<void>((resolve) => goWaiters.push(resolve));
		await send(message);
		await go;
	};
	// Warm-up on the portal key's own account (never measured or counted): create, then re-sync.
	const warm = await run(clientRecords(job.warmupCount, 'original', 'WARMUP'), WARMUP_API_KEY);
	await run(clientRecords(job.warmupCount, job.variant, 'WARMUP'), WARMUP_API_KEY, warm.staticData);
	const records = clientRecords(job.count, job.variant);
	const primeRecords = job.prime ? clientRecords(job.count, job.prime) : undefined;

	for (let repetition = 1; repetition <= job.repeat; repetition++) {
		await goAhead({ type: 'ready' });
		let staticData: IDataObject | undefined;
		if (primeRecords) {
			staticData = (await run(primeRecords, OWNER_API_KEY)).staticData;
			// The parent clears the request log: only the measured run is counted.
			await goAhead({ type: 'primed' });
		}
		const result = await measure(run, records, `${job.label}-${repetition}`, staticData);
		await send({ type: 'result', result });
	}
	process.exit(0);
}

main().catch(async (error: Error) => {
	await send({ type: 'error', message: error.stack ?? error.message }).catch(() => {});
	process.exit(1);
});
