/**
 * Runs the sandbox API until SIGINT/SIGTERM:
 *   ts-node --transpile-only test/sandbox/cli.ts
 * Environment: SANDBOX_PORT (default 8787), SANDBOX_HOST (default 127.0.0.1),
 * SANDBOX_LOG_BODIES (default 1), SANDBOX_SEED (default 1), SANDBOX_MAX_LOG (default 10000 entries),
 * SANDBOX_TLS (default 0: HTTPS with the self-signed certificate of test/support/selfSignedCert.ts).
 */
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../support/selfSignedCert';
import { startSandbox } from './server';

function envFlag(name: string, fallback: boolean): boolean {
	const value = process.env[name];
	if (value === undefined || value === '') return fallback;
	return !['0', 'false', 'no', 'off'].includes(value.toLowerCase());
}

function envNumber(name: string, fallback: number): number {
	const value = Number(process.env[name]);
	return process.env[name] && Number.isFinite(value) ? value : fallback;
}

async function main(): Promise<void> {
	const sandbox = await startSandbox({
		port: envNumber('SANDBOX_PORT', 8787),
		host: process.env.SANDBOX_HOST || '127.0.0.1',
		logBodies: envFlag('SANDBOX_LOG_BODIES', true),
		seed: envFlag('SANDBOX_SEED', true),
		maxLogEntries: envNumber('SANDBOX_MAX_LOG', 10_000),
		tls: envFlag('SANDBOX_TLS', false) ? { key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT } : undefined,
	});
	console.log(`sandbox listening on ${sandbox.baseUrl}`);

	const stop = (): void => {
		sandbox.close().then(
			() => process.exit(0),
			() => process.exit(1),
		);
	};
	process.once('SIGINT', stop);
	process.once('SIGTERM', stop);
}

main().catch((error: Error) => {
	console.error(`sandbox failed to start: ${error.message}`);
	process.exit(1);
});
