import { createHash } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

/**
 * The one store of the API Sync Webhook against repeated deliveries and replays (README "Repeated deliveries").
 *
 * Keys, per node:
 * - `d:` a delivery id and `s:` the digest of the signed bytes (Drop Repeated Deliveries): they count as seen once
 *   the delivery was **handled** — the sender got a 2xx from n8n. With Respond Immediately that is at once; with
 *   When Last Node Finishes / Respond to Webhook only when n8n's answer was a 2xx (a failed run answers 500, and the
 *   sender's retry must run). While the first call is being handled, a repeat is told to come back later.
 * - `n:` a nonce (generic HMAC with {nonce}): used up when the call is verified, whatever happens next.
 *
 * Durable state is the node's workflow static data (`rememberedKeys`: key → expiry in Unix seconds). n8n saves it
 * last-writer-wins, after the call (with When Last Node Finishes: after the run) and from a copy read when the call
 * arrived, so two calls of one process can each save a set without the other's key. Process memory therefore holds
 * one store per workflow + node (+ execution mode) in which the check-and-remember is a single synchronous step —
 * atomic, since one n8n process runs webhook calls on one event loop — and which is merged with the static-data copy
 * on every call: what the copy has is added to the store, and the store's union is written back, so an entry is
 * never dropped before it expires. Keys of calls still in flight live only in process memory.
 */

/** At most this many keys are remembered per node (those that expire first are forgotten first). */
export const MAX_REMEMBERED_KEYS = 3000;

/** Seconds a sender is asked to wait (Retry-After) when it repeats a delivery that is still being handled. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

/** Where the durable copy lives in the node's static data. */
const DURABLE_FIELD = 'rememberedKeys';
/** The format before this store (`[id, receivedAtMs][]`), read once and replaced. */
const LEGACY_FIELD = 'seenDeliveries';

export interface ReplayKey {
	key: string;
	/** Unix seconds after which the key no longer matters. */
	expiresAt: number;
}

/** The keys of one verified call. */
export interface CallKeys {
	/** Delivery id and signed-bytes digest: seen once handled. */
	delivery: ReplayKey[];
	/** The nonce: used up at verification. */
	nonce?: ReplayKey;
}

export type Claim =
	/** Never seen: run it. `ticket` is set when the outcome is known only from n8n's answer (see {@link settle}). */
	| { outcome: 'new'; ticket?: Ticket }
	/** A delivery already handled: acknowledge it, start nothing. */
	| { outcome: 'handled' }
	/** The same delivery is being handled in this process right now: ask the sender to retry later. */
	| { outcome: 'inFlight' }
	/** The nonce was used before: a replay, reject it. */
	| { outcome: 'nonceReused' };

export interface Ticket {
	readonly store: DeliveryStore;
	readonly keys: ReplayKey[];
	/** The static-data copy of the call, which n8n saves only after the call was answered. */
	readonly copy: IDataObject;
	settled: boolean;
}

export interface DeliveryStore {
	/** Handled deliveries and used nonces: key → expiry (Unix seconds). */
	remembered: Map<string, number>;
	/** Delivery keys of calls being handled in this process now. */
	inFlight: Set<string>;
	/** Static-data copies that n8n has yet to save (their calls are in flight): kept up to date with `remembered`. */
	unsaved: Set<IDataObject>;
}

const stores = new Map<string, DeliveryStore>();

/** The process's store of one node: `scope` is execution mode + workflow id + node id. */
export function deliveryStore(scope: string): DeliveryStore {
	let store = stores.get(scope);
	if (!store) {
		store = { remembered: new Map(), inFlight: new Set(), unsaved: new Set() };
		stores.set(scope, store);
	}
	return store;
}

/** A key as stored: kind, then 128 bits of SHA-256 of the value (ids and nonces of any length take the same room). */
export function replayKey(kind: 'd' | 's' | 'n', value: string): string {
	return `${kind}:${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22)}`;
}

export interface KeyInputs {
	/** Drop Repeated Deliveries is on. */
	dropRepeats: boolean;
	deliveryId?: string;
	signedDigest?: string;
	signedTimestamp?: number;
	nonce?: string;
	nowSeconds: number;
	/** Remember Delivery IDs (seconds). */
	rememberSeconds: number;
	/** Replay Window (seconds). */
	toleranceSeconds: number;
}

/**
 * The keys of a verified call. A delivery id is remembered for Remember Delivery IDs. What is signed (and a nonce)
 * needs remembering only as long as the signed timestamp is accepted — after that the replay window rejects the
 * call anyway; without a signed timestamp, for Remember Delivery IDs.
 */
export function callKeys(inputs: KeyInputs): CallKeys {
	const byWindow = inputs.nowSeconds + inputs.rememberSeconds;
	const bySignature =
		inputs.signedTimestamp !== undefined ? Math.max(inputs.nowSeconds, inputs.signedTimestamp + inputs.toleranceSeconds) + 1 : byWindow;
	const keys: CallKeys = { delivery: [] };
	if (inputs.dropRepeats && inputs.deliveryId !== undefined && inputs.deliveryId !== '') {
		keys.delivery.push({ key: replayKey('d', inputs.deliveryId), expiresAt: byWindow });
	}
	if (inputs.dropRepeats && inputs.signedDigest !== undefined) {
		keys.delivery.push({ key: replayKey('s', inputs.signedDigest), expiresAt: bySignature });
	}
	if (inputs.nonce !== undefined) keys.nonce = { key: replayKey('n', inputs.nonce), expiresAt: bySignature };
	return keys;
}

/**
 * Checks a verified call against the store and remembers it, in one synchronous step. `staticData` is the node's
 * static data of this call: its copy is merged in first, and the union is written back to it.
 *
 * @param answeredNow true when the sender gets its 2xx in this call (Respond Immediately, or a repeat's
 *   acknowledgement); false when n8n answers after the run, so the delivery is only in flight until {@link settle}.
 */
export function claim(store: DeliveryStore, staticData: IDataObject, keys: CallKeys, nowSeconds: number, answeredNow: boolean): Claim {
	mergeCopy(store, staticData, nowSeconds);
	let result: Claim;
	if (keys.nonce && (store.remembered.get(keys.nonce.key) ?? 0) > nowSeconds) {
		result = { outcome: 'nonceReused' };
	} else {
		if (keys.nonce) remember(store, keys.nonce);
		if (keys.delivery.some(({ key }) => (store.remembered.get(key) ?? 0) > nowSeconds)) {
			result = { outcome: 'handled' };
		} else if (keys.delivery.some(({ key }) => store.inFlight.has(key))) {
			result = { outcome: 'inFlight' };
		} else if (answeredNow || keys.delivery.length === 0) {
			for (const key of keys.delivery) remember(store, key);
			result = { outcome: 'new' };
		} else {
			for (const { key } of keys.delivery) store.inFlight.add(key);
			store.unsaved.add(staticData);
			result = { outcome: 'new', ticket: { store, keys: keys.delivery, copy: staticData, settled: false } };
		}
	}
	prune(store, nowSeconds);
	writeCopies(store, staticData, nowSeconds);
	return result;
}

/**
 * The outcome of a call that was in flight: `handled` when n8n answered it with a 2xx (its keys are remembered and
 * written into every static-data copy n8n has yet to save), else forgotten so the sender's retry runs. Idempotent.
 */
export function settle(ticket: Ticket, handled: boolean, nowSeconds: number): void {
	if (ticket.settled) return;
	ticket.settled = true;
	const { store } = ticket;
	for (const { key } of ticket.keys) store.inFlight.delete(key);
	store.unsaved.delete(ticket.copy);
	if (!handled) return;
	for (const key of ticket.keys) remember(store, key);
	prune(store, nowSeconds);
	writeCopies(store, undefined, nowSeconds);
}

function remember(store: DeliveryStore, { key, expiresAt }: ReplayKey): void {
	store.remembered.set(key, Math.max(expiresAt, store.remembered.get(key) ?? 0));
}

/** Adds the static-data copy's keys (and those of the format before this store) to the process's store. */
function mergeCopy(store: DeliveryStore, staticData: IDataObject, nowSeconds: number): void {
	const durable = staticData[DURABLE_FIELD];
	if (durable !== null && typeof durable === 'object' && !Array.isArray(durable)) {
		for (const [key, expiresAt] of Object.entries(durable as IDataObject)) {
			if (typeof expiresAt === 'number' && expiresAt > nowSeconds) remember(store, { key, expiresAt });
		}
	}
	const legacy = staticData[LEGACY_FIELD];
	if (Array.isArray(legacy)) {
		// [id, receivedAtMs]: remembered for the default 24 h, the window they were written under by default.
		for (const entry of legacy as unknown[]) {
			if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
			const expiresAt = Math.floor(entry[1] / 1000) + 86400;
			if (expiresAt > nowSeconds) remember(store, { key: replayKey('d', entry[0]), expiresAt });
		}
	}
}

/** Forgets expired keys, then the soonest-expiring beyond {@link MAX_REMEMBERED_KEYS}. */
function prune(store: DeliveryStore, nowSeconds: number): void {
	for (const [key, expiresAt] of store.remembered) if (expiresAt <= nowSeconds) store.remembered.delete(key);
	const excess = store.remembered.size - MAX_REMEMBERED_KEYS;
	if (excess <= 0) return;
	if (excess === 1) {
		// The usual case once full: one key over, found in one pass.
		let soonest: [string, number] | undefined;
		for (const entry of store.remembered) if (!soonest || entry[1] < soonest[1]) soonest = entry;
		if (soonest) store.remembered.delete(soonest[0]);
		return;
	}
	const byExpiry = [...store.remembered].sort((a, b) => a[1] - b[1]);
	for (const [key] of byExpiry.slice(0, excess)) store.remembered.delete(key);
}

/** Writes the store's durable set into this call's copy and every copy n8n has yet to save, where it differs. */
function writeCopies(store: DeliveryStore, current: IDataObject | undefined, nowSeconds: number): void {
	const copies = new Set(store.unsaved);
	if (current) copies.add(current);
	// One object for all copies: it is replaced, never changed in place, so sharing it is safe.
	let durable: IDataObject | undefined;
	for (const copy of copies) {
		if (copy[LEGACY_FIELD] !== undefined) delete copy[LEGACY_FIELD];
		if (holdsExactly(copy[DURABLE_FIELD], store.remembered, nowSeconds)) continue;
		durable ??= Object.fromEntries(store.remembered);
		copy[DURABLE_FIELD] = durable;
	}
}

/** True when `stored` already holds exactly the unexpired keys remembered (then n8n need not save anything). */
function holdsExactly(stored: unknown, remembered: Map<string, number>, nowSeconds: number): boolean {
	if (stored === null || typeof stored !== 'object' || Array.isArray(stored)) return stored === undefined && remembered.size === 0;
	const entries = stored as IDataObject;
	for (const [key, expiresAt] of remembered) if (entries[key] !== expiresAt) return false;
	let unexpired = 0;
	for (const key in entries) {
		const expiresAt = entries[key];
		if (typeof expiresAt === 'number' && expiresAt > nowSeconds) unexpired++;
	}
	return unexpired === remembered.size;
}
