/**
 * What Sync keeps of the remote records it reads (issue 18, point 3): only what the plan uses.
 */
import type { IDataObject } from 'n8n-workflow';

import type { ResolvedResource } from '../../shared/resources';
import type { PlanSettings, SourceRecord } from './plan';

/**
 * The fields the plan uses of a remote record: the ID, the match fields and every mapped field not ignored, or
 * undefined to keep whole records — where the API returned only those already (EenvoudigFactureren's `fields=`), and
 * in Mirror mode, whose Deleted output carries the remote record.
 */
export function fieldsThePlanUses(sources: SourceRecord[], settings: PlanSettings, resource: ResolvedResource): Set<string> | undefined {
	if (resource.efListParameters || settings.mode === 'mirror') return undefined;
	const fields = new Set([settings.idField, ...settings.matchFields]);
	for (const { record } of sources) for (const field of Object.keys(record)) fields.add(field);
	for (const ignored of settings.ignoreFields) if (!settings.matchFields.includes(ignored)) fields.delete(ignored);
	return fields;
}

/**
 * Keeps of each remote record (already a plain record) only the fields the plan uses, so that a listing whose
 * records carry many more fields than are synced does not stay in memory in full for the whole run.
 */
export function keepPlanFields(records: IDataObject[], fields: ReadonlySet<string> | undefined): IDataObject[] {
	if (!fields) return records;
	return records.map((record) => {
		const kept: IDataObject = {};
		for (const field of fields) if (field in record) kept[field] = record[field];
		return kept;
	});
}
