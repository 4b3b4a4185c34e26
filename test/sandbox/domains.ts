/**
 * The record domains the sandbox serves, their id fields and validation rules.
 */

/** Domains with records in the sandbox. */
export type DomainName = 'clients' | 'stockitems' | 'invoices';

/** A stored record: plain JSON-like fields. */
export type SandboxRecord = Record<string, unknown>;

export interface DomainSpec {
	name: DomainName;
	idField: string;
	/** Used in messages: "client created", "client not found". */
	singular: string;
	/** Whether `POST /{domain}?bulk` is supported. */
	bulk: boolean;
	/** Whether records carry a `created` timestamp. */
	hasCreated: boolean;
	/** Field whose non-empty values must be unique per account. */
	uniqueField?: string;
}

export const DOMAINS: Readonly<Record<DomainName, DomainSpec>> = {
	clients: { name: 'clients', idField: 'client_id', singular: 'client', bulk: true, hasCreated: true },
	stockitems: {
		name: 'stockitems',
		idField: 'stockitem_id',
		singular: 'stockitem',
		bulk: true,
		hasCreated: false,
		uniqueField: 'code',
	},
	invoices: { name: 'invoices', idField: 'invoice_id', singular: 'invoice', bulk: false, hasCreated: false },
};

export const DOMAIN_NAMES = Object.keys(DOMAINS) as DomainName[];

/** Every domain of the real API; API key rights can name any of them. */
export const API_DOMAINS = [
	'clients',
	'invoices',
	'stockitems',
	'quotes',
	'orders',
	'deliveries',
	'receipts',
	'subscriptions',
	'projects',
	'activities',
	'purchases',
] as const;

/** Fields the server sets itself; values sent by clients are ignored. */
export const SERVER_FIELDS = ['created', 'last_modified'];

export function isDomainName(name: string): name is DomainName {
	return Object.prototype.hasOwnProperty.call(DOMAINS, name);
}

/** Lookups validation needs from the account's data. */
export interface ValidationContext {
	clientExists(id: number): boolean;
	/** True when another record (not `exceptId`) of the domain uses this unique value. */
	uniqueTaken(value: string, exceptId?: number): boolean;
}

/** Returns the first validation error of a complete record, or undefined when it is valid. */
export function validateRecord(
	domain: DomainName,
	record: SandboxRecord,
	ctx: ValidationContext,
	ownId?: number,
): string | undefined {
	switch (domain) {
		case 'clients':
			return validateClient(record);
		case 'stockitems':
			return validateStockitem(record, ctx, ownId);
		case 'invoices':
			return validateInvoice(record, ctx);
	}
}

function validateClient(record: SandboxRecord): string | undefined {
	return (
		required(record, 'name') ??
		maxLength(record, 'name', 75) ??
		maxLength(record, 'external_client_id', 50)
	);
}

function validateStockitem(record: SandboxRecord, ctx: ValidationContext, ownId?: number): string | undefined {
	const error = required(record, 'code') ?? maxLength(record, 'code', 20) ?? required(record, 'description');
	if (error) return error;
	const code = String(record.code);
	return ctx.uniqueTaken(code, ownId) ? `code must be unique: ${code} is already used by another stockitem` : undefined;
}

function validateInvoice(record: SandboxRecord, ctx: ValidationContext): string | undefined {
	const error = required(record, 'client_id');
	if (error) return error;
	const clientId = Number(record.client_id);
	if (!Number.isInteger(clientId) || !ctx.clientExists(clientId)) {
		return `client_id ${String(record.client_id)} does not exist`;
	}
	if (record.items !== undefined && record.items !== null && !Array.isArray(record.items)) {
		return 'items must be a list';
	}
	return undefined;
}

function required(record: SandboxRecord, field: string): string | undefined {
	const value = record[field];
	const missing = value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
	return missing ? `${field} is required` : undefined;
}

function maxLength(record: SandboxRecord, field: string, max: number): string | undefined {
	const value = record[field];
	if (value === undefined || value === null) return undefined;
	return String(value).length > max ? `${field} must be at most ${max} characters` : undefined;
}
