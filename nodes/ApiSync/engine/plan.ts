import type { IDataObject } from 'n8n-workflow';

import { changedFields, matchKeyOf, matchValuesOf, type MatchSettings } from './compare';

export type SyncMode = 'upsert' | 'createOnly' | 'updateOnly' | 'mirror';

export interface PlanSettings extends MatchSettings {
	mode: SyncMode;
	/** Field holding the remote record's id. */
	idField: string;
	/** Fields never compared (e.g. a timestamp the API sets itself). */
	ignoreFields: string[];
}

/** One input item after field mapping. */
export interface SourceRecord {
	itemIndex: number;
	record: IDataObject;
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
}

/**
 * Computes the plan from the mapped input and the remote records (read once). Pure: no I/O.
 * Duplicate match keys, in the input or among remote records, fail the records concerned
 * with a clear reason rather than picking one.
 */
export function planSync(source: SourceRecord[], remote: IDataObject[], settings: PlanSettings): SyncPlan {
	const plan: SyncPlan = { creates: [], updates: [], unchanged: [], deletes: [], failures: [], remoteWithoutKey: 0 };
	const ignore = new Set([...settings.ignoreFields, settings.idField]);

	const remoteByKey = new Map<string, IDataObject[]>();
	for (const record of remote) {
		const key = matchKeyOf(record, settings);
		if (key === undefined) {
			plan.remoteWithoutKey++;
			continue;
		}
		const list = remoteByKey.get(key);
		if (list) list.push(record);
		else remoteByKey.set(key, [record]);
	}

	const inputByKey = new Map<string, number[]>();
	const keys = source.map(({ record, itemIndex }) => {
		const key = matchKeyOf(record, settings);
		if (key !== undefined) {
			const list = inputByKey.get(key);
			if (list) list.push(itemIndex);
			else inputByKey.set(key, [itemIndex]);
		}
		return key;
	});

	source.forEach(({ itemIndex, record }, position) => {
		const key = keys[position];
		const match = matchValuesOf(record, settings.matchFields);
		if (key === undefined) {
			const empty = settings.matchFields.filter((f) => matchKeyOf(record, { ...settings, matchFields: [f] }) === undefined);
			plan.failures.push({
				itemIndex,
				match,
				reason: `Missing match key: ${empty.join(', ')} ${empty.length === 1 ? 'is' : 'are'} empty. Map a value to ${empty.length === 1 ? 'it' : 'them'}, or match on other fields.`,
			});
			return;
		}
		const sameKeyItems = inputByKey.get(key) ?? [];
		if (sameKeyItems.length > 1) {
			plan.failures.push({
				itemIndex,
				match,
				reason: `Duplicate match key in the input: items ${listSome(sameKeyItems)} have the same ${describeMatch(match)}. Remove the duplicates so each record is written once.`,
			});
			return;
		}
		const matches = remoteByKey.get(key) ?? [];
		if (matches.length > 1) {
			plan.failures.push({
				itemIndex,
				match,
				reason: `${matches.length} remote records share ${describeMatch(match)} (${settings.idField} ${listSome(matches.map((m) => m[settings.idField]))}). Resolve the duplicates in the remote system, or match on more fields.`,
			});
			return;
		}
		const existing = matches[0];
		if (!existing) {
			if (settings.mode === 'updateOnly') {
				plan.unchanged.push({ itemIndex, match, remoteId: null, note: 'No remote record matches (Update Only: nothing created)' });
			} else {
				plan.creates.push({ itemIndex, match, record });
			}
			return;
		}
		const remoteId = existing[settings.idField] as string | number;
		if (settings.mode === 'createOnly') {
			plan.unchanged.push({ itemIndex, match, remoteId, note: 'A remote record already matches (Create Only: not updated)' });
			return;
		}
		const changes = changedFields(record, existing, ignore);
		if (Object.keys(changes).length === 0) plan.unchanged.push({ itemIndex, match, remoteId });
		else plan.updates.push({ itemIndex, match, remoteId, changes, record, remote: existing });
	});

	if (settings.mode === 'mirror') {
		for (const [key, records] of remoteByKey) {
			if (inputByKey.has(key)) continue;
			for (const record of records) {
				plan.deletes.push({
					match: matchValuesOf(record, settings.matchFields),
					remoteId: record[settings.idField] as string | number,
					remote: record,
				});
			}
		}
	}
	return plan;
}

function describeMatch(match: IDataObject): string {
	return Object.entries(match)
		.map(([field, value]) => `${field} "${String(value)}"`)
		.join(' and ');
}

/** At most `max` values, then "and N more": a message per record must not grow with the number of duplicates. */
function listSome(values: unknown[], max = 10): string {
	const shown = values.slice(0, max).map(String).join(', ');
	return values.length > max ? `${shown} and ${values.length - max} more` : shown;
}
