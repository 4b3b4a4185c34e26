#!/usr/bin/env node
// n8n's verification scanner (@n8n/scan-community-package, pinned in package.json), offline.
//
// `npx @n8n/scan-community-package <name>` downloads a published version from npm, checks its provenance, fetches
// the attested GitHub source and lints both. This script runs the same analysis — the scanner's own exported
// `analyzePackage` with its own ESLint config (n8n's community-node rules, all three rulesets of
// eslint-plugin-n8n-nodes-base, no-console) — on this checkout, without the network:
//   1. the source, with the scanner's SOURCE_FILE_PATTERNS (package.json, {nodes,credentials}/**/*.{js,ts,json});
//   2. the tarball `npm pack` makes after `npm run build`, built in a temporary copy of the package (dist/ here is
//      left alone), with every .js, .ts and .json in it (stricter than the scanner's own tarball leg, which lints
//      **/*.js and package.json only).
// Exits 1 when either leg reports an error. Part of `npm run lint`.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scannerVersion = JSON.parse(
	fs.readFileSync(path.join(root, 'node_modules/@n8n/scan-community-package/package.json'), 'utf8'),
).version;
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

/** Builds and packs the package in a temporary copy; returns the folder the tarball was unpacked into. */
async function buildAndPack(work) {
	const copy = path.join(work, 'package');
	fs.mkdirSync(copy);
	const entries = ['package.json', 'README.md', 'LICENSE', 'index.ts', 'tsconfig.json', 'tsconfig.build.json',
		'gulpfile.js', 'credentials', 'nodes', 'scripts/copy-codex.js'];
	for (const entry of entries) fs.cpSync(path.join(root, entry), path.join(copy, entry), { recursive: true });
	fs.symlinkSync(path.join(root, 'node_modules'), path.join(copy, 'node_modules'), 'dir');
	await run('npm', ['run', '--silent', 'build'], copy);
	const packed = JSON.parse(await run('npm', ['pack', '--json', '--pack-destination', work], copy));
	const unpacked = path.join(work, 'tarball');
	fs.mkdirSync(unpacked);
	await run('tar', ['-xzf', path.join(work, packed[0].filename), '-C', unpacked, '--strip-components=1'], work);
	return { unpacked, filename: packed[0].filename, files: packed[0].files.length };
}

function report(label, result) {
	if (result.passed) {
		console.log(`scan-community-package ${scannerVersion}: ${label}: 0 errors`);
		return true;
	}
	console.log(`scan-community-package ${scannerVersion}: ${label}: ${result.message}`);
	if (result.details) console.log(result.details);
	return false;
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'scan-community-package-'));
// The scanner makes a temporary folder when it is loaded (for downloads this script never asks for) and leaves it
// behind: let it make it inside ours, which is removed at the end.
process.env.TMPDIR = work;
const { SOURCE_FILE_PATTERNS, analyzePackage } = await import('@n8n/scan-community-package/scanner/scanner.mjs');
let ok = false;
try {
	const building = buildAndPack(work);
	building.catch(() => {}); // awaited below; a failure is reported there
	const source = await analyzePackage(root, SOURCE_FILE_PATTERNS);
	const sourceOk = report('source (package.json, nodes/, credentials/)', source);
	const tarball = await building;
	const packed = await analyzePackage(tarball.unpacked, ['**/*.js', '**/*.ts', '**/*.json']);
	const packedOk = report(`npm pack tarball ${tarball.filename} (${tarball.files} files)`, packed);
	ok = sourceOk && packedOk;
} finally {
	fs.rmSync(work, { recursive: true, force: true });
}
console.log(`scan-community-package: ${ok ? 'passed' : 'FAILED'} in ${seconds()}`);
process.exit(ok ? 0 : 1);
