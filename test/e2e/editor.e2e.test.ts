/**
 * What a user sees in the n8n editor, through the REST calls the editor UI itself makes, against a real
 * `n8n start` (n8n 2.40.7 with the built package) and the sandbox API:
 *
 * - the credential **Test** button: the editor loads the saved credential into its form
 *   (`GET /rest/credentials/:id?includeData=true`, secrets replaced by a blanking sentinel), then sends the
 *   form back by id (`POST /rest/credentials/test` with `{ credentials: { id, name, type, data } }`);
 *   n8n restores the stored secrets before testing;
 * - the Sync operation's **field mapping**: `POST /rest/dynamic-node-parameters/resource-mapper-fields` with the
 *   node's type and version, its parameters, its credentials and `methodName: 'getMappingColumns'`.
 *
 * Responses are wrapped by n8n as `{ data: ... }`.
 */
import type { ResourceMapperField } from 'n8n-workflow';

import { ACCOUNTS, ALL_SECRETS, API_KEYS, BEARER_TOKENS, HMAC_KEYS, OAUTH_CLIENTS, USERS } from '../sandbox/fixtures';
import type { RequestLogEntry } from '../sandbox/server';
import { CREDENTIAL_TYPE, SANDBOX_SCHEME, SECRET_FIELD, type CredentialKind } from '../support/credentials';
import { n8nMajorVersion, type StartedN8n } from './support/n8n';
import { PACKAGE, sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(300_000);

const KINDS: CredentialKind[] = ['basic', 'bearer', 'apiKey', 'oauth2', 'hmac'];
const WRONG = 'definitely-Wrong-secret-42';
const SECRETS = [...ALL_SECRETS, WRONG];
/** Who the sandbox says made each request with the good credentials (never a secret). */
const PRINCIPAL: Record<CredentialKind, string> = {
	basic: USERS[0].email,
	bearer: 'bearer-token-1',
	apiKey: 'fixture-key-1',
	oauth2: OAUTH_CLIENTS[0].clientId,
	hmac: HMAC_KEYS[0].keyId,
};
const CUSTOM_STOCKITEMS = { remoteResource: 'custom', customPath: '/stockitems', customIdField: 'stockitem_id' };

let env: PackageE2e;
let n8n: StartedN8n;
/** n8n 1.x (compatibility run): a few of n8n's own messages and requests differ, see the tests. */
let v1 = false;

beforeAll(async () => {
	env = await startPackageE2e();
	v1 = n8nMajorVersion(env.n8n.installDir) < 2;
	await env.n8n.importCredentials([
		...KINDS.map((kind) => sandboxCredential(kind, env.sandbox)),
		...KINDS.map((kind) => sandboxCredential(kind, env.sandbox, { [SECRET_FIELD[kind]]: WRONG }, `bad-${kind}`)),
		sandboxCredential('bearer', env.sandbox, { baseUrl: `${env.sandbox.baseUrl}/personas/hubspot` }, 'cred-hubspot'),
		sandboxCredential('bearer', env.sandbox, { baseUrl: `${env.sandbox.baseUrl}/personas/stripe` }, 'cred-stripe'),
	]);
	n8n = await env.n8n.start();
});

afterAll(async () => await stopPackageE2e(env));

/** Runs `action` and returns its result with the sandbox requests made meanwhile. */
async function withRequests<T>(action: () => Promise<T>): Promise<{ result: T; requests: RequestLogEntry[] }> {
	const mark = env.sandbox.log.length;
	const result = await action();
	return { result, requests: env.sandbox.log.slice(mark) };
}

/** The editor's Test: load the saved credential into the form, send the form data back by id. */
async function pressTest(id: string) {
	const loaded = await n8n.rest('GET', `/rest/credentials/${id}?includeData=true`);
	expect(loaded.status).toBe(200);
	const { name, type, data } = loaded.body.data;
	// The editor strips these before testing (useCredentialTestInBackground / CredentialEdit).
	const formData: Record<string, unknown> = { ...data };
	for (const key of ['ownedBy', 'sharedWithProjects', 'oauthTokenData']) delete formData[key];
	const oauthTokenData: unknown = data.oauthTokenData;
	const tested = await n8n.rest('POST', '/rest/credentials/test', { credentials: { id, name, type, data: formData } });
	expect(tested.status).toBe(200);
	return { formData, oauthTokenData, response: tested.body as { data: { status: string; message: string } } };
}

function expectNoSecret(value: unknown) {
	const text = JSON.stringify(value);
	for (const secret of SECRETS) expect(text).not.toContain(secret);
}

describe('credential Test button', () => {
	it.each(KINDS)('%s: OK, the request authenticated with the stored secret', async (kind) => {
		const { result, requests } = await withRequests(() => pressTest(`cred-${kind}`));

		// The form never holds the secret: n8n puts the stored one back before testing.
		expect(result.formData[SECRET_FIELD[kind]]).toMatch(/^__n8n_BLANK_VALUE_/);
		expectNoSecret(result.formData);
		expect(result.response).toEqual({ data: { status: 'OK', message: 'Connection successful!' } });

		const auth = { scheme: SANDBOX_SCHEME[kind], principal: PRINCIPAL[kind], account: ACCOUNTS.owner };
		const testCall = { method: 'GET', url: '/api/v1/accounts/current', status: 200, auth };
		if (kind !== 'oauth2') {
			expect(requests).toMatchObject([testCall]);
			return;
		}
		// OAuth2 client credentials: Test fetches a token (client ID and secret in a Basic header), then calls the Test Path with it.
		const basic = `Basic ${Buffer.from(`${OAUTH_CLIENTS[0].clientId}:${OAUTH_CLIENTS[0].clientSecret}`).toString('base64')}`;
		// n8n 1.x also sends an empty scope.
		const body = v1 ? 'grant_type=client_credentials&scope=' : 'grant_type=client_credentials';
		expect(requests).toMatchObject([
			{ method: 'POST', url: '/api/v1/oauth/token', status: 200, body, headers: { authorization: basic } },
			testCall,
		]);
		expect(requests[1].headers.authorization).toMatch(/^Bearer \S+$/);
	});

	it('OAuth2 client credentials: Test gets a token (stored on the credential) and the call authenticates with it', async () => {
		const { result, requests } = await withRequests(() => pressTest('cred-oauth2'));
		expect(result.oauthTokenData).toBe(true); // n8n shows only that a token is stored
		expect(result.response.data.status).toBe('OK');
		// n8n 2.40 reuses the stored token; 2.41 asks the token endpoint for a fresh one first. Either way: at most
		// one token request, then the test call with the token.
		const tokenRequests = requests.filter((r) => r.url === '/api/v1/oauth/token');
		expect(tokenRequests.length).toBeLessThanOrEqual(1);
		for (const tokenRequest of tokenRequests) expect(tokenRequest).toMatchObject({ method: 'POST', status: 200 });
		expect(requests.filter((r) => r.url !== '/api/v1/oauth/token')).toMatchObject([
			{ method: 'GET', url: '/api/v1/accounts/current', status: 200, auth: { scheme: 'oauth2' } },
		]);
	});

	it.each(KINDS)('%s: wrong secret gives an error without the secret', async (kind) => {
		const { result, requests } = await withRequests(() => pressTest(`bad-${kind}`));

		expectNoSecret(result);
		if (kind === 'oauth2') {
			// n8n asks for a token first; the token endpoint's refusal is the message (2.x prefixes where it failed).
			const refusal =
				'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method).';
			expect(result.response.data).toEqual({
				status: 'Error',
				message: v1 ? refusal : `Failed to acquire OAuth2 access token: ${refusal}`,
			});
			expect(requests).toMatchObject([{ method: 'POST', url: '/api/v1/oauth/token', status: 401 }]);
			return;
		}
		// The credential's test rules turn the status into advice about this credential's own fields. n8n 1.123.81
		// does not apply them: its credentials tester (services/credentials-tester.service.js) matches the rules only
		// when the error has cause.response, which the 401 error of its request helper lacks there, so it shows the
		// error's own message.
		const check = { basic: 'the user (e-mail) and password', bearer: 'the token', apiKey: 'the API key', hmac: 'the secret and the key ID' }[kind];
		expect(result.response.data).toEqual({
			status: 'Error',
			message: v1
				? 'Authorization failed - please check your credentials'
				: `The API rejected the credential (401 Unauthorized). Check ${check}, and that it belongs to this Base URL.`,
		});
		expect(requests.length).toBeGreaterThan(0);
		for (const request of requests) {
			expect(request).toMatchObject({ method: 'GET', url: '/api/v1/accounts/current', status: 401 });
		}
	});
});

describe('Sync field mapping', () => {
	/** The request the editor sends when the Sync operation's "Fields" mapper loads. */
	function loadFields(kind: CredentialKind, credentialId: string, parameters: Record<string, unknown> = {}) {
		const type = CREDENTIAL_TYPE[kind];
		return withRequests(() =>
			n8n.rest('POST', '/rest/dynamic-node-parameters/resource-mapper-fields', {
				nodeTypeAndVersion: { name: `${PACKAGE}.apiSync`, version: 1 },
				path: 'parameters.columns',
				methodName: 'getMappingColumns',
				currentNodeParameters: {
					authentication: type,
					operation: 'sync',
					syncMode: 'upsert',
					remoteResource: 'clients',
					columns: { mappingMode: 'defineBelow', value: null, matchingColumns: [], schema: [] },
					syncOptions: {},
					options: {},
					...parameters,
				},
				credentials: { [type]: { id: credentialId, name: credentialId } },
			}),
		);
	}

	const field = (id: string, extra: Partial<ResourceMapperField> = {}): ResourceMapperField => ({
		id,
		displayName: id,
		type: 'string',
		required: false,
		defaultMatch: false,
		canBeUsedToMatch: true,
		display: true,
		...extra,
	});

	it('clients: the documented fields, external_client_id matched by default, plus fields found in the records', async () => {
		const extra = env.sandbox.store.insert(ACCOUNTS.owner, 'clients', {
			name: 'Klant met extra velden',
			loyalty_tier: 'gold',
			credit_limit: 2500,
			vip: true,
		});
		try {
			const { result, requests } = await loadFields('apiKey', 'cred-apiKey');

			expect(result.status).toBe(200);
			expect(result.body.data).toEqual({
				fields: [
					field('name', { required: true }),
					field('number'),
					field('email_address'),
					field('tax_code'),
					field('street'),
					field('postal_code'),
					field('city'),
					field('country_code'),
					field('external_client_id', { defaultMatch: true }),
					// discovered in the sample, in order of appearance; client_id (the ID field) is never offered,
					// and the fields the API sets itself are hidden and cannot be matched on
					field('created', { display: false, canBeUsedToMatch: false }),
					field('last_modified', { display: false, canBeUsedToMatch: false }),
					field('loyalty_tier'),
					field('credit_limit', { type: 'number' }),
					field('vip', { type: 'boolean' }),
				],
			});
			// One page of at most 20 sample records, with the node's credential.
			expect(requests).toMatchObject([
				{ method: 'GET', url: '/api/v1/clients?skip=0&take=20', status: 200, auth: { scheme: 'apikey', account: ACCOUNTS.owner } },
			]);
			expect(requests[0].headers['x-api-key']).toBe(API_KEYS[0].key);
		} finally {
			env.sandbox.store.remove(ACCOUNTS.owner, 'clients', extra.client_id as number);
		}
	});

	it('custom path: the fields come only from the sample records, without the ID field', async () => {
		const { result, requests } = await loadFields('bearer', 'cred-bearer', CUSTOM_STOCKITEMS);

		expect(result.status).toBe(200);
		expect(result.body.data).toEqual({
			fields: [
				field('code'),
				field('description'),
				field('price', { type: 'number' }),
				field('last_activity', { display: false, canBeUsedToMatch: false }),
				field('last_modified', { display: false, canBeUsedToMatch: false }),
			],
		});
		expect(requests).toMatchObject([
			{ method: 'GET', url: '/api/v1/stockitems?skip=0&take=20', status: 200, auth: { scheme: 'bearer', account: ACCOUNTS.owner } },
		]);
		expect(requests[0].headers.authorization).toBe(`Bearer ${BEARER_TOKENS[0].token}`);
	});

	it('HubSpot contacts: the properties inside the envelope, email matched by default, the read-only ones hidden', async () => {
		const { result, requests } = await loadFields('bearer', 'cred-hubspot', { remoteResource: 'hubspotContacts' });

		expect(result.status).toBe(200);
		const hidden = { display: false, canBeUsedToMatch: false };
		expect(result.body.data).toEqual({
			fields: [
				field('email', { defaultMatch: true }),
				...['firstname', 'lastname', 'phone', 'company', 'website', 'city', 'jobtitle', 'lifecyclestage'].map((id) => field(id)),
				// found in the sample's properties; the ID (beside the envelope) is never offered
				field('hs_object_id', hidden),
				field('createdate', hidden),
				field('lastmodifieddate', hidden),
			],
		});
		expect(requests).toMatchObject([{ method: 'GET', path: '/api/v1/personas/hubspot/crm/v3/objects/contacts', status: 200 }]);
	});

	it('Stripe customers: nested objects as dot-path fields (metadata.shop_id), Stripe’s own fields hidden', async () => {
		const { result } = await loadFields('bearer', 'cred-stripe', { remoteResource: 'stripeCustomers' });

		expect(result.status).toBe(200);
		const fields = (result.body.data as { fields: ResourceMapperField[] }).fields;
		expect(fields.map((f) => f.id)).toEqual(expect.arrayContaining(['email', 'address.city', 'metadata.shop_id', 'metadata.plan']));
		expect(fields.find((f) => f.id === 'metadata.shop_id')).toEqual(field('metadata.shop_id'));
		expect(fields.find((f) => f.id === 'created')).toMatchObject({ display: false, canBeUsedToMatch: false });
		expect(fields.find((f) => f.id === 'livemode')).toMatchObject({ display: false, canBeUsedToMatch: false });
		expect(fields.map((f) => f.id)).not.toContain('id');
	});

	it('a rejected credential: the notice explains why no fields could be learned, without the secret', async () => {
		const { result, requests } = await loadFields('apiKey', 'bad-apiKey', CUSTOM_STOCKITEMS);

		expect(result.status).toBe(200);
		expect(result.body.data).toEqual({
			fields: [],
			emptyFieldsNotice:
				'Could not read sample records to learn the fields: 401 Unauthorized from GET /api/v1/stockitems: "invalid credentials"',
		});
		expectNoSecret(result.body);
		expect(requests.length).toBeGreaterThan(0);
		for (const request of requests) expect(request).toMatchObject({ url: '/api/v1/stockitems?skip=0&take=20', status: 401 });
	});
});

it('no secret reached n8n’s log', () => {
	for (const secret of SECRETS) expect(n8n.logs()).not.toContain(secret);
});
