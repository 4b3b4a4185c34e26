import type { IDataObject } from 'n8n-workflow';

import { changedFields, KeyIndex, matchKeyOf, matchValuesOf, type MatchKey, type MatchSettings } from './compare';

export type SyncMode = 'upsert' | 'createOnly' | 'updateOnly' | 'mirror';

export interface PlanSettings extends MatchSettings {
	mode: SyncMode;
	/** Field holding the remote record's id. */
	idField: string;
	/** Fields never compared (e.g. a timestamp the API sets itself). */
	ignoreFields: string[];
}

/** One input item after field mapping; `mappingError` when its mapping failed (it then fails to plan). */
export interface SourceRecord {
	itemIndex: number;
	record: IDataObject;
	mappingError?: string;
}

interface Planned {
	/** The match fields with their values, for output. */
	match: IDataObject;
}

export interface PlannedCreate extends Planned {
	itemIndex: number;
	record: IDataObject;
}
export interface PlannedUpdate extends Planned {
	itemIndex: number;
	remoteId: string | number;
	/** Only the changed fields: sent as a partial update. */
	changes: IDataObject;
	/** The full mapped record, for APIs whose update replaces the record (PUT). */
	record: IDataObject;
	remote: IDataObject;
}
export interface PlannedUnchanged extends Planned {
	itemIndex: number;
	remoteId: string | number | null;
	/** Why nothing is written when it is not "already equal", e.g. Create Only found a match. */
	note?: string;
}
export interface PlannedDelete extends Planned {
	remoteId: string | number;
	remote: IDataObject;
}
export interface PlanFailure extends Planned {
	itemIndex: number;
	reason: string;
}

/** What a sync will do: deciding is separate from doing, and a dry run is this plan alone. */
export interface SyncPlan {
	creates: PlannedCreate[];
	updates: PlannedUpdate[];
	unchanged: PlannedUnchanged[];
	deletes: PlannedDelete[];
	failures: PlanFailure[];
	/** Remote records left alone in Mirror mode because their match fields are empty. */
	remoteWithoutKey: number;
	/** Mirror: deletions left out because the input is doubtful; `count` records would have been deleted. */
	deletesWithheld?: { count: number; reason: string };
}

export function emptyPlan(): SyncPlan {
	return { creates: [], updates: [], unchanged: [], deletes: [], failures: [], remoteWithoutKey: 0 };
}

type Decision =
	| { kind: 'failure'; reason: string }
	| { kind: 'create' }
	| { kind: 'match'; remote: IDataObject };
/** Notes on Unchanged items that the mode left alone. */
export const CREATE_ONLY_NOTE = 'A remote record already matches (Create Only: not updated)';
export const UPDATE_ONLY_NOTE = 'No remote record matches (Update Only: nothing created)';

/** One shared object: an initial sync of 100,000 records makes 100,000 of these decisions. */
const CREATE: Decision = { kind: 'create' };

/** The input's match keys, indexed, and per item why it cannot be planned whatever the remote side holds. */
export interface IndexedInput {
	/** Per position in the input; undefined when the mapping failed or a match field is empty. */
	keys: Array<MatchKey | undefined>;
	/** Item indexes by match key. */
	index: KeyIndex<number>;
	/** Per position: the reason the item fails (mapping error, missing match key, duplicate key in the input). */
	problems: Array<string | undefined>;
}

/** Indexes the input by match key and finds the items that cannot be planned whatever the remote side holds. Pure. */
export function indexInput(source: SourceRecord[], settings: PlanSettings): IndexedInput {
	const index = new KeyIndex<number>();
	const keys = source.map(({ record, itemIndex, mappingError }) => {
		const key = mappingError === undefined ? matchKeyOf(record, settings) : undefined;
		if (key) index.add(key, itemIndex);
		return key;
	});
	const problems = source.map(({ record, mappingError }, position): string | undefined => {
		if (mappingError !== undefined) return mappingError;
		const key = keys[position];
		if (key === undefined) {
			const empty = settings.matchFields.filter((f) => matchKeyOf(record, { ...settings, matchFields: [f] }) === undefined);
			return `Missing match key: ${empty.join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty. Map a value to ${empty.length === 1 ? 'it' : 'them'}, or match on other fields.`;
		}
		const sameKeyItems = index.find(key);
		if (sameKeyItems.length > 1) {
			return `Duplicate match key in the input: items ${listSome(sameKeyItems)} have the same ${describeMatch(matchValuesOf(record, settings.matchFields))}. Remove the duplicates so each record is written once.`;
		}
		return undefined;
	});
	return { keys, index, problems };
}

/**
 * Computes the plan from the mapped input and the remote records (read once). Pure: no I/O.
 * Duplicate match keys, in the input or among remote records, fail the records concerned with a
 * clear reason rather than picking one. Mirror deletes nothing when the input is doubtful.
 */
export function planSync(source: SourceRecord[], remote: IDataObject[], settings: PlanSettings): SyncPlan {
	const plan = emptyPlan();
	const ignore = new Set([...settings.ignoreFields, settings.idField]);

	const remoteIndex = new KeyIndex<IDataObject>();
	const remoteKeys = new Map<IDataObject, MatchKey>();
	for (const record of remote) {
		const key = matchKeyOf(record, settings);
		if (key === undefined) {
			plan.remoteWithoutKey++;
			continue;
		}
		remoteIndex.add(key, record);
		remoteKeys.set(record, key);
	}

	const { keys, index: inputIndex, problems } = indexInput(source, settings);

	const decisions: Decision[] = source.map(({ record }, position) => {
		const problem = problems[position];
		if (problem !== undefined) return { kind: 'failure', reason: problem };
		const matches = remoteIndex.find(keys[position]!);
		if (matches.length > 1) {
			return {
				kind: 'failure',
				reason: `${matches.length} remote records share ${describeMatch(matchValuesOf(record, settings.matchFields))} (${settings.idField} ${listSome(matches.map((m) => m[settings.idField]))}). Resolve the duplicates in the remote system, or match on more fields.`,
			};
		}
		return matches.length === 0 ? CREATE : { kind: 'match', remote: matches[0] };
	});

	// "0042" and 42 match, as do "42" and 42, but "0042" and "42" do not: two input items can claim one remote record.
	const claims = new Map<IDataObject, number[]>();
	decisions.forEach((decision, position) => {
		if (decision.kind !== 'match') return;
		claims.set(decision.remote, [...(claims.get(decision.remote) ?? []), source[position].itemIndex]);
	});

	source.forEach(({ itemIndex, record }, position) => {
		const decision = decisions[position];
		const match = matchValuesOf(record, settings.matchFields);
		if (decision.kind === 'failure') {
			plan.failures.push({ itemIndex, match, reason: decision.reason });
			return;
		}
		if (decision.kind === 'create') {
			if (settings.mode === 'updateOnly') {
				plan.unchanged.push({ itemIndex, match, remoteId: null, note: UPDATE_ONLY_NOTE });
			} else {
				plan.creates.push({ itemIndex, match, record });
			}
			return;
		}
		const existing = decision.remote;
		const remoteId = existing[settings.idField] as string | number;
		const claimants = claims.get(existing) ?? [];
		if (claimants.length > 1) {
			plan.failures.push({
				itemIndex,
				match,
				reason: `Items ${listSome(claimants)} all match the remote record ${settings.idField} ${String(remoteId)} (${describeMatch(matchValuesOf(existing, settings.matchFields))}). Make their match values distinct so each record is written once.`,
			});
			return;
		}
		if (settings.mode === 'createOnly') {
			plan.unchanged.push({ itemIndex, match, remoteId, note: CREATE_ONLY_NOTE });
			return;
		}
		const changes = changedFields(record, existing, ignore);
		if (Object.keys(changes).length === 0) plan.unchanged.push({ itemIndex, match, remoteId });
		else plan.updates.push({ itemIndex, match, remoteId, changes, record, remote: existing });
	});

	if (settings.mode === 'mirror') {
		const deletes: PlannedDelete[] = [];
		for (const [record, key] of remoteKeys) {
			if (inputIndex.find(key).length > 0) continue;
			deletes.push({ match: matchValuesOf(record, settings.matchFields), remoteId: record[settings.idField] as string | number, remote: record });
		}
		const reason = doubtfulInput(plan, keys, settings);
		if (reason === undefined) plan.deletes = deletes;
		else plan.deletesWithheld = { count: deletes.length, reason };
	}
	return plan;
}

/**
 * Why Mirror must not delete on this input, or undefined when it may. A record that failed to plan
 * is missing from the input as far as Mirror can tell, and an input without a single usable key
 * (e.g. one empty item from a node with "Always Output Data") would make every remote record look deleted.
 */
export function doubtfulInput(plan: SyncPlan, keys: Array<MatchKey | undefined>, settings: PlanSettings): string | undefined {
	const fields = settings.matchFields.join(', ');
	if (!keys.some((key) => key !== undefined)) {
		return `Mirror deleted nothing: no input item has a value in ${fields}. An input without records (e.g. one empty item from a node with "Always Output Data") never deletes.`;
	}
	if (plan.failures.length > 0) {
		const n = plan.failures.length;
		return `Mirror deleted nothing: ${n} input item${n === 1 ? '' : 's'} could not be planned (see Failed), so the input may not hold every record. Fix ${n === 1 ? 'it' : 'them'} and run again to delete.`;
	}
	return undefined;
}

function describeMatch(match: IDataObject): string {
	return Object.entries(match)
		.map(([field, value]) => `${field} "${String(value)}"`)
		.join(' and ');
}

/** At most `max` values, then "and N more": a message per record must not grow with the number of duplicates. */
export function listSome(values: unknown[], max = 10): string {
	const shown = values.slice(0, max).map(String).join(', ');
	return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
