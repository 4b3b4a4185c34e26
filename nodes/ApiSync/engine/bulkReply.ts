import type { IDataObject } from 'n8n-workflow';

import { extractApiMessage } from '../../shared/errors';
import { PLAIN_SHAPE, plainRecord, type RecordShape } from '../../shared/recordShape';
import { valuesEqual } from './compare';

/**
 * What a bulk reply says about one record of the request: written (with the created record's id), refused (with
 * the API's words), or unclear — nothing in the entry proves the record was written, so it is re-read.
 */
export type BulkResult = { ok: true; id: unknown } | { ok: false; message: string } | { ok: 'unclear'; reason: string };

/** One record as the bulk call sent it: a create, or an update of the record `id` writing `fields` (plain fields). */
export interface SentRecord {
	op: 'create' | 'update';
	id?: unknown;
	fields?: IDataObject;
}

/**
 * Reads a bulk reply: one result per record, in request order. EenvoudigFactureren does not document
 * the shape, so the common ones are read: `{"results": [...]}`, the resource name like the request
 * (`{"clients": [...]}`), `{"data": [...]}` and a bare list. Each result is an object or just the id.
 *
 * - A refusal sign is any of `error`, `errors`, `success` false-like (`false`, `0`, `"false"`, `"no"`, `"error…"`),
 *   `ok: false`, `status: "error"` (or `failed`, …) or a status of 400 or more.
 * - A create is written only with its id (the ID field or `id`; bare text only when it reads as an id, not as
 *   words). A refusal without an id is `refused` (the record is then tried alone, for the API's own words); a
 *   refusal **with** an id is unclear — the record may exist (created, with a warning), so it is re-read and never
 *   sent a second time.
 * - An update is written only on a sign of success (`success` true-like, `ok: true`, `status: "ok"`/2xx), or when
 *   the entry is the record itself showing every value written (Airtable's `{id, fields}`), without any words of
 *   the API beside it. An id alone is no evidence: it is the id the node sent.
 * - Anything else is unclear.
 *
 * Returns undefined when the reply lists no such results, one per record.
 */
export function readBulkReply(
	body: unknown,
	sent: ReadonlyArray<SentRecord>,
	domain: string,
	idField: string,
	shape: RecordShape = PLAIN_SHAPE,
): BulkResult[] | undefined {
	const lists: unknown[] = Array.isArray(body)
		? [body]
		: body && typeof body === 'object'
			? [(body as IDataObject).results, (body as IDataObject)[domain], (body as IDataObject).data]
			: [];
	const list = lists.find((candidate): candidate is unknown[] => Array.isArray(candidate) && candidate.length === sent.length);
	if (!list) return undefined;
	const results: BulkResult[] = [];
	for (const [i, entry] of list.entries()) {
		const result = readOne(entry, sent[i], idField, shape);
		if (!result) return undefined;
		results.push(result);
	}
	return withConsistentBareIds(list, results);
}

const FAILED_STATUS = /^(error|errors|fail|failed|failure|rejected|invalid|refused)$/i;
const DONE_STATUS = /^(ok|success|succeeded|done|created|updated|saved)$/i;
/** A `success` that says no: PHP-style `0`, `"false"`, `"no"`, or words of failure. */
const FALSE_LIKE_TEXT = /^(0|false|no|n|off|none|null|undefined|ko|nok)$|^(error|fail|invalid|refus|reject|denied|not\b)/i;
/** Bare text that is a word of status rather than an id. */
const STATUS_WORD = /^(true|false|null|undefined|none|yes|no|ok|nok|ko|n\/a)$/i;

function readOne(entry: unknown, sent: SentRecord, idField: string, shape: RecordShape): BulkResult | undefined {
	if (typeof entry === 'number' || (typeof entry === 'string' && entry !== '')) return readBare(entry, sent.op);
	if (!entry || typeof entry !== 'object' || Array.isArray(entry)) return undefined;
	const result = entry as IDataObject;
	const status = result.status ?? result.statusCode;
	const id = result[idField] ?? result.id;
	const hasId = id !== undefined && id !== null && id !== '';
	const failed =
		(result.error !== undefined && result.error !== null && result.error !== false && result.error !== '') ||
		(Array.isArray(result.errors) && result.errors.length > 0) ||
		result.success === false ||
		isFalseLike(result.success) ||
		result.ok === false ||
		(typeof status === 'string' && FAILED_STATUS.test(status.trim())) ||
		(typeof status === 'number' && status >= 400);
	const words = () => extractApiMessage(result) ?? 'rejected by the bulk call, without a reason';

	if (sent.op === 'create') {
		// An id beside an error may be a record the API created (with a warning): only a re-read tells, and sending
		// it again could make a duplicate.
		if (failed && hasId) {
			return { ok: 'unclear', reason: `the bulk reply gave a ${idField} and an error for this record ("${words()}")${describe(result)}` };
		}
		if (failed) return { ok: false, message: words() };
		if (hasId) return { ok: true, id };
		return { ok: 'unclear', reason: `the bulk reply gave no ${idField} for this record${describe(result)}` };
	}

	// An update sent again writes the same values: a refused one is tried alone, for the API's own words.
	if (failed) return { ok: false, message: words() };
	if (hasId && sent.id !== undefined && String(id) !== String(sent.id)) {
		return { ok: 'unclear', reason: `the bulk reply names another record (${idField} ${String(id)}) at this record's place${describe(result)}` };
	}
	const succeeded =
		isTrueLike(result.success) ||
		result.ok === true ||
		(typeof status === 'string' && DONE_STATUS.test(status.trim())) ||
		(typeof status === 'number' && status >= 200 && status < 300);
	if (succeeded || showsWrittenValues(result, sent.fields, idField, shape)) return { ok: true, id: hasId ? id : null };
	return { ok: 'unclear', reason: `the bulk reply did not say whether this record was updated${describe(result)}` };
}

/** A bare entry: the id of a created record when it reads as one; never proof for an update (it echoes the id sent). */
function readBare(entry: number | string, op: SentRecord['op']): BulkResult {
	if (op === 'update') return { ok: 'unclear', reason: 'the bulk reply gave only an id for this record, which says nothing about the update' };
	if (typeof entry === 'number' || looksLikeId(entry)) return { ok: true, id: entry };
	return { ok: 'unclear', reason: `the bulk reply gave text, not an id, for this record ("${entry.slice(0, 200)}")` };
}

/** Text that can be an id: no blanks (words of the API have them), not a status word, not a long text. */
function looksLikeId(text: string): boolean {
	return text.length <= 200 && !/\s/.test(text) && !STATUS_WORD.test(text) && !FAILED_STATUS.test(text) && !DONE_STATUS.test(text);
}

/** Where a reply gives bare ids as JSON numbers, text among them is not an id (`[101, "invalid_email"]`). */
function withConsistentBareIds(list: unknown[], results: BulkResult[]): BulkResult[] {
	if (!list.some((entry, i) => typeof entry === 'number' && results[i].ok === true)) return results;
	return results.map((result, i) => {
		const entry = list[i];
		if (result.ok !== true || typeof entry !== 'string') return result;
		return { ok: 'unclear', reason: `the bulk reply gave "${entry.slice(0, 200)}" for this record where the others have numeric ids` };
	});
}

function isTrueLike(value: unknown): boolean {
	if (value === true) return true;
	if (typeof value === 'number') return value > 0;
	return typeof value === 'string' && value.trim() !== '' && !isFalseLike(value);
}

function isFalseLike(value: unknown): boolean {
	if (typeof value === 'number') return value <= 0;
	return typeof value === 'string' && FALSE_LIKE_TEXT.test(value.trim());
}

/**
 * Whether the entry is the record as it now is — every value written is there, at least one of them not empty — and
 * carries no words of the API beside the record (a `message` could be a refusal that echoes the request).
 */
function showsWrittenValues(result: IDataObject, fields: IDataObject | undefined, idField: string, shape: RecordShape): boolean {
	if (!fields) return false;
	const written = Object.entries(fields).filter(([name]) => name !== idField && !shape.readOnlyFields.includes(name));
	if (!written.some(([, value]) => value !== undefined && value !== null && value !== '')) return false;
	const record = plainRecord(result, shape, idField);
	if (!record) return false;
	if (!written.every(([name, value]) => valuesEqual(value, record[name]))) return false;
	const beside: IDataObject = { ...result };
	if (shape.fieldsPath) delete beside[shape.fieldsPath.split('.')[0]];
	else for (const [name] of written) delete beside[name];
	return extractApiMessage(beside) === undefined;
}

/** The entry's field names (never values: an entry may echo what was sent), to show what the API answered. */
function describe(result: IDataObject): string {
	const fields = Object.keys(result);
	return fields.length ? ` (its entry has ${fields.slice(0, 10).join(', ')})` : ' (its entry is empty)';
}
