/**
 * Batch endpoints, as data a resource description fills in: where creates and updates go several at a time, how
 * many per call, how each record is written in the list, and how the reply says what happened to each record.
 *
 * - EenvoudigFactureren: `POST {path}?bulk` with `{"clients": [...]}`, at most 100, creates and updates together (an
 *   item carrying its ID is an update); one result per record, in request order (see bulkReply.ts).
 * - HubSpot CRM: `POST {path}/batch/create` with `{"inputs": [{"properties", "objectWriteTraceId"}]}` and
 *   `POST {path}/batch/update` with `{"inputs": [{"id", "properties"}]}`, at most 100; results come in any order, so
 *   they are matched by `objectWriteTraceId` (creates) and `id` (updates); `errors[].context.ids` names refused IDs.
 * - Airtable: `POST {path}` with `{"records": [{"fields"}]}` and `PATCH {path}` with `{"records": [{"id", "fields"}]}`,
 *   at most 10; one record per input, in request order.
 */
import type { IDataObject } from 'n8n-workflow';

import { extractApiMessage } from './errors';

export interface BulkEndpoint {
	method: 'POST' | 'PATCH';
	/** Path template; `{path}` is the collection path. */
	path: string;
	query?: IDataObject;
	/** Key of the list in the request body (EenvoudigFactureren: the collection's name). */
	listKey: string;
}

export interface BulkShape {
	/** Records per call at most. */
	maxRecords: number;
	/** Creates and updates in one call (EenvoudigFactureren); otherwise `create` and `update`. */
	mixed?: BulkEndpoint;
	create?: BulkEndpoint;
	update?: BulkEndpoint;
	/** Key an update item carries the record's ID in: `id`, or empty for the resource's ID field. */
	itemIdKey: string;
	/** How results are told apart: one per record in request order, or by ID and trace ID (HubSpot). */
	replies: 'inOrder' | 'byKey';
}

/** EenvoudigFactureren's `?bulk` for `/{domain}` (the list key is the domain's name). */
export function eenvoudigFactureren(domain: string): BulkShape {
	return {
		maxRecords: 100,
		mixed: { method: 'POST', path: '{path}', query: { bulk: '' }, listKey: domain },
		itemIdKey: '',
		replies: 'inOrder',
	};
}

export const HUBSPOT_BATCH: BulkShape = {
	maxRecords: 100,
	create: { method: 'POST', path: '{path}/batch/create', listKey: 'inputs' },
	update: { method: 'POST', path: '{path}/batch/update', listKey: 'inputs' },
	itemIdKey: 'id',
	replies: 'byKey',
};

export const AIRTABLE_BATCH: BulkShape = {
	maxRecords: 10,
	create: { method: 'POST', path: '{path}', listKey: 'records' },
	update: { method: 'PATCH', path: '{path}', listKey: 'records' },
	itemIdKey: 'id',
	replies: 'inOrder',
};

/**
 * What a bulk reply says about one record of the request: written (with the record's ID), refused (with the API's
 * words), or unclear (nothing proves it was written: it is re-read). The same as engine/bulkReply.ts reads.
 */
export type BulkResult = { ok: true; id: unknown } | { ok: false; message: string } | { ok: 'unclear'; reason: string };

/** One record of a batch: a create, or an update of `id`. */
export interface BatchEntry {
	op: 'create' | 'update';
	id?: unknown;
}

/** The key a create carries so that its result can be found again in a reply in any order (HubSpot). */
export function traceIdOf(position: number): string {
	return `n8n-${position}`;
}

/**
 * HubSpot's batch reply, matched by key: each create by its `objectWriteTraceId`, each update by its ID; `errors`
 * name refused IDs (`context.ids`) or trace IDs. A record the reply says nothing about is `undefined`: its fate
 * is unknown and it is re-read.
 */
export function readKeyedReply(body: unknown, batch: BatchEntry[]): Array<BulkResult | undefined> {
	const reply = (body && typeof body === 'object' ? body : {}) as IDataObject;
	const results = Array.isArray(reply.results) ? (reply.results as IDataObject[]) : [];
	const errors = Array.isArray(reply.errors) ? (reply.errors as IDataObject[]) : [];
	const byTrace = new Map<string, IDataObject>();
	const byId = new Map<string, IDataObject>();
	for (const result of results) {
		if (!result || typeof result !== 'object') continue;
		if (result.objectWriteTraceId !== undefined) byTrace.set(String(result.objectWriteTraceId), result);
		if (result.id !== undefined) byId.set(String(result.id), result);
	}
	const refused = new Map<string, string>();
	for (const error of errors) {
		const context = (error?.context ?? {}) as IDataObject;
		const message = extractApiMessage(error) ?? 'refused by the batch call, without a reason';
		for (const key of [...asList(context.ids), ...asList(context.objectWriteTraceId)]) refused.set(String(key), message);
	}
	return batch.map((entry, position) => {
		const key = entry.op === 'create' ? traceIdOf(position) : String(entry.id);
		const result = entry.op === 'create' ? byTrace.get(key) : byId.get(key);
		if (result) return { ok: true, id: result.id ?? entry.id ?? null };
		const message = refused.get(key);
		return message === undefined ? undefined : { ok: false, message };
	});
}

function asList(value: unknown): unknown[] {
	if (value === undefined || value === null) return [];
	return Array.isArray(value) ? value : [value];
}
