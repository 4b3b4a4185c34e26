import type { IDataObject } from 'n8n-workflow';

import { created, updated, vanishedReason, wrongRecordUrlReason, type FailedOutcome, type Outcome } from './apply';
import { changedFields } from './compare';
import { emptyPlan, planSync, type PlanSettings, type PlannedDelete, type PlannedUpdate, type SourceRecord, type SyncPlan } from './plan';

/** What a re-read says about writes whose outcome was unknown. */
export interface Settlement {
	/** Outcomes now known. */
	settled: Outcome[];
	/** Writes still to do (sent one by one: their answers are unambiguous). */
	retry: SyncPlan;
	/** Items whose intended write was a create: a follow-up update of the record found is still "created". */
	createIntents: Set<number>;
}

/**
 * After writes whose outcome was unknown (network error, 5xx, an unreadable bulk reply), decides from a
 * fresh read of the remote records what happened. Pure: no I/O.
 * - A create found as intended was ours: Created. Found with other values: Created, after an update
 *   that brings it in line. Not found: created again.
 * - An update whose record is gone: Failed (deleted meanwhile). Found as intended: Updated. Else updated again.
 * - A delete whose record is gone: Deleted. Else deleted again.
 * - An update or delete the API answered 404, whose record is still listed: Failed, not retried — the record URL
 *   is wrong (a 404 alone never says "deleted meanwhile").
 */
export function settleAfterReread(
	uncertain: FailedOutcome[],
	remote: IDataObject[],
	sources: ReadonlyMap<number, SourceRecord>,
	settings: PlanSettings,
): Settlement {
	const settled: Outcome[] = [];
	const retry = emptyPlan();
	const createIntents = new Set<number>();
	const byId = new Map(remote.map((record) => [String(record[settings.idField]), record]));
	const ignore = new Set([...settings.ignoreFields, settings.idField]);
	const createSources: SourceRecord[] = [];
	const intents = new Map<number, FailedOutcome>();

	for (const outcome of uncertain) {
		if (outcome.stage === 'delete') {
			const entry = outcome.entry as PlannedDelete;
			const stillThere = byId.has(String(entry.remoteId));
			if (stillThere && outcome.notFound) settled.push(wrongUrl(outcome, entry.remoteId, settings.idField));
			else if (stillThere) retry.deletes.push(entry);
			else settled.push({ kind: 'deleted', match: entry.match, remoteId: entry.remoteId, remote: entry.remote });
			continue;
		}
		if (outcome.stage === 'update') {
			const entry = outcome.entry as PlannedUpdate;
			const found = byId.get(String(entry.remoteId));
			if (!found) {
				const reason = vanishedReason(settings.idField, entry.remoteId);
				settled.push({ ...outcome, reason: outcome.notFound ? `${reason} (${outcome.reason})` : reason, uncertain: false });
				continue;
			}
			if (outcome.notFound) {
				settled.push(wrongUrl(outcome, entry.remoteId, settings.idField));
				continue;
			}
			const changes = changedFields(entry.record, found, ignore);
			if (Object.keys(changes).length === 0) settled.push(updated(entry));
			else retry.updates.push({ ...entry, changes, remote: found });
			continue;
		}
		const source = sources.get(outcome.itemIndex as number);
		if (!source) continue;
		createSources.push(source);
		intents.set(source.itemIndex, outcome);
		createIntents.add(source.itemIndex);
	}

	const replanned = planSync(createSources, remote, { ...settings, mode: 'upsert' });
	for (const failure of replanned.failures) {
		settled.push({ ...intents.get(failure.itemIndex)!, reason: failure.reason, uncertain: false });
	}
	for (const done of replanned.unchanged) {
		settled.push(created({ itemIndex: done.itemIndex, match: done.match, record: sources.get(done.itemIndex)!.record }, done.remoteId));
	}
	retry.creates.push(...replanned.creates);
	retry.updates.push(...replanned.updates);
	return { settled, retry, createIntents };
}

function wrongUrl(outcome: FailedOutcome, remoteId: unknown, idField: string): FailedOutcome {
	const stage = outcome.stage === 'delete' ? 'delete' : 'update';
	return { ...outcome, reason: wrongRecordUrlReason(idField, remoteId, stage, outcome.reason), uncertain: false, notFound: false };
}

/** A follow-up update of a record this run created (its first answer was lost) is reported as the create it was. */
export function asCreated(outcome: Outcome, createIntents: ReadonlySet<number>, sources: ReadonlyMap<number, SourceRecord>): Outcome {
	if (outcome.kind !== 'updated' || !createIntents.has(outcome.itemIndex)) return outcome;
	return created({ itemIndex: outcome.itemIndex, match: outcome.match, record: sources.get(outcome.itemIndex)!.record }, outcome.remoteId);
}
