import type { IDataObject, INodeExecutionData, IPairedItemData } from 'n8n-workflow';

import type { Outcome } from './apply';
import type { SyncPlan } from './plan';

export const OUTPUT_NAMES = ['Created', 'Updated', 'Unchanged', 'Deleted', 'Failed'] as const;

function idOf(value: unknown): IDataObject['id'] {
	return (value ?? null) as IDataObject['id'];
}

/**
 * The dry run's outputs: the plan, every item marked `dryRun: true`. `stopNote`: the real run would not carry out
 * this plan (more deletions than Max Deletes); every planned deletion carries it as `note`.
 */
export function planOutputs(plan: SyncPlan, allItems: IPairedItemData[], stopNote?: string): INodeExecutionData[][] {
	const dryRun = true;
	return [
		plan.creates.map((c) => ({ json: { dryRun, match: c.match, fields: c.record }, pairedItem: { item: c.itemIndex } })),
		plan.updates.map((u) => {
			const changes: IDataObject = {};
			for (const [field, to] of Object.entries(u.changes)) changes[field] = { from: u.remote[field] ?? null, to };
			return { json: { dryRun, id: idOf(u.remoteId), match: u.match, changes }, pairedItem: { item: u.itemIndex } };
		}),
		plan.unchanged.map((u) => ({
			json: { dryRun, id: idOf(u.remoteId), match: u.match, ...(u.note ? { note: u.note } : {}) },
			pairedItem: { item: u.itemIndex },
		})),
		plan.deletes.map((d) => ({
			json: { dryRun, id: idOf(d.remoteId), match: d.match, record: d.remote, ...(stopNote ? { note: stopNote } : {}) },
			pairedItem: allItems,
		})),
		plan.failures.map((f) => ({
			json: { dryRun, match: f.match, error: f.reason, stage: 'plan' },
			pairedItem: { item: f.itemIndex },
		})),
	];
}

/** The outputs of an applied plan: what happened to every record, in input order. */
export function outcomeOutputs(plan: SyncPlan, outcomes: Outcome[], allItems: IPairedItemData[]): INodeExecutionData[][] {
	const outputs: INodeExecutionData[][] = [[], [], [], [], []];
	const byItem = (a: { pairedItem?: unknown }, b: { pairedItem?: unknown }) =>
		((a.pairedItem as IPairedItemData)?.item ?? 0) - ((b.pairedItem as IPairedItemData)?.item ?? 0);
	for (const outcome of outcomes) {
		switch (outcome.kind) {
			case 'created':
				outputs[0].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, fields: outcome.record },
					pairedItem: { item: outcome.itemIndex },
				});
				break;
			case 'updated':
				outputs[1].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, changes: outcome.changes, ...(outcome.note ? { note: outcome.note } : {}) },
					pairedItem: { item: outcome.itemIndex },
				});
				break;
			case 'unchanged':
				outputs[2].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, ...(outcome.note ? { note: outcome.note } : {}) },
					pairedItem: { item: outcome.itemIndex },
				});
				break;
			case 'deleted':
				outputs[3].push({
					json: { id: idOf(outcome.remoteId), match: outcome.match, record: outcome.remote },
					pairedItem: allItems,
				});
				break;
			case 'failed':
				outputs[4].push({
					json: {
						match: outcome.match,
						error: outcome.reason,
						stage: outcome.stage,
						...(outcome.httpCode ? { httpCode: outcome.httpCode } : {}),
					},
					pairedItem: outcome.itemIndex === undefined ? allItems : { item: outcome.itemIndex },
				});
				break;
		}
	}
	outputs[2].push(
		...plan.unchanged.map((u) => ({
			json: { id: idOf(u.remoteId), match: u.match, ...(u.note ? { note: u.note } : {}) },
			pairedItem: { item: u.itemIndex },
		})),
	);
	outputs[4].push(
		...plan.failures.map((f) => ({
			json: { match: f.match, error: f.reason, stage: 'plan' },
			pairedItem: { item: f.itemIndex },
		})),
	);
	for (const output of [outputs[0], outputs[1], outputs[2], outputs[4]]) output.sort(byItem);
	return outputs;
}

/** Numbers for the run summary. */
export interface RunFigures {
	requests: number;
	writes: number;
	retries: number;
	/** Wall-clock time during which at least one request waited (rate limit, Retry-After, backoff). */
	waitedMs: number;
	elapsedMs: number;
}

/** The one-line summary shown above the output, e.g. "Sync: 12 created, … · 24 requests (14 writes), …". */
export function summarise(
	outputs: INodeExecutionData[][],
	figures: RunFigures,
	dryRun: boolean,
	plan: SyncPlan,
	/** Records another run created at the same time as this one, whose duplicate this run deleted. */
	overlaps = 0,
): string {
	const counts = OUTPUT_NAMES.map((name, i) => `${outputs[i].length} ${name.toLowerCase()}`).join(', ');
	const seconds = (ms: number) => (ms / 1000).toFixed(1);
	const count = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
	const parts = [
		`${dryRun ? 'Dry run (nothing written): would be ' : 'Sync: '}${counts}`,
		`${count(figures.requests, 'request')} (${count(figures.writes, 'write')}), ${count(figures.retries, 'retry', 'retries')}, ${seconds(figures.waitedMs)} s waiting on rate limits and retries, ${seconds(figures.elapsedMs)} s in all`,
	];
	if (plan.remoteWithoutKey > 0) parts.push(`${plan.remoteWithoutKey} remote records have empty match fields and were left alone`);
	if (dryRun && plan.deletes.length > 0) parts.push(`Mirror would delete ${plan.deletes.length} records`);
	if (overlaps > 0) {
		parts.push(
			`${overlaps} record${overlaps === 1 ? ' was' : 's were'} created meanwhile by another run or system: this run's duplicate${overlaps === 1 ? ' was' : 's were'} deleted (do runs of this workflow overlap?)`,
		);
	}
	if (plan.deletesWithheld) {
		const { count, reason } = plan.deletesWithheld;
		parts.push(`${dryRun ? reason.replace(/^Mirror deleted nothing/, 'Mirror would delete nothing') : reason} (${count} remote record${count === 1 ? '' : 's'} not in the input kept)`);
	}
	return parts.join(' · ');
}
