import { sleep } from 'n8n-workflow';

/**
 * Wall-clock time spent waiting: the union of the waiting intervals, so that eight requests waiting
 * the same second at once count as one second, never as eight.
 */
export class WaitLog {
	private readonly intervals: Array<[number, number]> = [];

	/** Records a wait of `durationMs` starting at `startMs` (epoch ms). */
	add(startMs: number, durationMs: number): void {
		if (durationMs > 0) this.intervals.push([startMs, startMs + durationMs]);
	}

	/** Total milliseconds during which at least one wait was going on. */
	totalMs(): number {
		const sorted = [...this.intervals].sort((a, b) => a[0] - b[0]);
		let total = 0;
		let start = -Infinity;
		let end = -Infinity;
		for (const [s, e] of sorted) {
			if (s > end) {
				if (end > start) total += end - start;
				start = s;
				end = e;
			} else if (e > end) {
				end = e;
			}
		}
		if (end > start) total += end - start;
		return total;
	}
}

/**
 * Spaces request starts so that at most `perSecond` begin in any second (0 = no limit).
 * Shared by all workers of one run; keeps no state beyond the run.
 */
export class RateLimiter {
	private nextStart = 0;

	constructor(
		private readonly perSecond: number,
		private readonly waits?: WaitLog,
	) {}

	async acquire(): Promise<void> {
		if (!this.perSecond || this.perSecond <= 0) return;
		const interval = 1000 / this.perSecond;
		const now = Date.now();
		const start = Math.max(now, this.nextStart);
		this.nextStart = start + interval;
		const wait = start - now;
		if (wait > 0) {
			this.waits?.add(now, wait);
			await sleep(wait);
		}
	}
}

/** At most `limit` tasks inside `run` at once; the others wait their turn, first come first served. */
export class Slots {
	private active = 0;
	private readonly queue: Array<() => void> = [];

	constructor(private readonly limit: number) {}

	async run<T>(task: () => Promise<T>): Promise<T> {
		if (this.active >= Math.max(1, this.limit)) await new Promise<void>((resolve) => this.queue.push(resolve));
		else this.active++;
		try {
			return await task();
		} finally {
			const next = this.queue.shift();
			if (next) next();
			else this.active--;
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
	// At least one worker whatever it is given (NaN would start none and silently do nothing).
	const workers = Number.isFinite(concurrency) ? Math.max(1, Math.min(Math.floor(concurrency), tasks.length)) : 1;
	await Promise.all(Array.from({ length: workers }, worker));
	return results;
}

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: T[], size: number): T[][] {
	const chunks: T[][] = [];
	for (let i = 0; i < list.length; i += size) chunks.push(list.slice(i, i + size));
	return chunks;
}
