import { createHash, createHmac, randomBytes, timingSafeEqual } from 'crypto';

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
	/** Unix seconds, exactly as sent in the timestamp header. */
	timestamp: number;
	/** HTTP method; upper-cased before use. */
	method: string;
	/** URL path plus query string exactly as sent, e.g. `/api/v1/clients?take=100`. */
	path: string;
	/** The exact request body as sent; empty string when there is none. */
	body: string;
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
const KNOWN_PLACEHOLDERS = new Set(['timestamp', 'method', 'path', 'body', 'bodySha256', 'nonce']);

/** True when the template asks for a nonce, so the signer must generate and send one. */
export function templateUsesNonce(template: string): boolean {
	return template.includes('{nonce}');
}

/**
 * Expands a payload template. Placeholders: `{timestamp}`, `{method}`, `{path}`, `{body}`,
 * `{bodySha256}` (lower-case hex SHA-256 of the body) and `{nonce}`; the two characters `\n`
 * stand for a newline. Values are inserted in one pass, so braces inside a body are never expanded.
 *
 * @throws Error on an unknown placeholder or a `{nonce}` without a nonce value.
 */
export function expandPayloadTemplate(template: string, values: PayloadValues): string {
	const withNewlines = template.replace(/\\n/g, '\n');
	return withNewlines.replace(PLACEHOLDER, (whole, name: string) => {
		switch (name) {
			case 'timestamp':
				return String(values.timestamp);
			case 'method':
				return values.method.toUpperCase();
			case 'path':
				return values.path;
			case 'body':
				return values.body;
			case 'bodySha256':
				return createHash('sha256').update(values.body, 'utf8').digest('hex');
			case 'nonce':
				if (values.nonce === undefined) {
					throw new Error('The payload template uses {nonce} but no nonce was given');
				}
				return values.nonce;
			default:
				throw new Error(
					`Unknown placeholder ${whole} in the payload template. Known placeholders: ${[
						...KNOWN_PLACEHOLDERS,
					]
						.map((p) => `{${p}}`)
						.join(', ')}`,
				);
		}
	});
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
	const payload = expandPayloadTemplate(settings.template, values);
	const digest = createHmac(settings.algorithm, settings.secret).update(payload, 'utf8').digest(settings.encoding);
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
	request: { method: string; path: string; body: string },
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

export type VerificationResult = { valid: true } | { valid: false; reason: string };

/**
 * Verifies an inbound signature (for the webhook trigger): recomputes it over the received values,
 * compares in constant time, and checks the timestamp is within `toleranceSeconds` of the clock.
 */
export function verifySignature(
	settings: HmacSignatureSettings,
	received: { signature: string | undefined; values: PayloadValues },
	options: { toleranceSeconds: number; clock?: SigningClock },
): VerificationResult {
	if (!received.signature) return { valid: false, reason: 'the signature header is missing' };
	const nowSeconds = Math.floor((options.clock ?? Date).now() / 1000);
	const timestamp = received.values.timestamp;
	if (!Number.isInteger(timestamp)) return { valid: false, reason: 'the timestamp is missing or not a number' };
	if (Math.abs(nowSeconds - timestamp) > options.toleranceSeconds) {
		return { valid: false, reason: `the timestamp is more than ${options.toleranceSeconds} s away from now` };
	}
	const expected = Buffer.from(computeSignature(settings, received.values), 'utf8');
	const actual = Buffer.from(received.signature, 'utf8');
	if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
		return { valid: false, reason: 'the signature does not match' };
	}
	return { valid: true };
}
