import {
	NodeApiError,
	sleep,
	type ICredentialDataDecryptedObject,
	type IDataObject,
	type IExecuteFunctions,
	type IHttpRequestMethods,
	type IHttpRequestOptions,
	type ILoadOptionsFunctions,
	type IPollFunctions,
	type JsonObject,
} from 'n8n-workflow';

import { FORM_MEDIA_TYPE, formUrlEncode, type BodyEncoding } from './recordShape';
import {
	adviceForStatus,
	extractApiMessage,
	oauthRefreshRefusal,
	redact,
	redactJson,
	secretValuesOf,
	statusLine,
} from './errors';
import {
	backoffDelay,
	DEFAULT_RETRY_POLICY,
	isGatewayStatus,
	isIdempotent,
	isNetworkErrorCode,
	isRetryableStatus,
	parseRetryAfter,
	RetryBudget,
	type RetryPolicy,
} from './retry';

export type RequestContext = IExecuteFunctions | IPollFunctions | ILoadOptionsFunctions;

export interface ApiRequest {
	method: IHttpRequestMethods;
	/** Path under the credential's base URL (`/clients/12`), or an absolute URL (a next-page link). */
	path: string;
	query?: IDataObject;
	/** Sent as JSON, or as a form with nested keys when `bodyEncoding` is `form`. */
	body?: IDataObject | IDataObject[];
	/** `form`: `application/x-www-form-urlencoded`, nested keys as `a[b]=c` (Stripe); default JSON. */
	bodyEncoding?: BodyEncoding;
	/** Content-Type of the body; default `application/json`, or the form type for a form. */
	contentType?: string;
	/** The Accept header; default `application/json`. */
	accept?: string;
	/**
	 * Extra headers. `X-AccountId` ({@link NODE_ACCOUNT_HEADER}, a node's Account ID option) is sent under the
	 * credential's own Account ID Header name, so the node's account replaces the credential's.
	 */
	headers?: Record<string, string>;
	/**
	 * An idempotency key the API honours (e.g. `Idempotency-Key`, Stripe style): sent as this header, and it makes
	 * the request safe to repeat after 502/503/504, a timeout or a lost connection even when it is a POST or PATCH.
	 */
	idempotencyKey?: { header: string; value: string };
	/** Read timeout in milliseconds; default 15 s, as the API Sync module. */
	timeoutMs?: number;
	/** Item the request belongs to, for error messages and `continueOnFail`. */
	itemIndex?: number;
	/** Statuses returned to the caller instead of thrown, e.g. 404 for a lookup. */
	allowStatuses?: number[];
	/** Overrides the client's retry policy for this request. */
	retry?: Partial<RetryPolicy>;
	/**
	 * Sends the request without the node's credential, authenticated only by `headers`
	 * (e.g. checking a newly created API key). The base URL still comes from the credential.
	 */
	withoutCredential?: boolean;
	/** More values to keep out of error messages, besides the credential's secrets. */
	alsoRedact?: string[];
	/** Replaces the generic advice for these statuses, e.g. to say why key creation needs Basic auth. */
	adviceFor?: Partial<Record<number, string>>;
}

export interface ApiResponse<T = unknown> {
	status: number;
	headers: IDataObject;
	body: T;
	/**
	 * The API answered the write with 303 See Other: it was applied, and this is the answer of the `GET` of its
	 * Location (path and query), which the transport followed on the Base URL origin.
	 */
	seeOther?: string;
}

/** Counters for one node run; shown to users in the run summary. */
export interface RequestStats {
	requests: number;
	retries: number;
	/** Time spent waiting for Retry-After and backoff. */
	waitedMs: number;
	byMethod: Record<string, number>;
}

export interface ApiClientOptions {
	/** Credential type name, e.g. `apiSyncApiKeyApi`. */
	credentialType: string;
	retry?: Partial<RetryPolicy>;
	/** Total retries allowed across every request of the run. */
	retryBudget?: number;
}

export interface ApiClient {
	readonly baseUrl: string;
	readonly stats: RequestStats;
	readonly budget: RetryBudget;
	/** Secrets of the credential, for redacting anything shown to users. */
	readonly secrets: readonly string[];
	request<T = unknown>(req: ApiRequest): Promise<ApiResponse<T>>;
	/**
	 * Calls `listener(startedAt, ms)` for every retry wait (Retry-After, backoff) just before sleeping it, so a
	 * caller can compute wall-clock waiting across concurrent requests. Returns a function that stops it.
	 */
	onWait(listener: (startedAt: number, ms: number) => void): () => void;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** The header nodes use for their Account ID option; the transport renames it to the credential's account header. */
export const NODE_ACCOUNT_HEADER = 'X-AccountId';

type Failure =
	| { kind: 'http'; status: number; headers: IDataObject; body: unknown }
	| { kind: 'network'; code: string; message: string }
	| { kind: 'dns'; code: string; message: string; host: string }
	| { kind: 'tls'; code: string; message: string; host: string }
	/** n8n asked the token URL for a new OAuth2 access token and was refused (`grantError`: the OAuth error code). */
	| { kind: 'oauthRefresh'; grantError: string; words?: string }
	| { kind: 'other'; error: Error };

/**
 * Creates the package's one HTTP client: the only caller of `httpRequestWithAuthentication`.
 * It builds the URL, sends and receives JSON, retries what is safe to retry within a budget,
 * and turns every failure into a `NodeApiError` that says what happened and what to check,
 * with the credential's secrets redacted.
 */
export async function createApiClient(ctx: RequestContext, options: ApiClientOptions): Promise<ApiClient> {
	const credentials = (await ctx.getCredentials(options.credentialType)) as ICredentialDataDecryptedObject;
	const baseUrl = String(credentials.baseUrl ?? '').replace(/\/+$/, '');
	if (!/^https?:\/\//i.test(baseUrl)) {
		throw new NodeApiError(
			ctx.getNode(),
			{ message: 'invalid base URL' },
			{
				message: `The credential's Base URL "${baseUrl}" is not an http(s) URL`,
				description: 'Open the credential and set Base URL, e.g. https://eenvoudigfactureren.be/api/v1',
			},
		);
	}
	const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.retry };
	const budget = new RetryBudget(options.retryBudget ?? 1000);
	const stats: RequestStats = { requests: 0, retries: 0, waitedMs: 0, byMethod: {} };
	const waitListeners = new Set<(startedAt: number, ms: number) => void>();
	const secrets = secretValuesOf(credentials);
	const origin = new URL(baseUrl).origin;
	const accountHeaderName =
		typeof credentials.accountIdHeader === 'string' && credentials.accountIdHeader.trim() !== ''
			? credentials.accountIdHeader.trim()
			: NODE_ACCOUNT_HEADER;
	// The API-key credential adds its key to every query string itself: a key already in a URL (an API that
	// echoes the query into its next links) is taken out first, so the key appears once per request.
	const credentialQueryParameter =
		credentials.keyLocation === 'query' ? String(credentials.queryParameterName || 'api_key') : undefined;
	// Passed with every request: otherwise n8n reads (and in n8n proper decrypts) the credential again each time.
	// OAuth2 credentials take n8n's own path, which reads them itself to keep tokens current.
	const reference = ctx.getNode().credentials?.[options.credentialType];
	const credentialsDecrypted = {
		id: reference?.id ?? '',
		name: reference?.name ?? options.credentialType,
		type: options.credentialType,
		data: credentials,
	};

	async function request<T>(req: ApiRequest): Promise<ApiResponse<T>> {
		const requestPolicy = { ...policy, ...req.retry };
		const url = new URL(buildUrl(baseUrl, req.path, req.query));
		const where = `${req.method} ${url.pathname}`;
		let target = onOrigin(url, req);
		const headers = withAccountHeaderName(req.headers);
		let redirects = 0;
		for (let attempt = 0; ; ) {
			const outcome = await send(target.href, { ...req, headers });
			if (!('kind' in outcome)) {
				if (outcome.status < 300 || req.allowStatuses?.includes(outcome.status)) {
					return { ...outcome, body: parseJsonBody(outcome, where, req) as T };
				}
				// 303 See Other to a write: it was applied, and its result is at the Location, read with GET.
				if (outcome.status === 303 && req.method !== 'GET' && req.method !== 'HEAD') {
					return await followSeeOther<T>(outcome, target, req, where);
				}
				// Redirects are followed here, not by the HTTP client, so that none can carry the credential elsewhere.
				const location = redirectLocation(outcome, target);
				if (location && redirects < MAX_REDIRECTS && followsRedirect(outcome.status, req.method)) {
					redirects++;
					target = onOrigin(location, req, `the API redirected ${where} there`);
					continue;
				}
			}
			const failure: Failure = 'kind' in outcome ? outcome : { kind: 'http', ...outcome };

			const waitMs = retryWait(failure, req, attempt, requestPolicy, where);
			if (waitMs === undefined) throw toNodeApiError(failure, req, where);
			attempt++;
			stats.retries++;
			stats.waitedMs += waitMs;
			budget.spend(waitMs);
			for (const listener of waitListeners) listener(Date.now(), waitMs);
			await sleep(waitMs);
		}
	}

	/**
	 * A write answered 303 See Other was applied (RFC 9110: the server sends the client to its result). The result
	 * is read with one GET of the Location, under the same origin rule; anything that keeps it from being read is an
	 * error with HTTP code 303 that says the write was applied — never a reason to send the write again.
	 */
	async function followSeeOther<T>(response: ApiResponse, from: URL, req: ApiRequest, where: string): Promise<ApiResponse<T>> {
		const location = redirectLocation(response, from);
		if (!location) throw seeOtherError(req, where, 'the answer has no Location to read it from');
		if (location.origin !== origin) {
			throw seeOtherError(
				req,
				where,
				`it is at ${location.origin}, which is not on the credential's Base URL origin ${origin}, so it was not read (the credential is only ever sent to its Base URL's origin)`,
			);
		}
		try {
			const read = await request<T>({
				...req,
				method: 'GET',
				path: location.href,
				query: undefined,
				body: undefined,
				idempotencyKey: undefined,
				allowStatuses: undefined,
			});
			return { ...read, seeOther: `${location.pathname}${location.search}` };
		} catch (error) {
			throw seeOtherError(req, where, `reading it (GET ${location.pathname}) failed: ${(error as Error).message}`);
		}
	}

	function seeOtherError(req: ApiRequest, where: string, why: string): NodeApiError {
		const hidden = [...secrets, ...(req.alsoRedact ?? [])];
		return new NodeApiError(ctx.getNode(), { status: 303 } as JsonObject, {
			message: redact(`303 See Other from ${where}: the API applied the request, but its result could not be read: ${why}`, hidden),
			description: redact(
				req.adviceFor?.[303] ??
					'The request was applied: do not send it again. Look the result up on the remote side (e.g. the record just created).',
				hidden,
			),
			httpCode: '303',
			itemIndex: req.itemIndex,
		});
	}

	/**
	 * The URL as it may be sent: on the credential's origin (anything else is refused before a byte is sent), and
	 * without a query-parameter key the credential is about to add itself.
	 */
	function onOrigin(url: URL, req: ApiRequest, how?: string): URL {
		if (url.origin !== origin) throw foreignOriginError(url, req, how);
		const clean = new URL(url.href);
		if (credentialQueryParameter && !req.withoutCredential) clean.searchParams.delete(credentialQueryParameter);
		return clean;
	}

	function withAccountHeaderName(headers: Record<string, string> | undefined): Record<string, string> | undefined {
		if (!headers || accountHeaderName.toLowerCase() === NODE_ACCOUNT_HEADER.toLowerCase()) return headers;
		const renamed: Record<string, string> = {};
		for (const [name, value] of Object.entries(headers)) {
			renamed[name.toLowerCase() === NODE_ACCOUNT_HEADER.toLowerCase() ? accountHeaderName : name] = value;
		}
		return renamed;
	}

	function foreignOriginError(url: URL, req: ApiRequest, how?: string): NodeApiError {
		const hidden = [...secrets, ...(req.alsoRedact ?? [])];
		const what = how ?? `${req.method} ${url.pathname} is`;
		return new NodeApiError(ctx.getNode(), { message: 'foreign origin' } as JsonObject, {
			message: redact(
				`Refused to send the credential to ${url.origin}: ${how ? `${what}, which is` : what} not on the credential's Base URL origin ${origin}`,
				hidden,
			),
			description:
				'The API pointed to another host (a next-page link or a redirect). The credential is only ever sent to the origin of its Base URL. If that host really is the API, set the credential\'s Base URL to it; otherwise report the link to the API provider.',
			itemIndex: req.itemIndex,
		});
	}

	async function send(url: string, req: ApiRequest): Promise<ApiResponse | Failure> {
		const headers: IDataObject = { Accept: req.accept ?? 'application/json', ...(req.headers ?? {}) };
		if (req.idempotencyKey) headers[req.idempotencyKey.header] = req.idempotencyKey.value;
		const httpOptions: IHttpRequestOptions = {
			method: req.method,
			url,
			headers,
			returnFullResponse: true,
			disableFollowRedirect: true,
			// Every status comes back as a response, except 401: n8n must see that one to refresh OAuth2 tokens.
			ignoreHttpStatusErrors: { ignore: true, except: [401] },
			timeout: req.timeoutMs ?? DEFAULT_TIMEOUT_MS,
		};
		if (req.body !== undefined) {
			// Serialised here, once: an HMAC credential signs this text, so what is signed is what is sent.
			const form = req.bodyEncoding === 'form' && !Array.isArray(req.body);
			headers['Content-Type'] = req.contentType || (form ? FORM_MEDIA_TYPE : 'application/json');
			httpOptions.body = form ? formUrlEncode(req.body as IDataObject) : JSON.stringify(req.body);
		}
		stats.requests++;
		stats.byMethod[req.method] = (stats.byMethod[req.method] ?? 0) + 1;
		try {
			const response = (
				req.withoutCredential
					? await ctx.helpers.httpRequest(httpOptions)
					: await ctx.helpers.httpRequestWithAuthentication.call(ctx, options.credentialType, httpOptions, {
							credentialsDecrypted,
						})
			) as { statusCode: number; headers: IDataObject; body: unknown };
			return { status: response.statusCode, headers: response.headers ?? {}, body: response.body };
		} catch (error) {
			return classifyError(error as Error, new URL(url).host);
		}
	}

	function retryWait(
		failure: Failure,
		req: ApiRequest,
		attempt: number,
		requestPolicy: RetryPolicy,
		where: string,
	): number | undefined {
		const { itemIndex } = req;
		const retryable =
			(failure.kind === 'http' && isRetryableStatus(failure.status, safeToRepeat(req))) ||
			(failure.kind === 'network' && safeToRepeat(req));
		if (!retryable || attempt >= requestPolicy.maxRetries || budget.exhausted) return undefined;
		if (failure.kind === 'http') {
			const retryAfter = parseRetryAfter(headerValue(failure.headers, 'retry-after'), Date.now());
			if (retryAfter !== undefined) {
				if (retryAfter > requestPolicy.maxRetryAfterMs) {
					throw new NodeApiError(ctx.getNode(), { status: failure.status } as JsonObject, {
						message: `${statusLine(failure.status)} from ${where}: the API asks to wait ${Math.ceil(retryAfter / 1000)} s, longer than the ${Math.round(requestPolicy.maxRetryAfterMs / 1000)} s this node waits`,
						description: adviceForStatus(429),
						httpCode: String(failure.status),
						itemIndex,
					});
				}
				return retryAfter;
			}
		}
		return backoffDelay(attempt, requestPolicy);
	}

	function toNodeApiError(failure: Failure, req: ApiRequest, where: string): NodeApiError {
		const node = ctx.getNode();
		const hidden = [...secrets, ...(req.alsoRedact ?? [])];
		if (failure.kind === 'http') {
			const apiWords = extractApiMessage(failure.body);
			const quoted = apiWords ? `: "${apiWords}"` : typeof failure.body === 'string' && failure.body ? `: ${snippet(failure.body)}` : '';
			// Any 5xx to a write that is not repeated: the API (or a gateway in front of it) may have applied it.
			const retryable = isRetryableStatus(failure.status, safeToRepeat(req));
			const uncertain = failure.status >= 500 && failure.status <= 599 && !isIdempotent(req.method) && !retryable;
			const why = `${isGatewayStatus(failure.status) ? 'a gateway answered' : 'the API failed while handling it'}, and the API may or may not have applied it`;
			const retried = uncertain
				? safeToRepeat(req)
					? `; not retried, and the outcome is unknown: ${why}`
					: `; not retried: ${req.method} is not idempotent, and the outcome is unknown: ${why}`
				: retryable
					? ` (after ${requestRetriesNote()})`
					: '';
			return new NodeApiError(
				node,
				redactJson({ status: failure.status, error: apiWords ?? null } as JsonObject, hidden),
				{
					message: redact(`${statusLine(failure.status)} from ${where}${quoted}${retried}`, hidden),
					description: redact(
						req.adviceFor?.[failure.status] ??
							(uncertain
								? 'Check on the remote side whether the change was made (e.g. look the record up) before running again. Where the API supports idempotency keys, set the idempotency key option so such requests can be repeated safely.'
								: adviceForStatus(failure.status, options.credentialType)),
						hidden,
					),
					httpCode: String(failure.status),
					itemIndex: req.itemIndex,
				},
			);
		}
		if (failure.kind === 'network') {
			const notRetried = safeToRepeat(req)
				? `after ${requestRetriesNote()}`
				: `not retried: ${req.method} is not idempotent, and the outcome is unknown: the API may or may not have applied it. Check the remote side before running again`;
			// n8n replaces any message naming an error code (ECONNRESET, ...) with a generic one, so the code goes in the description.
			return new NodeApiError(node, { networkError: describeNetworkError(failure.code) } as JsonObject, {
				message: redact(`Network error (${describeNetworkError(failure.code)}) on ${where}; ${notRetried}`, hidden),
				description: redact(
					`${failure.code}: ${failure.message}. Check that the base URL is reachable from n8n and that the API is up.`,
					hidden,
				),
				itemIndex: req.itemIndex,
			});
		}
		if (failure.kind === 'dns') {
			return new NodeApiError(node, { networkError: 'host not found' } as JsonObject, {
				message: redact(`The host ${failure.host} of the Base URL was not found (DNS) on ${where}`, hidden),
				description: redact(
					`${failure.code}: ${failure.message}. Check the spelling of the credential's Base URL, and that n8n's DNS can resolve ${failure.host}.`,
					hidden,
				),
				itemIndex: req.itemIndex,
			});
		}
		if (failure.kind === 'tls') {
			return new NodeApiError(node, { networkError: 'certificate problem' } as JsonObject, {
				message: redact(`The TLS certificate of ${failure.host} was not accepted (${describeTlsError(failure.code)}) on ${where}`, hidden),
				description: redact(
					`${failure.code}: ${failure.message}. The credential was not sent. Check that the Base URL names the API's real host; a self-signed or private certificate must be trusted by n8n (e.g. NODE_EXTRA_CA_CERTS).`,
					hidden,
				),
				itemIndex: req.itemIndex,
			});
		}
		if (failure.kind === 'oauthRefresh') {
			const credential = reference?.name ? ` "${reference.name}"` : '';
			const answer = `${failure.grantError}${failure.words ? `: ${failure.words}` : ''}`;
			if (failure.grantError === 'invalid_grant') {
				return new NodeApiError(node, { message: 'OAuth2 refresh refused' } as JsonObject, {
					message: redact(
						`The OAuth2 credential${credential} needs to be reconnected: the API refused to renew its access token (${answer}) on ${where}`,
						hidden,
					),
					description:
						'The connected account withdrew access, or the refresh token expired or was revoked. Open the credential and connect the account again ("Switch account"; "Reconnect" or "Connect my account" in n8n 1.x), then run the workflow again.',
					itemIndex: req.itemIndex,
				});
			}
			return new NodeApiError(node, { message: 'OAuth2 refresh refused' } as JsonObject, {
				message: redact(`n8n could not renew the access token of the OAuth2 credential${credential}: the token URL answered ${answer} (on ${where})`, hidden),
				description:
					failure.grantError === 'invalid_client'
						? 'The token URL did not accept the client: check the Client ID and Client Secret in the credential, and Authentication (header or body), then connect the account again.'
						: "Check the credential's Access Token URL, Client ID, Client Secret and Scope, then connect the account again.",
				itemIndex: req.itemIndex,
			});
		}
		return new NodeApiError(node, { message: 'request failed' } as JsonObject, {
			message: redact(`Request ${where} failed: ${failure.error.message}`, hidden),
			description:
				'The request could not be sent. Check the credential: required fields filled in, and an OAuth2 credential connected ("Connect my account").',
			itemIndex: req.itemIndex,
		});
	}

	/** Safe to send again after an unknown outcome: idempotent methods, and requests carrying an idempotency key. */
	function safeToRepeat(req: ApiRequest): boolean {
		return isIdempotent(req.method) || (req.idempotencyKey !== undefined && req.idempotencyKey.value !== '');
	}

	function requestRetriesNote(): string {
		return budget.exhausted ? `the run's retry budget of ${budget.limit} was used up` : 'the retries allowed for one request';
	}

	function parseJsonBody(response: ApiResponse, where: string, req: ApiRequest): unknown {
		const { body } = response;
		if (typeof body !== 'string') return body ?? {};
		if (body.trim() === '') return {};
		try {
			return JSON.parse(body);
		} catch {
			const contentType = String(headerValue(response.headers, 'content-type') ?? 'unknown content type');
			throw new NodeApiError(ctx.getNode(), { status: response.status } as JsonObject, {
				message: redact(`${where} returned ${contentType} instead of JSON: ${snippet(body)}`, [
					...secrets,
					...(req.alsoRedact ?? []),
				]),
				description:
					'The API did not answer with JSON. Check the base URL (it should point at the API, e.g. .../api/v1), and that the API supports JSON for this path.',
				httpCode: String(response.status),
				itemIndex: req.itemIndex,
			});
		}
	}

	function onWait(listener: (startedAt: number, ms: number) => void): () => void {
		waitListeners.add(listener);
		return () => waitListeners.delete(listener);
	}

	return { baseUrl, stats, budget, secrets, request, onWait };
}

const MAX_REDIRECTS = 5;

/** The `Location` of a redirect, resolved against the URL that answered it. */
function redirectLocation(response: ApiResponse, from: URL): URL | undefined {
	if (response.status < 300 || response.status > 399) return undefined;
	const location = headerValue(response.headers, 'location');
	if (typeof location !== 'string' || location === '') return undefined;
	try {
		return new URL(location, from);
	} catch {
		return undefined;
	}
}

/** 307/308 repeat the same request elsewhere; 301/302/303 are followed for reads only (a write is not turned into a GET). */
function followsRedirect(status: number, method: IHttpRequestMethods): boolean {
	if (status === 307 || status === 308) return true;
	return [301, 302, 303].includes(status) && (method === 'GET' || method === 'HEAD');
}

/** Builds an absolute URL from the base URL, a path (or absolute URL) and query parameters. */
export function buildUrl(baseUrl: string, path: string, query?: IDataObject): string {
	const absolute = /^https?:\/\//i.test(path) ? path : `${baseUrl}/${path.replace(/^\/+/, '')}`;
	const url = new URL(absolute);
	for (const [name, value] of Object.entries(query ?? {})) {
		if (value === undefined || value === null) continue;
		url.searchParams.set(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
	}
	return url.href;
}

function classifyError(
	error: Error & { cause?: unknown; httpCode?: string | null; context?: IDataObject },
	host: string,
): Failure {
	// Before the response check: a refused token renewal is not the API's answer to the request.
	const refusal = oauthRefreshRefusal(error);
	if (refusal) return { kind: 'oauthRefresh', ...refusal };
	const cause = (error.cause ?? error) as {
		response?: { status?: number; headers?: IDataObject; data?: unknown };
		code?: string;
		message?: string;
	};
	const response = cause.response ?? (error as { response?: typeof cause.response }).response;
	if (response?.status) {
		return { kind: 'http', status: response.status, headers: response.headers ?? {}, body: response.data };
	}
	const wrapped = error as { code?: string; errorResponse?: { code?: string } };
	const code =
		cause.code ??
		wrapped.code ??
		wrapped.errorResponse?.code ??
		(error.httpCode && !/^\d{3}$/.test(error.httpCode) ? error.httpCode : undefined);
	const message = cause.message ?? error.message;
	if (code === 'ENOTFOUND') return { kind: 'dns', code, message, host };
	if (isTlsErrorCode(code)) return { kind: 'tls', code: code as string, message, host };
	if (isNetworkErrorCode(code) || /timeout/i.test(cause.message ?? '')) {
		return { kind: 'network', code: code ?? 'ETIMEDOUT', message: cause.message ?? error.message };
	}
	if (error.httpCode && /^\d{3}$/.test(error.httpCode)) {
		return { kind: 'http', status: Number(error.httpCode), headers: {}, body: error.context?.data };
	}
	return { kind: 'other', error };
}

const NETWORK_ERROR_WORDS: Record<string, string> = {
	ECONNRESET: 'connection reset',
	ECONNREFUSED: 'connection refused',
	ECONNABORTED: 'timed out',
	ETIMEDOUT: 'timed out',
	ESOCKETTIMEDOUT: 'timed out',
	EPIPE: 'connection closed',
	EAI_AGAIN: 'DNS lookup failed',
	ENETUNREACH: 'network unreachable',
	EHOSTUNREACH: 'host unreachable',
};

/** Node's certificate verification codes (CERT_*, UNABLE_TO_*, *_SELF_SIGNED_*) and TLS errors (ERR_TLS_*, ERR_SSL_*). */
function isTlsErrorCode(code: unknown): boolean {
	return (
		typeof code === 'string' &&
		(/^(CERT_|ERR_TLS_|ERR_SSL_|UNABLE_TO_)/.test(code) || /SELF_SIGNED|HOSTNAME_MISMATCH/.test(code))
	);
}

const TLS_ERROR_WORDS: Record<string, string> = {
	CERT_HAS_EXPIRED: 'certificate expired',
	CERT_NOT_YET_VALID: 'certificate not yet valid',
	DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
	SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
	UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate issuer unknown',
	UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'certificate issuer unknown',
	ERR_TLS_CERT_ALTNAME_INVALID: 'certificate is for another host name',
};

function describeTlsError(code: string): string {
	return TLS_ERROR_WORDS[code] ?? 'certificate not trusted';
}

function describeNetworkError(code: string): string {
	return NETWORK_ERROR_WORDS[code] ?? 'connection failed';
}

function headerValue(headers: IDataObject, name: string): unknown {
	const key = Object.keys(headers ?? {}).find((h) => h.toLowerCase() === name);
	return key === undefined ? undefined : headers[key];
}

function snippet(text: string): string {
	const oneLine = text.replace(/\s+/g, ' ').trim();
	return oneLine.length > 200 ? `${oneLine.slice(0, 200)}…` : oneLine;
}
