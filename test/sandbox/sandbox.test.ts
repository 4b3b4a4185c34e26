import { createHash, createHmac } from 'node:crypto';
import * as http from 'node:http';

import axios, { type AxiosRequestConfig, type AxiosResponse } from 'axios';

import {
	ACCOUNTS,
	ALL_SECRETS,
	API_KEYS,
	BEARER_TOKENS,
	FIRST_IDS,
	HMAC_KEYS,
	OAUTH_CLIENTS,
	OAUTH_TOKEN_LIFETIME_SECONDS,
	SEED_TIMESTAMP,
	USERS,
	type SandboxUser,
} from './fixtures';
import { startSandbox, type Sandbox } from './server';

const [OWNER, ACCOUNTANT] = USERS;
const OWNER_KEY = API_KEYS[0].key;
const PORTAL_KEY = API_KEYS[1].key;
const CLIENT = OAUTH_CLIENTS[0];
const HMAC_SECRET = HMAC_KEYS[0].secret;

let sb: Sandbox;

beforeAll(async () => {
	sb = await startSandbox();
});

afterAll(async () => {
	await sb.close();
});

beforeEach(() => {
	sb.reset();
});

/** Any request against the sandbox; never throws on HTTP status. */
function call(method: string, path: string, config: AxiosRequestConfig = {}): Promise<AxiosResponse> {
	const url = path.startsWith('/__sandbox') ? sb.url + path : sb.baseUrl + path;
	return axios.request({
		method,
		url,
		validateStatus: () => true,
		transformResponse: (data) => data,
		...config,
		headers: { Accept: 'application/json', ...(config.headers as Record<string, string>) },
	});
}

/** Request with the owner's API key; JSON response parsed. */
async function owner(method: string, path: string, data?: unknown, headers: Record<string, string> = {}) {
	return json(await call(method, path, { data, headers: { 'X-API-Key': OWNER_KEY, ...headers } }));
}

function json(response: AxiosResponse): AxiosResponse {
	const text = String(response.data ?? '');
	response.data = text === '' ? '' : JSON.parse(text);
	return response;
}

function basic(user: Pick<SandboxUser, 'email' | 'password'>): string {
	return 'Basic ' + Buffer.from(`${user.email}:${user.password}`).toString('base64');
}

function lastLog() {
	return sb.log[sb.log.length - 1];
}

describe('authentication', () => {
	it('accepts Basic auth and logs the e-mail, not the password', async () => {
		const res = json(await call('GET', '/accounts/current', { headers: { Authorization: basic(OWNER) } }));
		expect(res.status).toBe(200);
		expect(res.data).toEqual({ account_id: ACCOUNTS.owner, name: expect.any(String) });
		expect(lastLog().auth).toEqual({ scheme: 'basic', principal: OWNER.email, account: ACCOUNTS.owner });
	});

	it('rejects a wrong password without echoing it', async () => {
		const res = await call('GET', '/clients', { headers: { Authorization: basic({ ...OWNER, password: 'nope-secret' }) } });
		expect(res.status).toBe(401);
		expect(JSON.parse(res.data)).toEqual({ error: 'invalid credentials' });
		expect(res.data).not.toContain('nope-secret');
	});

	it('asks for authentication when none is sent', async () => {
		const res = json(await call('GET', '/clients'));
		expect(res.status).toBe(401);
		expect(res.data).toEqual({ error: 'authentication required' });
	});

	it('accepts an API key in the X-API-Key header or the api_key query parameter', async () => {
		expect((await call('GET', '/clients', { headers: { 'X-API-Key': OWNER_KEY } })).status).toBe(200);
		expect((await call('GET', `/clients?api_key=${OWNER_KEY}`)).status).toBe(200);
		expect(lastLog().auth).toEqual({ scheme: 'apikey', principal: 'fixture-key-1', account: ACCOUNTS.owner });
		const bad = json(await call('GET', '/clients', { headers: { 'X-API-Key': 'ef-key-wrong' } }));
		expect(bad.status).toBe(401);
		expect(bad.data).toEqual({ error: 'invalid credentials' });
	});

	it('accepts the fixture bearer token and rejects others', async () => {
		const ok = await call('GET', '/clients', { headers: { Authorization: `Bearer ${BEARER_TOKENS[0].token}` } });
		expect(ok.status).toBe(200);
		expect(lastLog().auth?.scheme).toBe('bearer');
		const bad = json(await call('GET', '/clients', { headers: { Authorization: 'Bearer not-a-token' } }));
		expect(bad.status).toBe(401);
		expect(bad.data).toEqual({ error: 'invalid credentials' });
	});

	it('never logs a secret as principal', async () => {
		await call('GET', '/clients', { headers: { Authorization: basic(ACCOUNTANT) } });
		await call('GET', '/clients', { headers: { 'X-API-Key': PORTAL_KEY } });
		await call('GET', '/clients', { headers: { Authorization: `Bearer ${BEARER_TOKENS[0].token}` } });
		const principals = JSON.stringify(sb.log.map((entry) => entry.auth));
		for (const secret of ALL_SECRETS) expect(principals).not.toContain(secret);
	});
});

describe('X-AccountId', () => {
	it('refuses other accounts to a non-portal user and explains why', async () => {
		const res = json(
			await call('GET', '/clients', { headers: { Authorization: basic(OWNER), 'X-AccountId': ACCOUNTS.other } }),
		);
		expect(res.status).toBe(403);
		expect(res.data.error).toMatch(/^no access to account B10000001: .*not an accountant-portal user/);
	});

	it('lets a portal user choose one of its accounts', async () => {
		const headers = { Authorization: basic(ACCOUNTANT), 'X-AccountId': ACCOUNTS.portalClients[0] };
		const res = json(await call('GET', '/clients', { headers }));
		expect(res.status).toBe(200);
		expect(res.data).toHaveLength(1);
		expect(lastLog().auth?.account).toBe(ACCOUNTS.portalClients[0]);
	});

	it('refuses a portal user an account outside its portal', async () => {
		const headers = { 'X-API-Key': PORTAL_KEY, 'X-AccountId': ACCOUNTS.owner };
		const res = json(await call('GET', '/clients', { headers }));
		expect(res.status).toBe(403);
		expect(res.data).toEqual({ error: `no access to account ${ACCOUNTS.owner}` });
	});

	it('uses the default account without the header', async () => {
		const res = json(await call('GET', '/accounts/current', { headers: { 'X-API-Key': PORTAL_KEY } }));
		expect(res.data.account_id).toBe(ACCOUNTS.portal);
	});
});

describe('formats', () => {
	it('answers XML by default', async () => {
		const res = await call('GET', '/clients', { headers: { Accept: '*/*', 'X-API-Key': OWNER_KEY } });
		expect(res.headers['content-type']).toContain('application/xml');
		expect(res.data).toMatch(/^<\?xml [^>]*\?>\s*<clients><client><client_id>101<\/client_id>/);
	});

	it('answers JSON with Accept: application/json or format=json', async () => {
		const byQuery = await call('GET', '/clients?format=json', { headers: { Accept: '*/*', 'X-API-Key': OWNER_KEY } });
		expect(byQuery.headers['content-type']).toContain('application/json');
		expect(JSON.parse(byQuery.data)).toHaveLength(3);
		expect((await owner('GET', '/clients/101')).data.name).toBe('Bakkerij De Gouden Korst');
	});

	it('rejects an unparsable JSON body', async () => {
		const headers = { 'Content-Type': 'application/json', 'X-API-Key': OWNER_KEY };
		const raw = { data: '{"name": ', headers, transformRequest: [(data: unknown) => data] };
		const res = json(await call('POST', '/clients', raw));
		expect(res.status).toBe(400);
		expect(res.data).toEqual({ error: 'invalid JSON body' });
	});
});

describe('listing', () => {
	beforeEach(() => {
		for (let i = 1; i <= 120; i++) {
			sb.store.insert(ACCOUNTS.owner, 'clients', { name: `Bulk ${String(i).padStart(3, '0')}`, city: i % 2 ? 'Gent' : 'Brugge' });
		}
	});

	it('pages with skip and take (default 50, clamped to 1..100)', async () => {
		expect((await owner('GET', '/clients')).data).toHaveLength(50);
		expect((await owner('GET', '/clients?take=500')).data).toHaveLength(100);
		expect((await owner('GET', '/clients?take=0')).data).toHaveLength(1);
		const page = (await owner('GET', '/clients?skip=120&take=10')).data;
		expect(page.map((c: { client_id: number }) => c.client_id)).toEqual([224, 225, 226]);
	});

	it('filters with every operator', async () => {
		const ids = async (filter: string) =>
			(await owner('GET', `/clients?take=100&filter=${encodeURIComponent(filter)}`)).data.map(
				(c: { client_id: number }) => c.client_id,
			);
		expect(await ids('name=~BAKKERIJ')).toEqual([101]);
		expect(await ids('client_id<=102')).toEqual([101, 102]);
		expect(await ids('client_id>225')).toEqual([226]);
		expect(await ids('client_id>=224,city=Gent')).toEqual([225]);
		expect(await ids('client_id<103,city!=Gent')).toEqual([102]);
		expect(await ids('last_modified<2026-01-05T10:00:00Z')).toEqual([101, 102, 103]);
		expect(await ids(`last_modified=${SEED_TIMESTAMP}`)).toEqual([101, 102, 103]);
		expect(await ids('number=K002')).toEqual([102]);
		const bad = await owner('GET', `/clients?filter=${encodeURIComponent('name~x')}`);
		expect(bad.status).toBe(400);
		expect(bad.data.error).toMatch(/operator/);
	});

	it('searches, selects fields and sorts', async () => {
		const found = (await owner('GET', '/clients?search=peeters')).data;
		expect(found.map((c: { client_id: number }) => c.client_id)).toEqual([102]);
		const fields = (await owner('GET', '/clients?take=2&fields=client_id,name')).data;
		expect(fields).toEqual([
			{ client_id: 101, name: 'Bakkerij De Gouden Korst' },
			{ client_id: 102, name: 'Fietsen Peeters' },
		]);
		const sorted = (await owner('GET', '/clients?take=3&fields=client_id&sort=city+-name')).data;
		expect(sorted).toEqual([{ client_id: 103 }, { client_id: 226 }, { client_id: 224 }]);
		const descending = (await owner('GET', '/clients?take=2&fields=client_id&sort=-client_id')).data;
		expect(descending).toEqual([{ client_id: 226 }, { client_id: 225 }]);
	});
});

describe('records', () => {
	it('creates, reads, updates, replaces and deletes a client', async () => {
		sb.setClock(() => new Date('2026-11-22T16:17:20.123Z'));
		const created = await owner('POST', '/clients', { name: 'Nieuwe Klant', city: 'Gent', extra: 'kept' });
		expect(created.status).toBe(201);
		const id = FIRST_IDS.clients + 6;
		expect(created.data).toEqual({ success: 'client created', client_id: id, uri: `${sb.baseUrl}/clients/${id}` });
		expect((await owner('GET', `/clients/${id}`)).data).toEqual({
			client_id: id,
			name: 'Nieuwe Klant',
			city: 'Gent',
			extra: 'kept',
			created: '2026-11-22T16:17:20Z',
			last_modified: '2026-11-22T16:17:20Z',
		});

		sb.setClock(() => new Date('2026-11-23T08:00:00Z'));
		const patched = await owner('POST', `/clients/${id}`, { city: 'Brugge' });
		expect(patched.status).toBe(200);
		expect(patched.data).toMatchObject({ success: 'client updated', client_id: id });
		expect(sb.store.get(ACCOUNTS.owner, 'clients', id)).toMatchObject({
			name: 'Nieuwe Klant',
			city: 'Brugge',
			created: '2026-11-22T16:17:20Z',
			last_modified: '2026-11-23T08:00:00Z',
		});

		expect((await owner('PUT', `/clients/${id}`, { name: 'Vervangen' })).status).toBe(200);
		const replaced = sb.store.get(ACCOUNTS.owner, 'clients', id);
		expect(replaced).toMatchObject({ name: 'Vervangen', created: '2026-11-22T16:17:20Z' });
		expect(replaced).not.toHaveProperty('city');

		expect((await owner('DELETE', `/clients/${id}`)).data).toEqual({ success: 'client deleted' });
		const gone = await owner('GET', `/clients/${id}`);
		expect(gone.status).toBe(404);
		expect(gone.data).toEqual({ error: 'client not found' });
	});

	it('validates clients, stock items and invoices', async () => {
		expect((await owner('POST', '/clients', { city: 'Gent' })).data).toEqual({ error: 'name is required' });
		expect((await owner('POST', '/clients', { name: 'x'.repeat(76) })).status).toBe(400);
		expect((await owner('POST', '/clients', { name: 'a', external_client_id: 'e'.repeat(51) })).status).toBe(400);
		expect((await owner('POST', '/clients/101', { name: '' })).data).toEqual({ error: 'name is required' });
		const duplicate = await owner('POST', '/stockitems', { code: 'BRD-01', description: 'again' });
		expect(duplicate.status).toBe(400);
		expect(duplicate.data.error).toMatch(/code must be unique/);
		expect((await owner('POST', '/stockitems', { code: 'NEW-1' })).data).toEqual({ error: 'description is required' });
		expect((await owner('POST', '/invoices', { client_id: 104 })).status).toBe(400);
		const invoice = await owner('POST', '/invoices', { client_id: 101, items: [], total: 0 });
		expect(invoice.data).toMatchObject({ success: 'invoice created', invoice_id: FIRST_IDS.invoices + 1 });
	});

	it('keeps accounts apart', async () => {
		expect((await owner('GET', '/clients/104')).status).toBe(404);
		expect(sb.store.count(ACCOUNTS.portalClients[0], 'clients')).toBe(1);
	});
});

describe('bulk', () => {
	it('creates and updates items; a bad item does not stop the others', async () => {
		const clients = [{ name: 'Eén' }, { city: 'no name' }, { client_id: 101, city: 'Brugge' }, { client_id: 999, name: 'x' }];
		const res = await owner('POST', '/clients?bulk', { clients });
		expect(res.status).toBe(200);
		expect(res.data).toEqual({
			success: 'bulk processed',
			results: [
				{ success: 'client created', client_id: 107 },
				{ error: 'name is required' },
				{ success: 'client updated', client_id: 101 },
				{ error: 'client not found' },
			],
		});
		expect(sb.store.get(ACCOUNTS.owner, 'clients', 101)?.city).toBe('Brugge');
	});

	it('enforces unique codes within one stock item batch', async () => {
		const stockitems = [
			{ code: 'A', description: 'a' },
			{ code: 'A', description: 'again' },
		];
		const results = (await owner('POST', '/stockitems?bulk', { stockitems })).data.results;
		expect(results[0]).toEqual({ success: 'stockitem created', stockitem_id: 203 });
		expect(results[1].error).toMatch(/code must be unique/);
	});

	it('refuses more than 100 items and bulk on invoices', async () => {
		const clients = Array.from({ length: 101 }, (_, i) => ({ name: `c${i}` }));
		expect((await owner('POST', '/clients?bulk', { clients })).status).toBe(400);
		expect((await owner('POST', '/invoices?bulk', { invoices: [] })).status).toBe(400);
		expect(sb.store.count(ACCOUNTS.owner, 'clients')).toBe(3);
	});
});

describe('API keys', () => {
	const create = (body: unknown, headers: Record<string, string>) =>
		call('POST', '/apikeys', { data: body, headers }).then(json);

	it('creates a key with Basic auth that works like any key', async () => {
		const res = await create({ name: 'Integratie met webshop' }, { Authorization: basic(OWNER) });
		expect(res.status).toBe(201);
		expect(res.data).toMatchObject({ success: 'apikey created', apikey_id: 1, name: 'Integratie met webshop' });
		expect(res.data.account_id).toBe(ACCOUNTS.owner);
		expect(res.data.rights).toContain('clients');
		const use = await call('GET', '/clients', { headers: { 'X-API-Key': res.data.apikey } });
		expect(use.status).toBe(200);
		expect(lastLog().auth).toEqual({ scheme: 'apikey', principal: 'apikey-1', account: ACCOUNTS.owner });
		expect(sb.issuedApiKeys(ACCOUNTS.owner)).toHaveLength(1);
	});

	it('creates keys only with Basic auth and validates the body', async () => {
		const viaKey = await create({ name: 'x' }, { 'X-API-Key': OWNER_KEY });
		expect(viaKey.status).toBe(403);
		expect(viaKey.data.error).toMatch(/only be created with Basic authentication/);
		expect((await create({}, { Authorization: basic(OWNER) })).data).toEqual({ error: 'name is required' });
		const unknown = await create({ name: 'x', rights: ['clients', 'x'] }, { Authorization: basic(OWNER) });
		expect(unknown.data).toEqual({ error: 'unknown right: x' });
	});

	it('enforces rights per domain and method', async () => {
		const res = await create({ name: 'read only', rights: ['clients:read', 'stockitems'] }, { Authorization: basic(OWNER) });
		const headers = { 'X-API-Key': res.data.apikey };
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
		expect((await call('POST', '/stockitems', { headers, data: { code: 'Z', description: 'z' } })).status).toBe(201);
		expect((await call('GET', '/accounts/current', { headers })).status).toBe(200);
		const post = json(await call('POST', '/clients', { headers, data: { name: 'x' } }));
		expect(post.status).toBe(403);
		expect(post.data).toEqual({ error: 'this API key has no right to POST clients' });
		expect((await call('GET', '/invoices', { headers })).status).toBe(403);
	});

	it('binds a portal user key to the chosen account', async () => {
		const target = ACCOUNTS.portalClients[1];
		const res = await create({ name: 'client two' }, { Authorization: basic(ACCOUNTANT), 'X-AccountId': target });
		expect(res.data.account_id).toBe(target);
		const current = json(await call('GET', '/accounts/current', { headers: { 'X-API-Key': res.data.apikey } }));
		expect(current.data.account_id).toBe(target);
		const other = { 'X-API-Key': res.data.apikey, 'X-AccountId': ACCOUNTS.portal };
		expect((await call('GET', '/clients', { headers: other })).status).toBe(403);
	});
});

describe('OAuth2', () => {
	const token = (form: Record<string, string>, headers: Record<string, string> = {}) =>
		call('POST', '/oauth/token', {
			data: new URLSearchParams(form).toString(),
			headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers },
		}).then(json);
	const clientBasic = basic({ email: CLIENT.clientId, password: CLIENT.clientSecret });
	const bearer = (accessToken: string) => ({ Authorization: `Bearer ${accessToken}` });

	async function authorizationCode(redirectUri = 'http://localhost:5678/callback'): Promise<string> {
		const query = new URLSearchParams({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: redirectUri, state: 's1' });
		const res = await call('GET', `/oauth/authorize?${query}`, { maxRedirects: 0 });
		expect(res.status).toBe(302);
		const location = new URL(res.headers.location as string);
		expect(location.origin + location.pathname).toBe(redirectUri);
		expect(location.searchParams.get('state')).toBe('s1');
		return location.searchParams.get('code') as string;
	}

	it('issues client-credentials tokens (Basic header or body parameters)', async () => {
		const viaHeader = await token({ grant_type: 'client_credentials' }, { Authorization: clientBasic });
		expect(viaHeader.status).toBe(200);
		expect(viaHeader.data).toMatchObject({ token_type: 'Bearer', expires_in: OAUTH_TOKEN_LIFETIME_SECONDS });
		expect(viaHeader.data).not.toHaveProperty('refresh_token');
		const viaBody = await token({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: CLIENT.clientSecret });
		const current = json(await call('GET', '/accounts/current', { headers: bearer(viaBody.data.access_token) }));
		expect(current.data.account_id).toBe(CLIENT.account);
		expect(lastLog().auth).toEqual({ scheme: 'oauth2', principal: CLIENT.clientId, account: CLIENT.account });
	});

	it('rejects a bad client', async () => {
		const res = await token({ grant_type: 'client_credentials', client_id: CLIENT.clientId, client_secret: 'wrong' });
		expect(res.status).toBe(401);
		expect(res.data).toEqual({ error: 'invalid_client' });
	});

	it('runs the authorization-code flow, refreshes and expires tokens', async () => {
		const redirectUri = 'http://localhost:5678/callback';
		const code = await authorizationCode(redirectUri);
		const wrongRedirect = await token(
			{ grant_type: 'authorization_code', code, redirect_uri: 'http://evil.example/cb' },
			{ Authorization: clientBasic },
		);
		expect(wrongRedirect.data).toEqual({ error: 'invalid_grant' });

		const code2 = await authorizationCode(redirectUri);
		const granted = await token({ grant_type: 'authorization_code', code: code2, redirect_uri: redirectUri }, { Authorization: clientBasic });
		expect(granted.status).toBe(200);
		expect(granted.data.refresh_token).toEqual(expect.any(String));
		expect((await call('GET', '/clients', { headers: bearer(granted.data.access_token) })).status).toBe(200);
		const reused = await token({ grant_type: 'authorization_code', code: code2, redirect_uri: redirectUri }, { Authorization: clientBasic });
		expect(reused.status).toBe(400);

		sb.expireOAuthTokens();
		const expired = json(await call('GET', '/clients', { headers: bearer(granted.data.access_token) }));
		expect(expired.status).toBe(401);
		expect(expired.data).toEqual({ error: 'access token expired' });

		const refreshed = await token({ grant_type: 'refresh_token', refresh_token: granted.data.refresh_token }, { Authorization: clientBasic });
		expect(refreshed.status).toBe(200);
		expect(refreshed.data.refresh_token).toEqual(expect.any(String));
		expect((await call('GET', '/clients', { headers: bearer(refreshed.data.access_token) })).status).toBe(200);
		const badRefresh = await token({ grant_type: 'refresh_token', refresh_token: 'nope' }, { Authorization: clientBasic });
		expect(badRefresh.data).toEqual({ error: 'invalid_grant' });
	});

	it('consent page: Allow redirects with a code, Deny with access_denied, a ticket answers once', async () => {
		sb.setOAuthConsent('page');
		const redirectUri = 'http://localhost:5678/rest/oauth2-credential/callback';
		const query = new URLSearchParams({ response_type: 'code', client_id: CLIENT.clientId, redirect_uri: redirectUri, state: 's<1>', scope: 'api' });
		const page = await call('GET', `/oauth/authorize?${query}`, { maxRedirects: 0, headers: { Accept: 'text/html' } });
		expect(page.status).toBe(200);
		expect(page.headers['content-type']).toMatch(/^text\/html/);
		const html = String(page.data);
		expect(html).toContain(`<strong id="client">${CLIENT.clientId}</strong>`);
		expect(html).toContain('<code id="redirect-host">localhost:5678</code>');
		expect(html).not.toContain('s<1>'); // the state travels in the ticket, never echoed unescaped
		const ticket = /name="ticket" value="([^"]+)"/.exec(html)![1];
		const answer = (decision: string, t = ticket) =>
			call('POST', '/oauth/authorize', {
				maxRedirects: 0,
				data: new URLSearchParams({ ticket: t, decision }).toString(),
				headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
			});

		const allowed = await answer('allow');
		expect(allowed.status).toBe(302);
		const location = new URL(allowed.headers.location as string);
		expect(location.origin + location.pathname).toBe(redirectUri);
		expect(location.searchParams.get('state')).toBe('s<1>');
		const code = location.searchParams.get('code')!;
		const granted = await token({ grant_type: 'authorization_code', code, redirect_uri: redirectUri }, { Authorization: clientBasic });
		expect(granted.status).toBe(200);
		expect(granted.data.refresh_token).toEqual(expect.any(String));
		expect((await answer('allow')).status).toBe(400); // the same page cannot be answered twice

		const again = await call('GET', `/oauth/authorize?${query}`, { maxRedirects: 0 });
		const denied = await answer('deny', /name="ticket" value="([^"]+)"/.exec(String(again.data))![1]);
		const deniedAt = new URL(denied.headers.location as string);
		expect(deniedAt.searchParams.get('error')).toBe('access_denied');
		expect(deniedAt.searchParams.get('code')).toBeNull();
		expect(deniedAt.searchParams.get('state')).toBe('s<1>');

		// Over the control API too; reset() approves at once again.
		expect((await call('POST', '/__sandbox/oauth-consent', { data: { mode: 'sideways' } })).status).toBe(400);
		sb.reset();
		expect((await call('GET', `/oauth/authorize?${query}`, { maxRedirects: 0 })).status).toBe(302);
		expect((await call('POST', '/__sandbox/oauth-consent', { data: { mode: 'page' } })).status).toBe(200);
		expect((await call('GET', `/oauth/authorize?${query}`, { maxRedirects: 0 })).status).toBe(200);
	});

	it('revoked grants: refresh tokens answer invalid_grant, their access tokens 401; client-credentials tokens still work', async () => {
		const code = await authorizationCode();
		const granted = await token({ grant_type: 'authorization_code', code, redirect_uri: 'http://localhost:5678/callback' }, { Authorization: clientBasic });
		const machine = await token({ grant_type: 'client_credentials' }, { Authorization: clientBasic });
		expect((await call('POST', '/__sandbox/revoke-oauth-grants')).status).toBe(200);

		expect((await call('GET', '/clients', { headers: bearer(granted.data.access_token) })).status).toBe(401);
		const refresh = await token({ grant_type: 'refresh_token', refresh_token: granted.data.refresh_token }, { Authorization: clientBasic });
		expect(refresh.status).toBe(400);
		expect(refresh.data).toEqual({ error: 'invalid_grant' });
		expect((await call('GET', '/clients', { headers: bearer(machine.data.access_token) })).status).toBe(200);
		expect(sb.issuedOAuthTokens()).toEqual({
			accessTokens: [granted.data.access_token, machine.data.access_token],
			refreshTokens: [granted.data.refresh_token],
		});
	});

	it('expires access tokens after their lifetime on the sandbox clock', async () => {
		const granted = await token({ grant_type: 'client_credentials' }, { Authorization: clientBasic });
		const later = Date.now() + (OAUTH_TOKEN_LIFETIME_SECONDS + 1) * 1000;
		sb.setClock(() => new Date(later));
		expect((await call('GET', '/clients', { headers: bearer(granted.data.access_token) })).status).toBe(401);
	});
});

describe('HMAC', () => {
	const nowSeconds = () => String(Math.floor(Date.now() / 1000));
	const hmacHex = (message: string, secret = HMAC_SECRET) => createHmac('sha256', secret).update(message).digest('hex');

	it('accepts the default template and rejects a bad signature', async () => {
		const timestamp = nowSeconds();
		const headers = { 'X-Timestamp': timestamp, 'X-Signature': hmacHex(timestamp), 'X-Key-Id': 'hmac-key-1' };
		const ok = await call('GET', '/accounts/current', { headers });
		expect(ok.status).toBe(200);
		expect(lastLog().auth).toEqual({ scheme: 'hmac', principal: 'hmac-key-1', account: ACCOUNTS.owner });
		const bad = json(await call('GET', '/clients', { headers: { ...headers, 'X-Signature': hmacHex(timestamp, 'other') } }));
		expect(bad.status).toBe(401);
		expect(bad.data).toEqual({ error: 'invalid signature' });
		const wrongKey = await call('GET', '/clients', { headers: { ...headers, 'X-Key-Id': 'other-key' } });
		expect(wrongKey.status).toBe(401);
	});

	it('rejects a stale timestamp', async () => {
		const stale = String(Math.floor(Date.now() / 1000) - 301);
		const res = json(await call('GET', '/clients', { headers: { 'X-Timestamp': stale, 'X-Signature': hmacHex(stale) } }));
		expect(res.status).toBe(401);
		expect(res.data).toEqual({ error: 'timestamp outside the allowed window of 300 s' });
	});

	it('verifies a template over method, path and body hash', async () => {
		sb.setHmacConfig({ template: '{timestamp}\\n{method}\\n{path}\\n{bodySha256}' });
		const body = JSON.stringify({ name: 'Signed Client' });
		const path = '/api/v1/clients?format=json';
		const timestamp = nowSeconds();
		const bodyHash = createHash('sha256').update(body).digest('hex');
		const signature = hmacHex(`${timestamp}\nPOST\n${path}\n${bodyHash}`);
		const headers = { 'Content-Type': 'application/json', 'X-Timestamp': timestamp, 'X-Signature': signature };
		const ok = await call('POST', '/clients?format=json', { data: body, headers });
		expect(ok.status).toBe(201);
		const tampered = await call('POST', '/clients?format=json', { data: body.replace('Signed', 'Forged'), headers });
		expect(tampered.status).toBe(401);
	});

	it('supports other algorithms, base64, a prefix and single-use nonces', async () => {
		sb.setHmacConfig({ algorithm: 'sha512', encoding: 'base64', prefix: 'v1=', template: '{nonce}:{timestamp}' });
		const timestamp = nowSeconds();
		const sign = (nonce: string) =>
			'v1=' + createHmac('sha512', HMAC_SECRET).update(`${nonce}:${timestamp}`).digest('base64');
		const headers = { 'X-Timestamp': timestamp, 'X-Nonce': 'n-1', 'X-Signature': sign('n-1') };
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
		const replay = json(await call('GET', '/clients', { headers }));
		expect(replay.status).toBe(401);
		expect(replay.data).toEqual({ error: 'nonce already used' });
	});
});

describe('faults', () => {
	it('answers scripted faults once, in order of match', async () => {
		sb.setFaults({
			scripted: [
				{ method: 'POST', path: '/api/v1/apikeys', status: 500 },
				{ path: /clients/, status: 502, body: '<html>Bad gateway</html>', contentType: 'text/html' },
			],
		});
		const headers = { Authorization: basic(OWNER) };
		expect((await call('POST', '/apikeys', { headers, data: { name: 'k' } })).status).toBe(500);
		expect(lastLog().fault).toBe('scripted');
		expect((await call('POST', '/apikeys', { headers, data: { name: 'k' } })).status).toBe(201);
		const html = await call('GET', '/clients', { headers });
		expect(html.status).toBe(502);
		expect(html.headers['content-type']).toBe('text/html');
		expect(html.data).toBe('<html>Bad gateway</html>');
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
	});

	it('resets the connection and logs status 0', async () => {
		sb.setFaults({ scripted: [{ path: '/api/v1/clients', reset: true }] });
		await expect(call('GET', '/clients', { headers: { 'X-API-Key': OWNER_KEY } })).rejects.toThrow();
		expect(lastLog()).toMatchObject({ status: 0, fault: 'scripted' });
	});

	it('limits requests per fixed window with Retry-After', async () => {
		sb.setFaults({ rateLimit: { maxRequests: 2, windowMs: 60_000 } });
		const headers = { 'X-API-Key': OWNER_KEY };
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
		const limited = json(await call('GET', '/clients', { headers }));
		expect(limited.status).toBe(429);
		expect(limited.data).toEqual({ error: 'too many requests' });
		expect(Number(limited.headers['retry-after'])).toBeGreaterThanOrEqual(59);
		expect((await call('GET', '/__sandbox/log')).status).toBe(200);
	});

	it('injects share-based faults deterministically for a seed', async () => {
		const run = async () => {
			sb.reset();
			sb.setFaults({ randomSeed: 42, rateLimitShare: 0.25, errorShare: 0.25, retryAfter: '2' });
			const statuses: number[] = [];
			for (let i = 0; i < 40; i++) {
				statuses.push((await call('GET', '/accounts/current', { headers: { 'X-API-Key': OWNER_KEY } })).status);
			}
			return statuses;
		};
		const first = await run();
		expect(await run()).toEqual(first);
		expect(first).toContain(429);
		expect(first).toContain(200);
		expect(first.some((status) => status === 500 || status === 503)).toBe(true);
		expect(sb.log.find((entry) => entry.status === 429)?.fault).toBe('rate-limit');
	});

	it('applies latency and honours pathPattern', async () => {
		sb.setFaults({ latencyMs: 60, errorShare: 1, pathPattern: /\/invoices/ });
		const headers = { 'X-API-Key': OWNER_KEY };
		const started = Date.now();
		expect((await call('GET', '/invoices', { headers })).status).toBeGreaterThanOrEqual(500);
		expect(Date.now() - started).toBeGreaterThanOrEqual(55);
		expect((await call('GET', '/clients', { headers })).status).toBe(200);
	});

	it('still applies a write whose client died while it waited out its latency; idle() says when it is done', async () => {
		sb.setFaults({ latencyMs: 150 });
		const before = sb.store.list(ACCOUNTS.owner, 'clients').length;
		const body = JSON.stringify({ name: 'Written after the caller died' });
		// A raw request whose socket is destroyed as soon as the whole request is sent: the caller never sees an answer.
		const request = http.request(`${sb.baseUrl}/clients`, {
			method: 'POST',
			headers: { 'X-API-Key': OWNER_KEY, 'Content-Type': 'application/json', Accept: 'application/json', 'Content-Length': Buffer.byteLength(body) },
		});
		request.on('error', () => undefined);
		await new Promise<void>((resolve) => request.end(body, () => resolve()));
		while (sb.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
		request.destroy();
		await sb.idle();
		const clients = sb.store.list(ACCOUNTS.owner, 'clients');
		expect(clients).toHaveLength(before + 1);
		expect(clients[clients.length - 1].name).toBe('Written after the caller died');
		// And a client that dies in the middle of its body leaves nothing behind, and nothing in flight.
		const partial = http.request(`${sb.baseUrl}/clients`, {
			method: 'POST',
			headers: { 'X-API-Key': OWNER_KEY, 'Content-Type': 'application/json', 'Content-Length': 1000 },
		});
		partial.on('error', () => undefined);
		partial.write('{"name": "never comp');
		while (sb.inFlight === 0) await new Promise((resolve) => setTimeout(resolve, 5));
		partial.destroy();
		await sb.idle();
		expect(sb.store.list(ACCOUNTS.owner, 'clients')).toHaveLength(before + 1);
	});
});

describe('control API and reset', () => {
	it('sets faults, reads the log and the store over HTTP without being logged', async () => {
		const set = await call('POST', '/__sandbox/faults', {
			data: { scripted: [{ path: '/api/v1/clients', status: 503 }] },
		});
		expect(set.status).toBe(200);
		expect((await call('GET', '/clients', { headers: { 'X-API-Key': OWNER_KEY } })).status).toBe(503);
		const log = JSON.parse((await call('GET', '/__sandbox/log')).data);
		expect(log).toHaveLength(1);
		expect(log[0]).toMatchObject({ id: 1, method: 'GET', path: '/api/v1/clients', status: 503, fault: 'scripted' });
		const store = JSON.parse((await call('GET', `/__sandbox/store/${ACCOUNTS.owner}/stockitems`)).data);
		expect(store.map((s: { code: string }) => s.code)).toEqual(['BRD-01', 'CRS-02']);
		expect((await call('POST', '/__sandbox/reset')).status).toBe(200);
		expect(sb.log).toHaveLength(0);
	});

	it('reset restores data, keys, faults and HMAC config', async () => {
		await owner('POST', '/clients', { name: 'temporary' });
		const key = json(await call('POST', '/apikeys', { data: { name: 'k' }, headers: { Authorization: basic(OWNER) } }));
		sb.setFaults({ errorShare: 1 });
		sb.setHmacConfig({ template: '{method}' });
		sb.reset();
		expect(sb.store.count(ACCOUNTS.owner, 'clients')).toBe(3);
		expect((await call('GET', '/clients', { headers: { 'X-API-Key': key.data.apikey } })).status).toBe(401);
		const timestamp = String(Math.floor(Date.now() / 1000));
		const signature = createHmac('sha256', HMAC_SECRET).update(timestamp).digest('hex');
		expect((await call('GET', '/clients', { headers: { 'X-Timestamp': timestamp, 'X-Signature': signature } })).status).toBe(200);
		expect((await owner('POST', '/clients', { name: 'again' })).data.client_id).toBe(FIRST_IDS.clients + 6);
	});

	it('does not log bodies when logBodies is false', async () => {
		const quiet = await startSandbox({ logBodies: false, seed: false });
		try {
			await axios.post(`${quiet.baseUrl}/clients`, { name: 'x' }, { headers: { 'X-API-Key': OWNER_KEY } });
			expect(quiet.log[0]).toMatchObject({ body: '', status: 201 });
			expect(quiet.store.count(ACCOUNTS.owner, 'clients')).toBe(1);
		} finally {
			await quiet.close();
		}
	});
});
