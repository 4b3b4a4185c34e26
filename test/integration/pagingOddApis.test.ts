/**
 * Paging against APIs as they really answer (issue 17 points 1 and 7, issue 18 point 1, issue 16 point 8): pages
 * shorter than asked in the middle of a list, paging fields in envelopes (Zoho `info`, Lark `data.has_more`),
 * flags as strings, end-of-list tokens of 0, records without the ID field, numbers from expressions. Each test
 * programs a small API (bearer token, one handler per test) and runs the node in-process as a workflow.
 * First written as attacks on the paging branch (all but "promises that hold" failed on b29f318).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import type { IDataObject } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { CREDENTIAL_TYPE, credentialData } from '../support/credentials';

const TOKEN = 'odd-api-token-3b9e';

interface Answer {
	status?: number;
	body: unknown;
	headers?: Record<string, string>;
}
type Handler = (url: URL) => Answer;

let server: Server;
let baseUrl = '';
let handler: Handler = () => ({ status: 404, body: { message: 'no handler' } });
/** Every request: path and query, in arrival order. */
let requests: string[] = [];

beforeAll(async () => {
	server = createServer((req, res) => {
		requests.push(req.url ?? '');
		const url = new URL(req.url ?? '/', 'http://x');
		if (req.headers.authorization !== `Bearer ${TOKEN}`) {
			res.writeHead(401, { 'Content-Type': 'application/json' });
			res.end('{"message":"bad token"}');
			return;
		}
		const answer = handler(url);
		res.writeHead(answer.status ?? 200, { 'Content-Type': 'application/json', ...(answer.headers ?? {}) });
		res.end(JSON.stringify(answer.body));
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => await new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
	requests = [];
});

const RECORDS = (count: number) => Array.from({ length: count }, (_, i) => ({ id: i + 1, email: `c${i + 1}@example.com`, name: `Contact ${i + 1}` }));

function run(parameters: IDataObject, options: { items?: IDataObject[]; continueOnFail?: boolean } = {}): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: { authentication: CREDENTIAL_TYPE.bearer, remoteResource: 'custom', customPath: '/contacts', customIdField: 'id', ...parameters },
			continueOnFail: options.continueOnFail,
		},
		credentials: [{ type: CREDENTIAL_TYPE.bearer, data: credentialData('bearer', baseUrl, { token: TOKEN }) }],
		items: options.items,
	});
}

const getMany = (pagination: IDataObject, options: IDataObject = {}) => run({ operation: 'getAll', returnAll: true, customPagination: pagination, options });
const ids = (result: RunResult) => (result.output[0] ?? []).map((o) => o.json.id);

/** Page numbers from `page`, `per_page` records each, out of `all` minus `hidden` (filtered after paging). */
const pagesOf = (all: IDataObject[], hidden: Set<unknown> = new Set()) => (url: URL): Answer => {
	const page = Number(url.searchParams.get('page'));
	const size = Number(url.searchParams.get('per_page'));
	return { body: { data: all.slice((page - 1) * size, page * size).filter((r) => !hidden.has(r.id)) } };
};
const PAGES = { style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 10, recordsPath: 'data' };

describe('a custom API that gives fewer records than asked in the middle of a list', () => {
	it('page numbers: a short page in the middle does not end the read (records filtered after paging)', async () => {
		// 50 contacts, 10 per page; page 3 gives 7 (the API drops 3 records the caller may not see after paging, as
		// Jira, GitHub search and others document: "may return fewer than asked"). Pages 4 and 5 are full.
		const all = RECORDS(50);
		handler = pagesOf(all, new Set([21, 22, 23]));
		const result = await getMany(PAGES);
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id).filter((id) => id < 21 || id > 23));
	});

	it('page numbers, one page at a time: the same, at the cost of one request (the empty page that ends the list)', async () => {
		const all = RECORDS(50);
		handler = pagesOf(all, new Set([21, 22, 23]));
		const result = await getMany(PAGES, { readConcurrency: 1 });
		expect(ids(result)).toHaveLength(47);
		expect(requests.map((r) => new URL(r, 'http://x').searchParams.get('page'))).toEqual(['1', '2', '3', '4', '5', '6']);
	});

	it('page numbers: an API that refuses the page after its short last page (WordPress: 400 invalid page number) ends the read there', async () => {
		const all = RECORDS(25);
		handler = (url) =>
			Number(url.searchParams.get('page')) > 3
				? { status: 400, body: { code: 'rest_post_invalid_page_number', message: 'The page number requested is larger than the number of pages available.' } }
				: pagesOf(all)(url);
		const result = await getMany(PAGES);
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
		// The refusal of a page after a full page stays an error (the list cannot have ended there).
		handler = (url) => (Number(url.searchParams.get('page')) > 2 ? { status: 400, body: { message: 'bad page' } } : pagesOf(all)(url));
		const full = await getMany(PAGES);
		expect(full.error?.message).toMatch(/400 Bad Request .*bad page/);
	});

	it('offset: a capped page size that drops later (100 given of 200 asked, then 50 from the third page): every record', async () => {
		const all = RECORDS(500);
		handler = (url) => {
			const skip = Number(url.searchParams.get('skip'));
			const take = Number(url.searchParams.get('take'));
			const cap = skip < 198 ? 100 : 50;
			return { body: all.slice(skip, skip + Math.min(take, cap)) };
		};
		const result = await getMany({ style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 200, recordsPath: '' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
		const skips = requests.map((r) => Number(new URL(r, 'http://x').searchParams.get('skip')));
		// skip=198 gave 50: the next page starts at its last record (247), alone, and shows the new size (50); the pages
		// laid out on 100 (297, 396, 495, asked while 198 was read) are not used.
		expect(skips.slice(0, 2)).toEqual([0, 99]);
		expect(skips).toContain(247);
		expect(skips.filter((s) => s === 297)).toHaveLength(1);
	});
});

describe('where APIs say there is more, and where they say there is not', () => {
	it('Zoho CRM (info.more_records: true) with Pagination None is an error, not 10 of 25 records', async () => {
		// Zoho CRM v2+: {"data": [...], "info": {"per_page", "count", "page", "more_records"}}.
		handler = () => ({ body: { data: RECORDS(25).slice(0, 10), info: { per_page: 10, count: 10, page: 1, more_records: true } } });
		const result = await getMany({ style: 'none', recordsPath: 'data' });
		expect(result.error?.message).toMatch(/The API says there are more records \(info\.more_records: true\)/);
	});

	it('Lark/Feishu (data.has_more, data.page_token beside data.items) with Pagination None is an error naming the token', async () => {
		// The paging fields sit beside the records, inside the object Records Path goes through (`data.items`).
		handler = () => ({ body: { code: 0, msg: 'success', data: { items: RECORDS(25).slice(0, 10), has_more: true, page_token: 'pt_10' } } });
		const result = await getMany({ style: 'none', recordsPath: 'data.items' });
		expect(result.error?.message).toMatch(/The API says there are more records \(a next-page token at data\.page_token\)/);
		expect((result.error as { description?: string }).description).toMatch(/Cursor Path to data\.page_token/);
	});

	it('Lark/Feishu read with the cursor style at data.page_token: every record, and no false alarm on the last page', async () => {
		const all = RECORDS(25);
		handler = (url) => {
			const start = Number(url.searchParams.get('page_token') ?? 0);
			const end = Math.min(start + 10, all.length);
			const more = end < all.length;
			return { body: { code: 0, data: { items: all.slice(start, end), has_more: more, page_token: more ? String(end) : '' } } };
		};
		const result = await getMany({ style: 'cursor', cursorPath: 'data.page_token', cursorParam: 'page_token', hasMorePath: 'data.has_more', recordsPath: 'data.items' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
	});

	it('no false alarm on last pages: Zoho info.more_records false, Lark data.has_more false, has_more "false" beside a spent cursor', async () => {
		handler = () => ({ body: { data: RECORDS(3), info: { per_page: 10, count: 3, page: 3, more_records: false } } });
		expect((await getMany({ style: 'none', recordsPath: 'data' })).error).toBeUndefined();
		handler = () => ({ body: { code: 0, data: { items: RECORDS(3), has_more: false, page_token: 'pt_spent' } } });
		expect((await getMany({ style: 'none', recordsPath: 'data.items' })).error).toBeUndefined();
		handler = () => ({ body: { data: RECORDS(3), next_cursor: 'c_spent', has_more: 'false' } });
		expect((await getMany({ style: 'none', recordsPath: 'data' })).error).toBeUndefined();
	});

	it.each([
		['"false"', 'false'],
		['"False"', 'False'],
		['0', 0],
	])('cursor: has_more %s beside a spent cursor ends the read (the guard and the paging read the flag alike)', async (_, flag) => {
		// The last page still carries a cursor (as Zendesk's after_cursor does); the API refuses an exhausted cursor.
		const all = RECORDS(20);
		handler = (url) => {
			const cursor = url.searchParams.get('cursor');
			if (cursor === null) return { body: { data: all.slice(0, 10), next_cursor: 'c10', has_more: 'true' } };
			if (cursor === 'c10') return { body: { data: all.slice(10, 20), next_cursor: 'c20', has_more: flag } };
			return { status: 400, body: { message: 'cursor expired' } };
		};
		const result = await getMany({ style: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor', hasMorePath: 'has_more', recordsPath: 'data' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
		expect(requests).toHaveLength(2);
	});

	it('next_cursor 0 (Twitter-style "no more") is no token: Pagination None is not an error, the cursor style stops there', async () => {
		handler = () => ({ body: { users: RECORDS(5), next_cursor: 0, next_cursor_str: '0', previous_cursor: 0 } });
		const none = await getMany({ style: 'none', recordsPath: 'users' });
		expect(none.error).toBeUndefined();
		expect(ids(none)).toEqual([1, 2, 3, 4, 5]);

		requests = [];
		const all = RECORDS(15);
		handler = (url) =>
			url.searchParams.get('cursor') === null
				? { body: { users: all.slice(0, 10), next_cursor: 1650000000, next_cursor_str: '1650000000' } }
				: { body: { users: all.slice(10), next_cursor: 0, next_cursor_str: '0' } };
		const cursor = await getMany({ style: 'cursor', cursorPath: 'next_cursor_str', cursorParam: 'cursor', recordsPath: 'users' });
		expect(cursor.error).toBeUndefined();
		expect(ids(cursor)).toEqual(all.map((r) => r.id));
		expect(requests).toEqual(['/contacts', '/contacts?cursor=1650000000']);
	});
});

describe('offset paging of records without the ID field', () => {
	it('a field that differs per answer (a signed URL) does not make every read "shift": records are compared by ID only', async () => {
		// ID Field left at its default `id`; the records carry `uuid`, and each answer signs its download URLs anew
		// (S3-style presigned links), so no record compares equal by content across two answers.
		let answer = 0;
		const files = Array.from({ length: 250 }, (_, i) => ({ uuid: `f-${i}`, name: `file ${i}` }));
		handler = (url) => {
			answer++;
			const skip = Number(url.searchParams.get('skip'));
			const take = Number(url.searchParams.get('take'));
			return { body: files.slice(skip, skip + take).map((f) => ({ ...f, download_url: `https://files.example/${f.uuid}?sig=${answer}` })) };
		};
		const result = await getMany({ style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 100, recordsPath: '' });
		expect(result.error).toBeUndefined();
		expect((result.output[0] ?? []).map((o) => o.json.uuid)).toEqual(files.map((f) => f.uuid));
	});

	it('with the ID field set, a record deleted between two pages is still caught (the read goes on from the record the page should have started with)', async () => {
		let files = Array.from({ length: 250 }, (_, i) => ({ uuid: `f-${i}`, name: `file ${i}` }));
		let deleted = false;
		handler = (url) => {
			const skip = Number(url.searchParams.get('skip'));
			const take = Number(url.searchParams.get('take'));
			if (skip > 0 && !deleted) {
				deleted = true;
				files = files.filter((f) => f.uuid !== 'f-5');
			}
			return { body: files.slice(skip, skip + take).map((f) => ({ ...f, download_url: `https://files.example/${f.uuid}?sig=${Math.random()}` })) };
		};
		const result = await run({ operation: 'getAll', returnAll: true, customIdField: 'uuid', customPagination: { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 100, recordsPath: '' }, options: { readConcurrency: 1 } });
		expect(result.error).toBeUndefined();
		// f-5 was read (page 1) before it was deleted; f-99, which the second page should have started with, is found
		// in the page asked half a page earlier (skip=49): nothing skipped, nothing twice, no read from the start.
		expect((result.output[0] ?? []).map((o) => o.json.uuid)).toEqual(Array.from({ length: 250 }, (_, i) => `f-${i}`));
		// 198 was asked for when 99 came back full, before 99 was found shifted (unused); 248 shows the end after 247's
		// short page.
		expect(requests.map((r) => new URL(r, 'http://x').searchParams.get('skip'))).toEqual(['0', '99', '198', '49', '148', '247', '248']);
	});
});

describe('numbers from expressions', () => {
	const flatList = (all: IDataObject[]) => (url: URL): Answer => {
		const skip = Number(url.searchParams.get('skip'));
		const take = Number(url.searchParams.get('take'));
		return { body: all.slice(skip, skip + take) };
	};

	it('Sync: a Concurrency that is not a number is a clear error before anything is read, not a read of page 1 alone', async () => {
		const all = RECORDS(250);
		handler = flatList(all);
		const items = all.map((r) => ({ email: r.email, name: r.name }));
		const result = await run(
			{
				operation: 'sync',
				customPagination: { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 100, recordsPath: '' },
				syncMode: 'upsert',
				columns: { mappingMode: 'defineBelow', value: { email: '={{ $json.email }}', name: '={{ $json.name }}' }, matchingColumns: ['email'], schema: [] },
				syncOptions: { maxRequestsPerSecond: 0, dryRun: true, concurrency: '={{ "four" }}' },
			},
			{ items },
		);
		expect(result.error?.message).toBe('Sync Options → Concurrency must be a number, got "four"');
		expect(requests).toHaveLength(0);
	});

	it('Sync: a Concurrency given as text ("2") is used as the number', async () => {
		const all = RECORDS(250);
		handler = flatList(all);
		const items = all.map((r) => ({ email: r.email, name: r.name }));
		const result = await run(
			{
				operation: 'sync',
				customPagination: { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 100, recordsPath: '' },
				syncMode: 'upsert',
				columns: { mappingMode: 'defineBelow', value: { email: '={{ $json.email }}', name: '={{ $json.name }}' }, matchingColumns: ['email'], schema: [] },
				syncOptions: { maxRequestsPerSecond: 0, dryRun: true, concurrency: '={{ "2" }}' },
			},
			{ items },
		);
		expect(result.error).toBeUndefined();
		expect(result.output.map((o) => o.length)).toEqual([0, 0, 250, 0, 0]);
	});

	it('Sync: Max Requests per Second that is not a number is a clear error', async () => {
		handler = flatList(RECORDS(5));
		const result = await run(
			{
				operation: 'sync',
				customPagination: { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 100, recordsPath: '' },
				syncMode: 'upsert',
				columns: { mappingMode: 'defineBelow', value: { email: '={{ $json.email }}' }, matchingColumns: ['email'], schema: [] },
				syncOptions: { maxRequestsPerSecond: '={{ "fast" }}' },
			},
			{ items: [{ email: 'a@example.com' }] },
		);
		expect(result.error?.message).toBe('Sync Options → Max Requests per Second must be a number of 0 or more, got "fast"');
		expect(requests).toHaveLength(0);
	});

	it('Get Many: Pages Read at Once that is not a number is a clear error (it used to fall back to 4 without a word)', async () => {
		handler = flatList(RECORDS(25));
		const result = await getMany({ style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 10, recordsPath: '' }, { readConcurrency: '={{ "lots" }}' });
		expect(result.error?.message).toBe('Request Options → Pages Read at Once must be a number, got "lots"');
		expect(requests).toHaveLength(0);
	});

	it('Pagination: a Page Size or Max Pages that is not a number is a clear error; numeric text is a number', async () => {
		handler = flatList(RECORDS(25));
		const badSize = await getMany({ style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: '={{ "ten" }}', recordsPath: '' });
		expect(badSize.error?.message).toBe('Pagination setting Page Size must be a whole number of at least 1, got "ten"');
		const badMax = await getMany({ style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 10, maxPages: '={{ "all" }}', recordsPath: '' });
		expect(badMax.error?.message).toBe('Pagination setting Max Pages must be a whole number of at least 1, got "all"');
		expect(requests).toHaveLength(0);
		const text = await getMany({ style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: '={{ "10" }}', recordsPath: '' });
		expect(text.error).toBeUndefined();
		expect(ids(text)).toHaveLength(25);
	});
});

describe('promises that hold', () => {
	const flat = (all: IDataObject[]) => (url: URL): Answer => {
		const skip = Number(url.searchParams.get('skip'));
		const take = Number(url.searchParams.get('take'));
		return { body: all.slice(skip, skip + take) };
	};
	const OFFSET = { style: 'offset', offsetParam: 'skip', limitParam: 'take', pageSize: 10, recordsPath: '' };

	it.each([1, 2, 4, 8])(
		'offset, Pages Read at Once %i: every record once, in order; past the last page, one page alone shows the end and Pages Read at Once − 1 asked before it are unused',
		async (c) => {
			const all = RECORDS(95);
			handler = flat(all);
			const result = await getMany(OFFSET, { readConcurrency: c });
			expect(ids(result)).toEqual(all.map((r) => r.id));
			const skips = requests.map((r) => Number(new URL(r, 'http://x').searchParams.get('skip')));
			// Pages of 10 overlapping by one: 0, 9, 18, …, 90 (5 records: shorter than 10, which a custom API may do
			// anywhere). The pages laid out after it (99, 108, …: c − 1 of them, asked while it was read) are not used;
			// the page starting at its last record (94), asked alone, brings only that record: the end.
			expect(skips.filter((s) => s > 90).sort((a, b) => a - b)).toEqual([94, ...Array.from({ length: c - 1 }, (_, i) => 99 + 9 * i)]);
			expect(new Set(skips).size).toBe(skips.length);
		},
	);

	it('page numbers with Max Pages: no request past Max Pages, and a list longer than it is an error', async () => {
		const all = RECORDS(95);
		handler = (url) => {
			const page = Number(url.searchParams.get('page'));
			return { body: all.slice((page - 1) * 10, page * 10) };
		};
		const result = await getMany({ style: 'page', pageParam: 'page', pageSizeParam: 'per_page', pageSize: 10, recordsPath: '', maxPages: 5 });
		expect(result.error?.message).toMatch(/Stopped after 5 pages/);
		expect(Math.max(...requests.map((r) => Number(new URL(r, 'http://x').searchParams.get('page'))))).toBe(5);
	});

	it('a 429 storm (the first answer to every page is 429, Retry-After 0): every record once, in order', async () => {
		const all = RECORDS(95);
		const seen = new Set<string>();
		handler = (url) => {
			const key = url.search;
			if (!seen.has(key)) {
				seen.add(key);
				return { status: 429, body: { message: 'slow down' }, headers: { 'Retry-After': '0' } };
			}
			return flat(all)(url);
		};
		const result = await getMany(OFFSET);
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
	});

	it('a middle page failing for good with Continue On Fail: the error item only, no partial records', async () => {
		const all = RECORDS(95);
		handler = (url) => (url.searchParams.get('skip') === '36' ? { status: 400, body: { message: 'bad skip' } } : flat(all)(url));
		const result = await run({ operation: 'getAll', returnAll: true, customPagination: OFFSET }, { continueOnFail: true });
		expect(result.output[0]).toHaveLength(1);
		expect(result.output[0][0].json.error).toBeDefined();
		expect(result.output[0][0].json.id).toBeUndefined();
	});

	it('overlap check: IDs as numbers on one page and strings on the next are the same record (no false drift)', async () => {
		const all = RECORDS(95);
		handler = (url) => {
			const skip = Number(url.searchParams.get('skip'));
			const page = all.slice(skip, skip + 10);
			return { body: (skip / 9) % 2 === 1 ? page.map((r) => ({ ...r, id: String(r.id) })) : page };
		};
		const result = await getMany(OFFSET);
		expect(result.error).toBeUndefined();
		expect(ids(result).map(String)).toEqual(all.map((r) => String(r.id)));
	});

	it('cursor tokens needing encoding (Airtable-like itr…/rec…, +, =, &) arrive intact; a number token works', async () => {
		const all = RECORDS(30);
		const tokens = ['itrA1/recB2+x=y&z', 7];
		handler = (url) => {
			const offset = url.searchParams.get('offset');
			if (offset === null) return { body: { records: all.slice(0, 10), offset: tokens[0] } };
			if (offset === tokens[0]) return { body: { records: all.slice(10, 20), offset: tokens[1] } };
			if (offset === '7') return { body: { records: all.slice(20, 30) } };
			return { status: 422, body: { message: `bad offset ${offset}` } };
		};
		const result = await getMany({ style: 'cursor', cursorPath: 'offset', cursorParam: 'offset', recordsPath: 'records' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
	});

	it('a cursor that cycles A → B → A is a clear error, not a loop', async () => {
		handler = (url) => {
			const cursor = url.searchParams.get('cursor');
			const next = cursor === 'A' ? 'B' : 'A';
			return { body: { data: [{ id: `${cursor ?? 'start'}-${Math.random()}` }], next_cursor: next } };
		};
		const result = await getMany({ style: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor', recordsPath: 'data' });
		expect(result.error?.message).toMatch(/does not advance.*cursor=A was already sent/);
		expect(requests).toHaveLength(3);
	});

	it('a next link to another origin is refused; a token that is a URL to another origin is only sent as a query value', async () => {
		handler = () => ({ body: { data: RECORDS(3), links: { next: 'http://evil.example/steal?page=2' } } });
		const link = await getMany({ style: 'nextUrl', nextUrlPath: 'links.next', recordsPath: 'data' });
		expect(link.error?.message).toMatch(/Refused to send the credential/);

		requests = [];
		handler = (url) =>
			url.searchParams.get('cursor') === null
				? { body: { data: RECORDS(3), next_cursor: 'http://evil.example/steal' } }
				: { body: { data: [] } };
		const token = await getMany({ style: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor', recordsPath: 'data' });
		expect(token.error).toBeUndefined();
		expect(requests[1]).toBe('/contacts?cursor=http%3A%2F%2Fevil.example%2Fsteal');
	});

	it('no false alarm: a flat envelope with total, count, next: null and meta.next: null', async () => {
		const all = RECORDS(25);
		handler = (url) => {
			const skip = Number(url.searchParams.get('skip'));
			return { body: { data: all.slice(skip, skip + 10), total: 25, count: 10, next: null, meta: { next: null, total: 25 } } };
		};
		const result = await getMany({ ...OFFSET, recordsPath: 'data' });
		expect(result.error).toBeUndefined();
		expect(ids(result)).toEqual(all.map((r) => r.id));
	});
});
