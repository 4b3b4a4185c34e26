import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

/**
 * Serialises a request the way it will go on the wire, so a signature covers exactly the bytes sent:
 * the absolute URL with its query string, and the body as a string. Returns new request options
 * whose `url` and `body` are final (no `baseURL`, no `qs`), plus the path and body to sign.
 *
 * @throws Error for bodies that cannot be signed byte for byte (streams, form data).
 */
export function serialiseForSigning(requestOptions: IHttpRequestOptions): {
	options: IHttpRequestOptions;
	pathWithQuery: string;
	body: string;
} {
	const url = new URL(joinUrl(requestOptions.baseURL, requestOptions.url));
	for (const [name, value] of Object.entries((requestOptions.qs ?? {}) as IDataObject)) {
		if (value === undefined || value === null) continue;
		if (Array.isArray(value)) {
			for (const v of value) url.searchParams.append(name, String(v));
		} else {
			url.searchParams.append(name, typeof value === 'object' ? JSON.stringify(value) : String(value));
		}
	}

	const headers = { ...(requestOptions.headers ?? {}) } as IDataObject;
	const method = (requestOptions.method ?? 'GET').toUpperCase();
	let body = '';
	const raw = requestOptions.body;
	if (raw === undefined || raw === null || raw === '' || ['GET', 'HEAD'].includes(method)) {
		body = '';
	} else if (typeof raw === 'string') {
		body = raw;
	} else if (Buffer.isBuffer(raw)) {
		body = raw.toString('utf8');
	} else if (raw instanceof URLSearchParams) {
		body = raw.toString();
		setHeaderIfMissing(headers, 'Content-Type', 'application/x-www-form-urlencoded');
	} else if (isPlainJson(raw)) {
		body = JSON.stringify(raw);
		setHeaderIfMissing(headers, 'Content-Type', 'application/json');
	} else {
		throw new Error('This request body (a stream or form data) cannot be signed. Send a JSON or text body.');
	}

	const options: IHttpRequestOptions = { ...requestOptions, url: url.href, headers };
	delete options.baseURL;
	delete options.qs;
	if (body === '') delete options.body;
	else options.body = body;
	return { options, pathWithQuery: `${url.pathname}${url.search}`, body };
}

function joinUrl(baseURL: string | undefined, url: string): string {
	if (!baseURL || /^https?:\/\//i.test(url)) return url;
	return `${baseURL.replace(/\/+$/, '')}/${url.replace(/^\/+/, '')}`;
}

function isPlainJson(value: unknown): boolean {
	if (Array.isArray(value)) return true;
	if (typeof value !== 'object' || value === null) return false;
	const proto = Object.getPrototypeOf(value);
	return proto === Object.prototype || proto === null;
}

function setHeaderIfMissing(headers: IDataObject, name: string, value: string): void {
	if (!Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) headers[name] = value;
}
