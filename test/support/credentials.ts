/**
 * Credentials for the sandbox API, one builder per credential type of the package.
 * Shared by the in-process and the end-to-end tests.
 */
import type { ICredentialDataDecryptedObject, IDataObject } from 'n8n-workflow';

import { API_KEYS, BEARER_TOKENS, HMAC_KEYS, OAUTH_CLIENTS, USERS } from '../sandbox/fixtures';

export type CredentialKind = 'basic' | 'bearer' | 'apiKey' | 'oauth2' | 'hmac';

export const CREDENTIAL_TYPE: Record<CredentialKind, string> = {
	basic: 'apiSyncBasicAuthApi',
	bearer: 'apiSyncBearerTokenApi',
	apiKey: 'apiSyncApiKeyApi',
	oauth2: 'apiSyncOAuth2Api',
	hmac: 'apiSyncHmacApi',
};

export const OWNER = USERS[0];
export const ACCOUNTANT = USERS[1];

/** The data a user would enter in the credential form, for the sandbox at `baseUrl`. */
export function credentialData(kind: CredentialKind, baseUrl: string, overrides: IDataObject = {}): ICredentialDataDecryptedObject {
	const common = { baseUrl, testPath: '/accounts/current', accountId: '', accountIdHeader: 'X-AccountId' };
	switch (kind) {
		case 'basic':
			return { ...common, user: OWNER.email, password: OWNER.password, ...overrides };
		case 'bearer':
			return { ...common, token: BEARER_TOKENS[0].token, ...overrides };
		case 'apiKey':
			return {
				...common,
				apiKey: API_KEYS[0].key,
				keyLocation: 'header',
				headerName: 'X-API-Key',
				queryParameterName: 'api_key',
				...overrides,
			};
		case 'oauth2':
			return {
				baseUrl,
				testPath: '/accounts/current',
				grantType: 'clientCredentials',
				accessTokenUrl: `${baseUrl}/oauth/token`,
				authUrl: `${baseUrl}/oauth/authorize`,
				clientId: OAUTH_CLIENTS[0].clientId,
				clientSecret: OAUTH_CLIENTS[0].clientSecret,
				scope: '',
				authQueryParameters: '',
				authentication: 'header',
				...overrides,
			};
		case 'hmac':
			return {
				baseUrl,
				testPath: '/accounts/current',
				secret: HMAC_KEYS[0].secret,
				algorithm: 'sha256',
				encoding: 'hex',
				signatureHeader: 'X-Signature',
				signaturePrefix: '',
				timestampHeader: 'X-Timestamp',
				keyId: '',
				keyIdHeader: 'X-Key-Id',
				payloadTemplate: '{timestamp}',
				...overrides,
			};
	}
}

/** The field holding each credential's secret, for "wrong secret" tests. */
export const SECRET_FIELD: Record<CredentialKind, string> = {
	basic: 'password',
	bearer: 'token',
	apiKey: 'apiKey',
	oauth2: 'clientSecret',
	hmac: 'secret',
};

/** The scheme the sandbox logs for each credential. */
export const SANDBOX_SCHEME: Record<CredentialKind, string> = {
	basic: 'basic',
	bearer: 'bearer',
	apiKey: 'apikey',
	oauth2: 'oauth2',
	hmac: 'hmac',
};
