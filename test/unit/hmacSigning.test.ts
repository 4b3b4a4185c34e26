import {
	computeSignature,
	expandPayloadTemplate,
	signRequest,
	type HmacSigningSettings,
} from '../../credentials/common/hmacSigning';
import { serialiseForSigning } from '../../credentials/common/requestBytes';

// Expected values were computed with `openssl dgst -hmac`, independently of this code.
const SECRET = 'test-secret';
const FIXED_CLOCK = { now: () => 1_700_000_000_123 };
const BODY = '{"name":"Acme","number":"C-1"}';
const PATH = '/api/v1/clients?take=100&filter=name%3DAcme';

const defaults: HmacSigningSettings = {
	secret: SECRET,
	algorithm: 'sha256',
	encoding: 'hex',
	prefix: '',
	template: '{timestamp}',
	signatureHeader: 'X-Signature',
	timestampHeader: 'X-Timestamp',
	keyIdHeader: 'X-Key-Id',
	nonceHeader: 'X-Nonce',
};

describe('HMAC signing: known-answer vectors', () => {
	it('signs the default template {timestamp} with hex SHA-256', () => {
		const headers = signRequest(defaults, { method: 'GET', path: '/api/v1/clients', body: '' }, FIXED_CLOCK);
		expect(headers).toEqual({
			'X-Timestamp': '1700000000',
			'X-Signature': '1b74eaf87da46877ba651ac812b24a3bf01990e9ed0101b88268f60f965729e2',
		});
	});

	it('signs {timestamp}\\n{method}\\n{path}\\n{bodySha256} with a JSON body and a query string', () => {
		const settings = { ...defaults, template: '{timestamp}\\n{method}\\n{path}\\n{bodySha256}' };
		const headers = signRequest(settings, { method: 'post', path: PATH, body: BODY }, FIXED_CLOCK);
		expect(headers['X-Signature']).toBe('ea75e6a40ee8c8c41df32a9eda644b95bb7dda60515de323cf6c884362fca3f5');
		expect(
			expandPayloadTemplate('{bodySha256}', { timestamp: 0, method: 'GET', path: '/', body: BODY }),
		).toBe('3693361259300faa373199d7d5bfa470f428e34d99e06d1054a3b787ca932e85');
	});

	it('signs with base64 encoding and a prefix', () => {
		const settings = { ...defaults, encoding: 'base64' as const, prefix: 'sha256=', template: '{method} {path} {timestamp} {body}' };
		const headers = signRequest(settings, { method: 'POST', path: '/api/v1/clients', body: BODY }, FIXED_CLOCK);
		expect(headers['X-Signature']).toBe('sha256=iFuJNzzfRqOiDZ5jpQ2vIaTi1JO/altD8nrmyTOFrGw=');
	});

	it('signs with SHA-512', () => {
		const signature = computeSignature({ ...defaults, algorithm: 'sha512' }, { timestamp: 1700000000, method: 'GET', path: '/', body: '' });
		expect(signature).toBe(
			'62842bae5de06b2c7db184afeeea2ddb9de0628f9e7f7c9f318ec11bbab90625b82734a7f327a58b9e59daa27921432654443ae0fd889de6e5a649d0ee35679a',
		);
	});

	it('signs with SHA-1 and a nonce, and sends the nonce and key id', () => {
		const settings = { ...defaults, algorithm: 'sha1' as const, template: '{timestamp}.{nonce}', keyId: 'k1' };
		const headers = signRequest(settings, { method: 'GET', path: '/', body: '' }, FIXED_CLOCK, () => 'abc123');
		expect(headers).toEqual({
			'X-Timestamp': '1700000000',
			'X-Signature': 'e40d67ca36e0e237bd0c9da3d4564da219626ceb',
			'X-Nonce': 'abc123',
			'X-Key-Id': 'k1',
		});
	});

	it('does not expand placeholders that appear inside the body', () => {
		const payload = expandPayloadTemplate('{body}', { timestamp: 1, method: 'GET', path: '/', body: '{"a":"{timestamp}"}' });
		expect(payload).toBe('{"a":"{timestamp}"}');
	});
});

describe('HMAC signing: invalid input throws instead of sending unsigned', () => {
	it.each([
		['an empty secret', { secret: '' }, /secret is empty/],
		['an unknown algorithm', { algorithm: 'md5' }, /Unsupported HMAC algorithm "md5"/],
		['an unknown encoding', { encoding: 'base32' }, /Unsupported signature encoding/],
		['an empty template', { template: '  ' }, /template is empty/],
		['an unknown placeholder', { template: '{timestamp}{host}' }, /Unknown placeholder \{host\}/],
	])('%s', (_label, override, message) => {
		const settings = { ...defaults, ...override } as HmacSigningSettings;
		expect(() => signRequest(settings, { method: 'GET', path: '/', body: '' }, FIXED_CLOCK)).toThrow(message);
	});

	it('never puts the secret in an error message', () => {
		const settings = { ...defaults, secret: 'super-secret-value', template: '{nope}' };
		expect(() => signRequest(settings, { method: 'GET', path: '/', body: '' })).toThrow(
			expect.objectContaining({ message: expect.not.stringContaining('super-secret-value') }),
		);
	});
});

// Inbound verification with these templates: test/unit/webhookVerification.test.ts (one round trip per placeholder).

describe('serialiseForSigning', () => {
	it('puts base URL, path and query into one URL and serialises the JSON body once', () => {
		const { options, pathWithQuery, body } = serialiseForSigning({
			method: 'POST',
			baseURL: 'http://127.0.0.1:9/api/v1/',
			url: '/clients',
			qs: { take: 100, filter: 'name=Acme' },
			body: { name: 'Acme', number: 'C-1' },
		});
		expect(options.url).toBe('http://127.0.0.1:9/api/v1/clients?take=100&filter=name%3DAcme');
		expect(options.baseURL).toBeUndefined();
		expect(options.qs).toBeUndefined();
		expect(pathWithQuery).toBe(PATH);
		expect(body.toString('utf8')).toBe(BODY);
		// Bytes, not a string: n8n's HTTP client would rewrite a string body (trim a JSON text) after signing.
		expect(Buffer.isBuffer(options.body)).toBe(true);
		expect(options.body).toEqual(body);
		expect(options.headers).toEqual({ 'Content-Type': 'application/json' });
	});

	it('keeps a text body byte for byte, a JSON text ending in a newline included, and a Buffer body as given', () => {
		const text = '{"name": "Acme"}\n';
		const fromText = serialiseForSigning({ method: 'POST', url: 'http://h/x', headers: { 'Content-Type': 'application/json' }, body: text });
		expect(fromText.body.toString('utf8')).toBe(text);
		expect(fromText.options.body).toEqual(Buffer.from(text, 'utf8'));
		const bytes = Buffer.from([0xff, 0x00, 0x7b, 0x0a]);
		const fromBytes = serialiseForSigning({ method: 'POST', url: 'http://h/x', body: bytes });
		expect(fromBytes.body).toEqual(bytes);
		expect(fromBytes.options.body).toEqual(bytes);
	});

	it('signs an empty body for GET', () => {
		const { body, options } = serialiseForSigning({ method: 'GET', url: 'http://h/x?a=1', body: { ignored: true } });
		expect(body).toEqual(Buffer.alloc(0));
		expect(options.body).toBeUndefined();
	});
});
