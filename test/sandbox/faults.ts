/**
 * Fault injection: scripted one-off faults, a fixed-window rate limiter and share-based faults driven by a
 * seeded PRNG, so that the same seed and request sequence always produce the same faults.
 */
import { statusText } from './exchange';
import type { SandboxFaults, ScriptedChange, ScriptedFault } from './types';

export const API_PREFIX = '/api/v1';

/** What to do with a request before it reaches authentication. */
export type FaultDecision =
	| { kind: 'none' }
	| { kind: 'reset'; fault: 'reset' | 'scripted' | 'applied-reset'; afterApply?: boolean }
	| {
			kind: 'respond';
			fault: 'rate-limit' | 'error' | 'scripted' | 'applied-error';
			/** Apply the request first, then send this instead of the real response. */
			afterApply?: boolean;
			status: number;
			headers: Record<string, string>;
			/** Raw body to send as is; when absent an `{"error": ...}` body in the negotiated format. */
			body?: string;
			/** 303 to the `uri` of the real response (which is computed, the request applied). */
			seeOther?: boolean;
			contentType?: string;
			message: string;
	  };

interface ScriptedState {
	fault: ScriptedFault;
	remaining: number;
}

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6d2b79f5) >>> 0;
		let t = state;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

/** True for `/api/v1` and everything below it. */
export function isApiPath(pathname: string): boolean {
	return pathname === API_PREFIX || pathname.startsWith(`${API_PREFIX}/`);
}

export class FaultEngine {
	private faults: SandboxFaults = {};
	private scripted: ScriptedState[] = [];
	private changes: ScriptedChange[] = [];
	private random = mulberry32(1);
	private windowStart = 0;
	private windowCount = 0;

	/** Replaces the current faults and restarts the PRNG and the limiter window. */
	set(faults: SandboxFaults): void {
		for (const release of this.held.splice(0)) release();
		this.arrived = 0;
		this.faults = { ...faults };
		this.scripted = (faults.scripted ?? []).map((fault) => ({ fault, remaining: fault.times ?? 1 }));
		this.changes = [...(faults.changes ?? [])];
		this.random = mulberry32(faults.randomSeed ?? 1);
		this.windowStart = 0;
		this.windowCount = 0;
	}

	/** Removes every fault. */
	clear(): void {
		this.set({});
	}

	private held: Array<() => void> = [];
	private arrived = 0;

	/** Resolves when this request may be handled: at once, or when the rendezvous it belongs to is complete. */
	async meet(method: string, pathname: string): Promise<void> {
		const rendezvous = this.faults.rendezvous;
		if (!rendezvous || this.arrived >= rendezvous.count) return;
		if (rendezvous.method && rendezvous.method.toUpperCase() !== method.toUpperCase()) return;
		if (!rendezvous.path.test(pathname)) return;
		this.arrived++;
		if (this.arrived < rendezvous.count) {
			await new Promise<void>((resolve) => this.held.push(resolve));
			return;
		}
		for (const release of this.held.splice(0)) release();
	}

	/** The scripted change this request triggers (the first entry matching it, consumed), to apply before it is handled. */
	takeChange(method: string, pathname: string, url: string): ScriptedChange | undefined {
		if (!isApiPath(pathname)) return undefined;
		const index = this.changes.findIndex((change) =>
			scriptedMatches({ method: change.method ?? 'GET', path: change.path }, method.toUpperCase(), pathname, url),
		);
		return index < 0 ? undefined : this.changes.splice(index, 1)[0];
	}

	/** Latency to add to this request, in ms. */
	latencyFor(pathname: string): number {
		return this.matchesPattern(pathname) ? Math.max(0, this.faults.latencyMs ?? 0) : 0;
	}

	/** Decides the fault for one API request; consumes scripted entries and PRNG draws. */
	decide(method: string, pathname: string, url: string, now = Date.now()): FaultDecision {
		if (!isApiPath(pathname)) return { kind: 'none' };
		const scripted = this.takeScripted(method, pathname, url);
		if (scripted) return scriptedDecision(scripted, this.faults.retryAfter ?? '1', url);
		if (!this.matchesPattern(pathname)) return { kind: 'none' };
		return this.windowDecision(now) ?? this.shareDecision();
	}

	private matchesPattern(pathname: string): boolean {
		if (!isApiPath(pathname)) return false;
		const pattern = this.faults.pathPattern;
		if (!pattern) return true;
		pattern.lastIndex = 0;
		return pattern.test(pathname);
	}

	private takeScripted(method: string, pathname: string, url: string): ScriptedFault | undefined {
		const state = this.scripted.find((entry) => entry.remaining > 0 && scriptedMatches(entry.fault, method, pathname, url));
		if (!state) return undefined;
		state.remaining -= 1;
		return state.fault;
	}

	private windowDecision(now: number): FaultDecision | undefined {
		const limit = this.faults.rateLimit;
		if (!limit) return undefined;
		if (now >= this.windowStart + limit.windowMs) {
			this.windowStart = now;
			this.windowCount = 0;
		}
		this.windowCount += 1;
		if (this.windowCount <= limit.maxRequests) return undefined;
		const seconds = Math.max(1, Math.ceil((this.windowStart + limit.windowMs - now) / 1000));
		return tooManyRequests(String(seconds));
	}

	private shareDecision(): FaultDecision {
		const reset = this.faults.resetShare ?? 0;
		const rateLimit = this.faults.rateLimitShare ?? 0;
		const error = this.faults.errorShare ?? 0;
		const appliedError = this.faults.appliedErrorShare ?? 0;
		const appliedReset = this.faults.appliedResetShare ?? 0;
		if (reset <= 0 && rateLimit <= 0 && error <= 0 && appliedError <= 0 && appliedReset <= 0) return { kind: 'none' };
		// One draw per request; the applied-then-failed shares come last so earlier configurations draw as before.
		const draw = this.random();
		if (draw < reset) return { kind: 'reset', fault: 'reset' };
		if (draw < reset + rateLimit) return tooManyRequests(this.faults.retryAfter ?? '1');
		if (draw < reset + rateLimit + error) return this.errorDecision();
		if (draw < reset + rateLimit + error + appliedError) return this.appliedErrorDecision();
		if (draw < reset + rateLimit + error + appliedError + appliedReset) {
			return { kind: 'reset', fault: 'applied-reset', afterApply: true };
		}
		return { kind: 'none' };
	}

	private errorDecision(): FaultDecision {
		const statuses = this.faults.errorStatuses?.length ? this.faults.errorStatuses : [500, 503];
		const status = statuses[Math.floor(this.random() * statuses.length)];
		return { kind: 'respond', fault: 'error', status, headers: {}, message: defaultMessage(status) };
	}

	private appliedErrorDecision(): FaultDecision {
		const statuses = this.faults.appliedErrorStatuses?.length ? this.faults.appliedErrorStatuses : [502, 503, 504];
		const status = statuses[Math.floor(this.random() * statuses.length)];
		return { kind: 'respond', fault: 'applied-error', afterApply: true, status, headers: {}, message: defaultMessage(status) };
	}
}

function scriptedMatches(fault: ScriptedFault, method: string, pathname: string, url: string): boolean {
	if (fault.method && fault.method.toUpperCase() !== method) return false;
	if (fault.path === undefined) return true;
	if (typeof fault.path === 'string') return fault.path === (fault.path.includes('?') ? url : pathname);
	fault.path.lastIndex = 0;
	if (fault.path.test(pathname)) return true;
	fault.path.lastIndex = 0;
	return fault.path.test(url);
}

function scriptedDecision(fault: ScriptedFault, retryAfter: string, url: string): FaultDecision {
	if (fault.reset) return fault.afterApply ? { kind: 'reset', fault: 'applied-reset', afterApply: true } : { kind: 'reset', fault: 'scripted' };
	if (fault.seeOther) {
		return { kind: 'respond', fault: 'applied-error', afterApply: true, seeOther: true, status: 303, headers: {}, message: 'see other' };
	}
	const status = fault.status ?? (fault.redirectTo ? 302 : 500);
	const headers = { ...(fault.headers ?? {}) };
	if (fault.redirectTo) headers.Location = `${fault.redirectTo.replace(/\/+$/, '')}${url}`;
	if (status === 429 && !Object.keys(headers).some((name) => name.toLowerCase() === 'retry-after')) {
		headers['Retry-After'] = retryAfter;
	}
	return {
		kind: 'respond',
		fault: fault.afterApply ? 'applied-error' : 'scripted',
		afterApply: fault.afterApply,
		status,
		headers,
		body: fault.body,
		contentType: fault.contentType,
		message: defaultMessage(status),
	};
}

function tooManyRequests(retryAfter: string): FaultDecision {
	return {
		kind: 'respond',
		fault: 'rate-limit',
		status: 429,
		headers: { 'Retry-After': retryAfter },
		message: 'too many requests',
	};
}

function defaultMessage(status: number): string {
	return statusText(status);
}
