/**
 * `npm start` as the README tells a new contributor to run it: started through npm itself (so the
 * npm_config_* variables npm exports reach scripts/start.sh and the nested installs, as on a fresh clone),
 * in a fresh user folder. Proves: the editor answers, the owner can log in, the sandbox API runs, the example
 * credentials and workflows are imported, and Ctrl+C stops n8n and the sandbox.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { freePort, REPO_ROOT } from './support/n8n';

jest.setTimeout(900_000);

const OWNER = { email: 'admin@example.com', password: 'ApiSync-Local-1' };

/** Entries in n8n export files (each an object or an array), as scripts/start.sh imports them. */
function countEntries(files: string[]): number {
	return files.reduce((sum, file) => {
		const content: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
		return sum + (Array.isArray(content) ? content.length : 1);
	}, 0);
}

async function answers(url: string): Promise<number | undefined> {
	try {
		return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
	} catch {
		return undefined;
	}
}

it('npm start: editor up, owner login, sandbox running, examples imported; Ctrl+C stops everything', async () => {
	const examples = path.join(REPO_ROOT, 'examples');
	const workflowFiles = fs.readdirSync(examples).filter((f) => f.endsWith('.json')).map((f) => path.join(examples, f));
	const credentialFiles = fs
		.readdirSync(path.join(examples, 'credentials'))
		.filter((f) => f.endsWith('.json'))
		.map((f) => path.join(examples, 'credentials', f));
	const userFolder = fs.mkdtempSync(path.join(os.tmpdir(), 'api-sync-start-'));
	const [n8nPort, sandboxPort] = [await freePort(), await freePort()];
	const env: NodeJS.ProcessEnv = {
		...process.env,
		N8N_PORT: String(n8nPort),
		SANDBOX_PORT: String(sandboxPort),
		// not n8n's fixed default (5679): another n8n on this machine may hold it
		N8N_RUNNERS_BROKER_PORT: String(await freePort()),
		N8N_LOCAL_DIR: userFolder,
		SKIP_BUILD: '1',
	};
	delete env.NODE_ENV;
	const child = spawn('npm', ['start'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
	let output = '';
	child.stdout!.on('data', (d: Buffer) => (output += d.toString()));
	child.stderr!.on('data', (d: Buffer) => (output += d.toString()));
	const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
	let hasExited = false;
	void exited.then(() => (hasExited = true));
	const base = `http://127.0.0.1:${n8nPort}`;
	const launched = Date.now();
	try {
		// Ready when n8n says so (the sandbox and the imports come before n8n starts).
		while ((await answers(`${base}/healthz/readiness`)) !== 200) {
			if (hasExited) throw new Error(`npm start exited before n8n was ready:\n${output.slice(-4000)}`);
			await new Promise((resolve) => setTimeout(resolve, 500));
		}
		// A measurement for the README (warm cache), never an assertion.
		console.log(`npm start: n8n ready ${Math.round((Date.now() - launched) / 1000)} s after launch`);
		expect(output).toContain('importing');
		expect(await answers(`http://127.0.0.1:${sandboxPort}/`)).toBeDefined();

		const login = await fetch(`${base}/rest/login`, {
			method: 'POST',
			headers: { 'content-type': 'application/json', 'browser-id': 'start-e2e' },
			body: JSON.stringify({ emailOrLdapLoginId: OWNER.email, password: OWNER.password }),
		});
		expect(login.status).toBe(200);
		const cookie = login.headers.get('set-cookie')?.match(/n8n-auth=[^;]+/)?.[0] ?? '';
		const get = async (urlPath: string) =>
			(await (await fetch(`${base}${urlPath}`, { headers: { cookie, 'browser-id': 'start-e2e' } })).json()) as { data: unknown };
		const workflows = (await get('/rest/workflows')).data as Array<{ name: string }>;
		const credentials = (await get('/rest/credentials')).data as Array<{ type: string }>;
		expect(workflows).toHaveLength(countEntries(workflowFiles));
		expect(credentials).toHaveLength(countEntries(credentialFiles));
		expect(credentials.every((c) => c.type.startsWith('apiSync'))).toBe(true);
		// The editor page itself is served.
		expect(await answers(`${base}/`)).toBe(200);
	} finally {
		// Ctrl+C in a terminal signals the whole foreground process group.
		if (!hasExited && child.pid) process.kill(-child.pid, 'SIGINT');
		let timer: NodeJS.Timeout | undefined;
		const stopped = await Promise.race([exited.then(() => true), new Promise((resolve) => (timer = setTimeout(() => resolve(false), 60_000)))]);
		clearTimeout(timer);
		if (!stopped && child.pid) process.kill(-child.pid, 'SIGKILL');
		fs.rmSync(userFolder, { recursive: true, force: true });
	}
	expect(hasExited).toBe(true);
	// The sandbox went down with it.
	expect(await answers(`http://127.0.0.1:${sandboxPort}/`)).toBeUndefined();
});
