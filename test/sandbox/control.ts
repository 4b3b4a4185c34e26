/**
 * The `/__sandbox` control API, for processes other than the test process (npm start, the benchmark).
 * Always JSON, never authenticated, faulted or logged.
 */
import type { ApiKeyInfo } from './apikeys';
import { DOMAIN_NAMES, type DomainName, type SandboxRecord } from './domains';
import type { Exchange } from './exchange';
import type { HmacVerifyConfig, RequestLogEntry, SandboxFaults, SandboxListing, ScriptedChange, ScriptedFault } from './types';

export const CONTROL_PREFIX = '/__sandbox';

/** What the control API can operate on. */
export interface ControlTarget {
	log: RequestLogEntry[];
	reset(): void;
	clearLog(): void;
	setFaults(faults: SandboxFaults): void;
	setListing(listing: SandboxListing): void;
	setHmacConfig(config: Partial<HmacVerifyConfig>): void;
	setClock(now: () => Date): void;
	expireOAuthTokens(): void;
	revokeOAuthGrants(): void;
	setOAuthConsent(mode: 'auto' | 'page'): void;
	listRecords(account: string, domain: DomainName): SandboxRecord[];
	issuedApiKeys(account?: string): ApiKeyInfo[];
}

type Handler = (ex: Exchange, target: ControlTarget, body: unknown) => void;

const ROUTES: Record<string, Handler> = {
	'GET /health': (ex) => ex.sendJson(200, { ok: true }),
	'POST /reset': (ex, target) => {
		target.reset();
		ex.sendJson(200, { success: 'sandbox reset' });
	},
	'GET /log': (ex, target) => {
		const since = Number(ex.params.get('since') ?? 0) || 0;
		ex.sendJson(200, since > 0 ? target.log.filter((entry) => entry.id > since) : target.log);
	},
	'DELETE /log': (ex, target) => {
		target.clearLog();
		ex.sendJson(200, { success: 'log cleared' });
	},
	'POST /faults': (ex, target, body) => {
		target.setFaults(faultsFromJson(body));
		ex.sendJson(200, { success: 'faults set' });
	},
	'POST /listing': (ex, target, body) => {
		if (body !== undefined && (typeof body !== 'object' || body === null || Array.isArray(body))) {
			throw new Error('listing must be a JSON object');
		}
		target.setListing((body ?? {}) as SandboxListing);
		ex.sendJson(200, { success: 'listing mode set' });
	},
	'POST /hmac': (ex, target, body) => {
		target.setHmacConfig((body ?? {}) as Partial<HmacVerifyConfig>);
		ex.sendJson(200, { success: 'hmac config set' });
	},
	'POST /expire-tokens': (ex, target) => {
		target.expireOAuthTokens();
		ex.sendJson(200, { success: 'access tokens expired' });
	},
	'POST /revoke-oauth-grants': (ex, target) => {
		target.revokeOAuthGrants();
		ex.sendJson(200, { success: 'refresh tokens revoked' });
	},
	'POST /oauth-consent': (ex, target, body) => {
		const mode = (body as { mode?: unknown } | undefined)?.mode;
		if (mode !== 'auto' && mode !== 'page') throw new Error('mode must be "auto" or "page"');
		target.setOAuthConsent(mode);
		ex.sendJson(200, { success: `consent mode ${mode}` });
	},
	'POST /clock': (ex, target, body) => {
		target.setClock(clockFromJson(body));
		ex.sendJson(200, { success: 'clock set' });
	},
};

/**
 * Handles `/__sandbox/...`:
 * `GET health`, `POST reset`, `GET log[?since=id]`, `DELETE log`, `POST faults` (SandboxFaults as JSON;
 * `pathPattern` is a RegExp source string; `changes` deletes/inserts records between list pages), `POST listing` (SandboxListing; `{}` turns it off), `POST hmac` (Partial<HmacVerifyConfig>), `POST expire-tokens`,
 * `POST revoke-oauth-grants`, `POST oauth-consent` (`{"mode": "page"}` consent page, `{"mode": "auto"}` approve at once),
 * `POST clock` (`{"now": iso}` fixed, `{"offsetSeconds": n}` shifted, `{}` real time),
 * `GET store/{account}/{domain}` (records) and `GET store/{account}/apikeys` (issued keys, without the keys).
 */
export function handleControl(ex: Exchange, target: ControlTarget): void {
	const route = ex.pathname.slice(CONTROL_PREFIX.length).replace(/\/+$/, '');
	const store = /^\/store\/([^/]+)\/([^/]+)$/.exec(route);
	if (store && ex.method === 'GET') return storeListing(ex, target, decodeURIComponent(store[1]), store[2]);
	const handler = ROUTES[`${ex.method} ${route}`];
	if (!handler) return ex.sendJson(404, { error: `unknown control endpoint: ${ex.method} ${ex.pathname}` });
	let body: unknown = undefined;
	try {
		body = ex.bodyText.trim() === '' ? undefined : JSON.parse(ex.bodyText);
	} catch {
		return ex.sendJson(400, { error: 'invalid JSON body' });
	}
	try {
		handler(ex, target, body);
	} catch (error) {
		ex.sendJson(400, { error: (error as Error).message });
	}
}

function storeListing(ex: Exchange, target: ControlTarget, account: string, domain: string): void {
	if (domain === 'apikeys') return ex.sendJson(200, target.issuedApiKeys(account));
	if (!(DOMAIN_NAMES as string[]).includes(domain)) return ex.sendJson(404, { error: `unknown domain: ${domain}` });
	ex.sendJson(200, target.listRecords(account, domain as DomainName));
}

type JsonFaults = Omit<SandboxFaults, 'pathPattern' | 'scripted' | 'changes'> & {
	pathPattern?: string;
	scripted?: Array<Omit<ScriptedFault, 'path'> & { path?: string }>;
	changes?: Array<Omit<ScriptedChange, 'path'> & { path?: string }>;
};

/** SandboxFaults from JSON: `pathPattern` is a RegExp source. */
export function faultsFromJson(body: unknown): SandboxFaults {
	if (body === undefined || body === null) return {};
	if (typeof body !== 'object' || Array.isArray(body)) throw new Error('faults must be a JSON object');
	const json = body as JsonFaults;
	const { pathPattern, ...rest } = json;
	return pathPattern ? { ...rest, pathPattern: new RegExp(pathPattern) } : rest;
}

function clockFromJson(body: unknown): () => Date {
	const json = (body ?? {}) as { now?: string; offsetSeconds?: number };
	if (json.now !== undefined) {
		const fixed = new Date(json.now);
		if (Number.isNaN(fixed.getTime())) throw new Error(`invalid date: ${json.now}`);
		return () => new Date(fixed.getTime());
	}
	const offsetMs = Number(json.offsetSeconds ?? 0) * 1000;
	return () => new Date(Date.now() + offsetMs);
}
