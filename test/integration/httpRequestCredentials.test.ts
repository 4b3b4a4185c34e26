/**
 * Issue 16.10 and 16.11: the package's credentials in n8n's stock HTTP Request node, replayed in-process.
 *
 * The fixture node `harnessHttpRequest` builds the request options the HTTP Request node builds (versions 4.2 and
 * 4.4, redirects followed by default) and sends them through n8n-core's real `requestWithAuthentication`: the
 * credential's `authenticate`, then n8n's legacy request path (axios, follow-redirects). The sandbox answers with a
 * redirect to a second local server on another port — another origin — that records every request it receives.
 * The real HTTP Request node in a real n8n: test/e2e/httpRequestNode.e2e.test.ts.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS, ALL_SECRETS, HMAC_KEYS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData, type CredentialKind } from '../support/credentials';
import { startRecorder, type Recorder } from '../support/genericApi';

let sandbox: Sandbox;
let foreign: Recorder;
beforeAll(async () => {
	sandbox = await startSandbox();
	foreign = await startRecorder();
});
afterAll(async () => {
	await sandbox.close();
	await foreign.close();
});
beforeEach(() => {
	sandbox.reset();
	foreign.requests.length = 0;
});

function httpRequest(kind: CredentialKind, overrides: IDataObject, parameters: IDataObject): Promise<RunResult> {
	return runNode({
		fixtures: true,
		node: { type: 'harnessHttpRequest', parameters: { nodeCredentialType: CREDENTIAL_TYPE[kind], ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE[kind], data: credentialData(kind, sandbox.baseUrl, overrides) }],
	});
}

/** Everything the other origin received that could carry a credential: headers, the URL. */
function leakedToForeign(): string[] {
	const seen = foreign.requests.map((r) => `${r.method} ${r.url} ${JSON.stringify(r.headers)}`).join('\n');
	const found = ALL_SECRETS.filter((secret) => seen.includes(secret));
	const headers = foreign.requests.flatMap((r) =>
		Object.keys(r.headers).filter((name) => /^(authorization|x-api-key|x-signature|x-timestamp|x-key-id|x-nonce)$/i.test(name)),
	);
	return [...found, ...headers];
}

const KINDS: Array<[string, CredentialKind, IDataObject]> = [
	['API key in a header', 'apiKey', {}],
	['API key in the query', 'apiKey', { keyLocation: 'query' }],
	['Basic', 'basic', {}],
	['Bearer', 'bearer', {}],
	['HMAC', 'hmac', {}],
];

describe.each([4.2, 4.4])('HTTP Request %s with a package credential', (version) => {
	it.each(KINDS)('%s: a redirect to another origin is not followed, and the other host receives nothing', async (_, kind, overrides) => {
		sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', redirectTo: foreign.origin }] });
		const result = await httpRequest(kind, overrides, { httpRequestVersion: version, url: `${sandbox.baseUrl}/clients` });
		expect(foreign.requests).toEqual([]);
		expect(leakedToForeign()).toEqual([]);
		// n8n's HTTP client did not follow the 302: the node fails with it.
		expect(result.error).toBeDefined();
		expect(JSON.stringify(result.error)).toMatch(/302/);
		expect(sandbox.log.map((e) => `${e.method} ${e.path} ${e.status}`)).toEqual(['GET /api/v1/clients 302']);
	});

	it.each(KINDS)('%s: a URL on another origin is refused before anything is sent', async (_, kind, overrides) => {
		const result = await httpRequest(kind, overrides, { httpRequestVersion: version, url: `${foreign.origin}/api/v1/clients` });
		expect(foreign.requests).toEqual([]);
		expect((result.error as Error).message).toContain(
			`Refused to send the credential to ${foreign.origin}: GET /api/v1/clients is not on the credential's Base URL origin ${sandbox.url}`,
		);
		for (const secret of ALL_SECRETS) expect(JSON.stringify(result.error)).not.toContain(secret);
	});

	it.each(KINDS)('%s: a request on the Base URL origin works as before', async (_, kind, overrides) => {
		const result = await httpRequest(kind, overrides, { httpRequestVersion: version, url: `${sandbox.baseUrl}/clients` });
		expect(result.error).toBeUndefined();
		expect(result.output[0][0].json).toMatchObject({ statusCode: 200 });
		expect((result.output[0][0].json.body as IDataObject[]).length).toBeGreaterThan(0);
	});
});

describe('OAuth2 in the HTTP Request node: n8n signs the request itself, the credential has no say (README)', () => {
	const redirectAway = () => sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', redirectTo: foreign.origin }] });

	it('4.2 follows a redirect to another origin and n8n re-adds the access token there: where the promise ends', async () => {
		redirectAway();
		const result = await httpRequest('oauth2', {}, { httpRequestVersion: 4.2, url: `${sandbox.baseUrl}/clients` });
		expect(result.error).toBeUndefined();
		expect(foreign.requests).toHaveLength(1);
		expect(foreign.requests[0].headers.authorization).toMatch(/^Bearer /);
	});

	it('4.4 follows it without the access token (n8n drops Authorization on a cross-origin redirect)', async () => {
		redirectAway();
		const result = await httpRequest('oauth2', {}, { httpRequestVersion: 4.4, url: `${sandbox.baseUrl}/clients` });
		expect(result.error).toBeUndefined();
		expect(foreign.requests).toHaveLength(1);
		expect(foreign.requests[0].headers.authorization).toBeUndefined();
	});
});

describe('HMAC signs exactly the bytes the HTTP Request node sends (issue 16.11)', () => {
	const template = '{timestamp}\\n{method}\\n{path}\\n{body}';
	beforeEach(() => sandbox.setHmacConfig({ template, keyId: HMAC_KEYS[0].keyId }));

	it.each([
		['ending in a newline', '{"name": "Raw body", "city": "Gent"}\n'],
		['with surrounding blanks', '  {"name": "Raw body", "city": "Gent"}  \r\n'],
		['compact', '{"name":"Raw body","city":"Gent"}'],
	])('a raw JSON body %s is signed as sent and verified by the API', async (_, body) => {
		const result = await httpRequest('hmac', { payloadTemplate: template, keyId: HMAC_KEYS[0].keyId }, {
			httpRequestVersion: 4.2,
			method: 'POST',
			url: `${sandbox.baseUrl}/clients?format=json`,
			body,
			rawContentType: 'application/json',
		});
		expect(result.error).toBeUndefined();
		const [post] = sandbox.log.filter((e) => e.method === 'POST');
		expect(post).toMatchObject({ status: 201, auth: { scheme: 'hmac' } });
		expect(post.body).toBe(body);
	});

	// README: "HMAC signs what that node sends: … a JSON, form-urlencoded or raw body byte for byte". n8n's legacy
	// request path re-encodes a form body that is not a string (`qs.stringify(buffer)` → `0=110&1=97…`). The sandbox's
	// Stripe persona takes form bodies only (and checks the signature like every sandbox API).
	const stripeCustomers = () => `${sandbox.baseUrl}/personas/stripe/v1/customers`;
	const stripeNames = () => sandbox.personas.stripe.customers.rows(ACCOUNTS.owner).map((c) => [c.name, c.metadata]);

	it('a raw application/x-www-form-urlencoded body reaches the API as signed', async () => {
		const body = 'name=Form+client&metadata[shop_id]=WS-1';
		const result = await httpRequest('hmac', { payloadTemplate: template, keyId: HMAC_KEYS[0].keyId }, {
			httpRequestVersion: 4.2,
			method: 'POST',
			url: stripeCustomers(),
			body,
			rawContentType: 'application/x-www-form-urlencoded',
		});
		expect(result.error).toBeUndefined();
		const [post] = sandbox.log.filter((e) => e.method === 'POST');
		expect(post).toMatchObject({ status: 200, auth: { scheme: 'hmac' }, body });
		expect(stripeNames()).toContainEqual(['Form client', { shop_id: 'WS-1' }]);
	});

	it.each([4.2, 4.4])('HTTP Request %s, Body Content Type "Form Urlencoded": the form reaches the API as signed', async (version) => {
		const result = await httpRequest('hmac', { payloadTemplate: template, keyId: HMAC_KEYS[0].keyId }, {
			httpRequestVersion: version,
			method: 'POST',
			url: stripeCustomers(),
			formFields: JSON.stringify({ name: 'Form client & Co', 'metadata[city]': 'Gent' }),
		});
		expect(result.error).toBeUndefined();
		const [post] = sandbox.log.filter((e) => e.method === 'POST');
		expect(post).toMatchObject({ status: 200, auth: { scheme: 'hmac' }, body: 'name=Form+client+%26+Co&metadata%5Bcity%5D=Gent' });
		expect(stripeNames()).toContainEqual(['Form client & Co', { city: 'Gent' }]);
	});
});

describe('README "a 3xx stops the node with that status": the error carries no secret', () => {
	it.each(KINDS)('%s: a same-origin 301 stops the HTTP Request node without the secret in the error or the logs', async (_, kind, overrides) => {
		sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', status: 301, headers: { Location: `${sandbox.baseUrl}/clients/` } }] });
		const result = await httpRequest(kind, overrides, { httpRequestVersion: 4.2, url: `${sandbox.baseUrl}/clients` });
		expect(result.error).toBeDefined();
		expect(JSON.stringify(result.error)).toMatch(/301/);
		const visible = JSON.stringify({ error: result.error, message: (result.error as Error).message, logs: result.logs });
		for (const secret of ALL_SECRETS) expect(visible).not.toContain(secret);
	});
});
