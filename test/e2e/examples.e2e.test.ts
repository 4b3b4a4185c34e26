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
	// The API convention examples: against the sandbox's personas (seeded with Anna and Bram), Anna is in sync, Bram
	// changed, Carla is new: one update and one create in the body each API accepts.
	exHubSpot: (result) => {
		expect(result.nodeOutput('Sync to HubSpot').map((o) => o.length)).toEqual([1, 1, 1, 0, 0]);
		const contacts = env.sandbox.personas.hubspot.contacts.rows(ACCOUNTS.owner);
		expect(contacts.map((c) => c.properties.lastname)).toEqual(['Peeters', 'Janssens-Maes', 'De Smet']);
		expect(contacts[2].properties.shop_customer_id).toBe('WS-3');
	},
	exStripe: (result) => {
		expect(result.nodeOutput('Sync to Stripe').map((o) => o.length)).toEqual([1, 1, 1, 0, 0]);
		const byShopId = new Map(env.sandbox.personas.stripe.customers.rows(ACCOUNTS.owner).map((c) => [c.metadata.shop_id, c]));
		expect(byShopId.get('WS-2')).toMatchObject({ name: 'Bram Janssens-Maes', metadata: { shop_id: 'WS-2', plan: 'business' } });
		expect(byShopId.get('WS-3')).toMatchObject({ name: 'Carla De Smet', email: 'carla@shop.example', metadata: { plan: 'basic' } });
		const writes = env.sandbox.log.filter((e) => e.method === 'POST');
		expect(writes.every((e) => e.headers['content-type'] === 'application/x-www-form-urlencoded' && e.status === 200)).toBe(true);
	},
	exAirtable: (result) => {
		expect(result.nodeOutput('Sync to Airtable').map((o) => o.length)).toEqual([1, 1, 1, 0, 0]);
		expect(env.sandbox.personas.airtable.records.rows(ACCOUNTS.owner).map((r) => r.fields)).toEqual([
			{ Name: 'Anna Peeters', Email: 'anna@shop.example', Status: 'Customer', Score: 7 },
			{ Name: 'Bram Janssens-Maes', Email: 'bram@shop.example', Status: 'Customer', Score: 5 },
			{ Name: 'Carla De Smet', Email: 'carla@shop.example', Status: 'Lead', Score: 1 },
		]);
	},
	exShopify: (result) => {
		expect(result.nodeOutput('Sync to Shopify').map((o) => o.length)).toEqual([1, 1, 1, 0, 0]);
		const customers = env.sandbox.personas.shopify.customers.rows(ACCOUNTS.owner);
		expect(customers.map((c) => [c.email, c.last_name, c.tags])).toEqual([
			['anna@shop.example', 'Peeters', 'WS-1'],
			['bram@shop.example', 'Janssens-Maes', 'WS-2'],
			['carla@shop.example', 'De Smet', 'WS-3'],
		]);
	},
	exJsonApi: (result) => {
		expect(result.nodeOutput('Sync to JSON:API').map((o) => o.length)).toEqual([1, 1, 1, 0, 0]);
		expect(env.sandbox.personas.jsonapi.articles.rows(ACCOUNTS.owner).map((a) => a.attributes)).toEqual([
			{ title: 'Opening hours', body: 'We open at nine.', status: 'published', wordCount: 4 },
			{ title: 'New bakery', body: 'Now open in Gent, Kouter 1.', status: 'published', wordCount: 6 },
			{ title: 'Summer holidays', body: 'Closed in August.', status: 'draft', wordCount: 3 },
		]);
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
