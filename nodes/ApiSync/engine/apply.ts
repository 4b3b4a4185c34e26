import type { IDataObject } from 'n8n-workflow';

import { readKeyedReply, traceIdOf, type BulkEndpoint, type BulkResult, type BulkShape } from '../../shared/bulkShape';
import { createdId, createRequest, deleteRequest, updateRequest, wireFormatOf, writeBody } from '../../shared/recordShape';
import type { ResolvedResource } from '../../shared/resources';
import type { ApiClient, ApiRequest } from '../../shared/transport';
import { readBulkReply } from './bulkReply';
import { idempotencyKeyFor, type IdempotencyScope } from './idempotency';
import type { PlannedCreate, PlannedDelete, PlannedUpdate, SyncPlan } from './plan';
import { chunk, runPool, Slots, type RateLimiter } from './schedule';

export interface ApplySettings {
	resource: ResolvedResource;
	/** Send creates and updates through the resource's batch endpoint (`bulkShape`), at most `bulkSize` per call. */
	useBulk: boolean;
	bulkSize: number;
	/** Write requests in flight at once, whatever sends them (bulk calls, records tried alone, deletes). */
	concurrency: number;
	limiter: RateLimiter;
	/** Extra headers for every write (e.g. X-AccountId). */
	headers?: Record<string, string>;
	/** Header carrying an idempotency key per write (e.g. `Idempotency-Key`); none when empty. */
	idempotencyHeader?: string;
	/** What makes this run's keys its own (execution, node, run, Base URL, account); required with the header. */
	idempotencyScope?: IdempotencyScope;
}

export type FailedOutcome = {
	kind: 'failed';
	itemIndex?: number;
	match: IDataObject;
	stage: 'create' | 'update' | 'delete';
	reason: string;
	httpCode?: string;
	/** The request may or may not have been applied (network error, 5xx): re-read before retrying. */
	uncertain: boolean;
	/**
	 * The API answered 404 on the record's URL: the record may be gone, or the URL this run built may be wrong.
	 * Only a re-read tells (`settleAfterReread`), so it is `uncertain` too.
	 */
	notFound?: boolean;
	entry: PlannedCreate | PlannedUpdate | PlannedDelete;
};

export type Outcome =
	| { kind: 'created'; itemIndex: number; match: IDataObject; remoteId: unknown; record: IDataObject }
	| { kind: 'updated'; itemIndex: number; match: IDataObject; remoteId: unknown; changes: IDataObject; note?: string }
	| { kind: 'unchanged'; itemIndex: number; match: IDataObject; remoteId: unknown; note?: string }
	| { kind: 'deleted'; match: IDataObject; remoteId: unknown; remote: IDataObject }
	| FailedOutcome;

type Write = { op: 'create'; entry: PlannedCreate } | { op: 'update'; entry: PlannedUpdate };
type Send = (req: ApiRequest) => Promise<{ status: number; body: unknown }>;

/**
 * Applies a plan's writes: every request takes one of `concurrency` slots and the run's rate limit.
 * Each failure is an outcome of its own, so one bad record never stops the others. Bulk calls go
 * `bulkSize` at a time; a record the bulk call rejects, or every record of a bulk call the API
 * refused as a whole, is tried alone.
 */
export async function applyPlan(client: ApiClient, plan: SyncPlan, settings: ApplySettings): Promise<Outcome[]> {
	const slots = new Slots(settings.concurrency);
	const send: Send = async (req) =>
		await slots.run(async () => {
			await settings.limiter.acquire();
			return await client.request<unknown>({ ...req, headers: { ...settings.headers, ...req.headers } });
		});
	const writes: Write[] = [
		...plan.creates.map((entry) => ({ op: 'create' as const, entry })),
		...plan.updates.map((entry) => ({ op: 'update' as const, entry })),
	];

	let writeOutcomes: Outcome[];
	const bulk = settings.useBulk ? settings.resource.bulkShape : undefined;
	if (bulk && writes.length > 0) {
		const size = Math.max(1, Math.min(settings.bulkSize, bulk.maxRecords));
		// One call for creates and updates together where the API takes both (EenvoudigFactureren), else one kind per call.
		const groups = bulk.mixed ? [writes] : [writes.filter((w) => w.op === 'create'), writes.filter((w) => w.op === 'update')];
		const batches = groups.flatMap((group) => chunk(group, size));
		writeOutcomes = (await runPool(batches, settings.concurrency, (batch) => applyBulk(batch, bulk, send, settings))).flat();
	} else {
		writeOutcomes = await runPool(writes, settings.concurrency, (write) => applySingle(write, send, settings));
	}
	const deleteOutcomes = await runPool(plan.deletes, settings.concurrency, (entry) => applyDelete(entry, send, settings));
	return [...writeOutcomes, ...deleteOutcomes];
}

function withKey(req: ApiRequest, match: IDataObject | null, settings: ApplySettings): ApiRequest {
	const header = settings.idempotencyHeader?.trim();
	const scope = settings.idempotencyScope;
	if (!header || !scope) return req;
	const path = req.query?.bulk !== undefined ? `${req.path}?bulk` : req.path;
	return { ...req, idempotencyKey: { header, value: idempotencyKeyFor(scope, req.method, path, match, req.body) } };
}

async function applySingle(write: Write, send: Send, settings: ApplySettings): Promise<Outcome> {
	const { resource } = settings;
	try {
		if (write.op === 'create') {
			const response = await send(withKey(createRequest(resource, write.entry.record), write.entry.match, settings));
			return created(write.entry, createdId(response.body, resource.shape, resource.idField));
		}
		const { entry } = write;
		const fields = resource.updateMethod === 'PUT' ? entry.record : entry.changes;
		await send(withKey(updateRequest(resource, entry.remoteId, fields), entry.match, settings));
		return updated(entry);
	} catch (error) {
		return failed(write.entry, write.op, error, settings);
	}
}

async function applyBulk(batch: Write[], bulk: BulkShape, send: Send, settings: ApplySettings): Promise<Outcome[]> {
	const { resource } = settings;
	const endpoint = (bulk.mixed ?? (batch[0].op === 'create' ? bulk.create : bulk.update)) as BulkEndpoint;
	const listKey = endpoint.listKey;
	const payload = batch.map((write, position) => bulkItem(write, position, bulk, resource));
	let body: unknown;
	try {
		const { bodyEncoding, contentType, accept } = wireFormatOf(resource.shape);
		const request: ApiRequest = {
			method: endpoint.method,
			path: endpoint.path.split('{path}').join(resource.path),
			query: endpoint.query,
			body: { [listKey]: payload },
			bodyEncoding,
			contentType,
			accept,
		};
		body = (await send(withKey(request, null, settings))).body;
	} catch (error) {
		const httpCode = (error as { httpCode?: string }).httpCode;
		// The API refused the whole call (e.g. one invalid record): each record is tried alone.
		if (httpCode && /^4\d\d$/.test(httpCode) && httpCode !== '429') {
			return await Promise.all(batch.map(async (write) => await applySingle(write, send, settings)));
		}
		return batch.map((write) => failed(write.entry, write.op, error, settings));
	}
	const entries = batch.map((write) => (write.op === 'create' ? { op: write.op } : { op: write.op, id: write.entry.remoteId }));
	const sent = batch.map((write) =>
		write.op === 'create'
			? { op: write.op }
			: { op: write.op, id: write.entry.remoteId, fields: resource.updateMethod === 'PUT' ? write.entry.record : write.entry.changes },
	);
	const inOrder = bulk.replies === 'inOrder' ? readBulkReply(body, sent, listKey, resource.idField, resource.shape) : undefined;
	const results: Array<BulkResult | undefined> = bulk.replies === 'byKey' ? readKeyedReply(body, entries) : (inOrder ?? batch.map(() => undefined));
	const missing = bulk.replies === 'byKey' ? 'The bulk reply did not list a result for this record' : 'The bulk reply did not list one result per record';
	return await Promise.all(
		batch.map(async (write, i) => {
			const result = results[i];
			// Without a result for this record nothing says what happened: it is re-read, never sent again blindly.
			if (!result) return failed(write.entry, write.op, new Error(missing), settings, true);
			if (result.ok === true) return write.op === 'create' ? created(write.entry, result.id) : updated(write.entry);
			// Nothing in the entry proves the record was written (a create without an id, an unknown shape): re-read.
			if (result.ok === 'unclear') {
				return failed(write.entry, write.op, new Error(`Not confirmed by the bulk call: ${result.reason}`), settings, true);
			}
			// Rejected within the bulk call: tried alone, so the API's own answer for this record is reported.
			return await applySingle(write, send, settings);
		}),
	);
}

/** One record as a bulk call lists it: the body the API takes for it alone, plus its ID (updates) or trace ID (keyed replies). */
function bulkItem(write: Write, position: number, bulk: BulkShape, resource: ResolvedResource): IDataObject {
	if (write.op === 'update') {
		const fields = resource.updateMethod === 'PUT' ? write.entry.record : write.entry.changes;
		return { [bulk.itemIdKey || resource.idField]: write.entry.remoteId, ...writeBody(fields, resource.shape, resource.idField) };
	}
	const item = writeBody(write.entry.record, resource.shape, resource.idField);
	return bulk.replies === 'byKey' ? { ...item, objectWriteTraceId: traceIdOf(position) } : item;
}

async function applyDelete(entry: PlannedDelete, send: Send, settings: ApplySettings): Promise<Outcome> {
	try {
		await send(deleteRequest(settings.resource, entry.remoteId));
		return { kind: 'deleted', match: entry.match, remoteId: entry.remoteId, remote: entry.remote };
	} catch (error) {
		return failed(entry, 'delete', error, settings);
	}
}

export function created(entry: PlannedCreate, remoteId: unknown): Outcome {
	return { kind: 'created', itemIndex: entry.itemIndex, match: entry.match, remoteId, record: entry.record };
}

export function updated(entry: PlannedUpdate): Outcome {
	const changes: IDataObject = {};
	for (const [field, to] of Object.entries(entry.changes)) changes[field] = { from: entry.remote[field] ?? null, to };
	return { kind: 'updated', itemIndex: entry.itemIndex, match: entry.match, remoteId: entry.remoteId, changes };
}

/** The message for an update whose record is gone (a re-read confirmed it): it was deleted after this run read it. */
export function vanishedReason(idField: string, remoteId: unknown): string {
	return `The remote record (${idField} ${String(remoteId)}) no longer exists: it was deleted after this run read it, so nothing was updated. Run the sync again to plan it anew.`;
}

/** The message for a 404 on a record that a re-read still lists: the URL built for it is not where the API has it. */
export function wrongRecordUrlReason(idField: string, remoteId: unknown, stage: 'update' | 'delete', apiMessage: string): string {
	return `The API answered 404 for the remote record (${idField} ${String(remoteId)}), but it still lists that record, so the URL this run built for it is wrong and nothing was ${stage === 'update' ? 'updated' : 'deleted'}: ${apiMessage}. Check the Record Path (where one record is, e.g. /customers/{id}.json) and the ${stage === 'update' ? 'Update Method' : 'Path'}.`;
}

function failed(
	entry: PlannedCreate | PlannedUpdate | PlannedDelete,
	stage: 'create' | 'update' | 'delete',
	error: unknown,
	settings: ApplySettings,
	forceUncertain = false,
): FailedOutcome {
	const httpCode = (error as { httpCode?: string | null }).httpCode ?? undefined;
	// A 4xx (other than 429) means the API looked at the request and refused it: nothing was written.
	const refused = typeof httpCode === 'string' && /^4\d\d$/.test(httpCode) && httpCode !== '429';
	// A 404 on a record URL says only that nothing is there: gone, or a wrong URL. A re-read tells which.
	const notFound = (stage === 'update' || stage === 'delete') && httpCode === '404';
	return {
		kind: 'failed',
		itemIndex: 'itemIndex' in entry ? entry.itemIndex : undefined,
		match: entry.match,
		stage,
		reason: (error as Error).message,
		httpCode: httpCode ?? undefined,
		uncertain: forceUncertain || !refused || notFound,
		...(notFound ? { notFound } : {}),
		entry,
	};
}
