import type { IDataObject } from 'n8n-workflow';

/**
 * Numeric text: optional minus, digits, optional fraction, optional exponent ("42", "0042", "10.50", "-1e3").
 * Only ever compared numerically with a JSON number, never with other text.
 */
const NUMERIC_TEXT = /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/;

/** The number a trimmed text stands for, or undefined when it is not numeric text. */
function numberOfText(text: string): number | undefined {
	if (!NUMERIC_TEXT.test(text)) return undefined;
	const number = Number(text);
	return Number.isFinite(number) ? number : undefined;
}

function isPlainObject(value: unknown): value is IDataObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Empty, null and missing are the same to an API (and blank text is empty). So are an empty list and an object
 * whose members are all empty (`{}`): a form body sends them as an empty value like null (Stripe answers
 * `address: null` after `address=`), and Airtable leaves an emptied list field out of its answers.
 */
function isEmpty(value: unknown): boolean {
	return (
		value === undefined ||
		value === null ||
		(typeof value === 'string' && value.trim() === '') ||
		(Array.isArray(value) && value.length === 0) ||
		(isPlainObject(value) && Object.values(value).every(isEmpty))
	);
}

/** Text as compared: trimmed, Unicode NFC (a composed and a decomposed "é" are the same text). */
function comparableText(text: string): string {
	return text.trim().normalize('NFC');
}

/** An ISO 8601 date and time with a time zone: `2024-01-01T00:00:00Z`, `2024-01-01T01:00:00.000+01:00`, `…T00:00Z`. */
const ZONED_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?(?:([Zz])|([+-])(\d{2}):?(\d{2}))$/;

/**
 * The instant a date-time text with a time zone stands for (UTC milliseconds and the fraction below them, as text),
 * or undefined for any other text — a date alone, a time without a zone, or a day that does not exist.
 */
export function instantOf(text: string): string | undefined {
	const parts = ZONED_DATE_TIME.exec(text);
	if (!parts) return undefined;
	const [, year, month, day, hour, minute, second = '0', fraction = '', utc, sign, offsetHours = '0', offsetMinutes = '0'] = parts;
	const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number);
	if (h > 23 || mi > 59 || s > 59 || Number(offsetHours) > 23 || Number(offsetMinutes) > 59) return undefined;
	const date = new Date(0);
	date.setUTCFullYear(y, mo - 1, d);
	if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return undefined;
	const offset = utc ? 0 : (sign === '-' ? -1 : 1) * (Number(offsetHours) * 60 + Number(offsetMinutes));
	const ms = date.getTime() + ((h * 60 + mi - offset) * 60 + s) * 1000 + Number(fraction.slice(0, 3).padEnd(3, '0'));
	return `${ms}.${fraction.slice(3).padEnd(6, '0')}`;
}

/**
 * Whether a mapped value already equals the remote value, the way an API round-trips data:
 * - empty text, null, missing, an empty list and an empty object are equal;
 * - a number equals a number of the same value, and numeric text of the same value (`"10.50"` = `10.5`,
 *   `"0042"` = `42`): the API stored the text as a number;
 * - text equals text only when it is the same after trimming and NFC normalisation
 *   (`"01000"` ≠ `"1000"`, `"1.10"` ≠ `"1.1"`, `"0470123456"` ≠ `"470123456"`), or when both are ISO 8601
 *   date-times with a time zone for the same instant (`"2024-01-01T00:00:00.000Z"` = `"2024-01-01T01:00:00+01:00"`);
 * - `true`/`false` equal the text `"true"`/`"false"` (any case);
 * - arrays element by element, objects member by member (key order ignored), with these same rules
 *   inside them, so a `null` member equals a missing one.
 */
export function valuesEqual(local: unknown, remote: unknown): boolean {
	if (isEmpty(local) && isEmpty(remote)) return true;
	if (isEmpty(local) || isEmpty(remote)) return false;
	if (Array.isArray(local) || Array.isArray(remote)) {
		return (
			Array.isArray(local) &&
			Array.isArray(remote) &&
			local.length === remote.length &&
			local.every((entry, i) => valuesEqual(entry, remote[i]))
		);
	}
	if (isPlainObject(local) || isPlainObject(remote)) {
		if (!isPlainObject(local) || !isPlainObject(remote)) return false;
		const keys = new Set([...Object.keys(local), ...Object.keys(remote)]);
		for (const key of keys) if (!valuesEqual(local[key], remote[key])) return false;
		return true;
	}
	if (typeof local === 'number' || typeof remote === 'number') {
		const a = typeof local === 'string' ? numberOfText(local.trim()) : local;
		const b = typeof remote === 'string' ? numberOfText(remote.trim()) : remote;
		return typeof a === 'number' && typeof b === 'number' && a === b;
	}
	if (typeof local === 'boolean' || typeof remote === 'boolean') {
		return String(local).trim().toLowerCase() === String(remote).trim().toLowerCase();
	}
	if (typeof local === 'string' && typeof remote === 'string') {
		const [a, b] = [comparableText(local), comparableText(remote)];
		if (a === b) return true;
		// APIs reformat timestamps (HubSpot drops zero milliseconds, Shopify answers in the shop's time zone).
		const instant = instantOf(a);
		return instant !== undefined && instant === instantOf(b);
	}
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

/** Settings for turning match field values into a comparable key. */
export interface MatchSettings {
	matchFields: string[];
	/** Compare text case-insensitively, with full Unicode case folding (they are always trimmed and NFC). */
	caseInsensitive: boolean;
}

/** One match field's value as compared: text (normalised), or a JSON number. */
export type KeyPart = { text: string; number?: number } | { number: number; text?: undefined };

/**
 * A record's match key. Two keys match when every part matches: text with text exactly (after
 * normalisation), a number with a number numerically, text with a number when the text is numeric
 * text of that value (`"0042"` matches `42`, but not `"42"`).
 */
export interface MatchKey {
	parts: KeyPart[];
	/** Parts with every numeric value (numbers and numeric text) as that number: equal for any two keys that match. */
	bucket: string;
}

/**
 * Full case folding, locale-independent: `"STRASSE"`, `"Straße"` and `"strasse"` fold alike, as do
 * compatibility forms (NFKC: `"ﬁ"` = `"fi"`, full-width letters). Upper then lower case maps `ß` to `ss`.
 */
export function foldCase(text: string): string {
	return text.normalize('NFKC').toUpperCase().toLowerCase().normalize('NFKC');
}

function keyPartOf(value: unknown, caseInsensitive: boolean): KeyPart | undefined {
	if (isEmpty(value)) return undefined;
	if (typeof value === 'number') return Number.isFinite(value) ? { number: value === 0 ? 0 : value } : undefined;
	const raw = typeof value === 'object' ? JSON.stringify(value) : String(value);
	const trimmed = comparableText(raw);
	if (trimmed === '') return undefined;
	// A date-time with a time zone is its instant, as in valuesEqual.
	const instant = instantOf(trimmed);
	if (instant !== undefined) return { text: `instant ${instant}` };
	const text = caseInsensitive ? foldCase(trimmed) : trimmed;
	const number = numberOfText(text);
	return number === undefined ? { text } : { text, number: number === 0 ? 0 : number };
}

/** The record's match key, or undefined when any match field is empty (such a record cannot be matched). */
export function matchKeyOf(record: IDataObject, settings: MatchSettings): MatchKey | undefined {
	const parts: KeyPart[] = [];
	for (const field of settings.matchFields) {
		const part = keyPartOf(record[field], settings.caseInsensitive);
		if (part === undefined) return undefined;
		parts.push(part);
	}
	// JSON-encoded tuple: no separator a value could contain, so ("a", "b c") and ("a b", "c") differ.
	const bucket = JSON.stringify(parts.map((part) => (part.number !== undefined ? [part.number] : part.text)));
	return { parts, bucket };
}

function partsMatch(a: KeyPart, b: KeyPart): boolean {
	if (a.text !== undefined && b.text !== undefined) return a.text === b.text;
	return a.number !== undefined && a.number === b.number;
}

/** Whether two match keys identify the same record (see {@link MatchKey}). */
export function keysMatch(a: MatchKey, b: MatchKey): boolean {
	return a.bucket === b.bucket && a.parts.every((part, i) => partsMatch(part, b.parts[i]));
}

/** Values by match key; `find` returns every value whose key matches. */
export class KeyIndex<T> {
	private readonly buckets = new Map<string, Array<{ key: MatchKey; value: T }>>();

	add(key: MatchKey, value: T): void {
		const bucket = this.buckets.get(key.bucket);
		if (bucket) bucket.push({ key, value });
		else this.buckets.set(key.bucket, [{ key, value }]);
	}

	find(key: MatchKey): T[] {
		return (this.buckets.get(key.bucket) ?? []).filter((entry) => keysMatch(entry.key, key)).map((entry) => entry.value);
	}
}

/** The match fields and their values as given, for output items. */
export function matchValuesOf(record: IDataObject, matchFields: string[]): IDataObject {
	const values: IDataObject = {};
	for (const field of matchFields) values[field] = record[field] ?? null;
	return values;
}
