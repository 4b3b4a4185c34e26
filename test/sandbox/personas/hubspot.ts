/**
 * HubSpot CRM v3 contacts, as the public docs describe them (developers.hubspot.com, CRM objects API):
 * - `GET /crm/v3/objects/contacts?limit=&after=&properties=a,b` → `{results: [{id, properties, createdAt, updatedAt,
 *   archived}], paging?: {next: {after, link}}}`; limit ≤ 100 (default 10); without `properties` only the default
 *   properties come back; `paging.next.link` carries only `after` (not limit or properties).
 * - Every property value is a string (numbers and booleans come back as text); `hs_object_id`, `createdate` and
 *   `lastmodifieddate` are read-only.
 * - Dates and times (developers.hubspot.com, "How should timestamps be formatted"): a datetime property (`closedate`)
 *   takes an ISO 8601 date-time or Unix milliseconds and is answered in ISO 8601 UTC, without milliseconds when they
 *   are zero (`2024-01-01T00:00:00Z`, `2019-10-30T03:30:17.883Z`); a date property (`contract_start`, a custom one)
 *   takes `YYYY-MM-DD` or the milliseconds of midnight UTC (any other time is a 400) and is answered `YYYY-MM-DD`.
 * - `POST …/contacts` and `PATCH …/contacts/{id}` take `{"properties": {…}}` as JSON; a property that does not exist,
 *   or a read-only one, is a 400; an e-mail already used is a 409 naming the existing ID.
 * - `POST …/batch/create` (`{inputs: [{properties, objectWriteTraceId?}]}`) and `…/batch/update`
 *   (`{inputs: [{id, properties}]}`), at most 100 inputs; results come back in no particular order (here: reversed),
 *   unknown IDs of an update are listed under `errors` (207 Multi-Status). A batch create with a unique
 *   `objectWriteTraceId` on every input is multi-status: the valid inputs are created, the refused ones listed under
 *   `errors` with `context.objectWriteTraceId` (207); without trace IDs one bad input refuses the whole batch (400).
 * - Errors: `{status: "error", message, correlationId, category}`.
 */
import type { Exchange } from '../exchange';
import { AccountTable, isObject, jsonBody, mediaType, methodNotAllowed, pageSize, type Persona, type PersonaRequest, type Row } from './common';

export interface HubSpotContact {
	id: string;
	properties: Record<string, string>;
	createdAt: string;
	updatedAt: string;
	archived: boolean;
}

const DATETIME = ['closedate'];
const DATE = ['contract_start'];
const WRITABLE = ['email', 'firstname', 'lastname', 'phone', 'company', 'website', 'city', 'jobtitle', 'lifecyclestage', 'shop_customer_id', ...DATETIME, ...DATE];
const READ_ONLY = ['hs_object_id', 'createdate', 'lastmodifieddate'];
const DEFAULT_PROPERTIES = ['email', 'firstname', 'lastname', ...READ_ONLY];
export const HUBSPOT_MAX_BATCH = 100;
const COLLECTION = ['crm', 'v3', 'objects', 'contacts'];

export class HubSpotPersona implements Persona {
	readonly contacts = new AccountTable<HubSpotContact>();
	private nextId = 5101;

	reset(seed: boolean): void {
		this.contacts.clear();
		this.nextId = 5101;
		if (seed) {
			this.insert('A10000001', { email: 'anna@shop.example', firstname: 'Anna', lastname: 'Peeters', shop_customer_id: 'WS-1' });
			this.insert('A10000001', { email: 'bram@shop.example', firstname: 'Bram', lastname: 'Janssens', shop_customer_id: 'WS-2' });
		}
	}

	/** Test setup: a contact with these properties (as strings), created at `now`. */
	insert(account: string, properties: Record<string, unknown>, now = new Date()): HubSpotContact {
		const id = String(this.nextId++);
		const stamp = now.toISOString();
		const contact: HubSpotContact = {
			id,
			properties: { ...asText(properties), hs_object_id: id, createdate: stamp, lastmodifieddate: stamp },
			createdAt: stamp,
			updatedAt: stamp,
			archived: false,
		};
		return this.contacts.add(account, contact);
	}

	unauthorized(ex: Exchange, message: string): void {
		fail(ex, 401, 'INVALID_AUTHENTICATION', `Authentication credentials not found or invalid: ${message}`);
	}

	handle(request: PersonaRequest): void {
		const { ex, segments } = request;
		const isCollection = segments.length >= 4 && COLLECTION.every((part, i) => segments[i] === part);
		if (!isCollection) return fail(ex, 404, 'OBJECT_NOT_FOUND', `Unable to route ${ex.method} ${ex.pathname}`);
		const rest = segments.slice(4);
		if (rest.length === 0 && ex.method === 'GET') return this.list(request);
		if (rest.length === 0 && ex.method === 'POST') return this.create(request);
		if (rest.length === 2 && rest[0] === 'batch' && ex.method === 'POST' && rest[1] === 'create') return this.batchCreate(request);
		if (rest.length === 2 && rest[0] === 'batch' && ex.method === 'POST' && rest[1] === 'update') return this.batchUpdate(request);
		if (rest.length === 1) return this.one(request, rest[0]);
		methodNotAllowed(ex);
	}

	private list({ ex, account, baseUrl }: PersonaRequest): void {
		const limit = pageSize(ex.params.get('limit'), 10, 100);
		const asked = (ex.params.get('properties') ?? '').split(',').map((p) => p.trim()).filter(Boolean);
		const shown = new Set([...DEFAULT_PROPERTIES, ...asked]);
		const rows = this.contacts.rows(account);
		const after = ex.params.get('after');
		let start = 0;
		if (after !== null) {
			start = rows.findIndex((row) => Number(row.id) >= Number(after));
			if (!/^\d+$/.test(after)) return fail(ex, 400, 'VALIDATION_ERROR', `Invalid after: ${after}`);
			if (start < 0) start = rows.length;
		}
		const page = rows.slice(start, start + limit);
		const body: Row = { results: page.map((row) => render(row, shown)) };
		const next = rows[start + limit];
		if (next) {
			body.paging = { next: { after: next.id, link: `${baseUrl}/crm/v3/objects/contacts?after=${next.id}` } };
		}
		ex.sendJson(200, body);
	}

	private create({ ex, account, now }: PersonaRequest): void {
		const input = this.readInput(ex, 'SimplePublicObjectInputForCreate');
		if (!input) return;
		const problem = this.validate(account, input, undefined);
		if (problem) return fail(ex, problem.status, problem.category, problem.message);
		ex.sendJson(201, render(this.insert(account, input, now)));
	}

	private one({ ex, account, now }: PersonaRequest, id: string): void {
		const contact = this.contacts.find(account, id);
		if (!contact) return fail(ex, 404, 'OBJECT_NOT_FOUND', 'resource not found');
		if (ex.method === 'GET') {
			const asked = (ex.params.get('properties') ?? '').split(',').filter(Boolean);
			return ex.sendJson(200, render(contact, new Set([...DEFAULT_PROPERTIES, ...asked])));
		}
		if (ex.method === 'DELETE') {
			this.contacts.remove(account, id);
			return ex.send(204, '', 'text/plain');
		}
		if (ex.method !== 'PATCH') return methodNotAllowed(ex);
		const input = this.readInput(ex, 'SimplePublicObjectInput');
		if (!input) return;
		const problem = this.validate(account, input, id);
		if (problem) return fail(ex, problem.status, problem.category, problem.message);
		applyUpdate(contact, input, now);
		ex.sendJson(200, render(contact));
	}

	private batchCreate(request: PersonaRequest): void {
		const { ex, account, now } = request;
		const inputs = this.readBatch(ex);
		if (!inputs) return;
		if (inputs.length > 0 && inputs.every((input) => typeof input.objectWriteTraceId === 'string' && input.objectWriteTraceId !== '')) {
			return this.batchCreateMultiStatus(request, inputs);
		}
		// Without a trace ID on every input, HubSpot checks a batch create as a whole: one bad input refuses every one.
		for (const input of inputs) {
			const properties = input.properties;
			if (!isObject(properties)) return fail(ex, 400, 'VALIDATION_ERROR', 'Invalid input JSON: every input needs properties');
			const problem = this.validate(account, properties, undefined, inputs);
			if (problem) return fail(ex, problem.status, problem.category, problem.message);
		}
		const results = inputs.map((input) => {
			const contact = render(this.insert(account, input.properties as Row, now));
			return input.objectWriteTraceId === undefined ? contact : { ...contact, objectWriteTraceId: input.objectWriteTraceId };
		});
		ex.sendJson(201, batchReply(results.reverse(), [], now));
	}

	/**
	 * Multi-status batch create (developers.hubspot.com, error handling): with a unique `objectWriteTraceId` on every
	 * input, the valid inputs are created and the others listed under `errors`, each with
	 * `context.objectWriteTraceId`; 207 when some failed, 201 when none did.
	 */
	private batchCreateMultiStatus({ ex, account, now }: PersonaRequest, inputs: Row[]): void {
		const traceIds = inputs.map((input) => String(input.objectWriteTraceId));
		if (new Set(traceIds).size !== traceIds.length) return fail(ex, 400, 'VALIDATION_ERROR', 'Invalid input JSON: objectWriteTraceId values must be unique');
		const results: Row[] = [];
		const errors: Row[] = [];
		for (const input of inputs) {
			const traceId = String(input.objectWriteTraceId);
			const properties = input.properties;
			const problem = isObject(properties)
				? this.validate(account, properties, undefined, inputs)
				: { status: 400, category: 'VALIDATION_ERROR', message: 'Invalid input JSON: every input needs properties' };
			if (problem) {
				errors.push({ status: 'error', category: problem.category, message: problem.message, context: { objectWriteTraceId: [traceId] } });
				continue;
			}
			results.push({ ...render(this.insert(account, properties as Row, now)), objectWriteTraceId: traceId });
		}
		ex.sendJson(errors.length ? 207 : 201, batchReply(results.reverse(), errors, now));
	}

	private batchUpdate({ ex, account, now }: PersonaRequest): void {
		const inputs = this.readBatch(ex);
		if (!inputs) return;
		const missing: string[] = [];
		for (const input of inputs) {
			if (!isObject(input.properties) || input.id === undefined) {
				return fail(ex, 400, 'VALIDATION_ERROR', 'Invalid input JSON: every input needs an id and properties');
			}
			if (!this.contacts.find(account, String(input.id))) {
				missing.push(String(input.id));
				continue;
			}
			const problem = this.validate(account, input.properties, String(input.id));
			if (problem) return fail(ex, problem.status, problem.category, problem.message);
		}
		const results: Row[] = [];
		for (const input of inputs) {
			const contact = this.contacts.find(account, String(input.id));
			if (!contact) continue;
			applyUpdate(contact, input.properties as Row, now);
			results.push(render(contact));
		}
		const errors = missing.length
			? [
					{
						status: 'error',
						category: 'OBJECT_NOT_FOUND',
						message: 'Could not get some CONTACT objects, they may be deleted or not exist. Check that ids are valid.',
						context: { ids: missing },
					},
				]
			: [];
		ex.sendJson(errors.length ? 207 : 200, batchReply(results.reverse(), errors, now));
	}

	private readBatch(ex: Exchange): Row[] | undefined {
		if (!mediaType(ex).startsWith('application/json')) {
			fail(ex, 415, 'VALIDATION_ERROR', `Content type '${ex.header('content-type') ?? ''}' not supported`);
			return undefined;
		}
		const body = jsonBody(ex);
		if (!body.ok) {
			fail(ex, 400, 'VALIDATION_ERROR', `Invalid input JSON: ${body.message}`);
			return undefined;
		}
		const inputs = body.value.inputs;
		if (!Array.isArray(inputs) || !inputs.every(isObject)) {
			fail(ex, 400, 'VALIDATION_ERROR', 'Invalid input JSON: inputs must be a list of objects');
			return undefined;
		}
		if (inputs.length > HUBSPOT_MAX_BATCH) {
			fail(ex, 400, 'VALIDATION_ERROR', `Batch size ${inputs.length} is larger than the limit of ${HUBSPOT_MAX_BATCH}`);
			return undefined;
		}
		return inputs;
	}

	/** The `properties` of a single create or update, or undefined after answering the error. */
	private readInput(ex: Exchange, type: string): Row | undefined {
		if (!mediaType(ex).startsWith('application/json')) {
			fail(ex, 415, 'VALIDATION_ERROR', `Content type '${ex.header('content-type') ?? ''}' not supported`);
			return undefined;
		}
		const body = jsonBody(ex);
		if (!body.ok) {
			fail(ex, 400, 'VALIDATION_ERROR', `Invalid input JSON: ${body.message}`);
			return undefined;
		}
		if (!isObject(body.value.properties)) {
			fail(ex, 400, 'VALIDATION_ERROR', `Invalid input JSON: Cannot build ${type}, some of required attributes are not set [properties]`);
			return undefined;
		}
		return body.value.properties;
	}

	private validate(
		account: string,
		properties: Row,
		ownId: string | undefined,
		batch: Row[] = [],
	): { status: number; category: string; message: string } | undefined {
		const invalid: string[] = [];
		for (const name of Object.keys(properties)) {
			if (READ_ONLY.includes(name)) invalid.push(`{"isValid":false,"message":"\\"${name}\\" is a read only property; its value cannot be set.","error":"READ_ONLY_VALUE","name":"${name}"}`);
			else if (!WRITABLE.includes(name)) invalid.push(`{"isValid":false,"message":"Property \\"${name}\\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"${name}"}`);
		}
		for (const [name, value] of Object.entries(properties)) {
			if (!DATETIME.includes(name) && !DATE.includes(name)) continue;
			const problem = timeValue(name, value).error;
			if (problem) invalid.push(`{"isValid":false,"message":${JSON.stringify(problem)},"error":"INVALID_DATE","name":"${name}"}`);
		}
		const email = properties.email;
		if (typeof email === 'string' && email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
			invalid.push(`{"isValid":false,"message":"Email address ${email} is invalid","error":"INVALID_EMAIL","name":"email"}`);
		}
		if (invalid.length) return { status: 400, category: 'VALIDATION_ERROR', message: `Property values were not valid: [${invalid.join(',')}]` };
		if (typeof email === 'string' && email !== '') {
			const taken = this.contacts.rows(account).find((row) => row.id !== ownId && row.properties.email?.toLowerCase() === email.toLowerCase());
			if (taken) return { status: 409, category: 'CONFLICT', message: `Contact already exists. Existing ID: ${taken.id}` };
			const twice = batch.filter((input) => isObject(input.properties) && String(input.properties.email ?? '').toLowerCase() === email.toLowerCase());
			if (twice.length > 1) return { status: 400, category: 'VALIDATION_ERROR', message: `Duplicate email in batch: ${email}` };
		}
		return undefined;
	}
}

function asText(properties: Row): Record<string, string> {
	const text: Record<string, string> = {};
	for (const [name, value] of Object.entries(properties)) {
		text[name] = value === null || value === undefined ? '' : (timeValue(name, value).text ?? String(value));
	}
	return text;
}

/**
 * A date or datetime property's value as HubSpot answers it, or why it is refused. Datetime: ISO 8601 or Unix
 * milliseconds, answered as ISO 8601 UTC (Java's Instant: `…:00Z`, `….883Z`). Date: `YYYY-MM-DD` or the
 * milliseconds of a midnight UTC, answered `YYYY-MM-DD`. Other properties: no change (`text` undefined).
 */
function timeValue(name: string, value: unknown): { text?: string; error?: string } {
	const isDate = DATE.includes(name);
	if ((!isDate && !DATETIME.includes(name)) || value === null || value === undefined || value === '') return {};
	const raw = String(value).trim();
	let ms: number;
	if (/^\d+$/.test(raw)) ms = Number(raw);
	else if (isDate && /^\d{4}-\d{2}-\d{2}$/.test(raw)) ms = Date.parse(`${raw}T00:00:00Z`);
	else if (!isDate && /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2}))?$/i.test(raw)) ms = Date.parse(raw);
	else return { error: `${raw} is not a valid ${isDate ? 'date' : 'datetime'}: use ${isDate ? 'YYYY-MM-DD' : 'an ISO 8601 date-time'} or a Unix timestamp in milliseconds` };
	if (!Number.isFinite(ms)) return { error: `${raw} is not a valid ${isDate ? 'date' : 'datetime'}` };
	const iso = new Date(ms).toISOString();
	if (isDate) {
		if (!iso.endsWith('T00:00:00.000Z')) return { error: `${raw} is not midnight UTC: a date property takes the date only` };
		return { text: iso.slice(0, 10) };
	}
	return { text: iso.replace('.000Z', 'Z') };
}

function applyUpdate(contact: HubSpotContact, properties: Row, now: Date): void {
	const stamp = now.toISOString();
	Object.assign(contact.properties, asText(properties), { lastmodifieddate: stamp });
	contact.updatedAt = stamp;
}

/** A contact as the API shows it: only the properties asked for (all of them when `shown` is absent), never empty ones. */
function render(contact: HubSpotContact, shown?: ReadonlySet<string>): Row {
	const properties: Record<string, string | null> = {};
	for (const [name, value] of Object.entries(contact.properties)) {
		if (shown && !shown.has(name)) continue;
		properties[name] = value === '' ? null : value;
	}
	for (const name of shown ?? []) if (!(name in properties) && (WRITABLE.includes(name) || READ_ONLY.includes(name))) properties[name] = null;
	return { id: contact.id, properties, createdAt: contact.createdAt, updatedAt: contact.updatedAt, archived: contact.archived };
}

function batchReply(results: Row[], errors: Row[], now: Date): Row {
	const stamp = now.toISOString();
	const reply: Row = { status: 'COMPLETE', results, requestedAt: stamp, startedAt: stamp, completedAt: stamp };
	if (errors.length) Object.assign(reply, { numErrors: errors.length, errors });
	return reply;
}

function fail(ex: Exchange, status: number, category: string, message: string): void {
	ex.sendJson(status, { status: 'error', message, correlationId: 'c0ffee00-0000-4000-8000-000000000000', category });
}
