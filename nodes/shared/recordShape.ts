/**
 * How an API lays out one record, as data a resource description fills in (like n8n's declarative routing):
 * where a listed record keeps its fields (top level, `properties`, `fields`, JSON:API `attributes`), how a
 * create or update body is wrapped (`{"properties": …}`, `{"customer": …}`, JSON:API `{"data": …}`) and encoded
 * (JSON, or a form with nested keys `metadata[plan]=pro`), which content type it is sent with, and where one
 * record lives (`{path}/{id}`, `/customers/{id}.json`).
 *
 * The engine sees only plain records — `{ <ID field>: id, …fields }` — and this module is the one place that
 * turns an API's record into one and a plain record back into the API's body. Paging (pagination.ts) yields the
 * API's records as they are; callers apply {@link plainRecords} after it.
 */
import { NodeOperationError, type IDataObject, type INode } from 'n8n-workflow';

export type BodyEncoding = 'json' | 'form';

export interface RecordShape {
	/** Dot path in a listed record to the object holding its fields; empty: the record itself (flat APIs). */
	fieldsPath: string;
	/**
	 * Fields the API sets itself (`hs_object_id`, `createdate`, Stripe's `created`): never compared, never sent.
	 * Metadata outside the fields object (`createdAt`, `createdTime`, `updatedAt`) is left out of plain records anyway.
	 */
	readOnlyFields: readonly string[];
	/** Key a create or update body is wrapped in (`properties`, `fields`, `customer`); empty: not wrapped. */
	writeKey: string;
	/** JSON:API resource type (`articles`): bodies are `{"data": {"type", "id", "attributes"}}`; empty: not JSON:API. */
	jsonApiType: string;
	/** How write bodies are encoded: JSON, or `application/x-www-form-urlencoded` with nested keys (Stripe). */
	encoding: BodyEncoding;
	/** Content type of write bodies (and what is accepted); empty: `application/json`, or the form type. */
	contentType: string;
	/** Where one record is, under the base URL: `{path}` and `{id}` (any case) are filled in; empty: `{path}/{id}`. */
	recordPath: string;
	/** Query parameter that asks for the fields to return (HubSpot `properties`); empty: none is sent. */
	fieldsParam: string;
	/** Nested objects inside the fields become dot-path fields (`metadata.plan`), and back on write. */
	nestedFields: boolean;
	/**
	 * Set by Sync when it maps or matches on a field named like the ID field: a record whose envelope also holds a
	 * field of that name (an Airtable column `id`) is then an error, since the name would mean two things.
	 */
	refuseIdFieldInEnvelope?: boolean;
}

/** A flat JSON record at `{path}/{id}`: what every API of this package spoke before envelopes. */
export const PLAIN_SHAPE: RecordShape = {
	fieldsPath: '',
	readOnlyFields: [],
	writeKey: '',
	jsonApiType: '',
	encoding: 'json',
	contentType: '',
	recordPath: '',
	fieldsParam: '',
	nestedFields: false,
};

export const JSON_API_MEDIA_TYPE = 'application/vnd.api+json';
export const FORM_MEDIA_TYPE = 'application/x-www-form-urlencoded';

/** What the transport needs to send a body as the API wants it. */
export interface WireFormat {
	bodyEncoding: BodyEncoding;
	contentType: string;
	/** The Accept header: JSON:API's own media type where it is used, JSON otherwise. */
	accept: string;
}

export function wireFormatOf(shape: RecordShape): WireFormat {
	const contentType = shape.contentType.trim() || (shape.encoding === 'form' ? FORM_MEDIA_TYPE : shape.jsonApiType ? JSON_API_MEDIA_TYPE : 'application/json');
	const accept = /\bvnd\.api\+json\b/i.test(contentType) || shape.jsonApiType ? `${JSON_API_MEDIA_TYPE}, application/json` : 'application/json';
	return { bodyEncoding: shape.encoding, contentType, accept };
}

/** Where the record with this ID is: the Record Path template, or `{path}/{id}`. */
export function recordPathOf(collectionPath: string, shape: RecordShape, id: unknown): string {
	const encoded = encodeURIComponent(String(id));
	const template = shape.recordPath.trim();
	if (!template) return `${collectionPath}/${encoded}`;
	return template.replace(/\{path\}/gi, () => collectionPath).replace(/\{id\}/gi, () => encoded);
}

function isPlainObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function getAtDotPath(value: unknown, path: string): unknown {
	let current = value;
	for (const part of path.split('.')) {
		if (!isPlainObject(current)) return undefined;
		current = current[part];
	}
	return current;
}

/** A key that cannot stand between dots in a field name: it holds a dot (Stripe allows `order.ref` as a metadata key). */
const NEEDS_BRACKETS = /[.[\]]/;
/** A key with a bracket cannot be named at all: the object holding it stays one field. */
const HAS_BRACKET = /[[\]]/;

/** The name of field `key` inside the field named `prefix`: `metadata.plan`, or `metadata[order.ref]` for a dotted key. */
function fieldName(prefix: string, key: string): string {
	if (NEEDS_BRACKETS.test(key)) return `${prefix}[${key}]`;
	return prefix ? `${prefix}.${key}` : key;
}

/**
 * `{a: {b: 1}, c: [2]}` → `{"a.b": 1, c: [2]}`: objects become dot paths, lists stay values. A key holding a dot is
 * named in brackets, so it stays one key when written back: `{metadata: {"order.ref": "R-1"}}` →
 * `{"metadata[order.ref]": "R-1"}`. An object with a key holding a bracket is kept whole (one field).
 */
export function flattenFields(fields: IDataObject, prefix = '', into: IDataObject = {}): IDataObject {
	for (const [key, value] of Object.entries(fields)) {
		const name = prefix === '' && HAS_BRACKET.test(key) ? key : fieldName(prefix, key);
		const keys = isPlainObject(value) ? Object.keys(value) : [];
		if (keys.length > 0 && !keys.some((inner) => HAS_BRACKET.test(inner))) flattenFields(value as IDataObject, name, into);
		else into[name] = value;
	}
	return into;
}

/** The path of keys a flattened field name stands for: `metadata.plan` → metadata, plan; `metadata[order.ref]` → metadata, order.ref. */
export function fieldPath(name: string): string[] {
	const grammar = /^(?:[^.[\]]+|\[[^\]]*\])(?:\.[^.[\]]+|\[[^\]]*\])*$/;
	if (!grammar.test(name)) return [name];
	return [...name.matchAll(/(?:^|\.)([^.[\]]+)|\[([^\]]*)\]/g)].map((match) => match[1] ?? match[2]);
}

/** `{"a.b": 1, "m[x.y]": 2}` → `{a: {b: 1}, m: {"x.y": 2}}`: the inverse of {@link flattenFields} for what is written. */
export function nestFields(fields: IDataObject): IDataObject {
	const nested: IDataObject = {};
	for (const [name, value] of Object.entries(fields)) {
		const parts = fieldPath(name);
		let target = nested;
		for (const part of parts.slice(0, -1)) {
			if (!isPlainObject(target[part])) target[part] = {};
			target = target[part] as IDataObject;
		}
		target[parts[parts.length - 1]] = value;
	}
	return nested;
}

/**
 * One API record as the plain record the engine compares: its fields (from the Fields Path), and its ID under the
 * ID field. Metadata beside an envelope (`createdAt`, `archived`, `links`) is left out. Undefined when the record
 * has no fields object at the Fields Path.
 */
export function plainRecord(raw: IDataObject, shape: RecordShape, idField: string): IDataObject | undefined {
	let fields: IDataObject;
	if (shape.fieldsPath) {
		const found = getAtDotPath(raw, shape.fieldsPath);
		if (!isPlainObject(found)) return undefined;
		fields = found;
	} else {
		fields = raw;
	}
	const plain = shape.nestedFields ? flattenFields(fields) : { ...fields };
	// The ID wins over a field of the same name inside the envelope: it is what records are written back to.
	plain[idField] = raw[idField] ?? (shape.fieldsPath ? undefined : fields[idField]);
	if (plain[idField] === undefined) delete plain[idField];
	return plain;
}

/**
 * The API's records (as paging yields them) as plain records. A record without the fields object, but with its ID,
 * has no fields (JSON:API makes `attributes` optional) when the Fields Path is right for the listing: JSON:API's
 * `attributes`, or one another record of the listing has. A Fields Path that no record has is a settings error, said once with what the records do
 * hold; so is a record whose fields object is not an object, or that has no ID.
 */
export function plainRecords(raws: IDataObject[], shape: RecordShape, idField: string, node: INode): IDataObject[] {
	if (!shape.fieldsPath && !shape.nestedFields) return raws;
	const plains = raws.map((raw) => plainRecord(raw, shape, idField));
	// JSON:API's own envelope (attributes), or a Fields Path another record of the listing has.
	const pathIsRight = (Boolean(shape.jsonApiType) && shape.fieldsPath === 'attributes') || plains.some((plain) => plain !== undefined);
	return plains.map((plain, i) => {
		const raw = raws[i];
		if (plain === undefined) {
			const id = isPlainObject(raw) ? raw[idField] : undefined;
			const absent = isPlainObject(raw) && getAtDotPath(raw, shape.fieldsPath) === undefined;
			if (!pathIsRight || !absent || id === undefined || id === null || id === '') throw fieldsPathError(node, raw, shape, idField, pathIsRight);
			return { [idField]: id };
		}
		if (shape.refuseIdFieldInEnvelope && shape.fieldsPath) {
			const fields = getAtDotPath(raw, shape.fieldsPath) as IDataObject;
			if (Object.prototype.hasOwnProperty.call(fields, idField)) throw idFieldClashError(node, raw, shape.fieldsPath, idField);
		}
		return plain;
	});
}

function fieldsPathError(node: INode, raw: IDataObject, shape: RecordShape, idField: string, pathIsRight: boolean): NodeOperationError {
	const { fieldsPath } = shape;
	const seen = Object.keys(raw ?? {}).slice(0, 20).join(', ') || 'none';
	if (pathIsRight) {
		const id = isPlainObject(raw) ? raw[idField] : undefined;
		const which = id === undefined || id === null || id === '' ? `A remote record without "${idField}"` : `Remote record ${String(id as string)}`;
		const what = isPlainObject(raw) && getAtDotPath(raw, fieldsPath) !== undefined ? `has a "${fieldsPath}" that is not an object` : `has no "${fieldsPath}" object and no ID`;
		return new NodeOperationError(node, `${which} ${what}`, {
			description: `Other records hold their fields in "${fieldsPath}"; this one cannot be read. Fields seen: ${seen}. Check the record in the remote system; nothing was written.`,
		});
	}
	const objects = Object.entries(raw ?? {})
		.filter(([, value]) => isPlainObject(value))
		.map(([key]) => key);
	const advice = objects.length
		? ` Objects among them: ${objects.join(', ')}: set Fields Path to the one that holds the fields.`
		: ' Leave Fields Path empty for an API whose records are flat; with a preset, check that the credential’s Base URL is that API’s.';
	return new NodeOperationError(node, `Remote records have no "${fieldsPath}" object (the Fields Path)`, {
		description: `The Fields Path must name the object inside each record that holds its fields. Fields seen: ${seen}.${advice}`,
	});
}

function idFieldClashError(node: INode, raw: IDataObject, fieldsPath: string, idField: string): NodeOperationError {
	return new NodeOperationError(
		node,
		`Remote record ${String(raw[idField] as string)} has a field "${idField}" inside "${fieldsPath}", and "${idField}" is also its record ID: the field mapping or Match On cannot tell them apart`,
		{
			description: `Sync reads "${idField}" as the record ID (beside "${fieldsPath}"), so the field "${idField}" could never be compared or written. Rename that field in the remote system (e.g. to "External ID") and map the new name, or take "${idField}" out of the field mapping and Match On. Nothing was written.`,
		},
	);
}

/**
 * The body of a create (no `id`) or an update of the record `id`, as the API wants it: without the ID field and
 * the read-only fields, nested back from dot paths, wrapped in the write key or a JSON:API document.
 */
export function writeBody(fields: IDataObject, shape: RecordShape, idField: string, id?: unknown): IDataObject {
	const readOnly = new Set(shape.readOnlyFields);
	const kept: IDataObject = {};
	for (const [name, value] of Object.entries(fields)) {
		if (name === idField || readOnly.has(name)) continue;
		kept[name] = value;
	}
	const body = shape.nestedFields ? nestFields(kept) : kept;
	if (shape.jsonApiType) {
		const data: IDataObject = { type: shape.jsonApiType };
		if (id !== undefined && id !== null) data.id = String(id);
		data.attributes = body;
		return { data };
	}
	return shape.writeKey ? { [shape.writeKey]: body } : body;
}

/**
 * The record in the API's answer to a create or an update: under JSON:API's `data`; the body itself when it carries
 * the ID (HubSpot answers `{id, properties}`, Airtable `{id, fields}`); else under the write key when the answer has
 * it (Shopify's `{"customer": …}`).
 */
export function answeredRecord(body: unknown, shape: RecordShape, idField: string): IDataObject | undefined {
	if (!isPlainObject(body)) return undefined;
	if (shape.jsonApiType) return isPlainObject(body.data) ? body.data : undefined;
	if (body[idField] !== undefined && body[idField] !== null) return body;
	if (shape.writeKey && isPlainObject(body[shape.writeKey])) return body[shape.writeKey] as IDataObject;
	return body;
}

/** The ID of the record the API answered a create with (null when it gave none). */
export function createdId(body: unknown, shape: RecordShape, idField: string): unknown {
	return answeredRecord(body, shape, idField)?.[idField] ?? null;
}

/**
 * A form body with nested keys, as Stripe and Rails-style APIs read it: `{metadata: {plan: "pro"}, tags: ["a"]}` →
 * `metadata[plan]=pro&tags[0]=a`. `null`, and an empty object or list, are sent as an empty value: such APIs clear a
 * field that way (Stripe: `metadata=` unsets every metadata key, `preferred_locales=` empties the list), and a form
 * cannot say "empty object" otherwise — dropping it would send nothing at all.
 */
export function formUrlEncode(fields: IDataObject): string {
	const params = new URLSearchParams();
	const add = (name: string, value: unknown) => {
		if (value === undefined) return;
		if (value === null) params.append(name, '');
		else if (Array.isArray(value)) {
			if (value.length === 0) params.append(name, '');
			value.forEach((entry, i) => add(`${name}[${i}]`, entry));
		} else if (isPlainObject(value)) {
			const entries = Object.entries(value).filter(([, entry]) => entry !== undefined);
			if (entries.length === 0) params.append(name, '');
			for (const [key, entry] of entries) add(`${name}[${key}]`, entry);
		} else params.append(name, String(value));
	};
	for (const [name, value] of Object.entries(fields)) add(name, value);
	return params.toString();
}

/** Where and how a resource's records are written: what {@link createRequest} and its siblings need. */
export interface WriteTarget {
	/** Collection path. */
	path: string;
	idField: string;
	updateMethod: 'POST' | 'PATCH' | 'PUT';
	shape: RecordShape;
}

/** The parts of a write request that follow from the record shape (method, path, body and how it is sent). */
export interface ShapedRequest {
	method: 'POST' | 'PATCH' | 'PUT' | 'DELETE';
	path: string;
	body?: IDataObject;
	bodyEncoding: BodyEncoding;
	contentType: string;
	accept: string;
}

/** Creating a record: POST to the collection. */
export function createRequest(target: WriteTarget, fields: IDataObject): ShapedRequest {
	return { method: 'POST', path: target.path, body: writeBody(fields, target.shape, target.idField), ...wireFormatOf(target.shape) };
}

/** Updating the record `id` with these fields (the changes, or the whole record for PUT). */
export function updateRequest(target: WriteTarget, id: unknown, fields: IDataObject): ShapedRequest {
	return {
		method: target.updateMethod,
		path: recordPathOf(target.path, target.shape, id),
		body: writeBody(fields, target.shape, target.idField, id),
		...wireFormatOf(target.shape),
	};
}

/** Deleting the record `id`. */
export function deleteRequest(target: WriteTarget, id: unknown): ShapedRequest {
	const { accept } = wireFormatOf(target.shape);
	return { method: 'DELETE', path: recordPathOf(target.path, target.shape, id), bodyEncoding: 'json', contentType: '', accept };
}
