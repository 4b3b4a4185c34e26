/**
 * Change-tracking state belongs to the account it read (issue 9, point 9): Get Changes workflow runs
 * whose credential (or node option) switches between two accounts of an accountant portal.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode } from '../harness';
import { ACCOUNTS, API_KEYS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const [FIRST, SECOND] = ACCOUNTS.portalClients;
const PORTAL_KEY = API_KEYS[1].key;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

/** Successive production runs of one Get Changes node, carrying its static data like n8n. */
function feed(parameters: IDataObject) {
	let staticData: IDataObject = {};
	return async (credentialAccount: string, nodeAccount = ''): Promise<IDataObject[]> => {
		const result = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					resource: 'record',
					operation: 'getChanges',
					options: nodeAccount ? { accountId: nodeAccount } : {},
					...parameters,
				},
			},
			credentials: [
				{
					type: CREDENTIAL_TYPE.apiKey,
					data: credentialData('apiKey', sandbox.baseUrl, { apiKey: PORTAL_KEY, accountId: credentialAccount }),
				},
			],
			mode: 'trigger',
			staticData,
		});
		expect(result.error).toBeUndefined();
		staticData = result.staticData;
		return result.output[0].map((item) => item.json);
	};
}

const clientIn = (account: string, name: string) => sandbox.store.insert(account, 'clients', { name }).client_id as number;

describe('the change-tracking state belongs to the account it read', () => {
	it('content hash: switching the credential to another account starts over instead of emitting its records as new and the first account’s as deleted', async () => {
		const next = feed({ remoteResource: 'clients', changeDetection: 'hash', firstRun: 'now', emitDeletions: true });
		expect(await next(FIRST)).toEqual([]);
		clientIn(SECOND, 'Second account client');

		expect(await next(SECOND)).toEqual([]);
		const added = clientIn(SECOND, 'Added later');
		expect((await next(SECOND)).map((r) => r.client_id)).toEqual([added]);
	});

	it('cursor: switching the credential to another account does not skip that account’s older records', async () => {
		const client = (account: string) => clientIn(account, `Client of ${account}`);
		const secondClient = client(SECOND);
		const older = [1, 2].map(() => sandbox.store.insert(SECOND, 'invoices', { client_id: secondClient, date: '2026-01-01' }).invoice_id);
		const firstClient = client(FIRST);
		const newer = sandbox.store.insert(FIRST, 'invoices', { client_id: firstClient, date: '2026-02-01' }).invoice_id;

		const next = feed({ remoteResource: 'invoices', firstRun: 'all' });
		expect((await next(FIRST)).map((r) => r.invoice_id)).toEqual([newer]);
		expect((await next(SECOND)).map((r) => r.invoice_id)).toEqual(older);
	});

	it('the node’s Account ID option wins: the same effective account keeps the state', async () => {
		const next = feed({ remoteResource: 'clients', changeDetection: 'hash', firstRun: 'all' });
		expect(await next(FIRST, SECOND)).toHaveLength(1);
		// Credential now names the account the node option named: same account, same feed, nothing new.
		expect(await next(SECOND)).toEqual([]);
		// The option now names another account than before: a new feed.
		expect(await next(SECOND, FIRST)).toHaveLength(1);
	});
});
