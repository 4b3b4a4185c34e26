import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { CREDENTIAL_ICON } from './common/fields';
import { previousSecretProperty } from './common/webhookFields';

/**
 * The secret an inbound call is verified with (API Sync Webhook node): a signing secret
 * (Stripe, GitHub, Shopify, Slack, Standard Webhooks), a bearer token or an API key.
 * Nothing is sent with it; the node's Test button checks that it is usable.
 */
export class ApiSyncWebhookSecretApi implements ICredentialType {
	name = 'apiSyncWebhookSecretApi';

	displayName = 'API Sync Webhook Secret API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#api-sync-webhook';

	properties: INodeProperties[] = [
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Stripe: the endpoint’s signing secret (whsec_…). GitHub: the webhook’s Secret. Shopify: the app’s client secret. Slack: the app’s Signing Secret. Standard Webhooks: the whsec_… secret. Bearer: the token. API key header: the key.',
		},
		previousSecretProperty('previousSecret', 'Previous Secret'),
	];
}
