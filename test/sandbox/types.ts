/**
 * Public types of the sandbox API. `server.ts` re-exports all of them.
 */

/** Authentication schemes the sandbox recognises. */
export type AuthScheme = 'basic' | 'apikey' | 'bearer' | 'oauth2' | 'hmac';

/** Who made an authenticated request. `principal` is never a secret. */
export interface RequestAuth {
	scheme: AuthScheme;
	/** E-mail address, key label (`fixture-key-1`, `apikey-3`), OAuth client id or HMAC key id. */
	principal: string;
	/** Account the request acted on. */
	account: string;
}

/** One request as the sandbox saw it, appended when the response was sent (or the socket destroyed). */
export interface RequestLogEntry {
	id: number;
	/** Arrival time, epoch milliseconds (real time, not the injectable clock). */
	time: number;
	method: string;
	/** Pathname only. */
	path: string;
	/** Path plus query string exactly as received. */
	url: string;
	query: Record<string, string>;
	headers: Record<string, string | string[] | undefined>;
	/** Raw body; '' if none or when `logBodies` is false. */
	body: string;
	/** Status sent; 0 when the connection was reset. */
	status: number;
	auth?: RequestAuth;
	/**
	 * Injected fault. `applied-error` / `applied-reset`: the request WAS applied (a write happened), then a gateway
	 * error was answered or the connection reset instead of the real response.
	 */
	fault?: 'rate-limit' | 'error' | 'reset' | 'scripted' | 'applied-error' | 'applied-reset';
	/** API requests being handled when this one arrived, itself included: how many were in flight at once. */
	inFlight?: number;
	/** Milliseconds from arrival to the response (or reset), latency included. */
	ms?: number;
	/**
	 * Answered from the `Idempotency-Key` replay store (the response kept for an earlier request with that key):
	 * the request was NOT applied.
	 */
	replayed?: true;
}

/** A one-off fault, consumed when a request matches it. */
export interface ScriptedFault {
	/** HTTP method to match (case-insensitive); any when absent. */
	method?: string;
	/**
	 * Path to match; any when absent. A string is compared with the pathname (or with path plus query when it
	 * contains `?`); a RegExp is tested against both the pathname and the full URL.
	 */
	path?: string | RegExp;
	/** Status to answer; default 500. */
	status?: number;
	/** Raw response body; default `{"error": "<status text>"}` in the negotiated format. */
	body?: string;
	/** Content type of `body`; default `application/json; charset=utf-8`. */
	contentType?: string;
	headers?: Record<string, string>;
	/** Destroy the socket without answering. */
	reset?: boolean;
	/**
	 * Apply the request first (the write happens, as behind a gateway that times out after the API acted), then
	 * answer `status` (or reset, with `reset`) instead of the real response.
	 */
	afterApply?: boolean;
	/**
	 * Redirect to another origin (e.g. a second local server on another port, `http://127.0.0.1:<port>`): answers
	 * `status` (default 302) with `Location: <redirectTo><the request's path and query>`, as an API that moved host
	 * would. Combine with `afterApply` for a redirect after the write was applied (e.g. 303 See Other).
	 */
	redirectTo?: string;
	/**
	 * Apply the request, then answer 303 See Other with `Location:` the created resource (the `uri` of the real
	 * response) and no body, as an API that sends the client to what it created.
	 */
	seeOther?: boolean;
	/** How many matching requests this entry answers; default 1. */
	times?: number;
}

/** A change made by "someone else" to the store, triggered by a request (see `SandboxFaults.changes`). */
export interface ScriptedChange {
	/** HTTP method to match; default GET. */
	method?: string;
	/** As `ScriptedFault.path`: a pathname, a path with query (when it contains `?`), or a RegExp tested against both. */
	path?: string | RegExp;
	account: string;
	/** Domain name, e.g. `clients`. */
	domain: string;
	/** Ids to delete. */
	delete?: number[];
	/** Records to insert (they get new, higher ids). */
	insert?: Array<Record<string, unknown>>;
}

/** Faults injected into `/api/v1` requests before authentication. */
export interface SandboxFaults {
	/** Delay before every matching request is handled. */
	latencyMs?: number;
	/** Share (0..1) of API requests answered 429 with Retry-After. */
	rateLimitShare?: number;
	/** Retry-After value for share-based 429s; default '1' (seconds); may be an HTTP date string. */
	retryAfter?: string;
	/** Fixed-window limiter: more than maxRequests in windowMs → 429 with Retry-After = seconds to window end. */
	rateLimit?: { maxRequests: number; windowMs: number };
	/** Share (0..1) of API requests answered with one of `errorStatuses`. */
	errorShare?: number;
	/** Default [500, 503]. */
	errorStatuses?: number[];
	/** Share (0..1) of requests whose socket is destroyed with no response. */
	resetShare?: number;
	/** Share (0..1) of API requests that are applied, then answered with one of `appliedErrorStatuses`. */
	appliedErrorShare?: number;
	/** Default [502, 503, 504]. */
	appliedErrorStatuses?: number[];
	/** Share (0..1) of API requests that are applied, then their connection reset without a response. */
	appliedResetShare?: number;
	/** Deterministic PRNG seed for the shares above; default 1. */
	randomSeed?: number;
	/** Scripted one-off faults, consumed in order of match; they win over share-based faults. */
	scripted?: ScriptedFault[];
	/**
	 * Someone else changes the records while a list is being read (deletes or inserts between two pages): each
	 * entry is applied once, right before the first request matching it is handled (one entry per request, in
	 * order). Deterministic: the change is in place before that request is answered, never before it arrived.
	 */
	changes?: ScriptedChange[];
	/** Share-based faults, latency and the window limiter apply only to paths matching this; default all /api/v1 paths. */
	pathPattern?: RegExp;
	/**
	 * Overlapping callers, made deterministic: the first `count` requests matching `method` (any when absent) and
	 * `path` (tested against the pathname) are held until all `count` have arrived, then handled together; later
	 * ones pass. E.g. two runs of one Sync that both read before either writes. `setFaults`/`reset` release any held.
	 */
	rendezvous?: { method?: string; path: RegExp; count: number };
}

/**
 * A custom-API mode for record listings (`GET /api/v1/{domain}`, JSON): behaviours of real APIs that
 * EenvoudigFactureren does not have. Set with `setListing`; `reset()` turns it off.
 */
export interface SandboxListing {
	/** Largest page returned, whatever `take` asks (an API capping its page size below what was asked). */
	maxPageSize?: number;
	/**
	 * Next-page links: in the body (`{"data": [...], "next": url | null}`) or as `Link: <url>; rel="next"`.
	 * A link is given while the page returned is not empty.
	 */
	nextLinks?: 'body' | 'header';
	/**
	 * Where links point: `absolute` (default: the sandbox itself), `root-relative` (`/api/v1/clients?...`),
	 * `relative` (`clients?...`), or `{ origin }` — another origin, e.g. a second server that records who calls it.
	 */
	linkTarget?: 'absolute' | 'root-relative' | 'relative' | { origin: string };
	/** Links repeat every query parameter of the request, a query-parameter API key included; default true. */
	echoQuery?: boolean;
	/** Every next link points at the second page (a cursor that does not advance), for the endless-paging guard. */
	stuckLink?: boolean;
	/**
	 * Paging by a token instead of skip/take, as HubSpot, Stripe, Airtable and cursor APIs do; the body is an
	 * envelope `{"<recordsKey>": [...], ...}`. `skip`/`take` are then ignored.
	 */
	tokens?: SandboxTokenPaging;
	/**
	 * Paging by page number instead of skip/take (`?page=2&per_page=10`, pages from 1); the body stays the bare list
	 * (or `{"data": [...], "next": …}` with `nextLinks: 'body'`). Page size capped by `maxPageSize` and 100.
	 */
	pageNumbers?: { pageParam?: string; sizeParam?: string; defaultSize?: number };
}

/** A listing paged by a token from the body (`cursor`) or by the last record's ID (`lastId`). */
export interface SandboxTokenPaging {
	/**
	 * `cursor`: an opaque token at `tokenPath` while more records follow (`paging.next.after` also gets HubSpot's
	 * `paging.next.link`), sent back in `param`. `lastId`: the next page is asked with `param=<last record's id>`
	 * (Stripe's `starting_after`); an unknown id is a 400.
	 */
	kind: 'cursor' | 'lastId';
	/** Query parameter the token or last id comes back in: `after`, `cursor`, `offset`, `starting_after`. */
	param: string;
	/** Cursor kind: where the next token goes in the body, e.g. `paging.next.after`, `next_cursor`, `offset`. */
	tokenPath?: string;
	/** Where the records go in the body; default `data`. */
	recordsKey?: string;
	/** A boolean saying whether more records follow, on every page (e.g. `has_more`); none when absent. */
	hasMoreKey?: string;
	/** Page size parameter (default `limit`) and the page size without it (default 10). At most 100 (or maxPageSize). */
	limitParam?: string;
	defaultLimit?: number;
	/** Every token is the first one: a token that does not advance. */
	stuck?: boolean;
	/** The body's `hasMoreKey` says true but no token is given (an API saying "more" that cannot be followed). */
	noToken?: boolean;
}

/** How the sandbox verifies HMAC-signed requests. */
export interface HmacVerifyConfig {
	keyId: string;
	secret: string;
	algorithm: 'sha256' | 'sha512' | 'sha1';
	encoding: 'hex' | 'base64';
	signatureHeader: string;
	/** Prepended to the encoded signature, e.g. 'sha256='. */
	prefix: string;
	timestampHeader: string;
	keyIdHeader: string;
	nonceHeader: string;
	/**
	 * String to sign. Placeholders: {timestamp} {method} {path} {body} {bodySha256} {nonce};
	 * the two characters backslash-n stand for a newline.
	 */
	template: string;
	toleranceSeconds: number;
}
