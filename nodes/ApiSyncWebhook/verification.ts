import { createHash, createHmac, timingSafeEqual } from 'crypto';

import {
	BODY_COVERING_TEMPLATE,
	computeSignature,
	renderPayload,
	TIMESTAMP_ONLY_TEMPLATE,
	templateUsesNonce,
	templateUsesTimestamp,
	type HmacSignatureSettings,
} from '../../credentials/common/hmacSigning';

/** What a caller must prove. Stable parameter values of the node's Verification option. */
export type VerificationScheme =
	| 'stripe'
	| 'github'
	| 'shopify'
	| 'slack'
	| 'standardWebhooks'
	| 'hmac'
	| 'basicAuth'
	| 'bearer'
	| 'apiKeyHeader'
	| 'none';

/** An inbound call as received: nothing re-serialised. */
export interface InboundRequest {
	method: string;
	/** Path plus query string exactly as received, e.g. `/webhook/abc/webhook?x=1`. */
	path: string;
	/** Header names in lower case (as Node delivers them). */
	headers: Record<string, string | string[] | undefined>;
	/** The body bytes as received; empty when there is none. */
	rawBody: Buffer;
}

/** Generic HMAC: the signing settings of the API Sync HMAC credential, minus the secret. */
export interface HmacVerificationSettings extends Omit<HmacSignatureSettings, 'secret'> {
	signatureHeader: string;
	timestampHeader: string;
	nonceHeader: string;
}

export interface VerificationSettings {
	scheme: VerificationScheme;
	/** The current secret (password, token, key) first, then the previous one during a rotation. */
	secrets: string[];
	/** Basic auth: the expected user. */
	user?: string;
	/** API key header: where the key is sent. */
	apiKeyHeader?: string;
	/** Generic HMAC. */
	hmac?: HmacVerificationSettings;
	/** Timestamped schemes: how far (seconds) the signed timestamp may be from now, either way. */
	toleranceSeconds: number;
}

export type RejectReason = 'missingProof' | 'malformed' | 'staleTimestamp' | 'mismatch' | 'timestampOnlyTemplate';
export type Verdict = { ok: true } | { ok: false; reason: RejectReason };

/** Words for the log; never anything about the expected value. */
export const REJECT_REASON_TEXT: Record<RejectReason, string> = {
	missingProof: 'the signature, token or credentials header is missing',
	malformed: 'the signature or credentials header is malformed',
	staleTimestamp: 'the signed timestamp is outside the replay window',
	mismatch: 'the signature, token or credentials do not match',
	timestampOnlyTemplate:
		'the call is signed over {timestamp} only (the old default template), but the credential verifies the default {timestamp}\\n{method}\\n{path}\\n{bodySha256}: sign that on the sending side (or, knowing any body then passes, enter {timestamp} as the Payload Template)',
};

/**
 * How one scheme proves a call: the values the caller sent (`actual`, any may match), how to
 * compute the expected value from a secret, and the signed timestamp where the scheme has one.
 */
interface Challenge {
	actual: string[];
	expected(secret: string): string;
	timestamp?: string;
	/** The bytes the signature covers (signature schemes only). */
	signed?: Buffer;
	/** Generic HMAC with {nonce}: the nonce that was signed. */
	nonce?: string;
}

/** First value of a header (lower-case name). */
export function headerValue(headers: InboundRequest['headers'], name: string): string | undefined {
	const value = headers[name.toLowerCase()];
	return Array.isArray(value) ? value[0] : value;
}

function hmacHex(key: string | Buffer, ...parts: Array<string | Buffer>): string {
	const hmac = createHmac('sha256', key);
	for (const part of parts) hmac.update(part);
	return hmac.digest('hex');
}

function hmacBase64(key: string | Buffer, ...parts: Array<string | Buffer>): string {
	const hmac = createHmac('sha256', key);
	for (const part of parts) hmac.update(part);
	return hmac.digest('base64');
}

/** Standard Webhooks: the secret is base64, optionally prefixed `whsec_`. */
export function standardWebhooksKey(secret: string): Buffer {
	const key = Buffer.from(secret.replace(/^whsec_/, ''), 'base64');
	if (key.length === 0) throw new Error('The Standard Webhooks secret is not base64 (whsec_...)');
	return key;
}

function join(prefix: string, body: Buffer): Buffer {
	return Buffer.concat([Buffer.from(prefix, 'utf8'), body]);
}

function challengeFor(settings: VerificationSettings, request: InboundRequest): Challenge | RejectReason {
	const header = (name: string) => headerValue(request.headers, name);
	const body = request.rawBody;
	switch (settings.scheme) {
		case 'stripe': {
			// Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>...][,v0=...]; signed payload "<t>.<body>".
			const value = header('stripe-signature');
			if (!value) return 'missingProof';
			const pairs = value.split(',').map((pair) => pair.trim().split('='));
			const timestamp = pairs.find(([key]) => key === 't')?.[1];
			const actual = pairs.filter(([key]) => key === 'v1').map(([, sig]) => sig ?? '');
			if (!timestamp || actual.length === 0) return 'malformed';
			return { timestamp, actual, expected: (secret) => hmacHex(secret, `${timestamp}.`, body), signed: join(`${timestamp}.`, body) };
		}
		case 'github': {
			const value = header('x-hub-signature-256');
			if (!value) return 'missingProof';
			return { actual: [value], expected: (secret) => `sha256=${hmacHex(secret, body)}`, signed: body };
		}
		case 'shopify': {
			const value = header('x-shopify-hmac-sha256');
			if (!value) return 'missingProof';
			return { actual: [value], expected: (secret) => hmacBase64(secret, body), signed: body };
		}
		case 'slack': {
			const value = header('x-slack-signature');
			const timestamp = header('x-slack-request-timestamp');
			if (!value || !timestamp) return 'missingProof';
			return {
				timestamp,
				actual: [value],
				expected: (secret) => `v0=${hmacHex(secret, `v0:${timestamp}:`, body)}`,
				signed: join(`v0:${timestamp}:`, body),
			};
		}
		case 'standardWebhooks': {
			// webhook-signature: space-separated "v1,<base64>" entries; signed "<id>.<timestamp>.<body>".
			const id = header('webhook-id');
			const timestamp = header('webhook-timestamp');
			const value = header('webhook-signature');
			if (!id || !timestamp || !value) return 'missingProof';
			const actual = value
				.split(' ')
				.filter((entry) => entry.startsWith('v1,'))
				.map((entry) => entry.slice(3));
			if (actual.length === 0) return 'malformed';
			return {
				timestamp,
				actual,
				expected: (secret) => hmacBase64(standardWebhooksKey(secret), `${id}.${timestamp}.`, body),
				signed: join(`${id}.${timestamp}.`, body),
			};
		}
		case 'hmac': {
			const hmac = settings.hmac;
			if (!hmac) return 'malformed';
			const value = header(hmac.signatureHeader);
			if (!value) return 'missingProof';
			const signsTimestamp = templateUsesTimestamp(hmac.template);
			const timestamp = header(hmac.timestampHeader);
			if (signsTimestamp && !timestamp) return 'missingProof';
			const nonce = templateUsesNonce(hmac.template) ? header(hmac.nonceHeader) : undefined;
			if (templateUsesNonce(hmac.template) && nonce === undefined) return 'missingProof';
			const values = { timestamp: timestamp ?? '', method: request.method, path: request.path, body, nonce };
			return {
				timestamp: signsTimestamp ? timestamp : undefined,
				actual: [value],
				expected: (secret) => computeSignature({ ...hmac, secret }, values),
				signed: renderPayload(hmac.template, values),
				nonce,
			};
		}
		case 'basicAuth': {
			const value = header('authorization');
			if (!value) return 'missingProof';
			const match = /^basic\s+(\S+)$/i.exec(value.trim());
			if (!match) return 'malformed';
			return {
				actual: [Buffer.from(match[1], 'base64').toString('utf8')],
				expected: (password) => `${settings.user ?? ''}:${password}`,
			};
		}
		case 'bearer': {
			const value = header('authorization');
			if (!value) return 'missingProof';
			const match = /^bearer\s+(\S+)$/i.exec(value.trim());
			if (!match) return 'malformed';
			return { actual: [match[1]], expected: (token) => token };
		}
		case 'apiKeyHeader': {
			const value = header(settings.apiKeyHeader || 'X-API-Key');
			if (!value) return 'missingProof';
			return { actual: [value], expected: (key) => key };
		}
		default:
			return 'malformed';
	}
}

/** The one timestamp window: whole Unix seconds, at most `toleranceSeconds` old or ahead. */
export function isTimestampFresh(timestamp: string, nowMs: number, toleranceSeconds: number): boolean {
	if (!/^\d{1,12}$/.test(timestamp.trim())) return false;
	return Math.abs(Math.floor(nowMs / 1000) - Number(timestamp.trim())) <= toleranceSeconds;
}

/** Constant-time comparison; different lengths are unequal without comparing contents. */
export function constantTimeEqual(expected: string, actual: string): boolean {
	const a = Buffer.from(expected, 'utf8');
	const b = Buffer.from(actual, 'utf8');
	return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Verifies an inbound call. Never throws: anything unexpected (a secret that does not decode,
 * a malformed header) is a rejection. `none` accepts every call.
 */
export function verifyRequest(settings: VerificationSettings, request: InboundRequest, nowMs: number): Verdict {
	if (settings.scheme === 'none') return { ok: true };
	try {
		const challenge = challengeFor(settings, request);
		if (typeof challenge === 'string') return { ok: false, reason: challenge };
		if (challenge.timestamp !== undefined && !isTimestampFresh(challenge.timestamp, nowMs, settings.toleranceSeconds)) {
			return { ok: false, reason: 'staleTimestamp' };
		}
		const actual = challenge.actual.filter((value) => value !== '');
		if (actual.length === 0) return { ok: false, reason: 'malformed' };
		// Every secret and every offered signature is compared, so timing says nothing about which matched.
		let matched = false;
		for (const secret of settings.secrets.filter((s) => s !== '')) {
			const expected = challenge.expected(secret);
			for (const value of actual) if (constantTimeEqual(expected, value)) matched = true;
		}
		if (matched) return { ok: true };
		return { ok: false, reason: signedTheOldDefaultWay(settings, request) ? 'timestampOnlyTemplate' : 'mismatch' };
	} catch {
		return { ok: false, reason: 'malformed' };
	}
}

/**
 * Generic HMAC left at the default template: true when the call would verify under the old default, {timestamp}
 * alone. Only for a clearer log line: such a call is still rejected (it does not cover the body).
 */
function signedTheOldDefaultWay(settings: VerificationSettings, request: InboundRequest): boolean {
	if (settings.scheme !== 'hmac' || settings.hmac?.template !== BODY_COVERING_TEMPLATE) return false;
	const old = challengeFor({ ...settings, hmac: { ...settings.hmac, template: TIMESTAMP_ONLY_TEMPLATE } }, request);
	if (typeof old === 'string') return false;
	return settings.secrets.some((secret) => secret !== '' && old.actual.some((value) => constantTimeEqual(old.expected(secret), value)));
}

/** What a verified call carries against replays: see README "Repeated deliveries". */
export interface ReplayFacts {
	/**
	 * Signature schemes: hex SHA-256 of the bytes the signature covers, followed by the body (so a template that
	 * leaves the body out still tells two different bodies apart). The same signed call always has the same digest.
	 */
	signedDigest?: string;
	/** Timestamped schemes: the signed Unix time in seconds. */
	signedTimestamp?: number;
	/** Generic HMAC with {nonce}: the signed nonce. */
	nonce?: string;
}

/** The replay facts of a call that {@link verifyRequest} accepted. Never throws. */
export function replayFactsOf(settings: VerificationSettings, request: InboundRequest): ReplayFacts {
	if (settings.scheme === 'none') return {};
	try {
		const challenge = challengeFor(settings, request);
		if (typeof challenge === 'string') return {};
		const facts: ReplayFacts = {};
		if (challenge.signed !== undefined) {
			facts.signedDigest = createHash('sha256').update(challenge.signed).update('\0').update(request.rawBody).digest('hex');
		}
		if (challenge.timestamp !== undefined && /^\d{1,12}$/.test(challenge.timestamp.trim())) facts.signedTimestamp = Number(challenge.timestamp.trim());
		if (challenge.nonce !== undefined) facts.nonce = challenge.nonce;
		return facts;
	} catch {
		return {};
	}
}

/** Headers that carry a credential or signature; they never reach the output. */
export function credentialBearingHeaders(settings: VerificationSettings): Set<string> {
	const names = [
		'authorization',
		'proxy-authorization',
		'cookie',
		'stripe-signature',
		'x-hub-signature',
		'x-hub-signature-256',
		'x-shopify-hmac-sha256',
		'x-slack-signature',
		'webhook-signature',
		'x-api-key',
	];
	if (settings.scheme === 'apiKeyHeader') names.push(settings.apiKeyHeader || 'X-API-Key');
	if (settings.hmac) names.push(settings.hmac.signatureHeader);
	return new Set(names.map((name) => name.toLowerCase()));
}

/**
 * The delivery id where the scheme has one: `webhook-id`, `X-GitHub-Delivery`,
 * `X-Shopify-Webhook-Id`, the Stripe event id, Slack's `event_id`; or the header the user named.
 */
export function deliveryIdOf(
	scheme: VerificationScheme,
	headers: InboundRequest['headers'],
	body: unknown,
	customHeader = '',
): string | undefined {
	if (customHeader.trim() !== '') return headerValue(headers, customHeader.trim()) || undefined;
	const bodyField = (name: string) => {
		const value = body !== null && typeof body === 'object' ? (body as Record<string, unknown>)[name] : undefined;
		return typeof value === 'string' && value !== '' ? value : undefined;
	};
	switch (scheme) {
		case 'standardWebhooks':
			return headerValue(headers, 'webhook-id');
		case 'github':
			return headerValue(headers, 'x-github-delivery');
		case 'shopify':
			return headerValue(headers, 'x-shopify-webhook-id');
		case 'stripe':
			return bodyField('id');
		case 'slack':
			return bodyField('event_id');
		default:
			return undefined;
	}
}
