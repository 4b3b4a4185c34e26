/**
 * Real PostgreSQL and Redis for the queue-mode tests: the Debian packages `postgresql` and `redis-server`
 * (installed with apt-get when missing), each started on a free loopback port with its data in a temp
 * folder, and stopped (folder removed) afterwards.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { promisify } from 'node:util';

import { freePort } from '../../e2e/support/n8n';

const run = promisify(execFile);

export interface Service {
	port: number;
	stop(): Promise<void>;
	logs(): string;
}

export interface Postgres extends Service {
	database: string;
	user: string;
	/** runs one SQL statement with psql; rows of tab-separated columns */
	query(sql: string): Promise<string[][]>;
}

const isRoot = () => process.getuid?.() === 0;

/**
 * `runuser` by its full path: it lives in /usr/sbin (util-linux), which is not on every PATH (a non-login shell, a
 * CI runner's environment), and a bare `runuser` then fails with `spawn runuser ENOENT`.
 */
export function runuserPath(exists: (file: string) => boolean = fs.existsSync): string {
	return ['/usr/sbin/runuser', '/sbin/runuser'].find(exists) ?? '/usr/sbin/runuser';
}

/** The command line that runs `cmd` as `user` when this process is root (PostgreSQL refuses to run as root). */
export function asUser(user: string, cmd: string, args: string[]): [string, string[]] {
	return isRoot() ? [runuserPath(), ['-u', user, '--', cmd, ...args]] : [cmd, args];
}

/** apt-get install, as root or through passwordless sudo; `apt-get update` first. */
async function aptInstall(pkg: string): Promise<void> {
	const sudo = isRoot() ? [] : ['sudo', '-n'];
	const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
	const exec = (args: string[]) => run(args[0], args.slice(1), { env, maxBuffer: 64 * 1024 * 1024 });
	console.log(`queue-mode: installing ${pkg} with apt-get`);
	await exec([...sudo, 'apt-get', 'update']);
	await exec([...sudo, 'apt-get', 'install', '-y', '--no-install-recommends', pkg]);
}

function postgresBinDir(): string | undefined {
	const root = '/usr/lib/postgresql';
	if (!fs.existsSync(root)) return undefined;
	const versions = fs
		.readdirSync(root)
		.filter((v) => fs.existsSync(path.join(root, v, 'bin', 'initdb')))
		.sort((a, b) => Number(b) - Number(a));
	return versions.length ? path.join(root, versions[0], 'bin') : undefined;
}

function onPath(bin: string): string | undefined {
	for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
		const candidate = path.join(dir, bin);
		if (fs.existsSync(candidate)) return candidate;
	}
	for (const dir of ['/usr/bin', '/usr/sbin', '/usr/local/bin']) {
		if (fs.existsSync(path.join(dir, bin))) return path.join(dir, bin);
	}
	return undefined;
}

export async function startPostgres(): Promise<Postgres> {
	let bin = postgresBinDir();
	if (!bin) {
		await aptInstall('postgresql');
		bin = postgresBinDir();
		if (!bin) throw new Error('postgresql was installed but no /usr/lib/postgresql/*/bin/initdb was found');
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-pg-'));
	const dataDir = path.join(dir, 'data');
	// PostgreSQL refuses to run as root: then it runs as the `postgres` user the package created.
	const asPostgres = (cmd: string, args: string[]): [string, string[]] => asUser('postgres', cmd, args);
	if (isRoot()) await run('chown', ['-R', 'postgres:postgres', dir]);
	const user = 'n8n';
	const database = 'n8n';
	const [initCmd, initArgs] = asPostgres(path.join(bin, 'initdb'), ['-D', dataDir, '-U', user, '-A', 'trust', '-E', 'UTF8', '--no-sync']);
	await run(initCmd, initArgs, { maxBuffer: 16 * 1024 * 1024 });

	const port = await freePort();
	const [cmd, args] = asPostgres(path.join(bin, 'postgres'), [
		'-D', dataDir, '-p', String(port), '-k', dir,
		'-c', 'listen_addresses=127.0.0.1',
		'-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off',
		'-c', 'max_connections=200',
	]);
	const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	const output = capture(child);
	const psql = path.join(bin, 'psql');
	const query = async (sql: string, db = database): Promise<string[][]> => {
		const { stdout } = await run(psql, ['-h', '127.0.0.1', '-p', String(port), '-U', user, '-d', db, '-At', '-F', '\t', '-v', 'ON_ERROR_STOP=1', '-c', sql], {
			maxBuffer: 64 * 1024 * 1024,
		});
		return stdout.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
	};
	await waitUntil(async () => {
		if (child.exitCode !== null) throw new Error(`postgres exited:\n${output()}`);
		try {
			await query('select 1', 'postgres');
			return true;
		} catch {
			return false;
		}
	}, 'PostgreSQL to accept connections', 60_000);
	await query(`create database ${database}`, 'postgres');
	return {
		port,
		database,
		user,
		query: (sql) => query(sql),
		logs: output,
		// SIGINT: PostgreSQL's "fast shutdown"
		stop: async () => {
			await stopChild(child, 'SIGINT');
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}

export async function startRedis(): Promise<Service> {
	let server = onPath('redis-server');
	if (!server) {
		await aptInstall('redis-server');
		server = onPath('redis-server');
		if (!server) throw new Error('redis-server was installed but is not on PATH');
	}
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-queue-redis-'));
	const port = await freePort();
	const child = spawn(
		server,
		['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
		{ detached: true, stdio: ['ignore', 'pipe', 'pipe'] },
	);
	const output = capture(child);
	await waitUntil(async () => {
		if (child.exitCode !== null) throw new Error(`redis-server exited:\n${output()}`);
		return /Ready to accept connections/i.test(output());
	}, 'Redis to accept connections', 30_000);
	return {
		port,
		logs: output,
		stop: async () => {
			await stopChild(child, 'SIGTERM');
			fs.rmSync(dir, { recursive: true, force: true });
		},
	};
}

export function capture(child: ChildProcess): () => string {
	let output = '';
	child.stdout?.on('data', (d: Buffer) => (output += d.toString()));
	child.stderr?.on('data', (d: Buffer) => (output += d.toString()));
	return () => output;
}

/** Signals the child's process group, SIGKILL after 20 s; resolves when it has exited. */
export async function stopChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return;
	const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
	const send = (sig: NodeJS.Signals) => {
		try {
			if (child.pid) process.kill(-child.pid, sig);
		} catch {
			// already gone
		}
	};
	send(signal);
	let timer: NodeJS.Timeout | undefined;
	const done = await Promise.race([exited.then(() => true), new Promise<boolean>((r) => (timer = setTimeout(() => r(false), 20_000)))]);
	clearTimeout(timer);
	if (!done) {
		send('SIGKILL');
		await exited;
	}
}

/** Polls `check` every 250 ms until it returns true; throws after `timeoutMs`. */
export async function waitUntil(check: () => Promise<boolean> | boolean, what: string, timeoutMs: number, details?: () => string): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!(await check())) {
		if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}${details ? `:\n${details()}` : ''}`);
		await new Promise((resolve) => setTimeout(resolve, 250));
	}
}
