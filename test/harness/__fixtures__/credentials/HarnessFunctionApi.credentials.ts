import { createHmac } from 'node:crypto';

import type {
	ICredentialDataDecryptedObject,
	ICredentialTestRequest,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

/** Fixture: function-form `authenticate` (signs the request URL). */
export class HarnessFunctionApi implements ICredentialType {
	name = 'harnessFunctionApi';

	displayName = 'Harness Function API';

	properties: INodeProperties[] = [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Secret', name: 'secret', type: 'string', typeOptions: { password: true }, default: '' },
	];

	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const signature = createHmac('sha256', String(credentials.secret)).update(String(requestOptions.url)).digest('hex');
		return { ...requestOptions, headers: { ...requestOptions.headers, 'X-Signature': signature } };
	}

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/me' },
		rules: [{ type: 'responseCode', properties: { value: 403, message: 'Signature rejected' } }],
	};
}
