/**
 * OAuth 2.0 for the sandbox: `/oauth/authorize` (approves at once, or shows a consent page the user answers) and
 * `/oauth/token` with the client_credentials, authorization_code and refresh_token grants. Grants can be revoked
 * (the user withdrew access), which makes their refresh tokens answer `invalid_grant`.
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

/** An authorization request waiting for the user's answer on the consent page. */
interface PendingConsent {
	client: OAuthClient;
	redirectUri: string;
	scope: string;
	state: string | null;
	expiresAt: number;
}

/**
 * How `/oauth/authorize` answers: `auto` approves at once with a redirect (scripts, in-process tests); `page` shows a
 * consent page whose Allow/Deny form posts back to `/oauth/authorize`, as a real provider does (the browser test).
 */
export type OAuthConsentMode = 'auto' | 'page';

/** Every token issued since the last reset, so tests can check that none of them shows up where it must not. */
export interface IssuedOAuthTokens {
	accessTokens: string[];
	refreshTokens: string[];
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
	private accessTokens = new Map<string, AccessTokenInfo & { withRefresh: boolean }>();
	private pendingConsents = new Map<string, PendingConsent>();
	private issued: IssuedOAuthTokens = { accessTokens: [], refreshTokens: [] };
	consentMode: OAuthConsentMode = 'auto';

	/** @param now the sandbox clock */
	constructor(private readonly now: () => Date) {}

	/** Forgets every code and token; `/oauth/authorize` approves at once again. */
	reset(): void {
		this.codes.clear();
		this.refreshTokens.clear();
		this.accessTokens.clear();
		this.pendingConsents.clear();
		this.issued = { accessTokens: [], refreshTokens: [] };
		this.consentMode = 'auto';
	}

	/** Every access token issued so far becomes expired; refresh tokens stay valid. */
	expireAll(): void {
		for (const info of this.accessTokens.values()) info.expired = true;
	}

	/**
	 * The user withdraws every authorization-code grant: their refresh tokens are refused (`invalid_grant`) and the
	 * access tokens issued with them are no longer accepted. Client-credentials tokens stay valid.
	 */
	revokeGrants(): void {
		this.refreshTokens.clear();
		for (const [token, info] of this.accessTokens) if (info.withRefresh) this.accessTokens.delete(token);
	}

	/** Every access and refresh token issued since the last reset (revoked and expired ones included). */
	issuedTokens(): IssuedOAuthTokens {
		return { accessTokens: [...this.issued.accessTokens], refreshTokens: [...this.issued.refreshTokens] };
	}

	/** Checks a bearer token against the issued access tokens. */
	lookup(token: string): AccessTokenLookup {
		const info = this.accessTokens.get(token);
		if (!info) return { status: 'unknown' };
		if (info.expired || this.now().getTime() >= info.expiresAt) return { status: 'expired' };
		return { status: 'valid', info };
	}

	/**
	 * `GET /oauth/authorize`: approves at once and redirects with a code, or (consent mode `page`) shows the consent
	 * page. `POST /oauth/authorize` is that page's answer: Allow redirects with a code, Deny with `access_denied`.
	 */
	authorize(ex: Exchange): void {
		if (ex.method === 'POST') return this.answerConsent(ex);
		const params = ex.params;
		const client = OAUTH_CLIENTS.find((candidate) => candidate.clientId === params.get('client_id'));
		if (!client) return oauthError(ex, 400, 'invalid_request', 'unknown client_id');
		if (params.get('response_type') !== 'code') {
			return oauthError(ex, 400, 'unsupported_response_type', 'response_type must be code');
		}
		const redirectUri = params.get('redirect_uri') ?? '';
		if (!parseAbsoluteUrl(redirectUri)) return oauthError(ex, 400, 'invalid_request', 'redirect_uri must be an absolute URL');
		ex.auth = { scheme: 'oauth2', principal: client.clientId, account: client.account };
		const request: PendingConsent = {
			client,
			redirectUri,
			scope: params.get('scope') || DEFAULT_SCOPE,
			state: params.get('state'),
			expiresAt: this.now().getTime() + CODE_LIFETIME_MS,
		};
		if (this.consentMode === 'auto') return this.redirectWithCode(ex, request);

		const ticket = randomToken('ef-consent-');
		this.pendingConsents.set(ticket, request);
		ex.send(200, consentPage(ex.pathname, ticket, request), 'text/html; charset=utf-8', {
			'Cache-Control': 'no-store',
			'X-Frame-Options': 'DENY',
		});
	}

	private answerConsent(ex: Exchange): void {
		const form = new URLSearchParams(ex.bodyText);
		const ticket = form.get('ticket') ?? '';
		const request = this.pendingConsents.get(ticket);
		this.pendingConsents.delete(ticket);
		if (!request || request.expiresAt <= this.now().getTime()) {
			return oauthError(ex, 400, 'invalid_request', 'this consent page expired or was already answered: start again');
		}
		ex.auth = { scheme: 'oauth2', principal: request.client.clientId, account: request.client.account };
		if (form.get('decision') !== 'allow') {
			const target = new URL(request.redirectUri);
			target.searchParams.set('error', 'access_denied');
			target.searchParams.set('error_description', 'the user denied access');
			if (request.state !== null) target.searchParams.set('state', request.state);
			return ex.redirect(target.toString());
		}
		this.redirectWithCode(ex, request);
	}

	private redirectWithCode(ex: Exchange, request: PendingConsent): void {
		const code = randomToken('ef-code-');
		this.codes.set(code, {
			clientId: request.client.clientId,
			redirectUri: request.redirectUri,
			scope: request.scope,
			expiresAt: this.now().getTime() + CODE_LIFETIME_MS,
		});
		const target = new URL(request.redirectUri);
		target.searchParams.set('code', code);
		if (request.state !== null) target.searchParams.set('state', request.state);
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
			withRefresh,
		});
		this.issued.accessTokens.push(accessToken);
		const body: Record<string, unknown> = {
			access_token: accessToken,
			token_type: 'Bearer',
			expires_in: OAUTH_TOKEN_LIFETIME_SECONDS,
		};
		if (withRefresh) {
			const refreshToken = randomToken('ef-rt-');
			this.refreshTokens.set(refreshToken, { clientId: client.clientId, scope });
			this.issued.refreshTokens.push(refreshToken);
			body.refresh_token = refreshToken;
		}
		body.scope = scope;
		ex.sendJson(200, body, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
	}
}

/** The provider's consent page: who asks for what, and an Allow / Deny form posted back to the authorize URL. */
function consentPage(action: string, ticket: string, request: PendingConsent): string {
	const redirectHost = new URL(request.redirectUri).host;
	return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Authorize ${escapeHtml(request.client.clientId)} - Sandbox API</title></head>
<body>
<main>
<h1>Authorize access to your account</h1>
<p><strong id="client">${escapeHtml(request.client.clientId)}</strong> asks for access to account
<strong id="account">${escapeHtml(request.client.account)}</strong> with scope <code id="scope">${escapeHtml(request.scope)}</code>.</p>
<p>You will be sent back to <code id="redirect-host">${escapeHtml(redirectHost)}</code>.</p>
<form method="post" action="${escapeHtml(action)}">
<input type="hidden" name="ticket" value="${escapeHtml(ticket)}">
<button type="submit" name="decision" value="allow" id="allow">Allow</button>
<button type="submit" name="decision" value="deny" id="deny">Deny</button>
</form>
</main>
</body>
</html>
`;
}

function escapeHtml(text: string): string {
	return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
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
