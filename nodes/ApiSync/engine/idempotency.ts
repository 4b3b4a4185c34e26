import { createHash, randomUUID } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

/**
 * What makes one Sync run's writes its own: the execution, the node, a value drawn once per run of the node (a node
 * can run several times in one execution, e.g. in a loop), and where the writes go (Base URL and effective account).
 */
export interface IdempotencyScope {
	executionId: string;
	nodeId: string;
	/** Drawn once per run of the node ({@link newRunId}). */
	runId: string;
	baseUrl: string;
	/** The effective account: the node's Account ID, else the credential's; empty for the default account. */
	account: string;
}

/** A value that no other run of any node ever draws again. */
export function newRunId(): string {
	return randomUUID();
}

/**
 * The idempotency key of one intended write: SHA-256 (hex) of the run's scope, the method, the path, the record's
 * match values and the body. A request sent again within the run (a retry after a lost answer, or the write of a
 * re-read record that was not applied) carries the same key, so an API that honours keys applies it once; a write of
 * another run — the same values again next hour, a record re-created after someone deleted it, another account —
 * always carries a new key, so no API answers it from its replay store.
 */
export function idempotencyKeyFor(
	scope: IdempotencyScope,
	method: string,
	path: string,
	match: IDataObject | null,
	body: unknown,
): string {
	const { executionId, nodeId, runId, baseUrl, account } = scope;
	return createHash('sha256')
		.update(JSON.stringify([executionId, nodeId, runId, baseUrl, account, method.toUpperCase(), path, match, body]))
		.digest('hex');
}
