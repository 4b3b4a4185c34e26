/**
 * Airtable records, as the public Web API docs describe them (airtable.com/developers/web/api):
 * - `GET /v0/{baseId}/{table}?pageSize=&offset=` → `{records: [{id, createdTime, fields}], offset?}`; pageSize ≤ 100;
 *   `offset` is an opaque token from the previous page. Empty fields are left out of `fields` (an unchecked
 *   checkbox too).
 * - `POST /v0/{baseId}/{table}` with `{"fields": {…}}` (one record) or `{"records": [{"fields": …}]}` (at most 10);
 *   `PATCH …/{recordId}` with `{"fields": …}`, or `PATCH …` with `{"records": [{"id", "fields"}]}` (at most 10).
 *   JSON only. An unknown field name, a value of the wrong type, or a computed field is a 422.
 * - Errors: `{"error": {"type", "message"}}`; a record that is not there: 404 `{"error": "NOT_FOUND"}`.
 * - Rate limit (support.airtable.com, "Managing API call limits"): 5 requests per second per base; above it a 429
 *   `{"errors": [{"error": "RATE_LIMIT_REACHED", …}]}` without Retry-After, and every request to that base is refused
 *   for 30 seconds. Counted over any 1-second window, per account and base; {@link AirtablePersona.setRateLimit}
 *   shortens the block for tests (reset() restores 5 per second and 30 s).
 *
 * The table here: Name, Email, Phone (text), Status (single select: Lead, Customer, Churned), Score (number),
 * Active (checkbox), Notes (long text), Created (created time: computed).
 */
import type { Exchange } from '../exchange';
import { AccountTable, idOfToken, isObject, jsonBody, mediaType, methodNotAllowed, pageSize, tokenFor, type Persona, type PersonaRequest, type Row } from './common';

export interface AirtableRecord {
	id: string;
	createdTime: string;
	fields: Row;
}

type FieldType = 'text' | 'select' | 'number' | 'checkbox' | 'computed';
const FIELDS: Record<string, FieldType> = {
	Name: 'text',
	Email: 'text',
	Phone: 'text',
	Status: 'select',
	Score: 'number',
	Active: 'checkbox',
	Notes: 'text',
	Created: 'computed',
};
const SELECT_OPTIONS = ['Lead', 'Customer', 'Churned'];
export const AIRTABLE_MAX_RECORDS = 10;
export const AIRTABLE_BASE = 'appSandbox000001';
export const AIRTABLE_TABLE = 'Customers';

/** Airtable's documented limit: requests per second per base, and how long a base is refused after going over. */
export interface AirtableRateLimit {
	perSecond: number;
	blockMs: number;
}
export const AIRTABLE_RATE_LIMIT: AirtableRateLimit = { perSecond: 5, blockMs: 30_000 };

export class AirtablePersona implements Persona {
	readonly records = new AccountTable<AirtableRecord>();
	private sequence = 0;
	private rateLimit: AirtableRateLimit = { ...AIRTABLE_RATE_LIMIT };
	/** Arrival times (ms) of the last second's served requests, and the end of a block, per account and base. */
	private readonly arrivals = new Map<string, number[]>();
	private readonly blockedUntil = new Map<string, number>();
	/** Requests answered 429 because of the rate limit, since the last reset. */
	rateLimited = 0;

	reset(seed: boolean): void {
		this.records.clear();
		this.sequence = 0;
		this.rateLimit = { ...AIRTABLE_RATE_LIMIT };
		this.arrivals.clear();
		this.blockedUntil.clear();
		this.rateLimited = 0;
		if (seed) {
			this.insert('A10000001', { Name: 'Anna Peeters', Email: 'anna@shop.example', Status: 'Customer', Score: 7 });
			this.insert('A10000001', { Name: 'Bram Janssens', Email: 'bram@shop.example', Status: 'Lead', Score: 3 });
		}
	}

	/** Test setup: a record with these fields, created at `now`. */
	insert(account: string, fields: Row, now = new Date()): AirtableRecord {
		this.sequence++;
		const record: AirtableRecord = {
			id: `rec${String(this.sequence).padStart(6, '0')}Sandbx`,
			createdTime: now.toISOString(),
			fields: {},
		};
		setFields(record, fields);
		return this.records.add(account, record);
	}

	unauthorized(ex: Exchange, message: string): void {
		ex.sendJson(401, { error: { type: 'AUTHENTICATION_REQUIRED', message: `Authentication required: ${message}` } });
	}

	/** Test setup: another limit or block (e.g. a block of 300 ms instead of 30 s); `perSecond: 0` turns it off. */
	setRateLimit(limit: Partial<AirtableRateLimit>): void {
		this.rateLimit = { ...this.rateLimit, ...limit };
	}

	/** Whether this request goes over the base's rate limit (then it is answered 429 here). Real time, not the sandbox clock. */
	private overRateLimit({ ex, account, segments }: PersonaRequest): boolean {
		if (this.rateLimit.perSecond <= 0) return false;
		const base = `${account}\u0000${segments[1] ?? ''}`;
		const now = Date.now();
		const blocked = (this.blockedUntil.get(base) ?? 0) > now;
		// Requests served in the last second; a refused one does not count (it was not served).
		const recent = (this.arrivals.get(base) ?? []).filter((time) => now - time < 1000);
		this.arrivals.set(base, recent);
		if (!blocked && recent.length < this.rateLimit.perSecond) {
			recent.push(now);
			return false;
		}
		if (!blocked) this.blockedUntil.set(base, now + this.rateLimit.blockMs);
		this.rateLimited++;
		ex.sendJson(429, { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] });
		return true;
	}

	handle(request: PersonaRequest): void {
		const { ex, segments } = request;
		if (this.overRateLimit(request)) return;
		if (segments[0] !== 'v0' || segments[1] !== AIRTABLE_BASE || segments[2] !== AIRTABLE_TABLE || segments.length > 4) {
			return ex.sendJson(404, { error: { type: 'NOT_FOUND', message: 'Could not find what you are looking for' } });
		}
		if (segments.length === 3) {
			if (ex.method === 'GET') return this.list(request);
			if (ex.method === 'POST') return this.create(request);
			if (ex.method === 'PATCH') return this.updateMany(request);
			return methodNotAllowed(ex);
		}
		const record = this.records.find(request.account, segments[3]);
		if (!record) return ex.sendJson(404, { error: 'NOT_FOUND' });
		if (ex.method === 'GET') return ex.sendJson(200, render(record));
		if (ex.method === 'DELETE') {
			this.records.remove(request.account, record.id);
			return ex.sendJson(200, { id: record.id, deleted: true });
		}
		if (ex.method !== 'PATCH') return methodNotAllowed(ex);
		const body = this.readBody(ex);
		if (!body) return;
		if (!isObject(body.fields)) return missingFields(ex);
		const problem = check(body.fields);
		if (problem) return invalid(ex, problem);
		setFields(record, body.fields);
		ex.sendJson(200, render(record));
	}

	private list({ ex, account }: PersonaRequest): void {
		const size = pageSize(ex.params.get('pageSize'), 100, 100);
		const rows = this.records.rows(account);
		let start = 0;
		const offset = ex.params.get('offset');
		if (offset !== null) {
			const after = offset.startsWith('itr') ? idOfToken(offset.slice(3)) : undefined;
			const index = after === undefined ? -1 : rows.findIndex((row) => row.id === after);
			if (index < 0) return ex.sendJson(422, { error: { type: 'LIST_RECORDS_ITERATOR_NOT_AVAILABLE', message: 'The offset is not valid' } });
			start = index + 1;
		}
		const page = rows.slice(start, start + size);
		const body: Row = { records: page.map(render) };
		if (start + size < rows.length) body.offset = `itr${tokenFor(page[page.length - 1].id)}`;
		ex.sendJson(200, body);
	}

	private create({ ex, account, now }: PersonaRequest): void {
		const body = this.readBody(ex);
		if (!body) return;
		if (Array.isArray(body.records)) {
			const inputs = body.records;
			if (inputs.length > AIRTABLE_MAX_RECORDS) return tooMany(ex, inputs.length);
			for (const input of inputs) {
				if (!isObject(input) || !isObject(input.fields)) return missingFields(ex);
				const problem = check(input.fields);
				if (problem) return invalid(ex, problem);
			}
			const created = inputs.map((input) => render(this.insert(account, (input as Row).fields as Row, now)));
			return ex.sendJson(200, { records: created });
		}
		if (!isObject(body.fields)) return missingFields(ex);
		const problem = check(body.fields);
		if (problem) return invalid(ex, problem);
		ex.sendJson(200, render(this.insert(account, body.fields, now)));
	}

	private updateMany({ ex, account }: PersonaRequest): void {
		const body = this.readBody(ex);
		if (!body) return;
		if (!Array.isArray(body.records)) return ex.sendJson(422, { error: { type: 'INVALID_RECORDS', message: 'Could not find field "records" in the request body' } });
		if (body.records.length > AIRTABLE_MAX_RECORDS) return tooMany(ex, body.records.length);
		const targets: Array<[AirtableRecord, Row]> = [];
		for (const input of body.records) {
			if (!isObject(input) || !isObject(input.fields)) return missingFields(ex);
			const record = this.records.find(account, String(input.id));
			if (!record) return ex.sendJson(404, { error: { type: 'MODEL_ID_NOT_FOUND', message: `Record ID ${String(input.id)} does not exist in this table` } });
			const problem = check(input.fields);
			if (problem) return invalid(ex, problem);
			targets.push([record, input.fields]);
		}
		for (const [record, fields] of targets) setFields(record, fields);
		ex.sendJson(200, { records: targets.map(([record]) => render(record)) });
	}

	private readBody(ex: Exchange): Row | undefined {
		if (mediaType(ex) !== 'application/json') {
			ex.sendJson(415, { error: { type: 'INVALID_REQUEST_UNKNOWN', message: 'Invalid request: the body must be JSON (Content-Type: application/json)' } });
			return undefined;
		}
		const body = jsonBody(ex);
		if (!body.ok) {
			ex.sendJson(422, { error: { type: 'INVALID_REQUEST_BODY', message: `Could not parse request body: ${body.message}` } });
			return undefined;
		}
		return body.value;
	}
}

/** What is wrong with these fields, in Airtable's words, or undefined. */
function check(fields: Row): { type: string; message: string } | undefined {
	for (const [name, value] of Object.entries(fields)) {
		const type = FIELDS[name];
		if (type === undefined) return { type: 'UNKNOWN_FIELD_NAME', message: `Unknown field name: "${name}"` };
		if (type === 'computed') return { type: 'INVALID_VALUE_FOR_COLUMN', message: `Field "${name}" cannot accept a value because the field is computed` };
		if (value === null) continue;
		const wrong =
			(type === 'number' && typeof value !== 'number') ||
			(type === 'checkbox' && typeof value !== 'boolean') ||
			((type === 'text' || type === 'select') && typeof value !== 'string');
		if (wrong) return { type: 'INVALID_VALUE_FOR_COLUMN', message: `Field "${name}" cannot accept the provided value` };
		if (type === 'select' && value !== '' && !SELECT_OPTIONS.includes(value as string)) {
			return { type: 'INVALID_MULTIPLE_CHOICE_OPTIONS', message: `Insufficient permissions to create new select option ""${String(value)}""` };
		}
	}
	return undefined;
}

function setFields(record: AirtableRecord, fields: Row): void {
	for (const [name, value] of Object.entries(fields)) {
		if (value === null || value === '' || value === false) delete record.fields[name];
		else record.fields[name] = value;
	}
}

/** A record as the API shows it: empty fields left out; the computed Created filled in. */
function render(record: AirtableRecord): Row {
	return { id: record.id, createdTime: record.createdTime, fields: { ...record.fields, Created: record.createdTime } };
}

function invalid(ex: Exchange, problem: { type: string; message: string }): void {
	ex.sendJson(422, { error: problem });
}

function missingFields(ex: Exchange): void {
	ex.sendJson(422, { error: { type: 'INVALID_REQUEST_MISSING_FIELDS', message: 'Could not find field "fields" in the request body' } });
}

function tooMany(ex: Exchange, count: number): void {
	ex.sendJson(422, { error: { type: 'INVALID_RECORDS', message: `You can send at most ${AIRTABLE_MAX_RECORDS} records per request (got ${count})` } });
}
