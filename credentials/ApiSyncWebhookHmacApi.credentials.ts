import type { ICredentialType, INodeProperties } from 'n8n-workflow';

import { CREDENTIAL_ICON, hmacSignatureProperties } from './common/fields';
import { BODY_COVERING_TEMPLATE, HIDE_WHEN_TEMPLATE_COVERS_BODY } from './common/hmacSigning';
import { previousSecretProperty } from './common/webhookFields';

/**
 * Generic HMAC verification of inbound calls (API Sync Webhook node). The fields, their names and
 * defaults are those of the API Sync HMAC credential, so a call signed with one verifies with the other.
 */
export class ApiSyncWebhookHmacApi implements ICredentialType {
	name = 'apiSyncWebhookHmacApi';

	displayName = 'API Sync Webhook HMAC API';

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
			description: 'Shared secret used as the HMAC key (the same as in the sender’s API Sync HMAC API credential)',
		},
		previousSecretProperty('previousSecret', 'Previous Secret'),
		...hmacSignatureProperties,
		{
			displayName: 'Signature Prefix',
			name: 'signaturePrefix',
			type: 'string',
			default: '',
			placeholder: 'sha256=',
			description: 'Text in front of the signature, if the sender puts one there',
		},
		{
			displayName: 'Timestamp Header',
			name: 'timestampHeader',
			type: 'string',
			default: 'X-Timestamp',
			description: 'Carries the signed Unix time in seconds; checked against the node’s replay window when the template uses {timestamp}',
		},
		{
			displayName: 'Payload Template',
			name: 'payloadTemplate',
			type: 'string',
			default: BODY_COVERING_TEMPLATE,
			description:
				'What is signed. Placeholders: {timestamp}, {method}, {path} (path and query as received), {body} (exact body bytes), {bodySha256}, {nonce} (from X-Nonce). Write \\n for a newline. Include {body} or {bodySha256} so the body cannot be changed.',
		},
		{
			displayName:
				'This template does not sign the body: anyone who captures one call can send any other body with its signature. Add {bodySha256} (the default template is {timestamp}\\n{method}\\n{path}\\n{bodySha256}) on both sides.',
			name: 'bodyNotSignedNotice',
			type: 'notice',
			default: '',
			displayOptions: HIDE_WHEN_TEMPLATE_COVERS_BODY,
		},
	];
}
