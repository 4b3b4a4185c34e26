/**
 * Cursor-token and last-record-ID paging (issue 17 point 1) and "never a silent partial read" (issue 17 point 7,
 * paging part), against the sandbox's token-paged listing modes: HubSpot (`paging.next.after` → `after=`), flat
 * cursor APIs (`next_cursor` + `has_more` → `cursor=`), Airtable (`offset` → `offset=`), Stripe (`starting_after=<last
 * id>` while `has_more`). Get Many, Sync, Get Changes and the trigger.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { runPoll } from '../harness/poll';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox, type SandboxTokenPaging } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;
const COUNT = 25;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => {
	sandbox.reset();
	for (let i = 0; i < COUNT; i++) sandbox.store.insert(OWNER, 'clients', { name: `Client ${i}`, external_client_id: `ext-${i}` });
});

const CREDENTIALS = () => [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }];

function run(parameters: IDataObject, items?: IDataObject[], staticData?: IDataObject): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, ...parameters } },
		credentials: CREDENTIALS(),
		mode: 'trigger',
		items,
		staticData,
	});
}

const custom = (pagination: IDataObject): IDataObject => ({
	remoteResource: 'custom',
	customPath: '/clients',
	customIdField: 'client_id',
	customUpdateMethod: 'POST',
	customPagination: pagination,
});

/** Each API convention: the sandbox's listing mode, and the node's Pagination settings that follow it. */
const CONVENTIONS: Array<{ name: string; listing: SandboxTokenPaging; pagination: IDataObject; param: string }> = [
	{
		name: 'HubSpot (paging.next.after → after=)',
		listing: { kind: 'cursor', param: 'after', tokenPath: 'paging.next.after', recordsKey: 'results' },
		pagination: { style: 'cursor', cursorPath: 'paging.next.after', cursorParam: 'after', recordsPath: 'results' },
		param: 'after',
	},
	{
		name: 'flat cursor API (next_cursor + has_more → cursor=)',
		listing: { kind: 'cursor', param: 'cursor', tokenPath: 'next_cursor', hasMoreKey: 'has_more' },
		pagination: { style: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor', hasMorePath: 'has_more', recordsPath: 'data' },
		param: 'cursor',
	},
	{
		name: 'Airtable (offset → offset=, pageSize)',
		listing: { kind: 'cursor', param: 'offset', tokenPath: 'offset', recordsKey: 'records', limitParam: 'pageSize', defaultLimit: 100 },
		pagination: { style: 'cursor', cursorPath: 'offset', cursorParam: 'offset', recordsPath: 'records', pageSizeParam: 'pageSize', pageSize: 10 },
		param: 'offset',
	},
	{
		name: 'Stripe (starting_after=<last id> while has_more)',
		listing: { kind: 'lastId', param: 'starting_after', hasMoreKey: 'has_more' },
		pagination: { style: 'lastId', cursorParam: 'starting_after', hasMorePath: 'has_more', recordsPath: 'data' },
		param: 'starting_after',
	},
];

const listRequests = () => sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients');

describe.each(CONVENTIONS)('$name', ({ listing, pagination, param }) => {
	beforeEach(() => sandbox.setListing({ tokens: listing }));

	it('Get Many reads every record across 3 pages, each once, in order', async () => {
		const result = await run({ operation: 'getAll', returnAll: true, ...custom(pagination) });
		expect(result.error).toBeUndefined();
		expect(result.output[0].map((o) => o.json.external_client_id)).toEqual(Array.from({ length: COUNT }, (_, i) => `ext-${i}`));
		const requests = listRequests();
		expect(requests).toHaveLength(3);
		expect(requests[0].query[param]).toBeUndefined();
		expect(requests[1].query[param]).toBeTruthy();
		expect(requests[2].query[param]).not.toBe(requests[1].query[param]);
		const ids = sandbox.store.list(OWNER, 'clients').map((c) => String(c.client_id));
		if (listing.kind === 'lastId') expect(requests.map((r) => r.query[param])).toEqual([undefined, ids[9], ids[19]]);
	});

	it('Sync (Upsert) matches every remote record across the pages: nothing created, one update', async () => {
		const items = Array.from({ length: COUNT }, (_, i) => ({ id: `ext-${i}`, name: i === 17 ? 'Renamed' : `Client ${i}` }));
		const result = await run(
			{
				operation: 'sync',
				...custom(pagination),
				syncMode: 'upsert',
				columns: {
					mappingMode: 'defineBelow',
					value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' },
					matchingColumns: ['external_client_id'],
					schema: [],
				},
				syncOptions: { maxRequestsPerSecond: 0 },
			},
			items,
		);
		expect(result.error).toBeUndefined();
		expect(result.output.map((o) => o.length)).toEqual([0, 1, COUNT - 1, 0, 0]);
		expect(sandbox.store.list(OWNER, 'clients')).toHaveLength(COUNT);
	});

	it('the trigger (content hash, Emit All) emits every record across the pages', async () => {
		const result = await runPoll({
			node: {
				type: 'apiSyncTrigger',
				parameters: { authentication: CREDENTIAL_TYPE.apiKey, pollTimes: { item: [{ mode: 'everyMinute' }] }, ...custom(pagination), changeDetection: 'hash', firstRun: 'all' },
			},
			credentials: CREDENTIALS(),
			mode: 'trigger',
			staticData: {},
		});
		expect(result.error).toBeUndefined();
		expect(result.items).toHaveLength(COUNT);
	});
});

describe('cursor paging: settings and guards', () => {
	it('sends the page size only when Page Size Parameter is set (HubSpot limit=100: one request)', async () => {
		sandbox.setListing({ tokens: CONVENTIONS[0].listing });
		const result = await run({ operation: 'getAll', returnAll: true, ...custom({ ...CONVENTIONS[0].pagination, pageSizeParam: 'limit', pageSize: 100 }) });
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(COUNT);
		expect(listRequests().map((r) => r.query.limit)).toEqual(['100']);
	});

	it('a token that does not advance is a clear error, not a loop', async () => {
		sandbox.setListing({ tokens: { ...CONVENTIONS[1].listing, stuck: true } });
		const result = await run({ operation: 'getAll', returnAll: true, ...custom(CONVENTIONS[1].pagination) });
		expect(result.error?.message).toMatch(/^The next-page token does not advance on GET \/clients: cursor=\S+ was already sent$/);
		// The second answer repeats the token that asked for it.
		expect(listRequests()).toHaveLength(2);
	});

	it('a Cursor Path that finds no token while the answer says has_more is an error naming the setting', async () => {
		sandbox.setListing({ tokens: CONVENTIONS[1].listing });
		const result = await run({ operation: 'getAll', returnAll: true, ...custom({ ...CONVENTIONS[1].pagination, cursorPath: 'nextCursor', hasMorePath: '' }) });
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe(
			'The API says there are more records (a next-page token at next_cursor) on GET /clients, but the configured paging (Cursor Token in Response Body) found no next page in it: stopped rather than use a partial list',
		);
		expect(error.description).toMatch(/Cursor Path to next_cursor/);
	});

	it('has_more: true with no token is an error, not the end of the list', async () => {
		sandbox.setListing({ tokens: { ...CONVENTIONS[1].listing, noToken: true } });
		const result = await run({ operation: 'getAll', returnAll: true, ...custom(CONVENTIONS[1].pagination) });
		expect(result.error?.message).toMatch(/^The API says there are more records \(has_more: true\)/);
	});

	it('the cursor style without a Cursor Path says which setting is missing, before any request', async () => {
		const result = await run({ operation: 'getAll', returnAll: true, ...custom({ style: 'cursor', cursorParam: 'after' }) });
		expect(result.error?.message).toBe('Pagination style "Cursor Token in Response Body" needs Cursor Path');
		expect(listRequests()).toHaveLength(0);
	});

	it('Last Record ID with an ID Field the records lack is a clear error', async () => {
		sandbox.setListing({ tokens: CONVENTIONS[3].listing });
		const result = await run({ operation: 'getAll', returnAll: true, ...custom(CONVENTIONS[3].pagination), customIdField: 'id' });
		expect(result.error?.message).toBe('The last record of a page from GET /clients has no "id" to continue after');
	});
});

describe('never a silent partial read: Pagination None against an API that says there is more', () => {
	const NONE = custom({ style: 'none', recordsPath: 'data' });
	beforeEach(() => sandbox.setListing({ tokens: CONVENTIONS[3].listing }));
	const stripeError = /^The API says there are more records \(has_more: true\) on GET \/clients, but Pagination is set to None \(one request\): stopped rather than use a partial list$/;

	it('Get Many (Return All) stops with an error naming the setting', async () => {
		const result = await run({ operation: 'getAll', returnAll: true, ...NONE });
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(stripeError);
		expect(error.description).toMatch(/"Last Record ID" with Has More Path has_more/);
		expect(error.description).toMatch(/Custom Path → Pagination/);
	});

	it('Get Many with a Limit the first page covers is not an error', async () => {
		const result = await run({ operation: 'getAll', returnAll: false, limit: 5, ...NONE });
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(5);
	});

	it('Get Many with a Limit past the first page is an error (it would silently return fewer)', async () => {
		const result = await run({ operation: 'getAll', returnAll: false, limit: 20, ...NONE });
		expect(result.error?.message).toMatch(stripeError);
	});

	it.each(['upsert', 'mirror'])('Sync (%s) plans nothing and writes nothing', async (syncMode) => {
		const items = Array.from({ length: COUNT }, (_, i) => ({ id: `ext-${i}`, name: `Client ${i}` }));
		const result = await run(
			{
				operation: 'sync',
				...NONE,
				syncMode,
				maxDeletes: 100,
				columns: {
					mappingMode: 'defineBelow',
					value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' },
					matchingColumns: ['external_client_id'],
					schema: [],
				},
			},
			items,
		);
		expect(result.error?.message).toMatch(stripeError);
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toHaveLength(0);
		expect(sandbox.store.list(OWNER, 'clients')).toHaveLength(COUNT);
	});

	it('Get Changes stops and keeps no state', async () => {
		const result = await run({ operation: 'getChanges', ...NONE, changeDetection: 'hash', firstRun: 'all' }, undefined, {});
		expect(result.error?.message).toMatch(stripeError);
		expect(JSON.stringify(result.staticData ?? {})).not.toMatch(/seen/);
	});

	it('the trigger fails the poll', async () => {
		const result = await runPoll({
			node: { type: 'apiSyncTrigger', parameters: { authentication: CREDENTIAL_TYPE.apiKey, pollTimes: { item: [{ mode: 'everyMinute' }] }, ...NONE, changeDetection: 'hash', firstRun: 'all' } },
			credentials: CREDENTIALS(),
			mode: 'trigger',
			staticData: {},
		});
		expect(result.error?.message).toMatch(stripeError);
		expect(result.emitted ?? null).toBeNull();
	});

	it.each([
		['a next_cursor token', { kind: 'cursor', param: 'cursor', tokenPath: 'next_cursor' }, /a next-page token at next_cursor/],
		['HubSpot paging.next', { kind: 'cursor', param: 'after', tokenPath: 'paging.next.after' }, /a next-page token at paging\.next\.after/],
		['an Airtable offset', { kind: 'cursor', param: 'offset', tokenPath: 'offset' }, /a next-page token at offset/],
	] as const)('also for %s', async (_, listing, what) => {
		sandbox.setListing({ tokens: { ...listing, recordsKey: 'data' } as SandboxTokenPaging });
		const result = await run({ operation: 'getAll', returnAll: true, ...NONE });
		expect(result.error?.message).toMatch(what);
	});

	it('and for a next link in the body or a Link header', async () => {
		sandbox.setListing({ maxPageSize: 10, nextLinks: 'body' });
		const body = await run({ operation: 'getAll', returnAll: true, ...NONE });
		expect(body.error?.message).toMatch(/a next-page link at next/);
		expect((body.error as Error & { description?: string }).description).toMatch(/"Next URL in Response Body" and Next URL Path to next/);
		sandbox.setListing({ maxPageSize: 10, nextLinks: 'header' });
		const header = await run({ operation: 'getAll', returnAll: true, ...custom({ style: 'none' }) });
		expect(header.error?.message).toMatch(/Link: <…>; rel="next"/);
	});

	it('no false alarm on a flat API whose records have fields named next or has_more', async () => {
		sandbox.reset();
		for (let i = 0; i < 3; i++) sandbox.store.insert(OWNER, 'clients', { name: `C${i}`, next: 'https://example.com/x?page=2', has_more: true, next_cursor: 'abc' });
		const bare = await run({ operation: 'getAll', returnAll: true, ...custom({ style: 'none' }) });
		expect(bare.error).toBeUndefined();
		expect(bare.output[0]).toHaveLength(3);
		sandbox.setListing({ tokens: { kind: 'cursor', param: 'cursor', tokenPath: 'next_cursor', hasMoreKey: 'has_more', defaultLimit: 50 } });
		const enveloped = await run({ operation: 'getAll', returnAll: true, ...NONE });
		expect(enveloped.error).toBeUndefined();
		expect(enveloped.output[0]).toHaveLength(3);
	});
});
