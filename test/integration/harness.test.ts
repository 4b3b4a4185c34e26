/**
 * Self-test of the in-process harness (test/harness) against a tiny local HTTP server,
 * using the harness's own fixture node and credentials.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { NodeApiError, NodeOperationError, type IDataObject } from 'n8n-workflow';

import { BUILTIN_NODE_TYPES, runNode, runWorkflow, testCredential, type TestCredential } from '../harness';

interface Recorded {
	method: string;
	url: string;
	headers: IncomingMessage['headers'];
	body: string;
}

/** State of the fake API. */
const api = {
	requests: [] as Recorded[],
	tokenCount: 0,
	validTokens: new Set<string>(),
	validRefreshTokens: new Set<string>(),
	sessionCount: 0,
	validSessions: new Set<string>(),
	reset() {
		this.requests = [];
		this.tokenCount = 0;
		this.validTokens.clear();
		this.validRefreshTokens.clear();
		this.sessionCount = 0;
		this.validSessions.clear();
	},
	paths(): string[] {
		return this.requests.map((r) => `${r.method} ${r.url.split('?')[0]}`);
	},
};

const CLIENT_BASIC = `Basic ${Buffer.from('client-1:secret-1').toString('base64')}`;

let server: Server;
let baseUrl: string;

function send(res: import('node:http').ServerResponse, status: number, body: unknown) {
	res.writeHead(status, { 'content-type': 'application/json' });
	res.end(JSON.stringify(body));
}

beforeAll(async () => {
	server = createServer((req, res) => {
		let body = '';
		req.on('data', (chunk: Buffer) => (body += chunk.toString()));
		req.on('end', () => {
			const record: Recorded = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
			api.requests.push(record);
			const path = (req.url ?? '').split('?')[0];
			const auth = req.headers.authorization ?? '';

			if (path === '/echo' || path === '/me') {
				if (path === '/me' && req.headers['x-api-key'] === 'Key wrong') {
					return send(res, 401, { message: 'Invalid API key' });
				}
				return send(res, 200, { method: record.method, url: record.url, headers: req.headers });
			}
			if (path === '/oauth/token' && req.method === 'POST') {
				const form = new URLSearchParams(body);
				const bodyClient = form.get('client_id') === 'client-1' && form.get('client_secret') === 'secret-1';
				if (auth !== CLIENT_BASIC && !bodyClient) return send(res, 401, { error: 'invalid_client' });
				const token = `tok-${++api.tokenCount}`;
				if (form.get('grant_type') === 'refresh_token') {
					const refreshToken = form.get('refresh_token') ?? '';
					if (!api.validRefreshTokens.delete(refreshToken)) return send(res, 400, { error: 'invalid_grant' });
					api.validTokens.add(token);
					api.validRefreshTokens.add(`refresh-${api.tokenCount}`);
					return send(res, 200, {
						access_token: token,
						refresh_token: `refresh-${api.tokenCount}`,
						token_type: 'Bearer',
						expires_in: 3600,
					});
				}
				api.validTokens.add(token);
				return send(res, 200, { access_token: token, token_type: 'Bearer', expires_in: 3600, scope: 'read write' });
			}
			if (path.startsWith('/oauth/')) {
				const token = auth.replace(/^Bearer /, '');
				if (!api.validTokens.has(token)) return send(res, 401, { message: 'Token expired' });
				return send(res, 200, { token, path });
			}
			if (path === '/login' && req.method === 'POST') {
				const { username, password } = JSON.parse(body || '{}') as Record<string, string>;
				if (username !== 'alice' || password !== 'pw') return send(res, 401, { message: 'Bad login' });
				const token = `sess-${++api.sessionCount}`;
				api.validSessions.add(token);
				return send(res, 200, { token });
			}
			if (path.startsWith('/session/')) {
				const token = auth.replace(/^Session /, '');
				if (!api.validSessions.has(token)) return send(res, 401, { message: 'Session expired' });
				return send(res, 200, { session: token });
			}
			if (path === '/fail') return send(res, 500, { message: 'Boom from API' });
			send(res, 404, { message: 'Not found' });
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
	await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => api.reset());

const probe = (parameters: Record<string, unknown>) => ({
	type: 'harnessProbe',
	parameters: { operation: 'request', ...parameters } as never,
});

describe('harness: credentials applied as n8n does', () => {
	it('generic authenticate: header key and value expressions resolve, qs is added', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessHeaderApi', url: `${baseUrl}/echo` }),
			credentials: [{ type: 'harnessHeaderApi', data: { headerName: 'X-Custom-Key', token: 'abc' } }],
		});
		expect(result.error).toBeUndefined();
		expect(api.requests).toHaveLength(1);
		expect(api.requests[0].headers['x-custom-key']).toBe('Key abc');
		expect(api.requests[0].url).toBe('/echo?source=harness');
		expect(result.output[0][0].json.url).toBe('/echo?source=harness');
	});

	it('type defaults apply to stored credential data (headerName defaults to X-Api-Key)', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessHeaderApi', url: `${baseUrl}/echo` }),
			credentials: [{ type: 'harnessHeaderApi', data: { token: 'abc' } }],
		});
		expect(result.error).toBeUndefined();
		expect(api.requests[0].headers['x-api-key']).toBe('Key abc');
	});

	it('function-form authenticate: the header it adds arrives', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessFunctionApi', url: `${baseUrl}/echo` }),
			credentials: [{ type: 'harnessFunctionApi', data: { secret: 's3cret' } }],
		});
		expect(result.error).toBeUndefined();
		expect(api.requests[0].headers['x-signature']).toMatch(/^[0-9a-f]{64}$/);
	});

	it('legacy requestWithAuthentication goes through the same credential logic', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ operation: 'requestLegacy', authentication: 'harnessHeaderApi', url: `${baseUrl}/echo` }),
			credentials: [{ type: 'harnessHeaderApi', data: { token: 'legacy' } }],
		});
		expect(result.error).toBeUndefined();
		expect(api.requests[0].headers['x-api-key']).toBe('Key legacy');
	});
});

describe('harness: OAuth2 client credentials through n8n-core requestOAuth2', () => {
	const oauthCredential = (): TestCredential => ({
		id: 'oauth-1',
		type: 'harnessClientCredentialsOAuth2Api',
		data: { accessTokenUrl: `${baseUrl}/oauth/token`, clientId: 'client-1', clientSecret: 'secret-1' },
	});

	it('fetches the token from accessTokenUrl, sends Bearer, stores token data', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: [oauthCredential()],
		});
		expect(result.error).toBeUndefined();
		expect(api.paths()).toEqual(['POST /oauth/token', 'GET /oauth/data']);

		const tokenRequest = api.requests[0];
		expect(tokenRequest.headers.authorization).toBe(CLIENT_BASIC);
		const form = new URLSearchParams(tokenRequest.body);
		expect(form.get('grant_type')).toBe('client_credentials');
		expect(form.get('scope')).toBe('read write');

		expect(api.requests[1].headers.authorization).toBe('Bearer tok-1');
		expect(result.output[0][0].json).toEqual({ token: 'tok-1', path: '/oauth/data' });

		const tokenData = result.credentials[0].data.oauthTokenData as Record<string, unknown>;
		expect(tokenData).toMatchObject({ access_token: 'tok-1', token_type: 'Bearer', expires_in: 3600 });
		expect(tokenData.n8n_expires_at).toBeDefined();
	});

	it('a later run with the returned credentials reuses the stored token', async () => {
		const first = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: [oauthCredential()],
		});
		api.requests = [];
		const second = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: first.credentials,
		});
		expect(second.error).toBeUndefined();
		expect(api.paths()).toEqual(['GET /oauth/data']);
		expect(api.requests[0].headers.authorization).toBe('Bearer tok-1');
	});

	it('on 401 n8n-core fetches a new client-credentials token, retries once and stores it', async () => {
		const first = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: [oauthCredential()],
		});
		api.validTokens.clear(); // server-side expiry
		api.requests = [];
		const second = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: first.credentials,
		});
		expect(second.error).toBeUndefined();
		expect(api.paths()).toEqual(['GET /oauth/data', 'POST /oauth/token', 'GET /oauth/data']);
		expect(api.requests[2].headers.authorization).toBe('Bearer tok-2');
		expect((second.credentials[0].data.oauthTokenData as Record<string, unknown>).access_token).toBe('tok-2');
		expect(second.logs.some((line) => line.includes('has been renewed'))).toBe(true);
	});

	it('a token endpoint rejecting the client surfaces as the run error', async () => {
		const credential = oauthCredential();
		credential.data.clientSecret = 'wrong';
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessClientCredentialsOAuth2Api', url: `${baseUrl}/oauth/data` }),
			credentials: [credential],
		});
		expect(result.error).toBeInstanceOf(NodeApiError);
		expect(api.paths()).toEqual(['POST /oauth/token']);
	});
});

describe('harness: OAuth2 authorization code (token data given by the test)', () => {
	const authCodeCredential = (oauthTokenData?: IDataObject): TestCredential => ({
		id: 'oauth-ac',
		type: 'harnessAuthCodeOAuth2Api',
		data: {
			accessTokenUrl: `${baseUrl}/oauth/token`,
			clientId: 'client-1',
			clientSecret: 'secret-1',
			...(oauthTokenData ? { oauthTokenData } : {}),
		},
	});
	const node = () => probe({ authentication: 'harnessAuthCodeOAuth2Api', url: `${baseUrl}/oauth/data` });

	it('on 401 n8n-core refreshes with the refresh token, retries and stores the new token data', async () => {
		api.validRefreshTokens.add('refresh-0');
		const result = await runNode({
			fixtures: true,
			node: node(),
			credentials: [authCodeCredential({ access_token: 'stale', refresh_token: 'refresh-0', token_type: 'Bearer' })],
		});
		expect(result.error).toBeUndefined();
		expect(api.paths()).toEqual(['GET /oauth/data', 'POST /oauth/token', 'GET /oauth/data']);
		expect(api.requests[0].headers.authorization).toBe('Bearer stale');
		const form = new URLSearchParams(api.requests[1].body);
		expect(form.get('grant_type')).toBe('refresh_token');
		expect(form.get('refresh_token')).toBe('refresh-0');
		expect(api.requests[2].headers.authorization).toBe('Bearer tok-1');
		expect(result.credentials[0].data.oauthTokenData).toMatchObject({
			access_token: 'tok-1',
			refresh_token: 'refresh-1',
		});
	});

	it('a rejected refresh token asks for reconnecting the credential', async () => {
		const result = await runNode({
			fixtures: true,
			node: node(),
			credentials: [authCodeCredential({ access_token: 'stale', refresh_token: 'revoked', token_type: 'Bearer' })],
		});
		expect(result.error?.message).toMatch(/needs to be reconnected/);
	});

	it('without token data the node fails before any request (n8n: "Unable to sign without access token")', async () => {
		// The oAuth2Api `oauthTokenData` property defaults to {}, so n8n-core's "not connected" check does not fire.
		const result = await runNode({ fixtures: true, node: node(), credentials: [authCodeCredential()] });
		expect(result.error?.message).toBe('Unable to sign without access token');
		expect(api.requests).toHaveLength(0);
	});
});

describe('harness: preAuthentication', () => {
	const sessionCredential = (): TestCredential => ({
		type: 'harnessPreAuthApi',
		data: { baseUrl, username: 'alice', password: 'pw' },
	});

	it('logs in when the expirable property is empty, persists it, reuses it, re-logs in on 401', async () => {
		const node = probe({ authentication: 'harnessPreAuthApi', url: `${baseUrl}/session/data` });
		const first = await runNode({ fixtures: true, node, credentials: [sessionCredential()] });
		expect(first.error).toBeUndefined();
		expect(api.paths()).toEqual(['POST /login', 'GET /session/data']);
		expect(api.requests[1].headers.authorization).toBe('Session sess-1');
		expect(first.credentials[0].data.sessionToken).toBe('sess-1');

		api.requests = [];
		const second = await runNode({ fixtures: true, node, credentials: first.credentials });
		expect(api.paths()).toEqual(['GET /session/data']);
		expect(second.output[0][0].json).toEqual({ session: 'sess-1' });

		api.validSessions.clear();
		api.requests = [];
		const third = await runNode({ fixtures: true, node, credentials: second.credentials });
		expect(third.error).toBeUndefined();
		expect(api.paths()).toEqual(['GET /session/data', 'POST /login', 'GET /session/data']);
		expect(third.credentials[0].data.sessionToken).toBe('sess-2');
	});
});

describe('harness: execution behaviour', () => {
	it('a node error surfaces as result.error (the node error instance)', async () => {
		const result = await runNode({ fixtures: true, node: probe({ operation: 'fail' }) });
		expect(result.error).toBeInstanceOf(NodeOperationError);
		expect(result.error?.message).toBe('Probe failure requested');
		expect(result.output).toEqual([]);
	});

	it('an API error surfaces as NodeApiError with the HTTP code', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'harnessHeaderApi', url: `${baseUrl}/fail` }),
			credentials: [{ type: 'harnessHeaderApi', data: { token: 'abc' } }],
		});
		expect(result.error).toBeInstanceOf(NodeApiError);
		expect((result.error as NodeApiError).httpCode).toBe('500');
	});

	it('continueOnFail yields error items instead of failing the run', async () => {
		const result = await runNode({
			fixtures: true,
			node: { ...probe({ authentication: 'none', url: `${baseUrl}/fail` }), continueOnFail: true },
			items: [{ a: 1 }, { a: 2 }],
		});
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(2);
		expect(result.output[0][0].json.error).toEqual(expect.any(String));
	});

	it('onError continueRegularOutput (runWorkflow): the run goes on past the failing node', async () => {
		const node = (name: string, type: string, parameters = {}, extra = {}) => ({
			id: name,
			name,
			type,
			typeVersion: 1,
			position: [0, 0] as [number, number],
			parameters,
			...extra,
		});
		const result = await runWorkflow(
			{
				nodes: [
					node('Trigger', BUILTIN_NODE_TYPES.manualTrigger),
					node('Probe', 'n8n-nodes-api-sync.harnessProbe', { operation: 'fail' }, { onError: 'continueRegularOutput' }),
					node('After', BUILTIN_NODE_TYPES.noOp),
				],
				connections: {
					Trigger: { main: [[{ node: 'Probe', type: 'main', index: 0 }]] },
					Probe: { main: [[{ node: 'After', type: 'main', index: 0 }]] },
				},
			},
			{ fixtures: true, nodeUnderTest: 'After' },
		);
		expect(result.error).toBeUndefined();
		expect(result.output).toEqual([[{ json: {}, pairedItem: { item: 0 } }]]);
		expect(result.runData.Probe[0].error?.message).toBe('Probe failure requested');
	});

	it('a failing node that continues but ends the workflow still marks the run as failed (as WorkflowExecute does)', async () => {
		const result = await runNode({
			fixtures: true,
			node: { ...probe({ operation: 'fail' }), onError: 'continueRegularOutput' },
		});
		expect(result.error?.message).toBe('Probe failure requested');
		expect(result.output).toEqual([[{ json: {}, pairedItem: { item: 0 } }]]);
	});

	it('items are fed to the node under test', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ authentication: 'none', url: `=${baseUrl}/echo?id={{$json.id}}` }),
			items: [{ id: 'x' }, { id: 'y' }],
		});
		expect(result.error).toBeUndefined();
		expect(api.requests.map((r) => r.url)).toEqual(['/echo?id=x', '/echo?id=y']);
		expect(result.hints).toEqual([expect.objectContaining({ message: 'harnessProbe made 2 request(s)' })]);
	});

	it('versioned nodes: latest version by default, or the typeVersion given', async () => {
		const latest = await runNode({ fixtures: true, node: { type: 'harnessVersioned', parameters: {} } });
		expect(latest.output[0][0].json).toEqual({ version: 2, implementation: 2 });
		const v1 = await runNode({ fixtures: true, node: { type: 'harnessVersioned', typeVersion: 1, parameters: {} } });
		expect(v1.output[0][0].json).toEqual({ version: 1, implementation: 1 });
	});

	it('static data round-trips between production (trigger) runs', async () => {
		const first = await runNode({ fixtures: true, node: probe({ operation: 'countRuns' }), mode: 'trigger' });
		expect(first.output[0][0].json).toEqual({ runs: 1 });
		expect(first.staticData).toEqual({ global: { runs: 1 } });
		const second = await runNode({
			fixtures: true,
			node: probe({ operation: 'countRuns' }),
			mode: 'trigger',
			staticData: first.staticData,
		});
		expect(second.output[0][0].json).toEqual({ runs: 2 });
		expect(second.staticData).toEqual({ global: { runs: 2 } });
	});

	it('manual runs do not persist static data (as in n8n)', async () => {
		const result = await runNode({
			fixtures: true,
			node: probe({ operation: 'countRuns' }),
			staticData: { global: { runs: 5 } },
		});
		expect(result.output[0][0].json).toEqual({ runs: 6 });
		expect(result.staticData).toEqual({ global: { runs: 5 } });
	});

	it('captures engine and node logs', async () => {
		const result = await runNode({ fixtures: true, node: probe({ operation: 'countRuns' }) });
		expect(result.logs).toContainEqual(expect.stringMatching(/^debug: Workflow execution started/));
		expect(result.logs).toContain('info: harnessProbe: countRuns with 1 item(s) {"operation":"countRuns"}');
	});
});

describe('harness: testCredential (the editor Test button)', () => {
	it('OK for a working generic credential', async () => {
		await expect(
			testCredential('harnessHeaderApi', { baseUrl, token: 'abc' }, { fixtures: true }),
		).resolves.toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(api.requests[0].headers['x-api-key']).toBe('Key abc');
	});

	it('maps a failed request as n8n does', async () => {
		const result = await testCredential('harnessHeaderApi', { baseUrl, token: 'wrong' }, { fixtures: true });
		expect(result).toMatchObject({ status: 'Error', message: 'Unauthorized' });
		expect(result.response).toEqual({ status: 401, body: { message: 'Invalid API key' } });
	});

	it('OAuth2 client credentials: token fetched by n8n-core, then the test request', async () => {
		const result = await testCredential(
			'harnessClientCredentialsOAuth2Api',
			{ baseUrl, accessTokenUrl: `${baseUrl}/oauth/token`, clientId: 'client-1', clientSecret: 'secret-1' },
			{ fixtures: true },
		);
		expect(result).toEqual({ status: 'OK', message: 'Connection successful!' });
		expect(api.paths()).toEqual(['POST /oauth/token', 'GET /oauth/me']);
	});

	it('preAuthentication runs during the test', async () => {
		const result = await testCredential(
			'harnessPreAuthApi',
			{ baseUrl, username: 'alice', password: 'pw' },
			{ fixtures: true },
		);
		expect(result.status).toBe('OK');
		expect(api.paths()).toEqual(['POST /login', 'GET /session/me']);
	});
});
