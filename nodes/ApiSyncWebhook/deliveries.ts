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
 * - `n:` a nonce (generic HMAC with {nonce}): used up when the call is verified, whatever happens next. A nonce
 *   belongs to the credential that verified it, not to one node: the process also keeps one nonce set per
 *   credential, so a call captured at one webhook is refused by every other webhook verifying with that credential.
 *
 * Two budgets (README "Where it is kept"):
 * - keys bound to the replay window (a digest or nonce of a call with a signed timestamp): they guard against
 *   replays only while the window accepts the call, and are **never forgotten before they expire**. At most
 *   {@link MAX_WINDOW_KEYS} per node (and per credential for nonces); a new call that would need more is refused
 *   with 503 + Retry-After (fail closed) instead of being accepted unprotected.
 * - every other key (delivery ids; digests and nonces without a signed timestamp): at most
 *   {@link MAX_REMEMBERED_KEYS} per node; beyond that the least important are forgotten first — ids (they only guard
 *   against duplicates), then digests, then nonces — and within a kind those that expire first.
 *
 * Durable state is the workflow's **global** static data (`apiSyncWebhookDeliveries`: node id → its keys), one
 * object for every API Sync Webhook node of the workflow: n8n saves the whole static data last-writer-wins, from a
 * copy read when the call arrived (with When Last Node Finishes: after the run), so a save must carry every node's
 * keys, not just its own. Process memory therefore holds one store per workflow, in which the check-and-remember is
 * a single synchronous step — atomic, since one n8n process runs webhook calls on one event loop — and which is
 * merged with the static-data copy on every call: what the copy has is added to the store, and the store's union
 * (every node) is written back, into this call's copy and into every copy n8n has yet to save, so an entry is never
 * dropped by a save of this process before it expires. Keys of calls still in flight live only in process memory.
 */

/** At most this many keys that are not bound to the replay window (delivery ids, mostly) are remembered per node. */
export const MAX_REMEMBERED_KEYS = 3000;

/**
 * At most this many keys bound to the replay window per node (and nonces per credential): with the default 300 s
 * window, 20 such keys a second (a call has one or two). Beyond it new calls are refused with 503 until some expire.
 */
export const MAX_WINDOW_KEYS = 6000;

/** Seconds a sender is asked to wait (Retry-After) when it repeats a delivery that is still being handled. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 30;

/** Where the durable copy lives in the workflow's global static data. */
export const DURABLE_FIELD = 'apiSyncWebhookDeliveries';
/** The node-scope fields of earlier versions (`rememberedKeys`: key → expiry; `seenDeliveries`: `[id, receivedAtMs][]`). */
const LEGACY_KEYS_FIELD = 'rememberedKeys';
const LEGACY_IDS_FIELD = 'seenDeliveries';

export type KeyKind = 'd' | 's' | 'n';

export interface ReplayKey {
	key: string;
	/** Unix seconds after which the key no longer matters. */
	expiresAt: number;
	/** True when the key guards a signed timestamp's replay window: never forgotten before it expires. */
	windowBound?: boolean;
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
	| { outcome: 'nonceReused' }
	/** No room left for the keys that would protect this call inside its replay window: refuse it, retry later. */
	| { outcome: 'full'; retryAfterSeconds: number };

/** Remembered keys: those bound to the replay window, and the others. Key → expiry (Unix seconds). */
export interface KeySet {
	window: Map<string, number>;
	lasting: Map<string, number>;
}

/** The process's store of one workflow: every API Sync Webhook node of it. */
export interface WorkflowStore {
	nodes: Map<string, KeySet>;
	/** Delivery keys of calls being handled in this process now, as `nodeId \0 key`. */
	inFlight: Map<string, ReplayKey>;
	/** Static-data copies that n8n has yet to save (their calls are in flight): kept up to date with the store. */
	unsaved: Set<IDataObject>;
}

export interface Ticket {
	readonly call: StoreCall;
	readonly keys: ReplayKey[];
	settled: boolean;
}

/** Where one call is checked. */
export interface StoreCall {
	store: WorkflowStore;
	nodeId: string;
	/** The workflow's global static data of this call (n8n's copy, saved whole after the call). */
	copy: IDataObject;
	/** The node's own static data of this call: read for the formats of earlier versions, which are then removed. */
	legacy?: IDataObject;
	/** The process's nonce set of the verifying credential. */
	nonces?: KeySet;
}

const emptyKeySet = (): KeySet => ({ window: new Map(), lasting: new Map() });

const workflowStores = new Map<string, WorkflowStore>();
const nonceSets = new Map<string, KeySet>();

/** The process's store of one workflow (`scope`: the workflow id). */
export function workflowStore(scope: string): WorkflowStore {
	let store = workflowStores.get(scope);
	if (!store) {
		store = { nodes: new Map(), inFlight: new Map(), unsaved: new Set() };
		workflowStores.set(scope, store);
	}
	return store;
}

/** The process's nonce set of one credential (`scope`: the credential id). */
export function nonceSet(scope: string): KeySet {
	let set = nonceSets.get(scope);
	if (!set) {
		set = emptyKeySet();
		nonceSets.set(scope, set);
	}
	return set;
}

function nodeSet(store: WorkflowStore, nodeId: string): KeySet {
	let set = store.nodes.get(nodeId);
	if (!set) {
		set = emptyKeySet();
		store.nodes.set(nodeId, set);
	}
	return set;
}

/** A key as stored: kind, then 128 bits of SHA-256 of the value (ids and nonces of any length take the same room). */
export function replayKey(kind: KeyKind, value: string): string {
	return `${kind}:${createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22)}`;
}

export interface KeyInputs {
	/** Drop Repeated Deliveries is on (and the call is not a test call). */
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
 * call anyway (such keys are window-bound); without a signed timestamp, for Remember Delivery IDs.
 */
export function callKeys(inputs: KeyInputs): CallKeys {
	const byWindow = inputs.nowSeconds + inputs.rememberSeconds;
	const windowBound = inputs.signedTimestamp !== undefined;
	const bySignature =
		inputs.signedTimestamp !== undefined ? Math.max(inputs.nowSeconds, inputs.signedTimestamp + inputs.toleranceSeconds) + 1 : byWindow;
	const keys: CallKeys = { delivery: [] };
	if (inputs.dropRepeats && inputs.deliveryId !== undefined && inputs.deliveryId !== '') {
		keys.delivery.push({ key: replayKey('d', inputs.deliveryId), expiresAt: byWindow, windowBound: false });
	}
	if (inputs.dropRepeats && inputs.signedDigest !== undefined) {
		keys.delivery.push({ key: replayKey('s', inputs.signedDigest), expiresAt: bySignature, windowBound });
	}
	if (inputs.nonce !== undefined) keys.nonce = { key: replayKey('n', inputs.nonce), expiresAt: bySignature, windowBound };
	return keys;
}

function expiryIn(set: KeySet, key: string): number {
	return Math.max(set.window.get(key) ?? 0, set.lasting.get(key) ?? 0);
}

function remember(set: KeySet, { key, expiresAt, windowBound }: ReplayKey): void {
	const map = windowBound ? set.window : set.lasting;
	map.set(key, Math.max(expiresAt, map.get(key) ?? 0));
}

/**
 * Checks a verified call against the store and remembers it, in one synchronous step. The call's static-data copy
 * is merged in first, and the union of every node's keys is written back to it.
 *
 * @param answeredNow true when the sender gets its 2xx in this call (Respond Immediately, or a repeat's
 *   acknowledgement); false when n8n answers after the run, so the delivery is only in flight until {@link settle}.
 */
export function claim(call: StoreCall, keys: CallKeys, nowSeconds: number, answeredNow: boolean): Claim {
	const { store, nodeId, nonces } = call;
	mergeCopy(call, nowSeconds);
	prune(store, nonces, nowSeconds);
	const set = nodeSet(store, nodeId);
	const inFlightKey = (key: string) => `${nodeId}\u0000${key}`;
	let result: Claim;
	if (keys.nonce && (expiryIn(set, keys.nonce.key) > nowSeconds || (nonces !== undefined && expiryIn(nonces, keys.nonce.key) > nowSeconds))) {
		result = { outcome: 'nonceReused' };
	} else {
		if (keys.delivery.some(({ key }) => expiryIn(set, key) > nowSeconds)) {
			result = { outcome: 'handled' };
		} else if (keys.delivery.some(({ key }) => store.inFlight.has(inFlightKey(key)))) {
			result = { outcome: 'inFlight' };
		} else {
			const retryAfterSeconds = windowRoomMissing(call, set, keys, nowSeconds);
			result = retryAfterSeconds === undefined ? { outcome: 'new' } : { outcome: 'full', retryAfterSeconds };
		}
		if (keys.nonce && result.outcome !== 'full') {
			// Used up, also when the delivery is a repeat (no run then, so the window budget need not hold for it).
			remember(set, keys.nonce);
			if (nonces) remember(nonces, keys.nonce);
		}
		if (result.outcome === 'new') {
			if (answeredNow || keys.delivery.length === 0) {
				for (const key of keys.delivery) remember(set, key);
			} else {
				for (const key of keys.delivery) store.inFlight.set(inFlightKey(key.key), key);
				store.unsaved.add(call.copy);
				result = { outcome: 'new', ticket: { call, keys: keys.delivery, settled: false } };
			}
		}
	}
	prune(store, nonces, nowSeconds);
	writeCopies(store, call.copy, nowSeconds);
	return result;
}

/**
 * Undefined when the call's window-bound keys fit the budgets (keys of calls in flight count: their room is kept
 * for them); else the seconds until the first window-bound key expires (Retry-After).
 */
function windowRoomMissing(call: StoreCall, set: KeySet, keys: CallKeys, nowSeconds: number): number | undefined {
	const needed = [...keys.delivery, ...(keys.nonce ? [keys.nonce] : [])].filter((key) => key.windowBound).length;
	if (needed === 0) return undefined;
	let inFlight = 0;
	const prefix = `${call.nodeId}\u0000`;
	for (const [id, key] of call.store.inFlight) if (key.windowBound && id.startsWith(prefix)) inFlight++;
	const full: KeySet[] = [];
	if (set.window.size + inFlight + needed > MAX_WINDOW_KEYS) full.push(set);
	if (keys.nonce?.windowBound && call.nonces && call.nonces.window.size + 1 > MAX_WINDOW_KEYS) full.push(call.nonces);
	if (full.length === 0) return undefined;
	let soonest = Infinity;
	for (const { window } of full) for (const expiresAt of window.values()) soonest = Math.min(soonest, expiresAt);
	return Number.isFinite(soonest) ? Math.max(1, soonest - nowSeconds) : IN_FLIGHT_RETRY_AFTER_SECONDS;
}

/**
 * The outcome of a call that was in flight: `handled` when n8n answered it with a 2xx (its keys are remembered and
 * written into every static-data copy n8n has yet to save), else forgotten so the sender's retry runs. Idempotent.
 */
export function settle(ticket: Ticket, handled: boolean, nowSeconds: number): void {
	if (ticket.settled) return;
	ticket.settled = true;
	const { store, nodeId, copy, nonces } = ticket.call;
	for (const { key } of ticket.keys) store.inFlight.delete(`${nodeId}\u0000${key}`);
	store.unsaved.delete(copy);
	if (!handled) return;
	const set = nodeSet(store, nodeId);
	for (const key of ticket.keys) remember(set, key);
	prune(store, nonces, nowSeconds);
	writeCopies(store, undefined, nowSeconds);
}

const isObject = (value: unknown): value is IDataObject => value !== null && typeof value === 'object' && !Array.isArray(value);

function mergeEntries(map: Map<string, number>, entries: unknown, nowSeconds: number, into?: Map<string, number>): void {
	if (!isObject(entries)) return;
	for (const [key, expiresAt] of Object.entries(entries)) {
		if (typeof expiresAt !== 'number' || expiresAt <= nowSeconds) continue;
		map.set(key, Math.max(expiresAt, map.get(key) ?? 0));
		if (into && key.startsWith('n:')) into.set(key, Math.max(expiresAt, into.get(key) ?? 0));
	}
}

/** Adds the static-data copy's keys (every node's, and the node-scope formats of earlier versions) to the store. */
function mergeCopy({ store, nodeId, copy, legacy, nonces }: StoreCall, nowSeconds: number): void {
	const durable = copy[DURABLE_FIELD];
	if (isObject(durable)) {
		for (const [id, entry] of Object.entries(durable)) {
			if (!isObject(entry)) continue;
			const set = nodeSet(store, id);
			// This node's nonces were used up under its credential: the credential's set learns them too.
			const credentialNonces = id === nodeId ? nonces : undefined;
			mergeEntries(set.lasting, entry.remembered, nowSeconds, credentialNonces?.lasting);
			mergeEntries(set.window, entry.replayWindow, nowSeconds, credentialNonces?.window);
		}
	}
	if (!legacy) return;
	const set = nodeSet(store, nodeId);
	mergeEntries(set.lasting, legacy[LEGACY_KEYS_FIELD], nowSeconds, nonces?.lasting);
	const ids = legacy[LEGACY_IDS_FIELD];
	if (Array.isArray(ids)) {
		// [id, receivedAtMs]: remembered for the default 24 h, the window they were written under by default.
		for (const entry of ids as unknown[]) {
			if (!Array.isArray(entry) || typeof entry[0] !== 'string' || typeof entry[1] !== 'number') continue;
			const expiresAt = Math.floor(entry[1] / 1000) + 86400;
			if (expiresAt > nowSeconds) remember(set, { key: replayKey('d', entry[0]), expiresAt });
		}
	}
	// Moved into the workflow's global static data (written below, in the same save).
	if (legacy[LEGACY_KEYS_FIELD] !== undefined) delete legacy[LEGACY_KEYS_FIELD];
	if (legacy[LEGACY_IDS_FIELD] !== undefined) delete legacy[LEGACY_IDS_FIELD];
}

const EVICTION_RANK: Record<string, number> = { d: 0, s: 1, n: 2 };
const rankOf = (key: string) => EVICTION_RANK[key[0]] ?? 0;
/** Forgotten first: ids before digests before nonces; within a kind, the soonest-expiring. */
const evictBefore = (a: [string, number], b: [string, number]) => rankOf(a[0]) - rankOf(b[0]) || a[1] - b[1];

function pruneSet(set: KeySet, nowSeconds: number): void {
	for (const map of [set.window, set.lasting]) for (const [key, expiresAt] of map) if (expiresAt <= nowSeconds) map.delete(key);
	// Window-bound keys are never forgotten before they expire (the budget is kept by refusing calls instead).
	const excess = set.lasting.size - MAX_REMEMBERED_KEYS;
	if (excess <= 0) return;
	if (excess === 1) {
		// The usual case once full: one key over, found in one pass.
		let first: [string, number] | undefined;
		for (const entry of set.lasting) if (!first || evictBefore(entry, first) < 0) first = entry;
		if (first) set.lasting.delete(first[0]);
		return;
	}
	for (const [key] of [...set.lasting].sort(evictBefore).slice(0, excess)) set.lasting.delete(key);
}

/** Forgets expired keys, then the least important beyond {@link MAX_REMEMBERED_KEYS} per node. */
function prune(store: WorkflowStore, nonces: KeySet | undefined, nowSeconds: number): void {
	for (const [id, set] of store.nodes) {
		pruneSet(set, nowSeconds);
		if (set.window.size === 0 && set.lasting.size === 0) store.nodes.delete(id);
	}
	if (nonces) pruneSet(nonces, nowSeconds);
}

/** Writes the store's durable set into this call's copy and every copy n8n has yet to save, where it differs. */
function writeCopies(store: WorkflowStore, current: IDataObject | undefined, nowSeconds: number): void {
	const copies = new Set(store.unsaved);
	if (current) copies.add(current);
	// One object for all copies: it is replaced, never changed in place, so sharing it is safe.
	let durable: IDataObject | undefined;
	for (const copy of copies) {
		if (holdsExactly(copy[DURABLE_FIELD], store, nowSeconds)) continue;
		durable ??= durableOf(store);
		copy[DURABLE_FIELD] = durable;
	}
}

function durableOf(store: WorkflowStore): IDataObject {
	const durable: IDataObject = {};
	for (const [id, set] of store.nodes) {
		const entry: IDataObject = {};
		if (set.lasting.size > 0) entry.remembered = Object.fromEntries(set.lasting);
		if (set.window.size > 0) entry.replayWindow = Object.fromEntries(set.window);
		durable[id] = entry;
	}
	return durable;
}

/** True when `stored` holds exactly the unexpired entries of `map`. */
function mapHoldsExactly(stored: unknown, map: Map<string, number>, nowSeconds: number): boolean {
	if (!isObject(stored)) return map.size === 0;
	for (const [key, expiresAt] of map) if (stored[key] !== expiresAt) return false;
	let unexpired = 0;
	for (const key in stored) {
		const expiresAt = stored[key];
		if (typeof expiresAt === 'number' && expiresAt > nowSeconds) unexpired++;
	}
	return unexpired === map.size;
}

/** True when `stored` already holds exactly what the store remembers, every node (then n8n need not save anything). */
function holdsExactly(stored: unknown, store: WorkflowStore, nowSeconds: number): boolean {
	if (!isObject(stored)) return stored === undefined && store.nodes.size === 0;
	for (const [id, set] of store.nodes) {
		const entry = stored[id];
		if (!isObject(entry)) return false;
		if (!mapHoldsExactly(entry.remembered, set.lasting, nowSeconds) || !mapHoldsExactly(entry.replayWindow, set.window, nowSeconds)) return false;
	}
	for (const id in stored) {
		if (store.nodes.has(id)) continue;
		const entry = stored[id];
		if (isObject(entry) && (!mapHoldsExactly(entry.remembered, new Map(), nowSeconds) || !mapHoldsExactly(entry.replayWindow, new Map(), nowSeconds))) {
			return false;
		}
	}
	return true;
}
