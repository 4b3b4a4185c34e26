/**
 * The node's Account ID option wins, under the credential's own account header name: a credential that sends
 * its account as `X-Tenant: <credential account>` gets `X-Tenant: <node account>` from Sync, Get Many, the
 * trigger and the API Key node — never both headers, never `X-AccountId` beside it.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { runPoll } from '../harness/poll';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { ACCOUNTANT, CREDENTIAL_TYPE, credentialData, type CredentialKind } from '../support/credentials';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const CREDENTIAL_ACCOUNT = 'CRED-ACCOUNT';
const NODE_ACCOUNT = 'NODE-ACCOUNT';

function tenantCredential(kind: CredentialKind): ICredentialDataDecryptedObject {
	return credentialData(kind, sandbox.baseUrl, { accountId: CREDENTIAL_ACCOUNT, accountIdHeader: 'X-Tenant' });
}

/** The account headers of every API request the sandbox saw. */
function accountHeaders(): Array<{ tenant: unknown; accountId: unknown }> {
	return sandbox.log.map((e) => ({ tenant: e.headers['x-tenant'], accountId: e.headers['x-accountid'] }));
}

function expectNodeAccountUnderTenant(): void {
	expect(sandbox.log.length).toBeGreaterThan(0);
	for (const headers of accountHeaders()) expect(headers).toEqual({ tenant: NODE_ACCOUNT, accountId: undefined });
}

function runApiSync(kind: CredentialKind, parameters: IDataObject, data = tenantCredential(kind), items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE[kind], ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE[kind], data }],
		items,
	});
}

const SYNC = {
	operation: 'sync',
	remoteResource: 'clients',
	syncMode: 'upsert',
	columns: {
		mappingMode: 'defineBelow',
		value: { external_client_id: '={{ $json.id }}', name: '={{ $json.name }}' },
		matchingColumns: ['external_client_id'],
		schema: [],
	},
	syncOptions: { maxRequestsPerSecond: 0, useBulk: false },
	options: { accountId: NODE_ACCOUNT },
};

describe.each(['apiKey', 'basic', 'bearer'] as const)('credential %s with Account ID Header X-Tenant', (kind) => {
	it('Get Many sends the node account as X-Tenant only', async () => {
		const result = await runApiSync(kind, { operation: 'getAll', returnAll: true, remoteResource: 'clients', options: { accountId: NODE_ACCOUNT } });
		expect(result.error).toBeUndefined();
		expectNodeAccountUnderTenant();
	});

	it('Sync sends the node account as X-Tenant only, on reads and writes', async () => {
		const result = await runApiSync(kind, SYNC, undefined, [{ id: 'new-1', name: 'New client' }]);
		expect(result.error).toBeUndefined();
		// read, create, and the read that checks for records another run created at the same time
		expect(sandbox.log.map((e) => e.method)).toEqual(['GET', 'POST', 'GET']);
		expectNodeAccountUnderTenant();
	});

	it('without a node account, the credential account is sent as X-Tenant', async () => {
		const result = await runApiSync(kind, { operation: 'getAll', returnAll: true, remoteResource: 'clients' });
		expect(result.error).toBeUndefined();
		for (const headers of accountHeaders()) expect(headers).toEqual({ tenant: CREDENTIAL_ACCOUNT, accountId: undefined });
	});
});

it('the trigger sends its Account ID option as X-Tenant only', async () => {
	const result = await runPoll({
		node: {
			type: 'apiSyncTrigger',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
				pollTimes: { item: [{ mode: 'everyMinute' }] },
				remoteResource: 'clients',
				changeDetection: 'hash',
				firstRun: 'all',
				options: { accountId: NODE_ACCOUNT },
			},
		},
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: tenantCredential('apiKey') }],
		mode: 'trigger',
		staticData: {},
	});
	expect(result.error).toBeUndefined();
	expectNodeAccountUnderTenant();
});

it('the API Key node sends its Account ID as X-Tenant only, on the POST and the verification', async () => {
	const result = await runNode({
		node: { type: 'apiSyncApiKey', parameters: { keyName: 'Tenant key', rights: [], accountId: NODE_ACCOUNT } },
		credentials: [
			{
				type: CREDENTIAL_TYPE.basic,
				data: credentialData('basic', sandbox.baseUrl, {
					user: ACCOUNTANT.email,
					password: ACCOUNTANT.password,
					accountId: CREDENTIAL_ACCOUNT,
					accountIdHeader: 'X-Tenant',
				}),
			},
		],
	});
	expect(result.error).toBeUndefined();
	expect(sandbox.log.map((e) => `${e.method} ${e.path}`)).toEqual(['POST /api/v1/apikeys', 'GET /api/v1/accounts/current']);
	expectNodeAccountUnderTenant();
});

describe.each(['oauth2', 'hmac'] as const)('credential %s (no account setting of its own)', (kind) => {
	it('Get Many sends the node account as X-AccountId, and the API acts on it', async () => {
		const result = await runApiSync(
			kind,
			{ operation: 'getAll', returnAll: true, remoteResource: 'clients', options: { accountId: ACCOUNTS.owner } },
			credentialData(kind, sandbox.baseUrl),
		);
		expect(result.error).toBeUndefined();
		const reads = sandbox.log.filter((e) => e.path === '/api/v1/clients');
		expect(reads.length).toBeGreaterThan(0);
		for (const read of reads) {
			expect(read.headers['x-accountid']).toBe(ACCOUNTS.owner);
			expect(read.auth?.account).toBe(ACCOUNTS.owner);
		}
	});
});
