/**
 * Skip Unchanged Input: what Sync remembers between runs, and the pure decisions made from it. No I/O here;
 * `skipRun.ts` does the reading and writing.
 *
 * The state maps a digest of each match key to a digest of the input record the remote record was last known to
 * equal (because this node wrote it, or compared it and found it equal) and the remote record's id. An input item
 * whose record digest is unchanged is not compared at all; one whose digest changed is updated by the remembered id
 * without a read; only keys never seen need the remote side (a lookup by key, or a full read). A full comparison
 * every N runs or hours catches what changed on the remote side meanwhile.
 */
import * as crypto from 'crypto';
import { createHash } from 'crypto';
import type { IDataObject } from 'n8n-workflow';

import { canonicalJson } from '../../shared/changes/hash';
import { keysMatch, matchKeyOf, matchValuesOf, type MatchKey } from './compare';
import type { CreatedOutcome } from './overlap';
import type { Outcome } from './apply';
import {
	CREATE_ONLY_NOTE,
	indexInput,
	UPDATE_ONLY_NOTE,
	type IndexedInput,
	type PlanFailure,
	type PlannedUnchanged,
	type PlannedUpdate,
	type PlanSettings,
	type SourceRecord,
	type SyncPlan,
} from './plan';

/** Key under which the state is kept in the node's workflow static data. */
export const SKIP_STATE_KEY = 'syncSkipUnchanged';
/** Version of the format below; bump it (and read the old one) when it changes. */
export const SKIP_STATE_VERSION = 1;
/** Characters (base64url) of a match key's digest: 72 bits, so 100,000 keys collide with odds of about 1 in 10^12. */
export const KEY_DIGEST_LENGTH = 12;
/** Characters (base64url) of a record's digest: 60 bits, so a change goes unnoticed with odds of 1 in 10^18. */
export const RECORD_DIGEST_LENGTH = 10;

/** Notes on Unchanged items that were not compared. */
export const SKIPPED_NOTE = 'Unchanged since the last run: not compared with the remote record (Skip Unchanged Input)';
export const UNREAD_UPDATE_NOTE =
	'The input changed since the last run: every mapped field was sent to the remembered record without reading it first (Skip Unchanged Input), so the previous values are not known';

/**
 * What a Sync node remembers, in its workflow static data (`syncSkipUnchanged`). Each entry of `k` is
 * `{record digest}{remote id}` (the remote record equals that input), `!{remote id}` (the record exists, its values
 * are not known to equal the input: compared or sent in full next time), or `{record digest}` alone (Update Only:
 * no remote record matched that input).
 */
export interface SkipState {
	v: typeof SKIP_STATE_VERSION;
	/** Fingerprint of what the state describes: Base URL, account, resource, ID field, match fields, case folding. */
	fp: string;
	/** When the last full comparison ran (ms since 1970, UTC). */
	at: number;
	/** Runs since the last full comparison, that one included. */
	runs: number;
	/** Remote records the last full read returned, plus creates minus deletes since: what a full read costs. */
	n: number;
	/** Mirror: `k` holds every remote record that has a match key, so deletions can be found without a read. */
	all?: boolean;
	/** The remote ids are JSON numbers. */
	num?: boolean;
	/** Match key digest → entry (see above). */
	k: Record<string, string>;
}

export interface SkipEntry {
	digest?: string;
	id?: string;
}

export function decodeEntry(value: string): SkipEntry {
	if (value.startsWith('!')) return { id: value.slice(1) || undefined };
	return { digest: value.slice(0, RECORD_DIGEST_LENGTH), id: value.slice(RECORD_DIGEST_LENGTH) || undefined };
}

export function encodeEntry(entry: SkipEntry): string {
	return entry.digest ? `${entry.digest}${entry.id ?? ''}` : `!${entry.id ?? ''}`;
}

/** Node 20.12+ hashes a string in one call, without a Hash object (the same SHA-256, about twice as fast). */
const oneShotHash = (crypto as { hash?: (algorithm: string, data: string, encoding: 'base64url') => string }).hash;

function digestOf(text: string, length: number): string {
	const digest = oneShotHash ? oneShotHash('sha256', text, 'base64url') : createHash('sha256').update(text).digest('base64url');
	return digest.slice(0, length);
}

/** A match key as compared (trimmed, NFC, case-folded when asked; numbers as numbers), hashed. */
export function keyDigest(key: MatchKey): string {
	return digestOf(JSON.stringify(key.parts.map((part) => (part.text !== undefined ? part.text : [part.number]))), KEY_DIGEST_LENGTH);
}

/** The mapped record as it is compared (without the ID field and the fields to ignore), hashed. */
export function recordDigest(record: IDataObject, ignore: ReadonlySet<string>): string {
	// canonicalJson of the compared fields, without building that object first.
	const fields = Object.keys(record)
		.filter((field) => !ignore.has(field) && record[field] !== undefined)
		.sort();
	const text = `{${fields.map((field) => `${JSON.stringify(field)}:${canonicalJson(record[field])}`).join(',')}}`;
	return digestOf(text, RECORD_DIGEST_LENGTH);
}

function comparedFields(record: IDataObject, ignore: ReadonlySet<string>): IDataObject {
	const fields: IDataObject = {};
	for (const [field, value] of Object.entries(record)) if (!ignore.has(field)) fields[field] = value;
	return fields;
}

export type ReadSkipState = { state: SkipState } | { state?: undefined; why: string };

/**
 * The stored state for this fingerprint, or why there is none to use. Never throws: a state that cannot be trusted
 * only means a full comparison.
 */
export function readSkipState(raw: unknown, fingerprint: string): ReadSkipState {
	if (raw === undefined || raw === null) {
		return {
			why: "no saved state (a first run; if every run says this, n8n is not keeping this node's state between executions, as n8n 2.x queue-mode workers do: README, Running in queue mode)",
		};
	}
	const state = raw as Partial<SkipState>;
	if (typeof state !== 'object' || typeof state.v !== 'number') return { why: 'the saved state cannot be read' };
	if (state.v > SKIP_STATE_VERSION) return { why: `the saved state was written by a newer version of this node (state version ${state.v})` };
	if (state.fp !== fingerprint) {
		return { why: 'the saved state belongs to other settings (Base URL, account, resource, ID field, match fields or case-insensitive matching changed)' };
	}
	const valid =
		state.v === SKIP_STATE_VERSION &&
		typeof state.at === 'number' &&
		Number.isSafeInteger(state.runs) &&
		typeof state.n === 'number' &&
		state.k !== null &&
		typeof state.k === 'object' &&
		!Array.isArray(state.k) &&
		Object.values(state.k).every((value) => typeof value === 'string' && value.length > 1);
	return valid ? { state: state as SkipState } : { why: 'the saved state cannot be read' };
}

export interface FullCheckSchedule {
	/** A full comparison when this many runs have been made since the last one (that one included); 0: never by count. */
	everyRuns: number;
	/** A full comparison when this many hours have passed since the last one; 0: never by time. */
	everyHours: number;
}

/** Why this run must compare in full although a state exists, or undefined when it may skip. */
export function fullCheckDue(state: SkipState, schedule: FullCheckSchedule, now: number, mirror: boolean): string | undefined {
	if (mirror && !state.all) return 'Mirror needs every remote key, which the saved state does not hold (it was made in another mode, or by a run that could not learn them all)';
	if (schedule.everyRuns > 0 && state.runs >= schedule.everyRuns) return `${schedule.everyRuns} runs since the last one (Full Check Every N Runs)`;
	if (schedule.everyHours > 0 && now - state.at >= schedule.everyHours * 3_600_000) {
		return `${formatHours(now - state.at)} since the last one (Full Check Every N Hours: ${schedule.everyHours})`;
	}
	return undefined;
}

export function formatHours(ms: number): string {
	const hours = ms / 3_600_000;
	return hours < 1 ? `${Math.max(0, Math.round(ms / 60_000))} min` : `${hours.toFixed(1)} h`;
}

/** The digests of one input item with a usable match key. */
export interface ItemDigests {
	key: string;
	record: string;
}

/** How a skipping run treats each input item. */
export interface Triage {
	input: IndexedInput;
	/** By item index, for every item with a usable match key. */
	digests: Map<number, ItemDigests>;
	/** Items that cannot be planned whatever the remote side holds. */
	failures: PlanFailure[];
	/** Unchanged since the last run (and, with Create Only / Update Only, nothing to do): no request. */
	unchanged: PlannedUnchanged[];
	/** Changed since the last run, remote id known: updated by that id without a read. */
	unreadUpdates: PlannedUpdate[];
	/** Keys not (usably) remembered: the remote side must be asked. */
	unknown: SourceRecord[];
	/** Key digests of every input item with a usable match key (Mirror: the remote keys not among them go). */
	inputKeys: Set<string>;
}

/** Sorts the input by what the state remembers. Pure. */
export function triageInput(sources: SourceRecord[], state: SkipState, settings: PlanSettings): Triage {
	const input = indexInput(sources, settings);
	const ignore = new Set([...settings.ignoreFields, settings.idField]);
	const triage: Triage = { input, digests: new Map(), failures: [], unchanged: [], unreadUpdates: [], unknown: [], inputKeys: new Set() };
	// Two different keys with one digest (odds about 1 in 10^12): neither entry can be trusted for them.
	const owners = new Map<string, MatchKey>();
	const collided = new Set<string>();
	sources.forEach((source, position) => {
		const key = input.keys[position];
		if (key === undefined || input.problems[position] !== undefined) return;
		const digest = keyDigest(key);
		const owner = owners.get(digest);
		if (owner && !keysMatch(owner, key)) collided.add(digest);
		owners.set(digest, key);
		triage.digests.set(source.itemIndex, { key: digest, record: recordDigest(source.record, ignore) });
		triage.inputKeys.add(digest);
	});
	sources.forEach((source, position) => {
		const { itemIndex, record } = source;
		const problem = input.problems[position];
		if (problem !== undefined) {
			triage.failures.push({ itemIndex, match: matchValuesOf(record, settings.matchFields), reason: problem });
			return;
		}
		const digests = triage.digests.get(itemIndex)!;
		const raw = collided.has(digests.key) ? undefined : state.k[digests.key];
		const entry = raw === undefined ? undefined : decodeEntry(raw);
		if (entry === undefined) {
			triage.unknown.push(source);
			return;
		}
		const match = matchValuesOf(record, settings.matchFields);
		const equal = entry.digest === digests.record;
		if (entry.id === undefined) {
			// Update Only found no record for exactly this input last time: still nothing to create.
			if (equal && settings.mode === 'updateOnly') triage.unchanged.push({ itemIndex, match, remoteId: null, note: UPDATE_ONLY_NOTE });
			else triage.unknown.push(source);
			return;
		}
		const remoteId = remoteIdOf(entry.id, state.num === true);
		if (equal) triage.unchanged.push({ itemIndex, match, remoteId, note: SKIPPED_NOTE });
		else if (settings.mode === 'createOnly') triage.unchanged.push({ itemIndex, match, remoteId, note: CREATE_ONLY_NOTE });
		else triage.unreadUpdates.push({ itemIndex, match, remoteId, changes: comparedFields(record, ignore), record, remote: {} });
	});
	return triage;
}

function remoteIdOf(id: string, numeric: boolean): string | number {
	return numeric && /^-?\d{1,15}$/.test(id) ? Number(id) : id;
}

/** Mirror: the remembered remote records whose key is not in the input (`id` as remembered, `key` its digest). */
export function mirrorCandidates(state: SkipState, inputKeys: ReadonlySet<string>): Array<{ key: string; remoteId: string | number }> {
	const candidates: Array<{ key: string; remoteId: string | number }> = [];
	for (const [key, value] of Object.entries(state.k)) {
		if (inputKeys.has(key)) continue;
		const { id } = decodeEntry(value);
		if (id !== undefined) candidates.push({ key, remoteId: remoteIdOf(id, state.num === true) });
	}
	return candidates;
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/**
 * The EenvoudigFactureren `filter` value that finds the remote records matching this record's key
 * (`field=value`, several joined with `,` meaning "and"), or undefined when such a filter could miss a record this
 * node's matching would find: case-insensitive matching, a value with surrounding blanks or in a non-composed
 * Unicode form, numeric text written otherwise than its number (`0042`, `1.50`, `1e3`: the API may hold the
 * number), a comma (it would split the filter), or a field name the filter syntax cannot carry.
 */
export function lookupFilter(record: IDataObject, settings: PlanSettings): string | undefined {
	if (settings.caseInsensitive) return undefined;
	const conditions: string[] = [];
	for (const field of settings.matchFields) {
		if (!/^[A-Za-z0-9_]+$/.test(field)) return undefined;
		const value = record[field];
		let text: string;
		if (typeof value === 'number') {
			if (!Number.isFinite(value)) return undefined;
			text = String(value);
		} else if (typeof value === 'string') {
			text = value;
		} else {
			return undefined;
		}
		if (text === '' || text !== text.trim().normalize('NFC') || text.includes(',')) return undefined;
		if (NUMERIC_TEXT.test(text) && String(Number(text)) !== text) return undefined;
		if (/e/i.test(text) && NUMERIC_TEXT.test(text)) return undefined;
		conditions.push(`${field}=${text}`);
	}
	return conditions.join(',');
}

export interface NextStateInput {
	/** The state this run started from; undefined when it compared in full (the state is then rebuilt). */
	previous?: SkipState;
	fingerprint: string;
	now: number;
	settings: PlanSettings;
	/** A full comparison's read, Mirror only: the remote records no input item claimed are remembered by their key. */
	fullRead?: IDataObject[];
	/** A full comparison: how many records its read returned (what the next full read costs). */
	fullReadCount?: number;
	digests: ReadonlyMap<number, ItemDigests>;
	plan: SyncPlan;
	outcomes: Outcome[];
	/** Key digests to forget (records Mirror found gone). */
	forget?: string[];
}

/**
 * The state after a run, from what actually happened: a record created, updated or found equal is remembered with
 * its input's digest; a failed or unconfirmed write is not (its remote id, when known, is kept without a digest, so
 * the next run compares or sends it again); Unchanged items that were skipped keep their entry. Pure.
 */
export function nextSkipState(input: NextStateInput): SkipState {
	const { previous, settings, digests, plan, outcomes } = input;
	const mirror = settings.mode === 'mirror';
	const k: Record<string, string> = previous ? { ...previous.k } : {};
	for (const key of input.forget ?? []) delete k[key];
	let all = previous ? previous.all === true : mirror;
	let numeric = previous ? previous.num === true : true;
	let idsSeen = previous ? Object.keys(previous.k).length > 0 : false;
	const noteId = (id: unknown) => {
		idsSeen = true;
		if (typeof id !== 'number') numeric = false;
	};
	const set = (itemIndex: number, entry: SkipEntry | null) => {
		const digest = digests.get(itemIndex);
		if (!digest) return;
		if (entry === null) delete k[digest.key];
		else k[digest.key] = encodeEntry(entry);
	};
	const remembered = (itemIndex: number, remoteId: unknown) => {
		noteId(remoteId);
		set(itemIndex, { digest: digests.get(itemIndex)?.record, id: String(remoteId) });
	};
	// A failed write: the record's id, when known, stays (Mirror still knows the record), without a digest.
	const failed = (itemIndex: number) => {
		const digest = digests.get(itemIndex);
		if (!digest) return;
		const id = k[digest.key] === undefined ? undefined : decodeEntry(k[digest.key]).id;
		set(itemIndex, id === undefined ? null : { id });
	};

	if (!previous && input.fullRead && mirror) {
		// Mirror: every remote record with a key, so that the next runs know what to delete. Those that input items
		// matched are remembered under the input's key below instead.
		const claimed = new Set<string>();
		for (const u of [...plan.updates, ...plan.unchanged]) if (u.remoteId !== null && u.remoteId !== undefined) claimed.add(String(u.remoteId));
		for (const o of outcomes) if ('remoteId' in o && o.kind !== 'deleted' && o.remoteId !== null && o.remoteId !== undefined) claimed.add(String(o.remoteId));
		const deleted = new Set(outcomes.filter((o) => o.kind === 'deleted').map((o) => String((o as { remoteId: unknown }).remoteId)));
		for (const record of input.fullRead) {
			const id = record[settings.idField];
			noteId(id);
			if (claimed.has(String(id)) || deleted.has(String(id))) continue;
			const key = matchKeyOf(record, settings);
			if (key === undefined) continue; // Mirror leaves records without a key alone.
			const digest = keyDigest(key);
			// Several remote records with one key: the next Mirror run must compare in full to see them all.
			if (k[digest] !== undefined) all = false;
			k[digest] = encodeEntry({ id: String(id) });
		}
	}

	for (const entry of plan.unchanged) {
		if (entry.note === SKIPPED_NOTE) continue;
		if (entry.note === undefined) remembered(entry.itemIndex, entry.remoteId);
		else if (entry.note === UPDATE_ONLY_NOTE) set(entry.itemIndex, { digest: digests.get(entry.itemIndex)?.record });
		else if (entry.remoteId !== null) {
			noteId(entry.remoteId);
			set(entry.itemIndex, { id: String(entry.remoteId) });
		}
	}
	for (const failure of plan.failures) failed(failure.itemIndex);
	const deletedIds = new Set<string>();
	for (const outcome of outcomes) {
		switch (outcome.kind) {
			case 'created':
				if (outcome.remoteId === null || outcome.remoteId === undefined) {
					// A record whose id is unknown cannot be updated or deleted by id later: the next Mirror run compares in full.
					set(outcome.itemIndex, null);
					all = false;
				} else remembered(outcome.itemIndex, outcome.remoteId);
				break;
			case 'updated':
				remembered(outcome.itemIndex, outcome.remoteId);
				break;
			case 'unchanged':
				if (outcome.remoteId !== null && outcome.remoteId !== undefined) remembered(outcome.itemIndex, outcome.remoteId);
				else if (outcome.note === UPDATE_ONLY_NOTE) set(outcome.itemIndex, { digest: digests.get(outcome.itemIndex)?.record });
				else set(outcome.itemIndex, null);
				break;
			case 'deleted':
				deletedIds.add(String(outcome.remoteId));
				break;
			case 'failed':
				if (outcome.itemIndex !== undefined) failed(outcome.itemIndex);
				break;
		}
	}
	if (deletedIds.size > 0) {
		for (const [key, value] of Object.entries(k)) {
			const { id } = decodeEntry(value);
			if (id !== undefined && deletedIds.has(id)) delete k[key];
		}
	}
	const created = outcomes.filter((o): o is CreatedOutcome => o.kind === 'created').length;
	const base = previous ? previous.n : (input.fullReadCount ?? input.fullRead?.length ?? 0);
	return {
		v: SKIP_STATE_VERSION,
		fp: input.fingerprint,
		at: previous ? previous.at : input.now,
		runs: previous ? previous.runs + 1 : 1,
		n: Math.max(0, base + created - deletedIds.size - (input.forget?.length ?? 0)),
		...(all ? { all: true } : {}),
		...(numeric && idsSeen ? { num: true } : {}),
		k,
	};
}
