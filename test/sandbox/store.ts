/**
 * In-memory records per account and domain. Each table keeps a Map by id (insertion order = id order, since ids
 * only increase), a unique-value index and small caches so that paging through large lists stays cheap.
 */
import { ACCOUNTS, FIRST_IDS, SEED, SEED_TIMESTAMP } from './fixtures';
import { DOMAINS, DOMAIN_NAMES, type DomainName, type DomainSpec, type SandboxRecord, type ValidationContext } from './domains';

/**
 * How a field is stored, like a typed database column, so values can come back with another type than sent:
 * - `number`: numeric text is stored as a JSON number (`"10.50"` → `10.5`, `"0042"` → `42`); inside objects and
 *   arrays too, where `null` members are also dropped (as document stores do);
 * - `text`: stored as text (`42` → `"42"`), leading zeros kept.
 * Fields without a type are stored as sent.
 */
export type FieldType = 'number' | 'text';

/** Shape of the reply to `POST /{domain}?bulk` (undocumented for the real API, so tests try the common ones). */
export type BulkReplyShape = 'results' | 'resource' | 'list' | 'none';
/**
 * How one rejected record is reported inside a bulk reply: `error` (default, `{"error": "..."}`), or shapes other
 * APIs use: `status` (`{"status": "error", "message": "..."}`), `ok` (`{"ok": false, "message": "..."}`), and
 * `message` (`{"message": "..."}`: no id and nothing that says it failed).
 */
export type BulkErrorShape = 'error' | 'status' | 'ok' | 'message';

/** A committed write, for {@link SandboxStore.onCommit}. */
export interface CommitEvent {
	account: string;
	domain: DomainName;
	id: number;
	kind: 'create' | 'update';
}

const NUMERIC_TEXT = /^-?\d+(\.\d+)?$/;

function storedAs(type: FieldType | undefined, value: unknown): unknown {
	if (type === undefined || value === undefined || value === null) return value;
	if (type === 'text') return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
	if (typeof value === 'string') return NUMERIC_TEXT.test(value.trim()) ? Number(value.trim()) : value;
	if (Array.isArray(value)) return value.map((entry) => storedAs(type, entry));
	if (typeof value === 'object') {
		const result: SandboxRecord = {};
		for (const [key, member] of Object.entries(value)) if (member !== null) result[key] = storedAs(type, member);
		return result;
	}
	return value;
}

/** Formats a date like the API: ISO 8601 UTC with second precision, e.g. 2026-11-22T16:17:20Z. */
export function formatTimestamp(date: Date): string {
	return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** One account's records of one domain. */
export class Table {
	readonly records = new Map<number, SandboxRecord>();
	/** Increases on every change; caches compare against it. */
	version = 0;
	private readonly uniqueIndex = new Map<string, Set<number>>();
	private ordered: { version: number; rows: SandboxRecord[] } = { version: -1, rows: [] };
	private listCache = new Map<string, { version: number; rows: SandboxRecord[] }>();

	constructor(readonly spec: DomainSpec) {}

	/** All records in id order (cached until the next change). Do not mutate. */
	rows(): SandboxRecord[] {
		if (this.ordered.version !== this.version) {
			this.ordered = { version: this.version, rows: Array.from(this.records.values()) };
		}
		return this.ordered.rows;
	}

	/** Result of `compute` for this query key, reused while the table is unchanged. */
	cachedQuery(key: string, compute: () => SandboxRecord[]): SandboxRecord[] {
		const hit = this.listCache.get(key);
		if (hit && hit.version === this.version) return hit.rows;
		const rows = compute();
		if (this.listCache.size >= 8) this.listCache.clear();
		this.listCache.set(key, { version: this.version, rows });
		return rows;
	}

	uniqueTaken(value: string, exceptId?: number): boolean {
		const ids = this.uniqueIndex.get(value);
		if (!ids) return false;
		for (const id of ids) if (id !== exceptId) return true;
		return false;
	}

	put(id: number, record: SandboxRecord): void {
		const previous = this.records.get(id);
		if (previous) this.unindex(id, previous);
		this.records.set(id, record);
		this.index(id, record);
		this.version += 1;
	}

	delete(id: number): boolean {
		const previous = this.records.get(id);
		if (!previous) return false;
		this.unindex(id, previous);
		this.records.delete(id);
		this.version += 1;
		return true;
	}

	private uniqueValue(record: SandboxRecord): string | undefined {
		const field = this.spec.uniqueField;
		if (!field) return undefined;
		const value = record[field];
		return value === undefined || value === null || value === '' ? undefined : String(value);
	}

	private index(id: number, record: SandboxRecord): void {
		const value = this.uniqueValue(record);
		if (value === undefined) return;
		const ids = this.uniqueIndex.get(value) ?? new Set<number>();
		ids.add(id);
		this.uniqueIndex.set(value, ids);
	}

	private unindex(id: number, record: SandboxRecord): void {
		const value = this.uniqueValue(record);
		if (value === undefined) return;
		const ids = this.uniqueIndex.get(value);
		ids?.delete(id);
		if (ids && ids.size === 0) this.uniqueIndex.delete(value);
	}
}

/**
 * Direct access to the sandbox's data, per account, for test setup and assertions.
 * Methods documented as returning copies never expose live records; `insert`/`update`/`replace` skip the API's
 * validation (so tests can set up odd data) but keep ids and timestamps consistent: `created`/`last_modified` are
 * set from the sandbox clock unless the data provides them.
 */
export class SandboxStore {
	private readonly accounts = new Map<string, Map<DomainName, Table>>();
	private nextIds: Record<DomainName, number> = { ...FIRST_IDS };
	private fieldTypes = new Map<DomainName, Record<string, FieldType>>();
	/** Shape of bulk replies; default `results` (`{"success": ..., "results": [...]}`). Reset by `reset()`. */
	bulkReplyShape: BulkReplyShape = 'results';
	/** How a rejected record is reported in a bulk reply; default `error`. Reset by `reset()`. */
	bulkErrorShape: BulkErrorShape = 'error';
	/** Whether a written record's entry in a bulk reply carries its id; default true. Reset by `reset()`. */
	bulkReplyIds = true;
	/**
	 * Called after every committed create or update through the API (not `insert`/`update` of tests). A hook that
	 * throws makes the request answer 500 after the write was applied: a lost answer. Reset by `reset()`.
	 */
	onCommit: ((event: CommitEvent) => void) | undefined;

	/** @param clock the sandbox clock (read on every write). */
	constructor(private readonly clock: () => Date) {}

	/** Accounts that have any table (seeded or written to). */
	accountIds(): string[] {
		return Array.from(this.accounts.keys());
	}

	/** Copies of all records of a domain in an account, in id order. */
	list(account: string, domain: DomainName): SandboxRecord[] {
		return this.table(account, domain).rows().map(copy);
	}

	/** Copy of one record, or undefined. */
	get(account: string, domain: DomainName, id: number): SandboxRecord | undefined {
		const record = this.table(account, domain).records.get(id);
		return record ? copy(record) : undefined;
	}

	count(account: string, domain: DomainName): number {
		return this.table(account, domain).records.size;
	}

	/** Adds a record without validation; returns a copy with its new id. */
	insert(account: string, domain: DomainName, data: SandboxRecord): SandboxRecord {
		return copy(this.create(account, domain, data));
	}

	/** Merges `patch` into a record without validation; returns a copy, or undefined when it does not exist. */
	update(account: string, domain: DomainName, id: number, patch: SandboxRecord): SandboxRecord | undefined {
		const record = this.patch(account, domain, id, patch);
		return record ? copy(record) : undefined;
	}

	/** Replaces a record's fields (keeping id and `created`) without validation. */
	replace(account: string, domain: DomainName, id: number, data: SandboxRecord): SandboxRecord | undefined {
		const record = this.replaceFields(account, domain, id, data);
		return record ? copy(record) : undefined;
	}

	/** Deletes a record; false when it did not exist. */
	remove(account: string, domain: DomainName, id: number): boolean {
		return this.table(account, domain).delete(id);
	}

	/** Removes all records of one account, or of every account. Ids keep increasing. */
	clear(account?: string): void {
		if (account === undefined) this.accounts.clear();
		else this.accounts.delete(account);
	}

	/** Stores these fields of a domain typed (see {@link FieldType}), until `reset()`. */
	setFieldTypes(domain: DomainName, types: Record<string, FieldType>): void {
		this.fieldTypes.set(domain, { ...this.fieldTypes.get(domain), ...types });
	}

	/** Removes everything, restarts ids at FIRST_IDS and optionally seeds the demo records. */
	reset(seed: boolean): void {
		this.fieldTypes.clear();
		this.bulkReplyShape = 'results';
		this.bulkErrorShape = 'error';
		this.bulkReplyIds = true;
		this.onCommit = undefined;
		this.accounts.clear();
		this.nextIds = { ...FIRST_IDS };
		if (seed) this.seed();
	}

	/** @internal The live table (created on first use). */
	table(account: string, domain: DomainName): Table {
		let tables = this.accounts.get(account);
		if (!tables) {
			tables = new Map(DOMAIN_NAMES.map((name) => [name, new Table(DOMAINS[name])]));
			this.accounts.set(account, tables);
		}
		return tables.get(domain) as Table;
	}

	/** @internal Lookups for validation within one account. */
	validationContext(account: string, domain: DomainName): ValidationContext {
		return {
			clientExists: (id) => this.table(account, 'clients').records.has(id),
			uniqueTaken: (value, exceptId) => this.table(account, domain).uniqueTaken(value, exceptId),
		};
	}

	/** @internal Creates a record and returns the live object. */
	create(account: string, domain: DomainName, data: SandboxRecord): SandboxRecord {
		const spec = DOMAINS[domain];
		const id = this.nextIds[domain]++;
		const now = this.now();
		const record: SandboxRecord = { [spec.idField]: id, ...this.typed(domain, without(data, spec.idField)) };
		if (spec.hasCreated && record.created === undefined) record.created = now;
		if (record.last_modified === undefined) record.last_modified = now;
		this.table(account, domain).put(id, record);
		return record;
	}

	/** @internal Partial update; returns the live object or undefined. */
	patch(account: string, domain: DomainName, id: number, patch: SandboxRecord): SandboxRecord | undefined {
		const table = this.table(account, domain);
		const current = table.records.get(id);
		if (!current) return undefined;
		const record: SandboxRecord = { ...current, ...this.typed(domain, without(patch, table.spec.idField)) };
		if (patch.last_modified === undefined) record.last_modified = this.now();
		table.put(id, record);
		return record;
	}

	/** @internal Full replace; omitted fields are removed. Returns the live object or undefined. */
	replaceFields(account: string, domain: DomainName, id: number, data: SandboxRecord): SandboxRecord | undefined {
		const table = this.table(account, domain);
		const current = table.records.get(id);
		if (!current) return undefined;
		const record: SandboxRecord = { [table.spec.idField]: id, ...this.typed(domain, without(data, table.spec.idField)) };
		if (table.spec.hasCreated) record.created = current.created;
		if (record.last_modified === undefined) record.last_modified = this.now();
		table.put(id, record);
		return record;
	}

	/** @internal Tells the `onCommit` hook about a write the API just applied. */
	committed(event: CommitEvent): void {
		this.onCommit?.(event);
	}

	private typed(domain: DomainName, data: SandboxRecord): SandboxRecord {
		const types = this.fieldTypes.get(domain);
		if (!types) return data;
		const result: SandboxRecord = {};
		for (const [field, value] of Object.entries(data)) result[field] = storedAs(types[field], value);
		return result;
	}

	private now(): string {
		return formatTimestamp(this.clock());
	}

	private seed(): void {
		const stamped = (data: SandboxRecord): SandboxRecord => ({
			...data,
			created: SEED_TIMESTAMP,
			last_modified: SEED_TIMESTAMP,
		});
		for (const client of SEED.ownerClients) this.create(ACCOUNTS.owner, 'clients', stamped(client));
		for (const account of ACCOUNTS.portalClients) {
			this.create(account, 'clients', stamped(SEED.portalClientClient(account)));
		}
		for (const item of SEED.ownerStockitems) this.create(ACCOUNTS.owner, 'stockitems', { ...item, last_modified: SEED_TIMESTAMP });
		this.create(ACCOUNTS.owner, 'invoices', { ...SEED.ownerInvoice, last_modified: SEED_TIMESTAMP });
		for (const account of [ACCOUNTS.other, ACCOUNTS.portal]) this.table(account, 'clients');
	}
}

/** The body of a bulk reply in the given shape. */
/** One rejected record's entry in a bulk reply, in the configured shape. */
export function bulkErrorEntry(shape: BulkErrorShape, message: string): Record<string, unknown> {
	switch (shape) {
		case 'error':
			return { error: message };
		case 'status':
			return { status: 'error', message };
		case 'ok':
			return { ok: false, message };
		case 'message':
			return { message };
	}
}

export function bulkReplyBody(shape: BulkReplyShape, domain: DomainName, results: unknown[]): unknown {
	switch (shape) {
		case 'results':
			return { success: 'bulk processed', results };
		case 'resource':
			return { success: 'bulk processed', [domain]: results };
		case 'list':
			return results;
		case 'none':
			return { success: 'bulk processed' };
	}
}

/** A shallow copy of `data` without `field`. */
export function without(data: SandboxRecord, ...fields: string[]): SandboxRecord {
	const result: SandboxRecord = { ...data };
	for (const field of fields) delete result[field];
	return result;
}

function copy(record: SandboxRecord): SandboxRecord {
	return structuredClone(record);
}
