/**
 * Merges n8n export files (each a single object or an array) into one array file for
 * `n8n import:credentials|import:workflow --input=<out>`. Entries without an id get a stable id
 * derived from file name + position, so re-importing updates instead of duplicating.
 *   ts-node --transpile-only test/e2e/support/merge-import-files.ts <out.json> <file.json>...
 */
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

const [out, ...files] = process.argv.slice(2);
if (!out) {
	console.error('usage: merge-import-files.ts <out.json> <file.json>...');
	process.exit(2);
}
const merged: Array<Record<string, unknown>> = [];
for (const file of files) {
	const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as unknown;
	const entries = (Array.isArray(parsed) ? parsed : [parsed]) as Array<Record<string, unknown>>;
	entries.forEach((entry, i) => {
		if (!entry || typeof entry !== 'object') throw new Error(`${file}: entry ${i} is not an object`);
		if (!entry.id) {
			// n8n treats workflow ids longer than 21 characters as invalid
			entry.id = createHash('sha1').update(`${path.basename(file)}#${i}`).digest('hex').slice(0, 16);
		}
		merged.push(entry);
	});
}
fs.writeFileSync(out, JSON.stringify(merged, null, 2));
console.log(`${merged.length}`);
