/**
 * Every importable example in examples/ runs in a real n8n against the sandbox, as `npm start` sets it up
 * (only the sandbox's address differs: the examples point at 127.0.0.1:8787).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { ACCOUNTS } from '../sandbox/fixtures';
import type { N8nCredential, N8nWorkflow } from './support/n8n';
import { REPO_ROOT } from './support/n8n';
import { startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(600_000);

const EXAMPLES = path.join(REPO_ROOT, 'examples');
const EXAMPLE_SANDBOX = 'http://127.0.0.1:8787/api/v1';

function readJsonList<T>(file: string): T[] {
	const value = JSON.parse(fs.readFileSync(file, 'utf8'));
	return Array.isArray(value) ? value : [value];
}

const workflows: N8nWorkflow[] = fs
	.readdirSync(EXAMPLES)
	.filter((f) => f.endsWith('.json'))
	.flatMap((f) => readJsonList<N8nWorkflow>(path.join(EXAMPLES, f)));

let env: PackageE2e;

beforeAll(async () => {
	env = await startPackageE2e();
	const credentials = fs
		.readdirSync(path.join(EXAMPLES, 'credentials'))
		.flatMap((f) => readJsonList<N8nCredential>(path.join(EXAMPLES, 'credentials', f)))
		.map((c) => JSON.parse(JSON.stringify(c).split(EXAMPLE_SANDBOX).join(env.sandbox.baseUrl)) as N8nCredential);
	await env.n8n.importCredentials(credentials);
	await env.n8n.importWorkflows(workflows);
});

afterAll(async () => await stopPackageE2e(env));
beforeEach(() => env.sandbox.reset());

/** What each example must achieve, by workflow id. */
const EXPECTATIONS: Record<string, (result: Awaited<ReturnType<PackageE2e['n8n']['execute']>>) => void> = {
	exKeyPerAccount: (result) => {
		expect(result.nodeOutput('Store keys')[0]).toEqual(
			ACCOUNTS.portalClients.map((account) => ({
				account,
				name: `Read-only integration key for Client ${account}`,
				verified: true,
				stored: true,
			})),
		);
		for (const account of ACCOUNTS.portalClients) expect(env.sandbox.issuedApiKeys(account)).toHaveLength(1);
	},
	exHourlyClients: (result) => {
		const outputs = result.nodeOutput('Sync to clients');
		expect(outputs.map((o) => o.length)).toEqual([25, 0, 0, 0, 0]);
		const synced = env.sandbox.store.list(ACCOUNTS.owner, 'clients').filter((c) => String(c.external_client_id).startsWith('WS-'));
		expect(synced).toHaveLength(25);
		expect(synced[0]).toMatchObject({ name: 'Webshop customer 1', email_address: 'customer1@shop.example', tax_code: 'BE0400000000', city: 'Gent' });
	},
};

/** Examples `n8n execute` cannot start, and where they run instead. */
const RUN_ELSEWHERE: Record<string, string> = {
	exNewInvoices:
		'starts with a polling trigger, and `n8n execute` only starts workflows with a manual trigger ("Missing node to start execution"); test/e2e/changes.e2e.test.ts imports this file, activates it in `n8n start` and checks what it forwards',
	exWebhookUpsert:
		'starts with a webhook; test/e2e/webhook.e2e.test.ts imports this file, activates it in `n8n start`, sends it signed calls and checks the clients it upserts',
};

it('has an expectation for every example', () => {
	expect(workflows.map((w) => w.id).sort()).toEqual([...Object.keys(EXPECTATIONS), ...Object.keys(RUN_ELSEWHERE)].sort());
});

it.each(workflows.filter((w) => !(w.id in RUN_ELSEWHERE)).map((w) => [w.name, w.id]))('runs "%s"', async (_name, id) => {
	const result = await env.n8n.execute(id);
	expect(result.errorMessage).toBeUndefined();
	expect(result.exitCode).toBe(0);
	EXPECTATIONS[id](result);
});
