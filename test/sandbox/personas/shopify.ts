/**
 * Shopify Admin REST customers, as the public docs describe them (shopify.dev, REST Admin API, Customer):
 * - `GET /admin/api/2025-01/customers.json?limit=` (≤ 250, default 50) → `{customers: [...]}`, by ID; the next page
 *   is in the `Link` header: `<…/customers.json?limit=50&page_info=…>; rel="next"`. A request with `page_info` may
 *   carry only `limit` and `fields` besides it.
 * - `POST /customers.json` with `{"customer": {…}}` → 201 `{"customer": …}`; `PUT /customers/{id}.json` with
 *   `{"customer": {…}}` changes only the attributes sent → 200 `{"customer": …}`; `GET`/`DELETE /customers/{id}.json`.
 *   JSON only. A body without the `customer` wrapper is a 400 `{"errors": {"customer": "Required parameter missing
 *   or invalid"}}`; an e-mail or phone already used is a 422 `{"errors": {"email": ["has already been taken"]}}`.
 *   Read-only attributes (`created_at`, `orders_count`, …) in a body are ignored, as are unknown ones.
 * - `phone` is stored and answered in E.164 (`+16135551212`), whatever format it was written in (the docs list
 *   6135551212, +16135551212, (613)555-1212 and +1 613-555-1212 as valid); a national number is taken as the shop's
 *   country (here North America, +1); a number that cannot be dialled is a 422 `{"errors": {"phone": ["is invalid"]}}`.
 * - Authentication: `X-Shopify-Access-Token` (the sandbox's API keys), or any sandbox credential.
 * - Errors: `{"errors": "…"}` or `{"errors": {field: [messages]}}`; 404 `{"errors": "Not Found"}`.
 */
import type { Exchange } from '../exchange';
import { AccountTable, idOfToken, isObject, jsonBody, mediaType, methodNotAllowed, pageSize, tokenFor, type Persona, type PersonaRequest, type Row } from './common';

export interface ShopifyCustomer {
	id: number;
	email: string | null;
	first_name: string | null;
	last_name: string | null;
	phone: string | null;
	note: string | null;
	tags: string;
	tax_exempt: boolean;
	verified_email: boolean;
	state: string;
	orders_count: number;
	total_spent: string;
	currency: string;
	created_at: string;
	updated_at: string;
	admin_graphql_api_id: string;
	addresses: Row[];
}

export const SHOPIFY_API_PREFIX = ['admin', 'api', '2025-01'];
const WRITABLE_TEXT = ['email', 'first_name', 'last_name', 'phone', 'note', 'tags'] as const;
const WRITABLE_FLAGS = ['tax_exempt', 'verified_email'] as const;

export class ShopifyPersona implements Persona {
	readonly keyHeader = 'x-shopify-access-token';
	readonly customers = new AccountTable<ShopifyCustomer>();
	private nextId = 7_100_000_001;

	reset(seed: boolean): void {
		this.customers.clear();
		this.nextId = 7_100_000_001;
		if (seed) {
			this.insert('A10000001', { email: 'anna@shop.example', first_name: 'Anna', last_name: 'Peeters', tags: 'WS-1' });
			this.insert('A10000001', { email: 'bram@shop.example', first_name: 'Bram', last_name: 'Janssens', tags: 'WS-2' });
		}
	}

	/** Test setup: a customer with these attributes, created at `now`. */
	insert(account: string, values: Row, now = new Date()): ShopifyCustomer {
		const id = this.nextId++;
		const stamp = now.toISOString().replace(/\.\d{3}Z$/, '+00:00');
		const customer: ShopifyCustomer = {
			id,
			email: null,
			first_name: null,
			last_name: null,
			phone: null,
			note: null,
			tags: '',
			tax_exempt: false,
			verified_email: true,
			state: 'disabled',
			orders_count: 0,
			total_spent: '0.00',
			currency: 'EUR',
			created_at: stamp,
			updated_at: stamp,
			admin_graphql_api_id: `gid://shopify/Customer/${id}`,
			addresses: [],
		};
		assign(customer, values, now);
		return this.customers.add(account, customer);
	}

	unauthorized(ex: Exchange, message: string): void {
		ex.sendJson(401, { errors: `[API] Invalid API key or access token (unrecognized login or wrong password): ${message}` });
	}

	handle(request: PersonaRequest): void {
		const { ex } = request;
		const segments = request.segments;
		if (!SHOPIFY_API_PREFIX.every((part, i) => segments[i] === part)) return notFound(ex);
		const rest = segments.slice(SHOPIFY_API_PREFIX.length);
		if (rest.length === 1 && rest[0] === 'customers.json') {
			if (ex.method === 'GET') return this.list(request);
			if (ex.method === 'POST') return this.create(request);
			return methodNotAllowed(ex);
		}
		const record = rest.length === 2 && rest[0] === 'customers' ? /^(\d+)\.json$/.exec(rest[1]) : null;
		if (!record) return notFound(ex);
		const customer = this.customers.find(request.account, record[1]);
		if (!customer) return notFound(ex);
		if (ex.method === 'GET') return ex.sendJson(200, { customer });
		if (ex.method === 'DELETE') {
			this.customers.remove(request.account, record[1]);
			return ex.sendJson(200, {});
		}
		if (ex.method !== 'PUT') return methodNotAllowed(ex);
		const input = readCustomer(ex);
		if (!input) return;
		if (input.id !== undefined && String(input.id) !== String(customer.id)) {
			return ex.sendJson(400, { errors: { id: ['does not match the customer in the URL'] } });
		}
		if (this.rejectTaken(ex, request.account, input, customer.id)) return;
		assign(customer, input, request.now);
		ex.sendJson(200, { customer });
	}

	private list({ ex, account, baseUrl }: PersonaRequest): void {
		const limit = pageSize(ex.params.get('limit'), 50, 250);
		const pageInfo = ex.params.get('page_info');
		const rows = this.customers.rows(account);
		let start = 0;
		if (pageInfo !== null) {
			const extra = [...ex.params.keys()].filter((name) => !['page_info', 'limit', 'fields'].includes(name));
			if (extra.length) return ex.sendJson(400, { errors: `page_info: ${extra.join(', ')} may not be sent with page_info` });
			const after = idOfToken(pageInfo);
			const index = after === undefined ? -1 : rows.findIndex((row) => String(row.id) === after);
			if (index < 0) return ex.sendJson(400, { errors: { page_info: ['Invalid value.'] } });
			start = index + 1;
		}
		const page = rows.slice(start, start + limit);
		const headers: Record<string, string> = {};
		const links: string[] = [];
		if (start + limit < rows.length) {
			links.push(`<${baseUrl}/admin/api/2025-01/customers.json?limit=${limit}&page_info=${tokenFor(page[page.length - 1].id)}>; rel="next"`);
		}
		if (start > 0) links.unshift(`<${baseUrl}/admin/api/2025-01/customers.json?limit=${limit}&page_info=${tokenFor(rows[Math.max(0, start - limit - 1)].id)}>; rel="previous"`);
		if (links.length) headers.Link = links.join(', ');
		ex.sendJson(200, { customers: page }, headers);
	}

	private create({ ex, account, now }: PersonaRequest): void {
		const input = readCustomer(ex);
		if (!input) return;
		if (typeof input.email === 'string' && input.email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(input.email)) {
			return ex.sendJson(422, { errors: { email: ['is invalid'] } });
		}
		if (this.rejectTaken(ex, account, input, undefined)) return;
		ex.sendJson(201, { customer: this.insert(account, input, now) });
	}

	private rejectTaken(ex: Exchange, account: string, input: Row, ownId: number | undefined): boolean {
		const errors: Record<string, string[]> = {};
		if (typeof input.phone === 'string' && input.phone.trim() !== '' && e164(input.phone) === undefined) {
			ex.sendJson(422, { errors: { phone: ['is invalid'] } });
			return true;
		}
		for (const field of ['email', 'phone'] as const) {
			const raw = input[field];
			if (typeof raw !== 'string' || raw === '') continue;
			const value = field === 'phone' ? (e164(raw) ?? raw) : raw;
			if (this.customers.rows(account).some((row) => row.id !== ownId && row[field]?.toLowerCase() === value.toLowerCase())) {
				errors[field] = ['has already been taken'];
			}
		}
		if (Object.keys(errors).length === 0) return false;
		ex.sendJson(422, { errors });
		return true;
	}
}

/** The `customer` object of a write, or undefined after answering the error. */
function readCustomer(ex: Exchange): Row | undefined {
	if (!mediaType(ex).startsWith('application/json')) {
		ex.sendJson(415, { errors: 'Unsupported Media Type: send JSON (Content-Type: application/json)' });
		return undefined;
	}
	const body = jsonBody(ex);
	if (!body.ok || !isObject(body.value.customer)) {
		ex.sendJson(400, { errors: { customer: 'Required parameter missing or invalid' } });
		return undefined;
	}
	return body.value.customer;
}

function assign(customer: ShopifyCustomer, values: Row, now: Date): void {
	for (const field of WRITABLE_TEXT) {
		if (!(field in values)) continue;
		const value = values[field];
		if (field === 'tags') customer.tags = value === null || value === undefined ? '' : String(value);
		else if (field === 'phone' && value !== null && value !== '') customer.phone = e164(String(value)) ?? String(value);
		else customer[field] = value === null || value === '' ? null : String(value);
	}
	for (const flag of WRITABLE_FLAGS) if (flag in values) customer[flag] = values[flag] === true || values[flag] === 'true';
	if (Array.isArray(values.addresses)) customer.addresses = values.addresses.filter(isObject);
	customer.updated_at = now.toISOString().replace(/\.\d{3}Z$/, '+00:00');
}

/**
 * A phone number in E.164, as Shopify stores it: `+1 613-555-1212`, `(613)555-1212`, `6135551212` → `+16135551212`.
 * A number without a country code is taken as North American (the sandbox shop's country). Undefined: not a number
 * that can be dialled from anywhere.
 */
export function e164(phone: string): string | undefined {
	const text = phone.trim();
	if (!/^\+?[\d\s().-]+$/.test(text)) return undefined;
	const digits = text.replace(/\D/g, '');
	if (text.startsWith('+')) return digits.length >= 8 && digits.length <= 15 && !digits.startsWith('0') ? `+${digits}` : undefined;
	if (digits.length === 10 && !/^[01]/.test(digits)) return `+1${digits}`;
	if (digits.length === 11 && digits.startsWith('1')) return `+${digits}`;
	return undefined;
}

function notFound(ex: Exchange): void {
	ex.sendJson(404, { errors: 'Not Found' });
}
