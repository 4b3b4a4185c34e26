/**
 * What Sync keeps of the remote records it reads (issue 18, point 3): on a custom API, whose records carry every
 * field, only the ID, match and compared fields are kept after the read; what the outputs show stays the same.
 * Real workflows through n8n-core's WorkflowExecute, HTTP to the sandbox.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;
let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

function sync(items: IDataObject[], syncMode: string, ignoreFields = ''): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
				operation: 'sync',
				remoteResource: 'custom',
				customPath: '/clients',
				customIdField: 'client_id',
				customUpdateMethod: 'POST',
				syncMode,
				maxDeletes: 10,
				columns: { mappingMode: 'autoMapInputData', value: null, matchingColumns: ['external_client_id'], schema: [] },
				syncOptions: { maxRequestsPerSecond: 0, useBulk: false, ignoreFields },
			},
		},
		items,
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
	});
}

describe('a custom API whose records carry many more fields than are synced', () => {
	beforeEach(() => {
		for (let i = 0; i < 3; i++) {
			sandbox.store.insert(OWNER, 'clients', {
				external_client_id: `W-${i}`,
				name: `Client ${i}`,
				city: 'Gent',
				street: 'Kerkstraat 1',
				remarks: 'x'.repeat(2_000),
				email_address: `c${i}@example.com`,
			});
		}
	});

	it('Upsert compares and reports as before: changed fields with their remote values, unchanged records untouched', async () => {
		const result = await sync(
			[
				{ external_client_id: 'W-0', name: 'Client 0', city: 'Brugge', street: 'Kerkstraat 1' },
				{ external_client_id: 'W-1', name: 'Client 1', city: 'Gent', street: 'Kerkstraat 1' },
				{ external_client_id: 'W-2', name: 'Client 2', city: 'Gent', street: 'Kerkstraat 1', last_modified: 'mine' },
			],
			'upsert',
			'last_modified',
		);
		expect(result.error).toBeUndefined();
		expect(result.output[4].map((i) => i.json)).toEqual([]);
		expect(result.output.map((o) => o.length)).toEqual([0, 1, 2, 0, 0]);
		expect(result.output[1][0].json).toMatchObject({ match: { external_client_id: 'W-0' }, changes: { city: { from: 'Gent', to: 'Brugge' } } });
		expect(sandbox.store.list(OWNER, 'clients').find((c) => c.external_client_id === 'W-0')).toMatchObject({ city: 'Brugge', remarks: 'x'.repeat(2_000) });
	});

	it('Mirror still reports the whole remote record it deleted', async () => {
		const result = await sync(
			[
				{ external_client_id: 'W-0', name: 'Client 0' },
				{ external_client_id: 'W-1', name: 'Client 1' },
			],
			'mirror',
		);
		expect(result.error).toBeUndefined();
		expect(result.output[3]).toHaveLength(1);
		expect(result.output[3][0].json.record).toMatchObject({ external_client_id: 'W-2', remarks: 'x'.repeat(2_000), email_address: 'c2@example.com' });
	});
});
