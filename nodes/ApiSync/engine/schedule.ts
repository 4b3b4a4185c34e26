import { sleep } from 'n8n-workflow';

/**
 * Spaces request starts so that at most `perSecond` begin in any second (0 = no limit).
 * Shared by all workers of one run; keeps no state beyond the run.
 */
export class RateLimiter {
	private nextStart = 0;

	waitedMs = 0;

	constructor(private readonly perSecond: number) {}

	async acquire(): Promise<void> {
		if (!this.perSecond || this.perSecond <= 0) return;
		const interval = 1000 / this.perSecond;
		const now = Date.now();
		const start = Math.max(now, this.nextStart);
		this.nextStart = start + interval;
		const wait = start - now;
		if (wait > 0) {
			this.waitedMs += wait;
			await sleep(wait);
		}
	}
}

/** Runs `work` for every task with at most `concurrency` at once; results keep the task order. */
export async function runPool<T, R>(tasks: T[], concurrency: number, work: (task: T) => Promise<R>): Promise<R[]> {
	const results = new Array<R>(tasks.length);
	let next = 0;
	const worker = async () => {
		while (next < tasks.length) {
			const index = next++;
			results[index] = await work(tasks[index]);
		}
	};
	await Promise.all(Array.from({ length: Math.max(1, Math.min(concurrency, tasks.length)) }, worker));
	return results;
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: T[], size: number): T[][] {
	const chunks: T[][] = [];
	for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
	return chunks;
}
