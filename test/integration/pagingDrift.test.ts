/**
 * Issue 16 point 8: a listing that shifts while it is read. Someone deletes (or inserts) a record between two
 * pages of the read (the sandbox's scripted `changes`, applied right before a given page request is handled):
 * with plain offset paging every later page starts one record further, one record is never seen, and Upsert
 * creates a duplicate of it, Update Only reports it missing.
 *
 * Offset paging (EenvoudigFactureren, custom offset): pages overlap by one record; a page that does not start
 * with the record the previous one ended with means the listing shifted: the read goes on from that record, found
 * by ID in a page asked half a page earlier (or, when it is not there, the listing is read again). Page numbers and
 * next links (custom APIs): Sync confirms the records it believes absent with one more read, merged by ID.
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

function addClients(count: number): number[] {
	return Array.from({ length: count }, (_, i) => sandbox.store.insert(OWNER, 'clients', { name: `Client ${i}`, external_client_id: `ext-${i}` }).client_id as number);
}

function run(parameters: IDataObject, items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		mode: 'trigger',
		items,
	});
}

const MAPPING = { mappingMode: 'defineBelow', value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' }, matchingColumns: ['external_client_id'], schema: [] };
const itemsFor = (count: number) => Array.from({ length: count }, (_, i) => ({ id: `ext-${i}`, name: `Client ${i}` }));
const sync = (resource: IDataObject, syncMode: string, items: IDataObject[], syncOptions: IDataObject = {}) =>
	run({ operation: 'sync', ...resource, syncMode, columns: MAPPING, syncOptions: { maxRequestsPerSecond: 0, ...syncOptions } }, items);
const externalIds = () => sandbox.store.list(OWNER, 'clients').map((c) => c.external_client_id as string);
const duplicates = () => externalIds().filter((id, i, all) => all.indexOf(id) !== i);
const listReads = () => sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients');
const notes = (result: RunResult, output: number) => result.output[output].map((o) => `${String((o.json.match as IDataObject).external_client_id)}${o.json.note ? `: ${String(o.json.note)}` : ''}`);

const EF = { remoteResource: 'clients' };
const CUSTOM_OFFSET = { remoteResource: 'custom', customPath: '/clients', customIdField: 'client_id', customUpdateMethod: 'POST', customPagination: { style: 'offset', pageSize: 100 } };
const CUSTOM_PAGES = {
	remoteResource: 'custom',
	customPath: '/clients',
	customIdField: 'client_id',
	customUpdateMethod: 'POST',
	customPagination: { style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 100 },
};

describe.each([
	// The second page request, whatever offset it asks for.
	['EenvoudigFactureren (offset, pages overlapping by one)', EF, /skip=[1-9]/, false],
	['a custom offset API', CUSTOM_OFFSET, /skip=[1-9]/, false],
	['a custom page-number API (confirming read)', CUSTOM_PAGES, /page=2&/, true],
] as const)('a record deleted between page 1 and page 2: %s', (_, resource, secondPage, pageNumbers) => {
	let ids: number[];
	beforeEach(() => {
		ids = addClients(250);
		if (pageNumbers) sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		// Someone deletes the 11th client right before the second page is read.
		sandbox.setFaults({ changes: [{ path: secondPage, account: OWNER, domain: 'clients', delete: [ids[10]] }] });
	});

	it('Upsert creates no duplicate of the record that moved onto page 1', async () => {
		// Without the check for overlapping runs, which would delete such a duplicate after creating it.
		const result = await sync(resource, 'upsert', itemsFor(250), { overlapDuplicates: 'off' });
		expect(result.error).toBeUndefined();
		expect(duplicates()).toEqual([]);
		// ext-100 moved from page 2 to page 1 after page 1 was read: it is found, not created again.
		expect(notes(result, 0)).not.toContain('ext-100');
		// The deleted ext-10 was read (page 1) before it was deleted, so this run counts it as there, as for a delete
		// right after the read; the next run creates it again.
		expect(result.output.map((o) => o.length)).toEqual([0, 0, 250, 0, 0]);
		if (pageNumbers) {
			// Two reads merged by ID.
			expect(listReads().filter((e) => e.query.page === '1')).toHaveLength(2);
		} else {
			// One read: after the shift it goes on from ext-99 (the second page's expected first record), found in a page
			// asked half a page earlier (skip=49), not from the start.
			expect(listReads().filter((e) => e.query.skip === '0')).toHaveLength(1);
			expect(listReads().filter((e) => e.query.skip === '49')).toHaveLength(1);
		}
	});

	it('Update Only reports no false "missing" for it', async () => {
		const result = await sync(resource, 'updateOnly', itemsFor(250));
		expect(result.error).toBeUndefined();
		const missing = notes(result, 2).filter((note) => note.includes('No remote record matches'));
		expect(missing).toEqual([]);
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toHaveLength(0);
	});
});

describe('Get Many while the listing shifts', () => {
	it('a delete between pages: every record once, the read going on from the shifted page (not from the start)', async () => {
		const ids = addClients(450);
		sandbox.setFaults({ changes: [{ path: /skip=198&/, account: OWNER, domain: 'clients', delete: [ids[5], ids[150]] }] });
		const result = await run({ operation: 'getAll', returnAll: true, ...EF });
		expect(result.error).toBeUndefined();
		// Every record once, in order: the two deleted ones too, since they had been read (pages 1 and 2) before.
		expect(result.output[0].map((o) => o.json.client_id)).toEqual(ids);
		// skip=198 came back shifted by two; the page at 148 holds the record it should have started with (index 48).
		const skips = listReads().map((e) => Number(e.query.skip));
		expect(skips.filter((skip) => skip === 0)).toHaveLength(1);
		expect(skips).toContain(148);
	});

	it('a delete of more than half a page between two pages: the listing is read again from the start', async () => {
		const ids = addClients(450);
		sandbox.setFaults({ changes: [{ path: /skip=198&/, account: OWNER, domain: 'clients', delete: ids.slice(100, 160) }] });
		const result = await run({ operation: 'getAll', returnAll: true, ...EF });
		expect(result.error).toBeUndefined();
		expect(result.output[0].map((o) => o.json.client_id)).toEqual(sandbox.store.list(OWNER, 'clients').map((c) => c.client_id));
		expect(listReads().filter((e) => e.query.skip === '0')).toHaveLength(2);
	});

	it('an insert at the front of a sorted listing (newest first): no record twice, none skipped', async () => {
		const ids = addClients(300);
		sandbox.setFaults({ changes: [{ path: /skip=[1-9]/, account: OWNER, domain: 'clients', insert: [{ name: 'Brand new', external_client_id: 'new-1' }] }] });
		const result = await run({ operation: 'getAll', returnAll: true, ...EF, listOptions: { sort: '-client_id' } });
		expect(result.error).toBeUndefined();
		// Every record that was there when the read began, once, in order; the one added at the front after page 1
		// was read is not (as if it had been added right after the read).
		expect(result.output[0].map((o) => o.json.client_id as number)).toEqual([...ids].reverse());
		expect(listReads().filter((e) => e.query.skip === '0')).toHaveLength(1);
	});

	it('a listing that keeps shifting by more than half a page is an error after 3 re-reads, not a partial list', async () => {
		const ids = addClients(600);
		// 60 deletes right before every read's second page: the record it should start with is not in the page asked
		// half a page earlier either, so the listing is read again.
		sandbox.setFaults({ changes: [0, 1, 2, 3].map((i) => ({ path: /skip=99&/, account: OWNER, domain: 'clients', delete: ids.slice(i * 60, i * 60 + 60) })) });
		const result = await run({ operation: 'getAll', returnAll: true, ...EF });
		expect(result.error?.message).toBe(
			'The list on GET /clients kept changing while it was read (records deleted or added between two pages), 4 times in a row',
		);
	});
});

describe('what drift protection costs', () => {
	it('offset: a shift mid-read costs one page and the pages in flight, not a second read', async () => {
		const ids = addClients(1000);
		const plain = await run({ operation: 'getAll', returnAll: true, ...EF });
		const baseline = listReads().length;
		sandbox.log.length = 0;
		// Someone deletes a record of page 6 right before page 7 is served.
		sandbox.setFaults({ changes: [{ path: /skip=594&/, account: OWNER, domain: 'clients', delete: [ids[550]] }] });
		const shifted = await run({ operation: 'getAll', returnAll: true, ...EF });
		expect(shifted.output[0].map((o) => o.json.client_id)).toEqual(plain.output[0].map((o) => o.json.client_id));
		const extra = listReads().length - baseline;
		// The page at 544 (half a page before 594) holds the record page 7 should have started with; the up to 4 pages
		// laid out before the shift was seen are not used. A read from the start would cost 11 more.
		expect(extra).toBeGreaterThanOrEqual(1);
		expect(extra).toBeLessThanOrEqual(5);
		expect(listReads().filter((e) => e.query.skip === '0')).toHaveLength(1);
	});

	it('offset: one more request per 99 pages or so; page numbers: one more full read only when the plan would create', async () => {
		addClients(1000);
		// Unchanged re-sync, EenvoudigFactureren: skip 0, 99, …, 990 (11 pages; 10 without the overlap), plus at
		// most 3 asked for past the end while the last was read.
		const unchanged = await sync(EF, 'upsert', itemsFor(1000));
		expect(unchanged.output.map((o) => o.length)).toEqual([0, 0, 1000, 0, 0]);
		const efReads = listReads().length;
		expect(efReads).toBeGreaterThanOrEqual(11);
		expect(efReads).toBeLessThanOrEqual(14);

		// Page numbers, nothing to create: one read (10 pages, + at most 3 past the end).
		sandbox.log.length = 0;
		sandbox.setListing({ pageNumbers: { pageParam: 'page', sizeParam: 'per_page' } });
		await sync(CUSTOM_PAGES, 'upsert', itemsFor(1000));
		const oneRead = listReads().length;
		expect(oneRead).toBeLessThanOrEqual(14);
		// One record to create: the listing is read once more before creating it.
		sandbox.log.length = 0;
		const withCreate = await sync(CUSTOM_PAGES, 'upsert', [...itemsFor(1000), { id: 'ext-new', name: 'New' }], { overlapDuplicates: 'off' });
		expect(withCreate.output.map((o) => o.length)).toEqual([1, 0, 1000, 0, 0]);
		expect(listReads().length).toBe(2 * oneRead);
	});
});
