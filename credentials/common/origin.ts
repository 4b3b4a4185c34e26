import type { ICredentialDataDecryptedObject, IHttpRequestOptions } from 'n8n-workflow';

import { DEFAULT_BASE_URL } from './fields';

/**
 * The request options that keep a credential on its Base URL's origin, wherever n8n sends the request (this
 * package's nodes, or n8n's stock HTTP Request node with *Predefined Credential Type*):
 *
 * - a request to any other origin (scheme, host and port) is refused here, before anything is signed or sent;
 * - redirects are not followed by n8n's HTTP client. n8n gives a credential no per-hop say: its redirect hook
 *   (`beforeRedirect`) is n8n's own, the credential's allowed domains are compared by host name only (not port or
 *   scheme), and headers such as `X-API-Key` or an HMAC signature go along to any host. So no redirect is
 *   followed at all: `followRedirect`/`followAllRedirects`/`maxRedirects` for n8n's legacy request path (the HTTP
 *   Request node) and `disableFollowRedirect` for `httpRequest` (this package's transport follows same-origin
 *   redirects itself); `sendCredentialsOnCrossOriginRedirect: false` as well, should any be followed.
 *
 * @throws Error when the request goes to another origin than the credential's Base URL, or the Base URL is not an
 * http(s) URL.
 */
export function onBaseUrlOrigin(credentials: ICredentialDataDecryptedObject, requestOptions: IHttpRequestOptions): IHttpRequestOptions {
	const baseUrl = String(credentials.baseUrl || DEFAULT_BASE_URL);
	let allowed: string;
	try {
		allowed = new URL(baseUrl).origin;
	} catch {
		allowed = 'null';
	}
	if (!/^https?:\/\//i.test(baseUrl) || allowed === 'null') {
		throw new Error(`The credential's Base URL "${baseUrl}" is not an http(s) URL. Open the credential and set Base URL, e.g. ${DEFAULT_BASE_URL}`);
	}
	const target = targetUrl(requestOptions);
	if (target && target.origin !== allowed) {
		throw new Error(
			`Refused to send the credential to ${target.origin}: ${(requestOptions.method ?? 'GET').toUpperCase()} ${target.pathname} is not on the credential's Base URL origin ${allowed}. The credential is only ever sent to the origin of its Base URL; if that host really is the API, set the credential's Base URL to it.`,
		);
	}
	return {
		...requestOptions,
		disableFollowRedirect: true,
		maxRedirects: 0,
		followRedirect: false,
		followAllRedirects: false,
		sendCredentialsOnCrossOriginRedirect: false,
	} as IHttpRequestOptions;
}

/** The absolute URL a request goes to (`url`, or the legacy path's `uri`, against `baseURL`); undefined if none. */
function targetUrl(requestOptions: IHttpRequestOptions): URL | undefined {
	const legacy = requestOptions as { uri?: string | URL };
	const url = requestOptions.url || (legacy.uri !== undefined ? String(legacy.uri) : '');
	try {
		return requestOptions.baseURL ? new URL(joinUrl(requestOptions.baseURL, url)) : new URL(url);
	} catch {
		return undefined;
	}
}

function joinUrl(baseURL: string, url: string): string {
	if (/^https?:\/\//i.test(url)) return url;
	return `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}
