/**
 * OAuth 2.0 for the sandbox: an auto-approving `/oauth/authorize` and `/oauth/token` with the
 * client_credentials, authorization_code and refresh_token grants.
 */
import { OAUTH_CLIENTS, OAUTH_TOKEN_LIFETIME_SECONDS } from './fixtures';
import type { Exchange } from './exchange';
import { randomToken, safeEqual } from './secure';

const CODE_LIFETIME_MS = 10 * 60 * 1000;
const DEFAULT_SCOPE = 'api';

type OAuthClient = (typeof OAUTH_CLIENTS)[number];

interface AuthorizationCode {
	clientId: string;
	redirectUri: string;
	scope: string;
	expiresAt: number;
}

interface RefreshGrant {
	clientId: string;
	scope: string;
}

/** A valid access token's owner. */
export interface AccessTokenInfo {
	clientId: string;
	account: string;
	scope: string;
	expiresAt: number;
	expired: boolean;
}

export type AccessTokenLookup = { status: 'valid'; info: AccessTokenInfo } | { status: 'expired' } | { status: 'unknown' };

export class OAuthServer {
	private codes = new Map<string, AuthorizationCode>();
	private refreshTokens = new Map<string, RefreshGrant>();
	private accessTokens = new Map<string, AccessTokenInfo>();

	/** @param now the sandbox clock */
	constructor(private readonly now: () => Date) {}

	/** Forgets every code and token. */
	reset(): void {
		this.codes.clear();
		this.refreshTokens.clear();
		this.accessTokens.clear();
	}

	/** Every access token issued so far becomes expired; refresh tokens stay valid. */
	expireAll(): void {
		for (const info of this.accessTokens.values()) info.expired = true;
	}

	/** Checks a bearer token against the issued access tokens. */
	lookup(token: string): AccessTokenLookup {
		const info = this.accessTokens.get(token);
		if (!info) return { status: 'unknown' };
		if (info.expired || this.now().getTime() >= info.expiresAt) return { status: 'expired' };
		return { status: 'valid', info };
	}

	/** `GET /oauth/authorize`: approves at once and redirects with a code. */
	authorize(ex: Exchange): void {
		const params = ex.params;
		const client = OAUTH_CLIENTS.find((candidate) => candidate.clientId === params.get('client_id'));
		if (!client) return oauthError(ex, 400, 'invalid_request', 'unknown client_id');
		if (params.get('response_type') !== 'code') {
			return oauthError(ex, 400, 'unsupported_response_type', 'response_type must be code');
		}
		const redirectUri = params.get('redirect_uri') ?? '';
		const target = parseAbsoluteUrl(redirectUri);
		if (!target) return oauthError(ex, 400, 'invalid_request', 'redirect_uri must be an absolute URL');
		ex.auth = { scheme: 'oauth2', principal: client.clientId, account: client.account };

		const code = randomToken('ef-code-');
		this.codes.set(code, {
			clientId: client.clientId,
			redirectUri,
			scope: params.get('scope') || DEFAULT_SCOPE,
			expiresAt: this.now().getTime() + CODE_LIFETIME_MS,
		});
		target.searchParams.set('code', code);
		const state = params.get('state');
		if (state !== null) target.searchParams.set('state', state);
		ex.redirect(target.toString());
	}

	/** `POST /oauth/token`. */
	token(ex: Exchange): void {
		if (ex.method !== 'POST') return oauthError(ex, 405, 'invalid_request', 'use POST');
		const form = readForm(ex);
		const client = authenticateClient(ex, form);
		if (!client) return oauthError(ex, 401, 'invalid_client', undefined, { 'WWW-Authenticate': 'Basic realm="oauth"' });
		ex.auth = { scheme: 'oauth2', principal: client.clientId, account: client.account };

		switch (form.get('grant_type')) {
			case 'client_credentials':
				return this.issue(ex, client, form.get('scope') || DEFAULT_SCOPE, false);
			case 'authorization_code':
				return this.exchangeCode(ex, client, form);
			case 'refresh_token':
				return this.refresh(ex, client, form);
			default:
				return oauthError(ex, 400, 'unsupported_grant_type');
		}
	}

	private exchangeCode(ex: Exchange, client: OAuthClient, form: URLSearchParams): void {
		const code = form.get('code') ?? '';
		const grant = this.codes.get(code);
		this.codes.delete(code);
		const valid =
			grant !== undefined &&
			grant.clientId === client.clientId &&
			grant.expiresAt > this.now().getTime() &&
			grant.redirectUri === (form.get('redirect_uri') ?? '');
		if (!valid) return oauthError(ex, 400, 'invalid_grant');
		this.issue(ex, client, grant.scope, true);
	}

	private refresh(ex: Exchange, client: OAuthClient, form: URLSearchParams): void {
		const grant = this.refreshTokens.get(form.get('refresh_token') ?? '');
		if (!grant || grant.clientId !== client.clientId) return oauthError(ex, 400, 'invalid_grant');
		this.issue(ex, client, grant.scope, true);
	}

	private issue(ex: Exchange, client: OAuthClient, scope: string, withRefresh: boolean): void {
		const accessToken = randomToken('ef-at-');
		this.accessTokens.set(accessToken, {
			clientId: client.clientId,
			account: client.account,
			scope,
			expiresAt: this.now().getTime() + OAUTH_TOKEN_LIFETIME_SECONDS * 1000,
			expired: false,
		});
		const body: Record<string, unknown> = {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: OAUTH_TOKEN_LIFETIME_SECONDS,
		};
		if (withRefresh) {
			const refreshToken = randomToken('ef-rt-');
			this.refreshTokens.set(refreshToken, { clientId: client.clientId, scope });
			body.refresh_token = refreshToken;
		}
		body.scope = scope;
		ex.sendJson(200, body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
	}
}

/** Form-encoded body (JSON accepted too, for lenient clients). */
function readForm(ex: Exchange): URLSearchParams {
	const text = ex.bodyText;
	if ((ex.header('content-type') ?? '').includes('json')) {
		try {
			const parsed = JSON.parse(text) as Record<string, unknown>;
			const pairs = Object.entries(parsed).map(([key, value]): [string, string] => [key, String(value)]);
			return new URLSearchParams(pairs);
		} catch {
			return new URLSearchParams();
		}
	}
	return new URLSearchParams(text);
}

/**
 * Client authentication by Basic header or by body parameters. Basic credentials are accepted both raw and
 * form-decoded (RFC 6749 asks clients to form-encode them; many do not).
 */
function authenticateClient(ex: Exchange, form: URLSearchParams): OAuthClient | undefined {
	const header = ex.header('authorization') ?? '';
	if (!/^basic /i.test(header)) return findClient(form.get('client_id') ?? '', form.get('client_secret') ?? '');
	const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
	const colon = decoded.indexOf(':');
	if (colon < 0) return undefined;
	const id = decoded.slice(0, colon);
	const secret = decoded.slice(colon + 1);
	return findClient(id, secret) ?? findClient(formDecode(id), formDecode(secret));
}

function findClient(clientId: string, clientSecret: string): OAuthClient | undefined {
	const client = OAUTH_CLIENTS.find((candidate) => candidate.clientId === clientId);
	const secretOk = safeEqual(clientSecret, client?.clientSecret ?? '\u0000no-client');
	return client && secretOk ? client : undefined;
}

function formDecode(value: string): string {
	try {
		return decodeURIComponent(value.replace(/\+/g, ' '));
	} catch {
		return value;
	}
}

function parseAbsoluteUrl(value: string): URL | undefined {
	try {
		return new URL(value);
	} catch {
		return undefined;
	}
}

function oauthError(
	ex: Exchange,
	status: number,
	error: string,
	description?: string,
	headers: Record<string, string> = {},
): void {
	ex.sendJson(status, description ? { error, error_description: description } : { error }, headers);
}
