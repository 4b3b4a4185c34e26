/**
 * Each of the five credential types authenticates a request from inside a real n8n process
 * (n8n 2.40.7 with the built package installed as a community package), against the sandbox.
 */
import { ALL_SECRETS, ACCOUNTS } from '../sandbox/fixtures';
import { SANDBOX_SCHEME, SECRET_FIELD, type CredentialKind } from '../support/credentials';
import { apiSyncNode, sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';
import { chainWorkflow } from './support/workflow';

jest.setTimeout(600_000);

const KINDS: CredentialKind[] = ['basic', 'bearer', 'apiKey', 'oauth2', 'hmac'];
const WRONG = 'definitely-Wrong-secret-42';
const SIGNED_TEMPLATE = '{timestamp}\\n{method}\\n{path}\\n{bodySha256}';

let env: PackageE2e;

beforeAll(async () => {
	env = await startPackageE2e();
	const { n8n, sandbox } = env;
	await n8n.importCredentials([
		...KINDS.map((kind) => sandboxCredential(kind, sandbox)),
		...KINDS.map((kind) => sandboxCredential(kind, sandbox, { [SECRET_FIELD[kind]]: WRONG }, `bad-${kind}`)),
		sandboxCredential('hmac', sandbox, { payloadTemplate: SIGNED_TEMPLATE, keyId: 'hmac-key-1' }, 'signed-hmac'),
	]);
	const getMany = { operation: 'getAll', remoteResource: 'clients', returnAll: true };
	await n8n.importWorkflows([
		...KINDS.map((kind) => chainWorkflow({ id: `ok-${kind}`, nodes: [apiSyncNode(kind, `cred-${kind}`, getMany)] })),
		...KINDS.map((kind) => chainWorkflow({ id: `bad-${kind}`, nodes: [apiSyncNode(kind, `bad-${kind}`, getMany)] })),
		chainWorkflow({
			id: 'hmac-create',
			nodes: [
				apiSyncNode('hmac', 'signed-hmac', {
					operation: 'create',
					remoteResource: 'clients',
					recordData: '{"name": "Signed from n8n", "city": "Brugge"}',
				}),
			],
		}),
	]);
});

afterAll(async () => await stopPackageE2e(env));

it('authenticates a Get Many request with each credential type', async () => {
	const results = await Promise.all(KINDS.map((kind) => env.n8n.execute(`ok-${kind}`)));
	results.forEach((result, i) => {
		const kind = KINDS[i];
		expect({ kind, exitCode: result.exitCode, error: result.errorMessage }).toEqual({ kind, exitCode: 0, error: undefined });
		const names = result.nodeOutput('API Sync')[0].map((item) => item.name);
		expect(names).toEqual(env.sandbox.store.list(ACCOUNTS.owner, 'clients').map((c) => c.name));
		const request = env.sandbox.log.find((e) => e.path === '/api/v1/clients' && e.auth?.scheme === SANDBOX_SCHEME[kind]);
		expect(request).toMatchObject({ status: 200, auth: { account: ACCOUNTS.owner } });
		for (const secret of ALL_SECRETS) expect(result.stdout).not.toContain(secret);
	});
	// OAuth2 client credentials: n8n itself fetched the token from the sandbox.
	expect(env.sandbox.log.filter((e) => e.path === '/api/v1/oauth/token' && e.status === 200)).toHaveLength(1);
});

it('fails with a clear message and leaks no secret on a wrong secret', async () => {
	const results = await Promise.all(KINDS.map((kind) => env.n8n.execute(`bad-${kind}`)));
	results.forEach((result, i) => {
		const kind = KINDS[i];
		expect(result.exitCode).not.toBe(0);
		if (kind === 'oauth2') expect(result.errorMessage).toMatch(/token|invalid_client|401|client authentication failed/i); // 1.x words it so
		else expect(result.errorMessage).toMatch(/^401 Unauthorized from GET \/api\/v1\/clients: "invalid (credentials|signature)"$/);
		for (const secret of [...ALL_SECRETS, WRONG]) {
			expect(result.stdout).not.toContain(secret);
			expect(result.stderr).not.toContain(secret);
		}
	});
});

it('signs method, path and the exact JSON body with HMAC from real n8n', async () => {
	env.sandbox.setHmacConfig({ template: SIGNED_TEMPLATE, keyId: 'hmac-key-1' });
	try {
		const result = await env.n8n.execute('hmac-create');
		expect(result.errorMessage).toBeUndefined();
		expect(result.nodeOutput('API Sync')[0][0]).toMatchObject({ success: 'client created' });
		const post = env.sandbox.log.find((e) => e.method === 'POST' && e.path === '/api/v1/clients');
		expect(post).toMatchObject({ status: 201, auth: { scheme: 'hmac', principal: 'hmac-key-1' } });
		expect(JSON.parse(post!.body)).toEqual({ name: 'Signed from n8n', city: 'Brugge' });
	} finally {
		env.sandbox.reset();
	}
});
