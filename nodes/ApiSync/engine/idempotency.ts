import { createHash } from 'crypto';

import type { IDataObject } from 'n8n-workflow';

/**
 * A stable idempotency key for one write: SHA-256 (hex) of method, path, the record's match values and
 * the body. A re-run after a lost answer sends the same key for the same write, so an API that honours
 * idempotency keys applies it once.
 */
export function idempotencyKeyFor(method: string, path: string, match: IDataObject | null, body: unknown): string {
	return createHash('sha256').update(JSON.stringify([method.toUpperCase(), path, match, body])).digest('hex');
}
