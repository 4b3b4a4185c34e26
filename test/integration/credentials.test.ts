/**
 * Each credential type, applied by n8n-core exactly as in n8n: the Test button, and a real workflow
 * (Manual Trigger → items → API Sync "Get Many") against the sandbox API.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { runNode, testCredential, type RunResult } from '../harness';
import { ACCOUNTS, ALL_SECRETS, OAUTH_CLIENTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import {
	ACCOUNTANT,
	CREDENTIAL_TYPE,
	credentialData,
	SANDBOX_SCHEME,
	SECRET_FIELD,
	type CredentialKind,
} from '../support/credentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const KINDS: CredentialKind[] = ['basic', 'bearer', 'apiKey', 'oauth2', 'hmac'];
const WRONG_SECRET = 'definitely-Wrong-secret-42';

function getManyClients(kind: CredentialKind, data: ICredentialDataDecryptedObject, parameters: IDataObject = {}) {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE[kind],
				resource: 'record',
				operation: 'getAll',
				remoteResource: 'clients',
				returnAll: true,
				...parameters,
			},
		},
		credentials: [{ type: CREDENTIAL_TYPE[kind], data }],
	});
}

/** Secrets must not appear anywhere a user or a log could see them. */
function expectNoSecretsIn(result: RunResult, secrets: string[] = ALL_SECRETS) {
	const error = result.error as (Error & { description?: string }) | undefined;
	const visible = JSON.stringify({
		output: result.output,
		message: error?.message,
		description: error?.description,
		errorJson: error ? JSON.parse(JSON.stringify(error)) : undefined,
		logs: result.logs,
	});
	for (const secret of [...secrets, WRONG_SECRET]) expect(visible).not.toContain(secret);
}

/** The 401 advice of each credential's Test button names only that credential's own fields. */
const CHECK_ON_401: Record<string, string> = {
	apiKey: 'the API key',
	basic: 'the user (e-mail) and password',
	bearer: 'the token',
	hmac: 'the secret and the key ID',
};

describe.each(KINDS)('%s credential', (kind) => {
	it('passes the Test button against the sandbox', async () => {
		const result = await testCredential(CREDENTIAL_TYPE[kind], credentialData(kind, sandbox.baseUrl));
		expect(result).toMatchObject({ status: 'OK' });
		expect(sandbox.log.some((e) => e.path === '/api/v1/accounts/current' && e.status === 200)).toBe(true);
	});

	it('fails the Test button with a clear message on a wrong secret', async () => {
		const data = credentialData(kind, sandbox.baseUrl, { [SECRET_FIELD[kind]]: WRONG_SECRET });
		const result = await testCredential(CREDENTIAL_TYPE[kind], data);
		expect(result.status).toBe('Error');
		if (kind === 'oauth2') expect(result.message).toMatch(/^Failed to acquire OAuth2 access token/);
		else expect(result.message).toBe(`The API rejected the credential (401 Unauthorized). Check ${CHECK_ON_401[kind]}, and that it belongs to this Base URL.`);
		expect(result.message).not.toContain(WRONG_SECRET);
	});

	it('authenticates a workflow request, and nothing secret reaches output or logs', async () => {
		const result = await getManyClients(kind, credentialData(kind, sandbox.baseUrl));
		expect(result.error).toBeUndefined();
		const names = result.output[0].map((item) => item.json.name);
		expect(names).toHaveLength(3);
		expect(result.output[0].every((item) => item.pairedItem !== undefined)).toBe(true);
		const listRequest = sandbox.log.find((e) => e.path === '/api/v1/clients');
		expect(listRequest).toMatchObject({
			status: 200,
			auth: { scheme: SANDBOX_SCHEME[kind], account: ACCOUNTS.owner },
			query: { skip: '0', take: '100' },
		});
		expect(listRequest?.headers.accept).toBe('application/json');
		expectNoSecretsIn(result);
	});

	it('stops the workflow with a 401 that says what to check on a wrong secret', async () => {
		const result = await getManyClients(kind, credentialData(kind, sandbox.baseUrl, { [SECRET_FIELD[kind]]: WRONG_SECRET }));
		expect(result.error).toBeDefined();
		const error = result.error as Error & { description?: string; httpCode?: string };
		if (kind === 'oauth2') {
			// The token request itself is refused, before any API request.
			expect(error.message).toMatch(/token|invalid_client|401/i);
		} else {
			const apiWords = kind === 'hmac' ? 'invalid signature' : 'invalid credentials';
			expect(error.message).toBe(`401 Unauthorized from GET /api/v1/clients: "${apiWords}"`);
			expect(error.description).toMatch(/credentials were rejected/);
		}
		expectNoSecretsIn(result);
	});
});

describe('account selection with X-AccountId', () => {
	it('explains a 403 on the Test button', async () => {
		const result = await testCredential(CREDENTIAL_TYPE.basic, credentialData('basic', sandbox.baseUrl, { accountId: ACCOUNTS.other }));
		expect(result).toMatchObject({
			status: 'Error',
			message: 'The credential is valid but may not read the Test Path (403 Forbidden). Check the Account ID and the rights of the key.',
		});
	});

	it('lets an accountant-portal user read a client account', async () => {
		const data = credentialData('basic', sandbox.baseUrl, {
			user: ACCOUNTANT.email,
			password: ACCOUNTANT.password,
			accountId: ACCOUNTS.portalClients[1],
		});
		const result = await getManyClients('basic', data);
		expect(result.error).toBeUndefined();
		expect(sandbox.log.find((e) => e.path === '/api/v1/clients')).toMatchObject({
			headers: expect.objectContaining({ 'x-accountid': ACCOUNTS.portalClients[1] }),
			auth: { account: ACCOUNTS.portalClients[1] },
		});
		expect(result.output[0]).toHaveLength(1);
	});

	it('sends no X-AccountId header when the Account ID is empty', async () => {
		await getManyClients('apiKey', credentialData('apiKey', sandbox.baseUrl));
		expect(sandbox.log[0].headers['x-accountid']).toBeUndefined();
	});

	it('lets the node’s Account ID option override the credential’s', async () => {
		const data = credentialData('apiKey', sandbox.baseUrl, { apiKey: 'ef-key-portal-4d8b2a6f0c', accountId: ACCOUNTS.portal });
		const result = await getManyClients('apiKey', data, { options: { accountId: ACCOUNTS.portalClients[0] } });
		expect(result.error).toBeUndefined();
		expect(sandbox.log[0].auth?.account).toBe(ACCOUNTS.portalClients[0]);
	});

	it('explains a 403 for a user that is not an accountant-portal user', async () => {
		const data = credentialData('basic', sandbox.baseUrl, { accountId: ACCOUNTS.other });
		const result = await getManyClients('basic', data);
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(/^403 Forbidden from GET \/api\/v1\/clients: "no access to account B10000001/);
		expect(error.description).toMatch(/Account ID \(X-AccountId\).*accountant-portal/);
		expectNoSecretsIn(result);
	});
});

describe('API key in a query parameter', () => {
	it('sends the key as api_key and keeps it out of errors', async () => {
		const data = credentialData('apiKey', sandbox.baseUrl, { keyLocation: 'query' });
		const ok = await getManyClients('apiKey', data);
		expect(ok.error).toBeUndefined();
		expect(sandbox.log[0].query.api_key).toBe(data.apiKey);
		expect(sandbox.log[0].headers['x-api-key']).toBeUndefined();

		const bad = await runNode({
			node: {
				type: 'apiSync',
				parameters: { authentication: CREDENTIAL_TYPE.apiKey, operation: 'get', remoteResource: 'clients', recordId: '999999' },
			},
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data }],
		});
		expect((bad.error as Error).message).toBe('404 Not Found from GET /api/v1/clients/999999: "client not found"');
		expectNoSecretsIn(bad);
	});
});

describe('HMAC signing of real requests', () => {
	it('signs method, path with query, and the exact JSON body', async () => {
		const template = '{timestamp}\\n{method}\\n{path}\\n{bodySha256}';
		sandbox.setHmacConfig({ template, keyId: 'hmac-key-1' });
		const data = credentialData('hmac', sandbox.baseUrl, { payloadTemplate: template, keyId: 'hmac-key-1' });
		const created = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.hmac,
					operation: 'create',
					remoteResource: 'clients',
					recordData: '={{ { "name": $json.name, "city": "Gent – Zuid" } }}',
				},
			},
			items: [{ name: 'Ünïcode & Co {timestamp}' }],
			credentials: [{ type: CREDENTIAL_TYPE.hmac, data }],
		});
		expect(created.error).toBeUndefined();
		expect(created.output[0][0].json).toMatchObject({ success: 'client created' });
		const post = sandbox.log.find((e) => e.method === 'POST');
		expect(post).toMatchObject({ status: 201, auth: { scheme: 'hmac' } });
		expect(JSON.parse(post!.body)).toEqual({ name: 'Ünïcode & Co {timestamp}', city: 'Gent – Zuid' });
		expect(post!.headers['x-key-id']).toBe('hmac-key-1');

		const listed = await getManyClients('hmac', data, { listOptions: { filter: 'name=~ünïcode', sort: 'name -client_id' } });
		expect(listed.error).toBeUndefined();
		expect(listed.output[0]).toHaveLength(1);
		expect(sandbox.log.at(-1)!.url).toContain('filter=name%3D%7E%C3%BCn%C3%AFcode');
	});

	it('supports base64 signatures with a prefix and a nonce', async () => {
		const template = '{timestamp}.{nonce}.{body}';
		sandbox.setHmacConfig({ template, encoding: 'base64', prefix: 'sha256=' });
		const data = credentialData('hmac', sandbox.baseUrl, {
			payloadTemplate: template,
			encoding: 'base64',
			signaturePrefix: 'sha256=',
		});
		const result = await getManyClients('hmac', data);
		expect(result.error).toBeUndefined();
		expect(String(sandbox.log[0].headers['x-signature'])).toMatch(/^sha256=[A-Za-z0-9+/]+=*$/);
		expect(sandbox.log[0].headers['x-nonce']).toMatch(/^[0-9a-f]{32}$/);
	});

	it('is refused when the API expects another template', async () => {
		sandbox.setHmacConfig({ template: '{method}{path}{timestamp}' });
		const result = await getManyClients('hmac', credentialData('hmac', sandbox.baseUrl));
		expect((result.error as Error).message).toBe('401 Unauthorized from GET /api/v1/clients: "invalid signature"');
	});
});

/** What n8n's "Connect my account" does: the user approves (auto-approved here), n8n swaps the code for tokens. */
async function authorizationCodeGrant(): Promise<IDataObject> {
	const redirectUri = 'http://localhost:5678/rest/oauth2-credential/callback';
	const authorize = await fetch(
		`${sandbox.baseUrl}/oauth/authorize?response_type=code&client_id=${OAUTH_CLIENTS[0].clientId}&redirect_uri=${encodeURIComponent(redirectUri)}&state=s1`,
		{ redirect: 'manual' },
	);
	const code = new URL(authorize.headers.get('location')!).searchParams.get('code')!;
	const tokenResponse = await fetch(`${sandbox.baseUrl}/oauth/token`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
		body: new URLSearchParams({
			grant_type: 'authorization_code',
			code,
			redirect_uri: redirectUri,
			client_id: OAUTH_CLIENTS[0].clientId,
			client_secret: OAUTH_CLIENTS[0].clientSecret,
		}),
	});
	const oauthTokenData = (await tokenResponse.json()) as IDataObject;
	expect(oauthTokenData.refresh_token).toEqual(expect.any(String));
	return oauthTokenData;
}

describe('OAuth2 through n8n-core', () => {
	it('fetches a client-credentials token once, stores it, and reuses it', async () => {
		const first = await getManyClients('oauth2', credentialData('oauth2', sandbox.baseUrl));
		expect(first.error).toBeUndefined();
		const tokenRequests = () => sandbox.log.filter((e) => e.path === '/api/v1/oauth/token');
		expect(tokenRequests()).toHaveLength(1);
		expect(sandbox.log.find((e) => e.path === '/api/v1/clients')?.auth).toMatchObject({
			scheme: 'oauth2',
			principal: OAUTH_CLIENTS[0].clientId,
		});
		const stored = first.credentials[0].data.oauthTokenData as IDataObject;
		expect(stored.access_token).toEqual(expect.any(String));

		const second = await getManyClients('oauth2', first.credentials[0].data);
		expect(second.error).toBeUndefined();
		expect(tokenRequests()).toHaveLength(1);
		expectNoSecretsIn(second, [...ALL_SECRETS, String(stored.access_token)]);
	});

	it('gets a new token when the API says the stored one expired', async () => {
		const first = await getManyClients('oauth2', credentialData('oauth2', sandbox.baseUrl));
		sandbox.expireOAuthTokens();
		const second = await getManyClients('oauth2', first.credentials[0].data);
		expect(second.error).toBeUndefined();
		const statuses = sandbox.log.map((e) => `${e.method} ${e.path} ${e.status}`);
		expect(statuses.slice(-3)).toEqual([
			'GET /api/v1/clients 401',
			'POST /api/v1/oauth/token 200',
			'GET /api/v1/clients 200',
		]);
	});

	it('uses and refreshes an authorization-code token', async () => {
		const oauthTokenData = await authorizationCodeGrant();
		const data = credentialData('oauth2', sandbox.baseUrl, { grantType: 'authorizationCode', oauthTokenData });
		const first = await getManyClients('oauth2', data);
		expect(first.error).toBeUndefined();

		sandbox.expireOAuthTokens();
		const second = await getManyClients('oauth2', first.credentials[0].data);
		expect(second.error).toBeUndefined();
		const refresh = sandbox.log.filter((e) => e.path === '/api/v1/oauth/token').at(-1)!;
		expect(refresh.body).toContain('grant_type=refresh_token');
		const newToken = (second.credentials[0].data.oauthTokenData as IDataObject).access_token;
		expect(newToken).not.toBe(oauthTokenData.access_token);
	});

	it('a revoked refresh token: the node says to reconnect the credential, and no token leaks', async () => {
		const oauthTokenData = await authorizationCodeGrant();
		const data = credentialData('oauth2', sandbox.baseUrl, { grantType: 'authorizationCode', oauthTokenData });
		const first = await getManyClients('oauth2', data);
		expect(first.error).toBeUndefined();

		sandbox.revokeOAuthGrants();
		const second = await getManyClients('oauth2', first.credentials[0].data);
		const error = second.error as Error & { description?: string; httpCode?: string };
		expect(sandbox.log.slice(-2).map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual([
			'GET /api/v1/clients 401',
			'POST /api/v1/oauth/token 400',
		]);
		expect(error.message).toBe(
			'The OAuth2 credential "apiSyncOAuth2Api" needs to be reconnected: the API refused to renew its access token (invalid_grant) on GET /api/v1/clients',
		);
		expect(error.description).toBe(
			'The connected account withdrew access, or the refresh token expired or was revoked. Open the credential and connect the account again ("Switch account"; "Reconnect" or "Connect my account" in n8n 1.x), then run the workflow again.',
		);
		const { accessTokens, refreshTokens } = sandbox.issuedOAuthTokens();
		expectNoSecretsIn(second, [...ALL_SECRETS, ...accessTokens, ...refreshTokens]);
	});

	it('a refused client on renewal: says to check the client ID and secret (n8n passes the OAuth error on as is)', async () => {
		const connected = credentialData('oauth2', sandbox.baseUrl, { grantType: 'authorizationCode', oauthTokenData: await authorizationCodeGrant() });
		sandbox.expireOAuthTokens();
		const result = await getManyClients('oauth2', { ...connected, clientSecret: WRONG_SECRET });
		const error = result.error as Error & { description?: string };
		expect(sandbox.log.at(-1)).toMatchObject({ path: '/api/v1/oauth/token', status: 401 });
		expect(error.message).toBe(
			'n8n could not renew the access token of the OAuth2 credential "apiSyncOAuth2Api": the token URL answered invalid_client (on GET /api/v1/clients)',
		);
		expect(error.description).toMatch(/^The token URL did not accept the client: check the Client ID and Client Secret/);
		const { accessTokens, refreshTokens } = sandbox.issuedOAuthTokens();
		expectNoSecretsIn(result, [...ALL_SECRETS, ...accessTokens, ...refreshTokens]);
	});

	it('says the credential is not connected when an authorization-code credential has no token', async () => {
		const result = await getManyClients('oauth2', credentialData('oauth2', sandbox.baseUrl, { grantType: 'authorizationCode' }));
		// n8n stores {} as token data until the user connects, so n8n-core says it cannot sign.
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe('Request GET /api/v1/clients failed: Unable to sign without access token');
		expect(error.description).toMatch(/OAuth2 credential connected \("Connect my account"\)/);
	});
});
