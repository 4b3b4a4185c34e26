/**
 * n8n's legacy request path (`requestWithAuthentication`, used by the stock HTTP Request node) hands the
 * credential request options with the URL in `uri` and a JSON body as an object (`json: true`).
 */
import type { IHttpRequestOptions } from 'n8n-workflow';

import { ApiSyncHmacApi } from '../../credentials/ApiSyncHmacApi.credentials';
import { serialiseForSigning } from '../../credentials/common/requestBytes';
import { expandTemplate, sign, DEFAULT_HMAC_CONFIG } from '../sandbox/hmac';

const legacy = (options: Record<string, unknown>) => options as unknown as IHttpRequestOptions;

describe('serialiseForSigning with a legacy request (uri)', () => {
	it('reads the URL from uri, adds qs, and writes the final URL back to uri', () => {
		const { options, pathWithQuery, body } = serialiseForSigning(
			legacy({ method: 'POST', uri: 'http://127.0.0.1:9/api/v1/clients', qs: { format: 'json' }, json: true, body: { name: 'Acme', tags: ['a'] } }),
		);
		expect(pathWithQuery).toBe('/api/v1/clients?format=json');
		expect((options as { uri?: string }).uri).toBe('http://127.0.0.1:9/api/v1/clients?format=json');
		expect(options.url).toBeUndefined();
		expect(options.qs).toBeUndefined();
		expect(body.toString()).toBe('{"name":"Acme","tags":["a"]}');
		expect(options.body).toEqual(body);
		expect(options.headers).toEqual({ 'Content-Type': 'application/json' });
	});

	it('serialises a url-encoded object body as a form, the bytes the request sends', () => {
		const { body, options } = serialiseForSigning(
			legacy({
				method: 'POST',
				uri: 'http://h/x',
				headers: { 'content-type': 'application/x-www-form-urlencoded' },
				body: { a: 'one two', b: ['1', '2'] },
			}),
		);
		expect(body.toString()).toBe('a=one+two&b=1&b=2');
		expect(options.headers).toEqual({ 'content-type': 'application/x-www-form-urlencoded' });
	});

	it('turns a legacy url-encoded form (form) into the body that is signed and sent', () => {
		const { body, options } = serialiseForSigning(legacy({ method: 'POST', uri: 'http://h/x', form: { name: 'Acme & Co', city: 'Gent' } }));
		expect(body.toString()).toBe('name=Acme+%26+Co&city=Gent');
		// As text: n8n's HTTP clients send a form body that is a string as it is, and rebuild anything else
		// (`new URLSearchParams(bytes)` throws; the legacy path would `qs.stringify` a Buffer).
		expect(options.body).toBe('name=Acme+%26+Co&city=Gent');
		expect((options as { form?: unknown }).form).toBeUndefined();
		expect(options.headers).toEqual({ 'Content-Type': 'application/x-www-form-urlencoded' });
	});

	it('refuses a multipart body rather than sending it unsigned', () => {
		expect(() => serialiseForSigning(legacy({ method: 'POST', uri: 'http://h/x', formData: { a: '1' } }))).toThrow(/multipart form-data body cannot be signed/);
	});

	it('fails clearly when there is no URL at all', () => {
		expect(() => serialiseForSigning(legacy({ method: 'GET' }))).toThrow('The request has no URL to sign.');
	});
});

describe('ApiSyncHmacApi.authenticate on a legacy request', () => {
	it('is an own property (n8n lists own-property authenticate in the HTTP Request node) and signs uri requests', async () => {
		const credential = new ApiSyncHmacApi();
		expect(Object.prototype.hasOwnProperty.call(credential, 'authenticate')).toBe(true);
		const template = '{timestamp}\\n{method}\\n{path}\\n{body}';
		const signed = (await credential.authenticate(
			{ baseUrl: 'http://127.0.0.1:9/api/v1', secret: DEFAULT_HMAC_CONFIG.secret, payloadTemplate: template },
			legacy({ method: 'PUT', uri: 'http://127.0.0.1:9/api/v1/clients/7', json: true, body: { city: 'Gent' } }),
		)) as IHttpRequestOptions & { uri?: string };
		const headers = signed.headers as Record<string, string>;
		// Recomputed with the sandbox's independent verifier code.
		const expected = sign(
			{ ...DEFAULT_HMAC_CONFIG, template },
			expandTemplate(template, {
				timestamp: headers['X-Timestamp'],
				method: 'PUT',
				path: '/api/v1/clients/7',
				body: '{"city":"Gent"}',
			}),
		);
		expect(headers['X-Signature']).toBe(expected);
		expect(signed.uri).toBe('http://127.0.0.1:9/api/v1/clients/7');
		expect(signed.body).toEqual(Buffer.from('{"city":"Gent"}'));
	});
});
