import { createHash } from 'crypto';
import type { ICredentialDataDecryptedObject, IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

import { canonicalJson } from './hash';

/** The Account ID set in the node's credential (empty when none): part of what identifies a change feed. */
export async function credentialAccountId(ctx: IExecuteFunctions | IPollFunctions, credentialType: string): Promise<string> {
	const credentials = await ctx.getCredentials(credentialType);
	return String(credentials?.accountId ?? '').trim();
}

/**
 * Credential fields that say nothing about which account is reached, or change without the account changing:
 * OAuth2's token data (renewed on every refresh; its account fields are taken separately), a Basic Auth password
 * (the user names the account; a password alone is too guessable to hash into stored state) and the OAuth2 client
 * secret (the client ID names the app). The credential's Account ID is part of the state's owner on its own (the
 * effective account, which the node's Account ID overrides), and the test path reaches no records.
 */
const NOT_IDENTIFYING = new Set(['oauthTokenData', 'password', 'clientSecret', 'accountId', 'testPath']);

/** Fields of an OAuth2 token answer that name the account the token is for, where a provider sends one. */
const TOKEN_ACCOUNT_FIELDS = ['account_id', 'accountId', 'user_id', 'userId', 'hub_id', 'team_id', 'tenant_id', 'realmId', 'instance_url'];

/** The subject and issuer of an OpenID Connect id_token (not verified: used only to notice another account). */
function idTokenSubject(idToken: unknown): unknown {
	if (typeof idToken !== 'string') return undefined;
	const payload = idToken.split('.')[1];
	if (!payload) return undefined;
	try {
		const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>;
		return claims && typeof claims === 'object' ? [claims.iss, claims.sub] : undefined;
	} catch {
		return undefined;
	}
}

/**
 * Who the stored state of this node belongs to, as a one-way digest: the credential the node uses (type and n8n id)
 * and what identifies the account it reaches — the key, token or user, the key ID, the OAuth2 client and any account
 * the token answer names — never the secret itself, only 16 characters of its SHA-256. Another credential, or another
 * key in the same credential (also a rotated one), gives another identity: Sync's Skip Unchanged Input then compares in
 * full once. Get Changes and the trigger do not use it: a rotated key must not restart a change feed (README).
 */
export async function credentialIdentity(ctx: IExecuteFunctions | IPollFunctions, credentialType: string): Promise<string> {
	const credentials: ICredentialDataDecryptedObject = (await ctx.getCredentials(credentialType)) ?? {};
	const identifying: Record<string, unknown> = {};
	for (const [name, value] of Object.entries(credentials)) if (!NOT_IDENTIFYING.has(name)) identifying[name] = value;
	const token = credentials.oauthTokenData;
	if (token && typeof token === 'object') {
		const account: Record<string, unknown> = {};
		for (const field of TOKEN_ACCOUNT_FIELDS) if ((token as Record<string, unknown>)[field] !== undefined) account[field] = (token as Record<string, unknown>)[field];
		const subject = idTokenSubject((token as Record<string, unknown>).id_token);
		if (subject !== undefined) account.idToken = subject;
		identifying.oauthAccount = account;
	}
	const id = ctx.getNode().credentials?.[credentialType]?.id ?? '';
	const digest = createHash('sha256').update(canonicalJson(identifying)).digest('base64url').slice(0, 16);
	return `${credentialType}:${id}:${digest}`;
}
