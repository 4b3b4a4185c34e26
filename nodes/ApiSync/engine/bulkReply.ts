import type { IDataObject } from 'n8n-workflow';

import { extractApiMessage } from '../../shared/errors';

/**
 * What a bulk reply says about one record of the request: written (with the created record's id), refused (with
 * the API's words), or unclear — nothing in the entry proves the record was written, so it is re-read.
 */
export type BulkResult = { ok: true; id: unknown } | { ok: false; message: string } | { ok: 'unclear'; reason: string };

/**
 * Reads a bulk reply: one result per record, in request order. EenvoudigFactureren does not document
 * the shape, so the common ones are read: `{"results": [...]}`, the resource name like the request
 * (`{"clients": [...]}`), `{"data": [...]}` and a bare list. Each result is an object or just the id.
 * A create counts as written only with an id (the ID field or `id`); an update with an id or a sign of success
 * (`success`, `ok: true`, `status: "ok"`/2xx). A refusal is any of `error`, `errors`, `success: false`,
 * `ok: false`, `status: "error"` (or `failed`, …) or a status of 400 or more. Anything else is unclear.
 * `ops` gives, per record, whether it was a create or an update.
 * Returns undefined when the reply lists no such results, one per record.
 */
export function readBulkReply(
	body: unknown,
	ops: ReadonlyArray<'create' | 'update'>,
	domain: string,
	idField: string,
): BulkResult[] | undefined {
	const lists: unknown[] = Array.isArray(body)
		? [body]
		: body && typeof body === 'object'
			? [(body as IDataObject).results, (body as IDataObject)[domain], (body as IDataObject).data]
			: [];
	const list = lists.find((candidate): candidate is unknown[] => Array.isArray(candidate) && candidate.length === ops.length);
	if (!list) return undefined;
	const results: BulkResult[] = [];
	for (const [i, entry] of list.entries()) {
		const result = readOne(entry, idField, ops[i]);
		if (!result) return undefined;
		results.push(result);
	}
	return results;
}

const FAILED_STATUS = /^(error|errors|fail|failed|failure|rejected|invalid|refused)$/i;
const DONE_STATUS = /^(ok|success|succeeded|done|created|updated|saved)$/i;

function readOne(entry: unknown, idField: string, op: 'create' | 'update'): BulkResult | undefined {
	if (typeof entry === 'number' || (typeof entry === 'string' && entry !== '')) return { ok: true, id: entry };
	if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
	const result = entry as IDataObject;
	const status = result.status ?? result.statusCode;
	const failed =
		(result.error !== undefined && result.error !== null && result.error !== false && result.error !== '') ||
		(Array.isArray(result.errors) && result.errors.length > 0) ||
		result.success === false ||
		result.ok === false ||
		(typeof status === 'string' && FAILED_STATUS.test(status.trim())) ||
		(typeof status === 'number' && status >= 400);
	if (failed) return { ok: false, message: extractApiMessage(result) ?? 'rejected by the bulk call, without a reason' };
	const id = result[idField] ?? result.id;
	if (id !== undefined && id !== null && id !== '') return { ok: true, id };
	if (op === 'create') {
		return { ok: 'unclear', reason: `the bulk reply gave no ${idField} for this record${describe(result)}` };
	}
	const succeeded =
		(result.success !== undefined && result.success !== null && result.success !== '') ||
		result.ok === true ||
		(typeof status === 'string' && DONE_STATUS.test(status.trim())) ||
		(typeof status === 'number' && status >= 200 && status < 300);
	return succeeded ? { ok: true, id: null } : { ok: 'unclear', reason: `the bulk reply did not say whether this record was updated${describe(result)}` };
}

/** The entry's field names (never values: an entry may echo what was sent), to show what the API answered. */
function describe(result: IDataObject): string {
	const fields = Object.keys(result);
	return fields.length ? ` (its entry has ${fields.slice(0, 10).join(', ')})` : ' (its entry is empty)';
}
