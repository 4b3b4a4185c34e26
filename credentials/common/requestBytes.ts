import type { IDataObject, IHttpRequestOptions } from 'n8n-workflow';

/**
 * Serialises a request the way it will go on the wire, so a signature covers exactly the bytes sent:
 * the absolute URL with its query string, and the body as bytes. Returns new request options
 * whose `url` and `body` are final (no `baseURL`, no `qs`), plus the path and body to sign.
 *
 * The body is handed on as a Buffer, never as a string: n8n's HTTP client (axios) rewrites a string body on its
 * way out — a JSON text is trimmed (`"{…}\n"` goes out as `"{…}"`) — while a Buffer is sent byte for byte. So the
 * bytes signed are the bytes the API receives, whatever the body looks like.
 *
 * n8n's legacy request path (`requestWithAuthentication`, used by the HTTP Request node) names the
 * URL `uri` instead of `url` (read from there and written back there) and a url-encoded form `form`.
 *
 * @throws Error for bodies that cannot be signed byte for byte (streams, multipart form data).
 */
export function serialiseForSigning(requestOptions: IHttpRequestOptions): {
	options: IHttpRequestOptions;
	pathWithQuery: string;
	body: Buffer;
} {
	const legacy = requestOptions as { uri?: string | URL; form?: unknown; formData?: unknown };
	const usesUri = !requestOptions.url && legacy.uri !== undefined;
	const target = usesUri ? String(legacy.uri) : requestOptions.url;
	if (!target) throw new Error('The request has no URL to sign.');
	const url = new URL(joinUrl(requestOptions.baseURL, target));
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
	let body: string | Buffer = '';
	if (legacy.formData !== undefined) {
		throw new Error('A multipart form-data body cannot be signed. Send a JSON, form-urlencoded or text body.');
	}
	// The legacy path carries a url-encoded form in `form`: it becomes the body, so the bytes signed are sent.
	const formBody = legacy.form !== undefined && (requestOptions.body === undefined || requestOptions.body === null);
	if (formBody) setHeaderIfMissing(headers, 'Content-Type', 'application/x-www-form-urlencoded');
	const raw = formBody ? legacy.form : requestOptions.body;
	if (raw === undefined || raw === null || raw === '' || ['GET', 'HEAD'].includes(method)) {
		body = '';
	} else if (typeof raw === 'string') {
		body = raw;
	} else if (Buffer.isBuffer(raw)) {
		body = raw;
	} else if (raw instanceof URLSearchParams) {
		body = raw.toString();
		setHeaderIfMissing(headers, 'Content-Type', 'application/x-www-form-urlencoded');
	} else if (isPlainJson(raw) && isFormUrlEncoded(headers)) {
		body = formUrlEncode(raw as IDataObject);
	} else if (isPlainJson(raw)) {
		body = JSON.stringify(raw);
		setHeaderIfMissing(headers, 'Content-Type', 'application/json');
	} else {
		throw new Error('This request body (a stream or form data) cannot be signed. Send a JSON or text body.');
	}

	const options: IHttpRequestOptions = { ...requestOptions, headers };
	if (usesUri) (options as { uri?: string }).uri = url.href;
	else options.url = url.href;
	delete options.baseURL;
	delete options.qs;
	delete (options as { form?: unknown }).form;
	const bytes = Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8');
	if (bytes.length === 0) delete options.body;
	// n8n's HTTP client rebuilds a form-urlencoded body with `new URLSearchParams(body)`, which takes text and throws
	// on bytes, then sends the text as it is: a form body goes as the text of exactly these bytes.
	else options.body = isFormUrlEncoded(headers) ? bytes.toString('utf8') : bytes;
	return { options, pathWithQuery: `${url.pathname}${url.search}`, body: bytes };
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

function isFormUrlEncoded(headers: IDataObject): boolean {
	const name = Object.keys(headers).find((h) => h.toLowerCase() === 'content-type');
	return name !== undefined && String(headers[name]).toLowerCase().startsWith('application/x-www-form-urlencoded');
}

/** A form body as `a=1&b=2`: the bytes sent for a url-encoded object, so that they are what is signed. */
function formUrlEncode(fields: IDataObject): string {
	const params = new URLSearchParams();
	for (const [name, value] of Object.entries(fields)) {
		if (value === undefined || value === null) continue;
		for (const v of Array.isArray(value) ? value : [value]) {
			params.append(name, typeof v === 'object' ? JSON.stringify(v) : String(v));
		}
	}
	return params.toString();
}

function setHeaderIfMissing(headers: IDataObject, name: string, value: string): void {
	if (!Object.keys(headers).some((h) => h.toLowerCase() === name.toLowerCase())) headers[name] = value;
}
