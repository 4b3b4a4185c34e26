/**
 * The HMAC credential's request as the stock HTTP Request node hands it over, through n8n's real legacy request
 * adapter (@n8n/backend-network `buildAxiosConfigFromLegacyRequest`, what `requestWithAuthentication` sends with).
 * The README promises a form-urlencoded body is signed "byte for byte" as sent. That adapter uses a body as is for
 * the content type `application/x-www-form-urlencoded` only when it is a string; anything else goes through
 * `qs.stringify`, which turns a Buffer into `0=110&1=97…`.
 */
import * as path from 'node:path';

import type { IHttpRequestOptions } from 'n8n-workflow';

import { ApiSyncHmacApi } from '../../credentials/ApiSyncHmacApi.credentials';

const { buildAxiosConfigFromLegacyRequest } = require(path.join(__dirname, '../../node_modules/@n8n/backend-network/dist/http/axios/legacy.js')) as {
	buildAxiosConfigFromLegacyRequest(request: unknown): Promise<{ data?: unknown }>;
};

const credentials = {
	baseUrl: 'http://127.0.0.1:9/api/v1',
	secret: 's3cret',
	algorithm: 'sha256',
	encoding: 'hex',
	signatureHeader: 'X-Signature',
	timestampHeader: 'X-Timestamp',
	payloadTemplate: '{timestamp}\\n{body}',
};

async function signedAndSent(nodeOptions: Record<string, unknown>): Promise<{ signed: string; sent: string }> {
	const signed = await new ApiSyncHmacApi().authenticate(credentials, nodeOptions as unknown as IHttpRequestOptions);
	const signedBody = Buffer.isBuffer(signed.body) ? signed.body.toString('utf8') : String(signed.body);
	const axiosConfig = await buildAxiosConfigFromLegacyRequest(signed);
	const sent = Buffer.isBuffer(axiosConfig.data) ? axiosConfig.data.toString('utf8') : String(axiosConfig.data);
	return { signed: signedBody, sent };
}

describe('HMAC + HTTP Request node: a form-urlencoded body goes out as the bytes signed', () => {
	it('Body Content Type "Form Urlencoded" (`form` holds an object)', async () => {
		// HttpRequestV3: `requestOptions.form = requestOptions.body; delete requestOptions.body` for form-urlencoded.
		const result = await signedAndSent({
			headers: {},
			method: 'POST',
			uri: 'http://127.0.0.1:9/api/v1/clients',
			form: { name: 'Form client', city: 'Gent' },
			json: true,
		});
		expect(result).toEqual({ signed: 'name=Form+client&city=Gent', sent: 'name=Form+client&city=Gent' });
	});

	it.each(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded; charset=utf-8'])(
		'Body Content Type "Raw" with content type %s',
		async (contentType) => {
			const result = await signedAndSent({
				headers: { 'content-type': contentType },
				method: 'POST',
				uri: 'http://127.0.0.1:9/api/v1/clients',
				body: 'name=Form+client&city=Gent',
				json: false,
			});
			expect(result).toEqual({ signed: 'name=Form+client&city=Gent', sent: 'name=Form+client&city=Gent' });
		},
	);

	it('a raw JSON body stays bytes (axios would trim a JSON text)', async () => {
		const body = '{"name": "Raw"}\n';
		const signed = await new ApiSyncHmacApi().authenticate(credentials, {
			headers: { 'content-type': 'application/json' },
			method: 'POST',
			uri: 'http://127.0.0.1:9/api/v1/clients',
			body,
			json: false,
		} as unknown as IHttpRequestOptions);
		expect(Buffer.isBuffer(signed.body)).toBe(true);
		const axiosConfig = await buildAxiosConfigFromLegacyRequest(signed);
		expect(Buffer.isBuffer(axiosConfig.data) && axiosConfig.data.toString('utf8')).toBe(body);
	});
});
