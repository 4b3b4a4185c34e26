import type { IDataObject } from 'n8n-workflow';

import { extractApiMessage } from '../../shared/errors';

/** What a bulk reply says about one record of the request. */
export type BulkResult = { ok: true; id: unknown } | { ok: false; message: string };

/**
 * Reads a bulk reply: one result per record, in request order. EenvoudigFactureren does not document
 * the shape, so the common ones are read: `{"results": [...]}`, the resource name like the request
 * (`{"clients": [...]}`), `{"data": [...]}` and a bare list. Each result is an object with the
 * record's id (the ID field or `id`) or an error (`error`, `errors`, `success: false`), or just the id.
 * Returns undefined when the reply lists no such results, one per record.
 */
export function readBulkReply(body: unknown, count: number, domain: string, idField: string): BulkResult[] | undefined {
	const lists: unknown[] = Array.isArray(body)
		? [body]
		: body && typeof body === 'object'
			? [(body as IDataObject).results, (body as IDataObject)[domain], (body as IDataObject).data]
			: [];
	const list = lists.find((candidate): candidate is unknown[] => Array.isArray(candidate) && candidate.length === count);
	if (!list) return undefined;
	const results: BulkResult[] = [];
	for (const entry of list) {
		const result = readOne(entry, idField);
		if (!result) return undefined;
		results.push(result);
	}
	return results;
}

function readOne(entry: unknown, idField: string): BulkResult | undefined {
	if (typeof entry === 'number' || typeof entry === 'string') return { ok: true, id: entry };
	if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
	const result = entry as IDataObject;
	const failed =
		(result.error !== undefined && result.error !== null && result.error !== false && result.error !== '') ||
		(Array.isArray(result.errors) && result.errors.length > 0) ||
		result.success === false;
	if (failed) return { ok: false, message: extractApiMessage(result) ?? 'rejected by the bulk call, without a reason' };
	return { ok: true, id: result[idField] ?? result.id ?? null };
}
