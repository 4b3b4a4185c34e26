/**
 * The one paging layer: every list read of every node goes through `paginate` (or `readAllRecords`, which
 * collects its pages). Nothing else pages by itself.
 *
 * Styles:
 * - `offset`, `page`: the next page is known in advance (offset + count, page + 1), so up to `concurrency` pages
 *   are read at once (see `numberedPages`). Offset pages overlap by one record to detect a listing that shifted
 *   while it was read (a record deleted or inserted between two pages): the listing is then read again.
 * - `nextUrl`, `linkHeader`, `cursor`, `lastId`: the next page comes from the previous answer (a link, a token
 *   in the body, the last record's ID), so they are read one after another.
 * - `none`: one request.
 *
 * Never a silent partial read: when the last answer read says there is more (`has_more: true`, a next token, a
 * next link, a `Link: rel="next"` header, …) and the configured style cannot follow it, `paginate` throws a
 * `NodeApiError` naming the setting to use. The check runs only when the consumer asks for the page after the
 * last one: a caller that stops early on purpose (Get Many with a Limit) never meets it.
 */
import { NodeApiError, type IDataObject, type INode, type JsonObject } from 'n8n-workflow';

import { redact } from './errors';
import { buildUrl, type ApiClient, type ApiRequest, type ApiResponse } from './transport';

export type PaginationStyle = 'offset' | 'page' | 'nextUrl' | 'linkHeader' | 'cursor' | 'lastId' | 'none';

export interface PaginationSettings {
	style: PaginationStyle;
	/** Records asked per page (offset and page styles; the other styles when `pageSizeParam` is set). */
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
	/** Page style: page number parameter, its first value. */
	pageParam: string;
	firstPage: number;
	/**
	 * Page size parameter of every style but `offset` (which has `limitParam`). Page style: always sent (default
	 * `per_page`). Other styles: sent only when not empty — on the first request for the link styles (the links
	 * carry it on), on every request for `cursor` and `lastId` (HubSpot and Stripe `limit`, Airtable `pageSize`).
	 */
	pageSizeParam: string;
	/** Next-URL style: dot path in the body holding the next page's URL. */
	nextUrlPath: string;
	/** Cursor style: dot path in the body holding the next page's token (`paging.next.after`, `next_cursor`, `offset`). */
	cursorPath: string;
	/** Cursor and last-ID styles: query parameter the token or last ID is sent in (`after`, `cursor`, `starting_after`). */
	cursorParam: string;
	/**
	 * Dot path of a boolean saying whether more records follow (`has_more`); empty = not used. When set, false ends
	 * the listing (cursor, lastId), and it is trusted over any other sign of more.
	 */
	hasMorePath: string;
	/** Field holding each record's ID: the last-ID style's token, and how overlapping offset pages are compared. */
	idField: string;
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
	cursorPath: '',
	cursorParam: '',
	hasMorePath: '',
	idField: '',
	recordsPath: '',
	maxPages: 10_000,
};

/** Styles whose pages are known in advance and read concurrently. */
export const CONCURRENT_STYLES: ReadonlySet<PaginationStyle> = new Set(['offset', 'page']);

/** A listing that kept shifting while it was read is read again at most this many times, then it is an error. */
export const MAX_DRIFT_REREADS = 3;

export interface PageInfo {
	pageNumber: number;
	/** This page's records, each once (an overlapping offset page's first record, already yielded, is left out). */
	records: IDataObject[];
	/**
	 * The listing changed while it was read (a record deleted or inserted between two pages) and is being read
	 * again from its start: drop every record of the earlier pages. `readAllRecords` does that.
	 */
	restart?: boolean;
}

export interface PagingOptions {
	/** Pages in flight at once for the offset and page styles; default 1. */
	concurrency?: number;
	/** The caller stops after this many records (Get Many with a Limit): no page past them is asked for. */
	wantRecords?: number;
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
 * Every record of a listing, in order, each once: the pages of `paginate` collected, dropping what was read
 * before a restart. `limit` stops early (Get Many with a Limit; never an error).
 */
export async function readAllRecords(
	client: ApiClient,
	node: INode,
	request: ApiRequest,
	settings: PaginationSettings,
	options: PagingOptions & { limit?: number } = {},
): Promise<IDataObject[]> {
	const limit = options.limit ?? Infinity;
	let records: IDataObject[] = [];
	for await (const page of paginate(client, node, request, settings, { ...options, wantRecords: options.wantRecords ?? limit })) {
		if (page.restart) records = [];
		for (const record of page.records) records.push(record);
		if (records.length >= limit) break;
	}
	return records.length > limit ? records.slice(0, limit) : records;
}

/**
 * Yields every page of a list endpoint. Guards against endless paging: a page identical to the previous one, a
 * next link, token or last ID that does not advance, and `maxPages`; each ends in a clear error instead of a loop.
 */
export async function* paginate(
	client: ApiClient,
	node: INode,
	request: ApiRequest,
	settings: PaginationSettings,
	options: PagingOptions = {},
): AsyncGenerator<PageInfo> {
	checkSettings(node, settings);
	if (CONCURRENT_STYLES.has(settings.style)) {
		for (let reread = 0; ; reread++) {
			const outcome = yield* numberedPages(client, node, request, settings, options, reread > 0);
			if (outcome === 'done') return;
			if (reread >= MAX_DRIFT_REREADS) {
				throw paginationError(
					node,
					`The list on ${request.method} ${request.path} kept changing while it was read (records deleted or added between two pages), ${MAX_DRIFT_REREADS + 1} times in a row`,
					'Nothing was decided from it. Run again when fewer changes are being made to these records, or narrow the list with a filter.',
				);
			}
		}
	}
	yield* followedPages(client, node, request, settings);
}

// ---------------------------------------------------------------------------------------------------------------
// Offset and page number: pages known in advance, read concurrently, offset pages overlapping by one record.

type Settled = { ok: true; response: ApiResponse } | { ok: false; error: unknown };

interface InFlight {
	pageNumber: number;
	/** Offset style: the offset asked; page style: the page number asked. */
	position: number;
	/** An offset page whose first record must be the previous page's last. */
	overlapped: boolean;
	result: Promise<Settled>;
}

/**
 * One read of an offset or page-number listing. Pages are asked for in order, up to `concurrency` at once, and
 * handled in order. Until the API has shown its real page size, one at a time: the first page, and when it is
 * shorter than asked (a custom API may cap its page size, or the list may end there), the second as well. Then
 * the window grows by one page per full page read, up to `concurrency`: a listing of one or two pages costs what
 * it costs read one page at a time, a longer one at most `concurrency − 1` requests past its end.
 *
 * Offset pages after the first start one record before the previous page's end; that record must be the one
 * the previous page ended with (compared by ID). If it is not, the listing shifted between the two reads (a
 * record deleted or inserted before it) and a record may have been skipped or read twice: returns 'drift', and
 * `paginate` reads the listing again (at most `MAX_DRIFT_REREADS` times).
 */
async function* numberedPages(
	client: ApiClient,
	node: INode,
	request: ApiRequest,
	settings: PaginationSettings,
	options: PagingOptions,
	restart: boolean,
): AsyncGenerator<PageInfo, 'done' | 'drift'> {
	const offsetStyle = settings.style === 'offset';
	const concurrency = Math.max(1, Math.floor(options.concurrency ?? 1));
	const want = options.wantRecords ?? Infinity;
	const queue: InFlight[] = [];
	const abandoned: InFlight[] = [];

	/** The real page size, once the API has shown it. */
	let pageSize: number | undefined;
	let largestPage = 0;
	let fullPagesRead = 0;
	let previousLast: IDataObject | undefined;
	let previousQuick: string | undefined;
	let previousRaw: IDataObject[] = [];
	let recordsRead = 0;
	// The next page to ask for.
	let nextPageNumber = 1;
	let nextPosition = offsetStyle ? 0 : settings.firstPage;
	let nextOverlapped = false;

	const launch = () => {
		const query = { ...(request.query ?? {}) };
		query[offsetStyle ? settings.offsetParam : settings.pageParam] = nextPosition;
		if (offsetStyle) query[settings.limitParam] = settings.pageSize;
		else if (settings.pageSizeParam) query[settings.pageSizeParam] = settings.pageSize;
		const result = client.request({ ...request, query }).then(
			(response): Settled => ({ ok: true, response }),
			(error: unknown): Settled => ({ ok: false, error }),
		);
		queue.push({ pageNumber: nextPageNumber, position: nextPosition, overlapped: nextOverlapped, result });
		nextPageNumber++;
		if (!offsetStyle) nextPosition++;
		else if (pageSize !== undefined) {
			// Laid out on the page size learnt: the page after this one starts at its last record.
			nextOverlapped = pageSize >= 2;
			nextPosition += pageSize - (nextOverlapped ? 1 : 0);
		}
	};
	/** Records before the page at `position`, so that no page past what the caller wants is asked for. */
	const recordsBefore = (position: number) => (offsetStyle ? position : (position - settings.firstPage) * (pageSize ?? settings.pageSize));
	const fill = () => {
		const window = pageSize === undefined ? 1 : Math.min(concurrency, Math.max(1, fullPagesRead));
		while (queue.length < window && nextPageNumber <= settings.maxPages && (nextPageNumber === 1 || recordsBefore(nextPosition) < want)) {
			launch();
		}
	};

	fill();
	try {
		while (queue.length > 0) {
			const page = queue.shift() as InFlight;
			const settled = await page.result;
			if (!settled.ok) throw settled.error;
			const { response } = settled;
			const raw = recordsOf(response.body, settings, node, request);
			if (raw.length > 0) {
				// Cheap check first (size and both ends); the full comparison only when those match.
				const quick = `${raw.length}|${JSON.stringify(raw[0])}|${JSON.stringify(raw[raw.length - 1])}`;
				if (quick === previousQuick && JSON.stringify(raw) === JSON.stringify(previousRaw)) throw samePageError(node, request, page.pageNumber);
				previousQuick = quick;
				previousRaw = raw;
			}
			let records = raw;
			if (page.overlapped) {
				if (raw.length === 0 || previousLast === undefined || !sameRecord(raw[0], previousLast, settings.idField)) return 'drift';
				records = raw.slice(1);
			}

			const last = isLastPage(raw.length, largestPage, settings);
			yield { pageNumber: page.pageNumber, records, ...(restart && page.pageNumber === 1 ? { restart: true } : {}) };
			if (last) {
				throwIfMoreSignalled(client, node, request, response, settings);
				return 'done';
			}
			recordsRead += records.length;
			largestPage = Math.max(largestPage, raw.length);
			previousLast = raw[raw.length - 1];
			fullPagesRead++;

			if (pageSize === undefined && (raw.length >= settings.pageSize || page.pageNumber > 1)) {
				// A page as long as asked, or a second page as long as the first: the API's real page size. From here
				// on pages are laid out on it, several at once.
				pageSize = raw.length;
			} else if (pageSize !== undefined && offsetStyle && raw.length > pageSize) {
				// Longer than the size learnt: the pages in flight were laid out on a size too small. Drop them and go
				// on from the end of this one.
				abandoned.push(...queue.splice(0));
				pageSize = raw.length;
				nextPageNumber = page.pageNumber + 1;
			}
			if (offsetStyle && queue.length === 0) {
				// One page at a time (or laid out again): the next starts at this one's last record.
				nextOverlapped = raw.length >= 2;
				nextPosition = page.position + raw.length - (nextOverlapped ? 1 : 0);
			}
			// The caller (Get Many with a Limit) has all it wants: it stops here, no further page is asked for.
			if (recordsRead >= want && queue.length === 0) return 'done';
			if (page.pageNumber >= settings.maxPages) {
				throw paginationError(
					node,
					`Stopped after ${settings.maxPages} pages (the Max Pages limit) on ${request.method} ${request.path}`,
					'Raise Max Pages if the list really is this long, or narrow it with a filter. If every page looks the same, check the pagination settings.',
				);
			}
			fill();
		}
		return 'done';
	} finally {
		// Pages asked for past the end (or before an error, a re-read, or a caller that stopped early) are awaited, so
		// that no request of this read is still running once it is over.
		await Promise.all([...abandoned, ...queue].map((page) => page.result));
	}
}

/**
 * Offset and page styles: an empty page ends the listing. A short page ends it too when the API is known to fill
 * its pages, or when it is shorter than an earlier page (the API has shown its real page size, which may be below
 * the size asked); the first short page of an API that may cap page sizes does not.
 */
function isLastPage(count: number, largestEarlierPage: number, settings: PaginationSettings): boolean {
	if (count === 0) return true;
	if (settings.fullPagesGuaranteed) return count < settings.pageSize;
	return count < largestEarlierPage;
}

/** The same record: by ID where both have one, else by content. */
function sameRecord(a: IDataObject, b: IDataObject, idField: string): boolean {
	const [x, y] = idField ? [a[idField], b[idField]] : [undefined, undefined];
	if (x !== undefined && x !== null && y !== undefined && y !== null) return String(x) === String(y);
	return JSON.stringify(a) === JSON.stringify(b);
}

// ---------------------------------------------------------------------------------------------------------------
// Next URL, Link header, cursor token, last ID, none: each page from the previous answer, one after another.

async function* followedPages(client: ApiClient, node: INode, request: ApiRequest, settings: PaginationSettings): AsyncGenerator<PageInfo> {
	let pageNumber = 0;
	let previousQuick: string | undefined;
	let previousRecords: IDataObject[] = [];
	let nextRequest: ApiRequest | undefined = firstFollowedRequest(request, settings);
	const seen = new Set<string>();
	// Next URLs and tokens may carry a query-parameter key (APIs echo the query into their links): never quote them unredacted.
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
			const quick = `${records.length}|${JSON.stringify(records[0])}|${JSON.stringify(records[records.length - 1])}`;
			if (quick === previousQuick && JSON.stringify(records) === JSON.stringify(previousRecords)) throw samePageError(node, request, pageNumber);
			previousQuick = quick;
			previousRecords = records;
		}
		yield { pageNumber, records };
		const next = following(client, node, request, nextRequest, response, records, settings);
		if (!next) {
			throwIfMoreSignalled(client, node, request, response, settings);
			return;
		}
		// What identifies the next page: the link (query sorted: an API may list the same parameters in another
		// order), the token or the last ID. Asking for one already asked for is a loop.
		if (seen.has(next.key)) {
			throw paginationError(node, shown(next.loopMessage), next.loopAdvice);
		}
		seen.add(next.key);
		nextRequest = next.request;
	}
}

function firstFollowedRequest(request: ApiRequest, settings: PaginationSettings): ApiRequest {
	if (settings.style === 'none' || !settings.pageSizeParam) return request;
	return { ...request, query: { ...(request.query ?? {}), [settings.pageSizeParam]: settings.pageSize } };
}

interface NextPage {
	request: ApiRequest;
	key: string;
	loopMessage: string;
	loopAdvice: string;
}

function following(
	client: ApiClient,
	node: INode,
	original: ApiRequest,
	current: ApiRequest,
	response: ApiResponse,
	records: IDataObject[],
	settings: PaginationSettings,
): NextPage | undefined {
	const where = `${original.method} ${original.path}`;
	const linkPage = (link: string): NextPage => {
		const path = resolveLink(client, current, link);
		const key = new URL(path);
		key.searchParams.sort();
		return {
			request: { ...current, path, query: undefined },
			key: `link ${key.href}`,
			loopMessage: `The next-page link does not advance on ${where}: ${path} was already fetched`,
			loopAdvice: 'The API keeps pointing at a page already read. Check the next-URL setting, or report the problem to the API provider.',
		};
	};
	const hasMore = settings.hasMorePath ? getAtPath(response.body, settings.hasMorePath) : undefined;
	switch (settings.style) {
		case 'nextUrl': {
			const next = getAtPath(response.body, settings.nextUrlPath);
			return typeof next === 'string' && next !== '' ? linkPage(next) : undefined;
		}
		case 'linkHeader': {
			const key = Object.keys(response.headers).find((h) => h.toLowerCase() === 'link');
			const next = key ? nextLinkFromHeader(response.headers[key]) : undefined;
			return next ? linkPage(next) : undefined;
		}
		case 'cursor': {
			if (hasMore === false) return undefined;
			const token = getAtPath(response.body, settings.cursorPath);
			if (token === undefined || token === null || token === '') return undefined;
			if (typeof token !== 'string' && typeof token !== 'number') {
				throw paginationError(
					node,
					`The value at Cursor Path "${settings.cursorPath}" in the response to ${where} is ${Array.isArray(token) ? 'a list' : 'an object'}, not a token`,
					`Set Cursor Path to the token itself, e.g. paging.next.after (HubSpot), next_cursor or offset (Airtable). Fields there: ${Object.keys(token).slice(0, 10).join(', ')}.`,
				);
			}
			return tokenPage(current, settings, String(token), `The next-page token does not advance on ${where}: ${settings.cursorParam}=${String(token)} was already sent`);
		}
		case 'lastId': {
			if (hasMore === false || records.length === 0) return undefined;
			const id = records[records.length - 1][settings.idField];
			if (id === undefined || id === null || id === '' || typeof id === 'object') {
				throw paginationError(
					node,
					`The last record of a page from ${where} has no "${settings.idField}" to continue after`,
					`Last Record ID paging sends the last record's ID (the ID Field) in ${settings.cursorParam}. Set ID Field to the field holding each record's ID. Fields seen: ${Object.keys(records[records.length - 1]).slice(0, 15).join(', ')}.`,
				);
			}
			return tokenPage(current, settings, String(id as string | number), `Paging by the last record's ID does not advance on ${where}: ${settings.cursorParam}=${String(id as string | number)} was already sent`);
		}
		default:
			return undefined;
	}
}

/** The next page of the cursor and last-ID styles: the same request with the token (always to the same origin). */
function tokenPage(current: ApiRequest, settings: PaginationSettings, token: string, loopMessage: string): NextPage {
	const query = { ...(current.query ?? {}), [settings.cursorParam]: token };
	if (settings.pageSizeParam) query[settings.pageSizeParam] = settings.pageSize;
	return {
		request: { ...current, query },
		key: `token ${token}`,
		loopMessage,
		loopAdvice: 'The API answers with the same next-page token again. Check Cursor Path and Cursor Parameter (or, for Last Record ID, the ID Field), or report the problem to the API provider.',
	};
}

/**
 * A link as RFC 3986 reads it: absolute, root-relative (`/v1/contacts?cursor=2`, on the API's origin) or relative
 * to the page that returned it. The transport then refuses any URL outside the credential's origin.
 */
function resolveLink(client: ApiClient, current: ApiRequest, link: string): string {
	return new URL(link, buildUrl(client.baseUrl, current.path, current.query)).href;
}

// ---------------------------------------------------------------------------------------------------------------
// Never a silent partial read.

interface MoreSignal {
	/** What the answer says, e.g. `has_more: true`, `paging.next.after`, `Link: rel="next"`. */
	what: string;
	/** The setting that follows it. */
	advice: string;
}

const TRUE_FLAGS = ['has_more', 'hasMore', 'has_next', 'hasNext', 'has_next_page', 'hasNextPage', 'more_records', 'moreRecords'];
const TOKEN_KEYS = ['next_cursor', 'nextCursor', 'next_page_token', 'nextPageToken', 'next_token', 'nextToken'];
const LINK_KEYS = ['next', 'next_url', 'nextUrl', 'next_page_url', 'nextPageUrl', 'next_link', 'nextLink', '@odata.nextLink', 'next_page', 'nextPage'];
/** Objects beside the records that hold paging information in common APIs. */
const ENVELOPE_KEYS = ['paging', 'pagination', 'meta', 'links', '_links', 'response_metadata', 'page_info', 'pageInfo'];

/**
 * Whether an answer says that more records follow, looking only at the envelope (the body's top level and the
 * paging objects beside the records, never inside the records) and the `Link` header. A body that is the list of
 * records itself says nothing. An explicit Has More Path answering false is trusted over everything else.
 */
export function moreSignalled(response: ApiResponse, settings: PaginationSettings): MoreSignal | undefined {
	if (settings.hasMorePath) {
		const flag = getAtPath(response.body, settings.hasMorePath);
		if (flag === false || flag === 'false') return undefined;
		if (flag === true || flag === 'true') return { what: `${settings.hasMorePath}: true`, advice: adviceForFlag(settings.hasMorePath) };
	}
	const linkKey = Object.keys(response.headers ?? {}).find((h) => h.toLowerCase() === 'link');
	if (linkKey && nextLinkFromHeader(response.headers[linkKey])) {
		return { what: 'Link: <…>; rel="next"', advice: 'Set Pagination → Style to "Link Header (Rel=next)".' };
	}
	const body = response.body;
	if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
	const scopes: Array<[string, IDataObject]> = [['', body as IDataObject]];
	for (const key of ENVELOPE_KEYS) {
		const value = (body as IDataObject)[key];
		if (value !== null && typeof value === 'object' && !Array.isArray(value)) scopes.push([`${key}.`, value as IDataObject]);
	}
	const present = (value: unknown) => (typeof value === 'string' && value.trim() !== '') || (typeof value === 'number' && Number.isFinite(value));
	for (const [prefix, scope] of scopes) {
		for (const key of TOKEN_KEYS) {
			if (present(scope[key])) return { what: `a next-page token at ${prefix}${key}`, advice: adviceForToken(`${prefix}${key}`) };
		}
		for (const key of LINK_KEYS) {
			const value = scope[key];
			if (present(value)) {
				return typeof value === 'string' && /^(https?:\/\/|\/|\?|[\w.-]+\?)/i.test(value)
					? { what: `a next-page link at ${prefix}${key}`, advice: `Set Pagination → Style to "Next URL in Response Body" and Next URL Path to ${prefix}${key}.` }
					: { what: `a next-page token at ${prefix}${key}`, advice: adviceForToken(`${prefix}${key}`) };
			}
			if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length > 0) {
				const inner = value as IDataObject;
				if (present(inner.after)) return { what: `a next-page token at ${prefix}${key}.after`, advice: adviceForToken(`${prefix}${key}.after`) };
				for (const linkField of ['link', 'href', 'url']) {
					if (present(inner[linkField])) {
						return {
							what: `a next-page link at ${prefix}${key}.${linkField}`,
							advice: `Set Pagination → Style to "Next URL in Response Body" and Next URL Path to ${prefix}${key}.${linkField}.`,
						};
					}
				}
				return { what: `a next page at ${prefix}${key}`, advice: 'Set Pagination → Style to the one the API documents (Cursor Token or Next URL in Response Body).' };
			}
		}
		// Airtable: a string `offset` token beside the records (a number there is the current position, not a token).
		if (prefix === '' && typeof scope.offset === 'string' && scope.offset !== '') {
			return { what: 'a next-page token at offset', advice: adviceForToken('offset') };
		}
		for (const key of TRUE_FLAGS) {
			if (scope[key] === true) return { what: `${prefix}${key}: true`, advice: adviceForFlag(`${prefix}${key}`) };
		}
	}
	return undefined;
}

function adviceForToken(path: string): string {
	const param = path.endsWith('offset') ? 'offset' : path.endsWith('after') ? 'after' : 'cursor';
	return `Set Pagination → Style to "Cursor Token in Response Body", Cursor Path to ${path} and Cursor Parameter to the query parameter the API expects (e.g. ${param}).`;
}

function adviceForFlag(path: string): string {
	return `Set Pagination → Style to "Cursor Token in Response Body" (with Cursor Path to the next-page token) or, when the API continues after the last record's ID (Stripe: starting_after), "Last Record ID" with Has More Path ${path}.`;
}

function throwIfMoreSignalled(client: ApiClient, node: INode, request: ApiRequest, response: ApiResponse, settings: PaginationSettings): void {
	const signal = moreSignalled(response, settings);
	if (!signal) return;
	const configured =
		settings.style === 'none'
			? 'Pagination is set to None (one request)'
			: `the configured paging (${STYLE_LABELS[settings.style]}) found no next page in it`;
	const message = redact(
		`The API says there are more records (${signal.what}) on ${request.method} ${request.path}, but ${configured}: stopped rather than use a partial list`,
		client.secrets,
	);
	throw paginationError(node, message, `${signal.advice} (Custom Path → Pagination.) Nothing was decided from the part read.`);
}

const STYLE_LABELS: Record<PaginationStyle, string> = {
	offset: 'Offset and Limit',
	page: 'Page Number',
	nextUrl: `Next URL in Response Body`,
	linkHeader: 'Link Header',
	cursor: 'Cursor Token in Response Body',
	lastId: 'Last Record ID',
	none: 'None',
};

// ---------------------------------------------------------------------------------------------------------------

/** Settings the chosen style needs, checked before any request. */
function checkSettings(node: INode, settings: PaginationSettings): void {
	const missing = (field: string, example: string) =>
		paginationError(node, `Pagination style "${STYLE_LABELS[settings.style]}" needs ${field}`, `Set ${field} under Custom Path → Pagination, e.g. ${example}.`);
	if (settings.style === 'cursor' && !settings.cursorPath.trim()) throw missing('Cursor Path', 'paging.next.after (HubSpot), next_cursor, or offset (Airtable)');
	if ((settings.style === 'cursor' || settings.style === 'lastId') && !settings.cursorParam.trim()) {
		throw missing('Cursor Parameter', settings.style === 'lastId' ? 'starting_after (Stripe)' : 'after (HubSpot), cursor, or offset (Airtable)');
	}
	if (settings.style === 'lastId' && !settings.idField) throw missing('ID Field', 'id');
	if (!(settings.pageSize >= 1)) throw missing('a Page Size of at least 1', '100');
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

function samePageError(node: INode, request: ApiRequest, pageNumber: number): NodeApiError {
	return paginationError(
		node,
		`The API returned the same page twice on ${request.method} ${request.path} (page ${pageNumber})`,
		'The API ignores the paging parameters. Check the pagination style and parameter names (for EenvoudigFactureren: offset style with skip/take).',
	);
}

function paginationError(node: INode, message: string, description: string): NodeApiError {
	return new NodeApiError(node, { message } as JsonObject, { message, description });
}
