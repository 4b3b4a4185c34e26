import type { IAuthenticateGeneric, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** Fixture: generic (declarative) auth; header name AND value are expressions. */
export class HarnessHeaderApi implements ICredentialType {
	name = 'harnessHeaderApi';

	displayName = 'Harness Header API';

	properties: INodeProperties[] = [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Header Name', name: 'headerName', type: 'string', default: 'X-Api-Key' },
		{ displayName: 'Token', name: 'token', type: 'string', typeOptions: { password: true }, default: '' },
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: { '={{$credentials.headerName}}': '={{"Key " + $credentials.token}}' },
			qs: { source: 'harness' },
		},
	};

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/me' },
	};
}
