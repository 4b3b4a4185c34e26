/**
 * Process-wide setup that must happen before n8n-core is used:
 * - `reflect-metadata` (n8n's `@n8n/di` container relies on it),
 * - a fresh, throw-away `N8N_USER_FOLDER` (n8n-core's `InstanceSettings` writes its
 *   encryption key there on first use),
 * - a recording logger, registered both as n8n's `LoggerProxy` (used by the engine)
 *   and as the `Logger` service in the DI container (what nodes get as `this.logger`).
 *
 * Import this module first (index.ts does). It only uses n8n packages lazily so that
 * the environment is in place before n8n-core reads it.
 */
import 'reflect-metadata';

import { AsyncLocalStorage } from 'node:async_hooks';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { Logger as N8nLogger, LogMetadata } from 'n8n-workflow';

const userFolder = mkdtempSync(join(tmpdir(), 'n8n-harness-'));
process.env.N8N_USER_FOLDER = userFolder;
process.on('exit', () => rmSync(userFolder, { recursive: true, force: true }));

type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** Log lines of the run whose async context is active. */
const logSink = new AsyncLocalStorage<string[]>();

function serializeMetadata(metadata?: LogMetadata): string {
	if (!metadata || typeof metadata !== 'object' || Object.keys(metadata).length === 0) return '';
	const seen = new WeakSet<object>();
	try {
		return (
			' ' +
			JSON.stringify(metadata, (_key, value: unknown) => {
				if (value instanceof Error) return { name: value.name, message: value.message };
				if (typeof value === 'object' && value !== null) {
					if (seen.has(value)) return '[Circular]';
					seen.add(value);
				}
				return value;
			})
		);
	} catch {
		return ' [unserializable metadata]';
	}
}

function record(level: LogLevel, message: string, metadata?: LogMetadata) {
	const line = `${level}: ${message}${serializeMetadata(metadata)}`;
	logSink.getStore()?.push(line);
	if (process.env.HARNESS_LOG === '1') process.stderr.write(`[harness] ${line}\n`);
}

/**
 * The logger handed to n8n. Implements n8n-workflow's `Logger` plus `scoped()` from
 * `@n8n/backend-common`'s `Logger` (some services call it).
 */
export const harnessLogger: N8nLogger & { scoped(): N8nLogger } = {
	error: (message, metadata) => record('error', message, metadata),
	warn: (message, metadata) => record('warn', message, metadata),
	info: (message, metadata) => record('info', message, metadata),
	debug: (message, metadata) => record('debug', message, metadata),
	scoped: () => harnessLogger,
};

let initialized = false;

/**
 * Registers the harness logger with n8n (idempotent). Called before every run.
 * Only the DI container and `LoggerProxy` are touched; everything else n8n-core
 * needs (`InstanceSettings`, `OutboundHttp`, `LockService`, `ErrorReporter`, ...)
 * is constructed by the container on demand with its defaults.
 */
export function initN8n(): void {
	if (initialized) return;
	const { Container } = require('@n8n/di') as typeof import('@n8n/di');
	const { Logger } = require('@n8n/backend-common') as typeof import('@n8n/backend-common');
	const { LoggerProxy } = require('n8n-workflow') as typeof import('n8n-workflow');
	Container.set(Logger, harnessLogger as unknown as InstanceType<typeof Logger>);
	LoggerProxy.init(harnessLogger);
	initialized = true;
}

/** Runs `fn` and returns, next to its result, every line logged while it ran. */
export async function captureLogs<T>(fn: () => Promise<T>): Promise<{ value: T; logs: string[] }> {
	const logs: string[] = [];
	const value = await logSink.run(logs, fn);
	return { value, logs };
}
