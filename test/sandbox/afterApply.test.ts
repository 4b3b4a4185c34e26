/**
 * The sandbox's response-side fault model: faults after the request was applied (scripted and share-based),
 * `Idempotency-Key` replay, and the custom-API listing mode — over plain HTTP and the control API.
 */
import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';

import { ACCOUNTS, API_KEYS } from './fixtures';
import { startSandbox, type Sandbox } from './server';

const OWNER_KEY = API_KEYS[0].key;

let sb: Sandbox;
beforeAll(async () => {
	sb = await startSandbox({ seed: false });
});
afterAll(async () => await sb.close());
beforeEach(() => sb.reset());

/** A request with the owner's key; never throws on a status; a reset becomes status 0. */
async function call(method: string, path: string, config: AxiosRequestConfig = {}): Promise<AxiosResponse | { status: 0 }> {
	try {
		return await axios.request({
			method,
			url: path.startsWith('/__sandbox') ? sb.url + path : sb.baseUrl + path,
			validateStatus: () => true,
			...config,
			headers: { Accept: 'application/json', 'X-API-Key': OWNER_KEY, ...(config.headers as Record<string, string>) },
		});
	} catch {
		return { status: 0 };
	}
}

const clients = () => sb.store.list(ACCOUNTS.owner, 'clients');

describe('faults after the request was applied', () => {
	it.each([502, 503, 504])('a scripted %i is answered after the record was created', async (status) => {
		sb.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status, afterApply: true }] });
		const response = await call('POST', '/clients', { data: { name: 'Applied' } });
		expect(response.status).toBe(status);
		expect(clients().map((c) => c.name)).toEqual(['Applied']);
		expect(sb.log[0]).toMatchObject({ status, fault: 'applied-error' });
	});

	it('a scripted reset drops the connection after the record was created', async () => {
		sb.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', reset: true, afterApply: true }] });
		expect((await call('POST', '/clients', { data: { name: 'Applied' } })).status).toBe(0);
		expect(clients()).toHaveLength(1);
		expect(sb.log[0]).toMatchObject({ status: 0, fault: 'applied-reset' });
	});

	it('share-based: the same seed gives the same faults, and every faulted write was applied', async () => {
		const runOnce = async () => {
			sb.reset();
			sb.setFaults({ appliedErrorShare: 0.3, appliedResetShare: 0.2, randomSeed: 42 });
			const statuses: number[] = [];
			for (let i = 0; i < 20; i++) statuses.push((await call('POST', '/clients', { data: { name: `C${i}` } })).status);
			expect(clients()).toHaveLength(20);
			return statuses;
		};
		const first = await runOnce();
		expect(first).toEqual(await runOnce());
		expect(first.some((s) => [502, 503, 504].includes(s))).toBe(true);
		expect(first).toContain(0);
		expect(first).toContain(201);
	});

	it('an earlier configuration draws the same faults as before (the new shares draw last)', async () => {
		sb.setFaults({ errorShare: 0.5, randomSeed: 3 });
		const statuses: number[] = [];
		for (let i = 0; i < 10; i++) statuses.push((await call('GET', '/clients')).status);
		sb.reset();
		sb.setFaults({ errorShare: 0.5, randomSeed: 3, appliedErrorShare: 0 });
		const again: number[] = [];
		for (let i = 0; i < 10; i++) again.push((await call('GET', '/clients')).status);
		expect(again).toEqual(statuses);
	});
});

describe('Idempotency-Key', () => {
	it('replays the stored answer for the same key and request, without applying it again', async () => {
		sb.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status: 504, afterApply: true }] });
		const headers = { 'Idempotency-Key': 'k-1' };
		expect((await call('POST', '/clients', { data: { name: 'Once' }, headers })).status).toBe(504);
		const repeat = (await call('POST', '/clients', { data: { name: 'Once' }, headers })) as AxiosResponse;
		expect(repeat.status).toBe(201);
		expect(repeat.headers['idempotent-replayed']).toBe('true');
		expect(clients()).toHaveLength(1);
		expect(repeat.data.client_id).toBe(clients()[0].client_id);
		expect(sb.log.map((e) => e.replayed ?? false)).toEqual([false, true]);
	});

	it('forgets a key after its time to live (default 24 hours, on the sandbox clock)', async () => {
		let now = Date.parse('2025-03-01T10:00:00Z');
		sb.setClock(() => new Date(now));
		sb.setIdempotencyTtl(60_000);
		const headers = { 'Idempotency-Key': 'k-ttl' };
		await call('POST', '/clients', { data: { name: 'Twice' }, headers });
		now += 59_000;
		expect(((await call('POST', '/clients', { data: { name: 'Twice' }, headers })) as AxiosResponse).headers['idempotent-replayed']).toBe('true');
		now += 1_000;
		const later = (await call('POST', '/clients', { data: { name: 'Twice' }, headers })) as AxiosResponse;
		expect(later.status).toBe(201);
		expect(later.headers['idempotent-replayed']).toBeUndefined();
		expect(clients()).toHaveLength(2);
	});

	it('refuses the same key with another request (422), and another caller cannot replay it', async () => {
		const headers = { 'Idempotency-Key': 'k-2' };
		await call('POST', '/clients', { data: { name: 'First' }, headers });
		expect((await call('POST', '/clients', { data: { name: 'Other' }, headers })).status).toBe(422);
		const stranger = await call('POST', '/clients', { data: { name: 'First' }, headers: { ...headers, 'X-API-Key': API_KEYS[1].key } });
		expect(stranger.status).toBe(422);
		expect(clients()).toHaveLength(1);
	});
});

describe('listing mode', () => {
	beforeEach(() => {
		for (let i = 0; i < 7; i++) sb.store.insert(ACCOUNTS.owner, 'clients', { name: `C${i}` });
	});

	it('caps pages and puts next links in the body, echoing the query', async () => {
		sb.setListing({ maxPageSize: 3, nextLinks: 'body', linkTarget: 'root-relative' });
		const page = (await call('GET', '/clients?take=50&api_key=x')) as AxiosResponse;
		expect(page.data.data).toHaveLength(3);
		expect(page.data.next).toBe('/api/v1/clients?take=50&api_key=x&skip=3');
	});

	it('puts next links in a Link header, to another origin, set over the control API', async () => {
		const set = await call('POST', '/__sandbox/listing', { data: { maxPageSize: 5, nextLinks: 'header', linkTarget: { origin: 'http://other.test' }, echoQuery: false } });
		expect(set.status).toBe(200);
		const page = (await call('GET', '/clients')) as AxiosResponse;
		expect(page.data).toHaveLength(5);
		expect(page.headers.link).toBe('<http://other.test/api/v1/clients?skip=5&take=5>; rel="next"');
		const last = (await call('GET', '/clients?skip=5&take=5')) as AxiosResponse;
		expect(last.data).toHaveLength(2);
		expect(last.headers.link).toBeUndefined();
	});

	it('pages by an opaque cursor token (HubSpot paging.next.after and link), set over the control API', async () => {
		await call('POST', '/__sandbox/listing', { data: { tokens: { kind: 'cursor', param: 'after', tokenPath: 'paging.next.after', recordsKey: 'results', defaultLimit: 3 } } });
		const first = (await call('GET', '/clients')) as AxiosResponse;
		expect(first.data.results.map((c: { name: string }) => c.name)).toEqual(['C0', 'C1', 'C2']);
		const after = first.data.paging.next.after as string;
		expect(first.data.paging.next.link).toBe(`${sb.url}/api/v1/clients?after=${after}`);
		const third = (await call('GET', `/clients?after=${after}&limit=4`)) as AxiosResponse;
		expect(third.data.results.map((c: { name: string }) => c.name)).toEqual(['C3', 'C4', 'C5', 'C6']);
		expect(third.data.paging).toBeUndefined();
		expect((await call('GET', '/clients?after=not-a-token')).status).toBe(400);
	});

	it('pages by the last record id with has_more (Stripe), and by page numbers', async () => {
		sb.setListing({ tokens: { kind: 'lastId', param: 'starting_after', hasMoreKey: 'has_more', defaultLimit: 5 } });
		const first = (await call('GET', '/clients')) as AxiosResponse;
		expect(first.data).toMatchObject({ has_more: true });
		const lastId = first.data.data[4].client_id as number;
		const second = (await call('GET', `/clients?starting_after=${lastId}`)) as AxiosResponse;
		expect(second.data.data.map((c: { name: string }) => c.name)).toEqual(['C5', 'C6']);
		expect(second.data.has_more).toBe(false);
		expect((await call('GET', '/clients?starting_after=999999')).status).toBe(400);

		sb.setListing({ pageNumbers: {}, maxPageSize: 3 });
		const page3 = (await call('GET', '/clients?page=3&per_page=50')) as AxiosResponse;
		expect(page3.data.map((c: { name: string }) => c.name)).toEqual(['C6']);
	});

	it('deletes and inserts records between two pages, once, as scripted over the control API', async () => {
		const ids = clients().map((c) => c.client_id as number);
		await call('POST', '/__sandbox/faults', { data: { changes: [{ path: '/api/v1/clients?skip=3&take=3', account: ACCOUNTS.owner, domain: 'clients', delete: [ids[0]], insert: [{ name: 'New' }] }] } });
		const first = (await call('GET', '/clients?skip=0&take=3')) as AxiosResponse;
		expect(first.data.map((c: { name: string }) => c.name)).toEqual(['C0', 'C1', 'C2']);
		const second = (await call('GET', '/clients?skip=3&take=3')) as AxiosResponse;
		// C0 is gone: C3 moved onto the first page, and the second starts at C4.
		expect(second.data.map((c: { name: string }) => c.name)).toEqual(['C4', 'C5', 'C6']);
		expect(clients().map((c) => c.name)).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6', 'New']);
		await call('GET', '/clients?skip=3&take=3');
		expect(clients()).toHaveLength(7);
	});

	it('logs how many requests were in flight when each arrived', async () => {
		sb.setFaults({ latencyMs: 50 });
		await Promise.all([call('GET', '/clients'), call('GET', '/clients'), call('GET', '/clients')]);
		expect(Math.max(...sb.log.map((e) => e.inFlight ?? 0))).toBe(3);
	});

	it('is off after reset', async () => {
		sb.setListing({ maxPageSize: 1 });
		sb.reset();
		for (let i = 0; i < 7; i++) sb.store.insert(ACCOUNTS.owner, 'clients', { name: `C${i}` });
		expect(((await call('GET', '/clients')) as AxiosResponse).data).toHaveLength(7);
	});
});

describe('redirect to another origin', () => {
	it('answers 302 with the same path and query on the other origin, without applying the request', async () => {
		sb.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', redirectTo: 'http://127.0.0.1:9/' }] });
		const response = (await call('GET', '/clients?take=5', { maxRedirects: 0 })) as AxiosResponse;
		expect(response.status).toBe(302);
		expect(response.headers.location).toBe('http://127.0.0.1:9/api/v1/clients?take=5');
	});

	it('a 303 See Other after the write was applied', async () => {
		sb.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/clients', status: 303, redirectTo: 'http://127.0.0.1:9', afterApply: true }] });
		const response = (await call('POST', '/clients', { data: { name: 'Applied' }, maxRedirects: 0 })) as AxiosResponse;
		expect(response.status).toBe(303);
		expect(response.headers.location).toBe('http://127.0.0.1:9/api/v1/clients');
		expect(clients()).toHaveLength(1);
	});
});
