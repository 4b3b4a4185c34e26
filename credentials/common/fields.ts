import type { ICredentialTestRequest, IHttpRequestOptions, INodeProperties } from 'n8n-workflow';

/** The EenvoudigFactureren / SimplyBooks API v1; any JSON REST API's base URL works. */
export const DEFAULT_BASE_URL = 'https://eenvoudigfactureren.be/api/v1';

/** `/accounts/current` is cheap and needs no specific right, so every valid key can reach it. */
export const DEFAULT_TEST_PATH = '/accounts/current';

/** The package's icon, shared by its credentials. */
export const CREDENTIAL_ICON = {
	light: 'file:../nodes/ApiSync/apiSync.svg',
	dark: 'file:../nodes/ApiSync/apiSync.dark.svg',
} as const;

/**
 * The Test button: GET {Base URL}{Test Path} through the credential's own authentication. A 401
 * names what to check in this credential only, e.g. "the API key" or "the user (e-mail) and password".
 */
export function credentialTestFor(whatToCheck: string): ICredentialTestRequest {
	return {
		request: {
			baseURL: '={{$credentials.baseUrl.replace(/\\/+$/, "")}}',
			url: '={{$credentials.testPath}}',
			headers: { Accept: 'application/json' },
		},
		rules: [
			{
				type: 'responseCode',
				properties: {
					value: 401,
					message: `The API rejected the credential (401 Unauthorized). Check ${whatToCheck}, and that it belongs to this Base URL.`,
				},
			},
			{
				type: 'responseCode',
				properties: {
					value: 403,
					message:
						'The credential is valid but may not read the Test Path (403 Forbidden). Check the Account ID and the rights of the key.',
				},
			},
			{
				type: 'responseCode',
				properties: { value: 404, message: 'Nothing at the Test Path (404 Not Found). Check the Base URL and the Test Path.' },
			},
		],
	};
}

/** For a credential without a more specific message. */
export const credentialTestRequest = credentialTestFor('the key, token, user and password, or secret');

export const baseUrlProperty: INodeProperties = {
	displayName: 'Base URL',
	name: 'baseUrl',
	type: 'string',
	default: DEFAULT_BASE_URL,
	required: true,
	placeholder: 'https://eenvoudigfactureren.be/api/v1',
	description:
		'Root of the API, without a trailing slash. EenvoudigFactureren: https://eenvoudigfactureren.be/api/v1; SimplyBooks: https://app.simplybooks.be/api/v1.',
};

export const testPathProperty: INodeProperties = {
	displayName: 'Test Path',
	name: 'testPath',
	type: 'string',
	default: DEFAULT_TEST_PATH,
	description:
		'Path (under the base URL) that the Test button calls with GET to check the credential. Any path that needs authentication and returns 2xx works.',
};

export const accountIdProperties: INodeProperties[] = [
	{
		displayName: 'Account ID',
		name: 'accountId',
		type: 'string',
		default: '',
		placeholder: 'CAAAAAAAA',
		description:
			'Optional. For accountant portals: the account number to act on, sent as the X-AccountId header. Leave empty to use the default account.',
	},
	{
		displayName: 'Account ID Header',
		name: 'accountIdHeader',
		type: 'string',
		default: 'X-AccountId',
		displayOptions: { hide: { accountId: [''] } },
	},
];

/**
 * Adds the account header when an account ID is set. Generic (declarative) authentication
 * cannot do this: it would always send the header, empty when no account is chosen.
 */
export function withAccountHeader(
	requestOptions: IHttpRequestOptions,
	accountId: unknown,
	headerName: unknown,
): IHttpRequestOptions {
	const account = typeof accountId === 'string' ? accountId.trim() : '';
	if (account === '') return requestOptions;
	const header = typeof headerName === 'string' && headerName.trim() !== '' ? headerName.trim() : 'X-AccountId';
	const headers = { ...(requestOptions.headers ?? {}) };
	// A per-request account (set by a node) wins over the credential's default account.
	const alreadySet = Object.keys(headers).some((h) => h.toLowerCase() === header.toLowerCase());
	if (!alreadySet) headers[header] = account;
	return { ...requestOptions, headers };
}

/**
 * Algorithm, encoding and signature header of an HMAC scheme: the same fields, names and defaults in the signing
 * credential (API Sync HMAC) and the verifying one (API Sync Webhook HMAC), so a call signed by one verifies with the other.
 */
export const hmacSignatureProperties: INodeProperties[] = [
	{
		displayName: 'Algorithm',
		name: 'algorithm',
		type: 'options',
		options: [
			{ name: 'SHA-256', value: 'sha256' },
			{ name: 'SHA-512', value: 'sha512' },
			{ name: 'SHA-1 (Legacy)', value: 'sha1' },
		],
		default: 'sha256',
	},
	{
		displayName: 'Signature Encoding',
		name: 'encoding',
		type: 'options',
		options: [
			{ name: 'Hex', value: 'hex' },
			{ name: 'Base64', value: 'base64' },
		],
		default: 'hex',
	},
	{
		displayName: 'Signature Header',
		name: 'signatureHeader',
		type: 'string',
		default: 'X-Signature',
	},
];
