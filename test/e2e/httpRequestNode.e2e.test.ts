/**
 * The stock HTTP Request node (4.x) with *Authentication: Predefined Credential Type*, in a real n8n:
 *
 * - the editor offers all five credential types of the package in that list. The editor builds it from
 *   the HTTP Request node's `nodeCredentialType` parameter (`credentialTypes: ['extends:oAuth2Api', …,
 *   'has:authenticate', 'has:genericAuth']`) applied to the credential types n8n serves at
 *   `/types/credentials.json`; the test reads both from the running n8n and applies the same rules.
 * - each credential authenticates a request the HTTP Request node sends through n8n's legacy request
 *   path (`requestWithAuthentication`, URL in `uri`), and the sandbox verifies every scheme;
 * - HMAC signs method, path with query and the JSON body exactly as the node sends it, a raw JSON body ending
 *   in a newline byte for byte (issue 16.11), and a form-urlencoded body (Body Content Type "Form Urlencoded", or
 *   "Raw" with that content type) as the text of exactly the bytes signed — sent to the sandbox's Stripe persona,
 *   which takes form bodies only;
 * - a redirect to another origin (a second local server on another port) receives none of the five credentials
 *   from HTTP Request 4.2 or 4.4 — except OAuth2 with 4.2, where n8n itself re-adds the token (issue 16.10, README).
 */
import { ACCOUNTS, ALL_SECRETS, HMAC_KEYS } from '../sandbox/fixtures';
import { CREDENTIAL_TYPE, SANDBOX_SCHEME, type CredentialKind } from '../support/credentials';
import { n8nMajorVersion, type StartedN8n } from './support/n8n';
import { sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';
import { startRecorder, type Recorder } from '../support/genericApi';
import { chainWorkflow, type ChainNode } from './support/workflow';

jest.setTimeout(600_000);

const KINDS: CredentialKind[] = ['basic', 'bearer', 'apiKey', 'oauth2', 'hmac'];
const SIGNED_TEMPLATE = '{timestamp}\\n{method}\\n{path}\\n{bodySha256}';
const HTTP_REQUEST = 'n8n-nodes-base.httpRequest';

let env: PackageE2e;
let foreign: Recorder;
/** HTTP Request versions probed: 4.2 and 4.4 (n8n 2.x); n8n 1.x has no 4.4 (its newest is 4.3), so 4.2 only. */
let VERSIONS = [4.2, 4.4];
const RAW_BODY = '{"name": "Raw body with a newline", "city": "Gent"}\n';
const BODY_TEMPLATE = '{timestamp}\\n{method}\\n{path}\\n{body}';
const RAW_FORM = 'name=Raw+form+client&metadata[city]=Brugge';

function httpRequestNode(
	kind: CredentialKind,
	credentialId: string,
	parameters: Record<string, unknown>,
	node: Partial<ChainNode> = {},
): ChainNode {
	const type = CREDENTIAL_TYPE[kind];
	return {
		name: 'HTTP Request',
		type: HTTP_REQUEST,
		typeVersion: 4.2,
		parameters: { authentication: 'predefinedCredentialType', nodeCredentialType: type, options: {}, ...parameters },
		credentials: { [type]: { id: credentialId, name: credentialId } },
		...node,
	};
}

/** One HTTP Request node per credential and version, each asking the sandbox for `?probe=<kind>-<version>`. */
const redirectProbes = (baseUrl: string): ChainNode[] =>
	KINDS.flatMap((kind) =>
		VERSIONS.map((version) =>
			httpRequestNode(
				kind,
				`cred-${kind}`,
				{ method: 'GET', url: `${baseUrl}/clients?probe=${kind}-${version}` },
				{ name: `${kind} ${version}`, typeVersion: version, onError: 'continueRegularOutput' },
			),
		),
	);

beforeAll(async () => {
	env = await startPackageE2e();
	if (n8nMajorVersion(env.n8n.installDir) < 2) VERSIONS = [4.2];
	foreign = await startRecorder('{"answeredBy": "another origin"}');
	const { n8n, sandbox } = env;
	await n8n.importCredentials([
		...KINDS.map((kind) => sandboxCredential(kind, sandbox)),
		sandboxCredential('hmac', sandbox, { payloadTemplate: SIGNED_TEMPLATE, keyId: HMAC_KEYS[0].keyId }, 'signed-hmac'),
		sandboxCredential('hmac', sandbox, { payloadTemplate: BODY_TEMPLATE, keyId: HMAC_KEYS[0].keyId }, 'body-hmac'),
	]);
	await n8n.importWorkflows([
		...KINDS.map((kind) =>
			chainWorkflow({
				id: `http-${kind}`,
				nodes: [httpRequestNode(kind, `cred-${kind}`, { method: 'GET', url: `${sandbox.baseUrl}/clients` })],
			}),
		),
		chainWorkflow({
			id: 'http-hmac-post',
			nodes: [
				httpRequestNode('hmac', 'signed-hmac', {
					method: 'POST',
					url: `${sandbox.baseUrl}/clients`,
					sendQuery: true,
					queryParameters: { parameters: [{ name: 'format', value: 'json' }] },
					sendBody: true,
					specifyBody: 'json',
					jsonBody: '{"name": "Signed by the HTTP Request node", "city": "Gent", "tags": ["a", "b"]}',
				}),
			],
		}),
		chainWorkflow({
			id: 'http-hmac-raw',
			nodes: [
				httpRequestNode('hmac', 'body-hmac', {
					method: 'POST',
					url: `${sandbox.baseUrl}/clients`,
					sendQuery: true,
					queryParameters: { parameters: [{ name: 'format', value: 'json' }] },
					sendBody: true,
					contentType: 'raw',
					rawContentType: 'application/json',
					body: RAW_BODY,
				}),
			],
		}),
		chainWorkflow({
			id: 'http-hmac-form',
			nodes: [
				httpRequestNode(
					'hmac',
					'body-hmac',
					{
						method: 'POST',
						url: `${sandbox.baseUrl}/personas/stripe/v1/customers`,
						sendBody: true,
						contentType: 'form-urlencoded',
						bodyParameters: { parameters: [{ name: 'name', value: 'Form client' }, { name: 'metadata[city]', value: 'Gent' }] },
					},
					{ name: 'Form Urlencoded' },
				),
				httpRequestNode(
					'hmac',
					'body-hmac',
					{
						method: 'POST',
						url: `${sandbox.baseUrl}/personas/stripe/v1/customers`,
						sendBody: true,
						contentType: 'raw',
						rawContentType: 'application/x-www-form-urlencoded',
						body: RAW_FORM,
					},
					{ name: 'Raw form' },
				),
			],
		}),
		chainWorkflow({ id: 'http-redirects', nodes: redirectProbes(sandbox.baseUrl) }),
	]);
});

afterAll(async () => {
	await stopPackageE2e(env);
	await foreign?.close();
});

describe('the editor', () => {
	let n8n: StartedN8n;
	beforeAll(async () => (n8n = await env.n8n.start()));
	afterAll(async () => await n8n?.stop());

	it('offers all five credential types in the HTTP Request node\'s Predefined Credential Type list', async () => {
		const nodes = await fetchJson(n8n, '/types/nodes.json');
		const credentialTypes = (await fetchJson(n8n, '/types/credentials.json')) as CredentialTypeJson[];
		const httpRequest = (nodes as NodeTypeJson[]).find(
			(n) => n.name === HTTP_REQUEST && [n.version].flat().includes(4.2),
		);
		const selector = httpRequest?.properties.find((p) => p.name === 'nodeCredentialType');
		expect(selector?.credentialTypes).toEqual(expect.arrayContaining(['has:authenticate', 'extends:oAuth2Api']));

		const offered = credentialTypes
			.filter((type) => isOfferedBy(selector!.credentialTypes!, type, credentialTypes))
			.map((type) => type.name);
		expect(offered).toEqual(expect.arrayContaining(KINDS.map((kind) => CREDENTIAL_TYPE[kind])));
	});
});

it('each of the five credentials authenticates the HTTP Request node\'s request', async () => {
	const mark = env.sandbox.log.length;
	const results = await Promise.all(KINDS.map((kind) => env.n8n.execute(`http-${kind}`)));
	const requests = env.sandbox.log.slice(mark).filter((e) => e.path === '/api/v1/clients');
	results.forEach((result, i) => {
		const kind = KINDS[i];
		expect({ kind, exitCode: result.exitCode, error: result.errorMessage }).toEqual({ kind, exitCode: 0, error: undefined });
		const names = result.nodeOutput('HTTP Request')[0].map((item) => item.name);
		expect(names).toEqual(env.sandbox.store.list(ACCOUNTS.owner, 'clients').map((c) => c.name));
		for (const secret of ALL_SECRETS) {
			expect(result.stdout).not.toContain(secret);
			expect(result.stderr).not.toContain(secret);
		}
	});
	// The sandbox verified each scheme: one accepted GET per credential.
	expect(requests.map((e) => `${e.method} ${e.status} ${e.auth?.scheme}`).sort()).toEqual(
		KINDS.map((kind) => `GET 200 ${SANDBOX_SCHEME[kind]}`).sort(),
	);
});

it('hmac: signs method, path with query, and the JSON body exactly as the HTTP Request node sends it', async () => {
	env.sandbox.setHmacConfig({ template: SIGNED_TEMPLATE, keyId: HMAC_KEYS[0].keyId });
	try {
		const mark = env.sandbox.log.length;
		const result = await env.n8n.execute('http-hmac-post');
		expect(result.errorMessage).toBeUndefined();
		expect(result.nodeOutput('HTTP Request')[0][0]).toMatchObject({ success: 'client created' });
		const [post] = env.sandbox.log.slice(mark).filter((e) => e.method === 'POST');
		expect(post).toMatchObject({
			path: '/api/v1/clients',
			url: '/api/v1/clients?format=json',
			status: 201,
			auth: { scheme: 'hmac', principal: HMAC_KEYS[0].keyId },
		});
		expect(JSON.parse(post.body)).toEqual({ name: 'Signed by the HTTP Request node', city: 'Gent', tags: ['a', 'b'] });
	} finally {
		env.sandbox.reset();
	}
});

it('hmac: a raw JSON body ending in a newline is signed byte for byte as sent (issue 16.11)', async () => {
	env.sandbox.setHmacConfig({ template: BODY_TEMPLATE, keyId: HMAC_KEYS[0].keyId });
	try {
		const mark = env.sandbox.log.length;
		const result = await env.n8n.execute('http-hmac-raw');
		expect(result.errorMessage).toBeUndefined();
		const [post] = env.sandbox.log.slice(mark).filter((e) => e.method === 'POST');
		expect(post).toMatchObject({ status: 201, auth: { scheme: 'hmac', principal: HMAC_KEYS[0].keyId } });
		expect(post.body).toBe(RAW_BODY);
	} finally {
		env.sandbox.reset();
	}
});

// README: "HMAC signs what that node sends: … a JSON, form-urlencoded or raw body byte for byte". n8n's legacy request
// path re-encodes a form body that is not a string (a Buffer went out as `0=110&1=97…`, and the API answered 401).
it('hmac: a Form Urlencoded body, and a raw form-urlencoded body, reach the API as signed', async () => {
	env.sandbox.setHmacConfig({ template: BODY_TEMPLATE, keyId: HMAC_KEYS[0].keyId });
	try {
		const mark = env.sandbox.log.length;
		const result = await env.n8n.execute('http-hmac-form');
		const posts = env.sandbox.log.slice(mark).filter((e) => e.method === 'POST');
		expect({ received: posts.map((e) => [e.body, e.status, e.auth?.scheme]), error: result.errorMessage }).toEqual({
			received: [
				['name=Form+client&metadata%5Bcity%5D=Gent', 200, 'hmac'],
				[RAW_FORM, 200, 'hmac'],
			],
			error: undefined,
		});
		const customers = env.sandbox.personas.stripe.customers.rows(ACCOUNTS.owner).map((c) => [c.name, c.metadata.city]);
		expect(customers).toEqual(expect.arrayContaining([['Form client', 'Gent'], ['Raw form client', 'Brugge']]));
	} finally {
		env.sandbox.reset();
	}
});

it('a redirect to another origin: no credential reaches it from HTTP Request 4.2 or 4.4, except OAuth2 with 4.2 (issue 16.10)', async () => {
	env.sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', redirectTo: foreign.origin, times: KINDS.length * VERSIONS.length }] });
	try {
		foreign.requests.length = 0;
		const result = await env.n8n.execute('http-redirects');
		const reached = (kind: CredentialKind, version: number) => foreign.requests.filter((r) => r.url.includes(`probe=${kind}-${version}`));
		for (const kind of KINDS) {
			for (const version of VERSIONS) {
				const [output] = result.nodeOutput(`${kind} ${version}`);
				const got = reached(kind, version);
				const seen = { kind, version, requests: got.length, authorization: got[0]?.headers.authorization?.toString().split(' ')[0] };
				if (kind !== 'oauth2') {
					// Not followed: the node reports the 302; the other origin never hears of it.
					expect(seen).toEqual({ kind, version, requests: 0, authorization: undefined });
					expect(JSON.stringify(output[0].error)).toMatch(/302/);
				} else {
					// n8n signs OAuth2 requests itself, outside the credential's authenticate: 4.2 re-adds the token on a
					// cross-origin redirect, 4.4 does not (README, "In n8n's HTTP Request node").
					expect(seen).toEqual({ kind, version, requests: 1, authorization: version < 4.4 ? 'Bearer' : undefined });
				}
			}
		}
		const everything = JSON.stringify(foreign.requests);
		for (const secret of ALL_SECRETS) expect(everything).not.toContain(secret);
	} finally {
		env.sandbox.reset();
	}
});

interface CredentialTypeJson {
	name: string;
	extends?: string[];
	[key: string]: unknown;
}

interface NodeTypeJson {
	name: string;
	version: number | number[];
	properties: Array<{ name: string; credentialTypes?: string[] }>;
}

/** What the editor loads after login: the node and credential types, as JSON. */
async function fetchJson(n8n: StartedN8n, urlPath: string): Promise<unknown> {
	const res = await n8n.rest('GET', urlPath);
	expect(res.status).toBe(200);
	return res.body;
}

/**
 * The editor's rule for a `credentialsSelect` parameter (CredentialsSelect.vue, `isSupported`): a type is
 * offered unless hidden or restricted to other nodes, when it has a property named by `has:<prop>` (but not
 * `authenticate` on a `genericAuth` type), or extends a type named by `extends:<type>`, or a parent that is offered.
 */
function isOfferedBy(selectors: string[], type: CredentialTypeJson | undefined, all: CredentialTypeJson[]): boolean {
	if (!type || type.hidden || (type.restrictToSupportedNodes && !(type.supportedNodes as string[] | undefined)?.includes(HTTP_REQUEST))) {
		return false;
	}
	const has = selectors.filter((s) => s.startsWith('has:')).map((s) => s.slice(4));
	const extendsTypes = selectors.filter((s) => s.startsWith('extends:')).map((s) => s.slice(8));
	if (has.some((prop) => type[prop] !== undefined && !(prop === 'authenticate' && type.genericAuth === true))) return true;
	const parents = type.extends ?? [];
	if (parents.some((parent) => extendsTypes.includes(parent))) return true;
	return extendsTypes.length > 0 && parents.some((parent) => isOfferedBy(selectors, all.find((t) => t.name === parent), all));
}
