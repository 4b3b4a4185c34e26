import type { IDataObject } from 'n8n-workflow';

import type { Outcome } from './apply';
import { KeyIndex, matchKeyOf } from './compare';
import type { PlanSettings } from './plan';

export type CreatedOutcome = Extract<Outcome, { kind: 'created' }>;

/** A record this run created while another writer created one with the same match values. */
export interface OwnDuplicate {
	ours: CreatedOutcome;
	/** The oldest other record with the same match values: the one every run keeps. */
	keeper: IDataObject;
}

/**
 * A total order of record ids: integers (or integer text) first, by value; then any other id, as text.
 * Every run applies the same order, so overlapping runs agree on which record of a duplicated key to keep
 * (a mixed order, numbers by value but text by text, could go round in a circle and give up every record).
 */
export function compareIds(a: unknown, b: unknown): number {
	const integer = (value: unknown) =>
		(typeof value === 'number' && Number.isSafeInteger(value)) || (typeof value === 'string' && /^\d{1,30}$/.test(value))
			? BigInt(value)
			: undefined;
	const [x, y] = [integer(a), integer(b)];
	if (x !== undefined && y !== undefined) return x < y ? -1 : x > y ? 1 : 0;
	if (x !== undefined) return -1;
	if (y !== undefined) return 1;
	const [s, t] = [String(a), String(b)];
	return s < t ? -1 : s > t ? 1 : 0;
}

/** The highest id among the records when every id is an integer (EenvoudigFactureren's are), else undefined. */
export function highestIntegerId(records: IDataObject[], idField: string): bigint | undefined {
	let highest: bigint | undefined;
	for (const record of records) {
		const id = record[idField];
		if (!((typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^\d{1,30}$/.test(id)))) return undefined;
		const value = BigInt(id);
		if (highest === undefined || value > highest) highest = value;
	}
	return highest;
}

/**
 * After this run's creates, a fresh read can show a record with the same match values that this run did
 * not write: another run of the workflow (a schedule firing while the last run is still going, a second
 * worker) or another system created it at the same time. Pure: no I/O.
 *
 * The rule every run applies: a run gives up its own record when an older one (lower id) with the same
 * match values exists that it did not create. The oldest record of a key is never given up by anyone,
 * so overlapping runs end with exactly one record per key and never with none, whatever their timing.
 * With ids that grow over time (EenvoudigFactureren, most databases) the oldest id is the record that
 * existed first; with random ids (UUIDs) a duplicate can remain, but a record is still never lost.
 */
export function findOwnDuplicates(outcomes: Outcome[], remote: IDataObject[], settings: PlanSettings): OwnDuplicate[] {
	const created = outcomes.filter((o): o is CreatedOutcome => o.kind === 'created' && o.remoteId !== null && o.remoteId !== undefined);
	if (created.length === 0) return [];
	const ownIds = new Set(created.map((o) => String(o.remoteId)));
	// Only remote records that may share a key with a record this run created are indexed.
	const buckets = new Set(created.map((o) => matchKeyOf(o.record, settings)?.bucket));
	const index = new KeyIndex<IDataObject>();
	for (const record of remote) {
		const key = matchKeyOf(record, settings);
		if (key && buckets.has(key.bucket)) index.add(key, record);
	}
	const duplicates: OwnDuplicate[] = [];
	for (const ours of created) {
		const key = matchKeyOf(ours.record, settings);
		if (!key) continue;
		const matches = index.find(key);
		// Our record must be in the read: without it nothing says the others are newer or older.
		if (!matches.some((record) => String(record[settings.idField]) === String(ours.remoteId))) continue;
		const older = matches
			.filter((record) => !ownIds.has(String(record[settings.idField])))
			.filter((record) => compareIds(record[settings.idField], ours.remoteId) < 0)
			.sort((a, b) => compareIds(a[settings.idField], b[settings.idField]));
		if (older.length > 0) duplicates.push({ ours, keeper: older[0] });
	}
	return duplicates;
}
