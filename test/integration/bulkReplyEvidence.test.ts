/**
 * Issue 16.7 (review findings): what a bulk reply entry proves. A create is Created only with its id (or once a re-read
 * confirms it), and is never sent a second time on the strength of an entry that may describe a record the API made;
 * an update is Updated only on a real sign of success, never on an echo of the id the node sent itself.
 *
 * A small proxy sits in front of the sandbox where an API's bulk reply needs another shape than the sandbox gives:
 * everything is forwarded as is, and only the reply to `POST …?bulk` is rewritten.
 */
import { createServer, request as httpRequestRaw, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const OWNER = ACCOUNTS.owner;

let sandbox: Sandbox;
let proxy: BulkProxy;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
	proxy = await startBulkProxy(sandbox.url);
});
afterAll(async () => {
	await proxy.close();
	await sandbox.close();
});
beforeEach(() => {
	sandbox.reset();
	proxy.rewrite = undefined;
});

interface BulkProxy {
	origin: string;
	/** Rewrites the parsed JSON reply of `POST …?bulk` (request body given too); undefined: forwarded as is. */
	rewrite?: (reply: IDataObject, sent: IDataObject) => unknown;
	close(): Promise<void>;
}

async function startBulkProxy(target: string): Promise<BulkProxy> {
	const state: BulkProxy = { origin: '', close: async () => {} };
	const server: Server = createServer((req, res) => {
		const chunks: Buffer[] = [];
		req.on('data', (c: Buffer) => chunks.push(c));
		req.on('end', () => {
			const body = Buffer.concat(chunks);
			const upstream = httpRequestRaw(
				`${target}${req.url}`,
				{ method: req.method, headers: { ...req.headers, host: new URL(target).host } },
				(up) => {
					const parts: Buffer[] = [];
					up.on('data', (c: Buffer) => parts.push(c));
					up.on('end', () => {
						let answer = Buffer.concat(parts);
						const headers = { ...up.headers };
						if (state.rewrite && req.method === 'POST' && /[?&]bulk/.test(req.url ?? '') && (up.statusCode ?? 0) < 300) {
							const rewritten = state.rewrite(JSON.parse(answer.toString('utf8')) as IDataObject, JSON.parse(body.toString('utf8')) as IDataObject);
							answer = Buffer.from(JSON.stringify(rewritten), 'utf8');
							delete headers['content-length'];
						}
						res.writeHead(up.statusCode ?? 500, headers);
						res.end(answer);
					});
				},
			);
			upstream.end(body);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
	state.close = () => new Promise((resolve) => server.close(() => resolve()));
	return state;
}

function customer(i: number, extra: IDataObject = {}): IDataObject {
	return { shopId: `WS-${i}`, company: `Customer ${i} BV`, city: 'Gent', ...extra };
}

function sync(items: IDataObject[], syncOptions: IDataObject = {}, baseUrl = `${proxy.origin}/api/v1`): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE.apiKey,
				operation: 'sync',
				remoteResource: 'clients',
				syncMode: 'upsert',
				columns: {
					mappingMode: 'defineBelow',
					value: { external_client_id: '={{ $json.shopId }}', name: '={{ $json.company }}', city: '={{ $json.city }}' },
					matchingColumns: ['external_client_id'],
					schema: [],
				},
				syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
			},
		},
		items,
		credentials: [{ type: CREDENTIAL_TYPE.apiKey, data: credentialData('apiKey', baseUrl) }],
	});
}

const remoteClients = () => sandbox.store.list(OWNER, 'clients');
const counts = (result: RunResult) => result.output.map((o) => o.length);
const results = (reply: IDataObject) => reply.results as IDataObject[];

const bulkPosts = () => sandbox.log.filter((e) => e.method === 'POST' && e.query.bulk !== undefined);
const readsAfterBulk = () => sandbox.log.slice(sandbox.log.indexOf(bulkPosts()[0]) + 1).filter((e) => e.method === 'GET');
const failedReasons = (result: RunResult) => result.output[4].map((o) => o.json.error);

describe('a bulk create entry is Created only with an id, or once a re-read confirms it — never sent twice', () => {
	const createdWithWarning = () => {
		// e.g. {"client_id": 17, "errors": ["the welcome e-mail could not be sent"]}: the record exists, with its id.
		proxy.rewrite = (reply) => ({
			...reply,
			results: results(reply).map((entry, i) => (i === 0 ? { ...entry, errors: ['the welcome e-mail could not be sent'] } : entry)),
		});
	};
	const singlePostsFor = (shopId: string) =>
		sandbox.log.filter((e) => e.method === 'POST' && e.query.bulk === undefined && e.body.includes(`"${shopId}"`));

	it('an entry with an id AND an error: re-read, not sent again (no duplicate, no clean-up delete), reported Created with its id', async () => {
		createdWithWarning();
		const result = await sync([customer(0), customer(1)]);
		expect(result.error).toBeUndefined();
		// Sent alone again, WS-0 was created twice; the overlap check then deleted "the duplicate" and blamed another run.
		expect(singlePostsFor('WS-0')).toHaveLength(0);
		expect(sandbox.log.filter((e) => e.method === 'DELETE')).toEqual([]);
		expect(bulkPosts()).toHaveLength(1);
		const ws0 = remoteClients().filter((c) => c.external_client_id === 'WS-0');
		expect(ws0).toHaveLength(1);
		expect(counts(result)).toEqual([2, 0, 0, 0, 0]);
		expect(result.output[0].map((o) => [o.json.match, o.json.id])).toContainEqual([{ external_client_id: 'WS-0' }, ws0[0].client_id]);
		// The re-read (reading the clients) settled it.
		expect(readsAfterBulk().length).toBeGreaterThanOrEqual(1);
	});

	it('an entry with an id AND an error, Remove Duplicates of Overlapping Runs off: no duplicate either', async () => {
		createdWithWarning();
		const result = await sync([customer(0), customer(1)], { overlapDuplicates: 'off' });
		expect(remoteClients().filter((c) => c.external_client_id === 'WS-0')).toHaveLength(1);
		expect(counts(result)).toEqual([2, 0, 0, 0, 0]);
	});

	it('an entry with an error and no id is tried alone, and goes to Failed with the API’s words', async () => {
		const result = await sync([customer(0), customer(1, { company: '' })]);
		expect(counts(result)).toEqual([1, 0, 0, 0, 1]);
		expect(failedReasons(result)[0]).toMatch(/name is required/);
		expect(singlePostsFor('WS-1')).toHaveLength(1);
	});

	it('a bare-text entry that is a refusal ("name is required") is not read as the id of a created record', async () => {
		proxy.rewrite = (reply) => ({
			...reply,
			results: results(reply).map((entry) => (entry.error ? String(entry.error) : entry.client_id)),
		});
		const result = await sync([customer(0), customer(1, { company: '' })]);
		expect(remoteClients()).toHaveLength(1);
		expect(result.output[0].map((o) => o.json.id)).not.toContain('name is required');
		expect(counts(result)).toEqual([1, 0, 0, 0, 1]);
		// Unclear, so re-read: not found, so sent alone, where the API says why.
		expect(failedReasons(result)[0]).toMatch(/name is required/);
	});
});

describe('a bulk update entry is Updated only on a real sign of success — an echo of the id sent is none', () => {
	const existing = () => sandbox.store.insert(OWNER, 'clients', { name: 'Customer 1 BV', external_client_id: 'WS-1', city: 'Leuven' });

	it('an update refused in a shape that echoes the id ({"client_id": 12, "message": …}) is not reported Updated', async () => {
		existing();
		sandbox.store.bulkErrorShape = 'message';
		// The API echoes the id it was given in every entry, as many do; the refusal has no `error` field.
		proxy.rewrite = (reply, sent) => ({
			...reply,
			results: results(reply).map((entry, i) => ({ client_id: (sent.clients as IDataObject[])[i].client_id, ...entry })),
		});
		const result = await sync([customer(1, { company: '', city: 'Brugge' })]);
		expect(remoteClients()[0].city).toBe('Leuven'); // nothing was written
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(failedReasons(result)[0]).toMatch(/name is required/);
	});

	it.each([0, '0', 'false', 'no'])('an update refused as {"success": %p, "message": …} is not reported Updated', async (success) => {
		existing();
		proxy.rewrite = (reply) => ({
			...reply,
			results: results(reply).map((entry) => (entry.error ? { success, message: entry.error } : entry)),
		});
		const result = await sync([customer(1, { company: '', city: 'Brugge' })]);
		expect(remoteClients()[0].city).toBe('Leuven');
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(failedReasons(result)[0]).toMatch(/name is required/);
	});

	it('an update the API applied but answered with the id only is confirmed by a re-read, then reported Updated', async () => {
		existing();
		proxy.rewrite = (reply, sent) => ({ ...reply, results: (sent.clients as IDataObject[]).map((c) => ({ client_id: c.client_id })) });
		const result = await sync([customer(1, { city: 'Brugge' })]);
		expect(remoteClients()[0].city).toBe('Brugge');
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(readsAfterBulk()).toHaveLength(1);
		// Applied once: the re-read found it as intended, nothing was sent again.
		expect(sandbox.log.filter((e) => e.method !== 'GET')).toHaveLength(1);
	});

	it('an update answered with a sign of success ({"success": "client updated", "client_id": …}) is Updated without a re-read', async () => {
		existing();
		const result = await sync([customer(1, { city: 'Brugge' })]);
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(readsAfterBulk()).toEqual([]);
	});
});
