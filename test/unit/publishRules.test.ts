/**
 * The rules n8n's verification of community nodes applies that can be checked offline and that
 * `npm run lint` (n8n's community-node ESLint rules) does not already check: licence, package
 * metadata that agrees with itself, documentation links that lead somewhere, every class registered.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ICredentialType } from 'n8n-workflow';

import * as pkgExports from '../../index';

const ROOT = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
const readme = fs.readFileSync(path.join(ROOT, 'README.md'), 'utf8');

const REPO_URL = pkg.homepage.replace(/#readme$/, '');

/** GitHub's anchor for a Markdown heading. */
function anchorOf(heading: string): string {
	return heading
		.trim()
		.toLowerCase()
		.replace(/[^\p{L}\p{N}\s_-]/gu, '')
		.replace(/\s/g, '-');
}
const README_ANCHORS = new Set([...readme.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchorOf(m[1])));

function filesUnder(dir: string, suffix: string): string[] {
	return fs.readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
		.filter((f) => f.endsWith(suffix))
		.map((f) => path.join(dir, f));
}

const CODEX_FILES = filesUnder('nodes', '.node.json');
const CREDENTIAL_TYPES = (Object.values(pkgExports) as Array<new () => object>)
	.map((Exported) => new Exported())
	.filter((instance): instance is ICredentialType => !('description' in instance));
const DOC_URLS = [
	...new Set(CREDENTIAL_TYPES.map((c) => c.documentationUrl as string)),
	...CODEX_FILES.flatMap((f) =>
		(JSON.parse(fs.readFileSync(path.join(ROOT, f), 'utf8')).resources.primaryDocumentation as Array<{ url: string }>).map((d) => d.url),
	),
];

it('is MIT licensed, with the licence text in LICENSE', () => {
	expect(pkg.license).toBe('MIT');
	expect(fs.readFileSync(path.join(ROOT, 'LICENSE'), 'utf8')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} \S/);
});

it('has no runtime dependencies; n8n-workflow is a peer', () => {
	expect(pkg.dependencies ?? {}).toEqual({});
	expect(pkg.peerDependencies).toEqual({ 'n8n-workflow': '*' });
});

it('names one GitHub repository everywhere: repository, homepage and documentation links', () => {
	expect(REPO_URL).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
	expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPO_URL}.git` });
	expect(pkg.author.name).toEqual(expect.any(String));
	for (const url of DOC_URLS) expect(url.startsWith(`${REPO_URL}#`)).toBe(true);
});

it('gives every credential type a documentation link of its own, written as a literal (n8n\'s scanner reads it so)', () => {
	expect(CREDENTIAL_TYPES).toHaveLength(pkg.n8n.credentials.length);
	for (const c of CREDENTIAL_TYPES) expect({ name: c.name, url: c.documentationUrl }).toEqual({ name: c.name, url: expect.stringMatching(/^https:\/\//) });
});

it.each(DOC_URLS)('documentation link %s leads to a README heading', (url) => {
	expect(README_ANCHORS).toContain(url.split('#')[1]);
});

it('registers every credential and node class, and nothing else', () => {
	const sources = [...filesUnder('credentials', '.credentials.ts'), ...filesUnder('nodes', '.node.ts')];
	const registered = [...pkg.n8n.credentials, ...pkg.n8n.nodes].map((f: string) => f.replace(/^dist\//, '').replace(/\.js$/, '.ts'));
	expect(registered.sort()).toEqual(sources.sort());
	expect(pkg.files).toEqual(['dist']);
	expect(pkg.keywords).toContain('n8n-community-node-package');
});

it('node and credential code reads no environment and no files, and no lint rule is switched off for that', () => {
	const code = [...filesUnder('credentials', '.ts'), ...filesUnder('nodes', '.ts')];
	for (const file of code) {
		const text = fs.readFileSync(path.join(ROOT, file), 'utf8');
		expect({ file, env: /\bprocess\.env\b/.test(text), fs: /from ['"](node:)?fs(\/promises)?['"]|require\(/.test(text) }).toEqual({
			file,
			env: false,
			fs: false,
		});
		expect({ file, disabled: /eslint-disable.*no-restricted-(globals|imports)/.test(text) }).toEqual({ file, disabled: false });
	}
});
