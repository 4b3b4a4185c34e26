#!/usr/bin/env node
// n8n's verification scanner (@n8n/scan-community-package, pinned in package.json), offline.
//
// `npx @n8n/scan-community-package <name>` downloads a published version from npm, checks its provenance, fetches
// the attested GitHub source and lints both. This script runs the same analysis — the scanner's own exported
// `analyzePackage` with its own ESLint config (n8n's community-node rules, all three rulesets of
// eslint-plugin-n8n-nodes-base, no-console) — on this checkout, without the network. It first copies every file git
// tracks, as it is in the working tree (uncommitted edits included, untracked files not: CI and the publish job see
// only tracked files; untracked ones are named in a warning), with .npmrc, into a temporary folder, then:
//   1. the source, with the scanner's SOURCE_FILE_PATTERNS (package.json, {nodes,credentials}/**/*.{js,ts,json});
//   2. the tarball `npm pack` makes in that copy after `npm run build` (dist/ here is left alone; `files`, .npmrc and
//      any prepack script apply as they do for `npm publish`), with every .js, .ts and .json in it (stricter than the
//      scanner's own tarball leg, which lints **/*.js and package.json only).
// Exits 1 when either leg reports an error or analysed no file (the scanner passes an empty folder: "No files found
// to analyze"), or when the tarball lacks a file that package.json's n8n.nodes / n8n.credentials lists. Part of
// `npm run lint`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const checkout = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The package to scan: this checkout, or (for test/unit/scanScript.test.ts) SCAN_PACKAGE_DIR. The scanner always
// comes from this checkout's node_modules.
const root = process.env.SCAN_PACKAGE_DIR ? path.resolve(process.env.SCAN_PACKAGE_DIR) : checkout;
const scannerDir = path.join(checkout, 'node_modules/@n8n/scan-community-package');
const scannerVersion = JSON.parse(fs.readFileSync(path.join(scannerDir, 'package.json'), 'utf8')).version;
const started = Date.now();
const seconds = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;

/** Runs a command (asynchronously: the source is analysed meanwhile); resolves with its stdout. */
function run(cmd, args, cwd) {
	return new Promise((resolve, reject) => {
		const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
		let out = '';
		let err = '';
		child.stdout.on('data', (chunk) => (out += chunk));
		child.stderr.on('data', (chunk) => (err += chunk));
		child.on('error', reject);
		child.on('close', (code) => {
			if (code === 0) return resolve(out);
			process.stderr.write(out + err);
			reject(new Error(`${cmd} ${args.join(' ')} failed in ${cwd} (exit ${code})`));
		});
	});
}

/** Paths git lists, NUL-separated, relative to the checkout. */
async function gitFiles(args) {
	return (await run('git', ['ls-files', '-z', ...args], root)).split('\0').filter(Boolean);
}

/**
 * Copies what git tracks, as it is in the working tree, into `copy` (a file deleted but not yet committed is left
 * out, as it will be). Returns how many files were copied and the untracked files that are not ignored.
 */
async function copyTracked(copy) {
	const tracked = await gitFiles(['--cached']);
	let copied = 0;
	for (const file of tracked) {
		const from = path.join(root, file);
		if (!fs.existsSync(from)) continue;
		fs.mkdirSync(path.dirname(path.join(copy, file)), { recursive: true });
		fs.cpSync(from, path.join(copy, file), { verbatimSymlinks: true });
		copied++;
	}
	const untracked = await gitFiles(['--others', '--exclude-standard']);
	return { copied, untracked };
}

/** Builds and packs the package in `copy`; returns the folder the tarball was unpacked into. */
async function buildAndPack(work, copy) {
	fs.symlinkSync(path.join(checkout, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
	await run('npm', ['run', '--silent', 'build'], copy);
	const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', work], copy));
	const unpacked = path.join(work, 'tarball');
	fs.mkdirSync(unpacked);
	await run('tar', ['-xzf', path.join(work, packed[0].filename), '-C', unpacked, '--strip-components=1'], work);
	return { unpacked, filename: packed[0].filename, files: packed[0].files.length };
}

/**
 * Analyses `dir` as the scanner does and reports it. The file count comes from the same fast-glob call (patterns and
 * ignores) as `analyzePackage`'s, which passes a folder where nothing matches.
 */
async function scan(label, dir, patterns) {
	const linted = glob.sync(patterns, { cwd: dir, ignore: ['node_modules/**', '**/package-lock.json'] });
	const result = await analyzePackage(dir, patterns);
	const prefix = `scan-community-package ${scannerVersion}: ${label}: ${linted.length} file${linted.length === 1 ? '' : 's'}`;
	if (linted.length === 0) {
		console.log(`${prefix}: FAILED, nothing analysed${result.message ? ` (${result.message})` : ''}`);
		return { ok: false, linted };
	}
	if (result.passed && !result.message) {
		console.log(`${prefix}, 0 errors`);
		return { ok: true, linted };
	}
	console.log(`${prefix}: ${result.message ?? 'FAILED'}`);
	if (result.details) console.log(result.details);
	return { ok: false, linted };
}

/** Every file package.json's `n8n` section lists must be in the tarball, and linted. */
function checkRegistered(unpacked, linted) {
	const pkg = JSON.parse(fs.readFileSync(path.join(unpacked, 'package.json'), 'utf8'));
	const listed = [...(pkg.n8n?.nodes ?? []), ...(pkg.n8n?.credentials ?? [])].map((f) => path.posix.normalize(f));
	const missing = listed.filter((f) => !linted.includes(f));
	if (listed.length === 0) {
		console.log('scan-community-package: FAILED, package.json lists no n8n.nodes or n8n.credentials');
		return false;
	}
	if (missing.length > 0) {
		console.log(`scan-community-package: FAILED, the tarball lacks what package.json's n8n section lists: ${missing.join(', ')}`);
		return false;
	}
	console.log(`scan-community-package: the tarball holds all ${listed.length} nodes and credentials package.json lists`);
	return true;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-community-package-'));
// The scanner makes a temporary folder when it is loaded (for downloads this script never asks for) and leaves it
// behind: let it make it inside ours, which is removed at the end.
process.env.TMPDIR = work;
const scannerModule = path.join(scannerDir, 'scanner/scanner.mjs');
const { SOURCE_FILE_PATTERNS, analyzePackage } = await import(pathToFileURL(scannerModule).href);
// The scanner's own glob (its dependency, resolved from it), to count what analyzePackage lints.
const glob = createRequire(scannerModule)('fast-glob');
let ok = false;
try {
	const copy = path.join(work, 'package');
	fs.mkdirSync(copy);
	const { copied, untracked } = await copyTracked(copy);
	console.log(`scan-community-package: ${copied} files git tracks, copied as they are in the working tree`);
	if (untracked.length > 0) {
		console.log(`scan-community-package: warning: not tracked by git, so not scanned or packed: ${untracked.join(', ')}`);
	}
	const building = buildAndPack(work, copy);
	building.catch(() => {}); // awaited below; a failure is reported there
	// The build writes only dist/, which SOURCE_FILE_PATTERNS do not match.
	const source = await scan('source (package.json, nodes/, credentials/)', copy, SOURCE_FILE_PATTERNS);
	const tarball = await building;
	const packed = await scan(`npm pack tarball ${tarball.filename} (${tarball.files} files)`, tarball.unpacked, [
		'**/*.js',
		'**/*.ts',
		'**/*.json',
	]);
	const registered = checkRegistered(tarball.unpacked, packed.linted);
	ok = source.ok && packed.ok && registered;
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}
console.log(`scan-community-package: ${ok ? 'passed' : 'FAILED'} in ${seconds()}`);
process.exit(ok ? 0 : 1);
