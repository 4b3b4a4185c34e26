import { createHash } from 'crypto';

/**
 * JSON with object keys sorted at every level, so that the same content always gives the same
 * text whatever order the API sends fields in. Array order is kept (it is part of the content).
 */
export function canonicalJson(value: unknown): string {
	// As JSON would send it: a value with toJSON (a JS Date, a Luxon DateTime, a decimal type) is its JSON form,
	// not its own keys (a Date has none: every Date would otherwise read `{}`).
	if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
		return canonicalJson((value as { toJSON: () => unknown }).toJSON());
	}
	// JSON.stringify throws on a BigInt; its digits are what it stands for.
	if (typeof value === 'bigint') return value.toString();
	if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
	if (Array.isArray(value)) return `[${value.map((entry) => canonicalJson(entry ?? null)).join(',')}]`;
	const entries = Object.keys(value)
		.sort()
		.filter((key) => (value as Record<string, unknown>)[key] !== undefined)
		.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
	return `{${entries.join(',')}}`;
}

/** Characters of the SHA-256 digest (base64url) kept per record: 72 bits, enough to notice a change. */
export const HASH_LENGTH = 12;

/**
 * A short fingerprint of a record's content: SHA-256 of its canonical JSON, base64url, first
 * {@link HASH_LENGTH} characters. Two versions of a record get different hashes unless SHA-256
 * collides in those 72 bits (about 1 in 4.7·10^21 per change).
 */
export function contentHash(record: unknown): string {
	return createHash('sha256').update(canonicalJson(record)).digest('base64url').slice(0, HASH_LENGTH);
}
