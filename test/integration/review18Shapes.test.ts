/**
 * Review of branch perf (issue 18, point 2): Skip Unchanged Input with Mirror on the API conventions of issue 17
 * (Shopify's record path `/customers/{id}.json`, HubSpot's `properties` envelope). A skipping Mirror run reads each
 * remembered record it would delete "by ID first" (engine/skipRun.ts verifyMirrorDeletes) — with a raw
 * `{path}/{id}` GET, neither the resource's Record Path nor its record shape. See /work/notes/review18.md, F3.
 */
import type { IDataObject, INodeParameters } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { CREDENTIAL_TYPE, credentialData, type CredentialKind } from '../support/credentials';

const OWNER = ACCOUNTS.owner;

let sandbox: Sandbox;
beforeAll(async () => {
	sandbox = await startSandbox({ seed: false });
});
afterAll(async () => await sandbox.close());
beforeEach(() => sandbox.reset());

interface Api {
	persona: string;
	baseSuffix?: string;
	credential: CredentialKind;
	credentialOverrides?: IDataObject;
	resource: INodeParameters;
	seed(count: number): void;
	mapping: Record<string, string>;
	matchOn: string[];
	item(i: number): IDataObject;
	remoteCount(): number;
}

const shopify: Api = {
	persona: 'shopify',
	baseSuffix: '/admin/api/2025-01',
	credential: 'apiKey',
	credentialOverrides: { headerName: 'X-Shopify-Access-Token' },
	resource: { remoteResource: 'shopifyCustomers' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.shopify.insert(OWNER, { email: `c${i}@shop.example`, first_name: `First ${i}`, last_name: `Last ${i}`, tags: `WS-${i}` });
		}
	},
	mapping: { email: '={{ $json.email }}', first_name: '={{ $json.first }}', last_name: '={{ $json.last }}', tags: '={{ $json.shopId }}' },
	matchOn: ['email'],
	item: (i) => ({ email: `c${i}@shop.example`, first: `First ${i}`, last: `Last ${i}`, shopId: `WS-${i}` }),
	remoteCount: () => sandbox.personas.shopify.customers.rows(OWNER).length,
};

const hubspot: Api = {
	persona: 'hubspot',
	credential: 'bearer',
	resource: { remoteResource: 'hubspotContacts' },
	seed(count) {
		for (let i = 1; i <= count; i++) {
			sandbox.personas.hubspot.insert(OWNER, { email: `c${i}@shop.example`, firstname: `First ${i}`, lastname: `Last ${i}`, shop_customer_id: i });
		}
	},
	mapping: { email: '={{ $json.email }}', firstname: '={{ $json.first }}', lastname: '={{ $json.last }}', shop_customer_id: '={{ $json.shopId }}' },
	matchOn: ['email'],
	item: (i) => ({ email: `c${i}@shop.example`, first: `First ${i}`, last: `Last ${i}`, shopId: i }),
	remoteCount: () => sandbox.personas.hubspot.contacts.rows(OWNER).length,
};

function mirror(api: Api, items: IDataObject[], staticData: IDataObject, skipUnchanged = true): Promise<RunResult> {
	return runNode({
		node: {
			type: 'apiSync',
			parameters: {
				authentication: CREDENTIAL_TYPE[api.credential],
				...api.resource,
				operation: 'sync',
				syncMode: 'mirror',
				maxDeletes: 10,
				columns: { mappingMode: 'defineBelow', value: api.mapping, matchingColumns: api.matchOn, schema: [] },
				syncOptions: { skipUnchanged, fullCheckHours: 24 },
			},
		},
		credentials: [
			{
				type: CREDENTIAL_TYPE[api.credential],
				data: credentialData(api.credential, `${sandbox.baseUrl}/personas/${api.persona}${api.baseSuffix ?? ''}`, api.credentialOverrides ?? {}),
			},
		],
		items,
		mode: 'trigger',
		staticData,
	});
}

const counts = (r: RunResult) => r.output.map((o) => o.length);
const summary = (r: RunResult) => r.hints[0]?.message ?? '';

describe.each([
	['Shopify (Record Path /customers/{id}.json)', shopify],
	['HubSpot (fields under "properties")', hubspot],
])('review18 F3: Skip Unchanged Input + Mirror on %s', (_label, api) => {
	// README: "a skipping Mirror run deletes the remembered records whose key is no longer in the input, reading each
	// one by ID first (gone already: nothing to do ...)".
	it('an item removed from the input deletes its remote record on the next (skipping) run', async () => {
		api.seed(3);
		const items = [1, 2, 3].map((i) => api.item(i));
		const first = await mirror(api, items, {});
		expect(first.error).toBeUndefined();
		expect(summary(first)).toMatch(/Skip Unchanged Input: full check/);
		expect(counts(first)).toEqual([0, 0, 3, 0, 0]);

		const second = await mirror(api, items.slice(0, 2), first.staticData);
		expect(second.error).toBeUndefined();
		expect(summary(second)).toMatch(/Skip Unchanged Input: 2 items unchanged/);
		// The record of c3 must be deleted (or, if the node cannot verify it, the run must compare in full / say so).
		expect(counts(second)).toEqual([0, 0, 2, 1, 0]);
		expect(api.remoteCount()).toBe(2);
	});

	it('control: without the option the same removal deletes the record', async () => {
		api.seed(3);
		const items = [1, 2, 3].map((i) => api.item(i));
		await mirror(api, items, {}, false);
		const second = await mirror(api, items.slice(0, 2), {}, false);
		expect(counts(second)).toEqual([0, 0, 2, 1, 0]);
		expect(api.remoteCount()).toBe(2);
	});
});
