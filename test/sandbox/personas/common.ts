/**
 * What the API personas share: authentication (the sandbox's own identities and account rules), a record table per
 * account, body parsing (JSON, and forms with nested keys as Stripe reads them) and content-type checks.
 */
import { authenticate, authenticateApiKey, chooseAccount, type AuthContext } from '../auth';
import type { Exchange } from '../exchange';

/** Everything a persona request needs. */
export interface PersonaRequest {
	ex: Exchange;
	account: string;
	/** Path segments after the persona's prefix, e.g. ['crm', 'v3', 'objects', 'contacts']. */
	segments: string[];
	/** The persona's base URL as a client sees it, e.g. http://127.0.0.1:8787/api/v1/personas/hubspot. */
	baseUrl: string;
	now: Date;
}

/** One API persona: its routes, its records, and how it says "unauthorized". */
export interface Persona {
	reset(seed: boolean): void;
	handle(request: PersonaRequest): void;
	/** Sends this persona's own 401 (each API words it differently). */
	unauthorized(ex: Exchange, message: string): void;
	/** A header carrying an API key the way this API wants it (Shopify: X-Shopify-Access-Token). */
	keyHeader?: string;
	/**
	 * The API honours `Idempotency-Key` (Stripe): the sandbox's replay store answers a repeated request, and this sends
	 * the API's own error for a key reused with other parameters. Absent: the header is ignored, as the API does.
	 */
	idempotency?: { mismatch(ex: Exchange, key: string): void };
}

export type Row = Record<string, unknown>;

/** Records per account, in insertion order. */
export class AccountTable<T extends { id: string | number }> {
	private readonly byAccount = new Map<string, T[]>();

	rows(account: string): T[] {
		let rows = this.byAccount.get(account);
		if (!rows) this.byAccount.set(account, (rows = []));
		return rows;
	}

	find(account: string, id: string): T | undefined {
		return this.rows(account).find((row) => String(row.id) === id);
	}

	add(account: string, row: T): T {
		this.rows(account).push(row);
		return row;
	}

	remove(account: string, id: string): boolean {
		const rows = this.rows(account);
		const index = rows.findIndex((row) => String(row.id) === id);
		if (index < 0) return false;
		rows.splice(index, 1);
		return true;
	}

	clear(): void {
		this.byAccount.clear();
	}
}

export type AuthOutcome = { ok: true; account: string } | { ok: false; status: 401 | 403; message: string };

/** The sandbox's authentication (Basic, API key, Bearer/OAuth2, HMAC) and `X-AccountId` rules, plus an API's own key header. */
export function authenticatePersona(ex: Exchange, ctx: AuthContext, keyHeader?: string): AuthOutcome {
	const ownKey = keyHeader ? ex.header(keyHeader) : undefined;
	const auth = ownKey !== undefined ? authenticateApiKey(ownKey, ctx) : authenticate(ex, ctx);
	if (!auth.ok) return { ok: false, status: 401, message: auth.message };
	const chosen = chooseAccount(auth.principal, ex.header('x-accountid'));
	if (!chosen.ok) return { ok: false, status: 403, message: chosen.message };
	ex.auth = { scheme: auth.principal.scheme, principal: auth.principal.label, account: chosen.account };
	return { ok: true, account: chosen.account };
}

/** The media type of the request body, lower case, without parameters. */
export function mediaType(ex: Exchange): string {
	return (ex.header('content-type') ?? '').split(';')[0].trim().toLowerCase();
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function isObject(value: unknown): value is Row {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The body as a JSON object. */
export function jsonBody(ex: Exchange): Parsed<Row> {
	const text = ex.bodyText;
	if (text.trim() === '') return { ok: false, message: 'the request body is empty' };
	try {
		const value: unknown = JSON.parse(text);
		return isObject(value) ? { ok: true, value } : { ok: false, message: 'the body must be a JSON object' };
	} catch {
		return { ok: false, message: 'the body is not valid JSON' };
	}
}

/**
 * A form body with nested keys, as Stripe reads it: `metadata[plan]=pro&tags[0]=a` → `{metadata: {plan: 'pro'},
 * tags: ['a']}`. Keys in brackets may be percent-encoded (`metadata%5Bplan%5D`).
 */
export function nestedForm(text: string): Row {
	const root: Row = {};
	for (const [key, value] of new URLSearchParams(text)) {
		const match = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
		const path = match ? [match[1], ...[...match[2].matchAll(/\[([^[\]]*)\]/g)].map((m) => m[1])] : [key];
		let target: Row = root;
		path.forEach((part, i) => {
			if (i === path.length - 1) target[part] = value;
			else {
				if (!isObject(target[part])) target[part] = {};
				target = target[part] as Row;
			}
		});
	}
	return listsFromIndexes(root) as Row;
}

/** `{0: 'a', 1: 'b'}` → `['a', 'b']`, recursively. */
function listsFromIndexes(value: unknown): unknown {
	if (!isObject(value)) return value;
	const keys = Object.keys(value);
	if (keys.length > 0 && keys.every((key, i) => key === String(i))) return keys.map((key) => listsFromIndexes(value[key]));
	return Object.fromEntries(keys.map((key) => [key, listsFromIndexes(value[key])]));
}

/** A page-size parameter: the number asked, capped at `max`, or `fallback` when absent or not a positive integer. */
export function pageSize(raw: string | null, fallback: number, max: number): number {
	const asked = Number(raw);
	if (raw === null || !Number.isInteger(asked) || asked < 1) return fallback;
	return Math.min(asked, max);
}

/** An opaque token for a position in a listing: base64url of the last id read. */
export function tokenFor(id: string | number): string {
	return Buffer.from(`after:${String(id)}`).toString('base64url');
}

/** The id a token stands for, or undefined for a token this persona never gave out. */
export function idOfToken(token: string): string | undefined {
	const text = Buffer.from(token, 'base64url').toString('utf8');
	return text.startsWith('after:') ? text.slice('after:'.length) : undefined;
}

export function methodNotAllowed(ex: Exchange): void {
	ex.sendJson(405, { message: `method ${ex.method} not allowed on ${ex.pathname}` });
}
