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

function integerId(id: unknown): bigint | undefined {
	return (typeof id === 'number' && Number.isSafeInteger(id)) || (typeof id === 'string' && /^\d{1,30}$/.test(id)) ? BigInt(id) : undefined;
}

/**
 * The reads the overlap check makes where the API filters on the id (EenvoudigFactureren), from the ids of the first
 * read and those of this run's creates: each a `filter` value, or undefined when ids are not all integers (the check
 * then reads everything once more).
 *
 * A record another writer created that this run must give way to is older than one of this run's records (a lower
 * id) and was not in the first read (a higher id than any read then; any id at all when that read was empty). Where
 * ids grow, such records can only sit in the gaps between the ids this run was given, so only those gaps are read:
 * none when this run's ids follow on from the first read without a gap (the usual case), one for the ids below its
 * lowest when the first read was empty. When the gaps are more than one request per 100 of this run's records
 * (runs that really overlap interleave their ids), one read of every id above the first read costs less.
 */
export function overlapCheckFilters(readIds: readonly unknown[], createdIds: unknown[], idField: string): Array<string | undefined> | undefined {
	let highestRead: bigint | undefined;
	for (const readId of readIds) {
		const id = integerId(readId);
		if (id === undefined) return undefined;
		if (highestRead === undefined || id > highestRead) highestRead = id;
	}
	const own: bigint[] = [];
	for (const created of createdIds) {
		const id = integerId(created);
		if (id === undefined) return undefined;
		own.push(id);
	}
	if (own.length === 0) return [];
	own.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
	const range = (from: bigint, to: bigint) => (from === to ? `${idField}=${from}` : `${idField}>=${from},${idField}<=${to}`);
	const gaps: string[] = [];
	if (highestRead === undefined) gaps.push(`${idField}<${own[0]}`);
	else if (own[0] > highestRead + 1n) gaps.push(range(highestRead + 1n, own[0] - 1n));
	for (let i = 1; i < own.length; i++) if (own[i] > own[i - 1] + 1n) gaps.push(range(own[i - 1] + 1n, own[i] - 1n));
	if (gaps.length <= Math.floor(own.length / 100) + 1) return gaps;
	return [highestRead === undefined ? undefined : `${idField}>${highestRead}`];
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
	// Only another writer's record can be a duplicate's keeper: none read, nothing to decide (and no key to compute).
	if (remote.every((record) => ownIds.has(String(record[settings.idField])))) return [];
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
