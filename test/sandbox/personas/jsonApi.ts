/**
 * A JSON:API server (jsonapi.org, v1.1) with one resource type, `articles`:
 * - `GET /articles?page[number]=&page[size]=` (size ≤ 25, default 10) → `{data: [{type, id, attributes,
 *   relationships, links}], links: {self, first, last, next?}, meta: {total}}`.
 * - `POST /articles` with `{"data": {"type": "articles", "attributes": {…}}}` → 201 `{data}` and a Location header;
 *   `PATCH /articles/{id}` with `{"data": {"type", "id", "attributes"}}` → 200 `{data}`; `DELETE` → 204.
 * - The spec's rules: a body whose Content-Type is not exactly `application/vnd.api+json` is a 415; an Accept that
 *   names the JSON:API media type only with parameters is a 406; a wrong `type`, or an `id` that is not the URL's,
 *   is a 409; a client-generated ID is a 403. Unknown and read-only attributes (`createdAt`, `updatedAt`) are a 422.
 * - Errors: `{"errors": [{"status", "title", "detail", "source": {"pointer"}}]}`.
 */
import type { Exchange } from '../exchange';
import { AccountTable, isObject, jsonBody, methodNotAllowed, pageSize, type Persona, type PersonaRequest, type Row } from './common';

export interface JsonApiArticle {
	id: string;
	attributes: Row;
	createdAt: string;
	updatedAt: string;
}

const MEDIA_TYPE = 'application/vnd.api+json';
const WRITABLE: Record<string, 'string' | 'number' | 'boolean'> = {
	title: 'string',
	body: 'string',
	status: 'string',
	wordCount: 'number',
	featured: 'boolean',
	publishedOn: 'string',
};
const READ_ONLY = ['createdAt', 'updatedAt'];

export class JsonApiPersona implements Persona {
	readonly articles = new AccountTable<JsonApiArticle>();
	private nextId = 1;

	reset(seed: boolean): void {
		this.articles.clear();
		this.nextId = 1;
		if (seed) {
			this.insert('A10000001', { title: 'Opening hours', body: 'We open at nine.', status: 'published', wordCount: 4 });
			this.insert('A10000001', { title: 'New bakery', body: 'Now in Gent.', status: 'draft', wordCount: 3 });
		}
	}

	/** Test setup: an article with these attributes, created at `now`. */
	insert(account: string, attributes: Row, now = new Date()): JsonApiArticle {
		const stamp = now.toISOString();
		return this.articles.add(account, { id: String(this.nextId++), attributes: { ...attributes }, createdAt: stamp, updatedAt: stamp });
	}

	unauthorized(ex: Exchange, message: string): void {
		fail(ex, 401, 'Unauthorized', message);
	}

	handle(request: PersonaRequest): void {
		const { ex, segments } = request;
		const accept = ex.header('accept') ?? '';
		const jsonApiTypes = accept.split(',').map((part) => part.trim()).filter((part) => part.toLowerCase().startsWith(MEDIA_TYPE));
		if (jsonApiTypes.length > 0 && jsonApiTypes.every((part) => part.includes(';'))) {
			return fail(ex, 406, 'Not Acceptable', 'The Accept header names the JSON:API media type only with parameters');
		}
		if (segments[0] !== 'articles' || segments.length > 2) return fail(ex, 404, 'Not Found', `No route for ${ex.pathname}`);
		if (segments.length === 1) {
			if (ex.method === 'GET') return this.list(request);
			if (ex.method === 'POST') return this.create(request);
			return methodNotAllowed(ex);
		}
		const article = this.articles.find(request.account, segments[1]);
		if (!article) return fail(ex, 404, 'Not Found', `No article with id ${segments[1]}`);
		if (ex.method === 'GET') return send(ex, 200, { data: render(article, request.baseUrl) });
		if (ex.method === 'DELETE') {
			this.articles.remove(request.account, article.id);
			return ex.send(204, '', MEDIA_TYPE);
		}
		if (ex.method !== 'PATCH') return methodNotAllowed(ex);
		const data = readDocument(ex);
		if (!data) return;
		if (data.id !== article.id) return fail(ex, 409, 'Conflict', `The id ${String(data.id)} does not match the URL's id ${article.id}`, '/data/id');
		const attributes = checkAttributes(ex, (data.attributes ?? {}) as Row);
		if (!attributes) return;
		Object.assign(article.attributes, attributes);
		article.updatedAt = request.now.toISOString();
		send(ex, 200, { data: render(article, request.baseUrl) });
	}

	private list({ ex, account, baseUrl }: PersonaRequest): void {
		const size = pageSize(ex.params.get('page[size]'), 10, 25);
		const number = Math.max(1, Number(ex.params.get('page[number]') ?? 1) || 1);
		const rows = this.articles.rows(account);
		const last = Math.max(1, Math.ceil(rows.length / size));
		const link = (page: number) => `${baseUrl}/articles?page%5Bnumber%5D=${page}&page%5Bsize%5D=${size}`;
		const links: Row = { self: link(number), first: link(1), last: link(last) };
		if (number < last) links.next = link(number + 1);
		const data = rows.slice((number - 1) * size, number * size).map((article) => render(article, baseUrl));
		send(ex, 200, { data, links, meta: { total: rows.length } });
	}

	private create({ ex, account, now, baseUrl }: PersonaRequest): void {
		const data = readDocument(ex);
		if (!data) return;
		if (data.id !== undefined) return fail(ex, 403, 'Forbidden', 'Client-generated IDs are not supported', '/data/id');
		const attributes = checkAttributes(ex, (data.attributes ?? {}) as Row);
		if (!attributes) return;
		if (typeof attributes.title !== 'string' || attributes.title.trim() === '') {
			return fail(ex, 422, 'Invalid Attribute', 'title must not be blank', '/data/attributes/title');
		}
		const article = this.insert(account, attributes, now);
		send(ex, 201, { data: render(article, baseUrl) }, { Location: `${baseUrl}/articles/${article.id}` });
	}
}

/** The `data` member of a write, checked against the spec, or undefined after answering the error. */
function readDocument(ex: Exchange): Row | undefined {
	if (ex.header('content-type')?.trim().toLowerCase() !== MEDIA_TYPE) {
		fail(ex, 415, 'Unsupported Media Type', `Content-Type must be ${MEDIA_TYPE} without parameters (got ${ex.header('content-type') ?? 'none'})`);
		return undefined;
	}
	const body = jsonBody(ex);
	if (!body.ok) {
		fail(ex, 400, 'Bad Request', body.message);
		return undefined;
	}
	const data = body.value.data;
	if (!isObject(data)) {
		fail(ex, 400, 'Bad Request', 'The request document must have a "data" member holding a resource object', '/data');
		return undefined;
	}
	if (data.type !== 'articles') {
		fail(ex, 409, 'Conflict', `The type "${String(data.type)}" does not match this endpoint (articles)`, '/data/type');
		return undefined;
	}
	if (data.attributes !== undefined && !isObject(data.attributes)) {
		fail(ex, 400, 'Bad Request', 'attributes must be an object', '/data/attributes');
		return undefined;
	}
	return data;
}

function checkAttributes(ex: Exchange, attributes: Row): Row | undefined {
	for (const [name, value] of Object.entries(attributes)) {
		const pointer = `/data/attributes/${name}`;
		if (READ_ONLY.includes(name)) return void fail(ex, 422, 'Invalid Attribute', `${name} is read-only`, pointer);
		const type = WRITABLE[name];
		if (!type) return void fail(ex, 422, 'Invalid Attribute', `${name} is not an attribute of articles`, pointer);
		if (value !== null && typeof value !== type) return void fail(ex, 422, 'Invalid Attribute', `${name} must be a ${type}`, pointer);
	}
	return attributes;
}

function render(article: JsonApiArticle, baseUrl: string): Row {
	return {
		type: 'articles',
		id: article.id,
		attributes: { ...article.attributes, createdAt: article.createdAt, updatedAt: article.updatedAt },
		relationships: { author: { data: { type: 'people', id: '9' } } },
		links: { self: `${baseUrl}/articles/${article.id}` },
	};
}

function send(ex: Exchange, status: number, document: Row, headers: Record<string, string> = {}): void {
	ex.send(status, JSON.stringify({ jsonapi: { version: '1.1' }, ...document }), MEDIA_TYPE, headers);
}

function fail(ex: Exchange, status: number, title: string, detail: string, pointer?: string): void {
	const error: Row = { status: String(status), title, detail };
	if (pointer) error.source = { pointer };
	send(ex, status, { errors: [error] });
}
