/**
 * The API Sync Webhook's one store against repeated deliveries and replays (nodes/ApiSyncWebhook/deliveries.ts),
 * driven the way n8n drives it: every call gets its own copy of the workflow's static data, read from the database
 * when the call arrives and saved whole after it was answered (last writer wins). The real n8n behaviour is shown
 * in test/e2e/webhookDeliveries.e2e.test.ts; this file pins the rules, the expiries and the merge.
 */
import { randomUUID } from 'node:crypto';

import { NodeHelpers, type IDataObject } from 'n8n-workflow';

import { ApiSyncHmacApi } from '../../credentials/ApiSyncHmacApi.credentials';
import { ApiSyncWebhookHmacApi } from '../../credentials/ApiSyncWebhookHmacApi.credentials';
import { BODY_COVERING_TEMPLATE, templateCoversBody } from '../../credentials/common/hmacSigning';
import {
	callKeys,
	claim,
	DURABLE_FIELD,
	MAX_REMEMBERED_KEYS,
	MAX_WINDOW_KEYS,
	replayKey,
	settle,
	workflowStore,
	type CallKeys,
	type Claim,
	type KeyInputs,
	type WorkflowStore,
} from '../../nodes/ApiSyncWebhook/deliveries';

const NOW = 1_760_000_000;
/** The process's store of a new workflow with one API Sync Webhook node, `node`. */
const fresh = () => workflowStore(`test-${randomUUID()}`);
/** A call to node `node` whose global static data copy is `copy`. */
const claimIn = (store: WorkflowStore, copy: IDataObject, keys: CallKeys, now: number, answeredNow: boolean): Claim =>
	claim({ store, nodeId: 'node', copy }, keys, now, answeredNow);
/** The keys a static-data copy holds for node `node` (both budgets). */
const durable = (copy: IDataObject, nodeId = 'node'): IDataObject | undefined => {
	const entry = (copy[DURABLE_FIELD] as IDataObject | undefined)?.[nodeId] as IDataObject | undefined;
	return entry ? { ...(entry.remembered as IDataObject), ...(entry.replayWindow as IDataObject) } : undefined;
};

/** A database row holding the workflow's static data, as n8n keeps it: read per call, saved whole. */
class Database {
	saved: IDataObject = {};
	read(): IDataObject {
		return JSON.parse(JSON.stringify(this.saved)) as IDataObject;
	}
	save(copy: IDataObject): void {
		this.saved = JSON.parse(JSON.stringify(copy)) as IDataObject;
	}
}

const keysOf = (partial: Partial<KeyInputs>): CallKeys =>
	callKeys({ dropRepeats: true, nowSeconds: NOW, rememberSeconds: 86400, toleranceSeconds: 300, ...partial });

describe('Respond Immediately: a delivery counts as seen when it is accepted', () => {
	it('8 deliveries at once, each saved late and in any order, then redelivered: every repeat is caught in the process', () => {
		const store = fresh();
		const db = new Database();
		const ids = Array.from({ length: 8 }, (_, i) => `delivery-${i}`);
		// All 8 calls read the database before any of them saved.
		const copies = ids.map(() => db.read());
		expect(ids.map((id, i) => claimIn(store, copies[i], keysOf({ deliveryId: id }), NOW, true).outcome)).toEqual(Array(8).fill('new'));
		// n8n saves each copy whole, last writer wins: here in reverse order, the first call's copy last.
		for (const copy of [...copies].reverse()) db.save(copy);
		expect(ids.map((id) => claimIn(store, db.read(), keysOf({ deliveryId: id }), NOW + 3, true).outcome)).toEqual(Array(8).fill('handled'));
	});

	it('every save carries what the process knew then: the last save holds every delivery claimed before it', () => {
		const store = fresh();
		const db = new Database();
		const copies = Array.from({ length: 8 }, () => db.read());
		copies.forEach((copy, i) => claimIn(store, copy, keysOf({ deliveryId: `d-${i}` }), NOW, true));
		db.save(copies[7]);
		// Another process (its own empty store) reads the database: it knows all 8.
		const other = fresh();
		expect(Array.from({ length: 8 }, (_, i) => claimIn(other, db.read(), keysOf({ deliveryId: `d-${i}` }), NOW + 1, true).outcome)).toEqual(
			Array(8).fill('handled'),
		);
	});

	it('never drops what the static data holds: keys another process saved are kept and written back', () => {
		const store = fresh();
		const elsewhere = fresh();
		const db = new Database();
		const theirs = db.read();
		claimIn(elsewhere, theirs, keysOf({ deliveryId: 'from-the-other-process' }), NOW, true);
		db.save(theirs);
		const mine = db.read();
		claimIn(store, mine, keysOf({ deliveryId: 'mine' }), NOW + 1, true);
		db.save(mine);
		expect(Object.keys(durable(db.saved) as IDataObject).sort()).toEqual(
			[replayKey('d', 'from-the-other-process'), replayKey('d', 'mine')].sort(),
		);
		// And the process's store learnt the other key from the copy.
		expect(claimIn(store, {}, keysOf({ deliveryId: 'from-the-other-process' }), NOW + 2, true).outcome).toBe('handled');
	});

	it('writes the static data only when something changed (no save per call for nothing)', () => {
		const store = fresh();
		const copy: IDataObject = {};
		claimIn(store, copy, keysOf({ deliveryId: 'a' }), NOW, true);
		const written = copy[DURABLE_FIELD];
		claimIn(store, copy, keysOf({ deliveryId: 'a' }), NOW + 1, true);
		expect(copy[DURABLE_FIELD]).toBe(written);
		// With Drop Repeated Deliveries off and no {nonce}, a call has no keys: the node does not touch the store.
		expect(keysOf({ dropRepeats: false, deliveryId: 'b', signedDigest: 'c', signedTimestamp: NOW })).toEqual({ delivery: [] });
	});
});

describe('When Last Node Finishes / Respond to Webhook: seen only once n8n answered 2xx', () => {
	it('in flight: a repeat is told to retry later; a failed run forgets the delivery, so the retry runs; a 2xx remembers it', () => {
		const store = fresh();
		const keys = keysOf({ deliveryId: 'gh-1', signedDigest: 'digest-1' });
		const first = claimIn(store, {}, keys, NOW, false);
		expect(first.outcome).toBe('new');
		if (first.outcome !== 'new' || !first.ticket) throw new Error('expected a ticket');
		expect(claimIn(store, {}, keys, NOW + 1, false).outcome).toBe('inFlight');
		settle(first.ticket, false, NOW + 2);
		const retry = claimIn(store, {}, keys, NOW + 3, false);
		expect(retry.outcome).toBe('new');
		if (retry.outcome !== 'new' || !retry.ticket) throw new Error('expected a ticket');
		settle(retry.ticket, true, NOW + 4);
		expect(claimIn(store, {}, keys, NOW + 5, false).outcome).toBe('handled');
		// Settling twice changes nothing.
		settle(retry.ticket, false, NOW + 6);
		expect(claimIn(store, {}, keys, NOW + 7, false).outcome).toBe('handled');
	});

	it('a call in flight writes nothing about itself; a success is written into the copies n8n has yet to save', () => {
		const store = fresh();
		const copyA: IDataObject = {};
		const copyB: IDataObject = {};
		const a = claimIn(store, copyA, keysOf({ deliveryId: 'A' }), NOW, false);
		const b = claimIn(store, copyB, keysOf({ deliveryId: 'B' }), NOW, false);
		expect([durable(copyA), durable(copyB)]).toEqual([undefined, undefined]);
		if (a.outcome !== 'new' || !a.ticket || b.outcome !== 'new' || !b.ticket) throw new Error('expected tickets');
		settle(a.ticket, true, NOW + 1);
		// B is still in flight: its copy, saved after B's run, now carries A.
		expect(Object.keys(durable(copyB) as IDataObject)).toEqual([replayKey('d', 'A')]);
		settle(b.ticket, false, NOW + 2);
		const next: IDataObject = {};
		claimIn(store, next, keysOf({ deliveryId: 'C' }), NOW + 3, true);
		expect(Object.keys(durable(next) as IDataObject).sort()).toEqual([replayKey('d', 'A'), replayKey('d', 'C')].sort());
	});
});

describe('signed bytes and nonces', () => {
	it('the same signed bytes are a repeat whatever their (unsigned) id says, or without an id', () => {
		const store = fresh();
		expect(claimIn(store, {}, keysOf({ deliveryId: 'id-1', signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('new');
		expect(claimIn(store, {}, keysOf({ deliveryId: 'id-2', signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('handled');
		expect(claimIn(store, {}, keysOf({ signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('handled');
		expect(claimIn(store, {}, keysOf({ deliveryId: 'id-3', signedDigest: 'other-bytes' }), NOW, true).outcome).toBe('new');
	});

	it('a nonce is used once, also with Drop Repeated Deliveries off, and refused even when the delivery is new', () => {
		const store = fresh();
		const keys = keysOf({ dropRepeats: false, nonce: 'n-1', signedTimestamp: NOW, signedDigest: 'x', deliveryId: 'y' });
		expect(keys.delivery).toEqual([]);
		expect(claimIn(store, {}, keys, NOW, false).outcome).toBe('new');
		expect(claimIn(store, {}, keys, NOW + 1, false).outcome).toBe('nonceReused');
		expect(claimIn(store, {}, keysOf({ nonce: 'n-1', signedTimestamp: NOW, deliveryId: 'new-id' }), NOW + 1, true).outcome).toBe('nonceReused');
	});

	it('expiries: a delivery id for Remember Delivery IDs; signed bytes and nonces while the signed timestamp is accepted', () => {
		const timestamped = keysOf({ deliveryId: 'd', signedDigest: 's', nonce: 'n', signedTimestamp: NOW - 10 });
		// Keys of a signed timestamp are bound to its replay window (never forgotten before they expire); ids are not.
		expect(timestamped.delivery).toEqual([
			{ key: replayKey('d', 'd'), expiresAt: NOW + 86400, windowBound: false },
			{ key: replayKey('s', 's'), expiresAt: NOW - 10 + 300 + 1, windowBound: true },
		]);
		expect(timestamped.nonce).toEqual({ key: replayKey('n', 'n'), expiresAt: NOW + 291, windowBound: true });
		// No signed timestamp (GitHub, Shopify, HMAC without {timestamp}): the signed bytes are the only guard, kept as long as ids.
		expect(keysOf({ signedDigest: 's', nonce: 'n' })).toEqual({
			delivery: [{ key: replayKey('s', 's'), expiresAt: NOW + 86400, windowBound: false }],
			nonce: { key: replayKey('n', 'n'), expiresAt: NOW + 86400, windowBound: false },
		});
		const store = fresh();
		claimIn(store, {}, keysOf({ deliveryId: 'x', rememberSeconds: 60 }), NOW, true);
		expect(claimIn(store, {}, keysOf({ deliveryId: 'x' }), NOW + 59, true).outcome).toBe('handled');
		expect(claimIn(store, {}, keysOf({ deliveryId: 'x' }), NOW + 60, true).outcome).toBe('new');
	});

	it(`keeps at most ${MAX_REMEMBERED_KEYS} keys outside the replay window, forgetting those that expire first`, () => {
		const store = fresh();
		const copy: IDataObject = {};
		// One call with many keys fills the store at once (fast); then calls one at a time, as deliveries arrive.
		const many = Array.from({ length: MAX_REMEMBERED_KEYS + 3 }, (_, i) => keysOf({ deliveryId: `id-${i}`, rememberSeconds: 1000 + i }).delivery[0]);
		claimIn(store, copy, { delivery: many }, NOW, true);
		expect(Object.keys(durable(copy) as IDataObject)).toHaveLength(MAX_REMEMBERED_KEYS);
		claimIn(store, copy, keysOf({ deliveryId: 'late', rememberSeconds: 90000 }), NOW, true);
		expect(Object.keys(durable(copy) as IDataObject)).toHaveLength(MAX_REMEMBERED_KEYS);
		// The four that expire first (id-0 … id-3) are gone; the newest are there.
		for (const id of ['id-4', `id-${MAX_REMEMBERED_KEYS + 2}`, 'late']) expect(claimIn(store, {}, keysOf({ deliveryId: id }), NOW, true).outcome).toBe('handled');
		for (const id of ['id-0', 'id-3']) expect(claimIn(store, {}, keysOf({ deliveryId: id }), NOW, true).outcome).toBe('new');
	});

	it("reads what earlier versions saved in the node's static data (seenDeliveries, rememberedKeys), and moves it to the global copy", () => {
		const store = fresh();
		const copy: IDataObject = {};
		const legacy: IDataObject = {
			seenDeliveries: [['old-id', (NOW - 100) * 1000]],
			rememberedKeys: { [replayKey('d', 'newer-id')]: NOW + 500, [replayKey('n', 'old-nonce')]: NOW + 100 },
		};
		const call = { store, nodeId: 'node', copy, legacy };
		expect(claim(call, keysOf({ deliveryId: 'old-id' }), NOW, true).outcome).toBe('handled');
		expect(claim(call, keysOf({ deliveryId: 'newer-id' }), NOW, true).outcome).toBe('handled');
		expect(claim(call, keysOf({ nonce: 'old-nonce' }), NOW, true).outcome).toBe('nonceReused');
		expect([legacy.seenDeliveries, legacy.rememberedKeys]).toEqual([undefined, undefined]);
		expect(Object.keys(durable(copy) as IDataObject).sort()).toEqual(
			[replayKey('d', 'old-id'), replayKey('d', 'newer-id'), replayKey('n', 'old-nonce')].sort(),
		);
	});
});

describe('a full store: keys that guard the replay window are never forgotten inside it', () => {
	/**
	 * The store as a day of modest traffic leaves it (one delivery every 20 s ≈ 4,300 a day > 3,000 keys): full of
	 * delivery ids, each remembered for Remember Delivery IDs (24 h), so every one of them expires later than any key
	 * bound to the 300 s replay window. Filled in one claim (fast).
	 */
	function busyStore() {
		const store = fresh();
		const copy: IDataObject = {};
		const ids = Array.from({ length: MAX_REMEMBERED_KEYS }, (_, i) => ({ key: `d:earlier-${i}`, expiresAt: NOW + 86400 - (MAX_REMEMBERED_KEYS - i) * 20 }));
		claimIn(store, copy, { delivery: ids }, NOW, true);
		return { store, copy };
	}

	it('a nonce replayed 5 s later under another (unsigned) delivery id is refused', () => {
		const { store, copy } = busyStore();
		const call = { deliveryId: 'fresh-id', signedDigest: 'fresh-bytes', signedTimestamp: NOW, nonce: 'fresh-nonce' };
		expect(claimIn(store, copy, keysOf(call), NOW, true).outcome).toBe('new');
		expect(claimIn(store, copy, keysOf({ ...call, nowSeconds: NOW + 5, deliveryId: 'attacker-id' }), NOW + 5, true).outcome).toBe('nonceReused');
	});

	it('Drop Repeated Deliveries: the same signed bytes under a new unsigned id 5 s later are dropped', () => {
		const { store, copy } = busyStore();
		const call = { deliveryId: 'fresh-id', signedDigest: 'fresh-bytes', signedTimestamp: NOW };
		expect(claimIn(store, copy, keysOf(call), NOW, true).outcome).toBe('new');
		expect(claimIn(store, copy, keysOf({ ...call, nowSeconds: NOW + 5, deliveryId: 'another-id' }), NOW + 5, true).outcome).toBe('handled');
	});

	it('outside the window, ids are forgotten first, then digests, nonces last (each kind: those that expire first)', () => {
		const store = fresh();
		const lasting = (kind: 'd' | 's' | 'n', i: number, expiresAt: number) => ({ key: replayKey(kind, `${kind}-${i}`), expiresAt });
		// 1,000 of each kind (not window-bound: no signed timestamp), nonces expiring soonest and ids last.
		const third = MAX_REMEMBERED_KEYS / 3;
		const start = { n: NOW + 1000, s: NOW + 5000, d: NOW + 9000 };
		const keys = (['n', 's', 'd'] as const).flatMap((kind) => Array.from({ length: third }, (_, i) => lasting(kind, i, start[kind] + i)));
		claimIn(store, {}, { delivery: keys }, NOW, true);
		// 1,500 more digests: 1,500 keys must go — every id first, then the 500 digests that expire first.
		const more = Array.from({ length: third * 1.5 }, (_, i) => lasting('s', third + i, NOW + 20_000 + i));
		const copy: IDataObject = {};
		claimIn(store, copy, { delivery: more }, NOW, true);
		const held = Object.keys(durable(copy) as IDataObject);
		const count = (kind: string) => held.filter((key) => key.startsWith(`${kind}:`)).length;
		expect({ d: count('d'), s: count('s'), n: count('n') }).toEqual({ d: 0, s: third * 2, n: third });
		expect(held).not.toContain(replayKey('s', `s-${third / 2 - 1}`));
		expect(held).toContain(replayKey('s', `s-${third / 2}`));
	});

	it(`at most ${MAX_WINDOW_KEYS} window-bound keys: the next new call is refused (Retry-After: until the first expires); keys of calls in flight count; nothing is forgotten`, () => {
		const store = fresh();
		const window = Array.from({ length: MAX_WINDOW_KEYS - 1 }, (_, i) => ({ key: replayKey('s', `w-${i}`), expiresAt: NOW + 40 + (i % 50), windowBound: true }));
		claimIn(store, {}, { delivery: window }, NOW, true);
		// A call answered after its run (When Last Node Finishes) takes the last place while it is in flight.
		const inFlight = claimIn(store, {}, keysOf({ signedDigest: 'slow', signedTimestamp: NOW }), NOW, false);
		if (inFlight.outcome !== 'new' || !inFlight.ticket) throw new Error('expected a ticket');
		expect(claimIn(store, {}, keysOf({ signedDigest: 'next', signedTimestamp: NOW + 1 }), NOW + 1, true)).toEqual({ outcome: 'full', retryAfterSeconds: 39 });
		// A nonce needs room too; a delivery id alone does not (it is not bound to the window).
		expect(claimIn(store, {}, keysOf({ dropRepeats: false, nonce: 'n-1', signedTimestamp: NOW + 1 }), NOW + 1, true).outcome).toBe('full');
		expect(claimIn(store, {}, keysOf({ deliveryId: 'plain-id' }), NOW + 1, true).outcome).toBe('new');
		// The slow run failed: its place is free again.
		settle(inFlight.ticket, false, NOW + 2);
		expect(claimIn(store, {}, keysOf({ signedDigest: 'next', signedTimestamp: NOW + 2 }), NOW + 2, true).outcome).toBe('new');
		expect(claimIn(store, {}, keysOf({ signedDigest: 'after', signedTimestamp: NOW + 2 }), NOW + 2, true).outcome).toBe('full');
		// Every window key is still there; once the first ones expire, calls are accepted again.
		expect(claimIn(store, {}, keysOf({ signedDigest: 'w-0' }), NOW + 2, true).outcome).toBe('handled');
		expect(claimIn(store, {}, keysOf({ signedDigest: 'after', signedTimestamp: NOW + 40 }), NOW + 40, true).outcome).toBe('new');
	});
});

describe('generic HMAC credentials: a template that does not sign the body is pointed out in the editor', () => {
	const notice = (properties: Array<{ name: string }>) => properties.find((p) => p.name === 'bodyNotSignedNotice') as never;

	it.each([
		['API Sync Webhook HMAC (verifying)', new ApiSyncWebhookHmacApi().properties],
		['API Sync HMAC (signing)', new ApiSyncHmacApi().properties],
	])('%s: the notice shows for {timestamp} alone and hides once {body} or {bodySha256} is in the template', (_label, properties) => {
		// n8n's editor decides with this same function (credentials have no node, hence null).
		const shown = (payloadTemplate: string) => NodeHelpers.displayParameter({ payloadTemplate }, notice(properties), null, null);
		expect(shown('{timestamp}')).toBe(true);
		expect(shown('{timestamp}\\n{method}\\n{path}')).toBe(true);
		expect(shown('{timestamp}\\n{body}')).toBe(false);
		expect(shown(BODY_COVERING_TEMPLATE)).toBe(false);
	});

	it('the verifying credential defaults to a template over timestamp, method, path and body; the signing one keeps {timestamp}', () => {
		const defaultOf = (properties: Array<{ name: string; default?: unknown }>) => properties.find((p) => p.name === 'payloadTemplate')?.default;
		expect(defaultOf(new ApiSyncWebhookHmacApi().properties)).toBe('{timestamp}\\n{method}\\n{path}\\n{bodySha256}');
		expect(templateCoversBody(String(defaultOf(new ApiSyncWebhookHmacApi().properties)))).toBe(true);
		expect(defaultOf(new ApiSyncHmacApi().properties)).toBe('{timestamp}');
	});
});
