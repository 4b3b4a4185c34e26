import type { IDataObject, IHttpRequestMethods } from 'n8n-workflow';

import type { ResolvedResource } from '../../shared/resources';
import type { ApiClient, ApiRequest } from '../../shared/transport';
import type { PlannedCreate, PlannedDelete, PlannedUpdate, SyncPlan } from './plan';
import { chunk, runPool, type RateLimiter } from './schedule';

export interface ApplySettings {
	resource: ResolvedResource;
	/** Send creates and updates through `POST {path}?bulk`, at most `bulkSize` per call. */
	useBulk: boolean;
	bulkSize: number;
	concurrency: number;
	limiter: RateLimiter;
	/** Extra headers for every write (e.g. X-AccountId). */
	headers?: Record<string, string>;
}

export type Outcome =
	| { kind: 'created'; itemIndex: number; match: IDataObject; remoteId: unknown; record: IDataObject }
	| { kind: 'updated'; itemIndex: number; match: IDataObject; remoteId: unknown; changes: IDataObject }
	| { kind: 'deleted'; match: IDataObject; remoteId: unknown; remote: IDataObject }
	| {
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

type Write = { op: 'create'; entry: PlannedCreate } | { op: 'update'; entry: PlannedUpdate };

/**
 * Applies a plan's writes with bounded concurrency and the run's rate limit. Each failure is an
 * outcome of its own, so one bad record never stops the others. Bulk calls go 100 at a time; a
 * record the bulk call rejects is retried alone.
 */
export async function applyPlan(client: ApiClient, plan: SyncPlan, settings: ApplySettings): Promise<Outcome[]> {
	const writes: Write[] = [
		...plan.creates.map((entry) => ({ op: 'create' as const, entry })),
		...plan.updates.map((entry) => ({ op: 'update' as const, entry })),
	];
	const request = async (req: ApiRequest) => {
		await settings.limiter.acquire();
		return await client.request<IDataObject>({ ...req, headers: { ...settings.headers, ...req.headers } });
	};

	let writeOutcomes: Outcome[];
	if (settings.useBulk && settings.resource.bulk) {
		const batches = await runPool(chunk(writes, settings.bulkSize), settings.concurrency, (batch) =>
			applyBulk(batch, request, settings),
		);
		writeOutcomes = batches.flat();
	} else {
		writeOutcomes = await runPool(writes, settings.concurrency, (write) => applySingle(write, request, settings));
	}
	const deleteOutcomes = await runPool(plan.deletes, settings.concurrency, (entry) => applyDelete(entry, request, settings));
	return [...writeOutcomes, ...deleteOutcomes];
}

type Send = (req: ApiRequest) => Promise<{ status: number; body: IDataObject }>;

async function applySingle(write: Write, send: Send, settings: ApplySettings): Promise<Outcome> {
	const { resource } = settings;
	try {
		if (write.op === 'create') {
			const response = await send({ method: 'POST', path: resource.path, body: write.entry.record });
			return created(write.entry, response.body?.[resource.idField] ?? null);
		}
		const { entry } = write;
		const body = resource.updateMethod === 'PUT' ? entry.record : entry.changes;
		await send({ method: resource.updateMethod as IHttpRequestMethods, path: `${resource.path}/${encodeURIComponent(String(entry.remoteId))}`, body });
		return updated(entry);
	} catch (error) {
		return failed(write.entry, write.op, error);
	}
}

async function applyBulk(batch: Write[], send: Send, settings: ApplySettings): Promise<Outcome[]> {
	const { resource } = settings;
	const domain = resource.path.replace(/^\/+/, '');
	const payload = batch.map((write) =>
		write.op === 'create' ? write.entry.record : { [resource.idField]: write.entry.remoteId, ...write.entry.changes },
	);
	let results: unknown;
	try {
		const response = await send({ method: 'POST', path: resource.path, query: { bulk: '' }, body: { [domain]: payload } });
		results = response.body?.results;
	} catch (error) {
		const httpCode = (error as { httpCode?: string }).httpCode;
		// The API refused the whole call (e.g. one invalid record): each record is tried alone.
		if (httpCode && /^4\d\d$/.test(httpCode) && httpCode !== '429') {
			return await Promise.all(batch.map((write) => applySingle(write, send, settings)));
		}
		return batch.map((write) => failed(write.entry, write.op, error));
	}
	if (!Array.isArray(results) || results.length !== batch.length) {
		// The bulk response shape is not documented: without one result per record, re-read to find out.
		return batch.map((write) =>
			failed(write.entry, write.op, new Error('The bulk response did not list one result per record'), true),
		);
	}
	const outcomes: Outcome[] = [];
	for (let i = 0; i < batch.length; i++) {
		const write = batch[i];
		const result = (results[i] ?? {}) as IDataObject;
		if (result.error === undefined) {
			outcomes.push(write.op === 'create' ? created(write.entry, result[resource.idField] ?? null) : updated(write.entry));
		} else {
			outcomes.push(await applySingle(write, send, settings));
		}
	}
	return outcomes;
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
		return failed(entry, 'delete', error);
	}
}

function created(entry: PlannedCreate, remoteId: unknown): Outcome {
	return { kind: 'created', itemIndex: entry.itemIndex, match: entry.match, remoteId, record: entry.record };
}

function updated(entry: PlannedUpdate): Outcome {
	const changes: IDataObject = {};
	for (const [field, to] of Object.entries(entry.changes)) changes[field] = { from: entry.remote[field] ?? null, to };
	return { kind: 'updated', itemIndex: entry.itemIndex, match: entry.match, remoteId: entry.remoteId, changes };
}

function failed(
	entry: PlannedCreate | PlannedUpdate | PlannedDelete,
	stage: 'create' | 'update' | 'delete',
	error: unknown,
	forceUncertain = false,
): Outcome {
	const httpCode = (error as { httpCode?: string | null }).httpCode ?? undefined;
	// A 4xx (other than 429) means the API looked at the request and refused it: nothing was written.
	const refused = typeof httpCode === 'string' && /^4\d\d$/.test(httpCode) && httpCode !== '429';
	return {
		kind: 'failed',
		itemIndex: 'itemIndex' in entry ? entry.itemIndex : undefined,
		match: entry.match,
		stage,
		reason: (error as Error).message,
		httpCode: httpCode ?? undefined,
		uncertain: forceUncertain || !refused,
		entry,
	};
}
