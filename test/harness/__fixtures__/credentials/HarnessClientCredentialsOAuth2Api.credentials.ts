import type { ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

/** Fixture: OAuth2 client credentials via n8n's `oAuth2Api` base. */
export class HarnessClientCredentialsOAuth2Api implements ICredentialType {
	name = 'harnessClientCredentialsOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Harness OAuth2 (Client Credentials)';

	properties: INodeProperties[] = [
		{ displayName: 'Base URL', name: 'baseUrl', type: 'string', default: '' },
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'clientCredentials' },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'string', default: '', required: true },
		{ displayName: 'Scope', name: 'scope', type: 'hidden', default: 'read write' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'header' },
	];

	test: ICredentialTestRequest = {
		request: { baseURL: '={{$credentials.baseUrl}}', url: '/oauth/me' },
	};
}
