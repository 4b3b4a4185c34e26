/**
 * The one paging layer: every list read of every node goes through `paginate` (or `readAllRecords`, which
 * collects its pages). Nothing else pages by itself.
 *
 * Styles:
 * - `offset`, `page`: the next page is known in advance (offset + count, page + 1), so up to `concurrency` pages
 *   are read at once (see `numberedPages`). Offset pages overlap by one record to detect a listing that shifted
 *   while it was read (a record deleted or inserted between two pages): the read then goes on from the record the
 *   page should have started with (found by ID a little earlier), or, when it cannot be found, starts again.
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

/**
 * Styles whose pages can shift while they are read (someone deletes or inserts a record between two pages) without
 * the paging layer seeing it: a record is then skipped or read twice. Offset pages overlap by one record and are
 * read again when they shifted; cursor tokens and last IDs continue after a record, not at a position. Readers that
 * decide from what is absent (Sync's creates, missing and deletes; Get Changes' deletions) confirm it with another
 * read on these styles.
 */
export const SHIFTING_STYLES: ReadonlySet<PaginationStyle> = new Set(['page', 'nextUrl', 'linkHeader']);

/** Confirming reads at most, after the first, on the styles in `SHIFTING_STYLES`. */
export const MAX_CONFIRMING_READS = 3;

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
	const concurrency = options.concurrency ?? 1;
	if (!Number.isInteger(concurrency) || concurrency < 1) {
		throw paginationError(
			node,
			`Pages read at once must be a whole number of at least 1, got ${JSON.stringify(options.concurrency)}`,
			'Set Sync Options → Concurrency (Sync) or Request Options → Pages Read at Once (Get Many, Get Changes, the trigger) to a number such as 4.',
		);
	}
	if (CONCURRENT_STYLES.has(settings.style)) {
		for (let reread = 0; ; reread++) {
			const outcome = yield* numberedPages(client, node, request, settings, options, reread > 0);
			if (outcome === 'done') return;
			if (reread >= MAX_DRIFT_REREADS) {
				throw paginationError(
					node,
					`The list on ${request.method} ${request.path} kept changing while it was read (records deleted or added between two pages), ${MAX_DRIFT_REREADS + 1} times in a row`,
					'Each page must start with the record the previous page ended with (pages overlap by one record); it did not, four times. Either records are being deleted or added right now (run again later, or narrow the list with a filter), or the API does not list them in a stable order (sort them by ID, e.g. with a sort parameter, or use another pagination style). Nothing was decided from this read.',
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
	/** The layout it was asked for under (see `Layout`); an answer under an older one is not used. */
	layout: number;
	/**
	 * Asked for after a shift, a little before where the previous page's last record was: that record is looked
	 * for by ID anywhere in it, and the records after it carry the listing on (see `numberedPages`).
	 */
	anchored?: boolean;
	result: Promise<Settled>;
}

/** Where pages are once the real page size is known: page `fromPage` at `fromPosition`, then one every `stride`. */
interface Layout {
	version: number;
	fromPage: number;
	fromPosition: number;
	stride: number;
	/** Offset pages overlap by one record (page size ≥ 2). */
	overlapped: boolean;
	/** The page size learnt: a page this long (or longer) is full. */
	pageSize: number;
	/**
	 * A page with at least this many records asks for the page `concurrency` places after it: a full page (offset;
	 * a preset's page numbers), any page with records (a custom API's page numbers, which only an empty page ends).
	 */
	fanOutAt: number;
}

/** Pages asked for at most this many pages ahead of the one being handled, per page in flight (memory bound). */
const LOOKAHEAD_PER_SLOT = 4;

/**
 * Answers to a page number right after a short page that mean "there is no such page" rather than a failure: the
 * list ended on the short page (WordPress answers 400 `rest_post_invalid_page_number`, others 404 or 416).
 */
const NO_SUCH_PAGE = new Set(['400', '404', '416', '422']);

/**
 * One read of an offset or page-number listing. Until the API has shown its real page size, one page at a time:
 * the first, and when it is shorter than asked (a custom API may cap its page size, or the list may end there),
 * the next as well. Then the pages are laid out on that size and `concurrency` of them asked for at once; from
 * there, each page that comes back full (custom page numbers: with any record) asks for the page `concurrency`
 * places after it. So `concurrency` pages stay in flight whatever order the answers come in (no page waits for a
 * slower one before it), pages are handled strictly in order, and the pages asked for are always the same: every
 * page of the list, the page that shows its end, and `concurrency − 1` past that one (none for a list that ends
 * while pages are read one at a time).
 *
 * What ends a listing: an empty page; for a preset whose API fills its pages (`fullPagesGuaranteed`), any short
 * page. A custom API may give fewer records than asked anywhere (a capped page size that drops with depth, records
 * filtered after paging), so a short page does not end it: page numbers go on to the next page (already in flight),
 * offset pages go on from the short page's end, one page alone, which shows either the end (only the overlap
 * record comes back) or the new page size (the pages after are laid out on it again).
 *
 * Offset pages after the first start one record before the previous page's end; that record must be the one
 * the previous page ended with (compared by the ID Field; records without it are not compared). If it is not, the
 * listing shifted between the two reads (a record deleted or inserted before it) and a record may have been
 * skipped or read twice. The page starting half a page earlier is then asked for (`anchored`): when it holds that
 * record (by ID) after records the previous page had, the read goes on after it, with nothing read twice; else
 * (or after more such shifts than pages handled, plus `MAX_DRIFT_REREADS`) returns 'drift', and `paginate` reads the
 * listing again from the start (at most `MAX_DRIFT_REREADS` times).
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
	const concurrency = options.concurrency ?? 1;
	const want = options.wantRecords ?? Infinity;
	const lookahead = concurrency * LOOKAHEAD_PER_SLOT;
	/** Asked for and not yet handled, by page number. */
	const launched = new Map<number, InFlight>();
	/** Due to be asked for, but too far ahead of the page being handled: asked for once it is not. */
	const deferred = new Set<number>();
	/** Asked for under an older layout: awaited at the end, never used. */
	const dropped: InFlight[] = [];
	let layout: Layout | undefined;
	let layouts = 0;
	let nextToHandle = 1;
	let stopped = false;

	let largestPage = 0;
	let previousCount = 0;
	/** The answer of the page handled last, when it was shorter than the pages before it (page 1: than asked). */
	let shortAnswer: ApiResponse | undefined;
	let previousLast: IDataObject | undefined;
	let previousQuick: string | undefined;
	let previousRaw: IDataObject[] = [];
	let recordsRead = 0;
	/** IDs of the page handled last (offset style with an ID Field): what a page asked for after a shift may repeat. */
	let previousIds = new Set<string>();
	let pagesHandled = 0;
	let resyncs = 0;
	const idOf = (record: IDataObject | undefined) => {
		const id = record && settings.idField ? record[settings.idField] : undefined;
		return typeof id === 'string' || typeof id === 'number' ? String(id) : undefined;
	};

	const launch = (pageNumber: number, position: number, overlapped: boolean, anchored = false) => {
		const query = { ...(request.query ?? {}) };
		query[offsetStyle ? settings.offsetParam : settings.pageParam] = position;
		if (offsetStyle) query[settings.limitParam] = settings.pageSize;
		else if (settings.pageSizeParam) query[settings.pageSizeParam] = settings.pageSize;
		const version = layout?.version ?? 0;
		const result = client.request({ ...request, query }).then(
			(response): Settled => ({ ok: true, response }),
			(error: unknown): Settled => ({ ok: false, error }),
		);
		launched.set(pageNumber, { pageNumber, position, overlapped, layout: version, anchored, result });
		// A page that comes back full asks for the page `concurrency` places after it (registered before anyone awaits
		// this answer, so it runs first).
		void result.then((settled) => {
			if (stopped || !layout || layout.version !== version) return;
			const records = settled.ok ? getAtPath(settled.response.body, settings.recordsPath) : undefined;
			if (Array.isArray(records) && records.length >= layout.fanOutAt) due(pageNumber + concurrency);
		});
	};
	/** Asks for a page of the layout, unless past Max Pages, past what the caller wants, or too far ahead. */
	const due = (pageNumber: number) => {
		if (stopped || !layout || pageNumber > settings.maxPages || launched.has(pageNumber)) return;
		const position = layout.fromPosition + (pageNumber - layout.fromPage) * layout.stride;
		// Records before this page (page style: those handled, then pages of the size learnt): none is wanted past
		// the caller's Limit. A page left out on an estimate that turns out too high is asked for once it is next.
		if ((offsetStyle ? position : recordsRead + (pageNumber - nextToHandle) * layout.pageSize) >= want) return;
		if (pageNumber > nextToHandle + lookahead) {
			deferred.add(pageNumber);
			return;
		}
		launch(pageNumber, position, layout.overlapped);
	};
	/** Pages asked for so far are not used (awaited at the end): the listing goes on from `handled`. */
	const dropLayout = () => {
		for (const [number, page] of launched) {
			launched.delete(number);
			dropped.push(page);
		}
		deferred.clear();
		layout = undefined;
	};
	/** From here on pages are laid out on `pageSize`, starting right after the page just handled. */
	const layOut = (handled: InFlight, count: number, pageSize: number) => {
		dropLayout();
		const overlapped = offsetStyle && pageSize >= 2;
		layout = {
			version: ++layouts,
			fromPage: handled.pageNumber + 1,
			fromPosition: offsetStyle ? handled.position + count - (overlapped ? 1 : 0) : handled.position + 1,
			stride: offsetStyle ? pageSize - (overlapped ? 1 : 0) : 1,
			overlapped,
			pageSize,
			fanOutAt: offsetStyle || settings.fullPagesGuaranteed ? pageSize : 1,
		};
		for (let number = handled.pageNumber + 1; number <= handled.pageNumber + concurrency; number++) due(number);
	};
	/** The page after `handled` alone, starting at its end: it shows the end of the list or the real page size. */
	const askAlone = (handled: InFlight, count: number) => {
		dropLayout();
		const overlapped = offsetStyle && count >= 2;
		launch(handled.pageNumber + 1, offsetStyle ? handled.position + count - (overlapped ? 1 : 0) : handled.position + 1, overlapped);
	};

	launch(1, offsetStyle ? 0 : settings.firstPage, false);
	try {
		for (;;) {
			for (const number of [...deferred].sort((a, b) => a - b)) {
				if (number > nextToHandle + lookahead) break;
				deferred.delete(number);
				due(number);
			}
			if (!launched.has(nextToHandle)) due(nextToHandle);
			const page = launched.get(nextToHandle);
			if (!page) return 'done';
			launched.delete(nextToHandle);
			const settled = await page.result;
			if (!settled.ok) {
				// A page number right after a short page that the API says does not exist: the list ended there.
				const status = (settled.error as { httpCode?: unknown }).httpCode;
				if (!offsetStyle && shortAnswer && typeof status === 'string' && NO_SUCH_PAGE.has(status)) {
					throwIfMoreSignalled(client, node, request, shortAnswer, settings);
					return 'done';
				}
				throw settled.error;
			}
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
			if (page.anchored) {
				// Asked for after a shift: the previous page's last record must be in it, and every record before it must
				// be one the previous page had (else records were inserted right there, or the order is unstable).
				const anchor = idOf(previousLast);
				const at = raw.findIndex((record) => idOf(record) === anchor);
				if (at < 0 || !raw.slice(0, at).every((record) => previousIds.has(idOf(record) ?? ''))) return 'drift';
				records = raw.slice(at + 1);
			} else if (page.overlapped) {
				if (raw.length === 0 || previousLast === undefined || !sameRecord(raw[0], previousLast, settings.idField)) {
					// The listing shifted between the previous page and this one (records deleted or inserted before it). Where
					// records have IDs, read on from the previous page's last record, looked for in a page that starts half a
					// page before where it was (up to that many deletions, or a page less that many insertions): the records
					// already read stay, nothing is read twice. Else, or after too many shifts, the listing is read again.
					const size = layout?.pageSize ?? previousCount;
					if (idOf(previousLast) === undefined || size < 2 || resyncs >= MAX_DRIFT_REREADS + pagesHandled) return 'drift';
					resyncs++;
					dropLayout();
					launch(page.pageNumber, Math.max(0, page.position - Math.floor(size / 2)), false, true);
					continue;
				}
				records = raw.slice(1);
			}

			// A page asked for after a shift that ends with the previous page's last record: the end if it is short.
			const last =
				page.anchored && records.length === 0
					? raw.length < (settings.fullPagesGuaranteed ? settings.pageSize : previousCount)
					: isLastPage(records.length, raw.length, settings);
			yield { pageNumber: page.pageNumber, records, ...(restart && page.pageNumber === 1 ? { restart: true } : {}) };
			if (last) {
				throwIfMoreSignalled(client, node, request, response, settings);
				return 'done';
			}
			recordsRead += records.length;
			shortAnswer = raw.length < (page.pageNumber === 1 ? settings.pageSize : largestPage) ? response : undefined;
			largestPage = Math.max(largestPage, raw.length);
			previousLast = raw[raw.length - 1];
			if (offsetStyle && settings.idField) previousIds = new Set(raw.map(idOf).filter((id): id is string => id !== undefined));
			pagesHandled++;
			nextToHandle = page.pageNumber + 1;
			// The caller (Get Many with a Limit) has all it wants: it stops here, no further page is asked for.
			if (recordsRead >= want) return 'done';
			if (page.pageNumber >= settings.maxPages) {
				throw paginationError(
					node,
					`Stopped after ${settings.maxPages} pages (the Max Pages limit) on ${request.method} ${request.path}`,
					'Raise Max Pages if the list really is this long, or narrow it with a filter. If every page looks the same, check the pagination settings.',
				);
			}

			if (!layout) {
				// A page as long as asked, or (after a short one) as long as the page before it: the API's real page
				// size. Page numbers do not depend on it: they are laid out after the second page whatever its size.
				const sizeShown = page.pageNumber === 1 ? raw.length >= settings.pageSize : !offsetStyle || raw.length >= previousCount;
				if (sizeShown) layOut(page, raw.length, offsetStyle ? raw.length : largestPage);
				else askAlone(page, raw.length);
			} else if (offsetStyle && raw.length > layout.pageSize) {
				// Longer than the size learnt: the pages after it were laid out on a size too small. Their answers are
				// not used; the listing goes on from the end of this one.
				layOut(page, raw.length, raw.length);
			} else if (offsetStyle && raw.length < layout.pageSize) {
				// Shorter than the size learnt (a custom API: a preset's short page is the last): the end, or a page size
				// that dropped. The pages laid out after it would skip records; the next one, asked for alone, tells.
				askAlone(page, raw.length);
			}
			previousCount = raw.length;
		}
	} finally {
		// Pages asked for past the end (or before an error, a re-read, or a caller that stopped early) are awaited, so
		// that no request of this read is still running once it is over.
		stopped = true;
		await Promise.all([...dropped, ...launched.values()].map((page) => page.result));
	}
}

/**
 * Offset and page styles: a page that brings no new record (empty, or an overlapping offset page with only the
 * record the previous page ended with) ends the listing. A short page ends it only when the API is known to fill
 * its pages (`fullPagesGuaranteed`): a custom API may give fewer records than asked in the middle of a list.
 */
function isLastPage(newRecords: number, count: number, settings: PaginationSettings): boolean {
	if (newRecords === 0) return true;
	return settings.fullPagesGuaranteed && count < settings.pageSize;
}

/**
 * The same record, compared by the ID Field. Records without an ID cannot be compared: content may differ from
 * one answer to the next (signed URLs, timestamps), so the position is trusted, as for page numbers.
 */
function sameRecord(a: IDataObject, b: IDataObject, idField: string): boolean {
	const [x, y] = idField ? [a[idField], b[idField]] : [undefined, undefined];
	const usable = (id: unknown) => id !== undefined && id !== null && id !== '' && typeof id !== 'object';
	if (usable(x) && usable(y)) return String(x as string | number) === String(y as string | number);
	return true;
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
			if (readFlag(hasMore) === false) return undefined;
			const token = getAtPath(response.body, settings.cursorPath);
			if (noToken(token)) return undefined;
			if (typeof token !== 'string' && typeof token !== 'number') {
				throw paginationError(
					node,
					`The value at Cursor Path "${settings.cursorPath}" in the response to ${where} is ${Array.isArray(token) ? 'a list' : typeof token === 'object' ? 'an object' : `${JSON.stringify(token)}`}, not a token`,
					`Set Cursor Path to the token itself, e.g. paging.next.after (HubSpot), next_cursor or offset (Airtable).${typeof token === 'object' && token !== null ? ` Fields there: ${Object.keys(token).slice(0, 10).join(', ')}.` : ''}`,
				);
			}
			return tokenPage(current, settings, String(token), `The next-page token does not advance on ${where}: ${settings.cursorParam}=${String(token)} was already sent`);
		}
		case 'lastId': {
			if (readFlag(hasMore) === false || records.length === 0) return undefined;
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
const TOKEN_KEYS = ['next_cursor', 'nextCursor', 'next_page_token', 'nextPageToken', 'next_token', 'nextToken', 'page_token', 'pageToken'];
const LINK_KEYS = ['next', 'next_url', 'nextUrl', 'next_page_url', 'nextPageUrl', 'next_link', 'nextLink', '@odata.nextLink', 'next_page', 'nextPage'];
/** Objects beside the records that hold paging information in common APIs. */
const ENVELOPE_KEYS = ['paging', 'pagination', 'meta', 'info', 'links', '_links', 'response_metadata', 'page_info', 'pageInfo'];

/**
 * A has-more flag as APIs write it: `true`/`false`, the strings `"true"`/`"false"` (any case), `1`/`0`, `"1"`/`"0"`.
 * Anything else says nothing (undefined). The one reader for Has More Path, the cursor and last-ID styles and the
 * partial-read guard, so that they never disagree.
 */
export function readFlag(value: unknown): boolean | undefined {
	if (typeof value === 'boolean') return value;
	if (typeof value === 'number') return value === 1 ? true : value === 0 ? false : undefined;
	if (typeof value !== 'string') return undefined;
	const text = value.trim().toLowerCase();
	return text === 'true' || text === '1' ? true : text === 'false' || text === '0' ? false : undefined;
}

/**
 * No next-page token: missing, null, empty, or `0`/`"0"` (Twitter-style cursoring ends with `next_cursor: 0`;
 * a token 0 would ask for the first page again).
 */
export function noToken(value: unknown): boolean {
	if (value === undefined || value === null) return true;
	if (typeof value === 'number') return value === 0 || !Number.isFinite(value);
	if (typeof value === 'string') return value.trim() === '' || value.trim() === '0';
	return false;
}

/**
 * Whether an answer says that more records follow, looking only at the envelope (the body's top level and the
 * paging objects beside the records, never inside the records) and the `Link` header. A body that is the list of
 * records itself says nothing. An explicit Has More Path answering false is trusted over everything else.
 */
export function moreSignalled(response: ApiResponse, settings: PaginationSettings): MoreSignal | undefined {
	if (settings.hasMorePath) {
		const flag = readFlag(getAtPath(response.body, settings.hasMorePath));
		if (flag === false) return undefined;
		if (flag === true) return { what: `${settings.hasMorePath}: true`, advice: adviceForFlag(settings.hasMorePath) };
	}
	const linkKey = Object.keys(response.headers ?? {}).find((h) => h.toLowerCase() === 'link');
	if (linkKey && nextLinkFromHeader(response.headers[linkKey])) {
		return { what: 'Link: <…>; rel="next"', advice: 'Set Pagination → Style to "Link Header (Rel=next)".' };
	}
	const body = response.body;
	if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
	const isObject = (value: unknown): value is IDataObject => value !== null && typeof value === 'object' && !Array.isArray(value);
	// The top level and, when Records Path goes through an object (`data.items`), that object: paging fields sit
	// beside the records (Lark/Feishu `data.has_more`, `data.page_token`). In each, the paging objects it holds.
	const bases: Array<[string, IDataObject]> = [['', body as IDataObject]];
	const parentPath = settings.recordsPath.includes('.') ? settings.recordsPath.slice(0, settings.recordsPath.lastIndexOf('.')) : '';
	const parent = parentPath ? getAtPath(body, parentPath) : undefined;
	if (isObject(parent)) bases.push([`${parentPath}.`, parent]);
	const scopes: Array<[string, IDataObject]> = [];
	for (const [prefix, base] of bases) {
		scopes.push([prefix, base]);
		for (const key of ENVELOPE_KEYS) if (isObject(base[key])) scopes.push([`${prefix}${key}.`, base[key]]);
	}
	// A has-more flag that says false is trusted over tokens and links (an API may leave a spent cursor in place).
	if (scopes.some(([, scope]) => TRUE_FLAGS.some((key) => readFlag(scope[key]) === false))) return undefined;
	const present = (value: unknown) => (typeof value === 'string' || typeof value === 'number') && !noToken(value);
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
			if (isObject(value) && Object.keys(value).length > 0) {
				if (present(value.after)) return { what: `a next-page token at ${prefix}${key}.after`, advice: adviceForToken(`${prefix}${key}.after`) };
				for (const linkField of ['link', 'href', 'url']) {
					if (present(value[linkField])) {
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
			if (readFlag(scope[key]) === true) return { what: `${prefix}${key}: true`, advice: adviceForFlag(`${prefix}${key}`) };
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
	// Numbers may come from expressions: anything else would page wrongly without a word (NaN pages, no Max Pages).
	const whole = (value: unknown, min: number) => typeof value === 'number' && Number.isInteger(value) && value >= min;
	const notANumber = (field: string, value: unknown, rule: string, example: string) =>
		paginationError(
			node,
			`Pagination setting ${field} must be ${rule}, got ${JSON.stringify(value) ?? 'nothing'}`,
			`Set ${field} under Custom Path → Pagination to ${rule}, e.g. ${example}; an expression there must give a number.`,
		);
	if (!whole(settings.pageSize, 1)) throw notANumber('Page Size', settings.pageSize, 'a whole number of at least 1', '100');
	if (!whole(settings.maxPages, 1)) throw notANumber('Max Pages', settings.maxPages, 'a whole number of at least 1', '1000');
	if (settings.style === 'page' && !whole(settings.firstPage, Number.MIN_SAFE_INTEGER)) {
		throw notANumber('First Page Number', settings.firstPage, 'a whole number', '1 (or 0 for APIs that count from 0)');
	}
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
