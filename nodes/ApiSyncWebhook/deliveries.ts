import type { IDataObject } from 'n8n-workflow';

/** At most this many delivery ids are remembered (the oldest are forgotten first). */
export const MAX_REMEMBERED_DELIVERIES = 1000;

/**
 * Remembers a delivery id in the node's workflow static data. Returns true when the id was
 * already seen within `windowSeconds`. Best effort: see README "Repeated deliveries".
 */
export function isRepeatedDelivery(state: IDataObject, id: string, nowMs: number, windowSeconds: number): boolean {
	const earliest = nowMs - windowSeconds * 1000;
	const stored = Array.isArray(state.seenDeliveries) ? (state.seenDeliveries as Array<[string, number]>) : [];
	const recent = stored.filter(
		(entry) => Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'number' && entry[1] >= earliest,
	);
	const repeated = recent.some(([seen]) => seen === id);
	if (!repeated) recent.push([id, nowMs]);
	state.seenDeliveries = recent.slice(-MAX_REMEMBERED_DELIVERIES);
	return repeated;
}
