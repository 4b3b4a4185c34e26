import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import {
	baseUrlProperty,
	CREDENTIAL_ICON,
	credentialTestFor,
	hmacSignatureProperties,
	testPathProperty,
} from './common/fields';
import {
	HIDE_WHEN_TEMPLATE_COVERS_BODY,
	signRequest,
	type HmacAlgorithm,
	type HmacSigningSettings,
	type SignatureEncoding,
} from './common/hmacSigning';
import { onBaseUrlOrigin } from './common/origin';
import { serialiseForSigning } from './common/requestBytes';

/** Reads the signing settings from the credential's fields, with the documented defaults. */
export function hmacSettingsFromCredentials(credentials: ICredentialDataDecryptedObject): HmacSigningSettings {
	return {
		secret: String(credentials.secret ?? ''),
		algorithm: (credentials.algorithm || 'sha256') as HmacAlgorithm,
		encoding: (credentials.encoding || 'hex') as SignatureEncoding,
		prefix: String(credentials.signaturePrefix ?? ''),
		template: String(credentials.payloadTemplate || '{timestamp}'),
		signatureHeader: String(credentials.signatureHeader || 'X-Signature'),
		timestampHeader: String(credentials.timestampHeader || 'X-Timestamp'),
		keyId: String(credentials.keyId ?? ''),
		keyIdHeader: String(credentials.keyIdHeader || 'X-Key-Id'),
		nonceHeader: 'X-Nonce',
	};
}

export class ApiSyncHmacApi implements ICredentialType {
	name = 'apiSyncHmacApi';

	displayName = 'API Sync HMAC API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		baseUrlProperty,
		{
			displayName: 'Secret',
			name: 'secret',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'Shared secret used as the HMAC key',
		},
		...hmacSignatureProperties,
		{
			displayName: 'Signature Prefix',
			name: 'signaturePrefix',
			type: 'string',
			default: '',
			placeholder: 'sha256=',
			description: 'Text put in front of the signature, if the API expects one',
		},
		{
			displayName: 'Timestamp Header',
			name: 'timestampHeader',
			type: 'string',
			default: 'X-Timestamp',
			description: 'Carries the Unix time in seconds that was signed',
		},
		{
			displayName: 'Key ID',
			name: 'keyId',
			type: 'string',
			default: '',
			description: 'Optional identifier of the secret, for APIs that hold several',
		},
		{
			displayName: 'Key ID Header',
			name: 'keyIdHeader',
			type: 'string',
			default: 'X-Key-Id',
			displayOptions: { hide: { keyId: [''] } },
		},
		{
			displayName: 'Payload Template',
			name: 'payloadTemplate',
			type: 'string',
			default: '{timestamp}',
			description:
				'What is signed. Placeholders: {timestamp}, {method}, {path} (path and query as sent), {body} (exact body), {bodySha256}, {nonce} (also sent as X-Nonce). Write \\n for a newline, e.g. {timestamp}\\n{method}\\n{path}\\n{bodySha256}.',
		},
		{
			displayName:
				'This template does not sign the body, so the receiver cannot tell a changed body. Keep it only if the API verifies exactly this. An API Sync Webhook verifies {timestamp}\\n{method}\\n{path}\\n{bodySha256} by default: use that when you call one.',
			name: 'bodyNotSignedNotice',
			type: 'notice',
			default: '',
			displayOptions: HIDE_WHEN_TEMPLATE_COVERS_BODY,
		},
		testPathProperty,
	];

	/**
	 * Signs each request. The URL and body are serialised here, and the request sends exactly
	 * those bytes, so what is signed is what arrives. A signing error is thrown, never sent unsigned.
	 */
	authenticate = async (
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> => {
		const settings = hmacSettingsFromCredentials(credentials);
		const { options, pathWithQuery, body } = serialiseForSigning(onBaseUrlOrigin(credentials, requestOptions));
		const signatureHeaders = signRequest(settings, {
			method: options.method ?? 'GET',
			path: pathWithQuery,
			body,
		});
		return { ...options, headers: { ...(options.headers ?? {}), ...signatureHeaders } };
	};

	test = credentialTestFor('the secret and the key ID');
}
