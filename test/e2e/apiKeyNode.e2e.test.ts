/**
 * The API Sync API Key node in a real n8n: one key per client account of an accountant portal,
 * and the failures a user can run into.
 */
import { ACCOUNTS, ALL_SECRETS } from '../sandbox/fixtures';
import { ACCOUNTANT, CREDENTIAL_TYPE } from '../support/credentials';
import { itemsNode, PACKAGE, sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';
import { chainWorkflow, type ChainNode } from './support/workflow';

jest.setTimeout(600_000);

let env: PackageE2e;

function apiKeyNode(credentialId: string, parameters: Record<string, unknown> = {}): ChainNode {
	return {
		name: 'Create API Key',
		type: `${PACKAGE}.apiSyncApiKey`,
		parameters: {
			authentication: CREDENTIAL_TYPE.basic,
			keyName: '={{ "Read-only key for " + $json.account }}',
			additionalRights: 'clients:read, invoices:read',
			accountId: '={{ $json.account }}',
			...parameters,
		},
		credentials: { [CREDENTIAL_TYPE.basic]: { id: credentialId, name: credentialId } },
	};
}

const accounts = (list: string[]) => itemsNode('Accounts', list.map((account) => ({ account })));

beforeAll(async () => {
	env = await startPackageE2e();
	const { n8n, sandbox } = env;
	await n8n.importCredentials([
		sandboxCredential('basic', sandbox, { user: ACCOUNTANT.email, password: ACCOUNTANT.password }, 'portal-basic'),
		sandboxCredential('basic', sandbox, {}, 'owner-basic'),
		sandboxCredential('basic', sandbox, { user: ACCOUNTANT.email, password: 'wrong-Password-1' }, 'wrong-basic'),
	]);
	await n8n.importWorkflows([
		chainWorkflow({
			id: 'keys-per-account',
			nodes: [
				accounts([...ACCOUNTS.portalClients]),
				apiKeyNode('portal-basic'),
				{
					// What a user does next with each key: store it somewhere. Here: prove it is usable downstream.
					name: 'Use Key',
					type: 'n8n-nodes-base.code',
					typeVersion: 2,
					parameters: {
						jsCode:
							'return $input.all().map((item) => ({ json: { account: item.json.accountId, verified: item.json.verified, keyLength: (item.json.apiKey || "").length } }));',
					},
				},
			],
		}),
		chainWorkflow({ id: 'keys-wrong-password', nodes: [accounts([ACCOUNTS.portalClients[0]]), apiKeyNode('wrong-basic')] }),
		chainWorkflow({ id: 'keys-not-portal', nodes: [accounts([ACCOUNTS.other]), apiKeyNode('owner-basic')] }),
		chainWorkflow({ id: 'keys-server-error', nodes: [accounts([ACCOUNTS.portalClients[0]]), apiKeyNode('portal-basic')] }),
	]);
});

afterAll(async () => await stopPackageE2e(env));
beforeEach(() => env.sandbox.reset());

const posts = () => env.sandbox.log.filter((e) => e.method === 'POST' && e.path === '/api/v1/apikeys');

it('creates three verified keys for three accounts with the given rights', async () => {
	const result = await env.n8n.execute('keys-per-account');
	expect(result.errorMessage).toBeUndefined();
	const created = result.nodeOutput('Create API Key')[0];
	expect(created).toHaveLength(3);
	created.forEach((item, i) =>
		expect(item).toMatchObject({
			name: `Read-only key for ${ACCOUNTS.portalClients[i]}`,
			accountId: ACCOUNTS.portalClients[i],
			rights: ['clients:read', 'invoices:read'],
			verified: true,
		}),
	);
	// The next node received each real key.
	const used = result.nodeOutput('Use Key')[0];
	expect(used.map((u) => u.verified)).toEqual([true, true, true]);
	expect(used.every((u) => Number(u.keyLength) >= 16)).toBe(true);
	for (const account of ACCOUNTS.portalClients) {
		expect(env.sandbox.issuedApiKeys(account)).toEqual([expect.objectContaining({ rights: ['clients:read', 'invoices:read'] })]);
	}
	expect(posts().every((p) => p.auth?.scheme === 'basic')).toBe(true);
});

it('says the Basic Auth password was rejected', async () => {
	const result = await env.n8n.execute('keys-wrong-password');
	expect(result.exitCode).not.toBe(0);
	expect(result.errorMessage).toBe('401 Unauthorized from POST /api/v1/apikeys: "invalid credentials"');
	expect(env.sandbox.issuedApiKeys()).toHaveLength(0);
	for (const secret of [...ALL_SECRETS, 'wrong-Password-1']) expect(result.stdout).not.toContain(secret);
});

it('explains the refusal when a non-portal user asks for another account', async () => {
	const result = await env.n8n.execute('keys-not-portal');
	expect(result.errorMessage).toMatch(/^403 Forbidden from POST \/api\/v1\/apikeys: "no access to account B10000001: user owner@example.com is not an accountant-portal user/);
});

it('makes exactly one POST when the API answers 500, and the key never shows in the error', async () => {
	env.sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 500 }] });
	const result = await env.n8n.execute('keys-server-error');
	expect(result.errorMessage).toBe(
		'500 Internal Server Error from POST /api/v1/apikeys: "internal server error"; not retried: POST is not idempotent, and the outcome is unknown: the API failed while handling it, and the API may or may not have applied it',
	);
	expect(posts()).toHaveLength(1);
	// A 500 may come after the key was created: never "no key was created", always how to check.
	expect(result.stdout).toContain('No earlier item of this run created a key. The key of the item that failed may exist as well');
	expect(result.stdout).not.toContain('No API key was created in this run');
});
