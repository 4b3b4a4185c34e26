/**
 * Paging reads everything, also from APIs that cap their page size below what was asked (asked 200, gives
 * 100): offset and page-number paging of custom paths go on until an empty page, or a page shorter than an
 * earlier one. Get Many, Sync and content-hash Get Changes against capped APIs.
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
		// The second page confirms the cap (one at a time until then); pages then overlap by one record and go two at
		// once: skip=297 was asked for while skip=198 (the last, short page) was read.
		expect(sandbox.log.map((e) => e.query.skip)).toEqual(['0', '99', '198', '297']);
	});

	it('offset paging: a page shorter than an earlier one ends the listing (5 given of 50 asked)', async () => {
		addClients(12);
		sandbox.setListing({ maxPageSize: 5 });
		const result = await run({ operation: 'getAll', returnAll: true, ...CUSTOM_CLIENTS(50) });
		expect(result.output[0]).toHaveLength(12);
		expect(sandbox.log.map((e) => e.query.skip)).toEqual(['0', '4', '8', '12']);
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
		expect(generic.requests).toEqual([
			'GET /v2/capped?page=1&per_page=50',
			'GET /v2/capped?page=2&per_page=50',
			'GET /v2/capped?page=3&per_page=50',
			// Asked for while page 3 was read (two at once after two full pages): one request past the end.
			'GET /v2/capped?page=4&per_page=50',
		]);
	});

	it('EenvoudigFactureren presets keep one request per 100 records (take ≤ 100 is documented)', async () => {
		addClients(150);
		const result = await run({ operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(result.output[0]).toHaveLength(150);
		expect(sandbox.log).toHaveLength(2);
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
