/**
 * The read-phase latency scenario of `npm run bench` (issue 18 point 1): 3,000 EenvoudigFactureren clients (30
 * pages of 100), the sandbox answering every request after 100 ms. Our node reads them with Get Many (Return All)
 * and with an unchanged Sync (Upsert), at 1 and at 4 pages in flight.
 *
 * Measured from the sandbox's request log, for the list requests of the run: pages in flight (the most requests
 * being handled when one arrived), the read phase (first arrival to last answer) and the sum of the requests'
 * durations (each from arrival to answer). Reading one page at a time, the two are about equal; the target is a
 * read phase at most 0.35× the sum at Concurrency 4. Also the node's whole run (n8n included), for information.
 *
 * Runs in the bench's main process, after the other scenarios (it loads n8n through the test harness); selected
 * with BENCH_ONLY=read-latency.
 */
import os from 'node:os';

import { apiClient, bulkPost, clientRecords, CLIENT_FIELDS, MATCH_FIELD, OWNER_API_KEY, type SandboxControl } from './shared';

export const READ_LATENCY_ID = 'read-latency';
const RECORDS = Number(process.env.BENCH_READ_RECORDS ?? 3_000);
const LATENCY_MS = 100;
const TARGET_RATIO = 0.35;

interface TimedEntry {
	method: string;
	path: string;
	query: Record<string, string>;
	time: number;
	ms?: number;
	inFlight?: number;
}

interface ReadMeasurement {
	label: string;
	concurrency: number;
	requests: number;
	pastEnd: number;
	inFlight: number;
	readMs: number;
	sumMs: number;
	wallMs: number;
}

export interface ReadLatencyResult {
	lines: string[];
	targets: Array<{ pass: boolean; text: string }>;
}

function listEntries(log: TimedEntry[]): TimedEntry[] {
	return log.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients' && 'skip' in e.query);
}

function summarise(label: string, concurrency: number, log: TimedEntry[], wallMs: number): ReadMeasurement {
	const reads = listEntries(log);
	const start = Math.min(...reads.map((e) => e.time));
	const end = Math.max(...reads.map((e) => e.time + (e.ms ?? 0)));
	return {
		label,
		concurrency,
		requests: reads.length,
		pastEnd: reads.filter((e) => Number(e.query.skip) >= RECORDS).length,
		inFlight: Math.max(...reads.map((e) => e.inFlight ?? 1)),
		readMs: end - start,
		sumMs: reads.reduce((sum, e) => sum + (e.ms ?? 0), 0),
		wallMs,
	};
}

/** Runs the scenario against the bench's sandbox; leaves it reset. */
export async function readLatencyScenario(control: SandboxControl, progress: (message: string) => void): Promise<ReadLatencyResult> {
	// Loaded only here, in the main process, after every other scenario ran in its own worker.
	const { runNode, loadTypes } = require('../test/harness') as typeof import('../test/harness');
	const { CREDENTIAL_TYPE, credentialData } = require('../test/support/credentials') as typeof import('../test/support/credentials');
	await loadTypes(false);
	const credentials = [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', control.baseUrl, { apiKey: OWNER_API_KEY }) }];
	const records = clientRecords(RECORDS);
	const getMany = (concurrency: number) =>
		runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'getAll', returnAll: true, remoteResource: 'clients', options: { readConcurrency: concurrency } } },
			credentials,
		});
	const sync = (concurrency: number) =>
		runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns: { mappingMode: 'autoMapInputData', value: null, matchingColumns: [MATCH_FIELD], schema: CLIENT_FIELDS.map((id) => ({ id, displayName: id, required: false, defaultMatch: false, display: true, type: 'string' })) },
					syncOptions: { maxRequestsPerSecond: 0, concurrency },
				},
			},
			items: records,
			credentials,
		});

	await control.reset();
	await bulkPost(apiClient(control.baseUrl, OWNER_API_KEY, true), records);
	// Warm-up (not measured): n8n and both code paths loaded and compiled.
	await getMany(4);
	await sync(4);

	const measurements: ReadMeasurement[] = [];
	const loadAverage = os.loadavg()[0];
	await control.setFaults({ latencyMs: LATENCY_MS });
	for (const [label, runIt, check] of [
		['Get Many (Return All)', getMany, (r: Awaited<ReturnType<typeof getMany>>) => r.output[0].length === RECORDS],
		['Sync (Upsert, nothing changed): its read', sync, (r: Awaited<ReturnType<typeof sync>>) => r.output[2]?.length === RECORDS],
	] as const) {
		for (const concurrency of [1, 4]) {
			progress(`read latency: ${label}, ${concurrency} at once`);
			await control.clearLog();
			const t0 = performance.now();
			const result = await runIt(concurrency);
			const wallMs = performance.now() - t0;
			if (result.error || !check(result)) throw new Error(`read latency: ${label} at ${concurrency} failed: ${result.error?.message ?? 'wrong record count'}`);
			measurements.push(summarise(label, concurrency, (await control.log()) as unknown as TimedEntry[], wallMs));
		}
	}
	await control.reset();

	const s = (ms: number) => (ms / 1000).toFixed(2);
	const one = (m: ReadMeasurement) => measurements.find((x) => x.label === m.label && x.concurrency === 1) as ReadMeasurement;
	const lines = [
		`### Read phase with ${LATENCY_MS} ms per request (${RECORDS.toLocaleString('en-US')} records, ${Math.ceil(RECORDS / 100)} pages of 100)`,
		'',
		'Measured on the sandbox\'s log: pages in flight = the most list requests being handled when one arrived; read phase = first list request\'s arrival to the last one\'s answer; sum = every list request\'s duration added up, as the API saw it (so reading one page at a time, the read phase exceeds it by the client\'s own time per request: n8n\'s request stack, a new connection each time). "vs 1 at once" compares with the same read one page at a time, the issue\'s "the read took the sum of its requests". The node\'s run is the whole workflow (n8n included).',
		`Machine load average (1 min) when the scenario started: ${loadAverage.toFixed(1)} on ${os.cpus().length} cores.`,
		'',
		'| Run | Pages at once (option) | List requests (past the end) | Pages in flight | Read phase | Sum of its requests | Ratio | vs 1 at once | Node run |',
		'| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
		...measurements.map(
			(m) =>
				`| ${m.label} | ${m.concurrency} | ${m.requests} (${m.pastEnd}) | ${m.inFlight} | ${s(m.readMs)} s | ${s(m.sumMs)} s | ${(m.readMs / m.sumMs).toFixed(2)} | ${(m.readMs / one(m).readMs).toFixed(2)} | ${s(m.wallMs)} s |`,
		),
		'',
	];
	const targets = measurements
		.filter((m) => m.concurrency === 4)
		.map((m) => ({
			pass: m.readMs <= TARGET_RATIO * m.sumMs && m.inFlight <= 4,
			text: `${m.label}, ${LATENCY_MS} ms per request, Concurrency 4: read phase at most ${TARGET_RATIO}× the sum of its requests: ${s(m.readMs)} s vs ${s(m.sumMs)} s, ${(m.readMs / m.sumMs).toFixed(2)}× (${(m.readMs / one(m).readMs).toFixed(2)}× the same read one page at a time), ${m.inFlight} pages in flight, ${m.requests} list requests (${m.pastEnd} past the end); load average ${loadAverage.toFixed(1)} on ${os.cpus().length} cores.`,
		}));
	return { lines, targets };
}
