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
			syncOptions: { maxRequestsPerSecond: 0, ...syncOptions },
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
