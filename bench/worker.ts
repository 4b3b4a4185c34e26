/**
 * One measured scenario in a fresh process, forked by `sync.bench.ts`, so that its peak RSS is
 * its own. Protocol over IPC: parent sends `start` with the job; the worker loads what it needs,
 * warms up against another sandbox account (JIT, first connections) and answers `ready`; the
 * parent clears the sandbox log and sends `go`; the worker runs the job once and answers `result`.
 */
import {
	apiClient,
	clientRecords,
	naiveSync,
	OWNER_API_KEY,
	rawSync,
	WARMUP_API_KEY,
	type ClientRecord,
	type Variant,
} from './shared';

export interface Job {
	kind: 'node' | 'raw' | 'naive';
	baseUrl: string;
	count: number;
	variant: Variant;
	useBulk: boolean;
	concurrency: number;
	/** raw and naive only; the node always goes through n8n's request helpers. */
	keepAlive: boolean;
}

export interface WorkerResult {
	wallMs: number;
	/** node only: the API Sync node's own execution time, as n8n records it in the run data. */
	nodeMs?: number;
	/** node only: items on Created, Updated, Unchanged, Deleted, Failed. */
	outputCounts?: number[];
	/** node only: the node's run summary (its own request counts). */
	summary?: string;
	/** RSS sampled every 20 ms during the run (max), and just before it. */
	peakRssSampled: number;
	rssBefore: number;
	/** The kernel's peak RSS of this process over its whole life (loading, warm-up and run). */
	maxRssLifetime: number;
}

type Message = { type: 'start'; job: Job } | { type: 'go' };

const WARMUP_RECORDS = 200;
const SAMPLE_MS = 20;

/** Prepares a job; returns the function that runs it once (measured). */
async function prepare(job: Job): Promise<(records: ClientRecord[], apiKey: string) => Promise<Partial<WorkerResult>>> {
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
	const { CLIENT_FIELDS, MATCH_FIELD } = require('./shared') as typeof import('./shared');
	await loadTypes(false);
	return async (records, apiKey) => {
		const result = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns: {
						// Input items already have the remote field names: "Map Automatically".
						mappingMode: 'autoMapInputData',
						value: null,
						matchingColumns: [MATCH_FIELD],
						schema: CLIENT_FIELDS.map((id) => ({
							id,
							displayName: id,
							required: id === 'name',
							defaultMatch: false,
							display: true,
							type: 'string',
						})),
					},
					syncOptions: { maxRequestsPerSecond: 0, concurrency: job.concurrency, useBulk: job.useBulk },
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
		};
	};
}

function send(message: unknown): Promise<void> {
	return new Promise((resolve, reject) => process.send!(message, (error: Error | null) => (error ? reject(error) : resolve())));
}

async function main(): Promise<void> {
	let job: Job | undefined;
	let go: () => void = () => {};
	const started = new Promise<void>((resolve) => (go = resolve));
	const gotJob = new Promise<Job>((resolve) => {
		process.on('message', (message: Message) => {
			if (message.type === 'start') resolve((job = message.job));
			if (message.type === 'go') go();
		});
	});
	job = await gotJob;
	const run = await prepare(job);
	// Warm-up: the same kind of run, small, on the portal key's own account (never measured or counted).
	await run(clientRecords(WARMUP_RECORDS, 'original', 'WARMUP'), WARMUP_API_KEY);
	const records = clientRecords(job.count, job.variant);
	await send({ type: 'ready' });
	await started;

	const rssBefore = process.memoryUsage().rss;
	let peakRssSampled = rssBefore;
	const sampler = setInterval(() => {
		peakRssSampled = Math.max(peakRssSampled, process.memoryUsage().rss);
	}, SAMPLE_MS);
	const t0 = performance.now();
	const extra = await run(records, OWNER_API_KEY);
	const wallMs = performance.now() - t0;
	clearInterval(sampler);
	peakRssSampled = Math.max(peakRssSampled, process.memoryUsage().rss);

	const result: WorkerResult = {
		wallMs,
		...extra,
		peakRssSampled,
		rssBefore,
		maxRssLifetime: process.resourceUsage().maxRSS * 1024,
	};
	await send({ type: 'result', result });
	process.exit(0);
}

main().catch(async (error: Error) => {
	await send({ type: 'error', message: error.stack ?? error.message }).catch(() => {});
	process.exit(1);
});
