import type {
	ICredentialDataDecryptedObject,
	ICredentialType,
	IHttpRequestOptions,
	INodeProperties,
} from 'n8n-workflow';

import {
	baseUrlProperty,
	CREDENTIAL_ICON,
	credentialTestRequest,
	testPathProperty,
} from './common/fields';
import { onBaseUrlOrigin } from './common/origin';

/** Parses the Extra Headers field: a JSON object of header name → text value. */
export function parseExtraHeaders(value: unknown): Record<string, string> {
	if (value === undefined || value === null || value === '') return {};
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			throw new Error('Extra Headers is not valid JSON. Write an object such as {"X-Tenant": "shop-1"}.');
		}
	}
	if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
		throw new Error('Extra Headers must be a JSON object such as {"X-Tenant": "shop-1"}.');
	}
	const headers: Record<string, string> = {};
	for (const [name, headerValue] of Object.entries(parsed as Record<string, unknown>)) {
		if (headerValue === undefined || headerValue === null) continue;
		headers[name] = typeof headerValue === 'object' ? JSON.stringify(headerValue) : String(headerValue);
	}
	return headers;
}

/**
 * No authentication: for internal APIs on trusted networks only. A connection (Base URL, Test
 * Path) plus optional extra headers sent with every request.
 */
export class ApiSyncNoAuthApi implements ICredentialType {
	name = 'apiSyncNoAuthApi';

	displayName = 'API Sync No Authentication API';

	icon = CREDENTIAL_ICON;

	documentationUrl = 'https://github.com/n8n-nodes-api-sync/n8n-nodes-api-sync#credentials';

	properties: INodeProperties[] = [
		{
			displayName:
				'Trusted networks only: requests are sent without any credential. Use this only for internal APIs that are not reachable from the internet.',
			name: 'trustedNetworksNotice',
			type: 'notice',
			default: '',
		},
		baseUrlProperty,
		{
			displayName: 'Extra Headers',
			name: 'extraHeaders',
			type: 'json',
			default: '{}',
			description: 'Optional headers sent with every request, as a JSON object, e.g. {"X-Tenant": "shop-1"}',
		},
		testPathProperty,
	];

	// Adds the extra headers only; a header a node sets itself wins.
	async authenticate(
		credentials: ICredentialDataDecryptedObject,
		requestOptions: IHttpRequestOptions,
	): Promise<IHttpRequestOptions> {
		const extra = parseExtraHeaders(credentials.extraHeaders);
		const headers = { ...(requestOptions.headers ?? {}) };
		const present = new Set(Object.keys(headers).map((name) => name.toLowerCase()));
		for (const [name, value] of Object.entries(extra)) if (!present.has(name.toLowerCase())) headers[name] = value;
		// Extra headers may identify a tenant or carry a token: they stay on the Base URL's origin too.
		return onBaseUrlOrigin(credentials, { ...requestOptions, headers });
	}

	test = credentialTestRequest;
}
