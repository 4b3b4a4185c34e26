/**
 * A loopback HTTP server that behaves like the EenvoudigFactureren / SimplyBooks API v1, for tests, `npm start`
 * and the benchmark. Identities come from `fixtures.ts`; every account has its own records.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';

import { ApiKeyRegistry, type ApiKeyInfo } from './apikeys';
import { authenticate } from './auth';
import { CONTROL_PREFIX, handleControl, type ControlTarget } from './control';
import { isDomainName, type DomainName, type SandboxRecord } from './domains';
import { Exchange, type LogSink } from './exchange';
import { API_PREFIX, FaultEngine, isApiPath, type FaultDecision } from './faults';
import { DEFAULT_HMAC_CONFIG } from './hmac';
import { OAuthServer, type IssuedOAuthTokens, type OAuthConsentMode } from './oauth';
import { Personas } from './personas';
import { DEFAULT_TAKE, MAX_TAKE } from './query';
import { handleApi, type ApiContext } from './routes';
import { SandboxStore } from './store';
import type { HmacVerifyConfig, RequestLogEntry, SandboxFaults, SandboxListing, SandboxTokenPaging } from './types';

export type { ApiKeyInfo } from './apikeys';
export type { DomainName, SandboxRecord } from './domains';
export { SandboxStore, formatTimestamp } from './store';
export type {
	AuthScheme,
	HmacVerifyConfig,
	RequestAuth,
	RequestLogEntry,
	SandboxFaults,
	SandboxListing,
	SandboxTokenPaging,
	ScriptedChange,
	ScriptedFault,
} from './types';
export { DEFAULT_HMAC_CONFIG } from './hmac';
export type { IssuedOAuthTokens, OAuthConsentMode } from './oauth';

/** Options of {@link startSandbox}. */
export interface SandboxOptions {
	/** Default 0: a random free port. */
	port?: number;
	/** Default 127.0.0.1. */
	host?: string;
	/** Keep request bodies in the log; default true. */
	logBodies?: boolean;
	/** Seed the demo records (see `SEED` in fixtures); default true. */
	seed?: boolean;
	/** Keep at most this many log entries (oldest dropped); default unlimited. */
	maxLogEntries?: number;
	/** Serve HTTPS with this key and certificate (e.g. test/support/selfSignedCert.ts) instead of HTTP. */
	tls?: { key: string; cert: string };
}

/** A running sandbox. */
export interface Sandbox {
	/** e.g. http://127.0.0.1:34567 */
	url: string;
	/** url + '/api/v1' */
	baseUrl: string;
	port: number;
	/** Every API request, in the order responses were sent. The array is cleared in place by reset(). */
	log: RequestLogEntry[];
	/** Re-seeds data; clears log, faults, issued keys/tokens/nonces; restores the default HMAC config and clock. */
	reset(): void;
	/** Replaces the current faults (restarting the PRNG and the rate-limit window). */
	setFaults(f: SandboxFaults): void;
	/** Turns on a custom-API listing mode (capped pages, next links); `{}` turns it off. */
	setListing(listing: SandboxListing): void;
	/**
	 * How long a response kept for an `Idempotency-Key` is replayed (sandbox clock); default 24 hours, as Stripe.
	 * Keys are kept per caller (the principal: a user, key or client), not per account, as many APIs do.
	 */
	setIdempotencyTtl(ms: number): void;
	/** Changes HMAC verification (merged into the current config). */
	setHmacConfig(c: Partial<HmacVerifyConfig>): void;
	/** Clock for record timestamps and HMAC/token time checks. */
	setClock(now: () => Date): void;
	/** All access tokens issued so far become expired (401); refresh tokens stay valid. */
	expireOAuthTokens(): void;
	/**
	 * The user withdraws access: refresh tokens answer `invalid_grant`, and access tokens issued with a refresh token
	 * are refused (401). Client-credentials tokens stay valid.
	 */
	revokeOAuthGrants(): void;
	/** `auto` (default): `/oauth/authorize` approves at once; `page`: it shows a consent page (Allow / Deny). */
	setOAuthConsent(mode: OAuthConsentMode): void;
	/** Every OAuth access and refresh token issued since the last reset. */
	issuedOAuthTokens(): IssuedOAuthTokens;
	/** API keys issued through POST /apikeys (without the keys themselves), optionally of one account. */
	issuedApiKeys(account?: string): ApiKeyInfo[];
	/** Direct data access for test setup and assertions, per account. */
	store: SandboxStore;
	/** API personas (HubSpot, Stripe, Airtable, Shopify, JSON:API, a cursor API) under `{baseUrl}/personas/{name}`. */
	personas: Personas;
	/**
	 * Resolves once no API request is being handled. A request whose client died (a killed n8n) is still
	 * applied when its latency is over, as a real server would: wait for this before counting records.
	 */
	idle(): Promise<void>;
	/** API requests being handled right now (received, not yet answered). */
	readonly inFlight: number;
	close(): Promise<void>;
}

/** Stripe keeps idempotency keys for 24 hours. */
const DEFAULT_IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;

/** Largest request body accepted (bytes). */
const MAX_BODY_BYTES = 20 * 1024 * 1024;

const realClock = (): Date => new Date();

/** The sandbox's mutable state; implements the contexts the routes and the control API need. */
class SandboxInstance implements Sandbox, ApiContext, ControlTarget {
	url = '';
	baseUrl = '';
	port = 0;
	readonly log: RequestLogEntry[] = [];
	readonly store: SandboxStore;
	readonly apiKeys = new ApiKeyRegistry();
	readonly oauth: OAuthServer;
	readonly faults = new FaultEngine();
	readonly personas = new Personas();
	readonly usedNonces = new Set<string>();
	/** Responses of requests that carried an `Idempotency-Key`, by principal and key. */
	readonly idempotent = new Map<string, StoredResponse & { fingerprint: string; storedAt: number }>();
	idempotencyTtlMs = DEFAULT_IDEMPOTENCY_TTL_MS;
	listing: SandboxListing = {};
	hmac: HmacVerifyConfig = { ...DEFAULT_HMAC_CONFIG };
	private clock: () => Date = realClock;
	private nextLogId = 1;
	private handling = 0;
	private idleWaiters: Array<() => void> = [];
	private readonly server: Server;
	private readonly logSink: LogSink;

	constructor(
		private readonly options: Required<Omit<SandboxOptions, 'port' | 'host' | 'tls'>>,
		private readonly tls?: SandboxOptions['tls'],
	) {
		this.now = this.now.bind(this);
		this.store = new SandboxStore(this.now);
		this.oauth = new OAuthServer(this.now);
		this.store.reset(options.seed);
		this.personas.reset(options.seed);
		this.logSink = (entry) => this.append(entry);
		const handler = (req: IncomingMessage, res: ServerResponse) => void this.handle(req, res);
		this.server = tls ? createHttpsServer(tls, handler) : createServer(handler);
		this.server.keepAliveTimeout = 30_000;
	}

	/** The sandbox clock. */
	now(): Date {
		return this.clock();
	}

	async listen(port: number, host: string): Promise<void> {
		await new Promise<void>((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(port, host, () => {
				this.server.off('error', reject);
				resolve();
			});
		});
		this.port = (this.server.address() as AddressInfo).port;
		this.url = `${this.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${this.port}`;
		this.baseUrl = this.url + API_PREFIX;
	}

	reset(): void {
		this.clock = realClock;
		this.store.reset(this.options.seed);
		this.personas.reset(this.options.seed);
		this.clearLog();
		this.faults.clear();
		this.apiKeys.reset();
		this.oauth.reset();
		this.usedNonces.clear();
		this.idempotent.clear();
		this.idempotencyTtlMs = DEFAULT_IDEMPOTENCY_TTL_MS;
		this.listing = {};
		this.hmac = { ...DEFAULT_HMAC_CONFIG };
	}

	clearLog(): void {
		this.log.length = 0;
		this.nextLogId = 1;
	}

	setFaults(f: SandboxFaults): void {
		this.faults.set(f);
	}

	setListing(listing: SandboxListing): void {
		this.listing = { ...listing };
	}

	setIdempotencyTtl(ms: number): void {
		this.idempotencyTtlMs = ms;
	}

	setHmacConfig(c: Partial<HmacVerifyConfig>): void {
		this.hmac = { ...this.hmac, ...c };
	}

	setClock(now: () => Date): void {
		this.clock = now;
	}

	expireOAuthTokens(): void {
		this.oauth.expireAll();
	}

	revokeOAuthGrants(): void {
		this.oauth.revokeGrants();
	}

	setOAuthConsent(mode: OAuthConsentMode): void {
		this.oauth.consentMode = mode;
	}

	issuedOAuthTokens(): IssuedOAuthTokens {
		return this.oauth.issuedTokens();
	}

	issuedApiKeys(account?: string): ApiKeyInfo[] {
		return this.apiKeys.issued(account);
	}

	get inFlight(): number {
		return this.handling;
	}

	async idle(): Promise<void> {
		if (this.handling === 0) return;
		await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
	}

	listRecords(account: string, domain: DomainName): SandboxRecord[] {
		return this.store.table(account, domain).rows();
	}

	async close(): Promise<void> {
		await new Promise<void>((resolve) => {
			this.server.close(() => resolve());
			this.server.closeAllConnections();
		});
	}

	private append(entry: Omit<RequestLogEntry, 'id'>): void {
		this.log.push({ id: this.nextLogId++, ...entry });
		const max = this.options.maxLogEntries;
		if (this.log.length > max + Math.max(1, Math.floor(max / 10))) this.log.splice(0, this.log.length - max);
	}

	private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
		const isControl = (req.url ?? '').startsWith(CONTROL_PREFIX);
		if (isControl) return await this.handleOne(req, res, isControl);
		this.handling++;
		try {
			await this.handleOne(req, res, isControl, this.handling);
		} finally {
			if (--this.handling === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
		}
	}

	private async handleOne(req: IncomingMessage, res: ServerResponse, isControl: boolean, inFlight?: number): Promise<void> {
		const ex = new SandboxExchange(req, res, isControl ? null : this.logSink, this.options.logBodies);
		ex.inFlight = inFlight;
		try {
			const body = await readBody(req, MAX_BODY_BYTES);
			if (body === undefined) return ex.sendError(413, 'request body too large');
			ex.rawBody = body;
			if (isControl) return handleControl(ex, this);
			if (!isApiPath(ex.pathname)) return ex.sendError(404, 'not found');
			await this.faults.meet(ex.method, ex.pathname);
			await this.applyLatency(ex.pathname);
			this.applyChanges(ex);
			const decision = this.faults.decide(ex.method, ex.pathname, ex.url);
			if (decision.kind !== 'none' && decision.afterApply) ex.replaceResponse = decision;
			else if (applyFault(ex, decision)) return;
			if (this.isListing(ex)) {
				ex.listing = { settings: this.listing, baseUrl: this.baseUrl };
				if (this.listing.tokens) ex.listPaging = tokenPaging(ex, this.listing.tokens, this.listing.maxPageSize);
				else if (this.listing.pageNumbers) ex.listPaging = pageNumberPaging(ex, this.listing.pageNumbers, this.listing.maxPageSize);
			}
			if (this.replayIdempotent(ex)) return;
			if (Personas.handles(ex.pathname)) return this.personas.handle(ex, this);
			handleApi(ex, this);
		} catch (error) {
			if (!ex.isFinished) ex.sendJson(500, { error: `sandbox internal error: ${(error as Error).message}` });
		}
	}

	/** Someone else's deletes and inserts that this request triggers (`SandboxFaults.changes`), before it is handled. */
	private applyChanges(ex: Exchange): void {
		const change = this.faults.takeChange(ex.method, ex.pathname, ex.url);
		if (!change) return;
		if (!isDomainName(change.domain)) throw new Error(`unknown domain in a scripted change: ${change.domain}`);
		for (const id of change.delete ?? []) this.store.remove(change.account, change.domain, id);
		for (const record of change.insert ?? []) this.store.insert(change.account, change.domain, record);
	}

	private isListing(ex: Exchange): boolean {
		const { maxPageSize, nextLinks, tokens, pageNumbers } = this.listing;
		if (maxPageSize === undefined && nextLinks === undefined && tokens === undefined && pageNumbers === undefined) return false;
		return ex.method === 'GET' && /^\/[^/]+$/.test(ex.pathname.slice(API_PREFIX.length)) && ex.pathname !== `${API_PREFIX}/oauth`;
	}

	/**
	 * `Idempotency-Key` (Stripe style): the first request with a key is applied and its response kept; the same
	 * key with the same request from the same caller gets that response again without being applied again; with
	 * another request it is refused with 422 (a persona: with its API's error, Stripe's 400 `idempotency_error`).
	 * Personas whose API has no idempotency keys (HubSpot, Airtable, Shopify, JSON:API) ignore the header.
	 */
	private replayIdempotent(ex: SandboxExchange): boolean {
		const key = ex.header('idempotency-key');
		if (!key) return false;
		const persona = Personas.handles(ex.pathname) ? this.personas.personaOf(ex.pathname) : undefined;
		if (Personas.handles(ex.pathname) && !persona?.idempotency) return false;
		const now = this.now().getTime();
		for (const [scoped, stored] of this.idempotent) {
			if (now - stored.storedAt >= this.idempotencyTtlMs) this.idempotent.delete(scoped);
		}
		const fingerprint = `${ex.method} ${ex.url}\n${ex.bodyText}`;
		const earlier = [...this.idempotent.entries()].find(([scoped]) => scoped.endsWith(`\u0000${key}`));
		if (!earlier) {
			ex.keepResponse = (response) => {
				if (ex.auth) this.idempotent.set(`${ex.auth.principal}\u0000${key}`, { ...response, fingerprint, storedAt: now });
			};
			return false;
		}
		const auth = authenticate(ex, this);
		const stored = auth.ok ? this.idempotent.get(`${auth.principal.label}\u0000${key}`) : undefined;
		if (!auth.ok) ex.sendError(401, auth.message);
		else if (!stored && persona) {
			// An API's keys are the caller's own (Stripe: per account): another caller's key is a new key here.
			ex.keepResponse = (response) => {
				if (ex.auth) this.idempotent.set(`${ex.auth.principal}\u0000${key}`, { ...response, fingerprint, storedAt: now });
			};
			return false;
		} else if (!stored) ex.sendError(422, 'this Idempotency-Key was used by another caller');
		else if (stored.fingerprint !== fingerprint) {
			if (persona?.idempotency) persona.idempotency.mismatch(ex, key);
			else ex.sendError(422, 'this Idempotency-Key was used for another request');
		} else {
			ex.replayed = true;
			ex.send(stored.status, stored.body, stored.contentType, { ...stored.headers, 'Idempotent-Replayed': 'true' });
		}
		return true;
	}

	private async applyLatency(pathname: string): Promise<void> {
		const latency = this.faults.latencyFor(pathname);
		if (latency > 0) await new Promise((resolve) => setTimeout(resolve, latency));
	}
}

interface StoredResponse {
	status: number;
	body: string;
	contentType: string;
	headers: Record<string, string>;
}

/**
 * An exchange with the sandbox's response-side behaviours: a fault sent after the request was applied, the
 * custom-API listing mode, and keeping responses for idempotency keys. Every response goes through `send`.
 */
class SandboxExchange extends Exchange {
	/** Sent instead of the real response, which is computed (the request applied) and dropped. */
	replaceResponse?: FaultDecision;
	listing?: { settings: SandboxListing; baseUrl: string };
	keepResponse?: (response: StoredResponse) => void;

	override send(status: number, body: string, contentType: string, headers: Record<string, string> = {}): void {
		if (this.isFinished) return;
		let response: StoredResponse = { status, body, contentType, headers };
		if (this.listing && status === 200 && contentType.startsWith('application/json')) {
			response = listingResponse(this, response, this.listing.settings, this.listing.baseUrl);
		}
		const keep = this.keepResponse;
		this.keepResponse = undefined;
		keep?.(response);
		const replacement = this.replaceResponse;
		if (replacement) {
			this.replaceResponse = undefined;
			if (replacement.kind === 'respond' && replacement.seeOther) {
				let uri = '';
				try {
					uri = (JSON.parse(response.body) as { uri?: string }).uri ?? '';
				} catch {
					// not JSON (an XML answer): a 303 without a usable Location
				}
				this.fault = replacement.fault;
				super.send(303, '', 'text/plain; charset=utf-8', { Location: uri });
				return;
			}
			applyFault(this, replacement);
			return;
		}
		super.send(response.status, response.body, response.contentType, response.headers);
	}
}

/** Cursor tokens are opaque to clients: the offset they stand for, encoded. */
function encodeToken(skip: number): string {
	return Buffer.from(`skip:${skip}`).toString('base64url');
}

function decodeToken(token: string): number | undefined {
	const match = /^skip:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
	return match ? Number(match[1]) : undefined;
}

/** Where a token-paged listing's page starts, and its length, from the request (see `SandboxTokenPaging`). */
function tokenPaging(ex: Exchange, tokens: SandboxTokenPaging, maxPageSize: number | undefined): NonNullable<Exchange['listPaging']> {
	return (selected, idField) => {
		const limitText = ex.params.get(tokens.limitParam ?? 'limit');
		const limit = limitText === null ? (tokens.defaultLimit ?? 10) : Number(limitText);
		if (!Number.isInteger(limit) || limit < 1) return `invalid ${tokens.limitParam ?? 'limit'}: ${limitText}`;
		const take = Math.min(limit, MAX_TAKE, maxPageSize ?? MAX_TAKE);
		const sent = ex.params.get(tokens.param);
		if (sent === null || sent === '') return { skip: 0, take };
		if (tokens.kind === 'cursor') {
			const skip = decodeToken(sent);
			return skip === undefined ? `invalid ${tokens.param}: not a token this API gave` : { skip, take };
		}
		const index = selected.findIndex((record) => String(record[idField]) === sent);
		return index < 0 ? `No such record: '${sent}' (${tokens.param})` : { skip: index + 1, take };
	};
}

/** Where a page-numbered listing's page starts (`SandboxListing.pageNumbers`). */
function pageNumberPaging(ex: Exchange, numbers: NonNullable<SandboxListing['pageNumbers']>, maxPageSize: number | undefined): NonNullable<Exchange['listPaging']> {
	return () => {
		const pageText = ex.params.get(numbers.pageParam ?? 'page');
		const sizeText = ex.params.get(numbers.sizeParam ?? 'per_page');
		const page = pageText === null ? 1 : Number(pageText);
		const size = sizeText === null ? (numbers.defaultSize ?? 10) : Number(sizeText);
		if (!Number.isInteger(page) || page < 1) return `invalid ${numbers.pageParam ?? 'page'}: ${pageText}`;
		if (!Number.isInteger(size) || size < 1) return `invalid ${numbers.sizeParam ?? 'per_page'}: ${sizeText}`;
		const take = Math.min(size, MAX_TAKE, maxPageSize ?? MAX_TAKE);
		return { skip: (page - 1) * take, take };
	};
}

/** The envelope of a token-paged page: records, next token or has_more, as configured. */
function tokenEnvelope(ex: Exchange, records: unknown[], tokens: SandboxTokenPaging, baseUrl: string): Record<string, unknown> {
	const listed = ex.listed ?? { skip: 0, total: records.length };
	const more = listed.skip + records.length < listed.total;
	const body: Record<string, unknown> = { [tokens.recordsKey ?? 'data']: records };
	if (tokens.hasMoreKey) body[tokens.hasMoreKey] = more;
	if (tokens.kind === 'cursor' && tokens.tokenPath && !tokens.noToken) {
		const next = more ? encodeToken(tokens.stuck ? records.length : listed.skip + records.length) : null;
		if (tokens.tokenPath === 'paging.next.after') {
			// HubSpot: no `paging` at all on the last page; the link repeats the query with the new token.
			if (next !== null) {
				const query = new URLSearchParams(ex.params);
				query.set(tokens.param, next);
				body.paging = { next: { after: next, link: `${new URL(baseUrl).origin}${ex.pathname}?${query.toString()}` } };
			}
		} else {
			setAtPath(body, tokens.tokenPath, next);
		}
	}
	return body;
}

function setAtPath(target: Record<string, unknown>, path: string, value: unknown): void {
	const parts = path.split('.');
	let current = target;
	for (const part of parts.slice(0, -1)) {
		if (typeof current[part] !== 'object' || current[part] === null) current[part] = {};
		current = current[part] as Record<string, unknown>;
	}
	current[parts[parts.length - 1]] = value;
}

/** Caps the page and adds next links, as configured in the listing mode. */
function listingResponse(ex: Exchange, response: StoredResponse, listing: SandboxListing, baseUrl: string): StoredResponse {
	const records = JSON.parse(response.body) as unknown;
	if (!Array.isArray(records)) return response;
	if (listing.tokens) return { ...response, body: JSON.stringify(tokenEnvelope(ex, records, listing.tokens, baseUrl)) };
	const skip = Math.max(0, Number(ex.params.get('skip') ?? 0) || 0);
	const take = Math.min(MAX_TAKE, Number(ex.params.get('take') ?? 0) || DEFAULT_TAKE);
	const page = listing.maxPageSize !== undefined ? records.slice(0, listing.maxPageSize) : records;
	const more = page.length > 0 && (page.length < records.length || records.length >= take);
	let next: string | null = null;
	if (listing.nextLinks && more) {
		const query = listing.echoQuery === false ? new URLSearchParams() : new URLSearchParams(ex.params);
		query.set('skip', String(listing.stuckLink ? page.length : skip + page.length));
		if (!query.has('take')) query.set('take', String(page.length));
		const domain = ex.pathname.slice(API_PREFIX.length + 1);
		const target = listing.linkTarget ?? 'absolute';
		const pathAndQuery = `${API_PREFIX}/${domain}?${query.toString()}`;
		next =
			target === 'root-relative'
				? pathAndQuery
				: target === 'relative'
					? `${domain}?${query.toString()}`
					: target === 'absolute'
						? `${new URL(baseUrl).origin}${pathAndQuery}`
						: `${target.origin.replace(/\/+$/, '')}${pathAndQuery}`;
	}
	const headers = { ...response.headers };
	if (listing.nextLinks === 'header' && next) headers.Link = `<${next}>; rel="next"`;
	const body = listing.nextLinks === 'body' ? { data: page, next } : page;
	return { ...response, body: JSON.stringify(body), headers };
}

/** Sends the injected fault, if any; true when the request was answered (or dropped). */
function applyFault(ex: Exchange, decision: FaultDecision): boolean {
	if (decision.kind === 'none') return false;
	ex.fault = decision.fault;
	if (decision.kind === 'reset') {
		ex.resetConnection();
		return true;
	}
	if (decision.body !== undefined) {
		ex.send(decision.status, decision.body, decision.contentType ?? 'application/json; charset=utf-8', decision.headers);
	} else {
		ex.sendError(decision.status, decision.message, decision.headers);
	}
	return true;
}

/** Reads the whole body; undefined when it exceeds `limit` bytes. */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		let tooLarge = false;
		req.on('data', (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) tooLarge = true;
			else chunks.push(chunk);
		});
		req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
		req.on('error', reject);
		// A client that died in the middle of its body: nothing to apply (and nothing left in flight, see idle()).
		req.on('close', () => {
			if (!req.complete) reject(new Error('the client closed the connection before its request was complete'));
		});
	});
}

/**
 * Starts a sandbox on loopback (random free port by default) and resolves once it listens.
 * Call `close()` when done.
 */
export async function startSandbox(opts: SandboxOptions = {}): Promise<Sandbox> {
	const sandbox = new SandboxInstance({
		logBodies: opts.logBodies ?? true,
		seed: opts.seed ?? true,
		maxLogEntries: opts.maxLogEntries ?? Number.POSITIVE_INFINITY,
	}, opts.tls);
	await sandbox.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
	return sandbox;
}
