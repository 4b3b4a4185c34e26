/**
 * scripts/scan-community-package.mjs (part of `npm run lint`) on small git checkouts made here, through its
 * SCAN_PACKAGE_DIR: it scans what git tracks as it is in the working tree (uncommitted edits included, untracked files
 * named and left out, .npmrc applied), packs it with the package's own `files`, and fails when the tarball lacks a file
 * package.json's `n8n` section lists. Findings 3 and 4 of the issue-19 review: the script used to copy a hand-picked
 * list of files (no .npmrc) and checked nothing but the scanner's verdict.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

const SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'scan-community-package.mjs');

/** A package the scanner finds nothing wrong with, committed to a fresh git repository. */
function fixturePackage(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-script-test-'));
	const pkg = {
		name: 'n8n-nodes-scan-fixture',
		version: '0.0.1',
		description: 'Fixture of test/unit/scanScript.test.ts',
		keywords: ['n8n-community-node-package'],
		license: 'MIT',
		homepage: 'https://example.com/n8n-nodes-scan-fixture',
		author: { name: 'Fixture', email: 'fixture@example.com' },
		files: ['dist'],
		// .npmrc's ignore-scripts keeps this from running, in `npm publish` and (since the copy has .npmrc) in the scan.
		scripts: { build: 'node build.js', prepack: 'node -e "process.exit(7)"' },
		peerDependencies: { 'n8n-workflow': '*' },
		n8n: { n8nNodesApiVersion: 1, nodes: ['dist/nodes/Fake/Fake.node.js'], credentials: [] },
	};
	fs.writeFileSync(path.join(dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
	fs.writeFileSync(path.join(dir, '.npmrc'), 'ignore-scripts=true\n');
	fs.writeFileSync(
		path.join(dir, 'build.js'),
		"const fs = require('node:fs');\nfs.mkdirSync('dist/nodes/Fake', { recursive: true });\nfs.writeFileSync('dist/nodes/Fake/Fake.node.js', 'exports.x = 1;\\n');\n",
	);
	const git = (...args: string[]) => {
		const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: dir });
		if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
	};
	git('init', '-q');
	git('add', '-A');
	git('commit', '-q', '-m', 'fixture');
	return dir;
}

function scan(dir: string): { status: number | null; out: string } {
	const r = spawnSync(process.execPath, [SCRIPT], {
		env: { ...process.env, SCAN_PACKAGE_DIR: dir },
		encoding: 'utf8',
	});
	return { status: r.status, out: r.stdout + r.stderr };
}

const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

it('passes a clean package, saying how many files each leg analysed (.npmrc applies: prepack does not run)', () => {
	const dir = fixturePackage();
	made.push(dir);
	const { status, out } = scan(dir);
	expect(out).toContain('3 files git tracks');
	expect(out).toMatch(/source \(package\.json, nodes\/, credentials\/\): 1 file, 0 errors/);
	expect(out).toMatch(/npm pack tarball n8n-nodes-scan-fixture-0\.0\.1\.tgz \(2 files\): 2 files, 0 errors/);
	expect(out).toContain('the tarball holds all 1 nodes and credentials package.json lists');
	expect(status).toBe(0);
}, 240_000);

it('packs the working tree (an uncommitted `files` change) and fails when the tarball lacks a listed node', () => {
	const dir = fixturePackage();
	made.push(dir);
	const pkgFile = path.join(dir, 'package.json');
	const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
	pkg.files = ['dist/credentials'];
	fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2));
	const { status, out } = scan(dir);
	expect(out).toContain("FAILED, the tarball lacks what package.json's n8n section lists: dist/nodes/Fake/Fake.node.js");
	expect(status).toBe(1);
}, 240_000);

it('leaves untracked files out (CI and the publish job do not have them) and names them', () => {
	const dir = fixturePackage();
	made.push(dir);
	fs.mkdirSync(path.join(dir, 'nodes'));
	// Would fail the scan (no-console) if it were analysed.
	fs.writeFileSync(path.join(dir, 'nodes', 'Untracked.node.ts'), "console.log('x');\n");
	const { status, out } = scan(dir);
	expect(out).toContain('warning: not tracked by git, so not scanned or packed: nodes/Untracked.node.ts');
	expect(out).toMatch(/source \(package\.json, nodes\/, credentials\/\): 1 file, 0 errors/);
	expect(status).toBe(0);
}, 240_000);
