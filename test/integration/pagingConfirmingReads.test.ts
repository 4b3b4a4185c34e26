/**
 * Page-number and next-link paging cannot see a listing shift while it is read (issue 16 point 8): readers that
 * decide from what is absent confirm it with another read, against the sandbox (`pageNumbers` / `nextLinks`
 * listing modes, scripted `changes` applied right before a given page request).
 * - Sync: creates and Update Only's "missing" are confirmed; records others add meanwhile do not keep it reading.
 * - Mirror reads twice, so a record shifted past the first read is still deleted.
 * - Get Changes (content hash): a record counts as deleted only when two reads in a row miss it.
 * First written as attacks on the paging branch (all failed on b29f318).
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

function run(parameters: IDataObject, staticData?: IDataObject, items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		mode: 'trigger',
		staticData,
		items,
	});
}

const custom = (customPagination: IDataObject) => ({
	remoteResource: 'custom',
	customPath: '/clients',
	customIdField: 'client_id',
	customUpdateMethod: 'POST',
	customPagination,
});
const CUSTOM_PAGES = custom({ style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 100 });
const MAPPING = { mappingMode: 'defineBelow', value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' }, matchingColumns: ['external_client_id'], schema: [] };
const listReads = () => sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients');
const addClients = (count: number) =>
	Array.from({ length: count }, (_, i) => sandbox.store.insert(OWNER, 'clients', { name: `Client ${i}`, external_client_id: `ext-${i}` }).client_id as number);
const itemsFor = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `ext-${i}`, name: `Client ${i}` }));

/** The three styles that cannot overlap their pages; `secondPage` matches each read's second page request. */
const SHIFTING = [
	['page numbers', CUSTOM_PAGES, { pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } }, /page=2&/],
	['next links in the body', custom({ style: 'nextUrl', nextUrlPath: 'next', recordsPath: 'data' }), { nextLinks: 'body' }, /skip=50&/],
	['Link headers', custom({ style: 'linkHeader', recordsPath: '' }), { nextLinks: 'header' }, /skip=50&/],
] as const;

describe.each(SHIFTING)('Sync on %s while someone else keeps adding records at the END of the list', (_, resource, listing, secondPage) => {
	beforeEach(() => {
		addClients(250);
		sandbox.setListing(listing);
		// Another system adds one client during each read (right before its second page is served): new, higher ids,
		// which shift nothing.
		sandbox.setFaults({
			changes: Array.from({ length: 6 }, (_, i) => ({ path: secondPage, account: OWNER, domain: 'clients', insert: [{ name: `Web order ${i}`, external_client_id: `web-${i}` }] })),
		});
	});

	it('Upsert creates the one new record after a single confirming read', async () => {
		const items = [...itemsFor(250), { id: 'ext-new', name: 'New client' }];
		const result = await run({ operation: 'sync', ...resource, syncMode: 'upsert', columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0, overlapDuplicates: 'off' } }, undefined, items);
		expect(result.error).toBeUndefined();
		expect(result.output.map((o) => o.length)).toEqual([1, 0, 250, 0, 0]);
		// Two reads: the second found no record for ext-new, which confirms it (the web orders match no input item).
		expect(listReads().filter((e) => e.query.page === '1' || (e.query.page === undefined && e.query.skip === undefined))).toHaveLength(2);
	});

	it('Update Only reports the one missing record after a single confirming read', async () => {
		const items = [...itemsFor(250), { id: 'ext-new', name: 'New client' }];
		const result = await run({ operation: 'sync', ...resource, syncMode: 'updateOnly', columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0 } }, undefined, items);
		expect(result.error).toBeUndefined();
		expect(result.output[2].filter((o) => String(o.json.note).includes('No remote record matches')).map((o) => (o.json.match as IDataObject).external_client_id)).toEqual(['ext-new']);
	});
});

describe('Sync on page numbers: when each confirming read keeps finding records for input items', () => {
	it('stops after 4 reads with an error naming the items the last read found, and writes nothing', async () => {
		// Another run creates this run's new records one by one while this one reads: every confirming read finds one
		// more of them, so what is absent never settles.
		addClients(250);
		sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		sandbox.setFaults({
			changes: [
				{ path: /page=2&/, account: OWNER, domain: 'clients', insert: [{ name: 'Unrelated', external_client_id: 'other-0' }] },
				...[1, 2, 3].map((i) => ({ path: /page=2&/, account: OWNER, domain: 'clients', insert: [{ name: `New ${i}`, external_client_id: `ext-new-${i}` }] })),
			],
		});
		const items = [...itemsFor(250), ...[0, 1, 2, 3].map((i) => ({ id: `ext-new-${i}`, name: `New ${i}` }))];
		const result = await run({ operation: 'sync', ...CUSTOM_PAGES, syncMode: 'upsert', columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0 } }, undefined, items);
		expect(result.error?.message).toBe(
			'The remote list kept changing while it was read (4 reads, each found records for input items the one before had missed, the last: {"external_client_id":"ext-new-3"}). Nothing was written.',
		);
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toHaveLength(0);
	});
});

describe('Mirror on page numbers', () => {
	it('a record shifted past the first read is still deleted (Mirror always reads twice on these styles)', async () => {
		const ids = addClients(250);
		sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		sandbox.setFaults({ changes: [{ path: /page=2&/, account: OWNER, domain: 'clients', delete: [ids[10]] }] });
		// The input holds every client but ext-100: Mirror must delete ext-100.
		const items = itemsFor(250).filter((item) => item.id !== 'ext-100');
		const result = await run({ operation: 'sync', ...CUSTOM_PAGES, syncMode: 'mirror', maxDeletes: 10, columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0 } }, undefined, items);
		expect(result.error).toBeUndefined();
		expect(sandbox.store.list(OWNER, 'clients').map((c) => c.external_client_id)).not.toContain('ext-100');
		expect(result.output[3].map((o) => (o.json.match as IDataObject).external_client_id)).toEqual(['ext-100']);
	});

	it('costs one more full read, also when nothing shifted', async () => {
		addClients(250);
		sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		const result = await run({ operation: 'sync', ...CUSTOM_PAGES, syncMode: 'mirror', maxDeletes: 10, columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0 } }, undefined, itemsFor(250));
		expect(result.output.map((o) => o.length)).toEqual([0, 0, 250, 0, 0]);
		expect(listReads().filter((e) => e.query.page === '1')).toHaveLength(2);
	});
});

describe('Get Changes (content hash) on page numbers while a record is deleted between two pages', () => {
	const parameters = (emitDeletions: boolean) => ({ operation: 'getChanges', ...CUSTOM_PAGES, changeDetection: 'hash', emitDeletions, firstRun: 'now' });
	let ids: number[];
	beforeEach(() => {
		ids = addClients(250);
		sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
	});

	it('Emit Deletions: no false deletion for the record that moved onto page 1, and the real one is emitted', async () => {
		const first = await run(parameters(true), {});
		expect(first.error).toBeUndefined();
		// Someone deletes the 11th client right before page 2 of the next poll is read: client 101 moves onto page 1.
		sandbox.setFaults({ changes: [{ path: /page=2&/, account: OWNER, domain: 'clients', delete: [ids[10]] }] });
		sandbox.log.length = 0;
		const second = await run(parameters(true), first.staticData);
		expect(second.error).toBeUndefined();
		expect(sandbox.store.list(OWNER, 'clients').map((c) => c.client_id)).toContain(ids[100]);
		expect(second.output[0].map((o) => o.json)).toEqual([{ client_id: ids[10], _deleted: true }]);
		// The first read missed ids[100], the second ids[10] (deleted after the first read had it), the third confirms.
		expect(listReads().filter((e) => e.query.page === '1')).toHaveLength(3);
		// Nothing is emitted twice, nor late.
		const third = await run(parameters(true), second.staticData);
		expect(third.output[0]).toEqual([]);
	});

	it('without Emit Deletions: the record skipped by the shift stays remembered, so it is not emitted later as a false change', async () => {
		const first = await run(parameters(false), {});
		sandbox.setFaults({ changes: [{ path: /page=2&/, account: OWNER, domain: 'clients', delete: [ids[10]] }] });
		const second = await run(parameters(false), first.staticData);
		expect(second.output[0]).toEqual([]);
		const third = await run(parameters(false), second.staticData);
		expect(third.error).toBeUndefined();
		expect(third.output[0]).toEqual([]);
	});

	it('costs nothing when nothing looks deleted, one more read when something really was', async () => {
		const first = await run(parameters(true), {});
		sandbox.log.length = 0;
		await run(parameters(true), first.staticData);
		expect(listReads().filter((e) => e.query.page === '1')).toHaveLength(1);
		sandbox.store.remove(OWNER, 'clients', ids[200]);
		sandbox.log.length = 0;
		const deleted = await run(parameters(true), first.staticData);
		expect(deleted.output[0].map((o) => o.json)).toEqual([{ client_id: ids[200], _deleted: true }]);
		expect(listReads().filter((e) => e.query.page === '1')).toHaveLength(2);
	});
});
