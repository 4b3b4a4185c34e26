/**
 * The shared transport through real workflows: retries, Retry-After, the retry budget,
 * error messages, non-JSON bodies, and every pagination style with its endless-loop guards.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { runNode } from '../harness';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';
import { GENERIC_TOKEN, startGenericApi, type GenericApi } from '../support/genericApi';

let sandbox: Sandbox;
let generic: GenericApi;
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
	generic.requests.length = 0;
});

function run(parameters: IDataObject, credential = credentialData('apiKey', '')) {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'getAll', returnAll: true, ...parameters },
		},
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: { ...credential, baseUrl: credential.baseUrl || sandbox.baseUrl } }],
	});
}

function runGeneric(path: string, pagination: INodeParameters, extra: INodeParameters = {}) {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.bearer,
				operation: 'getAll',
				returnAll: true,
				remoteResource: 'custom',
				customPath: path,
				customIdField: 'id',
				customPagination: pagination,
				...extra,
			},
		},
		credentials: [{ type: CREDENTIAL_TYPE.bearer, data: credentialData('bearer', generic.baseUrl, { token: GENERIC_TOKEN }) }],
	});
}

describe('retries', () => {
	it('retries 503 and a connection reset on GET, then succeeds', async () => {
		sandbox.setFaults({
			scripted: [
				{ method: 'GET', path: '/api/v1/clients', status: 503 },
				{ method: 'GET', path: '/api/v1/clients', reset: true },
				{ method: 'GET', path: '/api/v1/clients', status: 502 },
			],
		});
		const result = await run({});
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(3);
		expect(sandbox.log.map((e) => e.status)).toEqual([503, 0, 502, 200]);
	});

	it('honours Retry-After given as an HTTP date', async () => {
		// An HTTP date has whole seconds: round up, so the wait asked for is never under 2 s.
		const inTwoSeconds = new Date(Math.ceil((Date.now() + 2000) / 1000) * 1000).toUTCString();
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 429, headers: { 'Retry-After': inTwoSeconds } }] });
		const result = await run({});
		expect(result.error).toBeUndefined();
		const [limited, ok] = sandbox.log;
		expect(ok.time - limited.time).toBeGreaterThanOrEqual(900);
	});

	it('fails clearly when the API asks to wait longer than the node waits', async () => {
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 429, headers: { 'Retry-After': '3600' } }] });
		const result = await run({});
		expect((result.error as Error).message).toBe(
			'429 Too Many Requests from GET /api/v1/clients: the API asks to wait 3600 s, longer than the 120 s this node waits',
		);
		expect(sandbox.log).toHaveLength(1);
	});

	it('does not retry a 500 or a 4xx', async () => {
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 500 }] });
		const result = await run({});
		expect((result.error as Error).message).toMatch(/^500 Internal Server Error from GET \/api\/v1\/clients/);
		expect(sandbox.log).toHaveLength(1);
	});

	it('stops at the per-request retry limit and says so', async () => {
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 503, times: 10, headers: { 'Retry-After': '0' } }] });
		const result = await run({ options: { maxRetries: 2 } });
		expect((result.error as Error).message).toMatch(/^503 Service Unavailable from GET \/api\/v1\/clients: ".*" \(after the retries allowed for one request\)$/);
		expect(sandbox.log).toHaveLength(3);
	});

	it('stops when the run’s retry budget is used up', async () => {
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 503, times: 10, headers: { 'Retry-After': '0' } }] });
		const result = await run({ options: { retryBudget: 1 } });
		expect((result.error as Error).message).toMatch(/retry budget of 1 was used up/);
		expect(sandbox.log).toHaveLength(2);
	});
});

describe('error bodies', () => {
	it('quotes every message of an errors[] body', async () => {
		const result = await runGeneric('/v2/errors', { style: 'none' });
		expect((result.error as Error).message).toBe(
			'422 Unprocessable Entity from GET /v2/errors: "email is invalid; name is missing"',
		);
	});

	it('explains a non-JSON answer instead of passing HTML on', async () => {
		const result = await runGeneric('/v2/html', { style: 'none' });
		expect((result.error as Error).message).toBe(
			'GET /v2/html returned text/html instead of JSON: <html><body>Welcome to our website</body></html>',
		);
		expect((result.error as Error & { description: string }).description).toMatch(/Check the base URL/);
	});

	it('explains a scripted non-JSON error page from the sandbox', async () => {
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 400, body: '<h1>Bad</h1>', contentType: 'text/html' }] });
		const result = await run({});
		expect((result.error as Error).message).toBe('400 Bad Request from GET /api/v1/clients: <h1>Bad</h1>');
	});

	it('answers XML-by-default APIs with a clear error when JSON is not negotiated', async () => {
		// The transport always sends Accept: application/json; the sandbox honours it like the real API.
		const result = await run({});
		expect(result.error).toBeUndefined();
		expect(sandbox.log[0].headers.accept).toBe('application/json');
	});
});

describe('pagination', () => {
	it('pages EenvoudigFactureren lists with skip/take, 100 per page', async () => {
		for (let i = 0; i < 250; i++) sandbox.store.insert('A10000001', 'clients', { name: `Bulk ${i}` });
		const result = await run({});
		expect(result.output[0]).toHaveLength(253);
		// Pages overlap by one record (a shifted listing is caught); after the first, four in flight: 297, 396 and 495
		// (three past the end, the most there can be) were asked for before 198, the last, came back short.
		expect(sandbox.log.map((e) => `${e.query.skip}/${e.query.take}`).sort()).toEqual(['0/100', '198/100', '297/100', '396/100', '495/100', '99/100']);
	});

	it('stops at the limit when not returning all', async () => {
		for (let i = 0; i < 250; i++) sandbox.store.insert('A10000001', 'clients', { name: `Bulk ${i}` });
		const result = await run({ returnAll: false, limit: 120 });
		expect(result.output[0]).toHaveLength(120);
		expect(sandbox.log).toHaveLength(2);
	});

	it('passes filter, search, sort and fields through', async () => {
		const result = await run({ listOptions: { filter: 'client_id>=102', sort: '-client_id', fields: 'client_id,name' } });
		expect(result.output[0].map((i) => i.json)).toEqual([
			{ client_id: 103, name: expect.any(String) },
			{ client_id: 102, name: expect.any(String) },
		]);
	});

	it.each([
		// After the first page, four in flight (2 to 5); pages 2 and 3 ask for 6 and 7. Page 3, short, does not end a
		// custom listing: page 4, empty, does.
		['page numbers with a records path', '/v2/paged', { style: 'page', pageSize: 10, recordsPath: 'data' }, 7],
		['a next URL in the body', '/v2/next', { style: 'nextUrl', nextUrlPath: 'links.next', recordsPath: 'items' }, 3],
		['a Link header', '/v2/linked', { style: 'linkHeader', pageSize: 10 }, 3],
	])('follows %s', async (_label, path, pagination, requests) => {
		const result = await runGeneric(path, pagination);
		expect(result.error).toBeUndefined();
		expect(result.output[0].map((i) => i.json.id)).toEqual(Array.from({ length: 23 }, (_, i) => i + 1));
		expect(generic.requests).toHaveLength(requests);
	});

	it('stops with a clear error when the API returns the same page again', async () => {
		const result = await runGeneric('/v2/same-page', { style: 'page', pageSize: 10, recordsPath: 'data' });
		expect((result.error as Error).message).toBe('The API returned the same page twice on GET /v2/same-page (page 2)');
		// Page 1, then four in flight, each answered page refilling its slot until page 2 is handled (never more
		// than 16 answered and waiting).
		expect(generic.requests.length).toBeGreaterThanOrEqual(2);
		expect(generic.requests.length).toBeLessThanOrEqual(1 + 4 * 4);
	});

	it('stops with a clear error when the next link does not advance', async () => {
		const result = await runGeneric('/v2/stuck-cursor', { style: 'nextUrl', nextUrlPath: 'links.next', recordsPath: 'items' });
		expect((result.error as Error).message).toMatch(/^The next-page link does not advance on GET \/v2\/stuck-cursor/);
		expect(generic.requests.length).toBeLessThanOrEqual(3);
	});

	it('stops at Max Pages', async () => {
		const result = await runGeneric('/v2/paged', { style: 'page', pageSize: 2, recordsPath: 'data', maxPages: 3 });
		expect((result.error as Error).message).toBe('Stopped after 3 pages (the Max Pages limit) on GET /v2/paged');
	});

	it('says where the records were expected when the records path is wrong', async () => {
		const result = await runGeneric('/v2/paged', { style: 'page', pageSize: 10, recordsPath: 'results' });
		expect((result.error as Error).message).toBe('Expected a list of records at "results" in the response to GET /v2/paged, got nothing');
	});
});

describe('single-record operations', () => {
	it('creates, reads, updates partially, replaces and deletes a client', async () => {
		const cred = credentialData('apiKey', sandbox.baseUrl);
		const op = (operation: string, extra: IDataObject) =>
			runNode({
				node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation, remoteResource: 'clients', ...extra } },
				credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: cred }],
			});
		const created = await op('create', { recordData: '{"name": "Nieuwe Klant", "city": "Gent"}' });
		const id = created.output[0][0].json.client_id;
		expect(created.output[0][0].json).toMatchObject({ success: 'client created', client_id: expect.any(Number) });

		await op('update', { recordId: String(id), recordData: '{"email_address": "info@klant.be"}' });
		const got = await op('get', { recordId: String(id) });
		expect(got.output[0][0].json).toMatchObject({ name: 'Nieuwe Klant', city: 'Gent', email_address: 'info@klant.be' });
		expect(sandbox.log.find((e) => e.method === 'POST' && e.path === `/api/v1/clients/${id}`)).toBeDefined();

		const deleted = await op('delete', { recordId: String(id) });
		expect(deleted.output[0][0].json).toMatchObject({ deleted: true, id: String(id) });
		const gone = await op('get', { recordId: String(id) });
		expect((gone.error as Error).message).toBe(`404 Not Found from GET /api/v1/clients/${id}: "client not found"`);
	});

	it('rejects invalid JSON and an empty record ID before any request', async () => {
		const cred = credentialData('apiKey', sandbox.baseUrl);
		const bad = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'create', recordData: '{"name": ' } },
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: cred }],
		});
		expect((bad.error as Error).message).toMatch(/^The "recordData" parameter is not valid JSON/);
		const noId = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'get', recordId: '={{ $json.client_id ?? "" }}' } },
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: cred }],
		});
		expect((noId.error as Error).message).toBe('The Record ID is empty');
		expect(sandbox.log).toHaveLength(0);
	});

	it('reports a validation error per item with continueOnFail and goes on', async () => {
		const result = await runNode({
			node: {
				type: 'apiSync',
				continueOnFail: true,
				parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'create', recordData: '={{ $json }}' },
			},
			items: [{ name: 'Good' }, { city: 'No name' }, { name: 'Also good' }],
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		});
		expect(result.output[0].map((i) => [i.pairedItem, i.json.error ?? i.json.success])).toEqual([
			[{ item: 0 }, 'client created'],
			[{ item: 1 }, '400 Bad Request from POST /api/v1/clients: "name is required"'],
			[{ item: 2 }, 'client created'],
		]);
	});
});
