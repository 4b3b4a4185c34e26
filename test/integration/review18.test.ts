/**
 * Review of branch perf (issue 18, point 2: Skip Unchanged Input) — adversarial tests. Each test states a promise
 * of the README / CONTRIBUTING and tries to break it. Real workflows through n8n-core's WorkflowExecute in production
 * mode ('trigger', so static data is carried from run to run), HTTP to the sandbox. See /work/notes/review18.md.
 */
import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS, API_KEYS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;

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
}

function sync(items: IDataObject[], call: SyncCall = {}): Promise<RunResult> {
	const custom = call.remoteResource === 'custom' ? { customPath: '/clients', customIdField: 'client_id' } : {};
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
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
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl, call.credential ?? {}) }],
	});
}

const counts = (r: RunResult) => r.output.map((o) => o.length);
const summary = (r: RunResult) => r.hints[0]?.message ?? '';
const remote = (account: string = OWNER) => sandbox.store.list(account, 'clients');
const byRef = (ref: string, account: string = OWNER) => remote(account).find((c) => c.external_client_id === ref)!;

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
