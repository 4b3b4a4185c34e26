/**
 * What the benchmark's processes share: the records, the sandbox control API, and the two
 * baselines (naive per-record sync, raw minimum client). No n8n code is imported here, so a
 * baseline worker's memory is that of a plain axios client.
 */
import http from 'node:http';

import axios, { type AxiosInstance } from 'axios';

/** The account the owner's API key acts on (`test/sandbox/fixtures.ts`). */
export const OWNER_ACCOUNT = 'A10000001';
/** The portal key reaches P10000001 by default: workers warm up there, away from the measured account. */
export const WARMUP_ACCOUNT = 'P10000001';
export const OWNER_API_KEY = 'ef-key-owner-7f3a9c1e5b';
export const WARMUP_API_KEY = 'ef-key-portal-4d8b2a6f0c';

export const PAGE_SIZE = 100;
export const BULK_SIZE = 100;

/** The EenvoudigFactureren `clients` fields the benchmark syncs, in mapping order. */
export const CLIENT_FIELDS = [
	'external_client_id',
	'name',
	'email_address',
	'tax_code',
	'street',
	'postal_code',
	'city',
	'country_code',
	'number',
] as const;
export type ClientField = (typeof CLIENT_FIELDS)[number];
export type ClientRecord = Record<ClientField, string>;
export const MATCH_FIELD: ClientField = 'external_client_id';
export const ID_FIELD = 'client_id';
/** What the Sync node asks for with `fields=`: the id field, the match field, then every mapped field. */
export const READ_FIELDS = [ID_FIELD, ...CLIENT_FIELDS].join(',');

const CITIES = ['Gent', 'Antwerpen', 'Leuven', 'Brugge', 'Hasselt', 'Mechelen', 'Namur', 'Liège'];

/** Record `i` (0-based), deterministic. `variant` 'changed' alters 1% of the records (every 100th). */
export function clientRecord(i: number, variant: Variant = 'original', prefix = 'BENCH'): ClientRecord {
	const n = String(i + 1).padStart(6, '0');
	const record: ClientRecord = {
		external_client_id: `${prefix}-${n}`,
		name: `Bench Client ${n} BV`,
		email_address: `client${n}@bench.example`,
		tax_code: `BE0${100_000_000 + i}`,
		street: `Benchstraat ${(i % 250) + 1}`,
		postal_code: String(1000 + (i % 9000)),
		city: CITIES[i % CITIES.length],
		country_code: 'BE',
		number: `K${n}`,
	};
	if (variant === 'changed' && isChanged(i)) {
		record.city = 'Oostende';
		record.street = `${record.street} bus 2`;
	}
	return record;
}

export type Variant = 'original' | 'changed';

/** The 1% of records the 'changed' variant alters. */
export function isChanged(i: number): boolean {
	return i % 100 === 37;
}

export function clientRecords(count: number, variant: Variant = 'original', prefix = 'BENCH'): ClientRecord[] {
	return Array.from({ length: count }, (_, i) => clientRecord(i, variant, prefix));
}

/** An axios client for the sandbox API with the API key, with or without connection reuse. */
export function apiClient(baseUrl: string, apiKey: string, keepAlive: boolean): AxiosInstance {
	return axios.create({
		baseURL: baseUrl,
		headers: { 'X-API-Key': apiKey, Accept: 'application/json' },
		// keepAlive false: a new TCP connection per request and `Connection: close`, as n8n's request helpers do.
		httpAgent: new http.Agent({ keepAlive }),
		timeout: 30_000,
	});
}

/** Runs `work` for every task with at most `concurrency` in flight. */
export async function pool<T>(tasks: T[], concurrency: number, work: (task: T) => Promise<void>): Promise<void> {
	let next = 0;
	const worker = async () => {
		while (next < tasks.length) await work(tasks[next++]);
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
}

function chunks<T>(list: T[], size: number): T[][] {
	const out: T[][] = [];
	for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
	return out;
}

/** Posts records through the bulk endpoint, `BULK_SIZE` per call, sequentially; fails on any per-record error. */
export async function bulkPost(api: AxiosInstance, payload: Array<Record<string, unknown>>, concurrency = 1): Promise<void> {
	await pool(chunks(payload, BULK_SIZE), concurrency, async (batch) => {
		const { data } = await api.post('/clients', { clients: batch }, { params: { bulk: '' } });
		const results = (data as { results?: Array<{ error?: string }> }).results;
		if (!Array.isArray(results) || results.length !== batch.length) throw new Error('bulk call: no result per record');
		const failed = results.find((r) => r.error !== undefined);
		if (failed) throw new Error(`bulk call: a record failed: ${failed.error}`);
	});
}

/**
 * Baseline (a), what users build with the HTTP Request node today: per record one lookup GET, then
 * `POST /clients/{id}` (EenvoudigFactureren's update) with the full record if found, else `POST /clients`.
 * Strictly sequential, like items going one by one through HTTP Request nodes without batching.
 */
export async function naiveSync(api: AxiosInstance, records: ClientRecord[]): Promise<void> {
	for (const record of records) {
		const { data } = await api.get('/clients', { params: { filter: `${MATCH_FIELD}=${record[MATCH_FIELD]}` } });
		const found = data as Array<Record<string, unknown>>;
		if (found.length > 0) await api.post(`/clients/${String(found[0][ID_FIELD])}`, record);
		else await api.post('/clients', record);
	}
}

/**
 * Baseline (b), the minimum: exactly the requests the Sync node's plan makes, with no n8n. It reads
 * the list page by page with the same `fields=`, compares, then sends creates and updates (only the
 * changed fields) through the bulk endpoint or one by one, `concurrency` requests in flight, and after
 * creates reads the ids and match values of the records newer than the first read (the node's default Remove
 * Duplicates of Overlapping Runs).
 */
export async function rawSync(api: AxiosInstance, records: ClientRecord[], useBulk: boolean, concurrency: number): Promise<void> {
	// The node's paging (nodes/shared/pagination.ts): the first page alone; when it is full, pages 2 to
	// 1 + concurrency at once, each starting at the previous page's last record (skip 99, 198, …); then every page
	// that comes back full asks for the page `concurrency` places after it. A short page is the last.
	const readAll = async (fields: string, extra: Record<string, string> = {}) => {
		const remote = new Map<string, Record<string, unknown>>();
		const get = async (skip: number) => (await api.get('/clients', { params: { fields, ...extra, skip, take: PAGE_SIZE } })).data as Array<Record<string, unknown>>;
		const pages = new Map<number, Promise<Array<Record<string, unknown>>>>();
		const ask = (n: number) => {
			const page = get((n - 1) * (PAGE_SIZE - 1));
			pages.set(n, page);
			void page.then((records) => records.length >= PAGE_SIZE && ask(n + concurrency)).catch(() => undefined);
		};
		let page = await get(0);
		for (let n = 1; ; n++) {
			for (const record of page) remote.set(String(record[MATCH_FIELD]), record);
			if (page.length < PAGE_SIZE) break;
			if (n === 1) for (let next = 2; next <= 1 + concurrency; next++) ask(next);
			page = await (pages.get(n + 1) as Promise<Array<Record<string, unknown>>>);
		}
		await Promise.all(pages.values());
		return remote;
	};
	const remote = await readAll(READ_FIELDS);
	const creates: ClientRecord[] = [];
	const updates: Array<{ id: unknown; changes: Partial<ClientRecord> }> = [];
	for (const record of records) {
		const existing = remote.get(record[MATCH_FIELD]);
		if (!existing) {
			creates.push(record);
			continue;
		}
		const changes: Partial<ClientRecord> = {};
		for (const field of CLIENT_FIELDS) if (String(existing[field] ?? '') !== record[field]) changes[field] = record[field];
		if (Object.keys(changes).length > 0) updates.push({ id: existing[ID_FIELD], changes });
	}
	if (useBulk) {
		await bulkPost(api, [...creates, ...updates.map((u) => ({ [ID_FIELD]: u.id, ...u.changes }))], concurrency);
	} else {
		type Write = { path: string; body: Partial<ClientRecord> };
		const writes: Write[] = [
			...creates.map((record) => ({ path: '/clients', body: record })),
			...updates.map((u) => ({ path: `/clients/${String(u.id)}`, body: u.changes })),
		];
		await pool(writes, concurrency, async (write) => {
			await api.post(write.path, write.body);
		});
	}
	// The node's default check for records an overlapping run created meanwhile: after creates, one more read of
	// the records newer than the first read (all of them when the first read was empty).
	if (creates.length > 0) {
		const highest = [...remote.values()].reduce((max, record) => Math.max(max, Number(record[ID_FIELD])), -1);
		await readAll(`${ID_FIELD},${MATCH_FIELD}`, highest >= 0 ? { filter: `${ID_FIELD}>${highest}` } : {});
	}
}

/** One entry of the sandbox's request log (the fields the benchmark reads). */
export interface LogEntry {
	method: string;
	path: string;
	query: Record<string, string>;
	headers: Record<string, string | string[] | undefined>;
	status: number;
	auth?: { account: string };
}

/** The sandbox's `/__sandbox` control API. */
export class SandboxControl {
	private readonly http: AxiosInstance;

	constructor(readonly url: string) {
		this.http = axios.create({ baseURL: `${url}/__sandbox`, httpAgent: new http.Agent({ keepAlive: true }), maxContentLength: Infinity });
	}

	get baseUrl(): string {
		return `${this.url}/api/v1`;
	}

	async reset(): Promise<void> {
		await this.http.post('/reset');
		const left = await this.clients();
		if (left.length !== 0) throw new Error(`after reset, account ${OWNER_ACCOUNT} still has ${left.length} clients`);
	}

	/** Sandbox faults (see `SandboxFaults` in test/sandbox/types.ts), e.g. `{ latencyMs: 20 }`; reset() clears them. */
	async setFaults(faults: Record<string, unknown>): Promise<void> {
		await this.http.post('/faults', faults);
	}

	async log(): Promise<LogEntry[]> {
		return (await this.http.get('/log')).data as LogEntry[];
	}

	async clearLog(): Promise<void> {
		await this.http.delete('/log');
	}

	async clients(account = OWNER_ACCOUNT): Promise<Array<Record<string, unknown>>> {
		return (await this.http.get(`/store/${account}/clients`)).data as Array<Record<string, unknown>>;
	}
}
