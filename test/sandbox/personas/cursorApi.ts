/**
 * A flat JSON API that pages with a body cursor, as many newer APIs do (Slack, Notion, Intercom style):
 * - `GET /contacts?limit=&cursor=` (limit ≤ 100, default 20) → `{data: [...], next_cursor: "…" | null, has_more}`.
 * - `POST /contacts` and `PATCH /contacts/{id}` take the fields themselves as JSON; `id`, `created_at` and
 *   `updated_at` are read-only and an unknown field is refused (400).
 * - Errors: `{"error": {"code", "message"}}`.
 */
import type { Exchange } from '../exchange';
import { AccountTable, idOfToken, jsonBody, mediaType, methodNotAllowed, pageSize, tokenFor, type Persona, type PersonaRequest, type Row } from './common';

export interface CursorContact {
	id: string;
	email: string;
	name: string | null;
	plan: string | null;
	seats: number | null;
	active: boolean;
	created_at: string;
	updated_at: string;
}

const WRITABLE: Record<string, 'string' | 'number' | 'boolean'> = { email: 'string', name: 'string', plan: 'string', seats: 'number', active: 'boolean' };

export class CursorApiPersona implements Persona {
	readonly contacts = new AccountTable<CursorContact>();
	private nextId = 1;

	reset(seed: boolean): void {
		this.contacts.clear();
		this.nextId = 1;
		if (seed) {
			this.insert('A10000001', { email: 'anna@shop.example', name: 'Anna Peeters', plan: 'basic', seats: 1, active: true });
			this.insert('A10000001', { email: 'bram@shop.example', name: 'Bram Janssens', plan: 'pro', seats: 5, active: true });
		}
	}

	/** Test setup: a contact with these fields, created at `now`. */
	insert(account: string, values: Row, now = new Date()): CursorContact {
		const stamp = now.toISOString();
		const contact: CursorContact = {
			id: `ct_${String(this.nextId++).padStart(5, '0')}`,
			email: String(values.email ?? ''),
			name: null,
			plan: null,
			seats: null,
			active: false,
			created_at: stamp,
			updated_at: stamp,
		};
		Object.assign(contact, values);
		return this.contacts.add(account, contact);
	}

	unauthorized(ex: Exchange, message: string): void {
		fail(ex, 401, 'unauthorized', message);
	}

	handle(request: PersonaRequest): void {
		const { ex, segments, account } = request;
		if (segments[0] !== 'contacts' || segments.length > 2) return fail(ex, 404, 'not_found', `no route for ${ex.pathname}`);
		if (segments.length === 1) {
			if (ex.method === 'GET') return this.list(request);
			if (ex.method !== 'POST') return methodNotAllowed(ex);
			const fields = readFields(ex);
			if (!fields) return;
			if (typeof fields.email !== 'string' || fields.email === '') return fail(ex, 400, 'invalid_request', 'email is required');
			if (this.contacts.rows(account).some((row) => row.email.toLowerCase() === String(fields.email).toLowerCase())) {
				return fail(ex, 409, 'conflict', `a contact with email ${String(fields.email)} exists`);
			}
			return ex.sendJson(201, this.insert(account, fields, request.now));
		}
		const contact = this.contacts.find(account, segments[1]);
		if (!contact) return fail(ex, 404, 'not_found', `contact ${segments[1]} not found`);
		if (ex.method === 'GET') return ex.sendJson(200, contact);
		if (ex.method === 'DELETE') {
			this.contacts.remove(account, contact.id);
			return ex.sendJson(200, { id: contact.id, deleted: true });
		}
		if (ex.method !== 'PATCH') return methodNotAllowed(ex);
		const fields = readFields(ex);
		if (!fields) return;
		Object.assign(contact, fields, { updated_at: request.now.toISOString() });
		ex.sendJson(200, contact);
	}

	private list({ ex, account }: PersonaRequest): void {
		const limit = pageSize(ex.params.get('limit'), 20, 100);
		const rows = this.contacts.rows(account);
		let start = 0;
		const cursor = ex.params.get('cursor');
		if (cursor !== null) {
			const after = idOfToken(cursor);
			const index = after === undefined ? -1 : rows.findIndex((row) => row.id === after);
			if (index < 0) return fail(ex, 400, 'invalid_cursor', `cursor ${cursor} is not valid`);
			start = index + 1;
		}
		const data = rows.slice(start, start + limit);
		const hasMore = start + limit < rows.length;
		ex.sendJson(200, { data, next_cursor: hasMore ? tokenFor(data[data.length - 1].id) : null, has_more: hasMore });
	}
}

function readFields(ex: Exchange): Row | undefined {
	if (!mediaType(ex).startsWith('application/json')) return void fail(ex, 415, 'unsupported_media_type', 'send JSON');
	const body = jsonBody(ex);
	if (!body.ok) return void fail(ex, 400, 'invalid_json', body.message);
	for (const [name, value] of Object.entries(body.value)) {
		if (['id', 'created_at', 'updated_at'].includes(name)) return void fail(ex, 400, 'read_only_field', `${name} is read-only`);
		const type = WRITABLE[name];
		if (!type) return void fail(ex, 400, 'unknown_field', `unknown field: ${name}`);
		if (value !== null && typeof value !== type) return void fail(ex, 400, 'invalid_value', `${name} must be a ${type}`);
	}
	return body.value;
}

function fail(ex: Exchange, status: number, code: string, message: string): void {
	ex.sendJson(status, { error: { code, message } });
}
