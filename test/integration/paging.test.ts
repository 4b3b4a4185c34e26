/**
 * Paging reads everything, also from APIs that cap their page size below what was asked (asked 200, gives
 * 100): offset and page-number paging of custom paths go on until a page brings no new record (empty, or only the
 * overlap record); a short page does not end them. Get Many, Sync and content-hash Get Changes against capped APIs.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';
import { GENERIC_TOKEN, startGenericApi, type GenericApi } from '../support/genericApi';

const OWNER = ACCOUNTS.owner;

let sandbox: Sandbox;
let generic: GenericApi;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
	generic = await startGenericApi();
});
afterAll(async () => {
	await sandbox.close();
	await generic.close();
});
beforeEach(() => {
	sandbox.reset();
	generic.requests.length = 0;
});

function addClients(count: number): void {
	for (let i = 0; i < count; i++) sandbox.store.insert(OWNER, 'clients', { name: `Client ${i}`, external_client_id: `ext-${i}` });
}

/** The sandbox's clients as a custom path: EenvoudigFactureren's own paging stays untouched by this. */
const CUSTOM_CLIENTS = (pageSize: number): INodeParameters => ({
	remoteResource: 'custom',
	customPath: '/clients',
	customIdField: 'client_id',
	customPagination: { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize },
});

function run(parameters: IDataObject, staticData?: IDataObject, items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		mode: 'trigger',
		staticData,
		items,
	});
}

describe('Get Many', () => {
	it('offset paging: reads all 250 records when the API gives 100 of the 200 asked per page', async () => {
		addClients(250);
		const result = await run({ operation: 'getAll', returnAll: true, ...CUSTOM_CLIENTS(200) });
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(250);
		expect(new Set(result.output[0].map((o) => o.json.client_id)).size).toBe(250);
		// The second page confirms the cap (one at a time until then); pages then overlap by one record and go four at
		// once: 297, 396 and 495 were asked for while skip=198 (52 records, short) was read. A custom API may give a
		// short page anywhere, so the page starting at its last record (249) is asked for alone: only that record, the end.
		expect(sandbox.log.map((e) => Number(e.query.skip)).sort((a, b) => a - b)).toEqual([0, 99, 198, 249, 297, 396, 495]);
	});

	it('offset paging: a page shorter than an earlier one is followed by one page alone, which shows the end (5 given of 50 asked)', async () => {
		addClients(12);
		sandbox.setListing({ maxPageSize: 5 });
		const result = await run({ operation: 'getAll', returnAll: true, ...CUSTOM_CLIENTS(50) });
		expect(result.output[0]).toHaveLength(12);
		// 0 and 4 alone (the cap), then 8, 12, 16, 20 at once; 8 gives 4 records: 11, alone, gives only the overlap.
		expect(sandbox.log.map((e) => Number(e.query.skip)).sort((a, b) => a - b)).toEqual([0, 4, 8, 11, 12, 16, 20]);
	});

	it('offset paging: a single short first page is followed by one more request, which brings nothing new', async () => {
		addClients(3);
		const result = await run({ operation: 'getAll', returnAll: true, ...CUSTOM_CLIENTS(50) });
		expect(result.output[0]).toHaveLength(3);
		// It starts at the first page's last record (the pages overlap by one), which comes back alone.
		expect(sandbox.log.map((e) => e.query.skip)).toEqual(['0', '2']);
	});

	it('page-number paging: reads all 23 records when the API caps pages at 10 of the 50 asked', async () => {
		const result = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.bearer,
					operation: 'getAll',
					returnAll: true,
					remoteResource: 'custom',
					customPath: '/v2/capped',
					customIdField: 'id',
					customPagination: { style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 50, recordsPath: '' },
				},
			},
			credentials: [{ type: CREDENTIAL_TYPE.bearer, data: credentialData('bearer', generic.baseUrl, { token: GENERIC_TOKEN }) }],
		});
		expect(result.error).toBeUndefined();
		expect(result.output[0].map((o) => o.json.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
		expect([...generic.requests].sort()).toEqual([
			'GET /v2/capped?page=1&per_page=50',
			'GET /v2/capped?page=2&per_page=50',
			'GET /v2/capped?page=3&per_page=50',
			// Four at once once the cap is known (3 to 6); page 3 (3 records) asks for page 7. Page 4 comes back empty:
			// that ends the list (a custom API's short page does not), and 5 to 7 were asked past it.
			'GET /v2/capped?page=4&per_page=50',
			'GET /v2/capped?page=5&per_page=50',
			'GET /v2/capped?page=6&per_page=50',
			'GET /v2/capped?page=7&per_page=50',
		]);
	});

	it('EenvoudigFactureren presets ask for 100 per page (take ≤ 100 is documented), a short page is the last', async () => {
		addClients(150);
		const result = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients', options: { readConcurrency: 1 } });
		expect(result.output[0]).toHaveLength(150);
		expect(sandbox.log.map((e) => `${e.query.skip}/${e.query.take}`)).toEqual(['0/100', '99/100']);
	});
});

describe('Sync against a capped custom API', () => {
	it('matches every existing record instead of creating duplicates of those past the first page', async () => {
		addClients(150);
		const items = Array.from({ length: 150 }, (_, i) => ({ id: `ext-${i}`, name: `Client ${i}` }));
		const result = await run(
			{
				operation: 'sync',
				...CUSTOM_CLIENTS(200),
				syncMode: 'upsert',
				columns: {
					mappingMode: 'defineBelow',
					value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' },
					matchingColumns: ['external_client_id'],
					schema: [],
				},
				syncOptions: { maxRequestsPerSecond: 0 },
			},
			undefined,
			items,
		);
		expect(result.error).toBeUndefined();
		expect(result.output.map((o) => o.length)).toEqual([0, 0, 150, 0, 0]);
		expect(sandbox.store.list(OWNER, 'clients')).toHaveLength(150);
	});
});

describe('Get Changes (content hash) against a capped custom API', () => {
	it('emits no false deletion for the records past the first page', async () => {
		addClients(150);
		const parameters = {
			resource: 'record',
			operation: 'getChanges',
			...CUSTOM_CLIENTS(200),
			changeDetection: 'hash',
			emitDeletions: true,
			firstRun: 'all',
		};
		const first = await run(parameters, {});
		expect(first.error).toBeUndefined();
		expect(first.output[0]).toHaveLength(150);
		sandbox.store.update(OWNER, 'clients', 150, { name: 'Renamed' });
		const second = await run(parameters, first.staticData);
		expect(second.error).toBeUndefined();
		expect(second.output[0].map((o) => o.json)).toEqual([expect.objectContaining({ client_id: 150, name: 'Renamed' })]);
	});
});

/**
 * Issue 18 point 1: offset and page-number pages are read several at once (Request Options → Pages Read at Once
 * for Get Many, Get Changes and the trigger; Sync Options → Concurrency for Sync), every record once and in order,
 * at most Concurrency − 1 requests past the end of the list. In-flight counts come from the sandbox's log
 * (`inFlight`: requests being handled when each one arrived); the latency makes requests sent together overlap.
 */
describe('concurrent page reads', () => {
	const listReads = () => sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients');
	const maxInFlight = () => Math.max(...listReads().map((e) => e.inFlight ?? 0));
	const ids = (result: RunResult) => result.output[0].map((o) => o.json.client_id);
	const allIds = () => sandbox.store.list(OWNER, 'clients').map((c) => c.client_id);

	it('Get Many (EenvoudigFactureren): 4 pages in flight, every record once and in order, at most 3 requests past the end', async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 40 });
		const sequential = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients', options: { readConcurrency: 1 } });
		expect(ids(sequential)).toEqual(allIds());
		const sequentialSkips = listReads().map((e) => Number(e.query.skip));
		expect(maxInFlight()).toBe(1);

		sandbox.log.length = 0;
		const concurrent = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(concurrent.error).toBeUndefined();
		expect(ids(concurrent)).toEqual(allIds());
		expect(maxInFlight()).toBe(4);
		const skips = listReads().map((e) => Number(e.query.skip));
		// The same pages as read one at a time, plus at most 3 past the end (they come back empty).
		expect(skips.slice(0, sequentialSkips.length).sort((a, b) => a - b)).toEqual(sequentialSkips);
		const past = skips.filter((skip) => !sequentialSkips.includes(skip));
		expect(past.length).toBeLessThanOrEqual(3);
		for (const skip of past) expect(skip).toBeGreaterThanOrEqual(1000);
	});

	it('a capped custom API (7 given of 50 asked): the real page size is learnt from the first two pages, then 4 at once', async () => {
		addClients(100);
		sandbox.setListing({ maxPageSize: 7 });
		sandbox.setFaults({ latencyMs: 30 });
		const result = await run({ operation: 'getAll', returnAll: true, ...CUSTOM_CLIENTS(50) });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(allIds());
		const skips = listReads().map((e) => Number(e.query.skip));
		// 0 and 6 one at a time (the second page confirms the cap), then pages of 7 overlapping by one: 12, 18, ...,
		// 96 (4 records: short); 99, asked alone after it, brings only the overlap record: the end.
		expect(skips.slice(0, 2)).toEqual([0, 6]);
		expect([...skips].filter((skip) => skip !== 99).sort((a, b) => a - b)).toEqual(Array.from({ length: skips.length - 1 }, (_, i) => i * 6));
		expect(skips.filter((skip) => skip >= 100)).toHaveLength(3);
		expect(maxInFlight()).toBe(4);
	});

	it('page numbers against a capped API (10 given of 50 asked), 4 at once, every record once', async () => {
		addClients(95);
		sandbox.setListing({ maxPageSize: 10, pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		sandbox.setFaults({ latencyMs: 30 });
		const result = await run({
			operation: 'getAll',
			returnAll: true,
			remoteResource: 'custom',
			customPath: '/clients',
			customIdField: 'client_id',
			customPagination: { style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 50 },
		});
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(allIds());
		const pages = listReads().map((e) => Number(e.query.page));
		// Page 10 (5 records) does not end a custom listing; page 11, empty, does, and 12 to 14 were asked past it.
		expect(pages.filter((page) => page > 10).sort((a, b) => a - b)).toEqual([11, 12, 13, 14]);
		expect(maxInFlight()).toBe(4);
	});

	it('a middle page answered 503 once is retried: every record once, in order', async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 20, scripted: [{ method: 'GET', path: /skip=495&/, status: 503 }] });
		const result = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(allIds());
		expect(listReads().filter((e) => e.query.skip === '495').map((e) => e.status)).toEqual([503, 200]);
	});

	it('a middle page answered 429 with Retry-After is retried after the wait: every record once, in order', async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 20, scripted: [{ method: 'GET', path: /skip=396&/, status: 429, headers: { 'Retry-After': '1' } }] });
		const result = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(allIds());
		expect(listReads().filter((e) => e.query.skip === '396').map((e) => e.status)).toEqual([429, 200]);
	});

	it('a middle page that fails for good stops the read: Get Many fails, Sync writes nothing', async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 20, scripted: [{ method: 'GET', path: /skip=594&/, status: 400, body: '{"error": "invalid skip"}', times: 10 }] });
		const getMany = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(getMany.error?.message).toBe('400 Bad Request from GET /api/v1/clients: "invalid skip"');

		const items = Array.from({ length: 1000 }, (_, i) => ({ id: `ext-${i}`, name: `Changed ${i}` }));
		const sync = await run(
			{
				operation: 'sync',
				remoteResource: 'clients',
				syncMode: 'upsert',
				columns: { mappingMode: 'defineBelow', value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' }, matchingColumns: ['external_client_id'], schema: [] },
				syncOptions: { maxRequestsPerSecond: 0 },
			},
			undefined,
			items,
		);
		expect(sync.error?.message).toBe('400 Bad Request from GET /api/v1/clients: "invalid skip"');
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toHaveLength(0);
	});

	it("Sync reads with Sync Options → Concurrency: 4 pages in flight by default, 1 when set to 1", async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 30 });
		const items = Array.from({ length: 1000 }, (_, i) => ({ id: `ext-${i}`, name: `Client ${i}` }));
		const syncWith = (syncOptions: IDataObject) =>
			run(
				{
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns: { mappingMode: 'defineBelow', value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' }, matchingColumns: ['external_client_id'], schema: [] },
					syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
				},
				undefined,
				items,
			);
		const concurrent = await syncWith({});
		expect(concurrent.output.map((o) => o.length)).toEqual([0, 0, 1000, 0, 0]);
		expect(maxInFlight()).toBe(4);
		sandbox.log.length = 0;
		const one = await syncWith({ concurrency: 1 });
		expect(one.output.map((o) => o.length)).toEqual([0, 0, 1000, 0, 0]);
		expect(maxInFlight()).toBe(1);
	});

	it('Get Changes (content hash) reads 4 pages at once too, and emits every record once', async () => {
		addClients(1000);
		sandbox.setFaults({ latencyMs: 30 });
		const result = await run({ operation: 'getChanges', remoteResource: 'clients', changeDetection: 'hash', firstRun: 'all' }, {});
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(allIds());
		expect(maxInFlight()).toBe(4);
	});

	it('Get Many with a Limit asks for no page past it', async () => {
		addClients(1000);
		const result = await run({ operation: 'getAll', returnAll: false, limit: 450, remoteResource: 'clients' });
		expect(ids(result)).toEqual(allIds().slice(0, 450));
		// 450 records: skip 0, 99, 198, 297, 396 (its 99 new records reach 495); none at 495 or after.
		expect(listReads().map((e) => Number(e.query.skip)).sort((a, b) => a - b)).toEqual([0, 99, 198, 297, 396]);
	});
});
