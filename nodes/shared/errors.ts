import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

const REDACTED = '[redacted]';
const SECRET_FIELD = /pass|secret|token|key|signature|authorization/i;

/** Values of a credential that must never be shown: anything whose field name sounds secret. */
export function secretValuesOf(credentials: ICredentialDataDecryptedObject | undefined): string[] {
	const secrets: string[] = [];
	const visit = (value: unknown, name: string) => {
		if (typeof value === 'string') {
			if (SECRET_FIELD.test(name) && value.length >= 4) secrets.push(value);
		} else if (value && typeof value === 'object') {
			for (const [k, v] of Object.entries(value)) visit(v, SECRET_FIELD.test(name) ? name : k);
		}
	};
	for (const [name, value] of Object.entries(credentials ?? {})) {
		if (name === 'headerName' || name === 'queryParameterName' || name.endsWith('Header')) continue;
		visit(value, name);
	}
	// Basic auth sends base64(user:password): an API echoing the header shows that, not base64 of the password.
	const { user, password } = credentials ?? {};
	if (typeof user === 'string' && typeof password === 'string' && password !== '') secrets.push(`${user}:${password}`);
	return secrets;
}

/** Replaces every occurrence of each secret (and its URL-encoded and base64 forms) in text. */
export function redact(text: string, secrets: readonly string[]): string {
	const forms = new Set<string>();
	for (const secret of secrets) {
		if (!secret) continue;
		forms.add(secret).add(encodeURIComponent(secret)).add(Buffer.from(secret).toString('base64'));
	}
	// Longest first: a secret inside another (a password inside `user:password`) must not break the longer one.
	let result = text;
	for (const form of [...forms].sort((a, b) => b.length - a.length)) result = result.split(form).join(REDACTED);
	return result;
}

/** Deep copy of a JSON value with secrets redacted from every string. */
export function redactJson<T>(value: T, secrets: readonly string[]): T {
	if (secrets.length === 0) return value;
	return JSON.parse(redact(JSON.stringify(value), secrets)) as T;
}

/**
 * Finds the API's own words in an error body: EenvoudigFactureren's `{"error": "..."}`, and common
 * shapes such as `message`, `error.message` (Stripe, Airtable), `errors[]`, `detail`, `title`,
 * `error_description`, JSON:API `errors[].detail` (with the `source.pointer` it names), and Rails-style
 * messages per field, `{"errors": {"email": ["has already been taken"]}}` (Shopify).
 */
export function extractApiMessage(body: unknown): string | undefined {
	if (body === undefined || body === null) return undefined;
	if (typeof body === 'string') {
		const trimmed = body.trim();
		if (trimmed === '') return undefined;
		try {
			return extractApiMessage(JSON.parse(trimmed));
		} catch {
			return undefined;
		}
	}
	if (Array.isArray(body)) {
		const parts = body.map((e) => (typeof e === 'string' ? e : extractApiMessage(e))).filter(Boolean);
		return parts.length ? parts.join('; ') : undefined;
	}
	if (typeof body !== 'object') return undefined;
	const obj = body as IDataObject;
	const candidates: unknown[] = [obj.error, obj.message, obj.errors, obj.error_description, obj.detail, obj.title];
	const parts: string[] = [];
	for (const candidate of candidates) {
		if (typeof candidate === 'string' && candidate.trim() !== '') parts.push(candidate.trim());
		else if (candidate && typeof candidate === 'object') {
			const nested = extractApiMessage(candidate) ?? (candidate === obj.errors ? messagesByField(candidate) : undefined);
			if (nested) parts.push(nested);
		}
		if (parts.length) break;
	}
	// JSON:API names the member at fault: "/data/attributes/title: must not be blank".
	const pointer = (obj.source as IDataObject | undefined)?.pointer;
	if (parts.length && typeof obj.detail === 'string' && typeof pointer === 'string' && pointer !== '' && parts[0] === obj.detail.trim()) {
		parts[0] = `${pointer}: ${parts[0]}`;
	}
	if (obj.error_description && typeof obj.error_description === 'string' && !parts.includes(obj.error_description)) {
		parts.push(obj.error_description);
	}
	return parts.length ? parts.join(': ') : undefined;
}

/** Rails-style errors, a message (or list of messages) per field: `email: has already been taken; phone: is invalid`. */
function messagesByField(errors: unknown): string | undefined {
	if (!errors || typeof errors !== 'object' || Array.isArray(errors)) return undefined;
	const parts: string[] = [];
	for (const [field, value] of Object.entries(errors as IDataObject)) {
		const messages = (Array.isArray(value) ? value : [value]).filter((m): m is string => typeof m === 'string' && m.trim() !== '');
		if (messages.length) parts.push(`${field}: ${messages.map((m) => m.trim()).join(', ')}`);
	}
	return parts.length ? parts.join('; ') : undefined;
}

const STATUS_TEXT: Record<number, string> = {
	400: 'Bad Request',
	401: 'Unauthorized',
	403: 'Forbidden',
	404: 'Not Found',
	405: 'Method Not Allowed',
	409: 'Conflict',
	410: 'Gone',
	413: 'Payload Too Large',
	415: 'Unsupported Media Type',
	422: 'Unprocessable Entity',
	429: 'Too Many Requests',
	500: 'Internal Server Error',
	502: 'Bad Gateway',
	503: 'Service Unavailable',
	504: 'Gateway Timeout',
};

/** What to check on a 401, for the credential type in use (only its own fields). */
const UNAUTHORIZED_ADVICE: Record<string, string> = {
	apiSyncApiKeyApi:
		'Check the API key in the credential (and, for a key sent as a query parameter, the parameter name), and that the key belongs to this base URL and was not revoked.',
	apiSyncBasicAuthApi: 'Check the user (e-mail) and password in the credential, and that the user may use the API at this base URL.',
	apiSyncBearerTokenApi: 'Check the token in the credential: it may have expired or been revoked, or belong to another base URL.',
	apiSyncOAuth2Api:
		'The access token was refused even after n8n renewed it: reconnect the credential ("Connect my account"), or check the client ID and secret.',
	apiSyncHmacApi:
		"Check the HMAC credential's secret and key ID, and that its algorithm, encoding, header names and payload template match what the API verifies; a timestamp scheme also needs n8n's clock to be right.",
	apiSyncNoAuthApi: 'This API wants authentication: choose the credential type it accepts instead of None.',
};

/**
 * What to check, in words a user can act on, for the statuses that have a usual cause. With the credential type,
 * a 401 names only that credential's fields.
 */
export function adviceForStatus(status: number, credentialType?: string): string {
	switch (status) {
		case 400:
			return 'The API refused the data sent. Check the fields and values named in the message.';
		case 401:
			return `The credentials were rejected. ${
				(credentialType && UNAUTHORIZED_ADVICE[credentialType]) ??
				'Check the credential: the API key, token, user and password, or HMAC secret, and that it belongs to this base URL. An OAuth2 token may have expired: reconnect the credential.'
			}`;
		case 403:
			return 'The credentials are valid but not allowed to do this. Check the Account ID (X-AccountId): only accountant-portal users and keys can reach other accounts. Check that the API key has the rights for this resource.';
		case 404:
			return 'Nothing exists at this path. Check the base URL, the resource and the record ID.';
		case 429:
			return 'The API is rate limiting these requests. Lower the concurrency or the requests per second, or try again later.';
		default:
			if (status >= 500) return 'The API had a problem. Try again later; if it persists, contact the API provider.';
			if (status >= 300 && status < 400) {
				return 'The API answered with a redirect that was not followed: a write is never turned into another request, and nothing is sent to another origin. Check the Base URL (the API may have moved); a write answered this way may or may not have been applied.';
			}
			return 'Check the request parameters.';
	}
}

/**
 * n8n could not renew an OAuth2 access token: the OAuth error code the token URL answered (`invalid_grant`: the grant
 * is gone, reconnect; `invalid_client`: the client ID or secret), found anywhere in the error's cause chain. n8n 2.41
 * words a refused refresh token itself ("needs to be reconnected", failure cause `credential-invalid`); older n8n,
 * and every other refusal, pass on the OAuth client's error (code `EAUTH`, the token URL's JSON answer in `body`).
 */
export function oauthRefreshRefusal(error: unknown): { grantError: string; words?: string } | undefined {
	let link: unknown = error;
	for (let depth = 0; depth < 5 && link && typeof link === 'object'; depth++) {
		const candidate = link as { failure?: { cause?: unknown }; code?: unknown; body?: unknown; message?: unknown; cause?: unknown };
		if (candidate.failure?.cause === 'credential-invalid') return { grantError: 'invalid_grant' };
		if (candidate.code === 'EAUTH' && candidate.body && typeof candidate.body === 'object') {
			const body = candidate.body as IDataObject;
			if (typeof body.error === 'string' && body.error !== '') {
				const description = typeof body.error_description === 'string' ? body.error_description : undefined;
				return { grantError: body.error, ...(description ? { words: description } : {}) };
			}
		}
		link = candidate.cause;
	}
	return undefined;
}

export function statusLine(status: number): string {
	return STATUS_TEXT[status] ? `${status} ${STATUS_TEXT[status]}` : `HTTP ${status}`;
}
