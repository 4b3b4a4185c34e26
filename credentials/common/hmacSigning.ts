import { createHash, createHmac, randomBytes } from 'crypto';

export type HmacAlgorithm = 'sha256' | 'sha512' | 'sha1';
export type SignatureEncoding = 'hex' | 'base64';

/** How a signature is computed: shared by outbound signing and inbound verification. */
export interface HmacSignatureSettings {
	secret: string;
	algorithm: HmacAlgorithm;
	encoding: SignatureEncoding;
	/** Text put in front of the encoded signature, e.g. `sha256=`. */
	prefix: string;
	/** Payload template; see {@link expandPayloadTemplate}. */
	template: string;
}

/** Outbound signing settings: the signature settings plus the header names to send. */
export interface HmacSigningSettings extends HmacSignatureSettings {
	signatureHeader: string;
	timestampHeader: string;
	/** Optional key id, sent in `keyIdHeader` when not empty. */
	keyId?: string;
	keyIdHeader?: string;
	nonceHeader?: string;
}

/** The values a payload template can refer to. */
export interface PayloadValues {
	/** Unix seconds, exactly as sent in the timestamp header (a received header is used verbatim). */
	timestamp: number | string;
	/** HTTP method; upper-cased before use. */
	method: string;
	/** URL path plus query string exactly as sent, e.g. `/api/v1/clients?take=100`. */
	path: string;
	/** The exact request body: the string sent, or the bytes received. Empty when there is none. */
	body: string | Buffer;
	/** Random value, also sent in the nonce header; only needed when the template uses `{nonce}`. */
	nonce?: string;
}

export interface SigningClock {
	/** Current time in milliseconds since the epoch. */
	now(): number;
}

const ALGORITHMS: readonly HmacAlgorithm[] = ['sha256', 'sha512', 'sha1'];
const ENCODINGS: readonly SignatureEncoding[] = ['hex', 'base64'];
const PLACEHOLDER = /\{([A-Za-z0-9]+)\}/g;
/** Every placeholder a payload template may use. */
export const TEMPLATE_PLACEHOLDERS = ['timestamp', 'method', 'path', 'body', 'bodySha256', 'nonce'] as const;

/**
 * The inbound (API Sync Webhook HMAC) credential's default payload template, as typed in the field: the signed
 * timestamp, method, path with query, and the SHA-256 of the body, one per line. A captured signature is then
 * good for this one request only (and, with {timestamp}, only inside the replay window).
 */
export const BODY_COVERING_TEMPLATE = '{timestamp}\\n{method}\\n{path}\\n{bodySha256}';

/**
 * The original API-sync modules' template: the timestamp alone. The outbound (API Sync HMAC) credential's default;
 * the inbound credential's default before it covered the body.
 */
export const TIMESTAMP_ONLY_TEMPLATE = '{timestamp}';

/** True when the template signs the body ({body} or {bodySha256}): otherwise a signature authenticates any body. */
export function templateCoversBody(template: string): boolean {
	return template.includes('{body}') || template.includes('{bodySha256}');
}

/**
 * Display rule for a credential notice that warns about a Payload Template field that does not cover the body:
 * hidden as soon as the template contains {body} or {bodySha256} (n8n's editor evaluates it as you type).
 */
export const HIDE_WHEN_TEMPLATE_COVERS_BODY = {
	hide: { payloadTemplate: [{ _cnd: { includes: '{body}' } }, { _cnd: { includes: '{bodySha256}' } }] },
};

/** True when the template asks for a nonce, so the signer must generate and send one. */
export function templateUsesNonce(template: string): boolean {
	return template.includes('{nonce}');
}

/** True when the template signs the timestamp, so a verifier must check its freshness. */
export function templateUsesTimestamp(template: string): boolean {
	return template.includes('{timestamp}');
}

function placeholderBytes(whole: string, name: string, values: PayloadValues): Buffer {
	switch (name) {
		case 'timestamp':
			return Buffer.from(String(values.timestamp), 'utf8');
		case 'method':
			return Buffer.from(values.method.toUpperCase(), 'utf8');
		case 'path':
			return Buffer.from(values.path, 'utf8');
		case 'body':
			return bodyBytes(values.body);
		case 'bodySha256':
			return Buffer.from(createHash('sha256').update(bodyBytes(values.body)).digest('hex'), 'utf8');
		case 'nonce':
			if (values.nonce === undefined) {
				throw new Error('The payload template uses {nonce} but no nonce was given');
			}
			return Buffer.from(values.nonce, 'utf8');
		default:
			throw new Error(
				`Unknown placeholder ${whole} in the payload template. Known placeholders: ${TEMPLATE_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
			);
	}
}

function bodyBytes(body: string | Buffer): Buffer {
	return Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
}

/**
 * Renders the string-to-sign: the one function that both signs outbound requests and verifies
 * inbound ones. Placeholders: `{timestamp}`, `{method}`, `{path}`, `{body}`, `{bodySha256}`
 * (lower-case hex SHA-256 of the body bytes) and `{nonce}`; the two characters `\n` stand for a
 * newline. Values are inserted in one pass, so braces inside a body are never expanded, and a
 * received body is inserted byte for byte (never decoded and re-encoded).
 *
 * @throws Error on an unknown placeholder or a `{nonce}` without a nonce value.
 */
export function renderPayload(template: string, values: PayloadValues): Buffer {
	const withNewlines = template.replace(/\\n/g, '\n');
	const parts: Buffer[] = [];
	let last = 0;
	for (const match of withNewlines.matchAll(PLACEHOLDER)) {
		parts.push(Buffer.from(withNewlines.slice(last, match.index), 'utf8'));
		parts.push(placeholderBytes(match[0], match[1], values));
		last = match.index + match[0].length;
	}
	parts.push(Buffer.from(withNewlines.slice(last), 'utf8'));
	return Buffer.concat(parts);
}

/** {@link renderPayload} as text (for display and tests). */
export function expandPayloadTemplate(template: string, values: PayloadValues): string {
	return renderPayload(template, values).toString('utf8');
}

/** Checks settings before use, so a misconfiguration fails loudly instead of sending a bad signature. */
export function assertValidSignatureSettings(settings: HmacSignatureSettings): void {
	if (typeof settings.secret !== 'string' || settings.secret.length === 0) {
		throw new Error('The HMAC secret is empty. Enter the shared secret in the credential.');
	}
	if (!ALGORITHMS.includes(settings.algorithm)) {
		throw new Error(`Unsupported HMAC algorithm "${settings.algorithm}". Use one of: ${ALGORITHMS.join(', ')}`);
	}
	if (!ENCODINGS.includes(settings.encoding)) {
		throw new Error(`Unsupported signature encoding "${settings.encoding}". Use hex or base64`);
	}
	if (typeof settings.template !== 'string' || settings.template.trim() === '') {
		throw new Error('The payload template is empty. The default is {timestamp}');
	}
}

/** Computes `prefix + encode(HMAC(algorithm, secret, expandedTemplate))`. Pure. */
export function computeSignature(settings: HmacSignatureSettings, values: PayloadValues): string {
	assertValidSignatureSettings(settings);
	const payload = renderPayload(settings.template, values);
	const digest = createHmac(settings.algorithm, settings.secret).update(payload).digest(settings.encoding);
	return `${settings.prefix ?? ''}${digest}`;
}

/**
 * Computes the headers that sign one outbound request.
 *
 * @param settings signing settings from the credential
 * @param request the method, the path plus query string as sent, and the exact body bytes as sent
 * @param clock injectable clock (tests pass a fixed one)
 * @param newNonce injectable nonce source, used only when the template contains `{nonce}`
 */
export function signRequest(
	settings: HmacSigningSettings,
	request: { method: string; path: string; body: string | Buffer },
	clock: SigningClock = Date,
	newNonce: () => string = () => randomBytes(16).toString('hex'),
): Record<string, string> {
	const timestamp = Math.floor(clock.now() / 1000);
	const nonce = templateUsesNonce(settings.template) ? newNonce() : undefined;
	const signature = computeSignature(settings, { ...request, timestamp, nonce });

	const headers: Record<string, string> = {
		[settings.timestampHeader]: String(timestamp),
		[settings.signatureHeader]: signature,
	};
	if (nonce !== undefined) headers[settings.nonceHeader || 'X-Nonce'] = nonce;
	if (settings.keyId) headers[settings.keyIdHeader || 'X-Key-Id'] = settings.keyId;
	return headers;
}
