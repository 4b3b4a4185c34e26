/**
 * HMAC request verification, written independently of the package's credential code so the two can check
 * each other.
 */
import { createHash, createHmac } from 'node:crypto';

import { safeEqual } from './secure';
import { HMAC_KEYS } from './fixtures';
import type { HmacVerifyConfig } from './types';

/** Default verification settings: `X-Signature: hex(HMAC-SHA256(secret, timestamp))`. */
export const DEFAULT_HMAC_CONFIG: Readonly<HmacVerifyConfig> = Object.freeze({
	keyId: HMAC_KEYS[0].keyId,
	secret: HMAC_KEYS[0].secret,
	algorithm: 'sha256',
	encoding: 'hex',
	signatureHeader: 'X-Signature',
	prefix: '',
	timestampHeader: 'X-Timestamp',
	keyIdHeader: 'X-Key-Id',
	nonceHeader: 'X-Nonce',
	template: '{timestamp}',
	toleranceSeconds: 300,
});

/** The parts of a request that a signature may cover. */
export interface SignedRequest {
	method: string;
	/** Path plus query exactly as received. */
	url: string;
	body: Buffer;
	header(name: string): string | undefined;
}

export type HmacResult = { ok: true } | { ok: false; message: string };

const PLACEHOLDER = /\{(timestamp|method|path|body|bodySha256|nonce)\}/g;

/** Expands a signing template; the characters backslash-n become a newline. */
export function expandTemplate(template: string, values: Record<string, string>): string {
	return template.replace(/\\n/g, '\n').replace(PLACEHOLDER, (_match, name: string) => values[name] ?? '');
}

/** prefix + encode(HMAC(algorithm, secret, message)). */
export function sign(config: HmacVerifyConfig, message: string): string {
	return config.prefix + createHmac(config.algorithm, config.secret).update(message, 'utf8').digest(config.encoding);
}

/**
 * Verifies the signature headers of a request. Nonces of accepted requests are added to `usedNonces`.
 * `nowSeconds` comes from the sandbox clock.
 */
export function verifyHmac(
	config: HmacVerifyConfig,
	request: SignedRequest,
	nowSeconds: number,
	usedNonces: Set<string>,
): HmacResult {
	const keyId = request.header(config.keyIdHeader);
	if (keyId !== undefined && keyId !== config.keyId) return fail('unknown HMAC key id');

	const timestamp = request.header(config.timestampHeader);
	const timestampError = checkTimestamp(config, timestamp, nowSeconds);
	if (timestampError) return fail(timestampError);

	const usesNonce = config.template.includes('{nonce}');
	const nonce = request.header(config.nonceHeader) ?? '';
	if (usesNonce && nonce === '') return fail(`nonce header ${config.nonceHeader} is missing`);

	const expected = sign(config, expandTemplate(config.template, templateValues(request, timestamp ?? '', nonce)));
	const received = (request.header(config.signatureHeader) ?? '').trim();
	if (!safeEqual(received, expected)) return fail('invalid signature');

	if (usesNonce) {
		if (usedNonces.has(nonce)) return fail('nonce already used');
		usedNonces.add(nonce);
	}
	return { ok: true };
}

function checkTimestamp(config: HmacVerifyConfig, timestamp: string | undefined, nowSeconds: number): string | undefined {
	const required = config.template.includes('{timestamp}');
	if (timestamp === undefined || timestamp.trim() === '') {
		return required ? `timestamp header ${config.timestampHeader} is missing` : undefined;
	}
	if (!/^-?\d+$/.test(timestamp.trim())) return 'timestamp must be an integer (Unix seconds)';
	if (Math.abs(nowSeconds - Number(timestamp)) > config.toleranceSeconds) {
		return `timestamp outside the allowed window of ${config.toleranceSeconds} s`;
	}
	return undefined;
}

function templateValues(request: SignedRequest, timestamp: string, nonce: string): Record<string, string> {
	return {
		timestamp,
		method: request.method.toUpperCase(),
		path: request.url,
		body: request.body.toString('utf8'),
		bodySha256: createHash('sha256').update(request.body).digest('hex'),
		nonce,
	};
}

function fail(message: string): HmacResult {
	return { ok: false, message };
}
