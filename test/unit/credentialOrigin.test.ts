/**
 * Issue 16.10: every package credential with an `authenticate` keeps to its Base URL's origin, whoever sends the
 * request (n8n's HTTP Request node hands `authenticate` whatever URL it was given): another origin is refused before
 * anything is signed, and n8n's redirect following is switched off. The workflow tests: test/integration/
 * httpRequestCredentials.test.ts (in-process) and test/e2e/httpRequestNode.e2e.test.ts (real n8n).
 */
import type { ICredentialDataDecryptedObject, ICredentialType, IHttpRequestOptions } from 'n8n-workflow';

import { ApiSyncApiKeyApi } from '../../credentials/ApiSyncApiKeyApi.credentials';
import { ApiSyncBasicAuthApi } from '../../credentials/ApiSyncBasicAuthApi.credentials';
import { ApiSyncBearerTokenApi } from '../../credentials/ApiSyncBearerTokenApi.credentials';
import { ApiSyncHmacApi } from '../../credentials/ApiSyncHmacApi.credentials';
import { ApiSyncNoAuthApi } from '../../credentials/ApiSyncNoAuthApi.credentials';

const BASE = 'https://api.example/v1';
const CASES: Array<[string, ICredentialType, ICredentialDataDecryptedObject]> = [
	['API key', new ApiSyncApiKeyApi(), { baseUrl: BASE, apiKey: 'k-secret' }],
	['Basic', new ApiSyncBasicAuthApi(), { baseUrl: BASE, user: 'u', password: 'p-secret' }],
	['Bearer', new ApiSyncBearerTokenApi(), { baseUrl: BASE, token: 't-secret' }],
	['HMAC', new ApiSyncHmacApi(), { baseUrl: BASE, secret: 's-secret' }],
	['No Authentication', new ApiSyncNoAuthApi(), { baseUrl: BASE, extraHeaders: '{"X-Tenant": "shop-1"}' }],
];

const authenticate = async (type: ICredentialType, data: ICredentialDataDecryptedObject, options: Record<string, unknown>) =>
	(await (type.authenticate as (c: ICredentialDataDecryptedObject, o: IHttpRequestOptions) => Promise<IHttpRequestOptions>)(
		data,
		options as unknown as IHttpRequestOptions,
	)) as IHttpRequestOptions & Record<string, unknown>;

describe.each(CASES)('%s credential', (_, type, data) => {
	it.each([
		['another host', 'https://other.example/v1/clients', 'https://other.example'],
		['another port', 'https://api.example:8443/v1/clients', 'https://api.example:8443'],
		['plain http', 'http://api.example/v1/clients', 'http://api.example'],
	])('refuses %s before signing or sending (legacy uri)', async (_label, uri, origin) => {
		await expect(authenticate(type, data, { method: 'GET', uri, followRedirect: true, followAllRedirects: true })).rejects.toThrow(
			`Refused to send the credential to ${origin}: GET /v1/clients is not on the credential's Base URL origin https://api.example.`,
		);
	});

	it('refuses another origin given as url against a baseURL', async () => {
		await expect(authenticate(type, data, { method: 'POST', baseURL: 'https://evil.example', url: '/x' })).rejects.toThrow(
			/^Refused to send the credential to https:\/\/evil\.example: POST \/x/,
		);
	});

	it('signs a request on its origin and switches n8n’s redirect following off', async () => {
		const signed = await authenticate(type, data, {
			method: 'GET',
			uri: 'https://api.example/other/path?q=1',
			followRedirect: true,
			followAllRedirects: true,
			maxRedirects: 21,
			sendCredentialsOnCrossOriginRedirect: true,
		});
		expect(signed).toMatchObject({
			followRedirect: false,
			followAllRedirects: false,
			maxRedirects: 0,
			disableFollowRedirect: true,
			sendCredentialsOnCrossOriginRedirect: false,
		});
	});
});
