import type { IDataObject } from 'n8n-workflow';

/** Settings for turning match field values into a comparable key. */
export interface MatchSettings {
	matchFields: string[];
	/** Compare match values case-insensitively (they are always trimmed). */
	caseInsensitive: boolean;
}

/** Separator that cannot appear in a normalised value, so ("a", "b c") and ("a b", "c") differ. */
const KEY_SEPARATOR = '\u001f';

/** Normalises one match value: trimmed text, optionally lower-cased; empty values give ''. */
export function normaliseMatchValue(value: unknown, caseInsensitive: boolean): string {
	if (value === undefined || value === null) return '';
	const text = (typeof value === 'object' ? JSON.stringify(value) : String(value)).trim();
	return caseInsensitive ? text.toLocaleLowerCase('en') : text;
}

/**
 * The record's match key, or undefined when any match field is empty (such a record cannot be matched).
 */
export function matchKeyOf(record: IDataObject, settings: MatchSettings): string | undefined {
	const parts: string[] = [];
	for (const field of settings.matchFields) {
		const part = normaliseMatchValue(record[field], settings.caseInsensitive);
		if (part === '') return undefined;
		parts.push(part);
	}
	return parts.join(KEY_SEPARATOR);
}

/** The match fields and their values as given, for output items. */
export function matchValuesOf(record: IDataObject, matchFields: string[]): IDataObject {
	const values: IDataObject = {};
	for (const field of matchFields) values[field] = record[field] ?? null;
	return values;
}

function isEmpty(value: unknown): boolean {
	return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

function canonical(value: unknown): string {
	if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
	if (value && typeof value === 'object') {
		const entries = Object.keys(value as IDataObject)
			.sort()
			.map((k) => `${JSON.stringify(k)}:${canonical((value as IDataObject)[k])}`);
		return `{${entries.join(',')}}`;
	}
	return JSON.stringify(value ?? null);
}

/**
 * Whether a mapped value already equals the remote value, the way an API round-trips data:
 * empty, null and missing are equal; numbers equal their numeric text ("10.50" = 10.5);
 * text is compared trimmed; objects and arrays by content, key order ignored.
 */
export function valuesEqual(local: unknown, remote: unknown): boolean {
	if (local === remote) return true;
	if (isEmpty(local) && isEmpty(remote)) return true;
	if (isEmpty(local) || isEmpty(remote)) return false;
	if (typeof local === 'object' || typeof remote === 'object') return canonical(local) === canonical(remote);
	const a = String(local).trim();
	const b = String(remote).trim();
	if (a === b) return true;
	const numeric = /^-?\d+(\.\d+)?$/;
	if (numeric.test(a) && numeric.test(b)) return Number(a) === Number(b);
	if (typeof local === 'boolean' || typeof remote === 'boolean') return a.toLowerCase() === b.toLowerCase();
	return false;
}

/** The fields whose mapped value differs from the remote record, ignoring `ignoreFields`. */
export function changedFields(local: IDataObject, remote: IDataObject, ignoreFields: ReadonlySet<string>): IDataObject {
	const changes: IDataObject = {};
	for (const [field, value] of Object.entries(local)) {
		if (ignoreFields.has(field)) continue;
		if (!valuesEqual(value, remote[field])) changes[field] = value;
	}
	return changes;
}
