/**
 * Sync's Skip Unchanged Input (issue 18, point 2): the node remembers, per match key and account, what it last
 * wrote or found equal, and leaves unchanged input items out of the next run. Real workflows through n8n-core's
 * WorkflowExecute in production mode ('trigger', so n8n's static data is carried from run to run), HTTP to the
 * sandbox.
 */
import type { ICredentialDataDecryptedObject, IDataObject, INodeExecutionData } from 'n8n-workflow';

import { SKIP_STATE_KEY, SKIPPED_NOTE, UNREAD_UPDATE_NOTE, type SkipState } from '../../nodes/ApiSync/engine/skipUnchanged';
import { runNode, type RunResult } from '../harness';
import { ACCOUNTS, API_KEYS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;
const NODE_KEY = 'node:API Sync';

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const FIELDS = ['external_client_id', 'name', 'city'];

function customers(count: number, change: (i: number) => IDataObject = () => ({})): IDataObject[] {
	return Array.from({ length: count }, (_, i) => ({ external_client_id: `WS-${i}`, name: `Customer ${i} BV`, city: 'Gent', ...change(i) }));
}

interface SyncCall {
	syncOptions?: IDataObject;
	syncMode?: string;
	staticData?: IDataObject;
	mode?: 'trigger' | 'manual';
	accountId?: string;
	credential?: IDataObject;
	remoteResource?: string;
	maxDeletes?: number;
	/** Another credential type (its data then comes whole from `credential`), and the credential's n8n id. */
	credentialKind?: 'apiKey' | 'oauth2';
	credentialId?: string;
}

function sync(items: IDataObject[], call: SyncCall = {}): Promise<RunResult> {
	const custom = call.remoteResource === 'custom' ? { customPath: '/clients', customIdField: 'client_id' } : {};
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE[call.credentialKind ?? 'apiKey'],
				operation: 'sync',
				remoteResource: call.remoteResource ?? 'clients',
				...custom,
				syncMode: call.syncMode ?? 'upsert',
				maxDeletes: call.maxDeletes ?? 10,
				columns: {
					mappingMode: 'autoMapInputData',
					value: null,
					matchingColumns: ['external_client_id'],
					schema: FIELDS.map((id) => ({ id, displayName: id, required: false, defaultMatch: false, display: true, type: 'string' })),
				},
				syncOptions: { maxRequestsPerSecond: 0, skipUnchanged: true, ...call.syncOptions },
				options: call.accountId ? { accountId: call.accountId } : {},
			},
		},
		items,
		mode: call.mode ?? 'trigger',
		staticData: call.staticData ?? {},
		credentials: [
			{
				id: call.credentialId,
				type: CREDENTIAL_TYPE[call.credentialKind ?? 'apiKey'],
				data: call.credentialKind === 'oauth2' ? (call.credential as ICredentialDataDecryptedObject) : credentialData('apiKey', sandbox.baseUrl, call.credential ?? {}),
			},
		],
	});
}

const counts = (r: RunResult) => r.output.map((o) => o.length);
const summary = (r: RunResult) => r.hints[0]?.message ?? '';
const stateOf = (r: RunResult) => (r.staticData[NODE_KEY] as IDataObject | undefined)?.[SKIP_STATE_KEY] as SkipState | undefined;
const requests = () => sandbox.log.map((e) => `${e.method} ${e.path}${e.query.filter ? ` filter=${e.query.filter}` : ''}${'bulk' in e.query ? '?bulk' : ''}`);
const remote = (account: string = OWNER) => sandbox.store.list(account, 'clients');
const byRef = (ref: string, account: string = OWNER) => remote(account).find((c) => c.external_client_id === ref)!;
const matchOf = (item: INodeExecutionData) => (item.json.match as IDataObject).external_client_id;

/** Inserts records directly, as another system would: the remote side then holds more than one page. */
function seedOthers(count: number): void {
	for (let i = 0; i < count; i++) sandbox.store.insert(OWNER, 'clients', { external_client_id: `OTHER-${i}`, name: `Other ${i}` });
}

/** Runs once to build the state; the log is then cleared. */
async function firstRun(items: IDataObject[], call: SyncCall = {}): Promise<RunResult> {
	const result = await sync(items, call);
	expect(result.error).toBeUndefined();
	expect(summary(result)).toMatch(/Skip Unchanged Input: full check, every item compared — no saved state \(a first run;/);
	sandbox.log.length = 0;
	return result;
}

describe('Skip Unchanged Input: what a re-run leaves out', () => {
	it('an unchanged re-run makes no request at all; Unchanged items say they were not compared, the summary when the last full check was', async () => {
		const first = await firstRun(customers(20));
		expect(counts(first)).toEqual([20, 0, 0, 0, 0]);
		expect(Object.keys(stateOf(first)!.k)).toHaveLength(20);

		const second = await sync(customers(20), { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(sandbox.log).toEqual([]);
		expect(counts(second)).toEqual([0, 0, 20, 0, 0]);
		for (const [i, item] of second.output[2].entries()) {
			expect(item.json).toEqual({ id: byRef(`WS-${i}`).client_id, match: { external_client_id: `WS-${i}` }, note: SKIPPED_NOTE });
			expect(item.pairedItem).toEqual({ item: i });
		}
		expect(summary(second)).toMatch(
			/^Sync: 0 created, 0 updated, 20 unchanged, 0 deleted, 0 failed · 0 requests .* · Skip Unchanged Input: 20 items unchanged since the last run not compared; last full check \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ \(0 min ago\); next full check after \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/,
		);
		expect(stateOf(second)!.runs).toBe(2);
	});

	it.each([
		['bulk', true, ['POST /api/v1/clients?bulk']],
		['one request per record', false, ['POST /api/v1/clients/{3}', 'POST /api/v1/clients/{7}']],
	])('a changed item is updated by its remembered id, without a read (%s)', async (_label, useBulk, expected) => {
		const first = await firstRun(customers(20), { syncOptions: { useBulk } });
		const changed = (i: number) => (i === 3 || i === 7 ? { city: 'Oostende' } : {});
		const second = await sync(customers(20, changed), { staticData: first.staticData, syncOptions: { useBulk } });
		expect(second.error).toBeUndefined();
		const ids = (n: number) => byRef(`WS-${n}`).client_id;
		expect(requests().sort()).toEqual(expected.map((r) => r.replace(/\{(\d+)\}/, (_m, n: string) => String(ids(Number(n))))).sort());
		expect(counts(second)).toEqual([0, 2, 18, 0, 0]);
		expect(second.output[1].map((i) => i.json)).toEqual([
			{ id: ids(3), match: { external_client_id: 'WS-3' }, changes: { external_client_id: { to: 'WS-3' }, name: { to: 'Customer 3 BV' }, city: { to: 'Oostende' } }, note: UNREAD_UPDATE_NOTE },
			{ id: ids(7), match: { external_client_id: 'WS-7' }, changes: { external_client_id: { to: 'WS-7' }, name: { to: 'Customer 7 BV' }, city: { to: 'Oostende' } }, note: UNREAD_UPDATE_NOTE },
		]);
		expect(byRef('WS-3').city).toBe('Oostende');
		expect(summary(second)).toMatch(/18 items unchanged since the last run not compared, 2 changed items updated by remembered id without a read/);

		// Remembered as written: the same input again is no request.
		sandbox.log.length = 0;
		const third = await sync(customers(20, changed), { staticData: second.staticData, syncOptions: { useBulk } });
		expect(sandbox.log).toEqual([]);
		expect(counts(third)).toEqual([0, 0, 20, 0, 0]);
	});

	it('a new key that exists remotely is looked up by key (filter=) and compared with what the lookup found', async () => {
		seedOthers(600);
		const first = await firstRun(customers(10));
		sandbox.store.insert(OWNER, 'clients', { external_client_id: 'NEW-B', name: 'New B', city: 'Brugge' });
		sandbox.log.length = 0;
		const input = [...customers(10), { external_client_id: 'NEW-B', name: 'New B', city: 'Gent' }];
		const second = await sync(input, { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([0, 1, 10, 0, 0]);
		expect(second.output[1][0].json).toMatchObject({ match: { external_client_id: 'NEW-B' }, changes: { city: { from: 'Brugge', to: 'Gent' } } });
		// Measured: 2 requests (the lookup and the bulk update), against 10 pages of a full read without the lookup.
		expect(requests()).toEqual(['GET /api/v1/clients filter=external_client_id=NEW-B', 'POST /api/v1/clients?bulk']);
		expect(summary(second)).toMatch(/10 items unchanged since the last run not compared, 1 new key looked up/);
		sandbox.log.length = 0;
		expect(counts(await sync(input, { staticData: second.staticData }))).toEqual([0, 0, 11, 0, 0]);
		expect(sandbox.log).toEqual([]);
	});

	it('a new key the lookup does not find is confirmed new by a full comparison before it is created (a filter matches exactly, the node does not)', async () => {
		seedOthers(600);
		const first = await firstRun(customers(10));
		sandbox.store.insert(OWNER, 'clients', { external_client_id: 'NEW-B', name: 'New B', city: 'Brugge' });
		sandbox.log.length = 0;
		const input = [...customers(10), { external_client_id: 'NEW-A', name: 'New A', city: 'Gent' }, { external_client_id: 'NEW-B', name: 'New B', city: 'Gent' }];
		const second = await sync(input, { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([1, 1, 10, 0, 0]);
		expect(summary(second)).toMatch(
			/full check, every item compared — 2 input items with a key not remembered, and the lookup by key found no remote record for 1 of them: only a full comparison can tell/,
		);
		const reqs = requests();
		const pages = reqs.filter((r) => r === 'GET /api/v1/clients').length;
		// Measured: the 2 lookups, the full read (611 records: 7 pages of 100, plus the paging layer's overlapping
		// pages and the pages past the end), the bulk create; the overlap check costs nothing (the new id follows on).
		expect(reqs).toEqual([
			'GET /api/v1/clients filter=external_client_id=NEW-A',
			'GET /api/v1/clients filter=external_client_id=NEW-B',
			...Array<string>(pages).fill('GET /api/v1/clients'),
			'POST /api/v1/clients?bulk',
		]);
		expect(pages).toBeGreaterThanOrEqual(7);
		sandbox.log.length = 0;
		expect(counts(await sync(input, { staticData: second.staticData }))).toEqual([0, 0, 12, 0, 0]);
		expect(sandbox.log).toEqual([]);
	});

	it('many new keys, or keys a lookup could miss: the run compares in full instead, and says why', async () => {
		seedOthers(150);
		const first = await firstRun(customers(5));
		// 3 new keys × 2 requests (lookup and overlap check) cost more than a full read of 155 records (2 pages).
		const many = await sync(customers(8), { staticData: first.staticData });
		expect(counts(many)).toEqual([3, 0, 5, 0, 0]);
		expect(summary(many)).toMatch(/Skip Unchanged Input: full check, every item compared — 3 input items with a key not remembered: looking them up would take at least as many requests as reading everything/);
		expect(requests().filter((r) => r.startsWith('GET')).length).toBeGreaterThanOrEqual(2);
		sandbox.log.length = 0;
		const padded = await sync([...customers(8), { external_client_id: ' PADDED', name: 'x' }], { staticData: many.staticData });
		expect(summary(padded)).toMatch(/1 input item with a key not remembered, and a lookup by key could miss a matching record/);
	});
});

describe('Skip Unchanged Input: remote changes are caught by the full check', () => {
	it('a record edited in the other system stays as it is until the full check (every N runs), which puts it back', async () => {
		const options = { fullCheckRuns: 2, fullCheckHours: 0 };
		const first = await firstRun(customers(5), { syncOptions: options });
		sandbox.store.update(OWNER, 'clients', byRef('WS-2').client_id as number, { city: 'Edited elsewhere' });
		const second = await sync(customers(5), { staticData: first.staticData, syncOptions: options });
		expect(sandbox.log).toEqual([]);
		expect(byRef('WS-2').city).toBe('Edited elsewhere');
		expect(summary(second)).toMatch(/next full check at the latest in 1 run$/);
		const third = await sync(customers(5), { staticData: second.staticData, syncOptions: options });
		expect(summary(third)).toMatch(/Skip Unchanged Input: full check, every item compared — 2 runs since the last one \(Full Check Every N Runs\); the previous full check was /);
		expect(counts(third)).toEqual([0, 1, 4, 0, 0]);
		expect(third.output[1][0].json).toMatchObject({ match: { external_client_id: 'WS-2' }, changes: { city: { from: 'Edited elsewhere', to: 'Gent' } } });
		expect(byRef('WS-2').city).toBe('Gent');
		expect(stateOf(third)!.runs).toBe(1);
	});

	it('after Full Check Every N Hours, the next run compares in full', async () => {
		const first = await firstRun(customers(3), { syncOptions: { fullCheckHours: 6 } });
		const state = stateOf(first)!;
		const staticData = { [NODE_KEY]: { [SKIP_STATE_KEY]: { ...state, at: state.at - 7 * 3_600_000 } } };
		sandbox.store.update(OWNER, 'clients', byRef('WS-0').client_id as number, { name: 'Renamed elsewhere' });
		const second = await sync(customers(3), { staticData, syncOptions: { fullCheckHours: 6 } });
		expect(summary(second)).toMatch(/full check, every item compared — 7\.0 h since the last one \(Full Check Every N Hours: 6\)/);
		expect(counts(second)).toEqual([0, 1, 2, 0, 0]);
		expect(stateOf(second)!.at).toBeGreaterThan(state.at);
	});

	it('a record deleted in the other system: the update by id gets 404 and the item is planned again (Upsert creates it)', async () => {
		seedOthers(600);
		const first = await firstRun(customers(5));
		const gone = byRef('WS-1').client_id as number;
		sandbox.store.remove(OWNER, 'clients', gone);
		sandbox.log.length = 0;
		const second = await sync(customers(5, (i) => (i === 1 ? { city: 'Leuven' } : {})), { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([1, 0, 4, 0, 0]);
		const reqs = requests();
		const pages = reqs.filter((r) => r === 'GET /api/v1/clients').length;
		// The lookup finds nothing: a full read confirms the key is absent before it is created again; the overlap
		// check then reads only the id gaps after that read (none: the new id follows on).
		expect(reqs).toEqual([
			'POST /api/v1/clients?bulk',
			`POST /api/v1/clients/${gone}`,
			'GET /api/v1/clients filter=external_client_id=WS-1',
			...Array<string>(pages).fill('GET /api/v1/clients'),
			'POST /api/v1/clients?bulk',
		]);
		expect(pages).toBeGreaterThanOrEqual(7);
		expect(byRef('WS-1')).toMatchObject({ city: 'Leuven' });
		expect(second.output[0][0].json.id).toBe(byRef('WS-1').client_id);
		sandbox.log.length = 0;
		await sync(customers(5, (i) => (i === 1 ? { city: 'Leuven' } : {})), { staticData: second.staticData });
		expect(sandbox.log).toEqual([]);
	});
});

describe('Skip Unchanged Input: a 404 on an update by remembered id', () => {
	it('whose record the key lookup still finds under that id: Failed, naming the record URL as the problem, not retried nor remembered', async () => {
		seedOthers(600);
		const first = await firstRun(customers(3), { syncOptions: { useBulk: false } });
		const id = byRef('WS-1').client_id;
		sandbox.setFaults({ scripted: [{ method: 'POST', path: `/api/v1/clients/${id}`, status: 404, body: '{"error": "no such route"}' }] });
		sandbox.log.length = 0;
		const input = customers(3, (i) => (i === 1 ? { city: 'Leuven' } : {}));
		const second = await sync(input, { staticData: first.staticData, syncOptions: { useBulk: false } });
		expect(second.error).toBeUndefined();
		expect(requests()).toEqual([`POST /api/v1/clients/${id}`, 'GET /api/v1/clients filter=external_client_id=WS-1']);
		expect(counts(second)).toEqual([0, 0, 2, 0, 1]);
		expect(second.output[4][0].json.error).toMatch(new RegExp(`^The API answered 404 for the remote record \\(client_id ${id}\\), but it still lists that record, so the URL this run built for it is wrong`));
		sandbox.setFaults({});
		sandbox.log.length = 0;
		await sync(input, { staticData: second.staticData, syncOptions: { useBulk: false } });
		expect(requests()).toEqual([`POST /api/v1/clients/${id}`]);
	});
});

describe('Skip Unchanged Input: only what was written is remembered', () => {
	it('a failed write is not remembered: the next run sends it again', async () => {
		const first = await firstRun(customers(5), { syncOptions: { useBulk: false } });
		const refused = byRef('WS-2').client_id;
		sandbox.setFaults({ scripted: [{ method: 'POST', path: `/api/v1/clients/${refused}`, status: 400, body: '{"error": "city is not allowed"}' }] });
		const changed = (i: number) => (i === 2 || i === 3 ? { city: 'Oostende' } : {});
		const second = await sync(customers(5, changed), { staticData: first.staticData, syncOptions: { useBulk: false } });
		expect(counts(second)).toEqual([0, 1, 3, 0, 1]);
		expect(second.output[4][0].json).toMatchObject({ match: { external_client_id: 'WS-2' }, stage: 'update', httpCode: '400' });
		sandbox.log.length = 0;
		const third = await sync(customers(5, changed), { staticData: second.staticData, syncOptions: { useBulk: false } });
		expect(requests()).toEqual([`POST /api/v1/clients/${refused}`]);
		expect(counts(third)).toEqual([0, 1, 4, 0, 0]);
		expect(byRef('WS-2').city).toBe('Oostende');
	});

	it('an uncertain write (502 after the API applied it) is remembered once a re-read confirms it', async () => {
		const first = await firstRun(customers(5), { syncOptions: { useBulk: false } });
		const id = byRef('WS-4').client_id;
		sandbox.setFaults({ scripted: [{ method: 'POST', path: `/api/v1/clients/${id}`, status: 502, afterApply: true }] });
		const input = customers(5, (i) => (i === 4 ? { city: 'Hasselt' } : {}));
		const second = await sync(input, { staticData: first.staticData, syncOptions: { useBulk: false } });
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([0, 1, 4, 0, 0]);
		// the write, then the re-read that settles it
		expect(requests()).toEqual([`POST /api/v1/clients/${id}`, 'GET /api/v1/clients']);
		sandbox.log.length = 0;
		await sync(input, { staticData: second.staticData, syncOptions: { useBulk: false } });
		expect(sandbox.log).toEqual([]);
	});

	it('a run that cannot settle an uncertain write fails and stores nothing: the next run sends it again', async () => {
		const first = await firstRun(customers(5), { syncOptions: { useBulk: false } });
		const id = byRef('WS-4').client_id;
		sandbox.setFaults({
			scripted: [
				{ method: 'POST', path: `/api/v1/clients/${id}`, status: 502 },
				{ method: 'GET', path: '/api/v1/clients', status: 500, times: 10 },
			],
		});
		const input = customers(5, (i) => (i === 4 ? { city: 'Hasselt' } : {}));
		const second = await sync(input, { staticData: first.staticData, syncOptions: { useBulk: false } });
		expect(second.error?.message).toMatch(/500/);
		expect(second.staticData).toEqual(first.staticData);
		sandbox.setFaults({});
		sandbox.log.length = 0;
		const third = await sync(input, { staticData: second.staticData, syncOptions: { useBulk: false } });
		expect(requests()).toEqual([`POST /api/v1/clients/${id}`]);
		expect(counts(third)).toEqual([0, 1, 4, 0, 0]);
	});
});

describe('Skip Unchanged Input: the state belongs to one account', () => {
	const portal = (accountId?: string, credential: IDataObject = {}): SyncCall => ({ accountId, credential: { apiKey: API_KEYS[1].key, ...credential } });

	it('switching the Account ID option: the other account is compared in full, never skipped on the first one\'s state', async () => {
		const [a, b] = ACCOUNTS.portalClients;
		const first = await firstRun(customers(4), portal(a));
		expect(remote(a)).toHaveLength(4);
		const onB = await sync(customers(4), { ...portal(b), staticData: first.staticData });
		expect(counts(onB)).toEqual([4, 0, 0, 0, 0]);
		expect(summary(onB)).toMatch(/full check, every item compared — the saved state belongs to other settings \(Base URL, account/);
		expect(remote(b).filter((c) => String(c.external_client_id).startsWith('WS-'))).toHaveLength(4);
		// Back on the first account: its state was replaced by the second's, so it is compared in full again.
		sandbox.log.length = 0;
		const backOnA = await sync(customers(4), { ...portal(a), staticData: onB.staticData });
		expect(counts(backOnA)).toEqual([0, 0, 4, 0, 0]);
		expect(sandbox.log.filter((e) => e.method === 'GET').length).toBe(1);
		expect(sandbox.log.every((e) => e.auth?.account === a)).toBe(true);
	});

	it('switching the credential\'s Account ID does the same', async () => {
		const [a, b] = ACCOUNTS.portalClients;
		const first = await firstRun(customers(3), portal(undefined, { accountId: a }));
		const onB = await sync(customers(3), { ...portal(undefined, { accountId: b }), staticData: first.staticData });
		expect(counts(onB)).toEqual([3, 0, 0, 0, 0]);
		expect(stateOf(onB)!.fp).not.toBe(stateOf(first)!.fp);
	});

	it('another n8n credential (same key, same account) compares in full once; the key is never stored in clear', async () => {
		const first = await firstRun(customers(3), { credentialId: 'cred-a' });
		expect(JSON.stringify(first.staticData)).not.toContain(API_KEYS[0].key);
		const other = await sync(customers(3), { credentialId: 'cred-b', staticData: first.staticData });
		expect(summary(other)).toMatch(/full check, every item compared — the saved state belongs to other settings/);
		expect(counts(other)).toEqual([0, 0, 3, 0, 0]);
		sandbox.log.length = 0;
		const again = await sync(customers(3), { credentialId: 'cred-b', staticData: other.staticData });
		expect(counts(again)).toEqual([0, 0, 3, 0, 0]);
		expect(sandbox.log).toEqual([]);
	});

	it('an OAuth2 token renewed between runs keeps the state: the token is not part of the credential identity', async () => {
		const first = await firstRun(customers(3), { credentialKind: 'oauth2', credential: credentialData('oauth2', sandbox.baseUrl) });
		const renewed = { ...first.credentials[0].data, oauthTokenData: { ...(first.credentials[0].data.oauthTokenData as IDataObject), access_token: 'renewed-token-value' } };
		sandbox.expireOAuthTokens();
		const second = await sync(customers(3, (i) => (i === 0 ? { city: 'Leuven' } : {})), {
			credentialKind: 'oauth2',
			credential: renewed,
			staticData: first.staticData,
		});
		expect(second.error).toBeUndefined();
		// A new token was fetched (the stored one expired), and the run still skipped the 2 unchanged items.
		expect(sandbox.log.some((e) => e.path === '/api/v1/oauth/token')).toBe(true);
		expect(summary(second)).toMatch(/2 items unchanged since the last run not compared, 1 changed item updated by remembered id/);
		expect(counts(second)).toEqual([0, 1, 2, 0, 0]);
	});
});

describe('Skip Unchanged Input with Mirror and Update Only', () => {
	it('Mirror: an item gone from the input deletes its remembered record (read by id first); a record created elsewhere waits for the full check', async () => {
		const options = { fullCheckRuns: 3, fullCheckHours: 0 };
		const first = await firstRun(customers(5), { syncMode: 'mirror', syncOptions: options });
		expect(stateOf(first)!.all).toBe(true);
		const other = sandbox.store.insert(OWNER, 'clients', { external_client_id: 'ELSEWHERE', name: 'Made elsewhere' });
		sandbox.log.length = 0;
		const gone = byRef('WS-4').client_id;
		const second = await sync(customers(4), { syncMode: 'mirror', syncOptions: options, staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(requests()).toEqual([`GET /api/v1/clients/${gone}`, `DELETE /api/v1/clients/${gone}`]);
		expect(counts(second)).toEqual([0, 0, 4, 1, 0]);
		expect(second.output[3][0].json).toMatchObject({ id: gone, match: { external_client_id: 'WS-4' }, record: { name: 'Customer 4 BV' } });
		expect(remote().map((c) => c.external_client_id).sort()).toEqual(['ELSEWHERE', 'WS-0', 'WS-1', 'WS-2', 'WS-3']);
		sandbox.log.length = 0;
		const third = await sync(customers(4), { syncMode: 'mirror', syncOptions: options, staticData: second.staticData });
		expect(sandbox.log).toEqual([]);
		expect(counts(third)).toEqual([0, 0, 4, 0, 0]);
		const fourth = await sync(customers(4), { syncMode: 'mirror', syncOptions: options, staticData: third.staticData });
		expect(summary(fourth)).toMatch(/full check, every item compared — 3 runs since the last one/);
		expect(fourth.output[3].map((i) => i.json.id)).toEqual([other.client_id]);
		expect(remote()).toHaveLength(4);
	});

	it('Mirror: a remembered record already deleted elsewhere is not deleted again, nor reported, nor remembered', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		const gone = byRef('WS-4').client_id as number;
		sandbox.store.remove(OWNER, 'clients', gone);
		sandbox.log.length = 0;
		const second = await sync(customers(4), { syncMode: 'mirror', staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(requests()).toEqual([`GET /api/v1/clients/${gone}`]);
		expect(counts(second)).toEqual([0, 0, 4, 0, 0]);
		expect(Object.keys(stateOf(second)!.k)).toHaveLength(4);
		sandbox.log.length = 0;
		await sync(customers(4), { syncMode: 'mirror', staticData: second.staticData });
		expect(sandbox.log).toEqual([]);
	});

	it('Mirror: a 410 Gone on the read before delete counts as gone, like a 404', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		const gone = byRef('WS-4').client_id as number;
		sandbox.store.remove(OWNER, 'clients', gone);
		sandbox.setFaults({ scripted: [{ method: 'GET', path: `/api/v1/clients/${gone}`, status: 410, body: '{"error": "Gone"}' }] });
		sandbox.log.length = 0;
		const second = await sync(customers(4), { syncMode: 'mirror', staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(requests()).toEqual([`GET /api/v1/clients/${gone}`]);
		expect(counts(second)).toEqual([0, 0, 4, 0, 0]);
		expect(Object.keys(stateOf(second)!.k)).toHaveLength(4);
	});

	it('Mirror: a read before delete the API refuses (403) makes the run compare in full, saying why — not fail every run', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		const removed = byRef('WS-4').client_id as number;
		sandbox.setFaults({ scripted: [{ method: 'GET', path: `/api/v1/clients/${removed}`, status: 403, body: '{"error": "Forbidden"}' }] });
		const second = await sync(customers(4), { syncMode: 'mirror', staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(summary(second)).toMatch(
			new RegExp(`full check, every item compared — reading remembered record client_id ${removed} before deleting it failed \\(.*\\): compared in full instead`),
		);
		// The full comparison decides from the listing: the record is deleted as without the option.
		expect(counts(second)).toEqual([0, 0, 4, 1, 0]);
		expect(remote().map((c) => c.external_client_id).sort()).toEqual(['WS-0', 'WS-1', 'WS-2', 'WS-3']);
	});

	it('Mirror: an answer to the read before delete that is not a record is an error naming what to check, never "gone"', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		const kept = byRef('WS-4').client_id as number;
		sandbox.setFaults({ scripted: [{ method: 'GET', path: `/api/v1/clients/${kept}`, status: 200, body: '[]' }] });
		const second = await sync(customers(4), { syncMode: 'mirror', staticData: first.staticData });
		expect(second.error?.message).toMatch(new RegExp(`Remembered record client_id ${kept} could not be read before Mirror deletes it`));
		expect((second.error as { description?: string } | undefined)?.description).toMatch(/Check the Record Path .* Full Check Every N Runs to 1/);
		expect(remote()).toHaveLength(5);
		// Nothing stored by the failed run: the state still holds the record, so it is not forgotten.
		expect(second.staticData).toEqual(first.staticData);
	});

	it('Mirror: a remembered record whose key is now in the input (changed elsewhere) makes the run compare in full', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		sandbox.store.update(OWNER, 'clients', byRef('WS-3').client_id as number, { external_client_id: 'WS-0' });
		sandbox.log.length = 0;
		const second = await sync(customers(3), { syncMode: 'mirror', staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(summary(second)).toMatch(/full check, every item compared — a record to delete now has a key that is in the input/);
		// The full comparison sees two remote records with key WS-0: it fails that item and so deletes nothing.
		expect(counts(second)).toEqual([0, 0, 2, 0, 1]);
		expect(second.output[4][0].json.error).toMatch(/2 remote records share external_client_id "WS-0"/);
	});

	it('Mirror: deletions are withheld when an input item fails, as without the option', async () => {
		const first = await firstRun(customers(5), { syncMode: 'mirror' });
		sandbox.log.length = 0;
		const second = await sync([...customers(3), { external_client_id: '', name: 'no key' }], { syncMode: 'mirror', staticData: first.staticData });
		expect(sandbox.log).toEqual([]);
		expect(counts(second)).toEqual([0, 0, 3, 0, 1]);
		expect(summary(second)).toMatch(/Mirror deleted nothing: 1 input item could not be planned .* \(2 remote records not in the input kept\)/);
		expect(remote()).toHaveLength(5);
	});

	it('Mirror on a state made by Upsert compares in full (the state does not hold every remote key)', async () => {
		const first = await firstRun(customers(3));
		const mirror = await sync(customers(3), { syncMode: 'mirror', staticData: first.staticData });
		expect(summary(mirror)).toMatch(/full check, every item compared — Mirror needs every remote key/);
		expect(stateOf(mirror)!.all).toBe(true);
	});

	it('Update Only: unmatched items are remembered as unmatched (no request next run); a changed item is updated by id; a record gone is reported as not matching', async () => {
		seedOthers(600);
		sandbox.store.insert(OWNER, 'clients', { external_client_id: 'WS-0', name: 'Customer 0 BV', city: 'Brugge' });
		sandbox.store.insert(OWNER, 'clients', { external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Gent' });
		const first = await firstRun(customers(4), { syncMode: 'updateOnly' });
		expect(counts(first)).toEqual([0, 1, 3, 0, 0]);
		const second = await sync(customers(4), { syncMode: 'updateOnly', staticData: first.staticData });
		expect(sandbox.log).toEqual([]);
		expect(second.output[2].map((i) => [matchOf(i), i.json.note])).toEqual([
			['WS-0', SKIPPED_NOTE],
			['WS-1', SKIPPED_NOTE],
			['WS-2', 'No remote record matches (Update Only: nothing created)'],
			['WS-3', 'No remote record matches (Update Only: nothing created)'],
		]);
		sandbox.store.remove(OWNER, 'clients', byRef('WS-1').client_id as number);
		const third = await sync(customers(4, (i) => (i <= 1 ? { city: 'Mechelen' } : {})), { syncMode: 'updateOnly', staticData: second.staticData });
		expect(third.error).toBeUndefined();
		expect(counts(third)).toEqual([0, 1, 3, 0, 0]);
		expect(matchOf(third.output[1][0])).toBe('WS-0');
		expect(third.output[2].find((i) => matchOf(i) === 'WS-1')!.json.note).toBe('No remote record matches (Update Only: nothing created)');
		expect(remote().filter((c) => c.external_client_id === 'WS-1')).toEqual([]);
	});
});

describe('Skip Unchanged Input: where n8n keeps no state, and bad input', () => {
	it('a manual run says so and compares in full; the state stays as it was', async () => {
		const first = await firstRun(customers(5));
		sandbox.store.update(OWNER, 'clients', byRef('WS-1').client_id as number, { city: 'Edited elsewhere' });
		const manual = await sync(customers(5), { staticData: first.staticData, mode: 'manual' });
		expect(summary(manual)).toMatch(/Skip Unchanged Input: every item compared — a manual run: n8n keeps no state for manual executions, so nothing is skipped and nothing is remembered$/);
		expect(counts(manual)).toEqual([0, 1, 4, 0, 0]);
		expect(requests()[0]).toBe('GET /api/v1/clients');
		expect(manual.staticData).toEqual(first.staticData);
	});

	it('a dry run compares in full and stores nothing', async () => {
		const first = await firstRun(customers(2));
		const dry = await sync(customers(3), { staticData: first.staticData, syncOptions: { dryRun: true } });
		expect(counts(dry)).toEqual([1, 0, 2, 0, 0]);
		expect(summary(dry)).toMatch(/every item compared — a dry run compares every item and keeps no state/);
		expect(stateOf(dry)).toEqual(stateOf(first));
	});

	it('a custom API (no filter parameter known): a new key makes the run compare in full', async () => {
		const first = await firstRun(customers(2), { remoteResource: 'custom' });
		const second = await sync(customers(3), { remoteResource: 'custom', staticData: first.staticData });
		expect(counts(second)).toEqual([1, 0, 2, 0, 0]);
		expect(summary(second)).toMatch(/1 input item with a key not remembered, and this API has no known filter to look them up by key/);
		sandbox.log.length = 0;
		await sync(customers(3), { remoteResource: 'custom', staticData: second.staticData });
		expect(sandbox.log).toEqual([]);
	});

	it.each([
		[{ fullCheckHours: 0, fullCheckRuns: 0 }, /^Skip Unchanged Input needs a full check: Full Check Every N Hours and Full Check Every N Runs are both 0$/],
		[{ fullCheckHours: -1 }, /^Sync Options → Full Check Every N Hours must be a number of 0 or more, not -1$/],
		[{ fullCheckRuns: 'often' }, /^Sync Options → Full Check Every N Runs must be a number of 0 or more, not "often"$/],
		[{ fullCheckHours: '0', fullCheckRuns: ' 0 ' }, /^Skip Unchanged Input needs a full check/],
	])('options %j: a clear error before anything is read', async (options, message) => {
		const result = await sync(customers(2), { syncOptions: options });
		expect(result.error?.message).toMatch(message);
		expect(sandbox.log).toEqual([]);
	});

	it('a damaged or foreign state is not trusted: the run compares in full and replaces it', async () => {
		const damaged = await sync(customers(2), { staticData: { [NODE_KEY]: { [SKIP_STATE_KEY]: { v: 1, fp: 'x', k: 'not a map' } } } });
		expect(summary(damaged)).toMatch(/full check, every item compared — the saved state belongs to other settings/);
		const newer = await sync(customers(2), { staticData: { [NODE_KEY]: { [SKIP_STATE_KEY]: { v: 99 } } } });
		expect(summary(newer)).toMatch(/full check, every item compared — the saved state was written by a newer version of this node \(state version 99\)/);
		expect(stateOf(newer)!.v).toBe(1);
		const fp = stateOf(newer)!.fp;
		const broken = await sync(customers(2), { staticData: { [NODE_KEY]: { [SKIP_STATE_KEY]: { v: 1, fp, at: 0, runs: 1, n: 0, k: { abc: 7 } } } } });
		expect(summary(broken)).toMatch(/full check, every item compared — the saved state cannot be read/);
	});

	it('items without a key or with a duplicate key go to Failed as without the option, and are not remembered', async () => {
		const first = await firstRun(customers(3));
		const input = [...customers(3), { external_client_id: 'WS-1', name: 'again' }, { name: 'no key' }];
		const second = await sync(input, { staticData: first.staticData });
		expect(counts(second)).toEqual([0, 0, 2, 0, 3]);
		expect(second.output[4].map((i) => i.json.error)).toEqual([
			expect.stringMatching(/^Duplicate match key in the input: items 1, 3/),
			expect.stringMatching(/^Duplicate match key in the input: items 1, 3/),
			expect.stringMatching(/^Missing match key: external_client_id is empty/),
		]);
		expect(sandbox.log).toEqual([]);
	});
});

// Adversarial review of Skip Unchanged Input (review18): each test states a README promise and tries to break it.

describe('review18 F1: the state belongs to one account — also when the credential (its key) changes', () => {
	// README: "It also runs on the first run, after ... the account (the node's Account ID, else the credential's) ...
	// changed — the state belongs to them, so another account's run never skips on this one's".
	// README Credentials: "A key gives access to one account" (the preferred set-up); without any Account ID "the
	// user's default account is used". Switching the node to another account's key (or OAuth2 "Switch account")
	// changes the account without changing any Account ID.
	it('switching to a credential whose key belongs to another account (no Account ID anywhere) compares in full and creates there', async () => {
		const first = await firstRun(customers(3));
		expect(remote(OWNER)).toHaveLength(3);
		// Same Base URL, no Account ID; the portal key's default account is ACCOUNTS.portal.
		const onPortal = await sync(customers(3), { credential: { apiKey: API_KEYS[1].key }, staticData: first.staticData });
		expect(onPortal.error).toBeUndefined();
		expect(summary(onPortal)).toMatch(/full check, every item compared/);
		expect(counts(onPortal)).toEqual([3, 0, 0, 0, 0]);
		expect(remote(ACCOUNTS.portal).filter((c) => String(c.external_client_id).startsWith('WS-'))).toHaveLength(3);
	});

	it('control: the same switch without Skip Unchanged Input creates the 3 records in the other account', async () => {
		await firstRun(customers(3));
		const onPortal = await sync(customers(3), { credential: { apiKey: API_KEYS[1].key }, syncOptions: { skipUnchanged: false } });
		expect(counts(onPortal)).toEqual([3, 0, 0, 0, 0]);
	});
});

describe('review18 F2: a lookup by key must not miss a record the node would match', () => {
	// README: "each such key is looked up (filter=external_client_id=…) ... when the filter cannot miss a record this
	// node would match". CONTRIBUTING: "Whatever the state cannot vouch for (a key never seen that a lookup could miss
	// ...) makes the run compare in full". The node matches text after trim + NFC and date-times by instant; the
	// API's filter compares the stored text as it is. Only the *input* value is checked, not what the remote holds.
	it.each([
		['surrounding blanks', 'WS-9 '],
		['a decomposed Unicode form', 'Café-9'.normalize('NFD')],
	])('a record made in the other system with the key in %s is matched, not duplicated', async (_label, stored) => {
		seedOthers(600);
		const first = await firstRun(customers(3));
		const key = stored.trim().normalize('NFC');
		sandbox.store.insert(OWNER, 'clients', { external_client_id: stored, name: 'Made elsewhere', city: 'Gent' });
		const input = [...customers(3), { external_client_id: key, name: 'Made elsewhere', city: 'Brugge' }];
		const second = await sync(input, { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		// Without the option the same input updates the existing record (see the control below): no duplicate.
		const same = remote().filter((c) => String(c.external_client_id).trim().normalize('NFC') === key);
		expect(same).toHaveLength(1);
		expect(counts(second)[0]).toBe(0);
	});

	it('a date-time key the API holds in another time zone (the node matches it by instant) is matched, not duplicated', async () => {
		seedOthers(600);
		const first = await firstRun(customers(3));
		sandbox.store.insert(OWNER, 'clients', { external_client_id: '2026-05-01T10:00:00+02:00', name: 'Timestamped', city: 'Gent' });
		const input = [...customers(3), { external_client_id: '2026-05-01T08:00:00Z', name: 'Timestamped', city: 'Brugge' }];
		const second = await sync(input, { staticData: first.staticData });
		expect(second.error).toBeUndefined();
		expect(counts(second)[0]).toBe(0);
		expect(remote().filter((c) => String(c.external_client_id).startsWith('2026-05-01'))).toHaveLength(1);
	});

	it('control: without the option the record with surrounding blanks is matched and updated', async () => {
		seedOthers(600);
		await firstRun(customers(3));
		sandbox.store.insert(OWNER, 'clients', { external_client_id: 'WS-9 ', name: 'Made elsewhere', city: 'Gent' });
		const input = [...customers(3), { external_client_id: 'WS-9', name: 'Made elsewhere', city: 'Brugge' }];
		const run = await sync(input, { syncOptions: { skipUnchanged: false } });
		expect(counts(run)).toEqual([0, 1, 3, 0, 0]);
	});
});

describe('review18 F4: a changed value must never hash like the old one (JS Date values)', () => {
	// README: "Its mapped record (without the ID field and Fields to Ignore) is hashed. Unchanged since the last run:
	// ... no request"; "Digests can collide: ... odds of about 1 in 10^18 per change". A mapping expression such as
	// {{ new Date($json.when) }} gives a JS Date (n8n converts Luxon DateTimes to text, not Dates); the node sends it
	// as its ISO text and compares it correctly without the option — but every Date hashes as `{}`.
	const call = (when: string, staticData: IDataObject, skipUnchanged = true) =>
		runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'clients',
					syncMode: 'upsert',
					columns: {
						mappingMode: 'defineBelow',
						value: { external_client_id: '={{ $json.ref }}', name: '={{ $json.name }}', city: '={{ new Date($json.when) }}' },
						matchingColumns: ['external_client_id'],
						schema: [],
					},
					syncOptions: { maxRequestsPerSecond: 0, skipUnchanged },
				},
			},
			items: [{ ref: 'D-1', name: 'Dated', when }],
			mode: 'trigger',
			staticData,
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl, {}) }],
		});

	it('a date that changed between runs is sent, not reported "Unchanged since the last run"', async () => {
		const first = await call('2024-01-01T00:00:00Z', {});
		expect(first.error).toBeUndefined();
		expect(byRef('D-1').city).toBe('2024-01-01T00:00:00.000Z');
		const second = await call('2025-06-01T00:00:00Z', first.staticData);
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([0, 1, 0, 0, 0]);
		expect(byRef('D-1').city).toBe('2025-06-01T00:00:00.000Z');
	});

	it('control: without the option the changed date is updated', async () => {
		await call('2024-01-01T00:00:00Z', {}, false);
		const second = await call('2025-06-01T00:00:00Z', {}, false);
		expect(counts(second)).toEqual([0, 1, 0, 0, 0]);
		expect(byRef('D-1').city).toBe('2025-06-01T00:00:00.000Z');
	});
});
