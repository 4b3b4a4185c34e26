/**
 * The API conventions of issue 17, end to end: each well-known API's persona in the sandbox (HubSpot, Stripe,
 * Airtable, Shopify, a JSON:API server, a flat cursor API) is read with Get Many across several pages and synced
 * with one create and one update in the body the real API accepts, then a re-run writes nothing. The personas refuse
 * what the real APIs refuse (a flat body, JSON to a form API, the wrong content type, a read-only field), and those
 * refusals reach the Failed output in the API's own words.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData, type CredentialKind } from '../support/credentials';

const OWNER = ACCOUNTS.owner;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

const personaUrl = (name: string) => `${sandbox.baseUrl}/personas/${name}`;

interface Convention {
	persona: string;
	/** Added to the persona's URL for the credential's Base URL (Shopify: the API version). */
	baseSuffix?: string;
	credential: CredentialKind;
	credentialOverrides?: IDataObject;
	/** Remote Resource and what goes with it. */
	resource: INodeParameters;
	/** Records to put in the persona before a test; returns how the test finds record `i` again. */
	seed(count: number): void;
	/** Fields mapping (resource mapper values) and Match On. */
	mapping: IDataObject;
	matchOn: string[];
	/** Input items: `i` is an existing record (1-based), `changed` gives it a new value, `new` a record that does not exist. */
	item(i: number, variant?: 'changed' | 'new'): IDataObject;
	/** A request for a page after the first (for a 429 in the middle of paging). */
	laterPage: RegExp;
	/**
	 * The persona enforces the API's rate limit (Airtable: 5 per second per base, then 30 s refused): Sync keeps the
	 * preset's default Max Requests per Second instead of the tests' usual 0 (no limit).
	 */
	rateLimited?: boolean;
}

function run(convention: Convention, parameters: IDataObject, items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: { authentication: CREDENTIAL_TYPE[convention.credential], ...convention.resource, ...parameters },
		},
		credentials: [
			{
				type: CREDENTIAL_TYPE[convention.credential],
				data: credentialData(convention.credential, personaUrl(convention.persona) + (convention.baseSuffix ?? ''), convention.credentialOverrides ?? {}),
			},
		],
		items,
	});
}

function sync(convention: Convention, items: IDataObject[], syncOptions: IDataObject = {}, extra: IDataObject = {}): Promise<RunResult> {
	return run(
		convention,
		{
			operation: 'sync',
			syncMode: 'upsert',
			columns: { mappingMode: 'defineBelow', value: convention.mapping, matchingColumns: convention.matchOn, schema: [] },
			syncOptions: { ...(convention.rateLimited ? {} : { maxRequestsPerSecond: 0 }), ...syncOptions },
			...extra,
		},
		items,
	);
}

const apiRequests = () => sandbox.log.filter((entry) => entry.path.startsWith('/api/v1/personas/'));
const writeRequests = () => apiRequests().filter((entry) => entry.method !== 'GET');
const counts = (result: RunResult) => result.output.map((output) => output.length);

const shopify: Convention = {
	persona: 'shopify',
	baseSuffix: '/admin/api/2025-01',
	credential: 'apiKey',
	credentialOverrides: { headerName: 'X-Shopify-Access-Token' },
	resource: { remoteResource: 'shopifyCustomers' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.shopify.insert(OWNER, { email: `c${i}@shop.example`, first_name: `First ${i}`, last_name: `Last ${i}`, tags: `WS-${i}` });
		}
	},
	mapping: { email: '={{ $json.email }}', first_name: '={{ $json.first }}', last_name: '={{ $json.last }}', tags: '={{ $json.shopId }}' },
	matchOn: ['email'],
	item: (i, variant) => ({
		email: variant === 'new' ? 'new@shop.example' : `c${i}@shop.example`,
		first: variant === 'changed' ? 'Renamed' : variant === 'new' ? 'New' : `First ${i}`,
		last: variant === 'new' ? 'Customer' : `Last ${i}`,
		shopId: variant === 'new' ? 'WS-NEW' : `WS-${i}`,
	}),
	laterPage: /page_info=/,
};

const jsonApi: Convention = {
	persona: 'jsonapi',
	credential: 'bearer',
	resource: {
		remoteResource: 'custom',
		customPath: '/articles',
		customIdField: 'id',
		customUpdateMethod: 'PATCH',
		customPagination: { style: 'nextUrl', nextUrlPath: 'links.next', recordsPath: 'data' },
		customRecordFormat: { jsonApiType: 'articles', readOnlyFields: 'createdAt, updatedAt' },
	},
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.jsonapi.insert(OWNER, { title: `Article ${i}`, body: `Body ${i}`, status: 'published', wordCount: 2, featured: false });
		}
	},
	mapping: { title: '={{ $json.title }}', body: '={{ $json.body }}', wordCount: '={{ $json.words }}', featured: '={{ $json.featured }}' },
	matchOn: ['title'],
	// Numbers and booleans as the input gives them: 2 matches the API's 2, "false" text matches false.
	item: (i, variant) => ({
		title: variant === 'new' ? 'Brand new' : `Article ${i}`,
		body: variant === 'changed' ? 'Rewritten' : variant === 'new' ? 'Fresh' : `Body ${i}`,
		words: variant === 'new' ? 1 : '2',
		featured: variant === 'new' ? true : 'false',
	}),
	laterPage: /page%5Bnumber%5D=3/,
};

const hubspot: Convention = {
	persona: 'hubspot',
	credential: 'bearer',
	resource: { remoteResource: 'hubspotContacts' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.hubspot.insert(OWNER, { email: `c${i}@shop.example`, firstname: `First ${i}`, lastname: `Last ${i}`, shop_customer_id: i });
		}
	},
	mapping: { email: '={{ $json.email }}', firstname: '={{ $json.first }}', lastname: '={{ $json.last }}', shop_customer_id: '={{ $json.shopId }}' },
	matchOn: ['email'],
	// shop_customer_id as a number: HubSpot keeps every property as text ("3"), which compares equal to 3.
	item: (i, variant) => ({
		email: variant === 'new' ? 'new@shop.example' : `c${i}@shop.example`,
		first: variant === 'changed' ? 'Renamed' : variant === 'new' ? 'New' : `First ${i}`,
		last: variant === 'new' ? 'Customer' : `Last ${i}`,
		shopId: variant === 'new' ? 9999 : i,
	}),
	laterPage: /after=/,
};

const stripe: Convention = {
	persona: 'stripe',
	credential: 'bearer',
	resource: { remoteResource: 'stripeCustomers' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.stripe.insert(OWNER, { email: `c${i}@shop.example`, name: `Customer ${i}`, metadata: { shop_id: `WS-${i}`, plan: 'basic' } });
		}
	},
	mapping: { email: '={{ $json.email }}', name: '={{ $json.name }}', 'metadata.shop_id': '={{ $json.shopId }}', 'metadata.plan': '={{ $json.plan }}' },
	// A nested field as the match key: Stripe does not keep e-mail addresses unique.
	matchOn: ['metadata.shop_id'],
	item: (i, variant) => ({
		email: variant === 'new' ? 'new@shop.example' : `c${i}@shop.example`,
		name: variant === 'new' ? 'New Customer' : `Customer ${i}`,
		shopId: variant === 'new' ? 'WS-NEW' : `WS-${i}`,
		plan: variant === 'changed' ? 'pro' : 'basic',
	}),
	laterPage: /starting_after=/,
};

const airtable: Convention = {
	persona: 'airtable',
	baseSuffix: '/v0',
	credential: 'bearer',
	resource: { remoteResource: 'airtableRecords', customPath: '/appSandbox000001/Customers' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.airtable.insert(OWNER, { Name: `Customer ${i}`, Email: `c${i}@shop.example`, Status: 'Lead', Score: i });
		}
	},
	mapping: { Name: '={{ $json.name }}', Email: '={{ $json.email }}', Status: '={{ $json.status }}', Score: '={{ $json.score }}' },
	matchOn: ['Email'],
	item: (i, variant) => ({
		name: variant === 'new' ? 'New Customer' : `Customer ${i}`,
		email: variant === 'new' ? 'new@shop.example' : `c${i}@shop.example`,
		status: variant === 'changed' ? 'Customer' : 'Lead',
		score: variant === 'new' ? 1 : i,
	}),
	laterPage: /offset=/,
	rateLimited: true,
};

const cursorApi: Convention = {
	persona: 'cursor',
	credential: 'apiKey',
	resource: {
		remoteResource: 'custom',
		customPath: '/contacts',
		customIdField: 'id',
		customUpdateMethod: 'PATCH',
		customPagination: { style: 'cursor', cursorPath: 'next_cursor', cursorParam: 'cursor', hasMorePath: 'has_more', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'data' },
		customRecordFormat: { readOnlyFields: 'created_at, updated_at' },
	},
	seed(count) {
		for (let i = 1; i <= count; i++) sandbox.personas.cursor.insert(OWNER, { email: `c${i}@shop.example`, name: `Customer ${i}`, plan: 'basic', seats: i });
	},
	mapping: { email: '={{ $json.email }}', name: '={{ $json.name }}', plan: '={{ $json.plan }}', seats: '={{ $json.seats }}' },
	matchOn: ['email'],
	item: (i, variant) => ({
		email: variant === 'new' ? 'new@shop.example' : `c${i}@shop.example`,
		name: variant === 'new' ? 'New Customer' : `Customer ${i}`,
		plan: variant === 'changed' ? 'pro' : 'basic',
		seats: variant === 'new' ? 1 : i,
	}),
	laterPage: /cursor=/,
};

describe.each([
	['HubSpot contacts (results[].properties, paging.next.after, {"properties": …}, batch)', hubspot, 250],
	['Stripe customers (data, has_more + starting_after, form bodies with metadata[…])', stripe, 250],
	['Airtable records (records[].fields, offset token, {"fields": …}, batches of 10)', airtable, 250],
	['Shopify customers (Link page_info, {"customer": …}, /customers/{id}.json)', shopify, 600],
	['JSON:API articles (links.next, data/attributes, application/vnd.api+json)', jsonApi, 60],
	['a flat API with next_cursor and has_more', cursorApi, 250],
] as Array<[string, Convention, number]>)('%s', (_name, convention, records) => {
	it(`Get Many reads all ${records} records, over at least 3 pages`, async () => {
		convention.seed(records);
		const result = await run(convention, { operation: 'getAll', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(records);
		expect(new Set(result.output[0].map((item) => item.json.id)).size).toBe(records);
		expect(apiRequests().length).toBeGreaterThanOrEqual(3);
	});

	it('Sync: exactly one create and one update, in the body the API accepts; a re-run writes nothing', async () => {
		convention.seed(records);
		const items = [convention.item(3, 'changed'), convention.item(records - 1), convention.item(0, 'new')];
		const first = await sync(convention, items);
		expect(first.error).toBeUndefined();
		expect(counts(first)).toEqual([1, 1, 1, 0, 0]);
		expect(writeRequests().map((entry) => entry.status)).toEqual(expect.arrayContaining([expect.any(Number), expect.any(Number)]));
		expect(writeRequests().every((entry) => entry.status < 300)).toBe(true);
		expect(writeRequests()).toHaveLength(2);

		sandbox.log.length = 0;
		const second = await sync(convention, items);
		expect(second.error).toBeUndefined();
		expect(counts(second)).toEqual([0, 0, 3, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});

	it('a 429 in the middle of paging is waited out, and the read goes on', async () => {
		convention.seed(records);
		sandbox.setFaults({ scripted: [{ method: 'GET', path: convention.laterPage, status: 429, headers: { 'Retry-After': '0' } }] });
		const result = await run(convention, { operation: 'getAll', returnAll: true });
		expect(result.error).toBeUndefined();
		expect(result.output[0]).toHaveLength(records);
		expect(apiRequests().filter((entry) => entry.status === 429)).toHaveLength(1);
	});
});

describe('Shopify customers', () => {
	it('creates with {"customer": …} and updates with PUT /customers/{id}.json', async () => {
		shopify.seed(3);
		const result = await sync(shopify, [shopify.item(2, 'changed'), shopify.item(0, 'new')]);
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const [update, create] = [...writeRequests()].sort((a, b) => a.method.localeCompare(b.method)).reverse();
		expect(create.method).toBe('POST');
		expect(create.path).toBe('/api/v1/personas/shopify/admin/api/2025-01/customers.json');
		expect(JSON.parse(create.body)).toEqual({ customer: { email: 'new@shop.example', first_name: 'New', last_name: 'Customer', tags: 'WS-NEW' } });
		expect(update.method).toBe('PUT');
		const id = sandbox.personas.shopify.customers.rows(OWNER)[1].id;
		expect(update.path).toBe(`/api/v1/personas/shopify/admin/api/2025-01/customers/${id}.json`);
		// PUT sends the whole mapped record (Shopify changes only what is sent); never the ID or read-only attributes.
		expect(JSON.parse(update.body)).toEqual({ customer: { email: 'c2@shop.example', first_name: 'Renamed', last_name: 'Last 2', tags: 'WS-2' } });
		expect(result.output[0][0].json.id).toBe(sandbox.personas.shopify.customers.rows(OWNER)[3].id);
	});

	it('the API refuses a flat body: its words reach Failed ("customer: Required parameter missing or invalid")', async () => {
		const flat = {
			...shopify,
			resource: {
				remoteResource: 'custom',
				customPath: '/customers.json',
				customIdField: 'id',
				customUpdateMethod: 'PUT',
				customPagination: { style: 'linkHeader', recordsPath: 'customers' },
				customRecordFormat: { recordPath: '/customers/{id}.json' },
			},
		};
		const result = await sync(flat, [shopify.item(0, 'new')]);
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(result.output[4][0].json.error).toMatch(/400 Bad Request from POST \/api\/v1\/personas\/shopify\/admin\/api\/2025-01\/customers\.json: "customer: Required parameter missing or invalid"/);
	});

	it('a wrong record URL (customers.json/{id}) is a 404 on a record still listed: Failed says the URL is wrong, not "deleted"', async () => {
		shopify.seed(2);
		const wrongUrl = {
			...shopify,
			resource: {
				remoteResource: 'custom',
				customPath: '/customers.json',
				customIdField: 'id',
				customUpdateMethod: 'PUT',
				customPagination: { style: 'linkHeader', recordsPath: 'customers' },
				customRecordFormat: { writeKey: 'customer' },
			},
		};
		const result = await sync(wrongUrl, [shopify.item(1, 'changed')]);
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		const { error } = result.output[4][0].json as { error: string };
		expect(error).toMatch(/answered 404 for the remote record \(id \d+\), but it still lists that record, so the URL this run built for it is wrong/);
		expect(error).toMatch(/Check the Record Path/);
		expect(error).not.toMatch(/deleted after this run read it/);
		// One PUT, then one re-read; the update is not sent again.
		expect(writeRequests()).toHaveLength(1);
	});

	it('a 422 in Shopify’s per-field words reaches Failed', async () => {
		shopify.seed(2);
		const result = await sync(shopify, [{ email: 'not-an-email', first: 'X', last: 'Y', shopId: 'WS-X' }]);
		expect(result.output[4][0].json.error).toMatch(/422 Unprocessable Entity from POST .*: "email: is invalid"/);
	});
});

describe('JSON:API', () => {
	it('writes {"data": {"type", "id", "attributes"}} as application/vnd.api+json, and never the read-only attributes', async () => {
		jsonApi.seed(2);
		const result = await sync(jsonApi, [jsonApi.item(1, 'changed'), jsonApi.item(0, 'new')], {}, {
			columns: {
				mappingMode: 'defineBelow',
				value: { ...jsonApi.mapping, createdAt: '2020-01-01T00:00:00.000Z' },
				matchingColumns: jsonApi.matchOn,
				schema: [],
			},
		});
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const create = writeRequests().find((entry) => entry.method === 'POST')!;
		const update = writeRequests().find((entry) => entry.method === 'PATCH')!;
		expect(create.headers['content-type']).toBe('application/vnd.api+json');
		expect(create.headers.accept).toMatch(/application\/vnd\.api\+json/);
		expect(JSON.parse(create.body)).toEqual({ data: { type: 'articles', attributes: { title: 'Brand new', body: 'Fresh', wordCount: 1, featured: true } } });
		expect(update.path).toBe('/api/v1/personas/jsonapi/articles/1');
		expect(JSON.parse(update.body)).toEqual({ data: { type: 'articles', id: '1', attributes: { body: 'Rewritten' } } });
		expect(result.output[0][0].json.id).toBe('3');
	});

	it('the server refuses application/json (415): the JSON:API error detail reaches Failed', async () => {
		const plainJson = { ...jsonApi, resource: { ...jsonApi.resource, customRecordFormat: { jsonApiType: 'articles', contentType: 'application/json' } } };
		const result = await sync(plainJson, [jsonApi.item(0, 'new')]);
		expect(result.output[4][0].json.error).toMatch(/415 Unsupported Media Type from POST \/api\/v1\/personas\/jsonapi\/articles: "Content-Type must be application\/vnd\.api\+json without parameters/);
	});

	it('the server refuses a read-only attribute sent by a custom format that does not name it: the pointer is quoted', async () => {
		const noReadOnly = { ...jsonApi, resource: { ...jsonApi.resource, customRecordFormat: { jsonApiType: 'articles' } } };
		const result = await sync(noReadOnly, [{ ...jsonApi.item(0, 'new') }], {}, {
			columns: { mappingMode: 'defineBelow', value: { ...jsonApi.mapping, createdAt: '2020-01-01' }, matchingColumns: ['title'], schema: [] },
		});
		expect(result.output[4][0].json.error).toMatch(/422 .*"\/data\/attributes\/createdAt: createdAt is read-only"/);
	});

	it('a Fields Path that is not in the records stops with a clear error before anything is written', async () => {
		jsonApi.seed(3);
		const wrongPath = { ...jsonApi, resource: { ...jsonApi.resource, customRecordFormat: { jsonApiType: 'articles', fieldsPath: 'fields' } } };
		const result = await sync(wrongPath, [jsonApi.item(1, 'changed')]);
		expect(result.error?.message).toBe('Remote records have no "fields" object (the Fields Path)');
		expect((result.error as { description?: string }).description).toMatch(/Fields seen: type, id, attributes, relationships, links\. Objects among them: attributes, relationships, links/);
		expect(writeRequests()).toHaveLength(0);
	});
});

describe('HubSpot contacts', () => {
	it('asks for the mapped properties, and writes {"properties": …} through batch/create and batch/update (results in any order)', async () => {
		hubspot.seed(4);
		const items = [hubspot.item(2, 'changed'), hubspot.item(0, 'new'), { ...hubspot.item(0, 'new'), email: 'other@shop.example' }];
		const result = await sync(hubspot, items);
		expect(counts(result)).toEqual([2, 1, 0, 0, 0]);
		const read = apiRequests().find((entry) => entry.method === 'GET')!;
		expect(read.query).toMatchObject({ limit: '100', properties: 'email,firstname,lastname,shop_customer_id' });
		const [create, update] = writeRequests();
		expect(create.path).toBe('/api/v1/personas/hubspot/crm/v3/objects/contacts/batch/create');
		expect(JSON.parse(create.body)).toEqual({
			inputs: [
				{ properties: { email: 'new@shop.example', firstname: 'New', lastname: 'Customer', shop_customer_id: 9999 }, objectWriteTraceId: 'n8n-0' },
				{ properties: { email: 'other@shop.example', firstname: 'New', lastname: 'Customer', shop_customer_id: 9999 }, objectWriteTraceId: 'n8n-1' },
			],
		});
		expect(update.path).toBe('/api/v1/personas/hubspot/crm/v3/objects/contacts/batch/update');
		expect(JSON.parse(update.body)).toEqual({ inputs: [{ id: '5102', properties: { firstname: 'Renamed' } }] });
		// The persona lists batch results in reverse: each created ID still goes to its own item.
		const byEmail = new Map(sandbox.personas.hubspot.contacts.rows(OWNER).map((c) => [c.properties.email, c.id]));
		expect(result.output[0].map((o) => [o.pairedItem, o.json.id])).toEqual([
			[{ item: 1 }, byEmail.get('new@shop.example')],
			[{ item: 2 }, byEmail.get('other@shop.example')],
		]);
	});

	it('one record at a time: POST {"properties": …} and PATCH /contacts/{id}; the read-only properties are never sent', async () => {
		hubspot.seed(2);
		const mapping = { ...hubspot.mapping, hs_object_id: '1', createdate: '2020-01-01' };
		const result = await sync(hubspot, [hubspot.item(1, 'changed'), hubspot.item(0, 'new')], { useBulk: false }, {
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: ['email'], schema: [] },
		});
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const create = writeRequests().find((entry) => entry.method === 'POST')!;
		const update = writeRequests().find((entry) => entry.method === 'PATCH')!;
		expect(JSON.parse(create.body)).toEqual({ properties: { email: 'new@shop.example', firstname: 'New', lastname: 'Customer', shop_customer_id: 9999 } });
		expect(update.path).toBe('/api/v1/personas/hubspot/crm/v3/objects/contacts/5101');
		expect(JSON.parse(update.body)).toEqual({ properties: { firstname: 'Renamed' } });
		expect(result.output[0][0].json.id).toBe('5103');
	});

	it('a batch update naming a contact deleted meanwhile: the others are updated, that one is re-read and reported gone', async () => {
		hubspot.seed(3);
		const items = [hubspot.item(1, 'changed'), hubspot.item(2, 'changed')];
		// Contact 5101 disappears between the read and the write.
		const stop = onFirstWrite(() => sandbox.personas.hubspot.contacts.remove(OWNER, '5101'));
		const result = await sync(hubspot, items);
		stop();
		expect(counts(result)).toEqual([0, 1, 0, 0, 1]);
		expect(result.output[1][0].json.id).toBe('5102');
		expect(result.output[4][0].json.error).toMatch(/^The remote record \(id 5101\) no longer exists: it was deleted after this run read it/);
	});

	it('a batch create with one invalid e-mail is multi-status (207, trace IDs): the valid one is created by the batch, the invalid one is tried alone and reaches Failed', async () => {
		const result = await sync(hubspot, [hubspot.item(0, 'new'), { ...hubspot.item(0, 'new'), email: 'not-an-email', shopId: 9998 }], {}, {
			columns: { mappingMode: 'defineBelow', value: hubspot.mapping, matchingColumns: ['shop_customer_id'], schema: [] },
		});
		expect(counts(result)).toEqual([1, 0, 0, 0, 1]);
		expect(result.output[0][0].json.id).toBe(sandbox.personas.hubspot.contacts.rows(OWNER)[0].id);
		expect(result.output[4][0].json.error).toMatch(/400 Bad Request from POST .*\/contacts: "Property values were not valid: .*INVALID_EMAIL/);
		const writes = writeRequests().map((w) => `${w.method} ${w.path.replace('/api/v1/personas/hubspot/crm/v3/objects/contacts', '{path}')} ${w.status}`);
		expect(writes).toEqual(['POST {path}/batch/create 207', 'POST {path} 400']);
		expect(JSON.parse(writeRequests()[0].body).inputs.map((input: IDataObject) => input.objectWriteTraceId)).toEqual(['n8n-0', 'n8n-1']);
		expect(sandbox.personas.hubspot.contacts.rows(OWNER)).toHaveLength(1);
	});

	it('a 409 (e-mail already used) reaches Failed in HubSpot’s words', async () => {
		sandbox.personas.hubspot.insert(OWNER, { email: 'Taken@shop.example' });
		// Match on the shop ID: the e-mail then clashes on create.
		const result = await sync(hubspot, [{ email: 'taken@shop.example', first: 'A', last: 'B', shopId: 77 }], { useBulk: false }, {
			columns: { mappingMode: 'defineBelow', value: hubspot.mapping, matchingColumns: ['shop_customer_id'], schema: [] },
		});
		expect(result.output[4][0].json).toMatchObject({ httpCode: '409', error: expect.stringMatching(/409 Conflict from POST .*: "Contact already exists\. Existing ID: 5101"/) });
	});

	it('a Fields Path that is not in the records (custom path) stops with a clear error', async () => {
		hubspot.seed(2);
		const custom: Convention = {
			...hubspot,
			resource: {
				remoteResource: 'custom',
				customPath: '/crm/v3/objects/contacts',
				customIdField: 'id',
				customPagination: { style: 'cursor', cursorPath: 'paging.next.after', cursorParam: 'after', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'results' },
				customRecordFormat: { fieldsPath: 'props', writeKey: 'properties' },
			},
		};
		const result = await sync(custom, [hubspot.item(1)]);
		expect(result.error?.message).toBe('Remote records have no "props" object (the Fields Path)');
		expect((result.error as { description?: string }).description).toMatch(/Objects among them: properties/);
	});
});

describe('Stripe customers', () => {
	it('writes form bodies with nested keys (metadata[plan]=pro), and merges metadata it does not map', async () => {
		stripe.seed(3);
		const customer2 = sandbox.personas.stripe.customers.rows(OWNER)[1];
		customer2.metadata.crm_id = 'kept';
		const result = await sync(stripe, [stripe.item(2, 'changed'), stripe.item(0, 'new')]);
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const [create, update] = [writeRequests().find((e) => e.path.endsWith('/v1/customers'))!, writeRequests().find((e) => e.path.endsWith(customer2.id))!];
		expect(create.headers['content-type']).toBe('application/x-www-form-urlencoded');
		expect(new URLSearchParams(create.body).toString()).toBe(
			new URLSearchParams({ email: 'new@shop.example', name: 'New Customer', 'metadata[shop_id]': 'WS-NEW', 'metadata[plan]': 'basic' }).toString(),
		);
		expect(update.method).toBe('POST');
		expect(decodeURIComponent(update.body)).toBe('metadata[plan]=pro');
		expect(customer2.metadata).toEqual({ shop_id: 'WS-2', plan: 'pro', crm_id: 'kept' });
		expect(result.output[1][0].json.changes).toEqual({ 'metadata.plan': { from: 'basic', to: 'pro' } });
	});

	it('JSON is refused by the API (400): its words reach Failed', async () => {
		const json: Convention = {
			...stripe,
			resource: {
				remoteResource: 'custom',
				customPath: '/v1/customers',
				customIdField: 'id',
				customUpdateMethod: 'POST',
				customPagination: { style: 'lastId', cursorParam: 'starting_after', hasMorePath: 'has_more', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'data' },
				customRecordFormat: { nestedFields: true },
			},
		};
		const result = await sync(json, [stripe.item(0, 'new')]);
		expect(result.output[4][0].json.error).toMatch(
			/^400 Bad Request from POST \/api\/v1\/personas\/stripe\/v1\/customers: "Invalid request \(check that your POST content type is application\/x-www-form-urlencoded\)/,
		);
	});

	it('a mapped read-only field is neither compared nor sent (Stripe would refuse "created")', async () => {
		stripe.seed(1);
		const mapping = { ...stripe.mapping, created: '={{ 1 }}', object: 'customer' };
		const result = await sync(stripe, [stripe.item(1), stripe.item(0, 'new')], {}, {
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: stripe.matchOn, schema: [] },
		});
		expect(counts(result)).toEqual([1, 0, 1, 0, 0]);
		expect(writeRequests()[0].body).not.toMatch(/created|object/);
	});

	it('idempotency keys ride on form bodies: a create whose answer was lost is sent again with the same key and applied once', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/personas/stripe/v1/customers', status: 502, afterApply: true }] });
		const result = await sync(stripe, [stripe.item(0, 'new')], { idempotencyHeader: 'Idempotency-Key' });
		expect(counts(result)).toEqual([1, 0, 0, 0, 0]);
		const creates = writeRequests();
		expect(creates).toHaveLength(2);
		expect(creates[0].headers['idempotency-key']).toMatch(/^[0-9a-f]{64}$/);
		expect(creates[1].headers['idempotency-key']).toBe(creates[0].headers['idempotency-key']);
		expect(sandbox.personas.stripe.customers.rows(OWNER)).toHaveLength(1);
	});

	it('an HMAC credential signs the form body byte for byte', async () => {
		const template = '{timestamp}\\n{method}\\n{path}\\n{body}';
		sandbox.setHmacConfig({ template, keyId: 'hmac-key-1' });
		const signed: Convention = { ...stripe, credential: 'hmac', credentialOverrides: { payloadTemplate: template, keyId: 'hmac-key-1' } };
		const result = await run(signed, {
			operation: 'create',
			recordData: '={{ { "email": "signed@shop.example", "name": "Ünïcode & Co", "metadata.plan": "pro & more" } }}',
		});
		expect(result.error).toBeUndefined();
		expect(result.output[0][0].json).toMatchObject({ object: 'customer', email: 'signed@shop.example', metadata: { plan: 'pro & more' } });
		const [create] = writeRequests();
		expect(create.status).toBe(200);
		expect(create.auth?.scheme).toBe('hmac');
		expect(create.body).toBe('email=signed%40shop.example&name=%C3%9Cn%C3%AFcode+%26+Co&metadata%5Bplan%5D=pro+%26+more');
	});
});

describe('Airtable records', () => {
	it('creates and updates through {"records": […]} of at most 10, and reads the ID each was given', async () => {
		airtable.seed(12);
		const items = [
			...Array.from({ length: 12 }, (_, i) => airtable.item(i + 1, 'changed')),
			...Array.from({ length: 11 }, (_, i) => ({ ...airtable.item(0, 'new'), email: `n${i}@shop.example` })),
		];
		const result = await sync(airtable, items);
		expect(counts(result)).toEqual([11, 12, 0, 0, 0]);
		const writes = writeRequests();
		expect(writes.map((w) => `${w.method} ${JSON.parse(w.body).records.length}`).sort()).toEqual(['PATCH 10', 'PATCH 2', 'POST 1', 'POST 10']);
		const patch = writes.find((w) => w.method === 'PATCH')!;
		expect(JSON.parse(patch.body).records[0]).toEqual({ id: 'rec000001Sandbx', fields: { Status: 'Customer' } });
		const ids = new Set(sandbox.personas.airtable.records.rows(OWNER).map((r) => r.id));
		expect(result.output[0].every((o) => ids.has(o.json.id as string))).toBe(true);
		expect(new Set(result.output[0].map((o) => o.json.id)).size).toBe(11);
		// Each updated record comes back as {id, fields} with the values written: proof enough, no re-read after the
		// writes — the one read after them is the overlap check's (the run created records).
		const lastWrite = Math.max(...apiRequests().map((entry, i) => (entry.method === 'GET' ? -1 : i)));
		expect(apiRequests().slice(lastWrite + 1).map((entry) => `${entry.method} ${entry.query.offset ?? 'first page'}`)).toEqual(['GET first page']);
	});

	it('one record at a time: POST and PATCH /{table}/{record ID} with {"fields": …}', async () => {
		airtable.seed(2);
		const result = await sync(airtable, [airtable.item(1, 'changed'), airtable.item(0, 'new')], { useBulk: false });
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const update = writeRequests().find((w) => w.method === 'PATCH')!;
		expect(update.path).toBe('/api/v1/personas/airtable/v0/appSandbox000001/Customers/rec000001Sandbx');
		expect(JSON.parse(update.body)).toEqual({ fields: { Status: 'Customer' } });
		const create = writeRequests().find((w) => w.method === 'POST')!;
		expect(JSON.parse(create.body)).toEqual({ fields: { Name: 'New Customer', Email: 'new@shop.example', Status: 'Lead', Score: 1 } });
	});

	it('a computed field the API adds (Created) is no difference; mapping one reaches Failed in Airtable’s words', async () => {
		airtable.seed(1);
		const unchanged = await sync(airtable, [airtable.item(1)]);
		expect(counts(unchanged)).toEqual([0, 0, 1, 0, 0]);
		const mapping = { ...airtable.mapping, Created: '2020-01-01T00:00:00.000Z' };
		const result = await sync(airtable, [airtable.item(0, 'new')], {}, {
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: ['Email'], schema: [] },
		});
		expect(result.output[4][0].json.error).toMatch(/422 Unprocessable Entity from POST .*: "Field "Created" cannot accept a value because the field is computed"/);
	});
});

describe('a flat cursor API', () => {
	it('sends the fields themselves, PATCH {path}/{id}, never its read-only fields', async () => {
		cursorApi.seed(2);
		const mapping = { ...cursorApi.mapping, updated_at: '2020-01-01' };
		const result = await sync(cursorApi, [cursorApi.item(1, 'changed'), cursorApi.item(0, 'new')], {}, {
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: ['email'], schema: [] },
		});
		expect(counts(result)).toEqual([1, 1, 0, 0, 0]);
		const update = writeRequests().find((w) => w.method === 'PATCH')!;
		expect(update.path).toBe('/api/v1/personas/cursor/contacts/ct_00001');
		expect(JSON.parse(update.body)).toEqual({ plan: 'pro' });
		expect(JSON.parse(writeRequests().find((w) => w.method === 'POST')!.body)).toEqual({ email: 'new@shop.example', name: 'New Customer', plan: 'basic', seats: 1 });
	});
});

/** Runs `action` once, when the HubSpot persona receives the run's first write request (after the read). */
function onFirstWrite(action: () => void): () => void {
	const persona = sandbox.personas.hubspot;
	const handle = persona.handle.bind(persona);
	let done = false;
	persona.handle = (request) => {
		if (!done && request.ex.method !== 'GET') {
			done = true;
			action();
		}
		handle(request);
	};
	return () => {
		persona.handle = handle;
	};
}

describe('Get Changes over the conventions (content hash, every page)', () => {
	it.each([
		['HubSpot', hubspot, () => sandbox.personas.hubspot.contacts.rows(OWNER)[120].properties, 'firstname'],
		['Stripe', stripe, () => sandbox.personas.stripe.customers.rows(OWNER)[120] as unknown as IDataObject, 'name'],
		['Airtable', airtable, () => sandbox.personas.airtable.records.rows(OWNER)[120].fields, 'Name'],
	] as Array<[string, Convention, () => IDataObject, string]>)('%s: a first run emits all 250, the next only the one changed', async (_name, convention, record, field) => {
		convention.seed(250);
		const parameters = { operation: 'getChanges', changeDetection: 'auto', firstRun: 'all' };
		const first = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE[convention.credential], ...convention.resource, ...parameters } },
			credentials: [{ type: CREDENTIAL_TYPE[convention.credential], data: credentialData(convention.credential, personaUrl(convention.persona) + (convention.baseSuffix ?? '')) }],
			mode: 'trigger',
			staticData: {},
		});
		expect(first.error).toBeUndefined();
		expect(first.output[0]).toHaveLength(250);
		record()[field] = 'Changed elsewhere';
		// Airtable: 5 requests per second per base. Get Changes does not space its requests (only Sync's Max Requests
		// per Second does; README, Known limits), so the next run waits a second, as a scheduled one would.
		if (convention.rateLimited) await new Promise((resolve) => setTimeout(resolve, 1000));
		const second = await runNode({
			node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE[convention.credential], ...convention.resource, ...parameters } },
			credentials: [{ type: CREDENTIAL_TYPE[convention.credential], data: credentialData(convention.credential, personaUrl(convention.persona) + (convention.baseSuffix ?? '')) }],
			mode: 'trigger',
			staticData: first.staticData,
		});
		expect(second.error).toBeUndefined();
		expect(second.output[0]).toHaveLength(1);
		expect(JSON.stringify(second.output[0][0].json)).toContain('Changed elsewhere');
	});
});

describe('Mirror and accounts on the new paths', () => {
	it('Mirror deletes at the record path (Shopify /customers/{id}.json), after a complete read', async () => {
		shopify.seed(300);
		const items = Array.from({ length: 299 }, (_, i) => shopify.item(i + 1));
		const result = await sync(shopify, items, {}, { syncMode: 'mirror', maxDeletes: 1 });
		expect(counts(result)).toEqual([0, 0, 299, 1, 0]);
		const [removed] = writeRequests();
		const gone = result.output[3][0].json.id;
		expect(`${removed.method} ${removed.path}`).toBe(`DELETE /api/v1/personas/shopify/admin/api/2025-01/customers/${String(gone)}.json`);
		expect(sandbox.personas.shopify.customers.rows(OWNER)).toHaveLength(299);
	});

	it('Mirror: a DELETE answered 404 for a record still listed (a wrong Record Path) is Failed, not Deleted', async () => {
		shopify.seed(2);
		const wrongPath: Convention = {
			...shopify,
			resource: {
				remoteResource: 'custom',
				customPath: '/customers.json',
				customIdField: 'id',
				customUpdateMethod: 'PUT',
				customPagination: { style: 'linkHeader', recordsPath: 'customers' },
				customRecordFormat: { writeKey: 'customer', recordPath: '/customer/{id}.json' },
			},
		};
		const result = await sync(wrongPath, [shopify.item(1)], {}, { syncMode: 'mirror' });
		expect(counts(result)).toEqual([0, 0, 1, 0, 1]);
		expect(result.output[4][0].json).toMatchObject({ stage: 'delete', error: expect.stringMatching(/still lists that record, so the URL this run built for it is wrong and nothing was deleted/) });
		expect(sandbox.personas.shopify.customers.rows(OWNER)).toHaveLength(2);
	});

	it('a node’s Account ID reaches the persona as the account header, and its records are the ones synced', async () => {
		const [clientAccount] = ACCOUNTS.portalClients;
		sandbox.personas.hubspot.insert(clientAccount, { email: 'c1@shop.example', firstname: 'Old', lastname: 'Last 1', shop_customer_id: '1' });
		const portal: Convention = { ...hubspot, credential: 'apiKey', credentialOverrides: { apiKey: 'ef-key-portal-4d8b2a6f0c' } };
		const result = await sync(portal, [hubspot.item(1)], {}, { options: { accountId: clientAccount } });
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(apiRequests().every((entry) => entry.auth?.account === clientAccount)).toBe(true);
		expect(sandbox.personas.hubspot.contacts.rows(clientAccount)[0].properties.firstname).toBe('First 1');
		expect(sandbox.personas.hubspot.contacts.rows(ACCOUNTS.portal)).toHaveLength(0);
	});
});
