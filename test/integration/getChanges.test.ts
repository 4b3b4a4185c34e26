/**
 * Get Changes through real workflows against the sandbox: successive production runs with creates
 * and updates in between, ties at the boundary, late records, an API error mid-paging, first-run
 * choices, reset, content-hash detection, manual runs, custom APIs and bad input.
 */
import {
	NodeApiError,
	NodeOperationError,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type WorkflowExecuteMode,
} from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS, ALL_SECRETS, API_KEYS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';
import { GENERIC_TOKEN, startGenericApi, type GenericApi } from '../support/genericApi';

const OWNER = ACCOUNTS.owner;
const T0 = Date.parse('2026-03-02T10:00:00Z');

let sandbox: Sandbox;
let generic: GenericApi;
let now = T0;
beforeAll(async () => {
	sandbox = await startSandbox();
	generic = await startGenericApi();
});
afterAll(async () => {
	await sandbox.close();
	await generic.close();
});
beforeEach(() => {
	sandbox.reset();
	now = T0;
	sandbox.setClock(() => new Date(now));
	generic.requests.length = 0;
});

const BY_LAST_MODIFIED = { remoteResource: 'clients', changeDetection: 'cursor', cursorField: 'last_modified' };

function getChanges(
	parameters: IDataObject,
	staticData: IDataObject = {},
	options: { mode?: WorkflowExecuteMode; credential?: ICredentialDataDecryptedObject; continueOnFail?: boolean } = {},
): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			continueOnFail: options.continueOnFail,
			parameters: { authentication: CREDENTIAL_TYPE.apiKey, resource: 'record', operation: 'getChanges', ...parameters },
		},
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: options.credential ?? credentialData('apiKey', sandbox.baseUrl) }],
		mode: options.mode ?? 'trigger',
		staticData,
	});
}

/** Successive production runs of one node, carrying its static data from run to run like n8n. */
function feed(parameters: IDataObject) {
	let staticData: IDataObject = {};
	const next = async (): Promise<IDataObject[]> => {
		const result = await getChanges(parameters, staticData);
		expect(result.error).toBeUndefined();
		for (const item of result.output[0]) expect(item.pairedItem).toEqual({ item: 0 });
		staticData = result.staticData;
		return result.output[0].map((item) => item.json);
	};
	/** The stored change-tracking state. */
	next.state = () => (staticData['node:API Sync'] as IDataObject).changeTracking as IDataObject;
	return next;
}

const idsOf = (records: IDataObject[], field = 'client_id') => records.map((record) => record[field]);
const listUrls = () => sandbox.log.filter((entry) => entry.method === 'GET').map((entry) => decodeURIComponent(entry.url));
const insertClient = (name: string, extra: IDataObject = {}) => sandbox.store.insert(OWNER, 'clients', { name, ...extra }).client_id as number;

describe('successive runs', () => {
	it('three runs with creates and updates between them emit exactly the changed records', async () => {
		const next = feed({ ...BY_LAST_MODIFIED, firstRun: 'all' });
		expect(idsOf(await next())).toEqual([101, 102, 103]);

		now += 5 * 60_000;
		const a = insertClient('Nieuwe Klant A');
		now += 1000;
		sandbox.store.update(OWNER, 'clients', 102, { city: 'Brugge' });
		sandbox.log.length = 0;
		const second = await next();
		expect(idsOf(second)).toEqual([a, 102]);
		expect(second[1]).toMatchObject({ client_id: 102, city: 'Brugge', last_modified: '2026-03-02T10:05:01Z' });
		// Read from the last change minus the 60 s lookback, filtered by the API.
		expect(listUrls()).toEqual([`/api/v1/clients?filter=last_modified>=2026-01-05T08:59:00Z&skip=0&take=100`]);

		now += 5 * 60_000;
		const b = insertClient('Nieuwe Klant B');
		now += 1000;
		sandbox.store.update(OWNER, 'clients', a, { email_address: 'a@klant.example' });
		sandbox.log.length = 0;
		expect(idsOf(await next())).toEqual([b, a]);
		expect(listUrls()).toEqual([`/api/v1/clients?filter=last_modified>=2026-03-02T10:04:01Z&skip=0&take=100`]);

		expect(await next()).toEqual([]);
		// State stays small: only the records inside the lookback window are remembered.
		const state = next.state();
		expect(Object.keys(state).sort()).toEqual(['fp', 'from', 'max', 'mode', 'seen', 'v']);
		expect(state).toMatchObject({ v: 1, mode: 'cursor', from: '2026-03-02T10:09:02Z', max: '2026-03-02T10:10:02Z' });
		expect(Object.keys(state.seen as IDataObject).map(Number).sort()).toEqual([a, b].sort());
	});

	it('records sharing the last cursor value are neither lost nor emitted twice', async () => {
		const next = feed({ ...BY_LAST_MODIFIED, firstRun: 'all', changeOptions: { lookbackSeconds: 0 } });
		now += 60_000; // the clock stands still from here: every write gets the same second
		const a = insertClient('Tie A');
		const b = insertClient('Tie B');
		expect(idsOf(await next())).toEqual([101, 102, 103, a, b]);

		const c = insertClient('Tie C');
		sandbox.store.update(OWNER, 'clients', a, { city: 'Hasselt' });
		const second = await next();
		expect(idsOf(second)).toEqual([a, c]);
		expect(listUrls().at(-1)).toBe('/api/v1/clients?filter=last_modified>=2026-03-02T10:01:00Z&skip=0&take=100');
		expect(await next()).toEqual([]);
	});

	it('emits a record that becomes visible late, inside the lookback window, exactly once', async () => {
		const next = feed({ ...BY_LAST_MODIFIED, firstRun: 'now' });
		await next();
		now += 60_000;
		const a = insertClient('On time');
		expect(idsOf(await next())).toEqual([a]);
		// A slow transaction commits now with a timestamp from 30 s ago, before the last change seen.
		const late = insertClient('Late', { last_modified: '2026-03-02T10:00:30Z' });
		expect(idsOf(await next())).toEqual([late]);
		expect(await next()).toEqual([]);
	});
});

describe('an API error mid-paging', () => {
	it('leaves the state where it was, and the next run emits the same records again', async () => {
		const params = { ...BY_LAST_MODIFIED, firstRun: 'now' };
		const before = await getChanges(params);
		expect(before.output[0]).toEqual([]);
		for (let i = 0; i < 250; i++) {
			now += 1000;
			insertClient(`Bulk ${i}`);
		}
		sandbox.log.length = 0;
		// The second page starts at the first page's last record (skip=99): see "Paging" in the README.
		sandbox.setFaults({ scripted: [{ method: 'GET', path: /skip=99&/, status: 500, body: '{"error": "database timeout"}' }] });
		const failed = await getChanges(params, before.staticData);
		expect(failed.error).toBeInstanceOf(NodeApiError);
		expect(failed.error?.message).toBe('500 Internal Server Error from GET /api/v1/clients: "database timeout"');
		// The first page, then four at once (the 500 stops any further page).
		expect(sandbox.log.map((entry) => [Number(entry.query.skip), entry.status]).sort((a, b) => a[0] - b[0])).toEqual([
			[0, 200],
			[99, 500],
			[198, 200],
			[297, 200],
			[396, 200],
		]);
		expect(failed.staticData).toEqual(before.staticData);
		const visible = JSON.stringify({ message: failed.error?.message, description: (failed.error as NodeApiError).description, logs: failed.logs });
		for (const secret of ALL_SECRETS) expect(visible).not.toContain(secret);

		sandbox.setFaults({});
		const retried = await getChanges(params, before.staticData);
		expect(retried.error).toBeUndefined();
		expect(retried.output[0]).toHaveLength(250);
		expect(new Set(idsOf(retried.output[0].map((item) => item.json))).size).toBe(250);
		const after = await getChanges(params, retried.staticData);
		expect(after.output[0]).toEqual([]);
	});

	it('ends endless paging in a clear error, and the state does not move', async () => {
		const params = {
			authentication: CREDENTIAL_TYPE.bearer,
			remoteResource: 'custom',
			customPath: '/v2/same-page',
			customIdField: 'id',
			customPagination: { style: 'page', pageSize: 10, recordsPath: 'data' },
			changeDetection: 'cursor',
			cursorField: 'id',
			firstRun: 'all',
		};
		const staticData = { 'node:API Sync': { untouched: true } };
		const result = await runNode({
			node: { type: 'apiSync', parameters: { resource: 'record', operation: 'getChanges', ...params } },
			credentials: [{ type: CREDENTIAL_TYPE.bearer, data: credentialData('bearer', generic.baseUrl, { token: GENERIC_TOKEN }) }],
			mode: 'trigger',
			staticData,
		});
		expect(result.error).toBeInstanceOf(NodeApiError);
		expect(result.error?.message).toBe('The API returned the same page twice on GET /v2/same-page (page 2)');
		expect(result.staticData).toEqual(staticData);
	});
});

describe('first run', () => {
	it('"Start From Now" emits nothing, then only what is added or changed; where the API sorts, it reads only the newest', async () => {
		const next = feed({ ...BY_LAST_MODIFIED, firstRun: 'now' });
		expect(await next()).toEqual([]);
		expect(listUrls()).toEqual([
			'/api/v1/clients?sort=-last_modified&skip=0&take=1',
			'/api/v1/clients?filter=last_modified>=2026-01-05T08:59:00Z&skip=0&take=100',
		]);
		now += 60_000;
		sandbox.store.update(OWNER, 'clients', 103, { city: 'Mechelen' });
		expect(idsOf(await next())).toEqual([103]);
	});

	it('says "First run" on a production run without saved state (every run, where n8n keeps no state), never after', async () => {
		const parameters = { ...BY_LAST_MODIFIED, firstRun: 'now' };
		const first = await getChanges(parameters);
		expect(first.hints).toEqual([
			{
				message: expect.stringMatching(/^First run: no saved state for these settings, so nothing was emitted and the current records were saved as the starting point\. If every run says this, n8n is not keeping this node's state between executions/),
				location: 'outputPane',
				type: 'info',
			},
		]);
		const second = await getChanges(parameters, first.staticData);
		expect(second.hints).toEqual([]);
		// A run handed no state again (as on an n8n 2.x queue-mode worker) says it again.
		expect((await getChanges(parameters, {})).hints).toHaveLength(1);
		expect((await getChanges({ ...BY_LAST_MODIFIED, firstRun: 'all' })).hints[0].message).toMatch(/^First run: no saved state for these settings, so every existing record was emitted\./);
		// A manual run (from the editor) keeps no state and says nothing of it.
		expect((await getChanges(parameters, {}, { mode: 'manual' })).hints).toEqual([]);
	});

	it('"Start From a Date" emits the records at or after it (backfill)', async () => {
		const january = insertClient('January', { last_modified: '2026-01-20T12:00:00Z' });
		const february = insertClient('February', { last_modified: '2026-02-01T00:00:00Z' });
		const next = feed({ ...BY_LAST_MODIFIED, firstRun: 'from', startFrom: '2026-02-01' });
		expect(idsOf(await next())).toEqual([february]);
		expect(listUrls()).toEqual(['/api/v1/clients?filter=last_modified>=2026-02-01&skip=0&take=100']);
		expect(january).toBeLessThan(february);
		expect(await next()).toEqual([]);
	});

	it('invoices by default: new documents by ID, from a given ID', async () => {
		const next = feed({ remoteResource: 'invoices', firstRun: 'from', startFrom: '1001' });
		expect(idsOf(await next(), 'invoice_id')).toEqual([1001]);
		expect(listUrls()).toEqual(['/api/v1/invoices?filter=invoice_id>=1001&skip=0&take=100']);
		const created = sandbox.store.insert(OWNER, 'invoices', { client_id: 101, date: '2026-03-02', total: 10 });
		sandbox.store.update(OWNER, 'invoices', 1001, { total: 99 }); // an edit: not a new document
		expect(idsOf(await next(), 'invoice_id')).toEqual([created.invoice_id]);
		expect(listUrls().at(-1)).toBe('/api/v1/invoices?filter=invoice_id>=1001&skip=0&take=100');
		expect(await next()).toEqual([]);
	});

	it('stock items by default: last_activity, a date, with same-day changes emitted once', async () => {
		const next = feed({ remoteResource: 'stockitems', firstRun: 'all' });
		expect((await next()).map((item) => item.code)).toEqual(['CRS-02', 'BRD-01']);
		sandbox.store.insert(OWNER, 'stockitems', { code: 'TAR-03', description: 'Taart', last_activity: '2026-01-04' });
		expect((await next()).map((item) => item.code)).toEqual(['TAR-03']);
		expect(listUrls().at(-1)).toBe('/api/v1/stockitems?filter=last_activity>=2026-01-04&skip=0&take=100');
		expect(await next()).toEqual([]);
	});
});

describe('reset', () => {
	it('a new Reset Key starts over with the First Run setting; so does another cursor field', async () => {
		const params = { ...BY_LAST_MODIFIED, firstRun: 'all' };
		const first = await getChanges(params);
		expect(first.output[0]).toHaveLength(3);
		const again = await getChanges(params, first.staticData);
		expect(again.output[0]).toEqual([]);
		const reset = await getChanges({ ...params, changeOptions: { resetKey: '2026-03-02' } }, again.staticData);
		expect(idsOf(reset.output[0].map((item) => item.json))).toEqual([101, 102, 103]);
		const stable = await getChanges({ ...params, changeOptions: { resetKey: '2026-03-02' } }, reset.staticData);
		expect(stable.output[0]).toEqual([]);
		const otherField = await getChanges({ ...params, cursorField: 'created', changeOptions: { resetKey: '2026-03-02' } }, stable.staticData);
		expect(otherField.output[0]).toHaveLength(3);
	});

	it('another account (X-AccountId) is another feed', async () => {
		const portal = credentialData('apiKey', sandbox.baseUrl, { apiKey: API_KEYS[1].key });
		const params = { ...BY_LAST_MODIFIED, firstRun: 'all', options: { accountId: ACCOUNTS.portalClients[0] } };
		const first = await getChanges(params, {}, { credential: portal });
		expect(first.output[0].map((item) => item.json.name)).toEqual([`Klant van ${ACCOUNTS.portalClients[0]}`]);
		expect(sandbox.log.every((entry) => entry.auth?.account === ACCOUNTS.portalClients[0])).toBe(true);
		const other = await getChanges({ ...params, options: { accountId: ACCOUNTS.portalClients[1] } }, first.staticData, { credential: portal });
		expect(other.output[0].map((item) => item.json.name)).toEqual([`Klant van ${ACCOUNTS.portalClients[1]}`]);
	});
});

describe('content-hash detection (clients by default)', () => {
	it('emits new and changed records, and deletions when asked', async () => {
		const next = feed({ remoteResource: 'clients', emitDeletions: true });
		expect(await next()).toEqual([]);
		expect(listUrls()).toEqual(['/api/v1/clients?skip=0&take=100']);
		sandbox.store.update(OWNER, 'clients', 101, { city: 'Aalst' });
		const created = insertClient('Nieuw');
		sandbox.store.remove(OWNER, 'clients', 103);
		expect(await next()).toEqual([
			expect.objectContaining({ client_id: 101, city: 'Aalst' }),
			expect.objectContaining({ client_id: created, name: 'Nieuw' }),
			{ client_id: 103, _deleted: true },
		]);
		expect(await next()).toEqual([]);
	});
});

describe('manual runs', () => {
	it('return a sample of the latest records and leave the state alone; a preview shows pending changes', async () => {
		const params = { ...BY_LAST_MODIFIED, firstRun: 'now', changeOptions: { sampleSize: 2 } };
		const production = await getChanges(params);
		now += 60_000;
		const newest = insertClient('Newest');
		sandbox.log.length = 0;
		const sample = await getChanges(params, production.staticData, { mode: 'manual' });
		expect(sample.error).toBeUndefined();
		expect(idsOf(sample.output[0].map((item) => item.json))).toEqual([newest, 101]);
		expect(listUrls()).toEqual(['/api/v1/clients?sort=-last_modified&skip=0&take=2']);
		expect(sample.staticData).toEqual(production.staticData);

		const preview = await getChanges({ ...params, changeOptions: { manualRunOutput: 'preview' } }, production.staticData, { mode: 'manual' });
		expect(idsOf(preview.output[0].map((item) => item.json))).toEqual([newest]);
		expect(preview.staticData).toEqual(production.staticData);
		// The production run still emits it.
		expect(idsOf((await getChanges(params, production.staticData)).output[0].map((item) => item.json))).toEqual([newest]);
	});
});

describe('custom APIs', () => {
	const runGeneric = (parameters: IDataObject, staticData: IDataObject = {}) =>
		runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.bearer,
					resource: 'record',
					operation: 'getChanges',
					remoteResource: 'custom',
					customPath: '/v2/paged',
					customIdField: 'id',
					customPagination: { style: 'page', pageSize: 10, recordsPath: 'data' },
					...parameters,
				},
			},
			credentials: [{ type: CREDENTIAL_TYPE.bearer, data: credentialData('bearer', generic.baseUrl, { token: GENERIC_TOKEN }) }],
			mode: 'trigger',
			staticData,
		});

	it('filters on the client when the API cannot: every page read, no filter sent', async () => {
		const first = await runGeneric({ changeDetection: 'cursor', cursorField: 'id', firstRun: 'from', startFrom: '20' });
		expect(first.error).toBeUndefined();
		expect(first.output[0].map((item) => item.json.id)).toEqual([20, 21, 22, 23]);
		// Page 1, then four at once (Pages Read at Once, default 4); pages 2 and 3 (3 records: a custom API's short
		// page does not end the list) ask for pages 6 and 7. Page 4, empty, ends it; 5 to 7 are the three past it.
		expect([...generic.requests].sort()).toEqual([1, 2, 3, 4, 5, 6, 7].map((page) => `GET /v2/paged?page=${page}&per_page=10`));
		const second = await runGeneric({ changeDetection: 'cursor', cursorField: 'id', firstRun: 'from', startFrom: '20' }, first.staticData);
		expect(second.output[0]).toEqual([]);
	});

	it('uses filter= when told the API supports it', async () => {
		const result = await getChanges({
			remoteResource: 'custom',
			customPath: '/clients',
			customIdField: 'client_id',
			changeDetection: 'cursor',
			cursorField: 'last_modified',
			serverSideFilter: true,
			firstRun: 'from',
			startFrom: '2026-01-05T09:00:00Z',
		});
		expect(result.output[0]).toHaveLength(3);
		// A custom API may cap its page size, so its short first page is followed by one more, starting at its last
		// record (the pages overlap by one), which brings nothing new.
		expect(listUrls()).toEqual([
			'/api/v1/clients?filter=last_modified>=2026-01-05T09:00:00Z&skip=0&take=100',
			'/api/v1/clients?filter=last_modified>=2026-01-05T09:00:00Z&skip=2&take=100',
		]);
	});

	it('defaults to content hash for a custom path', async () => {
		const first = await runGeneric({ firstRun: 'all' });
		expect(first.output[0]).toHaveLength(23);
		expect((await runGeneric({ firstRun: 'all' }, first.staticData)).output[0]).toEqual([]);
	});
});

describe('bad input gets a clear error before any request', () => {
	it.each([
		[
			'a cursor field missing on a custom path',
			{ remoteResource: 'custom', customPath: '/contacts', changeDetection: 'cursor', cursorField: ' ' },
			'The Cursor Field is empty',
			/Set Cursor Field/,
		],
		['a custom path that is empty', { remoteResource: 'custom', customPath: '={{ "" }}' }, 'The Path is empty', /Set Path/],
		[
			'a start value with content hash',
			{ remoteResource: 'clients', firstRun: 'from', startFrom: '2026-01-01' },
			'"Start From a Date or ID" needs a cursor field',
			/Start From Now or Emit All Existing Records/,
		],
		['an unreadable start value', { ...BY_LAST_MODIFIED, firstRun: 'from', startFrom: 'yesterday' }, 'Start From "yesterday" is not a date or a number', /2026-01-01/],
		['a negative lookback', { ...BY_LAST_MODIFIED, changeOptions: { lookbackSeconds: -5 } }, 'The lookback window -5 is not a number of seconds', /0 or more/],
	])('%s', async (_name, parameters, message, description) => {
		const result = await getChanges(parameters as IDataObject);
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(result.error?.message).toBe(message);
		expect((result.error as NodeOperationError).description).toMatch(description);
		expect(sandbox.log).toHaveLength(0);
	});

	it('a damaged state says how to start over; with Continue On Fail it is an error item', async () => {
		const params = { ...BY_LAST_MODIFIED, firstRun: 'all' };
		const first = await getChanges(params);
		const saved = (first.staticData['node:API Sync'] as IDataObject).changeTracking as IDataObject;
		const staticData: IDataObject = { 'node:API Sync': { changeTracking: { ...saved, seen: 'nope' } } };
		const result = await getChanges(params, staticData);
		expect(result.error?.message).toBe('The saved change-tracking state cannot be read: its list of seen records is not readable');
		expect((result.error as NodeOperationError).description).toMatch(/Reset Key/);
		const continued = await getChanges(params, staticData, { continueOnFail: true });
		expect(continued.output[0]).toEqual([{ json: { error: result.error?.message }, pairedItem: { item: 0 } }]);
	});
});
