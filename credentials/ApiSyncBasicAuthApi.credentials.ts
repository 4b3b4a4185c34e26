import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import {
	accountIdProperties,
	baseUrlProperty,
	CREDENTIAL_ICON,
	credentialTestFor,
	testPathProperty,
	withAccountHeader,
} from './common/fields';
import { onBaseUrlOrigin } from './common/origin';

export class ApiSyncBasicAuthApi implements ICredentialType {
	name = 'apiSyncBasicAuthApi';

	displayName = 'API Sync Basic Auth API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		baseUrlProperty,
		{
			displayName: 'User (E-mail)',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'api-user@example.com',
			description:
				'EenvoudigFactureren: the e-mail address of a user dedicated to API access. Basic auth is deprecated there except for creating API keys.',
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		...accountIdProperties,
		testPathProperty,
	];

	// A function (not generic auth) so that X-AccountId is only sent when an account ID is set.
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const withAuth: IHttpRequestOptions = {
			...requestOptions,
			auth: { username: String(credentials.user ?? ''), password: String(credentials.password ?? '') },
		};
		return onBaseUrlOrigin(credentials, withAccountHeader(withAuth, credentials.accountId, credentials.accountIdHeader));
	};

	test = credentialTestFor('the user (e-mail) and password');
}
