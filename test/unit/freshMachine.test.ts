/**
 * Issue 16.12, a fresh machine: `npm test` installs the browser test's Chromium itself (as `test:queue` does for
 * PostgreSQL and Redis) or says clearly why it cannot, and `test:queue` runs PostgreSQL through `runuser` by its
 * full path, so a PATH without /usr/sbin does not fail with `spawn runuser ENOENT`.
 *
 * The install script runs for real, with `id`, `sudo` and `apt-get` replaced by small scripts in a temp folder put
 * first on PATH (this machine's own Chromium is never touched: CHROMIUM_BIN points into the temp folder).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import { asUser, runuserPath } from '../queue/support/services';

const ROOT = path.resolve(__dirname, '../..');
const SCRIPT = path.join(ROOT, 'scripts/ensure-chromium.sh');

let dir: string;
beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ensure-chromium-'))));
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A fake command in the temp folder's bin: logs its arguments to calls.log, then runs `body`. */
function fake(name: string, body: string): void {
	fs.mkdirSync(path.join(dir, 'bin'), { recursive: true });
	const file = path.join(dir, 'bin', name);
	fs.writeFileSync(file, `#!/bin/bash\necho "${name} $*" >> "${dir}/calls.log"\n${body}\n`);
	fs.chmodSync(file, 0o755);
}

function ensureChromium(): { status: number | null; stderr: string; calls: string[] } {
	const result = spawnSync('bash', [SCRIPT], {
		env: { PATH: `${path.join(dir, 'bin')}:/usr/bin:/bin`, CHROMIUM_BIN: path.join(dir, 'chromium') },
		encoding: 'utf8',
	});
	const log = path.join(dir, 'calls.log');
	const calls = fs.existsSync(log) ? fs.readFileSync(log, 'utf8').trim().split('\n') : [];
	return { status: result.status, stderr: result.stderr, calls };
}

/** apt-get that "installs" chromium by creating CHROMIUM_BIN. */
const aptGetInstalling = `if [ "$1" = install ]; then printf '#!/bin/sh\\n' > "${'$'}CHROMIUM_BIN"; chmod +x "${'$'}CHROMIUM_BIN"; fi`;

describe('npm test installs Chromium for the browser test', () => {
	it('scripts/test.sh runs the Chromium check before the tests', () => {
		const lines = fs.readFileSync(path.join(ROOT, 'scripts/test.sh'), 'utf8').split('\n');
		const ensure = lines.indexOf('bash scripts/ensure-chromium.sh');
		expect(ensure).toBeGreaterThan(-1);
		expect(ensure).toBeLessThan(lines.findIndex((l) => l.includes('jest')));
	});

	it('does nothing when Chromium is there', () => {
		fs.writeFileSync(path.join(dir, 'chromium'), '#!/bin/sh\n', { mode: 0o755 });
		fake('apt-get', 'exit 1');
		expect(ensureChromium()).toEqual({ status: 0, stderr: '', calls: [] });
	});

	it('installs it with apt-get when missing and root', () => {
		fake('id', 'echo 0');
		fake('apt-get', aptGetInstalling);
		const result = ensureChromium();
		expect(result.status).toBe(0);
		expect(result.calls).toEqual(['id -u', 'apt-get update -qq', 'apt-get install -y -qq chromium']);
		expect(fs.existsSync(path.join(dir, 'chromium'))).toBe(true);
		expect(result.stderr).toContain('installing Debian\'s chromium package with apt-get');
	});

	it('installs it through passwordless sudo when not root, non-interactively although sudo resets the environment', () => {
		fake('id', 'echo 1000');
		// Like sudo's default env_reset: the command runs with a fresh environment (PATH kept, as secure_path would).
		fake('sudo', 'shift; exec /usr/bin/env -i PATH="$PATH" "$@"');
		// Its environment is gone (CHROMIUM_BIN too), so this apt-get knows where to "install" by itself.
		const chromium = path.join(dir, 'chromium');
		fake('apt-get', `echo "apt-get sees DEBIAN_FRONTEND=${'$'}{DEBIAN_FRONTEND:-}" >> "${dir}/calls.log"\nif [ "$1" = install ]; then printf '#!/bin/sh\\n' > "${chromium}"; chmod +x "${chromium}"; fi`);
		const result = ensureChromium();
		expect(result.status).toBe(0);
		expect(result.calls).toEqual([
			'id -u',
			'sudo -n true',
			'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get update -qq',
			'apt-get update -qq',
			'apt-get sees DEBIAN_FRONTEND=noninteractive',
			'sudo -n env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium',
			'apt-get install -y -qq chromium',
			'apt-get sees DEBIAN_FRONTEND=noninteractive',
		]);
		expect(fs.existsSync(path.join(dir, 'chromium'))).toBe(true);
	});

	it('says clearly why it cannot, and what to run, when not root and sudo needs a password', () => {
		fake('id', 'echo 1000');
		fake('sudo', 'echo "sudo: a password is required" >&2; exit 1');
		fake('apt-get', 'exit 1');
		const result = ensureChromium();
		expect(result.status).toBe(0);
		expect(result.calls.some((c) => c.startsWith('apt-get'))).toBe(false);
		expect(result.stderr).toContain('is missing and cannot be installed here: not running as root, and sudo needs a password');
		expect(result.stderr).toContain('The browser test (test/e2e/browser.e2e.test.ts) will fail; every other test runs.');
		expect(result.stderr).toContain('apt-get update && apt-get install -y chromium');
	});

	it('says so when apt-get fails', () => {
		fake('id', 'echo 0');
		fake('apt-get', 'echo "E: Unable to locate package chromium" >&2; exit 100');
		const result = ensureChromium();
		expect(result.status).toBe(0);
		expect(result.stderr).toContain('cannot be installed here: apt-get install chromium failed');
	});
});

describe('test:queue runs PostgreSQL through runuser by its full path', () => {
	it('finds runuser in /usr/sbin or /sbin, whatever PATH says', () => {
		expect(runuserPath((file) => file === '/sbin/runuser')).toBe('/sbin/runuser');
		expect(runuserPath(() => true)).toBe('/usr/sbin/runuser');
		expect(path.isAbsolute(runuserPath())).toBe(true);
	});

	it('runs a command as another user with /usr/sbin off PATH (was: spawn runuser ENOENT)', () => {
		const [cmd, args] = asUser('nobody', '/usr/bin/id', ['-un']);
		const result = spawnSync(cmd, args, { env: { PATH: '/usr/bin:/bin' }, encoding: 'utf8' });
		expect(result.error).toBeUndefined();
		expect(result.stdout.trim()).toBe(process.getuid?.() === 0 ? 'nobody' : os.userInfo().username);
	});
});
