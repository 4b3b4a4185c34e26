import type { IHttpRequestMethods } from 'n8n-workflow';

/** How hard the transport tries before giving up. */
export interface RetryPolicy {
	/** Retries allowed for one request (0 = never retry). */
	maxRetries: number;
	/** First backoff step; doubles each retry, with full jitter. */
	baseDelayMs: number;
	/** Cap for one backoff wait. */
	maxDelayMs: number;
	/** Longest Retry-After the transport will honour; longer waits fail with a clear error. */
	maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
	maxRetries: 5,
	baseDelayMs: 500,
	maxDelayMs: 30_000,
	maxRetryAfterMs: 120_000,
};

/** A retry budget shared by every request of one node run, so a failing API cannot stall a run. */
export class RetryBudget {
	retriesUsed = 0;

	waitedMs = 0;

	constructor(readonly limit: number) {}

	get exhausted(): boolean {
		return this.retriesUsed >= this.limit;
	}

	spend(waitMs: number): void {
		this.retriesUsed++;
		this.waitedMs += waitMs;
	}
}

const GATEWAY_STATUSES = new Set([502, 503, 504]);
const IDEMPOTENT_METHODS = new Set<string>(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const NETWORK_ERROR_CODES = new Set([
	'ECONNRESET',
	'ECONNREFUSED',
	'ECONNABORTED',
	'ETIMEDOUT',
	'ESOCKETTIMEDOUT',
	'EPIPE',
	'EAI_AGAIN',
	'ENETUNREACH',
	'EHOSTUNREACH',
	'ERR_SOCKET_CONNECTION_TIMEOUT',
]);

/**
 * 429 means the API did not act on the request: always retried. 502/503/504 come from a gateway that may have
 * passed the request on before it gave up, so the API may have acted: retried only when the request is safe to
 * repeat (an idempotent method, or a request carrying an idempotency key).
 */
export function isRetryableStatus(status: number, safeToRepeat: boolean): boolean {
	return status === 429 || (GATEWAY_STATUSES.has(status) && safeToRepeat);
}

/** 502/503/504: a gateway's answer, which does not tell whether the API applied the request. */
export function isGatewayStatus(status: number): boolean {
	return GATEWAY_STATUSES.has(status);
}

/** Only these may be repeated after a network error: retrying a POST could create duplicates. */
export function isIdempotent(method: IHttpRequestMethods | string): boolean {
	return IDEMPOTENT_METHODS.has(method.toUpperCase());
}

export function isNetworkErrorCode(code: unknown): boolean {
	return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/**
 * Parses a Retry-After header: delta seconds or an HTTP date. Returns milliseconds to wait,
 * or undefined when the header is absent or unreadable.
 */
export function parseRetryAfter(value: unknown, nowMs: number): number | undefined {
	if (Array.isArray(value)) value = value[0];
	if (typeof value !== 'string' && typeof value !== 'number') return undefined;
	const text = String(value).trim();
	if (text === '') return undefined;
	if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
	const date = Date.parse(text);
	if (Number.isNaN(date)) return undefined;
	return Math.max(0, date - nowMs);
}

/** Exponential backoff with full jitter: a random wait in [0, min(cap, base * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
	const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** attempt);
	return Math.round(random() * ceiling);
}
