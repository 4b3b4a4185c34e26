import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { CREDENTIAL_ICON } from './common/fields';
import { previousSecretProperty } from './common/webhookFields';

/** The user and password an inbound call must send as Basic auth (API Sync Webhook node). */
export class ApiSyncWebhookBasicAuthApi implements ICredentialType {
	name = 'apiSyncWebhookBasicAuthApi';

	displayName = 'API Sync Webhook Basic Auth API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#api-sync-webhook';

	properties: INodeProperties[] = [
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
		},
		previousSecretProperty('previousPassword', 'Previous Password'),
	];
}
