/**
 * Two runs of one Sync that overlap (issue 11, point 5): a schedule firing while the last run is still going, or
 * two workers in queue mode. Both read the remote side before either writes, so both plan the same creates. The
 * sandbox's rendezvous fault makes that overlap deterministic: each run's first read is held until the other's
 * has arrived. Real workflows through n8n-core's WorkflowExecute, HTTP to the sandbox.
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

const MAPPING: Record<string, string> = {
	external_client_id: '={{ $json.shopId }}',
	name: '={{ $json.company }}',
	city: '={{ $json.city }}',
};

function customers(count: number, extra: IDataObject = {}): IDataObject[] {
	return Array.from({ length: count }, (_, i) => ({ shopId: `WS-${i}`, company: `Customer ${i} BV`, city: 'Gent', ...extra }));
}

function sync(items: IDataObject[], syncOptions: IDataObject = {}, syncMode = 'upsert'): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
				operation: 'sync',
				remoteResource: 'clients',
				syncMode,
				columns: { mappingMode: 'defineBelow', value: MAPPING, matchingColumns: ['external_client_id'], schema: [] },
				syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
			},
		},
		items,
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
	});
}

/** Both runs' first read of the clients is held until the other's has arrived: both plan before either writes. */
const bothReadFirst = () => sandbox.setFaults({ rendezvous: { method: 'GET', path: /^\/api\/v1\/clients$/, count: 2 } });
const remoteRefs = () => sandbox.store.list(OWNER, 'clients').map((c) => String(c.external_client_id));
const requests = (method: string) => sandbox.log.filter((e) => e.method === method && e.path === '/api/v1/clients').length;

describe('two overlapping runs of one Sync', () => {
	it('duplicate every new record when the check is off (the problem, reproduced)', async () => {
		bothReadFirst();
		const runs = await Promise.all([
			sync(customers(20), { overlapDuplicates: 'off' }),
			sync(customers(20), { overlapDuplicates: 'off' }),
		]);
		expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);
		expect(runs.map((r) => r.output[0].length)).toEqual([20, 20]);
		expect(remoteRefs()).toHaveLength(40);
		expect(new Set(remoteRefs()).size).toBe(20);
	});

	it('do not lean on idempotency keys: each run sends its own, and the check still leaves one record per key (issue 16.5)', async () => {
		bothReadFirst();
		const options = { useBulk: false, concurrency: 3, idempotencyHeader: 'Idempotency-Key' };
		const runs = await Promise.all([sync(customers(10), options), sync(customers(10), options)]);
		expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);
		const posts = sandbox.log.filter((e) => e.method === 'POST');
		expect(posts).toHaveLength(20);
		// Two runs, two keys per record: nothing was answered from the API's replay store.
		expect(new Set(posts.map((p) => p.headers['idempotency-key'])).size).toBe(20);
		expect(posts.filter((p) => p.replayed)).toEqual([]);
		expect(remoteRefs().sort()).toEqual(customers(10).map((c) => String(c.shopId)).sort());
		expect(runs.flatMap((r) => r.output[0])).toHaveLength(10);
		expect(runs.flatMap((r) => r.output[2])).toHaveLength(10);
	});

	it.each([
		['bulk', { useBulk: true }],
		['one request per record, concurrency 3', { useBulk: false, concurrency: 3 }],
	])('leave exactly one record per key, the older one (%s)', async (_label, options) => {
		bothReadFirst();
		const runs = await Promise.all([sync(customers(20), options), sync(customers(20), options)]);
		expect(runs.map((r) => r.error)).toEqual([undefined, undefined]);

		const clients = sandbox.store.list(OWNER, 'clients');
		expect(clients).toHaveLength(20);
		expect(new Set(remoteRefs()).size).toBe(20);
		// 40 created, the 20 newer ones deleted again by the run that created them.
		expect(sandbox.log.filter((e) => e.method === 'DELETE' && e.status === 200)).toHaveLength(20);

		// Every key is reported once as Created (with the id that remains) and once as Unchanged with a note.
		const created = runs.flatMap((r) => r.output[0].map((i) => i.json));
		const unchanged = runs.flatMap((r) => r.output[2].map((i) => i.json));
		expect(created).toHaveLength(20);
		expect(unchanged).toHaveLength(20);
		expect(runs.flatMap((r) => [...r.output[1], ...r.output[3], ...r.output[4]])).toEqual([]);
		const remaining = new Map(clients.map((c) => [String(c.external_client_id), c.client_id]));
		for (const item of created) expect(item.id).toBe(remaining.get(String((item.match as IDataObject).external_client_id)));
		for (const item of unchanged) {
			const keptId = remaining.get(String((item.match as IDataObject).external_client_id));
			expect(item.id).toBe(keptId);
			expect(item.note).toMatch(new RegExp(`^Another run or system created this record meanwhile \\(client_id ${keptId}\\); the duplicate this run had created \\(client_id \\d+\\) was deleted$`));
		}
		// pairedItem: each item points at its own input item
		for (const run of runs) {
			for (const output of [run.output[0], run.output[2]]) {
				for (const item of output) expect(item.pairedItem).toEqual({ item: Number(String((item.json.match as IDataObject).external_client_id).slice(3)) });
			}
		}
		// A run that gave up records says so in its summary, as a warning.
		const hints = runs.flatMap((r) => r.hints);
		const overlapHints = hints.filter((h) => /created meanwhile by another run or system/.test(h.message));
		expect(overlapHints.length).toBeGreaterThanOrEqual(1);
		for (const hint of overlapHints) expect(hint.type).toBe('warning');
		const given = overlapHints.map((h) => Number(/(\d+) records? (was|were) created meanwhile/.exec(h.message)![1]));
		expect(given.reduce((a, b) => a + b, 0)).toBe(20);
	});

	it('bring the kept record in line when the later run carries other values', async () => {
		bothReadFirst();
		const [gent, leuven] = await Promise.all([sync(customers(5)), sync(customers(5, { city: 'Leuven' }))]);
		expect([gent.error, leuven.error]).toEqual([undefined, undefined]);
		const clients = sandbox.store.list(OWNER, 'clients');
		expect(clients).toHaveLength(5);
		// Whichever run gave up its record updated the kept one to its own values, and says so.
		for (const client of clients) {
			const ref = String(client.external_client_id);
			const winner = [gent, leuven].find((r) => r.output[0].some((i) => (i.json.match as IDataObject).external_client_id === ref))!;
			const loser = winner === gent ? leuven : gent;
			const update = loser.output[1].find((i) => (i.json.match as IDataObject).external_client_id === ref)!;
			expect(update.json).toMatchObject({
				id: client.client_id,
				changes: { city: { from: winner === gent ? 'Gent' : 'Leuven', to: loser === gent ? 'Gent' : 'Leuven' } },
				note: expect.stringMatching(/^Another run or system created this record meanwhile/),
			});
			expect(client.city).toBe(loser === gent ? 'Gent' : 'Leuven');
		}
	});
});

describe('a record another writer creates between this run\'s read and its create', () => {
	/** Inserts WS-1 directly (as another system would) as soon as the run's read has been answered. */
	function insertAfterFirstRead(record: IDataObject): void {
		const log = sandbox.log;
		let done = false;
		log.push = (...entries) => {
			const count = Array.prototype.push.apply(log, entries);
			if (!done && entries.some((e) => e.method === 'GET' && e.path === '/api/v1/clients')) {
				done = true;
				sandbox.store.insert(OWNER, 'clients', record);
			}
			return count;
		};
	}
	afterEach(() => delete (sandbox.log as { push?: unknown }).push);

	it('is kept, and this run deletes its own newer duplicate (Create Only: reported Unchanged)', async () => {
		insertAfterFirstRead({ external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Brugge' });
		const result = await sync(customers(3), {}, 'createOnly');
		expect(result.error).toBeUndefined();
		const clients = sandbox.store.list(OWNER, 'clients');
		expect(remoteRefs().sort()).toEqual(['WS-0', 'WS-1', 'WS-2']);
		const kept = clients.find((c) => c.external_client_id === 'WS-1')!;
		expect(kept.city).toBe('Brugge');
		expect(result.output.map((o) => o.length)).toEqual([2, 0, 1, 0, 0]);
		expect(result.output[2][0].json).toMatchObject({ id: kept.client_id, match: { external_client_id: 'WS-1' } });
		expect(result.output[2][0].pairedItem).toEqual({ item: 1 });
	});

	it('is kept and updated to this run\'s values (Upsert: reported Updated)', async () => {
		insertAfterFirstRead({ external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Brugge' });
		const result = await sync(customers(3));
		expect(result.error).toBeUndefined();
		const kept = sandbox.store.list(OWNER, 'clients').find((c) => c.external_client_id === 'WS-1')!;
		expect(remoteRefs()).toHaveLength(3);
		expect(kept.city).toBe('Gent');
		expect(result.output.map((o) => o.length)).toEqual([2, 1, 0, 0, 0]);
		expect(result.output[1][0].json).toMatchObject({ id: kept.client_id, changes: { city: { from: 'Brugge', to: 'Gent' } } });
	});

	it('is gone again before this run gives up its own record: this run\'s record stays (never none)', async () => {
		insertAfterFirstRead({ external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Brugge' });
		// Someone deletes the other record right after this run's check read has seen it.
		const log = sandbox.log;
		const push = log.push;
		let reads = 0;
		log.push = (...entries) => {
			const count = push.apply(log, entries);
			reads += entries.filter((e) => e.method === 'GET' && e.path === '/api/v1/clients').length;
			if (reads === 2) {
				const other = sandbox.store.list(OWNER, 'clients').find((c) => c.external_client_id === 'WS-1' && c.city === 'Brugge');
				if (other) sandbox.store.remove(OWNER, 'clients', other.client_id as number);
			}
			return count;
		};
		const result = await sync(customers(3));
		expect(result.error).toBeUndefined();
		expect(result.output.map((o) => o.length)).toEqual([3, 0, 0, 0, 0]);
		expect(sandbox.store.list(OWNER, 'clients').filter((c) => c.external_client_id === 'WS-1')).toMatchObject([{ city: 'Gent' }]);
		expect(sandbox.log.filter((e) => e.method === 'DELETE')).toEqual([]);
	});

	it('EenvoudigFactureren: the check reads only ids and match values, then the kept record in full', async () => {
		insertAfterFirstRead({ external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Brugge' });
		await sync(customers(3));
		const kept = sandbox.store.list(OWNER, 'clients').find((c) => c.external_client_id === 'WS-1')!;
		const reads = sandbox.log.filter((e) => e.method === 'GET').map((e) => `${e.path} ${e.query.fields ?? ''}`);
		expect(reads).toEqual([
			'/api/v1/clients client_id,external_client_id,name,city',
			'/api/v1/clients client_id,external_client_id',
			`/api/v1/clients/${kept.client_id} `,
		]);
	});

	it('when the API refuses to delete the duplicate: Failed, naming the record to remove, and nothing else lost', async () => {
		insertAfterFirstRead({ external_client_id: 'WS-1', name: 'Customer 1 BV', city: 'Gent' });
		sandbox.setFaults({ scripted: [{ method: 'DELETE', path: /^\/api\/v1\/clients\/\d+$/, status: 403, body: '{"error": "not allowed to delete clients"}' }] });
		const result = await sync(customers(3));
		expect(result.error).toBeUndefined();
		const ours = sandbox.store.list(OWNER, 'clients').filter((c) => c.external_client_id === 'WS-1');
		expect(ours).toHaveLength(2);
		const [older, newer] = ours.map((c) => c.client_id as number).sort((a, b) => a - b);
		expect(result.output.map((o) => o.length)).toEqual([2, 0, 0, 0, 1]);
		expect(result.output[4][0].json).toMatchObject({ stage: 'create', httpCode: '403', match: { external_client_id: 'WS-1' } });
		expect(result.output[4][0].json.error).toMatch(new RegExp(`This run created client_id ${newer} while another run created the same record \\(client_id ${older}\\); deleting this run's duplicate failed: .*Delete client_id ${newer} in the remote system\\.$`));
		expect(result.output[4][0].pairedItem).toEqual({ item: 1 });
	});
});

describe('when the check cannot read', () => {
	it('keeps every outcome of the writes and says in the summary that the check was not made', async () => {
		const log = sandbox.log;
		log.push = (...entries) => {
			const count = Array.prototype.push.apply(log, entries);
			// After the run's first read: every further read of the clients is refused.
			if (entries.some((e) => e.method === 'GET' && e.path === '/api/v1/clients')) {
				sandbox.setFaults({ scripted: [{ method: 'GET', path: '/api/v1/clients', status: 403, times: 10 }] });
			}
			return count;
		};
		try {
			const result = await sync(customers(4));
			expect(result.error).toBeUndefined();
			expect(result.output.map((o) => o.length)).toEqual([4, 0, 0, 0, 0]);
			expect(result.hints[0].type).toBe('warning');
			expect(result.hints[0].message).toMatch(/^Sync: 4 created, .* · the check for records created meanwhile by another run or system could not read the remote records \(.*403.*\); a later run lists any duplicate under Failed$/);
			expect(sandbox.store.list(OWNER, 'clients')).toHaveLength(4);
		} finally {
			delete (log as { push?: unknown }).push;
		}
	});
});

describe('what the check costs', () => {
	it('EenvoudigFactureren: reads only the ids between the first read and this run\'s records — none when they follow on', async () => {
		for (let i = 0; i < 250; i++) sandbox.store.insert(OWNER, 'clients', { external_client_id: `OLD-${i}`, name: `Old ${i}` });
		const highest = Math.max(...sandbox.store.list(OWNER, 'clients').map((c) => c.client_id as number));
		const result = await sync(customers(3));
		expect(result.output[0]).toHaveLength(3);
		expect(result.output[0].map((i) => i.json.id)).toEqual([highest + 1, highest + 2, highest + 3]);
		// The first read: pages at skip 0, 99, 198 (overlapping by one record) and 297, 396, 495 past the end (four in
		// flight). Nothing can sit between its highest id and this run's ids: no check read at all.
		expect(sandbox.log.filter((e) => e.method === 'GET').map((e) => e.query.filter ?? null)).toEqual([null, null, null, null, null, null]);
	});

	it('EenvoudigFactureren: another writer\'s record between the first read and this run\'s records: one read of that gap', async () => {
		for (let i = 0; i < 250; i++) sandbox.store.insert(OWNER, 'clients', { external_client_id: `OLD-${i}`, name: `Old ${i}` });
		const highest = Math.max(...sandbox.store.list(OWNER, 'clients').map((c) => c.client_id as number));
		const log = sandbox.log;
		log.push = (...entries) => {
			const count = Array.prototype.push.apply(log, entries);
			// After the first read's last non-empty page, another system creates two clients (other keys).
			if (entries.some((e) => e.method === 'GET' && e.query.skip === '198')) {
				sandbox.store.insert(OWNER, 'clients', { external_client_id: 'OTHER-1', name: 'Other 1' });
				sandbox.store.insert(OWNER, 'clients', { external_client_id: 'OTHER-2', name: 'Other 2' });
			}
			return count;
		};
		try {
			const result = await sync(customers(3));
			expect(result.output.map((o) => o.length)).toEqual([3, 0, 0, 0, 0]);
			const reads = sandbox.log.filter((e) => e.method === 'GET');
			expect(reads.map((e) => e.query.filter ?? null)).toEqual([null, null, null, null, null, null, `client_id>=${highest + 1},client_id<=${highest + 2}`]);
			expect(reads[6].query.fields).toBe('client_id,external_client_id');
		} finally {
			delete (log as { push?: unknown }).push;
		}
	});

	it('a custom API (no filter parameter known): reads everything once more', async () => {
		for (let i = 0; i < 150; i++) sandbox.store.insert(OWNER, 'clients', { external_client_id: `OLD-${i}`, name: `Old ${i}` });
		const result = await runNode({
			node: {
				type: 'apiSync',
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					operation: 'sync',
					remoteResource: 'custom',
					customPath: '/clients',
					customIdField: 'client_id',
					syncMode: 'upsert',
					columns: { mappingMode: 'defineBelow', value: MAPPING, matchingColumns: ['external_client_id'], schema: [] },
					syncOptions: { maxRequestsPerSecond: 0, useBulk: false },
				},
			},
			items: customers(2),
			credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
		});
		expect(result.output[0]).toHaveLength(2);
		const reads = sandbox.log.filter((e) => e.method === 'GET');
		// 150 (then 152) records in pages of 100 overlapping by one (and 198, 297, 396 asked while 99 was read: four in
		// flight). A custom API's short page (99: 51, then 53 records) does not end the read: the page starting at its
		// last record (149, then 151), asked alone, brings only that record. No filter: the whole listing twice.
		const pages = ['0:', '99:', '198:', '297:', '396:'];
		expect(reads.map((e) => `${e.query.skip}:${e.query.filter ?? ''}`).sort()).toEqual([...pages, ...pages, '149:', '151:'].sort());
	});

	it('Auto leaves numbered documents alone (a delete would leave a gap in the numbering); On checks them too', async () => {
		let client = 0;
		const invoices = (n: number, syncOptions: IDataObject) =>
			runNode({
				node: {
					type: 'apiSync',
					parameters: {
						authentication: CREDENTIAL_TYPE.apiKey,
						operation: 'sync',
						remoteResource: 'invoices',
						syncMode: 'upsert',
						columns: {
							mappingMode: 'defineBelow',
							value: { client_id: '={{ $json.client }}', reference: '={{ $json.ref }}' },
							matchingColumns: ['reference'],
							schema: [],
						},
						syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
					},
				},
				items: Array.from({ length: n }, (_, i) => ({ client, ref: `ORDER-${n}-${i}` })),
				credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', sandbox.baseUrl) }],
			});
		client = sandbox.store.insert(OWNER, 'clients', { name: 'Invoiced customer' }).client_id as number;
		const invoiceReads = () => sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/invoices').length;
		// Another system writes an invoice after each run's first read, so the check (when made) has an id gap to read.
		const log = sandbox.log;
		log.push = (...entries) => {
			const count = Array.prototype.push.apply(log, entries);
			if (entries.some((e) => e.method === 'GET' && e.path === '/api/v1/invoices' && e.query.filter === undefined)) {
				sandbox.store.insert(OWNER, 'invoices', { client_id: client, reference: `OTHER-${invoiceReads()}` });
			}
			return count;
		};
		try {
			const first = await invoices(2, {});
			expect(first.output[4]).toEqual([]);
			expect(first.output[0]).toHaveLength(2);
			expect(invoiceReads()).toBe(1);
			sandbox.log.length = 0;
			expect((await invoices(3, { overlapDuplicates: 'on' })).output[0]).toHaveLength(3);
			expect(invoiceReads()).toBe(2);
			expect(sandbox.log.filter((e) => e.method === 'GET' && e.path === '/api/v1/invoices')[1].query.filter).toMatch(/^invoice_id[<>=]/);
		} finally {
			delete (log as { push?: unknown }).push;
		}
	});

	it('one extra read when records were created; none when nothing was created, none in a dry run', async () => {
		await sync(customers(10));
		expect(requests('GET')).toBe(2);
		sandbox.log.length = 0;
		await sync(customers(10));
		expect(requests('GET')).toBe(1);
		sandbox.log.length = 0;
		await sync(customers(12), { dryRun: true });
		expect(requests('GET')).toBe(1);
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toEqual([]);
		sandbox.log.length = 0;
		await sync(customers(12), { overlapDuplicates: 'off' });
		expect(requests('GET')).toBe(1);
		expect(sandbox.store.list(OWNER, 'clients')).toHaveLength(12);
	});
});
