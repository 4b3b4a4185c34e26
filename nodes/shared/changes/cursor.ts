/**
 * Cursor values: the field a change feed is ordered by (a modification timestamp, a date, or an
 * increasing ID). Values are compared the way they read: numbers as numbers, ISO 8601 dates and
 * date-times as points in time, anything else as text.
 */

/** A usable cursor value as found in a record. */
export type CursorValue = string | number;

const NUMERIC = /^-?\d+(\.\d+)?$/;
// YYYY-MM-DD, optionally followed by time (minutes, seconds, fraction) and a zone (Z or ±HH:MM / ±HHMM).
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})(?:([T ])(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

type ParsedCursor =
	| { kind: 'number'; number: number }
	| { kind: 'date'; epochMs: number }
	| { kind: 'text'; text: string };

interface IsoParts {
	year: number;
	month: number;
	day: number;
	/** Undefined for a date without time. */
	separator?: string;
	hour: number;
	minute: number;
	/** Undefined when the value has no seconds. */
	second?: number;
	/** Digits after the decimal point as written, '' when none. */
	fraction: string;
	/** Zone as written: 'Z', '+02:00', or '' for none. */
	zone: string;
}

/**
 * The cursor value of a record field, or undefined when the field is empty or not a number or
 * text (objects, booleans): such records cannot be placed in the order of changes.
 */
export function toCursorValue(value: unknown): CursorValue | undefined {
	if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
	if (typeof value !== 'string') return undefined;
	const trimmed = value.trim();
	return trimmed === '' ? undefined : trimmed;
}

/** Orders two cursor values: negative when a comes first, 0 when equal, positive when a comes after b. */
export function compareCursors(a: CursorValue, b: CursorValue): number {
	const left = parseCursor(a);
	const right = parseCursor(b);
	if (left.kind === 'number' && right.kind === 'number') return Math.sign(left.number - right.number);
	if (left.kind === 'date' && right.kind === 'date') return Math.sign(left.epochMs - right.epochMs);
	const x = String(a);
	const y = String(b);
	return x < y ? -1 : x > y ? 1 : 0;
}

/** The later of two cursor values; undefined only when both are. */
export function laterCursor(a: CursorValue | undefined, b: CursorValue | undefined): CursorValue | undefined {
	if (a === undefined) return b;
	if (b === undefined) return a;
	return compareCursors(a, b) >= 0 ? a : b;
}

/** True for a value written as an ISO 8601 date or date-time. */
export function isDateCursor(value: CursorValue): boolean {
	return parseCursor(value).kind === 'date';
}

/**
 * The start of the lookback window before `value`, written in the same format as `value` so an
 * API can compare it as text (`filter=field>=value`). Only dates and date-times move: an ID or
 * other number has no clock, and a date without time moves by whole days only (the window is
 * rounded down to days). Rounding always widens the window, never narrows it.
 */
export function lookbackStart(value: CursorValue, lookbackSeconds: number): CursorValue {
	if (typeof value !== 'string' || lookbackSeconds <= 0) return value;
	const parts = parseIso(value);
	if (!parts) return value;
	if (parts.separator === undefined) {
		const days = Math.floor(lookbackSeconds / 86_400);
		if (days === 0) return value;
		const date = new Date(Date.UTC(parts.year, parts.month - 1, parts.day) - days * 86_400_000);
		return formatDate(date);
	}
	// Wall-clock arithmetic in the value's own zone: the zone text is kept as written.
	const wallClockMs = Date.UTC(
		parts.year,
		parts.month - 1,
		parts.day,
		parts.hour,
		parts.minute,
		parts.second ?? 0,
		fractionMs(parts.fraction),
	);
	const moved = new Date(wallClockMs - lookbackSeconds * 1000);
	let text = `${formatDate(moved)}${parts.separator}${pad(moved.getUTCHours())}:${pad(moved.getUTCMinutes())}`;
	if (parts.second !== undefined) {
		text += `:${pad(moved.getUTCSeconds())}`;
		if (parts.fraction) text += `.${formatFraction(moved.getUTCMilliseconds(), parts.fraction.length)}`;
	}
	return text + parts.zone;
}

/**
 * Reads a user-given starting point ("Start From"): a number (an ID) or an ISO date or date-time.
 * Returns undefined when the text is neither.
 */
export function parseStartValue(text: string): CursorValue | undefined {
	const trimmed = text.trim();
	if (NUMERIC.test(trimmed)) return Number(trimmed);
	return parseIso(trimmed) ? trimmed : undefined;
}

function parseCursor(value: CursorValue): ParsedCursor {
	if (typeof value === 'number') return { kind: 'number', number: value };
	if (NUMERIC.test(value)) return { kind: 'number', number: Number(value) };
	const parts = parseIso(value);
	if (!parts) return { kind: 'text', text: value };
	const offsetMinutes = zoneOffsetMinutes(parts.zone);
	const epochMs =
		Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second ?? 0, fractionMs(parts.fraction)) -
		offsetMinutes * 60_000;
	return { kind: 'date', epochMs };
}

function parseIso(value: string): IsoParts | undefined {
	const match = ISO_DATE.exec(value);
	if (!match) return undefined;
	const [, year, month, day, separator, hour, minute, second, fraction, zone] = match;
	const parts: IsoParts = {
		year: Number(year),
		month: Number(month),
		day: Number(day),
		separator,
		hour: Number(hour ?? 0),
		minute: Number(minute ?? 0),
		second: second === undefined ? undefined : Number(second),
		fraction: fraction ?? '',
		zone: zone ?? '',
	};
	const valid =
		parts.month >= 1 && parts.month <= 12 && parts.day >= 1 && parts.day <= 31 && parts.hour <= 23 && parts.minute <= 59 && (parts.second ?? 0) <= 60;
	return valid ? parts : undefined;
}

function zoneOffsetMinutes(zone: string): number {
	if (zone === '' || zone === 'Z') return 0;
	const sign = zone.startsWith('-') ? -1 : 1;
	const digits = zone.slice(1).replace(':', '');
	return sign * (Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4)));
}

function fractionMs(fraction: string): number {
	return Number(`${fraction}000`.slice(0, 3));
}

function formatFraction(milliseconds: number, digits: number): string {
	const text = String(milliseconds).padStart(3, '0');
	return digits <= 3 ? text.slice(0, digits) : text.padEnd(digits, '0');
}

function formatDate(date: Date): string {
	return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${pad(date.getUTCDate())}`;
}

function pad(value: number): string {
	return String(value).padStart(2, '0');
}
