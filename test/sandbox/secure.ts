/**
 * Small crypto helpers for comparing and issuing secrets.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** SHA-256 digest of a UTF-8 string. */
export function digest(value: string): Buffer {
	return createHash('sha256').update(value, 'utf8').digest();
}

/** Constant-time string comparison (both sides are hashed, so lengths may differ). */
export function safeEqual(a: string, b: string): boolean {
	return timingSafeEqual(digest(a), digest(b));
}

/** Constant-time comparison of a precomputed digest with a candidate digest. */
export function digestEqual(a: Buffer, b: Buffer): boolean {
	return a.length === b.length && timingSafeEqual(a, b);
}

/** A random URL-safe token with a readable prefix. */
export function randomToken(prefix: string, bytes = 18): string {
	return prefix + randomBytes(bytes).toString('base64url');
}
