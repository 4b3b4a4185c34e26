/**
 * Edge cases of the API conventions (issue 17, after a review): persona fidelity to the real APIs (HubSpot 207
 * multi-status, Stripe idempotency errors, values the APIs reformat), form bodies (empty objects and lists, dotted
 * metadata keys), envelopes (JSON:API without attributes, a field named like the ID field), Airtable rate limits and
 * table names, and promises checked on the new paths.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { formUrlEncode, recordPathOf, PLAIN_SHAPE } from '../../nodes/shared/recordShape';
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

interface Api {
	persona: string;
	baseSuffix?: string;
	credential: CredentialKind;
	credentialOverrides?: IDataObject;
	resource: INodeParameters;
}

function run(api: Api, parameters: IDataObject, items?: IDataObject[]): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE[api.credential], ...api.resource, ...parameters } },
		credentials: [
			{
				type: CREDENTIAL_TYPE[api.credential],
				data: credentialData(api.credential, personaUrl(api.persona) + (api.baseSuffix ?? ''), api.credentialOverrides ?? {}),
			},
		],
		items,
	});
}

function sync(api: Api, items: IDataObject[], mapping: IDataObject, matchOn: string[], syncOptions: IDataObject = {}, extra: IDataObject = {}): Promise<RunResult> {
	return run(
		api,
		{
			operation: 'sync',
			syncMode: 'upsert',
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: matchOn, schema: [] },
			// Airtable's persona enforces 5 requests per second per base (429, then 30 s refused): keep the preset's rate.
			syncOptions: { ...(api.persona === 'airtable' ? {} : { maxRequestsPerSecond: 0 }), ...syncOptions },
			...extra,
		},
		items,
	);
}

const apiRequests = () => sandbox.log.filter((entry) => entry.path.startsWith('/api/v1/personas/'));
const writeRequests = () => apiRequests().filter((entry) => entry.method !== 'GET');
const counts = (result: RunResult) => result.output.map((output) => output.length);

const hubspot: Api = { persona: 'hubspot', credential: 'bearer', resource: { remoteResource: 'hubspotContacts' } };
const stripe: Api = { persona: 'stripe', credential: 'bearer', resource: { remoteResource: 'stripeCustomers' } };
const airtable: Api = { persona: 'airtable', baseSuffix: '/v0', credential: 'bearer', resource: { remoteResource: 'airtableRecords', customPath: '/appSandbox000001/Customers' } };
const jsonApi: Api = {
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
};

async function personaFetch(persona: string, path: string, init: { method: string; body?: string; contentType?: string }): Promise<{ status: number; body: IDataObject }> {
	const headers: Record<string, string> = { Authorization: `Bearer ${String(credentialData('bearer', '', {}).token ?? credentialData('bearer', '', {}).accessToken ?? '')}` };
	if (init.contentType) headers['Content-Type'] = init.contentType;
	const response = await fetch(`${personaUrl(persona)}${path}`, { method: init.method, headers, body: init.body });
	const text = await response.text();
	return { status: response.status, body: text ? (JSON.parse(text) as IDataObject) : {} };
}

describe('persona fidelity', () => {
	it('HubSpot batch/create with objectWriteTraceId per input answers 207 Multi-Status: the valid inputs are created, the invalid one is listed by its trace ID', async () => {
		// developers.hubspot.com/docs/api-reference/error-handling: "For the object APIs' batch create endpoints, you can
		// enable multi status responses that include partial failures … include a unique objectWriteTraceId value for each
		// input"; the response carries "numErrors": 1 and "context": {"objectWriteTraceId": ["549b1c2a9351"]}.
		const reply = await personaFetch('hubspot', '/crm/v3/objects/contacts/batch/create', {
			method: 'POST',
			contentType: 'application/json',
			body: JSON.stringify({
				inputs: [
					{ properties: { email: 'ok@shop.example', firstname: 'Ok' }, objectWriteTraceId: 't-1' },
					{ properties: { email: 'not-an-email', firstname: 'Bad' }, objectWriteTraceId: 't-2' },
				],
			}),
		});
		expect(reply.status).toBe(207);
		expect(sandbox.personas.hubspot.contacts.rows(OWNER).map((c) => c.properties.email)).toEqual(['ok@shop.example']);
		expect(JSON.stringify(reply.body.errors)).toContain('t-2');
	});

	it('Stripe: an Idempotency-Key reused with other parameters is a 400 idempotency_error, in Stripe’s error shape', async () => {
		// docs.stripe.com/api/idempotent_requests: "The idempotency layer compares incoming parameters to those of the
		// original request and errors if they're not the same to prevent accidental misuse."; error type idempotency_error.
		const headers = { 'Idempotency-Key': 'k-1' };
		const send = (name: string) =>
			fetch(`${personaUrl('stripe')}/v1/customers`, {
				method: 'POST',
				headers: { ...headers, Accept: 'application/json', Authorization: `Bearer ${String(credentialData('bearer', '', {}).token ?? '')}`, 'Content-Type': 'application/x-www-form-urlencoded' },
				body: `name=${name}`,
			});
		expect((await send('A')).status).toBe(200);
		const second = await send('B');
		const body = (await second.json()) as IDataObject;
		expect(second.status).toBe(400);
		expect((body.error as IDataObject)?.type).toBe('idempotency_error');
	});

	it('HubSpot does not implement Idempotency-Key: a replayed create is a second contact (or a 409), never a replay', async () => {
		// HubSpot's CRM v3 docs name no Idempotency-Key header; a persona that replays it hides double creates.
		const send = () =>
			fetch(`${personaUrl('hubspot')}/crm/v3/objects/contacts`, {
				method: 'POST',
				headers: { 'Idempotency-Key': 'k-2', Authorization: `Bearer ${String(credentialData('bearer', '', {}).token ?? '')}`, 'Content-Type': 'application/json' },
				body: JSON.stringify({ properties: { firstname: 'No e-mail' } }),
			});
		expect((await send()).status).toBe(201);
		const second = await send();
		expect(second.headers.get('idempotent-replayed')).toBeNull();
		expect(sandbox.personas.hubspot.contacts.rows(OWNER)).toHaveLength(2);
	});
});

describe('form bodies', () => {
	it('formUrlEncode: an empty list or object is sent as an empty value (how Stripe clears it), not dropped', () => {
		// docs.stripe.com/api/metadata: "All keys can be unset by posting an empty value to metadata."
		expect(formUrlEncode({ metadata: {} })).toBe('metadata=');
		expect(formUrlEncode({ preferred_locales: [] })).toBe('preferred_locales=');
	});

	it('Stripe: clearing every metadata key (metadata = {}) is sent, so the next run writes nothing — not "Updated" with an empty body on every run', async () => {
		sandbox.personas.stripe.insert(OWNER, { email: 'a@shop.example', name: 'A', metadata: { plan: 'basic' } });
		const custom: Api = {
			...stripe,
			resource: {
				remoteResource: 'custom',
				customPath: '/v1/customers',
				customIdField: 'id',
				customUpdateMethod: 'POST',
				customPagination: { style: 'lastId', cursorParam: 'starting_after', hasMorePath: 'has_more', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'data' },
				customRecordFormat: { encoding: 'form', readOnlyFields: 'object, created, livemode, delinquent, currency' },
			},
		};
		const mapping = { email: '={{ $json.email }}', metadata: '={{ {} }}' };
		const first = await sync(custom, [{ email: 'a@shop.example' }], mapping, ['email']);
		expect(first.error).toBeUndefined();
		// Evidence: today this run reports the record Updated while the POST carried an empty body.
		expect(counts(first)).toEqual([0, 1, 0, 0, 0]);
		const [write] = writeRequests();
		expect(write.body).not.toBe('');
		expect(sandbox.personas.stripe.customers.rows(OWNER)[0].metadata).toEqual({});
		sandbox.log.length = 0;
		const second = await sync(custom, [{ email: 'a@shop.example' }], mapping, ['email']);
		expect(counts(second)).toEqual([0, 0, 1, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});

	it('Stripe: an emptied object is sent as address= (Stripe answers address: null), and the next run sees no difference', async () => {
		const customer = sandbox.personas.stripe.insert(OWNER, { email: 'a@shop.example', name: 'A' });
		customer.address = { line1: 'Veldstraat 1', line2: null, city: 'Gent', state: null, postal_code: '9000', country: 'BE' };
		const custom: Api = {
			...stripe,
			resource: {
				remoteResource: 'custom',
				customPath: '/v1/customers',
				customIdField: 'id',
				customUpdateMethod: 'POST',
				customPagination: { style: 'lastId', cursorParam: 'starting_after', hasMorePath: 'has_more', pageSizeParam: 'limit', pageSize: 100, recordsPath: 'data' },
				customRecordFormat: { encoding: 'form', readOnlyFields: 'object, created, livemode, delinquent, currency' },
			},
		};
		const mapping = { email: '={{ $json.email }}', address: '={{ {} }}' };
		const first = await sync(custom, [{ email: 'a@shop.example' }], mapping, ['email']);
		expect(counts(first)).toEqual([0, 1, 0, 0, 0]);
		expect(writeRequests().map((write) => write.body)).toEqual(['address=']);
		expect(sandbox.personas.stripe.customers.rows(OWNER)[0].address).toBeNull();
		sandbox.log.length = 0;
		const second = await sync(custom, [{ email: 'a@shop.example' }], mapping, ['email']);
		expect(counts(second)).toEqual([0, 0, 1, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});

	it('Stripe: a metadata key with a dot ("order.ref") round-trips: it is the field metadata[order.ref], written as metadata[order.ref]', async () => {
		// The field's name keeps the key whole (brackets, as Stripe's own form names it): a dot path would be read as
		// metadata → order → ref, which Stripe refuses ("Invalid object"). The mapper offers the same name (unit test
		// "a key with a dot … is named in brackets" in recordShape.test.ts: the mapper lists plainRecords' fields).
		sandbox.personas.stripe.insert(OWNER, { email: 'a@shop.example', name: 'A', metadata: { shop_id: 'WS-1', 'order.ref': 'R-1' } });
		const mapping = { 'metadata.shop_id': '={{ $json.shopId }}', 'metadata[order.ref]': '={{ $json.ref }}' };
		const result = await sync(stripe, [{ shopId: 'WS-1', ref: 'R-2' }], mapping, ['metadata.shop_id']);
		expect(result.output[4]).toEqual([]);
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(result.output[1][0].json.changes).toEqual({ 'metadata[order.ref]': { from: 'R-1', to: 'R-2' } });
		expect(writeRequests().map((write) => decodeURIComponent(write.body))).toEqual(['metadata[order.ref]=R-2']);
		expect(sandbox.personas.stripe.customers.rows(OWNER)[0].metadata).toEqual({ shop_id: 'WS-1', 'order.ref': 'R-2' });
		sandbox.log.length = 0;
		const again = await sync(stripe, [{ shopId: 'WS-1', ref: 'R-2' }], mapping, ['metadata.shop_id']);
		expect(counts(again)).toEqual([0, 0, 1, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});
});

describe('batches', () => {
	it('HubSpot: a batch/create answered 502 after it was applied creates nothing twice', async () => {
		sandbox.setFaults({ scripted: [{ method: 'POST', path: /batch\/create/, status: 502, afterApply: true }] });
		const mapping = { email: '={{ $json.email }}', firstname: '={{ $json.first }}' };
		const items = [1, 2, 3].map((i) => ({ email: `n${i}@shop.example`, first: `N${i}` }));
		const result = await sync(hubspot, items, mapping, ['email']);
		expect(sandbox.personas.hubspot.contacts.rows(OWNER)).toHaveLength(3);
		expect(counts(result)).toEqual([3, 0, 0, 0, 0]);
	});

	it('Airtable: one record Airtable refuses (422) in a batch of 10: the 9 others are created once, the one reaches Failed', async () => {
		const mapping = { Name: '={{ $json.name }}', Email: '={{ $json.email }}', Status: '={{ $json.status }}' };
		const items = Array.from({ length: 10 }, (_, i) => ({ name: `N${i}`, email: `n${i}@shop.example`, status: i === 4 ? 'Prospect' : 'Lead' }));
		const result = await sync(airtable, items, mapping, ['Email']);
		expect(counts(result)).toEqual([9, 0, 0, 0, 1]);
		expect(sandbox.personas.airtable.records.rows(OWNER)).toHaveLength(9);
		expect(result.output[4][0].json.error).toMatch(/422 .*select option/);
	});
});

describe('envelopes', () => {
	it('JSON:API: a resource object without "attributes" (optional in the spec) is a record with no attributes, not a stop', async () => {
		// jsonapi.org/format/#document-resource-objects: "In addition, a resource object MAY contain any of these
		// top-level members: attributes, relationships, links, meta".
		const body = JSON.stringify({
			jsonapi: { version: '1.1' },
			data: [
				{ type: 'articles', id: '1', attributes: { title: 'Kept' } },
				{ type: 'articles', id: '2', relationships: {} },
			],
			links: {},
		});
		sandbox.personas.jsonapi.insert(OWNER, { title: 'Kept' });
		sandbox.setFaults({ scripted: [{ method: 'GET', path: /\/personas\/jsonapi\/articles/, status: 200, body, contentType: 'application/vnd.api+json' }] });
		const result = await sync(jsonApi, [{ title: 'Kept' }], { title: '={{ $json.title }}' }, ['title']);
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([0, 0, 1, 0, 0]);
	});

	it('JSON:API: a resource object without "attributes" and without "id" stops the run, naming what is wrong (not "leave Fields Path empty")', async () => {
		const body = JSON.stringify({ data: [{ type: 'articles', id: '1', attributes: { title: 'Kept' } }, { type: 'articles', relationships: {} }], links: {} });
		sandbox.setFaults({ scripted: [{ method: 'GET', path: /\/personas\/jsonapi\/articles/, status: 200, body, contentType: 'application/vnd.api+json' }] });
		const result = await sync(jsonApi, [{ title: 'Kept' }], { title: '={{ $json.title }}' }, ['title']);
		expect(result.error?.message).toBe('A remote record without "id" has no "attributes" object and no ID');
		expect((result.error as { description?: string }).description).not.toMatch(/Leave Fields Path empty/);
		expect(writeRequests()).toHaveLength(0);
	});

	it('a Fields Path no record has still stops the run (HubSpot records read with Fields Path "props")', async () => {
		sandbox.personas.hubspot.insert(OWNER, { email: 'a@shop.example' });
		const custom: Api = {
			...hubspot,
			resource: {
				remoteResource: 'custom',
				customPath: '/crm/v3/objects/contacts',
				customIdField: 'id',
				customPagination: { style: 'cursor', cursorPath: 'paging.next.after', cursorParam: 'after', recordsPath: 'results' },
				customRecordFormat: { fieldsPath: 'props', writeKey: 'properties' },
			},
		};
		const result = await sync(custom, [{ email: 'a@shop.example' }], { email: '={{ $json.email }}' }, ['email']);
		expect(result.error?.message).toBe('Remote records have no "props" object (the Fields Path)');
		expect((result.error as { description?: string }).description).toMatch(/Objects among them: properties: set Fields Path to the one that holds the fields\./);
	});
});

describe('Mirror on every preset', () => {
	it.each([
		['HubSpot', hubspot, () => sandbox.personas.hubspot.insert(OWNER, { email: 'keep@shop.example' }) && sandbox.personas.hubspot.insert(OWNER, { email: 'gone@shop.example' }), { email: '={{ $json.email }}' }, ['email'], () => sandbox.personas.hubspot.contacts.rows(OWNER).length],
		['Stripe', stripe, () => sandbox.personas.stripe.insert(OWNER, { email: 'keep@shop.example' }) && sandbox.personas.stripe.insert(OWNER, { email: 'gone@shop.example' }), { email: '={{ $json.email }}' }, ['email'], () => sandbox.personas.stripe.customers.rows(OWNER).length],
		['Airtable', airtable, () => sandbox.personas.airtable.insert(OWNER, { Email: 'keep@shop.example' }) && sandbox.personas.airtable.insert(OWNER, { Email: 'gone@shop.example' }), { Email: '={{ $json.email }}' }, ['Email'], () => sandbox.personas.airtable.records.rows(OWNER).length],
		['JSON:API', jsonApi, () => sandbox.personas.jsonapi.insert(OWNER, { title: 'keep@shop.example' }) && sandbox.personas.jsonapi.insert(OWNER, { title: 'gone@shop.example' }), { title: '={{ $json.email }}' }, ['title'], () => sandbox.personas.jsonapi.articles.rows(OWNER).length],
	] as Array<[string, Api, () => unknown, IDataObject, string[], () => number]>)('%s: Mirror deletes the one not in the input, once', async (_name, api, seed, mapping, matchOn, left) => {
		seed();
		const result = await sync(api, [{ email: 'keep@shop.example' }], mapping, matchOn, {}, { syncMode: 'mirror' });
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([0, 0, 1, 1, 0]);
		expect(left()).toBe(1);
		expect(writeRequests().filter((w) => w.method === 'DELETE')).toHaveLength(1);
	});
});

describe('more persona fidelity (values the real APIs reformat)', () => {
	it('Shopify stores a customer phone in E.164: "+1 613-555-1212" comes back as "+16135551212"', async () => {
		// shopify.dev REST Admin Customer: "phone: The unique phone number (E.164 format) for this customer. … The property
		// can be set using different formats, but each format must represent a number that can be dialed from anywhere in
		// the world. The following formats are all valid: 6135551212, +16135551212, (613)555-1212, +1 613-555-1212".
		const customer = sandbox.personas.shopify.insert(OWNER, { email: 'p@shop.example', phone: '+1 613-555-1212' });
		expect(customer.phone).toBe('+16135551212');
		expect(['6135551212', '(613)555-1212', '+16135551212'].map((phone) => sandbox.personas.shopify.insert(OWNER, { phone }).phone)).toEqual([
			'+16135551212',
			'+16135551212',
			'+16135551212',
		]);
	});

	it('Shopify: a phone mapped in E.164 writes nothing on a re-run; mapped in another format it is written on every run (README: map E.164)', async () => {
		const shopify: Api = { persona: 'shopify', baseSuffix: '/admin/api/2025-01', credential: 'apiKey', credentialOverrides: { headerName: 'X-Shopify-Access-Token' }, resource: { remoteResource: 'shopifyCustomers' } };
		const formatted = { email: '={{ $json.email }}', phone: '={{ $json.phone }}' };
		// The README's advice: keep the digits and a leading "+" (E.164 when the number carries its country code).
		const e164 = { email: '={{ $json.email }}', phone: '={{ $json.phone.replace(/[^\\d+]/g, "") }}' };
		const items = [{ email: 'p@shop.example', phone: '+1 613-555-1212' }];
		const first = await sync(shopify, items, e164, ['email']);
		expect(counts(first)).toEqual([1, 0, 0, 0, 0]);
		expect(sandbox.personas.shopify.customers.rows(OWNER)[0].phone).toBe('+16135551212');
		sandbox.log.length = 0;
		expect(counts(await sync(shopify, items, e164, ['email']))).toEqual([0, 0, 1, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
		const again = await sync(shopify, items, formatted, ['email']);
		expect(again.output[1][0]?.json.changes).toEqual({ phone: { from: '+16135551212', to: '+1 613-555-1212' } });
	});

	it('HubSpot answers a datetime property in ISO 8601 even when it was written as Unix milliseconds', async () => {
		// developers.hubspot.com/docs/api/faq: "Time values are represented in ISO 8601 format in responses, but the APIs
		// will accept either of two formats for date and time values" (ISO 8601 strings, or Unix millisecond timestamps).
		const reply = await personaFetch('hubspot', '/crm/v3/objects/contacts', {
			method: 'POST',
			contentType: 'application/json',
			// closedate: a writable datetime property of contacts (the review used hs_lead_status_date, not a documented one).
			body: JSON.stringify({ properties: { email: 'd@shop.example', closedate: 1704067200000, contract_start: '2024-03-01' } }),
		});
		expect(reply.status).toBe(201);
		expect((reply.body.properties as IDataObject).closedate).toBe('2024-01-01T00:00:00Z');
		expect((reply.body.properties as IDataObject).contract_start).toBe('2024-03-01');
		// A date property takes midnight UTC only ("If you try to set a value that is not midnight UTC, you will receive an error").
		const noon = await personaFetch('hubspot', '/crm/v3/objects/contacts', {
			method: 'POST',
			contentType: 'application/json',
			body: JSON.stringify({ properties: { email: 'e@shop.example', contract_start: 1704110400000 } }),
		});
		expect(noon.status).toBe(400);
		expect(String(noon.body.message)).toContain('INVALID_DATE');
	});

	it('HubSpot: a re-run over date-times HubSpot reformats (milliseconds dropped, UTC) writes nothing; a date as YYYY-MM-DD likewise', async () => {
		const mapping = { email: '={{ $json.email }}', closedate: '={{ $json.closes }}', contract_start: '={{ $json.starts }}' };
		// What n8n's Luxon DateTime.toISO() gives in a +01:00 zone, and new Date().toISOString() (with milliseconds).
		const items = [
			{ email: 'a@shop.example', closes: '2024-01-01T01:00:00.000+01:00', starts: '2024-03-01' },
			{ email: 'b@shop.example', closes: '2024-06-30T12:00:00.000Z', starts: '2024-07-01' },
		];
		const first = await sync(hubspot, items, mapping, ['email']);
		expect(counts(first)).toEqual([2, 0, 0, 0, 0]);
		expect(sandbox.personas.hubspot.contacts.rows(OWNER).map((c) => c.properties.closedate)).toEqual(expect.arrayContaining(['2024-01-01T00:00:00Z', '2024-06-30T12:00:00Z']));
		sandbox.log.length = 0;
		const second = await sync(hubspot, items, mapping, ['email']);
		expect(counts(second)).toEqual([0, 0, 2, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});

	it('HubSpot: a datetime mapped as Unix milliseconds is written again on every run (HubSpot answers ISO 8601; README says to map ISO 8601)', async () => {
		const mapping = { email: '={{ $json.email }}', closedate: '={{ $json.closes }}' };
		const items = [{ email: 'a@shop.example', closes: 1704067200000 }];
		await sync(hubspot, items, mapping, ['email']);
		const second = await sync(hubspot, items, mapping, ['email']);
		expect(counts(second)).toEqual([0, 1, 0, 0, 0]);
		expect(second.output[1][0].json.changes).toEqual({ closedate: { from: '2024-01-01T00:00:00Z', to: 1704067200000 } });
	});
});

describe('promises that hold (checks)', () => {
	it('HubSpot 207 on batch/create (multi-status): the created one is Created with its ID, the refused one is tried alone and reaches Failed in HubSpot’s words', async () => {
		const body = JSON.stringify({
			status: 'COMPLETE',
			results: [{ id: '999', properties: { email: 'ok@shop.example' }, objectWriteTraceId: 'n8n-0' }],
			numErrors: 1,
			errors: [{ status: 'error', category: 'VALIDATION_ERROR', message: 'Property values were not valid', context: { objectWriteTraceId: ['n8n-1'] } }],
		});
		sandbox.setFaults({ scripted: [{ method: 'POST', path: /batch\/create/, status: 207, body }] });
		const mapping = { email: '={{ $json.email }}', firstname: '={{ $json.first }}' };
		const result = await sync(hubspot, [{ email: 'ok@shop.example', first: 'Ok' }, { email: 'not-an-email', first: 'Bad' }], mapping, ['email']);
		expect(counts(result)).toEqual([1, 0, 0, 0, 1]);
		expect(result.output[0][0].json.id).toBe('999');
		expect(result.output[4][0].json.error).toMatch(/INVALID_EMAIL/);
	});

	it('a token echoed by the API in an error on a form write never reaches Failed', async () => {
		const token = String(credentialData('bearer', '', {}).token);
		const body = JSON.stringify({ error: { type: 'invalid_request_error', message: `Invalid request. You sent Authorization: Bearer ${token} and ${encodeURIComponent(token)}` } });
		sandbox.personas.stripe.insert(OWNER, { email: 'a@shop.example', name: 'A', metadata: { shop_id: 'WS-1' } });
		sandbox.setFaults({ scripted: [{ method: 'POST', path: /v1\/customers/, status: 400, body }] });
		const result = await sync(stripe, [{ shopId: 'WS-2', name: 'B' }], { 'metadata.shop_id': '={{ $json.shopId }}', name: '={{ $json.name }}' }, ['metadata.shop_id']);
		expect(counts(result)).toEqual([0, 0, 0, 0, 1]);
		expect(JSON.stringify(result.output)).not.toContain(token);
	});

	it('recordPathOf encodes an ID with "/" and spaces, in any {id} case', () => {
		expect(recordPathOf('/customers.json', { ...PLAIN_SHAPE, recordPath: '/customers/{ID}.json' }, 'a/b c')).toBe('/customers/a%2Fb%20c.json');
		expect(recordPathOf('/items', PLAIN_SHAPE, '$&x')).toBe('/items/%24%26x');
	});

	it('HubSpot: a re-run over values HubSpot returns as text (number 10.5, true) writes nothing', async () => {
		sandbox.personas.hubspot.insert(OWNER, { email: 'v@shop.example', shop_customer_id: 10.5, company: true });
		const mapping = { email: '={{ $json.email }}', shop_customer_id: '={{ $json.n }}', company: '={{ $json.b }}' };
		const result = await sync(hubspot, [{ email: 'v@shop.example', n: 10.5, b: true }], mapping, ['email']);
		expect(counts(result)).toEqual([0, 0, 1, 0, 0]);
		expect(writeRequests()).toHaveLength(0);
	});
});

describe('rate limits of the real APIs', () => {
	it('Airtable preset at its default settings stays within Airtable’s 5 requests per second per base', async () => {
		// support.airtable.com, Managing API call limits: "Airtable enforces a rate limit of 5 requests per second (per
		// base) … If you exceed this rate, you will receive a 429 status code and must wait 30 seconds before subsequent
		// requests will succeed."
		for (let i = 0; i < 100; i++) sandbox.personas.airtable.insert(OWNER, { Name: `C${i}`, Email: `c${i}@shop.example`, Status: 'Lead' });
		const mapping = { Name: '={{ $json.name }}', Email: '={{ $json.email }}', Status: '={{ $json.status }}' };
		const items = Array.from({ length: 150 }, (_, i) => ({ name: `N${i}`, email: `c${i}@shop.example`, status: 'Customer' }));
		// The user's settings: none (Max Requests per Second keeps its default).
		const result = await run(airtable, {
			operation: 'sync',
			syncMode: 'upsert',
			columns: { mappingMode: 'defineBelow', value: mapping, matchingColumns: ['Email'], schema: [] },
			syncOptions: {},
		}, items);
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([50, 100, 0, 0, 0]);
		// The persona enforces the limit (429, then the base refused for 30 s): not one request went over it.
		expect(sandbox.personas.airtable.rateLimited).toBe(0);
		const times = apiRequests().map((entry) => entry.time);
		const busiest = Math.max(...times.map((t) => times.filter((u) => u >= t && u < t + 1000).length));
		expect(busiest).toBeLessThanOrEqual(5);
	});

	it('the Airtable persona answers a 6th request within a second 429 RATE_LIMIT_REACHED, and refuses the base until the block is over', async () => {
		sandbox.personas.airtable.setRateLimit({ blockMs: 400 });
		const list = () => personaFetch('airtable', '/v0/appSandbox000001/Customers', { method: 'GET' });
		const statuses: number[] = [];
		for (let i = 0; i < 6; i++) statuses.push((await list()).status);
		expect(statuses).toEqual([200, 200, 200, 200, 200, 429]);
		const refused = await list();
		expect(refused).toEqual({ status: 429, body: { errors: [{ error: 'RATE_LIMIT_REACHED', message: 'Rate limit exceeded. Please try again later' }] } });
		await new Promise((resolve) => setTimeout(resolve, 1100));
		expect((await list()).status).toBe(200);
	});

	it('a Max Requests per Second the user set is kept (here 0, no limit): Airtable answers 429, the writes wait and each goes through once', async () => {
		sandbox.personas.airtable.setRateLimit({ blockMs: 200 });
		for (let i = 0; i < 12; i++) sandbox.personas.airtable.insert(OWNER, { Name: `C${i}`, Email: `c${i}@shop.example`, Status: 'Lead' });
		const mapping = { Name: '={{ $json.name }}', Email: '={{ $json.email }}', Status: '={{ $json.status }}' };
		const items = Array.from({ length: 12 }, (_, i) => ({ name: `C${i}`, email: `c${i}@shop.example`, status: 'Customer' }));
		const result = await sync(airtable, items, mapping, ['Email'], { maxRequestsPerSecond: 0, useBulk: false });
		expect(result.error).toBeUndefined();
		expect(counts(result)).toEqual([0, 12, 0, 0, 0]);
		expect(sandbox.personas.airtable.rateLimited).toBeGreaterThan(0);
		const served = writeRequests().filter((entry) => entry.status === 200);
		expect(served).toHaveLength(12);
		expect(sandbox.personas.airtable.records.rows(OWNER).every((record) => record.fields.Status === 'Customer')).toBe(true);
	});
});

describe('Airtable names', () => {
	it('a table name with "#" in Base and Table reaches Airtable as that table (percent-encoded), not cut at the "#"', async () => {
		// Airtable table names are free text ("Orders #2", "Q&A?"); the field asks for "/{base ID}/{table name or ID}".
		const result = await run({ ...airtable, resource: { remoteResource: 'airtableRecords', customPath: '/appSandbox000001/Orders #2' } }, { operation: 'getAll', returnAll: true });
		void result;
		const [read] = apiRequests();
		expect(read.url).toContain('/appSandbox000001/Orders%20%232');
	});

	it('a table name with "&", "?" and "/" is one percent-encoded segment; a name typed already encoded is not encoded twice', async () => {
		await run({ ...airtable, resource: { remoteResource: 'airtableRecords', customPath: '/appSandbox000001/Q&A? In/Out' } }, { operation: 'getAll', returnAll: true });
		await run({ ...airtable, resource: { remoteResource: 'airtableRecords', customPath: 'appSandbox000001/Orders%20%232/' } }, { operation: 'getAll', returnAll: true });
		expect(apiRequests().map((entry) => entry.url.replace(/^.*\/v0/, ''))).toEqual([
			'/appSandbox000001/Q%26A%3F%20In%2FOut?pageSize=100',
			'/appSandbox000001/Orders%20%232?pageSize=100',
		]);
	});

	it('the table as typed in Base and Table reaches the records, and a record is updated at /{base}/{table}/{record ID}', async () => {
		sandbox.personas.airtable.insert(OWNER, { Name: 'A', Email: 'a@shop.example' });
		const spaced: Api = { ...airtable, resource: { remoteResource: 'airtableRecords', customPath: ' /appSandbox000001/Customers/ ' } };
		const result = await sync(spaced, [{ email: 'a@shop.example', name: 'A2' }], { Email: '={{ $json.email }}', Name: '={{ $json.name }}' }, ['Email'], { useBulk: false });
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(writeRequests().map((entry) => entry.path)).toEqual(['/api/v1/personas/airtable/v0/appSandbox000001/Customers/rec000001Sandbx']);
	});

	// Airtable field names are free text; a table imported from another system often has an "id" column. "id" is also
	// Airtable's record ID (beside "fields"), and Match On "id" with input items that carry record IDs (read from
	// Airtable earlier) is a use that must keep working: so the clash is refused, loudly, only where it would bite.
	it('an Airtable field named "id", mapped and matched on: Sync stops before writing and names the clash (no silent duplicates)', async () => {
		const existing = sandbox.personas.airtable.insert(OWNER, { Name: 'A', Email: 'a@shop.example' });
		existing.fields.id = '17';
		const result = await sync(airtable, [{ id: '17', name: 'A2' }], { id: '={{ $json.id }}', Name: '={{ $json.name }}' }, ['id']);
		expect(result.error?.message).toBe(
			`Remote record ${existing.id} has a field "id" inside "fields", and "id" is also its record ID: the field mapping or Match On cannot tell them apart`,
		);
		expect((result.error as { description?: string }).description).toMatch(/Rename that field in the remote system .* Nothing was written\.$/);
		expect(writeRequests()).toHaveLength(0);
		expect(sandbox.personas.airtable.records.rows(OWNER)).toHaveLength(1);
	});

	it('an Airtable field named "id" that is not mapped is left alone; Match On "id" without such a field still means the record ID', async () => {
		const plain = sandbox.personas.airtable.insert(OWNER, { Name: 'B', Email: 'b@shop.example' });
		const byId = await sync(airtable, [{ id: plain.id, name: 'B2' }], { id: '={{ $json.id }}', Name: '={{ $json.name }}' }, ['id']);
		expect(byId.error).toBeUndefined();
		expect(counts(byId)).toEqual([0, 1, 0, 0, 0]);
		expect(plain.fields.Name).toBe('B2');
		const withColumn = sandbox.personas.airtable.insert(OWNER, { Name: 'A', Email: 'a@shop.example' });
		withColumn.fields.id = '17';
		const result = await sync(airtable, [{ email: 'a@shop.example', name: 'A2' }], { Email: '={{ $json.email }}', Name: '={{ $json.name }}' }, ['Email']);
		expect(counts(result)).toEqual([0, 1, 0, 0, 0]);
		expect(withColumn.fields).toMatchObject({ id: '17', Name: 'A2' });
	});
});
