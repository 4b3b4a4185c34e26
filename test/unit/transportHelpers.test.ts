import { NodeApiError, NodeOperationError, type INode, type JsonObject } from 'n8n-workflow';

import { extractApiMessage, oauthRefreshRefusal, redact, redactJson, secretValuesOf, statusLine } from '../../nodes/shared/errors';
import { getAtPath, nextLinkFromHeader } from '../../nodes/shared/pagination';
import { buildUrl } from '../../nodes/shared/transport';
import {
	backoffDelay,
	DEFAULT_RETRY_POLICY,
	isIdempotent,
	isRetryableStatus,
	parseRetryAfter,
} from '../../nodes/shared/retry';

describe('retry rules', () => {
	it.each([429, 502, 503, 504])('retries status %i of a request safe to repeat', (status) =>
		expect(isRetryableStatus(status, true)).toBe(true),
	);
	it('retries only 429 of a request not safe to repeat (a gateway error may follow the write)', () => {
		expect([429, 502, 503, 504].filter((status) => isRetryableStatus(status, false))).toEqual([429]);
	});
	it.each([400, 401, 403, 404, 409, 422, 500])('does not retry status %i', (status) =>
		expect(isRetryableStatus(status, true)).toBe(false),
	);
	it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'get'])('%s is idempotent', (method) => expect(isIdempotent(method)).toBe(true));
	it.each(['POST', 'PATCH'])('%s is not idempotent (a retry could create duplicates)', (method) =>
		expect(isIdempotent(method)).toBe(false),
	);

	it('reads Retry-After as seconds or as an HTTP date', () => {
		const now = Date.parse('2026-11-22T10:00:00Z');
		expect(parseRetryAfter('3', now)).toBe(3000);
		expect(parseRetryAfter('0.5', now)).toBe(500);
		expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:07 GMT', now)).toBe(7000);
		expect(parseRetryAfter('Sun, 22 Nov 2026 09:00:00 GMT', now)).toBe(0);
		expect(parseRetryAfter(['2'], now)).toBe(2000);
	});

	it.each([undefined, '', 'soon', {}])('ignores an unreadable Retry-After %p', (value) =>
		expect(parseRetryAfter(value, 0)).toBeUndefined(),
	);

	it('backs off exponentially with full jitter, capped', () => {
		const policy = { ...DEFAULT_RETRY_POLICY, baseDelayMs: 100, maxDelayMs: 1000 };
		expect(backoffDelay(0, policy, () => 1)).toBe(100);
		expect(backoffDelay(3, policy, () => 1)).toBe(800);
		expect(backoffDelay(10, policy, () => 1)).toBe(1000);
		expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
		expect(backoffDelay(3, policy, () => 0)).toBe(0);
	});
});

describe('API error messages', () => {
	it.each([
		[{ error: 'description is required' }, 'description is required'],
		[{ message: 'Not allowed' }, 'Not allowed'],
		[{ error: { message: 'nested words' } }, 'nested words'],
		[{ errors: ['a is wrong', { message: 'b is wrong' }] }, 'a is wrong; b is wrong'],
		[{ error: 'invalid_grant', error_description: 'code expired' }, 'invalid_grant: code expired'],
		[{ title: 'Bad', detail: 'very bad' }, 'very bad'],
		['{"error":"as text"}', 'as text'],
		// Shopify (Rails): messages per field, or one for the missing wrapper.
		[{ errors: { customer: 'Required parameter missing or invalid' } }, 'customer: Required parameter missing or invalid'],
		[{ errors: { email: ['has already been taken'], phone: ['is invalid', 'is too short'] } }, 'email: has already been taken; phone: is invalid, is too short'],
		[{ errors: 'Not Found' }, 'Not Found'],
		// JSON:API: errors[].detail with the member it points at.
		[
			{ errors: [{ status: '422', title: 'Invalid Attribute', detail: 'must not be blank', source: { pointer: '/data/attributes/title' } }] },
			'/data/attributes/title: must not be blank',
		],
		[{ errors: [{ status: '415', title: 'Unsupported Media Type' }] }, 'Unsupported Media Type'],
		// Stripe and Airtable: error.message.
		[{ error: { type: 'invalid_request_error', message: 'Received unknown parameter: created', param: 'created' } }, 'Received unknown parameter: created'],
		[{ error: { type: 'UNKNOWN_FIELD_NAME', message: 'Unknown field name: "Nmae"' } }, 'Unknown field name: "Nmae"'],
		// HubSpot: message beside status and category.
		[{ status: 'error', message: 'Contact already exists. Existing ID: 51', category: 'CONFLICT' }, 'Contact already exists. Existing ID: 51'],
	])('finds the API’s own words in %j', (body, expected) => expect(extractApiMessage(body)).toBe(expected));

	it.each([undefined, null, '', '<html>oops</html>', {}, []])('returns undefined for %p', (body) =>
		expect(extractApiMessage(body)).toBeUndefined(),
	);

	it('names common statuses', () => {
		expect(statusLine(401)).toBe('401 Unauthorized');
		expect(statusLine(418)).toBe('HTTP 418');
	});
});

describe('a refused OAuth2 token renewal', () => {
	const node: INode = { id: '1', name: 'API Sync', type: 'n8n-nodes-api-sync.apiSync', typeVersion: 1, position: [0, 0], parameters: {} };
	/** What the OAuth client of n8n throws when the token URL refuses (code EAUTH, the token URL's JSON in `body`). */
	const authError = (body: object) => Object.assign(new Error('The provided authorization grant ... is invalid'), { code: 'EAUTH', body });

	it('n8n 2.41: its own "needs to be reconnected" error, wrapped by httpRequestWithAuthentication', () => {
		const reconnect = new NodeOperationError(node, 'The credential "x" needs to be reconnected.', { failure: { cause: 'credential-invalid' } });
		expect(oauthRefreshRefusal(new NodeApiError(node, reconnect as unknown as JsonObject))).toEqual({ grantError: 'invalid_grant' });
	});

	it('older n8n (1.x) and other refusals: the OAuth client error, raw or wrapped', () => {
		expect(oauthRefreshRefusal(new NodeApiError(node, authError({ error: 'invalid_grant' }) as unknown as JsonObject))).toEqual({ grantError: 'invalid_grant' });
		expect(oauthRefreshRefusal(authError({ error: 'invalid_client', error_description: 'bad secret' }))).toEqual({
			grantError: 'invalid_client',
			words: 'bad secret',
		});
	});

	it('anything else is not a refused renewal', () => {
		expect(oauthRefreshRefusal(new Error('socket hang up'))).toBeUndefined();
		expect(oauthRefreshRefusal(Object.assign(new Error('x'), { code: 'EAUTH' }))).toBeUndefined();
		expect(oauthRefreshRefusal(new NodeApiError(node, { message: '401' }))).toBeUndefined();
	});
});

describe('secret redaction', () => {
	const credentials = {
		baseUrl: 'https://api.example.com',
		user: 'me@example.com',
		password: 'pa55-word',
		apiKey: 'key-123456',
		headerName: 'X-API-Key',
		oauthTokenData: { access_token: 'tok-abcdef', refresh_token: 'ref-abcdef' },
		clientSecret: 'client-secret-1',
		secret: 'hmac+secret/=',
	};

	it('collects the values of secret-looking fields, not names or URLs', () => {
		const secrets = secretValuesOf(credentials);
		expect(secrets).toEqual(
			expect.arrayContaining(['pa55-word', 'key-123456', 'tok-abcdef', 'ref-abcdef', 'client-secret-1', 'hmac+secret/=']),
		);
		expect(secrets).not.toContain('X-API-Key');
		expect(secrets).not.toContain('https://api.example.com');
	});

	it('redacts plain, URL-encoded and base64 forms', () => {
		const secrets = secretValuesOf(credentials);
		const text = `key-123456 and ${encodeURIComponent('hmac+secret/=')} and ${Buffer.from('pa55-word').toString('base64')}`;
		expect(redact(text, secrets)).toBe('[redacted] and [redacted] and [redacted]');
		expect(redactJson({ a: ['tok-abcdef'] }, secrets)).toEqual({ a: ['[redacted]'] });
	});
});

describe('URLs and paging helpers', () => {
	it('joins base URL, path and query', () => {
		expect(buildUrl('https://x.test/api/v1', '/clients', { take: 100, filter: 'name=A B', bulk: '', none: undefined })).toBe(
			'https://x.test/api/v1/clients?take=100&filter=name%3DA+B&bulk=',
		);
		expect(buildUrl('https://x.test/api/v1', 'https://other.test/next?page=2')).toBe('https://other.test/next?page=2');
	});

	it('finds rel="next" in a Link header', () => {
		const header = '<https://x.test/c?page=1>; rel="prev", <https://x.test/c?page=3>; rel="next", <https://x.test/c?page=9>; rel="last"';
		expect(nextLinkFromHeader(header)).toBe('https://x.test/c?page=3');
		expect(nextLinkFromHeader('<https://x.test/c?page=9>; rel="last"')).toBeUndefined();
		expect(nextLinkFromHeader(undefined)).toBeUndefined();
	});

	it('reads dot paths', () => {
		expect(getAtPath({ data: { items: [1] } }, 'data.items')).toEqual([1]);
		expect(getAtPath([1], '')).toEqual([1]);
		expect(getAtPath({ a: 1 }, 'a.b')).toBeUndefined();
	});
});
