/**
 * The API Sync Trigger as n8n runs it: production polls through n8n-core's PollTriggerExecutor,
 * manual runs ("Fetch Test Event") through WorkflowExecute. Same engine as Get Changes, so these
 * tests cover what is specific to polling: emitting per poll, null when nothing changed, the
 * state carried from poll to poll, a failed poll, and the sample in the editor.
 */
import { NodeApiError, type IDataObject } from 'n8n-workflow';

import '../harness';
import { runPoll, type PollResult } from '../harness/poll';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;
const T0 = Date.parse('2026-03-02T10:00:00Z');

let sandbox: Sandbox;
let now = T0;
beforeAll(async () => {
	sandbox = await startSandbox();
});
afterAll(async () => await sandbox.close());
beforeEach(() => {
	sandbox.reset();
	now = T0;
	sandbox.setClock(() => new Date(now));
});

const EVERY_MINUTE = { item: [{ mode: 'everyMinute' }] };

function poll(parameters: IDataObject, staticData: IDataObject = {}, mode: 'trigger' | 'manual' = 'trigger'): Promise<PollResult> {
	return runPoll({
		node: { type: 'apiSyncTrigger', parameters: { authentication: CREDENTIAL_TYPE.apiKey, pollTimes: EVERY_MINUTE, ...parameters } },
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		mode,
		staticData,
	});
}

/** Successive polls of one trigger, carrying static data from poll to poll. */
function poller(parameters: IDataObject) {
	let staticData: IDataObject = {};
	const next = async (): Promise<PollResult> => {
		const result = await poll(parameters, staticData);
		expect(result.error).toBeUndefined();
		staticData = result.staticData;
		return result;
	};
	next.staticData = () => staticData;
	return next;
}

const idsOf = (result: PollResult, field = 'client_id') => result.items.map((item) => item.json[field]);

describe('API Sync Trigger: production polls', () => {
	it('emits one item per new or changed record on each poll, and nothing when nothing changed', async () => {
		const next = poller({ remoteResource: 'clients', changeDetection: 'cursor', cursorField: 'last_modified' });
		const first = await next();
		expect(first.emitted).toBeNull(); // "Start From Now"

		now += 60_000;
		const a = sandbox.store.insert(OWNER, 'clients', { name: 'Nieuw A' }).client_id as number;
		sandbox.store.update(OWNER, 'clients', 101, { city: 'Brugge' });
		const second = await next();
		expect(idsOf(second)).toEqual([101, a]);
		expect(second.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }]);

		now += 60_000;
		sandbox.store.update(OWNER, 'clients', a, { city: 'Gent' });
		const b = sandbox.store.insert(OWNER, 'clients', { name: 'Nieuw B' }).client_id;
		expect(idsOf(await next())).toEqual([a, b]);
		expect((await next()).emitted).toBeNull();
	});

	it('forwards new invoices: the ID as cursor, from now on', async () => {
		const next = poller({ remoteResource: 'invoices' });
		expect((await next()).emitted).toBeNull();
		const created = sandbox.store.insert(OWNER, 'invoices', { client_id: 101, date: '2026-03-02', total: 42 });
		const second = await next();
		expect(second.items.map((item) => item.json)).toEqual([expect.objectContaining({ invoice_id: created.invoice_id, total: 42 })]);
		expect((await next()).emitted).toBeNull();
	});

	it('a failed poll is reported and moves nothing; the next poll emits the records again', async () => {
		const next = poller({ remoteResource: 'clients', changeDetection: 'cursor', cursorField: 'last_modified' });
		await next();
		for (let i = 0; i < 150; i++) sandbox.store.insert(OWNER, 'clients', { name: `Bulk ${i}` });
		// The second page (it starts at the first page's last record: skip=99) fails.
		sandbox.setFaults({ scripted: [{ method: 'GET', path: /skip=99&/, status: 500 }] });
		const failed = await poll({ remoteResource: 'clients', changeDetection: 'cursor', cursorField: 'last_modified' }, next.staticData());
		expect(failed.error).toBeInstanceOf(NodeApiError);
		expect(failed.error?.message).toMatch(/^500 Internal Server Error from GET \/api\/v1\/clients/);
		expect(failed.emitted).toBeNull();
		expect(failed.staticData).toEqual(next.staticData());

		sandbox.setFaults({});
		expect((await next()).items).toHaveLength(150);
		expect((await next()).emitted).toBeNull();
	});

	it('content hash with deletions (clients by default)', async () => {
		const next = poller({ remoteResource: 'clients', emitDeletions: true, firstRun: 'all' });
		expect(idsOf(await next())).toEqual([101, 102, 103]);
		sandbox.store.remove(OWNER, 'clients', 102);
		expect((await next()).items.map((item) => item.json)).toEqual([{ client_id: 102, _deleted: true }]);
	});
});

describe('API Sync Trigger: manual runs (Fetch Test Event)', () => {
	it('returns the latest records as a sample and leaves the state alone', async () => {
		const parameters = { remoteResource: 'invoices', options: { sampleSize: 3 } };
		const production = await poll(parameters);
		for (let i = 0; i < 4; i++) sandbox.store.insert(OWNER, 'invoices', { client_id: 101, total: i });
		sandbox.log.length = 0;
		const manual = await poll(parameters, production.staticData, 'manual');
		expect(manual.error).toBeUndefined();
		expect(idsOf(manual, 'invoice_id')).toEqual([1005, 1004, 1003]);
		expect(manual.items.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 0 }, { item: 0 }]);
		expect(sandbox.log.map((entry) => decodeURIComponent(entry.url))).toEqual(['/api/v1/invoices?sort=-invoice_id&skip=0&take=3']);
		expect(manual.staticData).toEqual(production.staticData);
		// The next production poll still emits all four.
		expect(idsOf(await poll(parameters, production.staticData), 'invoice_id')).toEqual([1002, 1003, 1004, 1005]);
	});

	it('shows a bad setting as the node error', async () => {
		const manual = await poll({ remoteResource: 'custom', customPath: '/x', changeDetection: 'cursor' }, {}, 'manual');
		expect(manual.error?.message).toBe('The Cursor Field is empty');
	});
});
