import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { ResolvedResource } from '../../shared/resources';
import type { ApiClient, ApiRequest } from '../../shared/transport';
import { readBulkReply } from './bulkReply';
import { idempotencyKeyFor, type IdempotencyScope } from './idempotency';
import type { PlannedCreate, PlannedDelete, PlannedUpdate, SyncPlan } from './plan';
import { chunk, runPool, Slots, type RateLimiter } from './schedule';

export interface ApplySettings {
	resource: ResolvedResource;
	/** Send creates and updates through `POST {path}?bulk`, at most `bulkSize` per call. */
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
	if (settings.useBulk && settings.resource.bulk && writes.length > 0) {
		const batches = await runPool(chunk(writes, settings.bulkSize), settings.concurrency, (batch) =>
			applyBulk(batch, send, settings),
		);
		writeOutcomes = batches.flat();
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
			const response = await send(
				withKey({ method: 'POST', path: resource.path, body: write.entry.record }, write.entry.match, settings),
			);
			return created(write.entry, (response.body as IDataObject | undefined)?.[resource.idField] ?? null);
		}
		const { entry } = write;
		const body = resource.updateMethod === 'PUT' ? entry.record : entry.changes;
		const path = `${resource.path}/${encodeURIComponent(String(entry.remoteId))}`;
		await send(withKey({ method: resource.updateMethod as IHttpRequestMethods, path, body }, entry.match, settings));
		return updated(entry);
	} catch (error) {
		return failed(write.entry, write.op, error, settings);
	}
}

async function applyBulk(batch: Write[], send: Send, settings: ApplySettings): Promise<Outcome[]> {
	const { resource } = settings;
	const domain = resource.path.replace(/^\/+/, '');
	const payload = batch.map((write) =>
		write.op === 'create' ? write.entry.record : { [resource.idField]: write.entry.remoteId, ...write.entry.changes },
	);
	let body: unknown;
	try {
		const request: ApiRequest = { method: 'POST', path: resource.path, query: { bulk: '' }, body: { [domain]: payload } };
		body = (await send(withKey(request, null, settings))).body;
	} catch (error) {
		const httpCode = (error as { httpCode?: string }).httpCode;
		// The API refused the whole call (e.g. one invalid record): each record is tried alone.
		if (httpCode && /^4\d\d$/.test(httpCode) && httpCode !== '429') {
			return await Promise.all(batch.map(async (write) => await applySingle(write, send, settings)));
		}
		return batch.map((write) => failed(write.entry, write.op, error, settings));
	}
	const results = readBulkReply(body, batch.map((write) => write.op), domain, resource.idField);
	if (!results) {
		// Without one result per record nothing says what happened: the records are re-read.
		return batch.map((write) =>
			failed(write.entry, write.op, new Error('The bulk reply did not list one result per record'), settings, true),
		);
	}
	return await Promise.all(
		batch.map(async (write, i) => {
			const result = results[i];
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

async function applyDelete(entry: PlannedDelete, send: Send, settings: ApplySettings): Promise<Outcome> {
	try {
		await send({
			method: 'DELETE',
			path: `${settings.resource.path}/${encodeURIComponent(String(entry.remoteId))}`,
			allowStatuses: [404],
		});
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

/** The message for an update whose record is gone: it was deleted after this run read it. */
export function vanishedReason(idField: string, remoteId: unknown): string {
	return `The remote record (${idField} ${String(remoteId)}) no longer exists: it was deleted after this run read it, so nothing was updated. Run the sync again to plan it anew.`;
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
	let reason = (error as Error).message;
	if (stage === 'update' && httpCode === '404') {
		reason = `${vanishedReason(settings.resource.idField, (entry as PlannedUpdate).remoteId)} (${reason})`;
	}
	return {
		kind: 'failed',
		itemIndex: 'itemIndex' in entry ? entry.itemIndex : undefined,
		match: entry.match,
		stage,
		reason,
		httpCode: httpCode ?? undefined,
		uncertain: forceUncertain || !refused,
		entry,
	};
}
