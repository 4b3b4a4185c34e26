/**
 * The `/api/v1` routes: OAuth, accounts, API keys and the record domains.
 */
import { hasRight, parseRights, type ApiKeyRegistry } from './apikeys';
import { authenticate, chooseAccount, type AuthContext, type Principal } from './auth';
import {
	API_DOMAINS,
	DOMAINS,
	SERVER_FIELDS,
	isDomainName,
	validateRecord,
	type DomainName,
	type DomainSpec,
	type SandboxRecord,
} from './domains';
import type { Exchange } from './exchange';
import { API_PREFIX } from './faults';
import { ACCOUNT_NAMES } from './fixtures';
import { isPlainListing, pageOf, parseListQuery, selectRecords, selectionKey } from './query';
import { bulkErrorEntry, bulkReplyBody, without, type SandboxStore } from './store';

/** Maximum number of items in one bulk call. */
export const MAX_BULK_ITEMS = 100;

/** Everything the API routes need. */
export interface ApiContext extends AuthContext {
	store: SandboxStore;
	apiKeys: ApiKeyRegistry;
	/** e.g. http://127.0.0.1:8787/api/v1 */
	baseUrl: string;
}

/** An authenticated API request. */
interface ApiRequest {
	ex: Exchange;
	ctx: ApiContext;
	principal: Principal;
	account: string;
}

type Outcome = { ok: true; id: number } | { ok: false; status: number; message: string };
type BodyResult = { ok: true; value: SandboxRecord } | { ok: false; message: string };

/** Handles one request below `/api/v1` (faults already applied). */
export function handleApi(ex: Exchange, ctx: ApiContext): void {
	const segments = ex.pathname
		.slice(API_PREFIX.length)
		.split('/')
		.filter((segment) => segment !== '');
	if (segments[0] === 'oauth') return routeOAuth(ex, ctx, segments);

	const auth = authenticate(ex, ctx);
	if (!auth.ok) return ex.sendError(401, auth.message);
	const chosen = chooseAccount(auth.principal, ex.header('x-accountid'));
	if (!chosen.ok) return ex.sendError(403, chosen.message);
	ex.auth = { scheme: auth.principal.scheme, principal: auth.principal.label, account: chosen.account };

	const request: ApiRequest = { ex, ctx, principal: auth.principal, account: chosen.account };
	const [first, ...rest] = segments;
	if (first === 'accounts' && rest.length === 1 && rest[0] === 'current') return currentAccount(request);
	if (first === 'apikeys' && rest.length === 0) return createApiKey(request);
	if (first === 'apikeys' && rest.length === 1) return readApiKey(request, rest[0]);
	if (first !== undefined) return routeDomain(request, first, rest);
	ex.sendError(404, 'not found');
}

function routeOAuth(ex: Exchange, ctx: ApiContext, segments: string[]): void {
	if (segments.length === 2 && segments[1] === 'token') return ctx.oauth.token(ex);
	if (segments.length === 2 && segments[1] === 'authorize' && (ex.method === 'GET' || ex.method === 'POST')) {
		return ctx.oauth.authorize(ex);
	}
	ex.sendJson(404, { error: 'not found' });
}

function currentAccount({ ex, account }: ApiRequest): void {
	if (ex.method !== 'GET') return methodNotAllowed(ex);
	ex.sendData(200, { account_id: account, name: ACCOUNT_NAMES[account] ?? `Account ${account}` }, 'account');
}

function createApiKey({ ex, ctx, principal, account }: ApiRequest): void {
	if (ex.method !== 'POST') return methodNotAllowed(ex);
	if (principal.scheme !== 'basic') {
		return ex.sendError(403, 'API keys can only be created with Basic authentication (e-mail and password)');
	}
	const body = readJsonObject(ex);
	if (!body.ok) return ex.sendError(400, body.message);
	const name = body.value.name;
	if (typeof name !== 'string' || name.trim() === '') return ex.sendError(400, 'name is required');
	const rights = parseRights(body.value.rights);
	if (!rights.ok) return ex.sendError(400, rights.message);

	const { entry, key } = ctx.apiKeys.issue(name, rights.rights, account);
	const response = {
		success: 'apikey created',
		apikey_id: entry.id,
		apikey: key,
		name: entry.name,
		rights: entry.rights ?? [...API_DOMAINS],
		account_id: account,
		uri: `${ctx.baseUrl}/apikeys/${entry.id}`,
	};
	ex.sendData(201, response, 'response');
}

/** `GET /apikeys/{id}`: what the key is, never the key itself (it is shown once, when created). */
function readApiKey({ ex, ctx, principal, account }: ApiRequest, id: string): void {
	if (ex.method !== 'GET') return methodNotAllowed(ex);
	if (principal.scheme !== 'basic') return ex.sendError(403, 'API keys can only be read with Basic authentication (e-mail and password)');
	const entry = ctx.apiKeys.issued(account).find((key) => String(key.id) === id);
	if (!entry) return ex.sendError(404, `no API key ${id} in this account`);
	ex.sendData(200, { apikey_id: entry.id, name: entry.name, rights: entry.rights ?? [...API_DOMAINS], account_id: account }, 'response');
}

function routeDomain(request: ApiRequest, domain: string, rest: string[]): void {
	const { ex, principal } = request;
	if (!(API_DOMAINS as readonly string[]).includes(domain)) return ex.sendError(404, `unknown domain: ${domain}`);
	if (!hasRight(principal.rights, ex.method, domain)) {
		return ex.sendError(403, `this API key has no right to ${ex.method} ${domain}`);
	}
	if (!isDomainName(domain)) return ex.sendError(404, `${domain} are not available in the sandbox`);
	const spec = DOMAINS[domain];
	if (rest.length === 0) return routeCollection(request, spec);
	if (rest.length === 1) return routeRecord(request, spec, rest[0]);
	ex.sendError(404, 'not found');
}

function routeCollection(request: ApiRequest, spec: DomainSpec): void {
	const { ex } = request;
	if (ex.method === 'GET') return listRecords(request, spec.name);
	if (ex.method === 'POST' && ex.params.has('bulk')) return bulk(request, spec);
	if (ex.method === 'POST') return createOne(request, spec);
	methodNotAllowed(ex);
}

function routeRecord(request: ApiRequest, spec: DomainSpec, idText: string): void {
	const { ex, ctx, account } = request;
	const id = /^\d+$/.test(idText) ? Number(idText) : NaN;
	const table = ctx.store.table(account, spec.name);
	const record = table.records.get(id);
	if (!['GET', 'POST', 'PUT', 'DELETE'].includes(ex.method)) return methodNotAllowed(ex);
	if (!record) return ex.sendError(404, `${spec.singular} not found`);

	if (ex.method === 'GET') return ex.sendData(200, record, spec.singular);
	if (ex.method === 'DELETE') {
		table.delete(id);
		return ex.sendData(200, { success: `${spec.singular} deleted` }, 'response');
	}
	const body = readJsonObject(ex);
	if (!body.ok) return ex.sendError(400, body.message);
	const outcome = saveExisting(request, spec, id, body.value, ex.method === 'PUT' ? 'replace' : 'patch');
	if (!outcome.ok) return ex.sendError(outcome.status, outcome.message);
	ex.sendData(200, changed(request, spec, 'updated', id), 'response');
}

function listRecords({ ex, ctx, account }: ApiRequest, domain: DomainName): void {
	const parsed = parseListQuery(ex.params);
	if (!parsed.ok) return ex.sendError(400, parsed.message);
	const query = parsed.query;
	const table = ctx.store.table(account, domain);
	const selected = isPlainListing(query)
		? table.rows()
		: table.cachedQuery(selectionKey(query), () => selectRecords(table.rows(), query));
	const paging = ex.listPaging?.(selected, DOMAINS[domain].idField);
	if (typeof paging === 'string') return ex.sendError(400, paging);
	const page = paging ? { ...query, ...paging } : query;
	ex.listed = { skip: page.skip, total: selected.length };
	ex.sendData(200, pageOf(selected, page), domain);
}

function createOne(request: ApiRequest, spec: DomainSpec): void {
	const body = readJsonObject(request.ex);
	if (!body.ok) return request.ex.sendError(400, body.message);
	const outcome = createNew(request, spec, body.value);
	if (!outcome.ok) return request.ex.sendError(outcome.status, outcome.message);
	request.ex.sendData(201, changed(request, spec, 'created', outcome.id), 'response');
}

function bulk(request: ApiRequest, spec: DomainSpec): void {
	const { ex } = request;
	if (!spec.bulk) return ex.sendError(400, `bulk is not supported for ${spec.name}`);
	const body = readJsonObject(ex);
	if (!body.ok) return ex.sendError(400, body.message);
	const items = body.value[spec.name];
	if (!Array.isArray(items)) return ex.sendError(400, `bulk body must be {"${spec.name}": [...]}`);
	if (items.length > MAX_BULK_ITEMS) {
		return ex.sendError(400, `at most ${MAX_BULK_ITEMS} ${spec.name} per bulk call (got ${items.length})`);
	}
	const results = items.map((item: unknown) => bulkItem(request, spec, item));
	ex.sendData(200, bulkReplyBody(request.ctx.store.bulkReplyShape, spec.name, results), 'response');
}

function bulkItem(request: ApiRequest, spec: DomainSpec, item: unknown): Record<string, unknown> {
	const { store } = request.ctx;
	if (!isPlainObject(item)) return bulkErrorEntry(store.bulkErrorShape, 'item must be an object');
	const idValue = item[spec.idField];
	const isUpdate = idValue !== undefined && idValue !== null && idValue !== '';
	const id = isUpdate ? Number(idValue) : NaN;
	const outcome = isUpdate ? saveExisting(request, spec, id, item, 'patch') : createNew(request, spec, item);
	if (!outcome.ok) return bulkErrorEntry(store.bulkErrorShape, outcome.message);
	const success = `${spec.singular} ${isUpdate ? 'updated' : 'created'}`;
	return store.bulkReplyIds ? { success, [spec.idField]: outcome.id } : { success };
}

function createNew({ ctx, account }: ApiRequest, spec: DomainSpec, input: SandboxRecord): Outcome {
	const data = without(input, spec.idField, ...SERVER_FIELDS);
	const error = validateRecord(spec.name, data, ctx.store.validationContext(account, spec.name));
	if (error) return { ok: false, status: 400, message: error };
	const record = ctx.store.create(account, spec.name, data);
	ctx.store.committed({ account, domain: spec.name, id: record[spec.idField] as number, kind: 'create' });
	return { ok: true, id: record[spec.idField] as number };
}

function saveExisting(
	{ ctx, account }: ApiRequest,
	spec: DomainSpec,
	id: number,
	input: SandboxRecord,
	mode: 'patch' | 'replace',
): Outcome {
	const current = ctx.store.table(account, spec.name).records.get(id);
	if (!current) return { ok: false, status: 404, message: `${spec.singular} not found` };
	const data = without(input, spec.idField, ...SERVER_FIELDS);
	const candidate = mode === 'patch' ? { ...current, ...data } : data;
	const error = validateRecord(spec.name, candidate, ctx.store.validationContext(account, spec.name), id);
	if (error) return { ok: false, status: 400, message: error };
	if (mode === 'patch') ctx.store.patch(account, spec.name, id, data);
	else ctx.store.replaceFields(account, spec.name, id, data);
	ctx.store.committed({ account, domain: spec.name, id, kind: 'update' });
	return { ok: true, id };
}

function changed({ ctx }: ApiRequest, spec: DomainSpec, verb: 'created' | 'updated', id: number): Record<string, unknown> {
	return { success: `${spec.singular} ${verb}`, [spec.idField]: id, uri: `${ctx.baseUrl}/${spec.name}/${id}` };
}

/** Parses the body as a JSON object; an empty body is `{}`. */
function readJsonObject(ex: Exchange): BodyResult {
	const text = ex.bodyText;
	if (text.trim() === '') return { ok: true, value: {} };
	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch {
		return { ok: false, message: 'invalid JSON body' };
	}
	return isPlainObject(parsed) ? { ok: true, value: parsed } : { ok: false, message: 'JSON body must be an object' };
}

function isPlainObject(value: unknown): value is SandboxRecord {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function methodNotAllowed(ex: Exchange): void {
	ex.sendError(405, `method ${ex.method} not allowed on ${ex.pathname}`);
}
