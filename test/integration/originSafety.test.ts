/**
 * The credential never leaves its origin, and no secret shows in a message: next-page links (body and `Link`
 * header) to another origin are refused for every credential type; root-relative and relative links resolve as
 * RFC 3986 says; a query-parameter key echoed into next links is sent once per request; guard messages and
 * echoed Basic headers are redacted.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox, type SandboxListing } from '../sandbox/server';
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
	// 3 seeded + 9 = 12 owner clients: 3 pages of 5 in the capped listing mode.
	for (let i = 0; i < 9; i++) sandbox.store.insert(ACCOUNTS.owner, 'clients', { name: `Extra ${i}`, external_client_id: `x-${i}` });
});

const KINDS: Array<[string, CredentialKind, IDataObject]> = [
	['API key in a header', 'apiKey', {}],
	['API key in the query', 'apiKey', { keyLocation: 'query' }],
	['Basic', 'basic', {}],
	['Bearer', 'bearer', {}],
	['HMAC', 'hmac', {}],
	['OAuth2 (client credentials)', 'oauth2', {}],
];

function listClients(
	kind: CredentialKind,
	overrides: IDataObject,
	style: 'nextUrl' | 'linkHeader',
): Promise<RunResult> {
	const data: ICredentialDataDecryptedObject = credentialData(kind, sandbox.baseUrl, overrides);
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE[kind],
				operation: 'getAll',
				returnAll: true,
				remoteResource: 'custom',
				customPath: '/clients',
				customIdField: 'client_id',
				customPagination:
					style === 'nextUrl' ? { style, nextUrlPath: 'next', recordsPath: 'data' } : { style, recordsPath: '' },
			},
		},
		credentials: [{ type: CREDENTIAL_TYPE[kind], data }],
	});
}

const links = (style: 'nextUrl' | 'linkHeader'): SandboxListing['nextLinks'] => (style === 'nextUrl' ? 'body' : 'header');

describe.each(['nextUrl', 'linkHeader'] as const)('next links (%s)', (style) => {
	it.each(KINDS)('refuses a link to another origin with %s: the other host receives nothing', async (_, kind, overrides) => {
		sandbox.setListing({ maxPageSize: 5, nextLinks: links(style), linkTarget: { origin: foreign.origin } });
		const result = await listClients(kind, overrides, style);
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe(
			`Refused to send the credential to ${foreign.origin}: GET /api/v1/clients is not on the credential's Base URL origin ${sandbox.url}`,
		);
		expect(error.description).toMatch(/only ever sent to the origin of its Base URL/);
		expect(foreign.requests).toHaveLength(0);
	});

	it.each(['root-relative', 'relative'] as const)('resolves a %s link against the page it came from', async (linkTarget) => {
		sandbox.setListing({ maxPageSize: 5, nextLinks: links(style), linkTarget });
		const result = await listClients('bearer', {}, style);
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(12);
		expect(sandbox.log.map((e) => e.path)).toEqual(['/api/v1/clients', '/api/v1/clients', '/api/v1/clients']);
	});
});

describe('redirects', () => {
	function getMany(kind: CredentialKind, overrides: IDataObject): Promise<RunResult> {
		return runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE[kind], operation: 'getAll', returnAll: true, remoteResource: 'clients' } },
			credentials: [{ type: CREDENTIAL_TYPE[kind], data: credentialData(kind, sandbox.baseUrl, overrides) }],
		});
	}

	it.each(KINDS)('a redirect to another origin is refused with %s: the other host receives nothing', async (_, kind, overrides) => {
		sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', status: 302, headers: { Location: `${foreign.origin}/steal` } }] });
		const result = await getMany(kind, overrides);
		expect((result.error as Error).message).toBe(
			`Refused to send the credential to ${foreign.origin}: the API redirected GET /api/v1/clients there, which is not on the credential's Base URL origin ${sandbox.url}`,
		);
		expect(foreign.requests).toHaveLength(0);
	});

	it('a redirect on the same origin is followed', async () => {
		sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', status: 301, headers: { Location: '/api/v1/clients?moved=1' } }] });
		const result = await getMany('apiKey', {});
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(12);
		expect(sandbox.log.map((e) => e.status)).toEqual([301, 200]);
	});
});

describe('a query-parameter API key echoed into next links', () => {
	it('is sent exactly once in every request', async () => {
		sandbox.setListing({ maxPageSize: 2, nextLinks: 'body', echoQuery: true });
		const result = await listClients('apiKey', { keyLocation: 'query' }, 'nextUrl');
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(12);
		// Six full pages, then an empty one: this API links on while its pages are full.
		expect(sandbox.log).toHaveLength(7);
		for (const entry of sandbox.log) expect(entry.url.match(/api_key=/g)).toHaveLength(1);
	});

	it('never appears in the endless-paging guard message', async () => {
		sandbox.setListing({ maxPageSize: 5, nextLinks: 'body', stuckLink: true });
		const result = await listClients('apiKey', { keyLocation: 'query' }, 'nextUrl');
		const error = result.error as Error & { description?: string };
		expect(error.message).toMatch(/^The next-page link does not advance on GET \/clients: .*api_key=\[redacted\].* was already fetched$/);
		const key = credentialData('apiKey', '').apiKey as string;
		expect(JSON.stringify({ m: error.message, d: error.description })).not.toContain(key);
	});
});

describe('an API that echoes the Basic Authorization header in its error', () => {
	// len("abc@example.com:") = 16, not a multiple of 3: base64 of the pair does not contain base64 of the password.
	it.each(['abc@example.com', 'ab@example.com', 'a@example.com'])('redacts base64(user:password) for user %s', async (user) => {
		const password = 'S3cret-pass!';
		const header = Buffer.from(`${user}:${password}`).toString('base64');
		sandbox.setFaults({ scripted: [{ path: '/api/v1/clients', status: 400, body: JSON.stringify({ error: `bad header Basic ${header}` }) }] });
		const result = await listClients('basic', { user, password }, 'nextUrl');
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe('400 Bad Request from GET /api/v1/clients: "bad header Basic [redacted]"');
		expect(JSON.stringify({ m: error.message, d: error.description })).not.toContain(header);
	});
});
