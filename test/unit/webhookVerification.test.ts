/**
 * Inbound verification of the API Sync Webhook node: known-answer vectors from the providers' own
 * documentation (never computed by the code under test), the replay window, rotation, the IP
 * allow-list, and one signing → verifying round trip per HMAC template placeholder (repeated deliveries:
 * webhookDeliveries.test.ts).
 */
import { createHash, createHmac } from 'node:crypto';

import type { IHttpRequestOptions } from 'n8n-workflow';

import { ApiSyncHmacApi } from '../../credentials/ApiSyncHmacApi.credentials';
import { BODY_COVERING_TEMPLATE, TEMPLATE_PLACEHOLDERS } from '../../credentials/common/hmacSigning';
import { isIpAllowed, parseAllowList } from '../../nodes/ApiSyncWebhook/ipAllowList';
import {
	credentialBearingHeaders,
	deliveryIdOf,
	REJECT_REASON_TEXT,
	replayFactsOf,
	verifyRequest,
	type InboundRequest,
	type VerificationSettings,
} from '../../nodes/ApiSyncWebhook/verification';

function request(body: string | Buffer, headers: Record<string, string>, method = 'POST', path = '/webhook/abc/webhook'): InboundRequest {
	const lower: Record<string, string> = {};
	for (const [name, value] of Object.entries(headers)) lower[name.toLowerCase()] = value;
	return { method, path, headers: lower, rawBody: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8') };
}

function settings(scheme: VerificationSettings['scheme'], secrets: string[], extra: Partial<VerificationSettings> = {}): VerificationSettings {
	return { scheme, secrets, toleranceSeconds: 300, ...extra };
}

/** Flips one byte of a string body. */
function tamper(body: string): string {
	return body.slice(0, -1) + String.fromCharCode(body.charCodeAt(body.length - 1) ^ 1);
}

describe('GitHub: the documented example', () => {
	// docs.github.com "Validating webhook deliveries", "Testing the webhook payload validation":
	// secret "It's a Secret to Everybody", payload "Hello, World!", and this X-Hub-Signature-256.
	const SECRET = "It's a Secret to Everybody";
	const PAYLOAD = 'Hello, World!';
	const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
	const github = settings('github', [SECRET]);

	it('accepts the documented signature', () => {
		expect(verifyRequest(github, request(PAYLOAD, { 'X-Hub-Signature-256': SIGNATURE }), 0)).toEqual({ ok: true });
	});

	it.each([
		['a tampered byte', request(tamper(PAYLOAD), { 'X-Hub-Signature-256': SIGNATURE }), github, 'mismatch'],
		['a wrong secret', request(PAYLOAD, { 'X-Hub-Signature-256': SIGNATURE }), settings('github', ['not the secret']), 'mismatch'],
		['a missing header', request(PAYLOAD, { 'X-Hub-Signature': SIGNATURE }), github, 'missingProof'],
		['a truncated signature', request(PAYLOAD, { 'X-Hub-Signature-256': SIGNATURE.slice(0, -2) }), github, 'mismatch'],
	])('rejects %s', (_label, req, config, reason) => {
		expect(verifyRequest(config, req, 0)).toEqual({ ok: false, reason });
	});

	it('accepts the previous secret during a rotation, and no other', () => {
		expect(verifyRequest(settings('github', ['the-new-secret', SECRET]), request(PAYLOAD, { 'X-Hub-Signature-256': SIGNATURE }), 0)).toEqual({ ok: true });
		expect(verifyRequest(settings('github', ['the-new-secret']), request(PAYLOAD, { 'X-Hub-Signature-256': SIGNATURE }), 0)).toEqual({
			ok: false,
			reason: 'mismatch',
		});
	});
});

describe('Standard Webhooks: the reference test vector', () => {
	// standard-webhooks/standard-webhooks, libraries/javascript/src/webhook.test.ts, "sign function works":
	// key whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw, msg id msg_p5jXN8AQM9LWM0D4loKWxJek, timestamp 1614265330,
	// payload {"test": 2432232314} → v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=
	const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
	const ID = 'msg_p5jXN8AQM9LWM0D4loKWxJek';
	const TS = 1614265330;
	const PAYLOAD = '{"test": 2432232314}';
	const SIGNATURE = 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=';
	const NOW = TS * 1000;
	const headers = (signature = SIGNATURE, ts = TS) => ({ 'webhook-id': ID, 'webhook-timestamp': String(ts), 'webhook-signature': signature });
	const standard = settings('standardWebhooks', [SECRET]);

	it('accepts the reference signature, with and without the whsec_ prefix', () => {
		expect(verifyRequest(standard, request(PAYLOAD, headers()), NOW)).toEqual({ ok: true });
		expect(verifyRequest(settings('standardWebhooks', ['MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']), request(PAYLOAD, headers()), NOW)).toEqual({ ok: true });
	});

	it('accepts a list of signatures when one of them matches (reference "multi sig payload is valid")', () => {
		const list = ['v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', 'v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=', SIGNATURE].join(' ');
		expect(verifyRequest(standard, request(PAYLOAD, headers(list)), NOW)).toEqual({ ok: true });
	});

	it.each([
		['stale (301 s old)', NOW + 301_000, 'staleTimestamp'],
		['far future (301 s ahead)', NOW - 301_000, 'staleTimestamp'],
	])('rejects a timestamp %s', (_label, now, reason) => {
		expect(verifyRequest(standard, request(PAYLOAD, headers()), now)).toEqual({ ok: false, reason });
	});

	it('accepts the edges of the window (300 s either way)', () => {
		expect(verifyRequest(standard, request(PAYLOAD, headers()), NOW + 300_000)).toEqual({ ok: true });
		expect(verifyRequest(standard, request(PAYLOAD, headers()), NOW - 300_000)).toEqual({ ok: true });
	});

	it.each([
		['a tampered byte', request(tamper(PAYLOAD), headers()), 'mismatch'],
		['a partial signature (reference test)', request(PAYLOAD, headers(SIGNATURE.slice(0, 8))), 'mismatch'],
		['an empty v1 (reference test)', request(PAYLOAD, headers('v1,')), 'malformed'],
		['a missing webhook-id', request(PAYLOAD, { 'webhook-timestamp': String(TS), 'webhook-signature': SIGNATURE }), 'missingProof'],
		['a non-numeric timestamp (reference test)', request(PAYLOAD, { ...headers(), 'webhook-timestamp': 'hello' }), 'staleTimestamp'],
	])('rejects %s', (_label, req, reason) => {
		expect(verifyRequest(standard, req, NOW)).toEqual({ ok: false, reason });
	});

	it('never throws: a secret that is not base64 is a rejection', () => {
		expect(verifyRequest(settings('standardWebhooks', ['whsec_']), request(PAYLOAD, headers()), NOW)).toEqual({ ok: false, reason: 'malformed' });
	});

	it('names the delivery by webhook-id', () => {
		expect(deliveryIdOf('standardWebhooks', request(PAYLOAD, headers()).headers, undefined)).toBe(ID);
	});
});

describe('Slack: the documented example', () => {
	// api.slack.com "Verifying requests from Slack", the worked example: signing secret, timestamp,
	// slash-command body and the expected X-Slack-Signature.
	const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
	const TS = '1531420618';
	const BODY =
		'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
	const SIGNATURE = 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503';
	const slack = settings('slack', [SECRET]);
	const NOW = Number(TS) * 1000;
	const headers = { 'X-Slack-Request-Timestamp': TS, 'X-Slack-Signature': SIGNATURE };

	it('accepts the documented signature over the form-encoded body', () => {
		expect(verifyRequest(slack, request(BODY, headers), NOW)).toEqual({ ok: true });
	});

	it.each([
		['a tampered byte', request(tamper(BODY), headers), NOW, 'mismatch'],
		['a stale timestamp', request(BODY, headers), NOW + 301_000, 'staleTimestamp'],
		['a missing timestamp', request(BODY, { 'X-Slack-Signature': SIGNATURE }), NOW, 'missingProof'],
	])('rejects %s', (_label, req, now, reason) => {
		expect(verifyRequest(slack, req, now)).toEqual({ ok: false, reason });
	});
});

describe('Stripe: the documented scheme', () => {
	// stripe.com/docs/webhooks "Verify signatures manually": Stripe-Signature "t=<unix>,v1=<hex>[,v1=...]",
	// signed payload "<t>.<raw body>", HMAC-SHA256 with the endpoint secret, hex; every v1 is a candidate.
	// Stripe publishes no fixed vector with its secret; the expected value is built here with
	// node:crypto straight from that recipe, independent of the verifier.
	const SECRET = 'whsec_test_secret_for_api_sync';
	const BODY = '{"id":"evt_1N2fake","object":"event","type":"customer.updated"}';
	const T = 1_700_000_000;
	const v1 = (secret: string, t = T, body = BODY) => createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
	const stripe = settings('stripe', [SECRET]);

	it('accepts any of several v1 signatures, ignores v0', () => {
		const header = `t=${T},v1=${v1('an-old-secret')},v1=${v1(SECRET)},v0=${'0'.repeat(64)}`;
		expect(verifyRequest(stripe, request(BODY, { 'Stripe-Signature': header }), T * 1000)).toEqual({ ok: true });
	});

	it('takes the event id as the delivery id', () => {
		expect(deliveryIdOf('stripe', {}, JSON.parse(BODY))).toBe('evt_1N2fake');
	});

	it.each([
		['a tampered byte', request(tamper(BODY), { 'Stripe-Signature': `t=${T},v1=${v1(SECRET)}` }), T * 1000, 'mismatch'],
		['a changed t', request(BODY, { 'Stripe-Signature': `t=${T + 1},v1=${v1(SECRET)}` }), T * 1000, 'mismatch'],
		['a stale t', request(BODY, { 'Stripe-Signature': `t=${T},v1=${v1(SECRET)}` }), (T + 301) * 1000, 'staleTimestamp'],
		['no v1', request(BODY, { 'Stripe-Signature': `t=${T},v0=${v1(SECRET)}` }), T * 1000, 'malformed'],
		['no header', request(BODY, {}), T * 1000, 'missingProof'],
	])('rejects %s', (_label, req, now, reason) => {
		expect(verifyRequest(stripe, req, now)).toEqual({ ok: false, reason });
	});
});

describe('Shopify: the documented scheme', () => {
	// shopify.dev "Verify webhooks": X-Shopify-Hmac-Sha256 = base64(HMAC-SHA256(client secret, raw body)).
	const SECRET = 'shpss_example_client_secret';
	const BODY = '{"id":820982911946154508,"email":"jon@example.com"}';
	const signature = createHmac('sha256', SECRET).update(BODY).digest('base64');
	const shopify = settings('shopify', [SECRET]);

	it('accepts the base64 signature, rejects a tampered byte', () => {
		expect(verifyRequest(shopify, request(BODY, { 'X-Shopify-Hmac-Sha256': signature }), 0)).toEqual({ ok: true });
		expect(verifyRequest(shopify, request(tamper(BODY), { 'X-Shopify-Hmac-Sha256': signature }), 0)).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('verifies bytes that are not UTF-8 exactly as received', () => {
		const bytes = Buffer.from([0x7b, 0xff, 0xfe, 0x00, 0x7d]);
		const sig = createHmac('sha256', SECRET).update(bytes).digest('base64');
		expect(verifyRequest(shopify, request(bytes, { 'X-Shopify-Hmac-Sha256': sig }), 0)).toEqual({ ok: true });
	});
});

describe('Basic, Bearer, API key header, None', () => {
	const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

	it.each([
		['Basic: the password', settings('basicAuth', ['pw-new', 'pw-old'], { user: 'shop' }), { Authorization: basic('shop', 'pw-new') }, true],
		['Basic: the previous password', settings('basicAuth', ['pw-new', 'pw-old'], { user: 'shop' }), { Authorization: basic('shop', 'pw-old') }, true],
		['Basic: another user', settings('basicAuth', ['pw-new'], { user: 'shop' }), { Authorization: basic('other', 'pw-new') }, false],
		['Bearer: the token', settings('bearer', ['tok-1']), { Authorization: 'Bearer tok-1' }, true],
		['Bearer: another token', settings('bearer', ['tok-1']), { Authorization: 'Bearer tok-2' }, false],
		['API key: the key', settings('apiKeyHeader', ['key-1'], { apiKeyHeader: 'X-Shop-Key' }), { 'X-Shop-Key': 'key-1' }, true],
		['API key: the key in another header', settings('apiKeyHeader', ['key-1'], { apiKeyHeader: 'X-Shop-Key' }), { 'X-API-Key': 'key-1' }, false],
		['None: anything', settings('none', []), {}, true],
	])('%s', (_label, config, headers, ok) => {
		expect(verifyRequest(config, request('{}', headers), 0).ok).toBe(ok);
	});

	it('an empty credential accepts nothing', () => {
		expect(verifyRequest(settings('bearer', ['']), request('{}', { Authorization: 'Bearer ' }), 0).ok).toBe(false);
	});

	it('keeps credential-bearing headers out of the output', () => {
		const hidden = credentialBearingHeaders(settings('apiKeyHeader', ['k'], { apiKeyHeader: 'X-Shop-Key' }));
		for (const name of ['authorization', 'x-shop-key', 'x-hub-signature-256', 'webhook-signature', 'stripe-signature', 'cookie']) {
			expect(hidden.has(name)).toBe(true);
		}
		expect(hidden.has('content-type')).toBe(false);
	});
});

describe('Generic HMAC: signed by the API Sync HMAC credential, verified by the webhook', () => {
	const SECRET = 'shared-Secret-42';
	const CREDENTIAL = {
		secret: SECRET,
		algorithm: 'sha256',
		encoding: 'hex',
		signatureHeader: 'X-Signature',
		signaturePrefix: '',
		timestampHeader: 'X-Timestamp',
		keyId: '',
		keyIdHeader: 'X-Key-Id',
		testPath: '/',
		baseUrl: 'http://127.0.0.1:5678',
	};
	const hmacSettings = (template: string, secrets = [SECRET]): VerificationSettings =>
		settings('hmac', secrets, {
			hmac: { algorithm: 'sha256', encoding: 'hex', prefix: '', template, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', nonceHeader: 'X-Nonce' },
		});

	/** Signs a request with the real credential, and returns it as the webhook would receive it. */
	async function signedCall(template: string, body = { name: 'Acme {timestamp}', city: 'Gent' }): Promise<InboundRequest> {
		const signed: IHttpRequestOptions = await new ApiSyncHmacApi().authenticate(
			{ ...CREDENTIAL, payloadTemplate: template },
			{ method: 'POST', url: '/webhook/abc/webhook', baseURL: 'http://127.0.0.1:5678', qs: { source: 'shop 1' }, body },
		);
		const url = new URL(signed.url);
		return request(String(signed.body ?? ''), signed.headers as Record<string, string>, signed.method, `${url.pathname}${url.search}`);
	}

	const changes: Record<(typeof TEMPLATE_PLACEHOLDERS)[number], (req: InboundRequest) => InboundRequest> = {
		timestamp: (req) => ({ ...req, headers: { ...req.headers, 'x-timestamp': String(Number(req.headers['x-timestamp']) - 1) } }),
		method: (req) => ({ ...req, method: 'PUT' }),
		path: (req) => ({ ...req, path: req.path.replace('shop', 'shoq') }),
		body: (req) => ({ ...req, rawBody: Buffer.from(tamper(req.rawBody.toString('utf8'))) }),
		bodySha256: (req) => ({ ...req, rawBody: Buffer.from(tamper(req.rawBody.toString('utf8'))) }),
		nonce: (req) => ({ ...req, headers: { ...req.headers, 'x-nonce': `${req.headers['x-nonce']}0` } }),
	};

	it('covers every placeholder of the template language', () => {
		expect(Object.keys(changes).sort()).toEqual([...TEMPLATE_PLACEHOLDERS].sort());
	});

	it.each(TEMPLATE_PLACEHOLDERS.map((p) => [p]))('{%s}: what the credential signs, the webhook verifies; a change to it is rejected', async (placeholder) => {
		const template = placeholder === 'timestamp' ? '{timestamp}' : `{timestamp}\\n{${placeholder}}`;
		const call = await signedCall(template);
		expect(verifyRequest(hmacSettings(template), call, Date.now())).toEqual({ ok: true });
		expect(verifyRequest(hmacSettings(template), changes[placeholder](call), Date.now())).toEqual({ ok: false, reason: 'mismatch' });
	});

	it("the original module's X-Timestamp / X-Signature scheme works as-is, and goes stale after the window", async () => {
		const call = await signedCall('{timestamp}');
		expect(call.headers['x-signature']).toBe(createHmac('sha256', SECRET).update(String(call.headers['x-timestamp'])).digest('hex'));
		expect(verifyRequest(hmacSettings('{timestamp}'), call, Date.now())).toEqual({ ok: true });
		expect(verifyRequest(hmacSettings('{timestamp}'), call, Date.now() + 301_000)).toEqual({ ok: false, reason: 'staleTimestamp' });
	});

	it('accepts the previous secret during a rotation', async () => {
		const call = await signedCall('{timestamp}.{body}');
		expect(verifyRequest(hmacSettings('{timestamp}.{body}', ['brand-new-secret', SECRET]), call, Date.now())).toEqual({ ok: true });
		expect(verifyRequest(hmacSettings('{timestamp}.{body}', ['brand-new-secret']), call, Date.now())).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('{body} and {bodySha256} cover the received bytes, also when they are not UTF-8', () => {
		const bytes = Buffer.from([0x61, 0xff, 0x00, 0xe9, 0x62]);
		const expected = createHmac('sha256', SECRET)
			.update(Buffer.concat([Buffer.from('POST\n'), bytes, Buffer.from(`\n${createHash('sha256').update(bytes).digest('hex')}`)]))
			.digest('hex');
		const template = '{method}\\n{body}\\n{bodySha256}';
		const call = request(bytes, { 'X-Signature': expected });
		expect(verifyRequest(hmacSettings(template), call, 0)).toEqual({ ok: true });
		expect(verifyRequest(hmacSettings(template), { ...call, rawBody: Buffer.from(bytes.toString('utf8')) }, 0)).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('a template without {timestamp} needs no timestamp header', async () => {
		const call = await signedCall('{method} {path} {body}');
		const headers = { ...call.headers };
		delete headers['x-timestamp'];
		expect(verifyRequest(hmacSettings('{method} {path} {body}'), { ...call, headers }, 0)).toEqual({ ok: true });
	});
});

describe('IP allow-list', () => {
	const list = parseAllowList('10.0.0.0/8, 192.0.2.10\n2001:db8::/32 ::1');

	it.each([
		['10.1.2.3', true],
		['::ffff:10.1.2.3', true],
		['11.0.0.1', false],
		['192.0.2.10', true],
		['192.0.2.11', false],
		['2001:db8:abcd::1', true],
		['2001:db9::1', false],
		['::1', true],
		['127.0.0.1', false],
		['not-an-ip', false],
		[undefined, false],
	])('%s → %s', (ip, allowed) => {
		expect(isIpAllowed(ip, list)).toBe(allowed);
	});

	it('handles prefixes that are not a multiple of 8', () => {
		const narrow = parseAllowList('172.16.0.0/12, 2001:db8:8000::/33');
		expect(isIpAllowed('172.31.255.255', narrow)).toBe(true);
		expect(isIpAllowed('172.32.0.0', narrow)).toBe(false);
		expect(isIpAllowed('2001:db8:8000::1', narrow)).toBe(true);
		expect(isIpAllowed('2001:db8:7fff::1', narrow)).toBe(false);
	});

	it.each(['10.0.0.0/33', '300.1.1.1', '10.0.0', '2001:db8::/129', '1:2:3:4:5:6:7:8:9', 'example.com', '10.0.0.0/8/1', '1::2::3'])(
		'rejects the entry %s with a message naming it',
		(entry) => {
			expect(() => parseAllowList(`127.0.0.1, ${entry}`)).toThrow(`"${entry}" in the IP allow-list`);
		},
	);

	it('parses IPv6 with an IPv4 tail', () => {
		expect(isIpAllowed('64:ff9b::192.0.2.33', parseAllowList('64:ff9b::/96'))).toBe(true);
	});
});

describe('replay facts of a verified call (what the store remembers, see webhookDeliveries.test.ts)', () => {
	const SECRET = "It's a Secret to Everybody";
	const sign = (body: string) => `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
	const github = settings('github', [SECRET]);

	it('GitHub: the same signed bytes give the same digest whatever the unsigned delivery id; other bytes another', () => {
		const body = '{"action":"opened"}';
		const a = replayFactsOf(github, request(body, { 'X-Hub-Signature-256': sign(body), 'X-GitHub-Delivery': 'one' }));
		const b = replayFactsOf(github, request(body, { 'X-Hub-Signature-256': sign(body), 'X-GitHub-Delivery': 'two' }));
		const other = replayFactsOf(github, request('{"action":"closed"}', { 'X-Hub-Signature-256': sign('{"action":"closed"}') }));
		expect(a.signedDigest).toMatch(/^[0-9a-f]{64}$/);
		expect(b.signedDigest).toBe(a.signedDigest);
		expect(other.signedDigest).not.toBe(a.signedDigest);
		expect(a.signedTimestamp).toBeUndefined();
	});

	it('generic HMAC: the signed timestamp and nonce; a template without the body still tells two bodies apart', () => {
		const hmac = (template: string) =>
			settings('hmac', ['s'], {
				hmac: { algorithm: 'sha256', encoding: 'hex', prefix: '', template, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', nonceHeader: 'X-Nonce' },
			});
		const headers = { 'X-Signature': 'x', 'X-Timestamp': '1700000000', 'X-Nonce': 'n-42' };
		const facts = replayFactsOf(hmac('{timestamp}\\n{nonce}'), request('{"a":1}', headers));
		expect(facts).toMatchObject({ signedTimestamp: 1700000000, nonce: 'n-42' });
		expect(replayFactsOf(hmac('{timestamp}\\n{nonce}'), request('{"a":2}', headers)).signedDigest).not.toBe(facts.signedDigest);
	});

	it('Basic, Bearer and API key calls sign nothing: no digest', () => {
		expect(replayFactsOf(settings('bearer', ['t']), request('{}', { Authorization: 'Bearer t' }))).toEqual({});
		expect(replayFactsOf(settings('none', []), request('{}', {}))).toEqual({});
	});
});

describe('generic HMAC at the default template', () => {
	const SECRET = 'inbound-default-Secret';
	const atDefault = settings('hmac', [SECRET], {
		hmac: { algorithm: 'sha256', encoding: 'hex', prefix: '', template: BODY_COVERING_TEMPLATE, signatureHeader: 'X-Signature', timestampHeader: 'X-Timestamp', nonceHeader: 'X-Nonce' },
	});
	const NOW_S = 1_700_000_000;

	it('verifies {timestamp}\\n{method}\\n{path}\\n{bodySha256}; rejects another body', () => {
		const body = '{"total":"12.50"}';
		const signature = createHmac('sha256', SECRET)
			.update(`${NOW_S}\nPOST\n/webhook/abc/webhook\n${createHash('sha256').update(body).digest('hex')}`)
			.digest('hex');
		const headers = { 'X-Timestamp': String(NOW_S), 'X-Signature': signature };
		expect(verifyRequest(atDefault, request(body, headers), NOW_S * 1000)).toEqual({ ok: true });
		expect(verifyRequest(atDefault, request('{"total":"99.99"}', headers), NOW_S * 1000)).toEqual({ ok: false, reason: 'mismatch' });
	});

	it('a call signed over {timestamp} alone (the old default) is rejected, with its own reason for the log', () => {
		const headers = { 'X-Timestamp': String(NOW_S), 'X-Signature': createHmac('sha256', SECRET).update(String(NOW_S)).digest('hex') };
		expect(verifyRequest(atDefault, request('{"any":"body"}', headers), NOW_S * 1000)).toEqual({ ok: false, reason: 'timestampOnlyTemplate' });
		expect(REJECT_REASON_TEXT.timestampOnlyTemplate).toContain('{timestamp} only');
		// With a wrong secret it is a plain mismatch: the reason says nothing about a secret it does not know.
		const wrong = { ...headers, 'X-Signature': createHmac('sha256', 'other').update(String(NOW_S)).digest('hex') };
		expect(verifyRequest(atDefault, request('{}', wrong), NOW_S * 1000)).toEqual({ ok: false, reason: 'mismatch' });
	});
});
