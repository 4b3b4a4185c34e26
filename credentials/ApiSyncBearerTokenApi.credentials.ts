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

export class ApiSyncBearerTokenApi implements ICredentialType {
	name = 'apiSyncBearerTokenApi';

	displayName = 'API Sync Bearer Token API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		baseUrlProperty,
		{
			displayName: 'Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Sent as "Authorization: Bearer <token>"',
		},
		...accountIdProperties,
		testPathProperty,
	];

	// A function (not generic auth) so that X-AccountId is only sent when an account ID is set.
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const withToken: IHttpRequestOptions = {
			...requestOptions,
			headers: { ...(requestOptions.headers ?? {}), Authorization: `Bearer ${String(credentials.token ?? '')}` },
		};
		return onBaseUrlOrigin(credentials, withAccountHeader(withToken, credentials.accountId, credentials.accountIdHeader));
	};

	test = credentialTestFor('the token');
}
