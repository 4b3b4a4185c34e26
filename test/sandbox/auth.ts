/**
 * Authentication of `/api/v1` requests (Basic, API key, Bearer / OAuth access token, HMAC) and the
 * `X-AccountId` rules.
 */
import type { ApiKeyRegistry } from './apikeys';
import type { Exchange } from './exchange';
import { BEARER_TOKENS, HMAC_KEYS, USERS, ACCOUNTS } from './fixtures';
import { verifyHmac } from './hmac';
import type { OAuthServer } from './oauth';
import { digest, digestEqual, safeEqual } from './secure';
import type { AuthScheme, HmacVerifyConfig } from './types';

/** An authenticated caller. */
export interface Principal {
	scheme: AuthScheme;
	/** Safe to log: e-mail, key label, client id or key id. */
	label: string;
	/** How messages name the caller, e.g. "user owner@example.com". */
	description: string;
	accounts: string[];
	defaultAccount: string;
	/** Accountant-portal principals may reach several accounts. */
	portal: boolean;
	/** API key rights; null = all. */
	rights: string[] | null;
}

/** What authentication needs from the sandbox state. */
export interface AuthContext {
	apiKeys: ApiKeyRegistry;
	oauth: OAuthServer;
	hmac: HmacVerifyConfig;
	usedNonces: Set<string>;
	now: () => Date;
}

export type AuthResult = { ok: true; principal: Principal } | { ok: false; message: string };
export type AccountResult = { ok: true; account: string } | { ok: false; message: string };

const BEARER_DIGESTS = BEARER_TOKENS.map((token, index) => ({ ...token, index, digest: digest(token.token) }));
const UNKNOWN_USER_PASSWORD = '\u0000unknown-user';

/** Identifies the caller of an API request. */
export function authenticate(ex: Exchange, ctx: AuthContext): AuthResult {
	const authorization = ex.header('authorization');
	const scheme = authorization?.trim().split(/\s+/)[0].toLowerCase();
	if (scheme === 'basic') return basicAuth(authorization as string);
	if (scheme === 'bearer') return bearerAuth(authorization as string, ctx);
	if (ex.header(ctx.hmac.signatureHeader) !== undefined) return hmacAuth(ex, ctx);
	const apiKey = ex.header('x-api-key') ?? ex.params.get('api_key') ?? undefined;
	if (apiKey !== undefined) return apiKeyAuth(apiKey, ctx);
	if (authorization !== undefined) return { ok: false, message: 'unsupported authorization scheme' };
	return { ok: false, message: 'authentication required' };
}

/** Applies `X-AccountId`: allowed accounts are used, others are refused; without it the default account. */
export function chooseAccount(principal: Principal, requested: string | undefined): AccountResult {
	const wanted = requested?.trim();
	if (!wanted) return { ok: true, account: principal.defaultAccount };
	if (principal.accounts.includes(wanted)) return { ok: true, account: wanted };
	if (principal.portal) return { ok: false, message: `no access to account ${wanted}` };
	return {
		ok: false,
		message:
			`no access to account ${wanted}: ${principal.description} is not an accountant-portal user ` +
			`and can only use account ${principal.defaultAccount}`,
	};
}

function basicAuth(header: string): AuthResult {
	const decoded = Buffer.from(header.trim().slice(6).trim(), 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return { ok: false, message: 'malformed Authorization header' };
	const email = decoded.slice(0, colon);
	const password = decoded.slice(colon + 1);
	const user = USERS.find((candidate) => candidate.email.toLowerCase() === email.toLowerCase());
	const passwordOk = safeEqual(password, user?.password ?? UNKNOWN_USER_PASSWORD);
	if (!user || !passwordOk) return invalidCredentials();
	return {
		ok: true,
		principal: {
			scheme: 'basic',
			label: user.email,
			description: `user ${user.email}`,
			accounts: [...user.accounts],
			defaultAccount: user.defaultAccount,
			portal: user.portal,
			rights: null,
		},
	};
}

function bearerAuth(header: string, ctx: AuthContext): AuthResult {
	const token = header.trim().slice(6).trim();
	if (token === '') return { ok: false, message: 'malformed Authorization header' };
	const presented = digest(token);
	const fixed = BEARER_DIGESTS.find((entry) => digestEqual(entry.digest, presented));
	if (fixed) {
		const label = `bearer-token-${fixed.index + 1}`;
		return { ok: true, principal: singleAccount('bearer', label, `bearer token ${label}`, fixed.account) };
	}
	const lookup = ctx.oauth.lookup(token);
	if (lookup.status === 'expired') return { ok: false, message: 'access token expired' };
	if (lookup.status === 'unknown') return invalidCredentials();
	const { clientId, account } = lookup.info;
	return { ok: true, principal: singleAccount('oauth2', clientId, `OAuth client ${clientId}`, account) };
}

/** An API key presented some other way (e.g. Shopify's `X-Shopify-Access-Token`): the same keys, the same rules. */
export function authenticateApiKey(key: string, ctx: AuthContext): AuthResult {
	return apiKeyAuth(key, ctx);
}

function apiKeyAuth(key: string, ctx: AuthContext): AuthResult {
	const entry = ctx.apiKeys.find(key);
	if (!entry) return invalidCredentials();
	return {
		ok: true,
		principal: {
			scheme: 'apikey',
			label: entry.label,
			description: `API key ${entry.label}`,
			accounts: [...entry.accounts],
			defaultAccount: entry.defaultAccount,
			portal: entry.accounts.length > 1,
			rights: entry.rights,
		},
	};
}

function hmacAuth(ex: Exchange, ctx: AuthContext): AuthResult {
	const nowSeconds = Math.floor(ctx.now().getTime() / 1000);
	const request = { method: ex.method, url: ex.url, body: ex.rawBody, header: (name: string) => ex.header(name) };
	const result = verifyHmac(ctx.hmac, request, nowSeconds, ctx.usedNonces);
	if (!result.ok) return result;
	const keyId = ctx.hmac.keyId;
	const account = HMAC_KEYS.find((key) => key.keyId === keyId)?.account ?? ACCOUNTS.owner;
	return { ok: true, principal: singleAccount('hmac', keyId, `HMAC key ${keyId}`, account) };
}

function singleAccount(scheme: AuthScheme, label: string, description: string, account: string): Principal {
	return { scheme, label, description, accounts: [account], defaultAccount: account, portal: false, rights: null };
}

function invalidCredentials(): AuthResult {
	return { ok: false, message: 'invalid credentials' };
}
