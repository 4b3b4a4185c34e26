/**
 * List queries: `skip`/`take` paging, `filter`, `search`, `fields` and `sort`, as the API documents them.
 */
import type { SandboxRecord } from './domains';

export type FilterOperator = '=' | '!=' | '<=' | '>=' | '<' | '>' | '=~';

export interface FilterCondition {
	field: string;
	op: FilterOperator;
	value: string;
}

export interface SortKey {
	field: string;
	descending: boolean;
}

export interface ListQuery {
	skip: number;
	take: number;
	filters: FilterCondition[];
	search?: string;
	fields?: string[];
	sort: SortKey[];
}

export const DEFAULT_TAKE = 50;
export const MAX_TAKE = 100;

/** Longest operators first, so `<=` is not read as `<`. */
const OPERATORS: FilterOperator[] = ['=~', '!=', '<=', '>=', '=', '<', '>'];
const NUMERIC = /^\s*-?\d+(\.\d+)?\s*$/;

export type ParseResult = { ok: true; query: ListQuery } | { ok: false; message: string };

/** Reads the list parameters; an unreadable filter is an error. */
export function parseListQuery(params: URLSearchParams): ParseResult {
	const filters: FilterCondition[] = [];
	for (const part of splitList(params.get('filter'), ',')) {
		const condition = parseCondition(part);
		if (typeof condition === 'string') return { ok: false, message: condition };
		filters.push(condition);
	}
	const fields = splitList(params.get('fields'), ',');
	const search = params.get('search') ?? '';
	return {
		ok: true,
		query: {
			skip: Math.max(0, parseInteger(params.get('skip'), 0)),
			take: Math.min(MAX_TAKE, Math.max(1, parseInteger(params.get('take'), DEFAULT_TAKE))),
			filters,
			search: search === '' ? undefined : search.toLowerCase(),
			fields: fields.length ? fields : undefined,
			sort: splitList(params.get('sort'), /[ +]+/).map(parseSortKey),
		},
	};
}

/** A cache key for the filter/search/sort part of a query (paging and fields excluded). */
export function selectionKey(query: ListQuery): string {
	return JSON.stringify([query.filters, query.search ?? null, query.sort]);
}

/** True when the query needs no filtering or sorting. */
export function isPlainListing(query: ListQuery): boolean {
	return query.filters.length === 0 && query.search === undefined && query.sort.length === 0;
}

/** Filters, searches and sorts (stable; input is in id order). Returns a new array. */
export function selectRecords(records: SandboxRecord[], query: ListQuery): SandboxRecord[] {
	const selected = records.filter(
		(record) => query.filters.every((condition) => matches(record, condition)) && matchesSearch(record, query.search),
	);
	if (query.sort.length) selected.sort((a, b) => compareBySortKeys(a, b, query.sort));
	return selected;
}

/** Applies skip/take and `fields` to an already selected list. */
export function pageOf(records: SandboxRecord[], query: ListQuery): SandboxRecord[] {
	const page = records.slice(query.skip, query.skip + query.take);
	const fields = query.fields;
	if (!fields) return page;
	return page.map((record) => {
		const projected: SandboxRecord = {};
		for (const field of fields) if (field in record) projected[field] = record[field];
		return projected;
	});
}

function splitList(value: string | null, separator: string | RegExp): string[] {
	if (!value) return [];
	return value
		.split(separator)
		.map((part) => part.trim())
		.filter((part) => part !== '');
}

function parseInteger(value: string | null, fallback: number): number {
	if (value === null || !/^\s*-?\d+\s*$/.test(value)) return fallback;
	return Number.parseInt(value, 10);
}

function parseCondition(text: string): FilterCondition | string {
	const field = /^[A-Za-z0-9_.]+/.exec(text)?.[0];
	if (!field) return `invalid filter: ${text}`;
	const rest = text.slice(field.length);
	const op = OPERATORS.find((candidate) => rest.startsWith(candidate));
	if (!op) return `unknown filter operator in: ${text}`;
	return { field, op, value: rest.slice(op.length) };
}

function parseSortKey(text: string): SortKey {
	return text.startsWith('-') ? { field: text.slice(1), descending: true } : { field: text, descending: false };
}

function matches(record: SandboxRecord, condition: FilterCondition): boolean {
	const actual = record[condition.field];
	if (condition.op === '=~') return asText(actual).toLowerCase().includes(condition.value.toLowerCase());
	const order = compareValues(actual, condition.value);
	switch (condition.op) {
		case '=':
			return order === 0;
		case '!=':
			return order !== 0;
		case '<':
			return order < 0;
		case '<=':
			return order <= 0;
		case '>':
			return order > 0;
		case '>=':
			return order >= 0;
	}
}

function matchesSearch(record: SandboxRecord, term: string | undefined): boolean {
	if (term === undefined) return true;
	for (const value of Object.values(record)) {
		if (typeof value === 'string' && value.toLowerCase().includes(term)) return true;
	}
	return false;
}

function compareBySortKeys(a: SandboxRecord, b: SandboxRecord, keys: SortKey[]): number {
	for (const key of keys) {
		const order = compareValues(a[key.field], b[key.field]);
		if (order !== 0) return key.descending ? -order : order;
	}
	return 0;
}

/** Numeric comparison when both sides are numeric, otherwise string comparison (ISO dates sort as strings). */
export function compareValues(a: unknown, b: unknown): number {
	if (isNumeric(a) && isNumeric(b)) return Math.sign(Number(a) - Number(b));
	const left = asText(a);
	const right = asText(b);
	if (left < right) return -1;
	return left > right ? 1 : 0;
}

function isNumeric(value: unknown): boolean {
	if (typeof value === 'number') return Number.isFinite(value);
	return typeof value === 'string' && NUMERIC.test(value);
}

function asText(value: unknown): string {
	if (value === undefined || value === null) return '';
	if (typeof value === 'object') return JSON.stringify(value);
	return String(value);
}
