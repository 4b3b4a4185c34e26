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

export class ApiSyncApiKeyApi implements ICredentialType {
	name = 'apiSyncApiKeyApi';

	displayName = 'API Sync API Key API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		baseUrlProperty,
		{
			displayName: 'API Key',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'EenvoudigFactureren: create one under Toegangsbeheer / Access Management, or with the API Sync API Key node',
		},
		{
			displayName: 'Send Key In',
			name: 'keyLocation',
			type: 'options',
			options: [
				{ name: 'Header', value: 'header' },
				{ name: 'Query Parameter', value: 'query' },
			],
			default: 'header',
			description: 'A header is safer: query strings end up in server and proxy logs',
		},
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: 'X-API-Key',
			displayOptions: { show: { keyLocation: ['header'] } },
		},
		{
			displayName: 'Query Parameter Name',
			name: 'queryParameterName',
			type: 'string',
			default: 'api_key',
			displayOptions: { show: { keyLocation: ['query'] } },
		},
		...accountIdProperties,
		testPathProperty,
	];

	// A function (not generic auth): the key's location is a choice, and X-AccountId is optional.
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const key = String(credentials.apiKey ?? '');
		let result: IHttpRequestOptions;
		if (credentials.keyLocation === 'query') {
			const name = String(credentials.queryParameterName || 'api_key');
			result = { ...requestOptions, qs: { ...(requestOptions.qs ?? {}), [name]: key } };
		} else {
			const name = String(credentials.headerName || 'X-API-Key');
			result = { ...requestOptions, headers: { ...(requestOptions.headers ?? {}), [name]: key } };
		}
		return onBaseUrlOrigin(credentials, withAccountHeader(result, credentials.accountId, credentials.accountIdHeader));
	};

	test = credentialTestFor('the API key');
}
