import type { ICredentialType, INodeProperties } from 'n8n-workflow';

/** Fixture: OAuth2 authorization code via n8n's `oAuth2Api` base (token data is given by the test). */
export class HarnessAuthCodeOAuth2Api implements ICredentialType {
	name = 'harnessAuthCodeOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'Harness OAuth2 (Authorization Code)';

	properties: INodeProperties[] = [
		{ displayName: 'Grant Type', name: 'grantType', type: 'hidden', default: 'authorizationCode' },
		{ displayName: 'Authorization URL', name: 'authUrl', type: 'hidden', default: 'http://127.0.0.1/authorize' },
		{ displayName: 'Access Token URL', name: 'accessTokenUrl', type: 'string', default: '', required: true },
		{ displayName: 'Scope', name: 'scope', type: 'hidden', default: '' },
		{ displayName: 'Authentication', name: 'authentication', type: 'hidden', default: 'body' },
	];
}
