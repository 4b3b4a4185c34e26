import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import {
	baseUrlProperty,
	CREDENTIAL_ICON,
	credentialTestFor,
	testPathProperty,
} from './common/fields';

/**
 * OAuth2 on top of n8n's own `oAuth2Api`: n8n fetches, stores and refreshes the tokens.
 * EenvoudigFactureren uses the authorization code flow (`/oauth/authorize`, `/oauth/token`);
 * its scopes and token lifetime are not publicly documented, so both stay editable.
 */
export class ApiSyncOAuth2Api implements ICredentialType {
	name = 'apiSyncOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'API Sync OAuth2 API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		baseUrlProperty,
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'options',
			options: [
				{
					name: 'Authorization Code',
					value: 'authorizationCode',
					description: 'An app acting on behalf of a user, who approves access in the browser',
				},
				{
					name: 'Client Credentials',
					value: 'clientCredentials',
					description: 'Server to server: the client ID and secret alone get a token',
				},
			],
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'string',
			default: 'https://eenvoudigfactureren.be/oauth/authorize',
			required: true,
			displayOptions: { show: { grantType: ['authorizationCode'] } },
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'string',
			default: 'https://eenvoudigfactureren.be/oauth/token',
			required: true,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'string',
			default: '',
			description: 'Space-separated scopes, if the API uses them (EenvoudigFactureren documents none)',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'string',
			default: '',
			displayOptions: { show: { grantType: ['authorizationCode'] } },
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'options',
			options: [
				{ name: 'Send Client ID and Secret in Header (Basic)', value: 'header' },
				{ name: 'Send Client ID and Secret in Body', value: 'body' },
			],
			default: 'header',
			description: 'How the client ID and secret are sent to the token URL',
		},
		testPathProperty,
	];

	test = credentialTestFor('the client ID and secret (or reconnect the account)');
}
