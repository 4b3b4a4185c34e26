import { NodeApiError, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';

import { redact } from './errors';
import { buildUrl, type ApiClient, type ApiRequest, type ApiResponse } from './transport';

export type PaginationStyle = 'offset' | 'page' | 'nextUrl' | 'linkHeader' | 'none';

export interface PaginationSettings {
	style: PaginationStyle;
	/** Records asked per page (offset and page styles). */
	pageSize: number;
	/**
	 * The API is known to return `pageSize` records whenever more exist (EenvoudigFactureren documents take ≤ 100),
	 * so a shorter page is the last. When false (custom APIs, which may cap the page size below what was asked),
	 * paging goes on until an empty page, or a page shorter than an earlier one of the same listing.
	 */
	fullPagesGuaranteed: boolean;
	/** Offset style: parameter names; EenvoudigFactureren's are `skip` and `take`. */
	offsetParam: string;
	limitParam: string;
	/** Page style: page number parameter, its first value, and the page size parameter. */
	pageParam: string;
	firstPage: number;
	pageSizeParam: string;
	/** Next-URL style: dot path in the body holding the next page's URL. */
	nextUrlPath: string;
	/** Dot path in the body where the records are; empty when the body is the array itself. */
	recordsPath: string;
	/** Safety cap against endless paging. */
	maxPages: number;
}

/**
 * EenvoudigFactureren's paging, kept in this one place: the official parameter names were not
 * readable in the public docs; a third-party reference names `skip` and `take` (1–100).
 */
export const EENVOUDIGFACTUREREN_PAGINATION: PaginationSettings = {
	style: 'offset',
	pageSize: 100,
	fullPagesGuaranteed: true,
	offsetParam: 'skip',
	limitParam: 'take',
	pageParam: 'page',
	firstPage: 1,
	pageSizeParam: 'per_page',
	nextUrlPath: 'next',
	recordsPath: '',
	maxPages: 10_000,
};

export interface PageInfo {
	pageNumber: number;
	records: IDataObject[];
}

/** Reads a value at a dot path (`data.items`); an empty path returns the value itself. */
export function getAtPath(value: unknown, path: string): unknown {
	if (!path) return value;
	let current: unknown = value;
	for (const part of path.split('.')) {
		if (current === null || typeof current !== 'object') return undefined;
		current = (current as IDataObject)[part];
	}
	return current;
}

/** Parses an RFC 8288 `Link` header and returns the `rel="next"` URL, if any. */
export function nextLinkFromHeader(header: unknown): string | undefined {
	const text = Array.isArray(header) ? header.join(',') : typeof header === 'string' ? header : '';
	for (const part of text.split(/,(?=\s*<)/)) {
		const match = /^\s*<([^>]*)>\s*;(.*)$/.exec(part);
		if (match && /rel\s*=\s*"?([^";]*\s)?next(\s[^";]*)?"?/i.test(match[2])) return match[1];
	}
	return undefined;
}

/**
 * Yields every page of a list endpoint. Guards against endless paging: a page identical to the
 * previous one, a next link or cursor that does not advance, and `maxPages`; each ends in a clear
 * error instead of a loop.
 */
export async function* paginate(
	client: ApiClient,
	node: INode,
	request: ApiRequest,
	settings: PaginationSettings,
): AsyncGenerator<PageInfo> {
	let pageNumber = 0;
	let previousQuick: string | undefined;
	let previousRecords: IDataObject[] = [];
	let nextRequest: ApiRequest | undefined = firstRequest(request, settings);
	const seenUrls = new Set<string>();
	let largestPage = 0;
	// Next URLs may carry a query-parameter key (APIs echo the query into their links): never quote them unredacted.
	const shown = (text: string) => redact(text, client.secrets);

	while (nextRequest) {
		pageNumber++;
		if (pageNumber > settings.maxPages) {
			throw paginationError(
				node,
				`Stopped after ${settings.maxPages} pages (the Max Pages limit) on ${request.method} ${request.path}`,
				'Raise Max Pages if the list really is this long, or narrow it with a filter. If every page looks the same, check the pagination settings.',
			);
		}
		const response: ApiResponse = await client.request(nextRequest);
		const records = recordsOf(response.body, settings, node, request);
		if (records.length > 0) {
			// Cheap check first (size and both ends); the full comparison only when those match.
			const quick = `${records.length}|${JSON.stringify(records[0])}|${JSON.stringify(records[records.length - 1])}`;
			if (quick === previousQuick && JSON.stringify(records) === JSON.stringify(previousRecords)) {
				throw paginationError(
					node,
					`The API returned the same page twice on ${request.method} ${request.path} (page ${pageNumber})`,
					'The API ignores the paging parameters. Check the pagination style and parameter names (for EenvoudigFactureren: offset style with skip/take).',
				);
			}
			previousQuick = quick;
			previousRecords = records;
		}
		yield { pageNumber, records };
		const lastPage = isLastPage(records.length, largestPage, settings);
		largestPage = Math.max(largestPage, records.length);
		nextRequest = lastPage ? undefined : following(client, nextRequest, response, records.length, settings);
		if (nextRequest && (settings.style === 'nextUrl' || settings.style === 'linkHeader')) {
			// Compared with the query sorted: an API may list the same parameters in another order.
			const seen = new URL(nextRequest.path);
			seen.searchParams.sort();
			if (seenUrls.has(seen.href)) {
				throw paginationError(
					node,
					shown(`The next-page link does not advance on ${request.method} ${request.path}: ${nextRequest.path} was already fetched`),
					'The API keeps pointing at a page already read. Check the next-URL setting, or report the problem to the API provider.',
				);
			}
			seenUrls.add(seen.href);
		}
	}
}

function firstRequest(request: ApiRequest, settings: PaginationSettings): ApiRequest {
	const query = { ...(request.query ?? {}) };
	if (settings.style === 'offset') {
		query[settings.offsetParam] = 0;
		query[settings.limitParam] = settings.pageSize;
	} else if (settings.style === 'page') {
		query[settings.pageParam] = settings.firstPage;
		if (settings.pageSizeParam) query[settings.pageSizeParam] = settings.pageSize;
	}
	return { ...request, query };
}

/**
 * Offset and page styles: an empty page ends the listing. A short page ends it too when the API is known to fill
 * its pages, or when it is shorter than an earlier page (the API has shown its real page size, which may be below
 * the size asked); the first short page of an API that may cap page sizes does not.
 */
function isLastPage(count: number, largestEarlierPage: number, settings: PaginationSettings): boolean {
	if (settings.style !== 'offset' && settings.style !== 'page') return false;
	if (count === 0) return true;
	if (settings.fullPagesGuaranteed) return count < settings.pageSize;
	return count < largestEarlierPage;
}

function following(
	client: ApiClient,
	current: ApiRequest,
	response: ApiResponse,
	count: number,
	settings: PaginationSettings,
): ApiRequest | undefined {
	const query = current.query ?? {};
	switch (settings.style) {
		case 'offset':
			return { ...current, query: { ...query, [settings.offsetParam]: Number(query[settings.offsetParam]) + count } };
		case 'page':
			return { ...current, query: { ...query, [settings.pageParam]: Number(query[settings.pageParam]) + 1 } };
		case 'nextUrl': {
			const next = getAtPath(response.body, settings.nextUrlPath);
			if (typeof next !== 'string' || next === '') return undefined;
			return { ...current, path: resolveLink(client, current, next), query: undefined };
		}
		case 'linkHeader': {
			const key = Object.keys(response.headers).find((h) => h.toLowerCase() === 'link');
			const next = key ? nextLinkFromHeader(response.headers[key]) : undefined;
			if (!next) return undefined;
			return { ...current, path: resolveLink(client, current, next), query: undefined };
		}
		default:
			return undefined;
	}
}

/**
 * A link as RFC 3986 reads it: absolute, root-relative (`/v1/contacts?cursor=2`, on the API's origin) or relative
 * to the page that returned it. The transport then refuses any URL outside the credential's origin.
 */
function resolveLink(client: ApiClient, current: ApiRequest, link: string): string {
	return new URL(link, buildUrl(client.baseUrl, current.path, current.query)).href;
}

function recordsOf(body: unknown, settings: PaginationSettings, node: INode, request: ApiRequest): IDataObject[] {
	const records = getAtPath(body, settings.recordsPath);
	if (Array.isArray(records)) return records as IDataObject[];
	throw paginationError(
		node,
		`Expected a list of records ${settings.recordsPath ? `at "${settings.recordsPath}" ` : ''}in the response to ${request.method} ${request.path}, got ${records === undefined ? 'nothing' : typeof records}`,
		'Set "Records Path" to where the list is in the response (empty when the response is the list itself).',
	);
}

function paginationError(node: INode, message: string, description: string): NodeApiError {
	return new NodeApiError(node, { message } as JsonObject, { message, description });
}
