import type { IDataObject } from 'n8n-workflow';

import type { CursorValue } from './cursor';
import { canonicalJson, contentHash } from './hash';

/** Version of the state format below; bump it (and read the old one) when the format changes. */
export const STATE_VERSION = 1;

/** Key under which the state is kept in the node's workflow static data. */
export const STATE_KEY = 'changeTracking';

/**
 * Most record IDs one state remembers: every record in content-hash mode, the records of the
 * lookback window in cursor mode. About 24 bytes each in static data, so at most ~2.4 MB.
 */
export const MAX_TRACKED_IDS = 100_000;

export type DetectionMode = 'cursor' | 'hash';

/**
 * What a change feed remembers between runs, kept in workflow static data.
 *
 * Cursor mode: the next run reads every record whose cursor is `>= from` (inclusive), and `seen`
 * holds the content hash of every record read with a cursor `>= from`: together they make sure a
 * record sharing the boundary value, or arriving late inside the lookback window, is emitted
 * exactly once, and again only when its content changes.
 *
 * Content-hash mode: `seen` holds the content hash of every record, by ID.
 */
export interface ChangeState {
	v: typeof STATE_VERSION;
	/** Fingerprint of the settings that define the feed; a different fingerprint starts over. */
	fp: string;
	mode: DetectionMode;
	/** Cursor mode: lower bound (inclusive) of the next read; absent until a record was read. */
	from?: CursorValue;
	/** Cursor mode: the highest cursor value read so far. */
	max?: CursorValue;
	/** ID → content hash (see `contentHash`). */
	seen: Record<string, string>;
	/** Whether the IDs were numbers, so a deletion is reported with the ID as the API gave it. */
	numericIds?: boolean;
}

/** A problem with the settings or the data that the user can fix; the caller turns it into a node error. */
export class ChangeTrackingError extends Error {
	constructor(
		message: string,
		readonly description: string,
	) {
		super(message);
		this.name = 'ChangeTrackingError';
	}
}

/** A short fingerprint of the settings that define a feed (base URL, effective account, resource, mode, field, first run, reset key). */
export function settingsFingerprint(parts: unknown[]): string {
	return contentHash(canonicalJson(parts));
}

/**
 * Reads the stored state. Returns undefined when there is none or it belongs to other settings
 * (a reset), and throws when it cannot be trusted: written by a newer version of the node, or
 * damaged. Never guesses: a wrong guess would emit records twice or skip them.
 */
export function readState(raw: unknown, fingerprint: string): ChangeState | undefined {
	if (raw === undefined || raw === null) return undefined;
	const state = raw as Partial<ChangeState> & IDataObject;
	if (typeof state !== 'object' || typeof state.v !== 'number') throw damaged('it has no version number');
	if (state.v > STATE_VERSION) {
		throw new ChangeTrackingError(
			`The saved change-tracking state was written by a newer version of this node (state version ${state.v})`,
			'Update the n8n-nodes-api-sync package to the version that wrote it, or start over by changing the "Reset Key" option.',
		);
	}
	if (state.fp !== fingerprint) return undefined;
	if (state.v !== STATE_VERSION) throw damaged(`its version ${state.v} is unknown`);
	if (state.mode !== 'cursor' && state.mode !== 'hash') throw damaged('its detection mode is missing');
	if (!isHashMap(state.seen)) throw damaged('its list of seen records is not readable');
	for (const key of ['from', 'max'] as const) {
		const value = state[key];
		if (value !== undefined && typeof value !== 'string' && typeof value !== 'number') throw damaged(`"${key}" is not a value`);
	}
	return state as ChangeState;
}

function isHashMap(value: unknown): value is Record<string, string> {
	if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
	return Object.values(value).every((hash) => typeof hash === 'string');
}

function damaged(reason: string): ChangeTrackingError {
	return new ChangeTrackingError(
		`The saved change-tracking state cannot be read: ${reason}`,
		'Start over by changing the "Reset Key" option (records may be emitted again, depending on "First Run").',
	);
}
