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
	deliveryStore,
	MAX_REMEMBERED_KEYS,
	replayKey,
	settle,
	type CallKeys,
	type KeyInputs,
} from '../../nodes/ApiSyncWebhook/deliveries';

const NOW = 1_760_000_000;
const fresh = () => deliveryStore(`test\u0000${randomUUID()}\u0000node`);

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
		expect(ids.map((id, i) => claim(store, copies[i], keysOf({ deliveryId: id }), NOW, true).outcome)).toEqual(Array(8).fill('new'));
		// n8n saves each copy whole, last writer wins: here in reverse order, the first call's copy last.
		for (const copy of [...copies].reverse()) db.save(copy);
		expect(ids.map((id) => claim(store, db.read(), keysOf({ deliveryId: id }), NOW + 3, true).outcome)).toEqual(Array(8).fill('handled'));
	});

	it('every save carries what the process knew then: the last save holds every delivery claimed before it', () => {
		const store = fresh();
		const db = new Database();
		const copies = Array.from({ length: 8 }, () => db.read());
		copies.forEach((copy, i) => claim(store, copy, keysOf({ deliveryId: `d-${i}` }), NOW, true));
		db.save(copies[7]);
		// Another process (its own empty store) reads the database: it knows all 8.
		const other = fresh();
		expect(Array.from({ length: 8 }, (_, i) => claim(other, db.read(), keysOf({ deliveryId: `d-${i}` }), NOW + 1, true).outcome)).toEqual(
			Array(8).fill('handled'),
		);
	});

	it('never drops what the static data holds: keys another process saved are kept and written back', () => {
		const store = fresh();
		const elsewhere = fresh();
		const db = new Database();
		const theirs = db.read();
		claim(elsewhere, theirs, keysOf({ deliveryId: 'from-the-other-process' }), NOW, true);
		db.save(theirs);
		const mine = db.read();
		claim(store, mine, keysOf({ deliveryId: 'mine' }), NOW + 1, true);
		db.save(mine);
		expect(Object.keys(db.saved.rememberedKeys as IDataObject).sort()).toEqual(
			[replayKey('d', 'from-the-other-process'), replayKey('d', 'mine')].sort(),
		);
		// And the process's store learnt the other key from the copy.
		expect(claim(store, {}, keysOf({ deliveryId: 'from-the-other-process' }), NOW + 2, true).outcome).toBe('handled');
	});

	it('writes the static data only when something changed (no save per call for nothing)', () => {
		const store = fresh();
		const copy: IDataObject = {};
		claim(store, copy, keysOf({ deliveryId: 'a' }), NOW, true);
		const written = copy.rememberedKeys;
		claim(store, copy, keysOf({ deliveryId: 'a' }), NOW + 1, true);
		expect(copy.rememberedKeys).toBe(written);
		// With Drop Repeated Deliveries off and no {nonce}, a call has no keys: the node does not touch the store.
		expect(keysOf({ dropRepeats: false, deliveryId: 'b', signedDigest: 'c', signedTimestamp: NOW })).toEqual({ delivery: [] });
	});
});

describe('When Last Node Finishes / Respond to Webhook: seen only once n8n answered 2xx', () => {
	it('in flight: a repeat is told to retry later; a failed run forgets the delivery, so the retry runs; a 2xx remembers it', () => {
		const store = fresh();
		const keys = keysOf({ deliveryId: 'gh-1', signedDigest: 'digest-1' });
		const first = claim(store, {}, keys, NOW, false);
		expect(first.outcome).toBe('new');
		if (first.outcome !== 'new' || !first.ticket) throw new Error('expected a ticket');
		expect(claim(store, {}, keys, NOW + 1, false).outcome).toBe('inFlight');
		settle(first.ticket, false, NOW + 2);
		const retry = claim(store, {}, keys, NOW + 3, false);
		expect(retry.outcome).toBe('new');
		if (retry.outcome !== 'new' || !retry.ticket) throw new Error('expected a ticket');
		settle(retry.ticket, true, NOW + 4);
		expect(claim(store, {}, keys, NOW + 5, false).outcome).toBe('handled');
		// Settling twice changes nothing.
		settle(retry.ticket, false, NOW + 6);
		expect(claim(store, {}, keys, NOW + 7, false).outcome).toBe('handled');
	});

	it('a call in flight writes nothing about itself; a success is written into the copies n8n has yet to save', () => {
		const store = fresh();
		const copyA: IDataObject = {};
		const copyB: IDataObject = {};
		const a = claim(store, copyA, keysOf({ deliveryId: 'A' }), NOW, false);
		const b = claim(store, copyB, keysOf({ deliveryId: 'B' }), NOW, false);
		expect([copyA.rememberedKeys, copyB.rememberedKeys]).toEqual([undefined, undefined]);
		if (a.outcome !== 'new' || !a.ticket || b.outcome !== 'new' || !b.ticket) throw new Error('expected tickets');
		settle(a.ticket, true, NOW + 1);
		// B is still in flight: its copy, saved after B's run, now carries A.
		expect(Object.keys(copyB.rememberedKeys as IDataObject)).toEqual([replayKey('d', 'A')]);
		settle(b.ticket, false, NOW + 2);
		const next: IDataObject = {};
		claim(store, next, keysOf({ deliveryId: 'C' }), NOW + 3, true);
		expect(Object.keys(next.rememberedKeys as IDataObject).sort()).toEqual([replayKey('d', 'A'), replayKey('d', 'C')].sort());
	});
});

describe('signed bytes and nonces', () => {
	it('the same signed bytes are a repeat whatever their (unsigned) id says, or without an id', () => {
		const store = fresh();
		expect(claim(store, {}, keysOf({ deliveryId: 'id-1', signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('new');
		expect(claim(store, {}, keysOf({ deliveryId: 'id-2', signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('handled');
		expect(claim(store, {}, keysOf({ signedDigest: 'same-bytes' }), NOW, true).outcome).toBe('handled');
		expect(claim(store, {}, keysOf({ deliveryId: 'id-3', signedDigest: 'other-bytes' }), NOW, true).outcome).toBe('new');
	});

	it('a nonce is used once, also with Drop Repeated Deliveries off, and refused even when the delivery is new', () => {
		const store = fresh();
		const keys = keysOf({ dropRepeats: false, nonce: 'n-1', signedTimestamp: NOW, signedDigest: 'x', deliveryId: 'y' });
		expect(keys.delivery).toEqual([]);
		expect(claim(store, {}, keys, NOW, false).outcome).toBe('new');
		expect(claim(store, {}, keys, NOW + 1, false).outcome).toBe('nonceReused');
		expect(claim(store, {}, keysOf({ nonce: 'n-1', signedTimestamp: NOW, deliveryId: 'new-id' }), NOW + 1, true).outcome).toBe('nonceReused');
	});

	it('expiries: a delivery id for Remember Delivery IDs; signed bytes and nonces while the signed timestamp is accepted', () => {
		const timestamped = keysOf({ deliveryId: 'd', signedDigest: 's', nonce: 'n', signedTimestamp: NOW - 10 });
		expect(timestamped.delivery).toEqual([
			{ key: replayKey('d', 'd'), expiresAt: NOW + 86400 },
			{ key: replayKey('s', 's'), expiresAt: NOW - 10 + 300 + 1 },
		]);
		expect(timestamped.nonce).toEqual({ key: replayKey('n', 'n'), expiresAt: NOW + 291 });
		// No signed timestamp (GitHub, Shopify, HMAC without {timestamp}): the signed bytes are the only guard, kept as long as ids.
		expect(keysOf({ signedDigest: 's', nonce: 'n' })).toEqual({
			delivery: [{ key: replayKey('s', 's'), expiresAt: NOW + 86400 }],
			nonce: { key: replayKey('n', 'n'), expiresAt: NOW + 86400 },
		});
		const store = fresh();
		claim(store, {}, keysOf({ deliveryId: 'x', rememberSeconds: 60 }), NOW, true);
		expect(claim(store, {}, keysOf({ deliveryId: 'x' }), NOW + 59, true).outcome).toBe('handled');
		expect(claim(store, {}, keysOf({ deliveryId: 'x' }), NOW + 60, true).outcome).toBe('new');
	});

	it(`keeps at most ${MAX_REMEMBERED_KEYS} keys, forgetting those that expire first`, () => {
		const store = fresh();
		const copy: IDataObject = {};
		// One call with many keys fills the store at once (fast); then calls one at a time, as deliveries arrive.
		const many = Array.from({ length: MAX_REMEMBERED_KEYS + 3 }, (_, i) => keysOf({ deliveryId: `id-${i}`, rememberSeconds: 1000 + i }).delivery[0]);
		claim(store, copy, { delivery: many }, NOW, true);
		expect(Object.keys(copy.rememberedKeys as IDataObject)).toHaveLength(MAX_REMEMBERED_KEYS);
		claim(store, copy, keysOf({ deliveryId: 'late', rememberSeconds: 90000 }), NOW, true);
		expect(Object.keys(copy.rememberedKeys as IDataObject)).toHaveLength(MAX_REMEMBERED_KEYS);
		// The four that expire first (id-0 … id-3) are gone; the newest are there.
		for (const id of ['id-4', `id-${MAX_REMEMBERED_KEYS + 2}`, 'late']) expect(claim(store, {}, keysOf({ deliveryId: id }), NOW, true).outcome).toBe('handled');
		for (const id of ['id-0', 'id-3']) expect(claim(store, {}, keysOf({ deliveryId: id }), NOW, true).outcome).toBe('new');
	});

	it('reads the ids the previous version saved (seenDeliveries), and replaces that field', () => {
		const store = fresh();
		const copy: IDataObject = { seenDeliveries: [['old-id', (NOW - 100) * 1000]] };
		expect(claim(store, copy, keysOf({ deliveryId: 'old-id' }), NOW, true).outcome).toBe('handled');
		expect(copy.seenDeliveries).toBeUndefined();
		expect(Object.keys(copy.rememberedKeys as IDataObject)).toEqual([replayKey('d', 'old-id')]);
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
