/**
 * The importable examples keep their IDs on `n8n import:workflow`. n8n 1.x saves a workflow's static data
 * (Get Changes' and the trigger's state, the webhook's delivery IDs) only for IDs of at most 16 characters
 * (1.123.81: isWorkflowIdValid in dist/utils.js; 2.x allows 21), so a longer example ID would start over on every run there.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

const EXAMPLES = path.join(__dirname, '..', '..', 'examples');

const ids = fs
	.readdirSync(EXAMPLES)
	.filter((file) => file.endsWith('.json'))
	.flatMap((file) => {
		const value = JSON.parse(fs.readFileSync(path.join(EXAMPLES, file), 'utf8')) as { id?: string } | Array<{ id?: string }>;
		return (Array.isArray(value) ? value : [value]).map((workflow) => [file, workflow.id] as const);
	});

it('finds the examples', () => {
	expect(ids.length).toBeGreaterThan(0);
});

it.each(ids)('%s: workflow ID "%s" is 1 to 16 characters', (_file, id) => {
	expect(typeof id).toBe('string');
	expect(id!.length).toBeGreaterThanOrEqual(1);
	expect(id!.length).toBeLessThanOrEqual(16);
});
