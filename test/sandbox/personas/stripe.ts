/**
 * Stripe customers, as the public API reference describes them (docs.stripe.com/api/customers):
 * - `GET /v1/customers?limit=&starting_after=` → `{object: "list", url, has_more, data: [...]}`, newest first,
 *   limit 1–100 (default 10); `starting_after` is the ID of the last customer of the previous page.
 * - `POST /v1/customers` creates, `POST /v1/customers/{id}` updates; bodies are form-encoded with nested keys
 *   (`metadata[plan]=pro`, `address[city]=Gent`); a JSON body is refused. Metadata is merged key by key, an empty
 *   value removes a key. An unknown (or read-only) parameter is a 400 naming it.
 * - `Idempotency-Key` is honoured (docs.stripe.com/api/idempotent_requests; the sandbox's replay store, see
 *   server.ts): the same key with the same request is answered with the first response (`Idempotent-Replayed: true`);
 *   with other parameters it is a 400 of type `idempotency_error`. Keys are per caller.
 * - Errors: `{"error": {"type", "message", "param"?, "code"?}}`.
 */
import type { Exchange } from '../exchange';
import { AccountTable, isObject, mediaType, methodNotAllowed, nestedForm, type Persona, type PersonaRequest, type Row } from './common';

export interface StripeCustomer {
	id: string;
	object: 'customer';
	created: number;
	email: string | null;
	name: string | null;
	phone: string | null;
	description: string | null;
	address: Record<string, string | null> | null;
	metadata: Record<string, string>;
	balance: number;
	livemode: false;
	delinquent: false;
	currency: null;
	invoice_prefix: string;
}

const TEXT_PARAMS = ['email', 'name', 'phone', 'description'] as const;
const ADDRESS_PARAMS = ['line1', 'line2', 'city', 'state', 'postal_code', 'country'];

export class StripePersona implements Persona {
	readonly customers = new AccountTable<StripeCustomer>();
	private sequence = 0;

	reset(seed: boolean): void {
		this.customers.clear();
		this.sequence = 0;
		if (seed) {
			this.insert('A10000001', { email: 'anna@shop.example', name: 'Anna Peeters', metadata: { shop_id: 'WS-1', plan: 'basic' } });
			this.insert('A10000001', { email: 'bram@shop.example', name: 'Bram Janssens', metadata: { shop_id: 'WS-2', plan: 'pro' } });
		}
	}

	/** Test setup: a customer with these values, created at `now` (a later one is listed first). */
	insert(account: string, values: Partial<Pick<StripeCustomer, 'email' | 'name' | 'phone' | 'description' | 'metadata'>>, now = new Date()): StripeCustomer {
		this.sequence++;
		const customer: StripeCustomer = {
			id: `cus_${this.sequence.toString(36).padStart(6, '0')}Sbx${(this.sequence * 7919).toString(36)}`,
			object: 'customer',
			created: Math.floor(now.getTime() / 1000) + this.sequence,
			email: values.email ?? null,
			name: values.name ?? null,
			phone: values.phone ?? null,
			description: values.description ?? null,
			address: null,
			metadata: { ...(values.metadata ?? {}) },
			balance: 0,
			livemode: false,
			delinquent: false,
			currency: null,
			invoice_prefix: `SBX${this.sequence}`,
		};
		return this.customers.add(account, customer);
	}

	readonly idempotency = {
		mismatch(ex: Exchange, key: string): void {
			ex.sendJson(400, {
				error: {
					type: 'idempotency_error',
					message: `Keys for idempotent requests can only be used with the same parameters they were first used with. Try using a key other than '${key}' if you meant to execute a different request.`,
				},
			});
		},
	};

	unauthorized(ex: Exchange, message: string): void {
		fail(ex, 401, `Invalid API Key provided: ${message}`);
	}

	handle(request: PersonaRequest): void {
		const { ex, segments } = request;
		if (segments[0] !== 'v1' || segments[1] !== 'customers' || segments.length > 3) {
			return fail(ex, 404, `Unrecognized request URL (${ex.method}: ${ex.pathname}).`);
		}
		if (segments.length === 2 && ex.method === 'GET') return this.list(request);
		if (segments.length === 2 && ex.method === 'POST') return this.write(request, undefined);
		if (segments.length === 3) {
			const customer = this.customers.find(request.account, segments[2]);
			if (!customer) return fail(ex, 404, `No such customer: '${segments[2]}'`, 'id', 'resource_missing');
			if (ex.method === 'GET') return ex.sendJson(200, customer);
			if (ex.method === 'POST') return this.write(request, customer);
			if (ex.method === 'DELETE') {
				this.customers.remove(request.account, customer.id);
				return ex.sendJson(200, { id: customer.id, object: 'customer', deleted: true });
			}
		}
		methodNotAllowed(ex);
	}

	private list({ ex, account }: PersonaRequest): void {
		const rawLimit = ex.params.get('limit');
		const limit = rawLimit === null ? 10 : Number(rawLimit);
		if (!Number.isInteger(limit)) return fail(ex, 400, `Invalid integer: ${rawLimit}`, 'limit');
		if (limit < 1 || limit > 100) return fail(ex, 400, 'This value must be greater than or equal to 1 and less than or equal to 100.', 'limit');
		for (const name of ex.params.keys()) {
			if (!['limit', 'starting_after', 'ending_before', 'email', 'created'].includes(name)) return fail(ex, 400, `Received unknown parameter: ${name}`, name);
		}
		const newestFirst = [...this.customers.rows(account)].sort((a, b) => b.created - a.created);
		let start = 0;
		const after = ex.params.get('starting_after');
		if (after !== null) {
			const index = newestFirst.findIndex((customer) => customer.id === after);
			if (index < 0) return fail(ex, 400, `No such customer: '${after}'`, 'starting_after', 'resource_missing');
			start = index + 1;
		}
		const data = newestFirst.slice(start, start + limit);
		ex.sendJson(200, { object: 'list', url: '/v1/customers', has_more: start + limit < newestFirst.length, data });
	}

	private write({ ex, account, now }: PersonaRequest, existing: StripeCustomer | undefined): void {
		if (mediaType(ex) !== 'application/x-www-form-urlencoded') {
			return fail(
				ex,
				400,
				'Invalid request (check that your POST content type is application/x-www-form-urlencoded). If you have any questions, we can help at https://support.stripe.com/.',
			);
		}
		const params = nestedForm(ex.bodyText);
		for (const [name, value] of Object.entries(params)) {
			if ((TEXT_PARAMS as readonly string[]).includes(name)) {
				if (typeof value !== 'string') return fail(ex, 400, `Invalid string: ${JSON.stringify(value)}`, name);
			} else if (name === 'metadata') {
				if (!isObject(value) && value !== '') return fail(ex, 400, 'Invalid object', 'metadata');
				for (const [key, entry] of Object.entries(isObject(value) ? value : {})) {
					if (typeof entry !== 'string') return fail(ex, 400, 'Invalid object', `metadata[${key}]`);
					if (key.length > 40) return fail(ex, 400, 'Metadata keys can have a maximum length of 40 characters.', `metadata[${key}]`);
				}
			} else if (name === 'address') {
				if (!isObject(value) && value !== '') return fail(ex, 400, 'Invalid object', 'address');
				for (const key of Object.keys(isObject(value) ? value : {})) {
					if (!ADDRESS_PARAMS.includes(key)) return fail(ex, 400, `Received unknown parameter: address[${key}]`, `address[${key}]`);
				}
			} else if (name === 'balance') {
				if (!/^-?\d+$/.test(String(value))) return fail(ex, 400, `Invalid integer: ${String(value)}`, 'balance');
			} else {
				return fail(ex, 400, `Received unknown parameter: ${name}`, name);
			}
		}
		if (typeof params.email === 'string' && params.email !== '' && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(params.email)) {
			return fail(ex, 400, `Invalid email address: ${params.email}`, 'email', 'email_invalid');
		}
		const customer = existing ?? this.insert(account, {}, now);
		for (const name of TEXT_PARAMS) if (typeof params[name] === 'string') customer[name] = params[name] === '' ? null : (params[name] as string);
		if (params.balance !== undefined) customer.balance = Number(params.balance);
		if (params.metadata === '') customer.metadata = {};
		else if (isObject(params.metadata)) {
			for (const [key, value] of Object.entries(params.metadata)) {
				if (value === '') delete customer.metadata[key];
				else customer.metadata[key] = value as string;
			}
		}
		if (params.address === '') customer.address = null;
		else if (isObject(params.address)) {
			const address: Record<string, string | null> = customer.address ?? Object.fromEntries(ADDRESS_PARAMS.map((key) => [key, null]));
			for (const [key, value] of Object.entries(params.address)) address[key] = value === '' ? null : String(value);
			customer.address = address;
		}
		ex.sendJson(200, customer);
	}
}

function fail(ex: Exchange, status: number, message: string, param?: string, code?: string): void {
	const error: Row = { type: 'invalid_request_error', message };
	if (param) error.param = param;
	if (code) error.code = code;
	ex.sendJson(status, { error });
}
