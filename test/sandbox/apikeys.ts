/**
 * API keys: the fixture keys plus keys issued through `POST /apikeys`, and their rights.
 */
import { API_KEYS } from './fixtures';
import { API_DOMAINS } from './domains';
import { digest, digestEqual, randomToken } from './secure';

export interface ApiKeyEntry {
	/** 0 for fixture keys. */
	id: number;
	/** Safe to log: `fixture-key-1`, `apikey-3`. */
	label: string;
	name: string;
	accounts: string[];
	defaultAccount: string;
	/** null means all rights. */
	rights: string[] | null;
	/** Epoch ms (real time) of creation. */
	createdAt: number;
	keyDigest: Buffer;
}

/** What `GET /__sandbox/store/{account}/apikeys` shows: never the key itself. */
export type ApiKeyInfo = Omit<ApiKeyEntry, 'keyDigest'>;

/** Rights a key can hold: a domain name (full access) or `<domain>:read` (GET only). */
export const KNOWN_RIGHTS: readonly string[] = API_DOMAINS.flatMap((domain) => [domain, `${domain}:read`]);

export type RightsResult = { ok: true; rights: string[] | null } | { ok: false; message: string };

/** Validates the `rights` body field; absent or empty means all rights (null). */
export function parseRights(value: unknown): RightsResult {
	if (value === undefined || value === null) return { ok: true, rights: null };
	if (!Array.isArray(value)) return { ok: false, message: 'rights must be a list' };
	const rights: string[] = [];
	for (const right of value) {
		if (typeof right !== 'string' || !KNOWN_RIGHTS.includes(right)) {
			return { ok: false, message: `unknown right: ${String(right)}` };
		}
		if (!rights.includes(right)) rights.push(right);
	}
	return { ok: true, rights: rights.length ? rights : null };
}

/** Whether `rights` allow `method` on `domain`. */
export function hasRight(rights: string[] | null, method: string, domain: string): boolean {
	if (rights === null) return true;
	if (rights.includes(domain)) return true;
	return method === 'GET' && rights.includes(`${domain}:read`);
}

export class ApiKeyRegistry {
	private entries: ApiKeyEntry[] = [];
	private nextId = 1;

	constructor() {
		this.reset();
	}

	/** Forgets issued keys; fixture keys stay. */
	reset(): void {
		this.nextId = 1;
		this.entries = API_KEYS.map((key, index) => ({
			id: 0,
			label: `fixture-key-${index + 1}`,
			name: `fixture key ${index + 1}`,
			accounts: [...key.accounts],
			defaultAccount: key.defaultAccount,
			rights: key.rights ? [...key.rights] : null,
			createdAt: Date.now(),
			keyDigest: digest(key.key),
		}));
	}

	/** The entry for a presented key (constant-time comparison of digests), or undefined. */
	find(key: string): ApiKeyEntry | undefined {
		const presented = digest(key);
		let found: ApiKeyEntry | undefined;
		for (const entry of this.entries) {
			if (digestEqual(entry.keyDigest, presented)) found = entry;
		}
		return found;
	}

	/** Issues a new key for one account; returns the entry and the key (shown once). */
	issue(name: string, rights: string[] | null, account: string): { entry: ApiKeyEntry; key: string } {
		const key = randomToken('ef-key-', 24);
		const id = this.nextId++;
		const entry: ApiKeyEntry = {
			id,
			label: `apikey-${id}`,
			name,
			accounts: [account],
			defaultAccount: account,
			rights,
			createdAt: Date.now(),
			keyDigest: digest(key),
		};
		this.entries.push(entry);
		return { entry, key };
	}

	/** Issued keys (fixture keys excluded), optionally of one account, without secrets. */
	issued(account?: string): ApiKeyInfo[] {
		return this.entries
			.filter((entry) => entry.id > 0 && (account === undefined || entry.defaultAccount === account))
			.map((entry) => {
				const info: ApiKeyInfo & { keyDigest?: Buffer } = { ...entry };
				delete info.keyDigest;
				return info;
			});
	}
}
