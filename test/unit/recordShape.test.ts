/**
 * The record-shape layer's pure parts: envelopes to plain records and back, form bodies with nested keys, record
 * paths, and which record an API's answer holds. End to end (against the API personas): apiConventions.test.ts.
 */
import type { INode } from 'n8n-workflow';

import { readKeyedReply, traceIdOf } from '../../nodes/shared/bulkShape';
import {
	createdId,
	fieldPath,
	flattenFields,
	formUrlEncode,
	nestFields,
	PLAIN_SHAPE,
	plainRecords,
	recordPathOf,
	wireFormatOf,
	writeBody,
	type RecordShape,
} from '../../nodes/shared/recordShape';

const node = { name: 'API Sync', type: 'apiSync', typeVersion: 1, position: [0, 0], parameters: {} } as unknown as INode;
const shape = (overrides: Partial<RecordShape>): RecordShape => ({ ...PLAIN_SHAPE, ...overrides });

describe('reading', () => {
	it('takes the fields out of the envelope, keeps the ID, leaves the metadata beside it out', () => {
		const hubspot = shape({ fieldsPath: 'properties' });
		const raw = { id: '51', properties: { email: 'a@b.c', hs_object_id: '51' }, createdAt: '2026-01-01', archived: false };
		expect(plainRecords([raw], hubspot, 'id', node)).toEqual([{ email: 'a@b.c', hs_object_id: '51', id: '51' }]);
	});

	it('the ID wins over a field of the same name inside the envelope; when Sync maps or matches on that name, the clash is an error', () => {
		const raws = [{ id: 'rec1', fields: { id: 'mine', Name: 'A' } }];
		expect(plainRecords(raws, shape({ fieldsPath: 'fields' }), 'id', node)).toEqual([{ id: 'rec1', Name: 'A' }]);
		expect(() => plainRecords(raws, shape({ fieldsPath: 'fields', refuseIdFieldInEnvelope: true }), 'id', node)).toThrow(
			'Remote record rec1 has a field "id" inside "fields", and "id" is also its record ID',
		);
		expect(plainRecords([{ id: 'rec2', fields: { Name: 'B' } }], shape({ fieldsPath: 'fields', refuseIdFieldInEnvelope: true }), 'id', node)).toEqual([{ id: 'rec2', Name: 'B' }]);
	});

	it('a record without the fields object has no fields when the path is right for the listing (JSON:API attributes, or another record has it)', () => {
		const jsonApi = shape({ fieldsPath: 'attributes', jsonApiType: 'articles' });
		expect(plainRecords([{ type: 'articles', id: '2', relationships: {} }], jsonApi, 'id', node)).toEqual([{ id: '2' }]);
		const airtable = shape({ fieldsPath: 'fields' });
		expect(plainRecords([{ id: 'rec1', fields: { Name: 'A' } }, { id: 'rec2', createdTime: 'x' }], airtable, 'id', node)).toEqual([{ Name: 'A', id: 'rec1' }, { id: 'rec2' }]);
		expect(() => plainRecords([{ id: 'rec1', fields: { Name: 'A' } }, { id: 'rec2', fields: 'x' }], airtable, 'id', node)).toThrow('Remote record rec2 has a "fields" that is not an object');
		expect(() => plainRecords([{ type: 'articles', relationships: {} }], jsonApi, 'id', node)).toThrow('A remote record without "id" has no "attributes" object and no ID');
	});

	it('a flat record without nested fields is passed on as it is', () => {
		const raws = [{ client_id: 1, name: 'A', address: { city: 'Gent' } }];
		expect(plainRecords(raws, PLAIN_SHAPE, 'client_id', node)).toBe(raws);
	});

	it('nested objects become dot-path fields; lists and empty objects stay values', () => {
		expect(flattenFields({ a: { b: 1, c: { d: 'x' } }, list: [{ e: 1 }], empty: {}, none: null })).toEqual({ 'a.b': 1, 'a.c.d': 'x', list: [{ e: 1 }], empty: {}, none: null });
	});

	it('a key with a dot (Stripe allows metadata key "order.ref") is named in brackets and stays one key when written back', () => {
		const raw = { metadata: { shop_id: 'WS-1', 'order.ref': 'R-1' }, 'No.': 3, shipping: { address: { city: 'Gent' } }, odd: { 'x[y]': 1 } };
		const flat = flattenFields(raw);
		expect(flat).toEqual({ 'metadata.shop_id': 'WS-1', 'metadata[order.ref]': 'R-1', '[No.]': 3, 'shipping.address.city': 'Gent', odd: { 'x[y]': 1 } });
		expect(nestFields(flat)).toEqual(raw);
		expect(fieldPath('a.b[c.d].e')).toEqual(['a', 'b', 'c.d', 'e']);
		expect(fieldPath('a..b')).toEqual(['a..b']);
		const stripe = shape({ nestedFields: true, encoding: 'form' });
		expect(decodeURIComponent(formUrlEncode(writeBody({ 'metadata[order.ref]': 'R-2' }, stripe, 'id')))).toBe('metadata[order.ref]=R-2');
	});

	it('a Fields Path that is not there is an error naming what the records hold', () => {
		expect(() => plainRecords([{ id: 1, attributes: {}, links: {} }], shape({ fieldsPath: 'fields' }), 'id', node)).toThrow(
			'Remote records have no "fields" object (the Fields Path)',
		);
	});
});

describe('writing', () => {
	it('wraps in the write key, without the ID and read-only fields', () => {
		const hubspot = shape({ writeKey: 'properties', readOnlyFields: ['createdate'] });
		expect(writeBody({ id: '5', email: 'a@b.c', createdate: 'x' }, hubspot, 'id', '5')).toEqual({ properties: { email: 'a@b.c' } });
	});

	it('JSON:API: {"data": {"type", "id", "attributes"}}, the ID as text and only on update', () => {
		const articles = shape({ jsonApiType: 'articles' });
		expect(writeBody({ title: 'T' }, articles, 'id')).toEqual({ data: { type: 'articles', attributes: { title: 'T' } } });
		expect(writeBody({ title: 'T' }, articles, 'id', 7)).toEqual({ data: { type: 'articles', id: '7', attributes: { title: 'T' } } });
		expect(wireFormatOf(articles)).toEqual({ bodyEncoding: 'json', contentType: 'application/vnd.api+json', accept: 'application/vnd.api+json, application/json' });
	});

	it('dot-path fields are nested back, then form-encoded with brackets', () => {
		const body = writeBody({ email: 'a@b.c', 'metadata.plan': 'pro', 'metadata.shop_id': 'WS-1' }, shape({ nestedFields: true, encoding: 'form' }), 'id');
		expect(body).toEqual({ email: 'a@b.c', metadata: { plan: 'pro', shop_id: 'WS-1' } });
		expect(decodeURIComponent(formUrlEncode(body))).toBe('email=a@b.c&metadata[plan]=pro&metadata[shop_id]=WS-1');
		expect(nestFields({ 'a.b.c': 1, d: 2 })).toEqual({ a: { b: { c: 1 } }, d: 2 });
	});

	it('form bodies: lists by index, null and an empty object or list as an empty value (clears the field), booleans and numbers as text', () => {
		expect(decodeURIComponent(formUrlEncode({ tags: ['a', 'b'], phone: null, active: true, n: 2, skip: undefined, none: {}, locales: [] }))).toBe(
			'tags[0]=a&tags[1]=b&phone=&active=true&n=2&none=&locales=',
		);
	});

	it('record paths: {path}/{id} by default, a template with {id} or {ID}, the ID encoded', () => {
		expect(recordPathOf('/contacts', PLAIN_SHAPE, 'a/b')).toBe('/contacts/a%2Fb');
		expect(recordPathOf('/customers.json', shape({ recordPath: '/customers/{ID}.json' }), 7)).toBe('/customers/7.json');
		expect(recordPathOf('/x', shape({ recordPath: '{path}/items/{id}' }), 7)).toBe('/x/items/7');
	});

	it('the created ID: from the body that carries it, under the write key (Shopify), or JSON:API data', () => {
		expect(createdId({ id: '9', properties: { email: 'x' } }, shape({ writeKey: 'properties' }), 'id')).toBe('9');
		expect(createdId({ customer: { id: 7 } }, shape({ writeKey: 'customer' }), 'id')).toBe(7);
		expect(createdId({ data: { type: 'articles', id: '3' } }, shape({ jsonApiType: 'articles' }), 'id')).toBe('3');
		expect(createdId({ success: 'created' }, PLAIN_SHAPE, 'client_id')).toBeNull();
	});
});

describe('HubSpot batch replies, matched by key', () => {
	it('finds each create by its trace ID and each update by its ID, in any order; refused IDs carry the message; the rest is unknown', () => {
		const reply = {
			results: [{ id: '12', objectWriteTraceId: traceIdOf(1) }, { id: '10', objectWriteTraceId: traceIdOf(0) }, { id: '5' }],
			errors: [{ message: 'Could not get some CONTACT objects', context: { ids: ['6'] } }],
		};
		expect(readKeyedReply(reply, [{ op: 'create' }, { op: 'create' }, { op: 'update', id: '5' }, { op: 'update', id: '6' }, { op: 'update', id: '8' }])).toEqual([
			{ ok: true, id: '10' },
			{ ok: true, id: '12' },
			{ ok: true, id: '5' },
			{ ok: false, message: 'Could not get some CONTACT objects' },
			undefined,
		]);
	});
});
