/**
 * Proves the e2e harness against a REAL n8n with a throwaway fixture community package:
 * package loading + peer `n8n-workflow` resolution, node output, workflow failures,
 * credential import/decryption + httpRequestWithAuthentication, and `n8n start`.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';

import { createFixturePackage, FIXTURE_CREDENTIAL_TYPE, FIXTURE_PACKAGE } from './support/fixture-package';
import { prepareN8n, type N8nInstance } from './support/n8n';
import { chainWorkflow } from './support/workflow';

jest.setTimeout(300_000);

describe('e2e harness smoke (real n8n, fixture package)', () => {
	let fixtureDir: string;
	let n8n: N8nInstance;
	let server: http.Server;
	let serverUrl: string;
	const received: Array<{ url?: string; headers: http.IncomingHttpHeaders }> = [];

	beforeAll(async () => {
		server = http.createServer((req, res) => {
			received.push({ url: req.url, headers: req.headers });
			const ok = req.headers['x-e2e-key'] === 's3cret-value';
			res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
			res.end(JSON.stringify({ ok, gotHeader: req.headers['x-e2e-key'] ?? null }));
		});
		await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
		serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

		fixtureDir = createFixturePackage();
		n8n = await prepareN8n({ packageDir: fixtureDir });
		await n8n.importCredentials([
			{
				id: 'e2eHeaderCred1',
				name: 'E2E header cred',
				type: FIXTURE_CREDENTIAL_TYPE,
				data: { name: 'X-E2E-Key', value: 's3cret-value' },
			},
		]);
		await n8n.importWorkflows([
			chainWorkflow({ id: 'smokeHello', nodes: [{ name: 'Hello', type: `${FIXTURE_PACKAGE}.e2eHello` }] }),
			chainWorkflow({
				id: 'smokeBoom',
				nodes: [{ name: 'Boom', type: `${FIXTURE_PACKAGE}.e2eBoom`, parameters: { message: 'Kaboom 42' } }],
			}),
			chainWorkflow({ id: 'smokeUnknown', nodes: [{ name: 'Nope', type: `${FIXTURE_PACKAGE}.doesNotExist` }] }),
			chainWorkflow({
				id: 'smokeCred',
				nodes: [
					{
						name: 'Call',
						type: `${FIXTURE_PACKAGE}.e2eHeaderCall`,
						parameters: { url: `${serverUrl}/echo` },
						credentials: { [FIXTURE_CREDENTIAL_TYPE]: { id: 'e2eHeaderCred1', name: 'E2E header cred' } },
					},
				],
			}),
		]);
	});

	afterAll(async () => {
		await n8n?.dispose();
		if (fixtureDir) fs.rmSync(fixtureDir, { recursive: true, force: true });
		await new Promise((resolve) => server?.close(resolve));
	});

	it('executes a workflow with a community node and returns its output', async () => {
		const res = await n8n.execute('smokeHello');
		expect(res.exitCode).toBe(0);
		expect(res.errorMessage).toBeUndefined();
		expect(res.data.status).toBe('success');
		const out = res.nodeOutput('Hello');
		expect(out).toHaveLength(1);
		expect(out[0]).toHaveLength(1);
		expect(out[0][0]).toMatchObject({ hello: 'world', hasNodeOperationError: true, inputCount: 1 });
		// the package's peer dependency resolved to n8n's own n8n-workflow, not a copy of its own
		const resolved = out[0][0].n8nWorkflowPath as string;
		expect(resolved.startsWith(path.join(fs.realpathSync(n8n.installDir), 'node_modules', 'n8n-workflow'))).toBe(true);
		expect(() => res.nodeOutput('Not There')).toThrow(/did not run/);
		console.log(`n8n execute took ${res.durationMs} ms`);
	});

	it('runs several executes on one user folder, also concurrently', async () => {
		const results = await Promise.all([n8n.execute('smokeHello'), n8n.execute('smokeHello')]);
		for (const res of results) {
			expect(res.exitCode).toBe(0);
			expect(res.nodeOutput('Hello')[0][0]).toMatchObject({ hello: 'world' });
		}
	});

	it('reports a failing node as exitCode != 0 with the error message', async () => {
		const res = await n8n.execute('smokeBoom');
		expect(res.exitCode).not.toBe(0);
		expect(res.errorMessage).toBe('Kaboom 42');
		expect(res.data?.status).toBe('error');
	});

	it('reports an unknown node type as a failed execution (not an infra error)', async () => {
		const res = await n8n.execute('smokeUnknown');
		expect(res.exitCode).not.toBe(0);
		expect(res.errorMessage).toMatch(/Unrecognized node type/);
	});

	it('throws (infra problem) for a workflow that was never imported', async () => {
		await expect(n8n.execute('neverImported')).rejects.toThrow(/does not exist/);
	});

	it('decrypts an imported credential and sends its header via httpRequestWithAuthentication', async () => {
		received.length = 0;
		const res = await n8n.execute('smokeCred');
		expect(res.errorMessage).toBeUndefined();
		expect(res.exitCode).toBe(0);
		expect(res.nodeOutput('Call')[0][0]).toEqual({ ok: true, gotHeader: 's3cret-value' });
		expect(received).toHaveLength(1);
		expect(received[0].url).toBe('/echo');
		expect(received[0].headers['x-e2e-key']).toBe('s3cret-value');
	});

	it('starts `n8n start` with the package loaded and stops it', async () => {
		const started = await n8n.start();
		try {
			const health = await fetch(`${started.url}/healthz`);
			expect(health.status).toBe(200);
			// the editor page is served (n8n may log "Editor is now accessible" after it reports ready)
			expect((await fetch(`${started.url}/`)).status).toBe(200);
			// the owner (from env) can use the REST API; the imported workflows and credential are there
			const workflows = await started.rest('GET', '/rest/workflows');
			expect(workflows.status).toBe(200);
			expect(workflows.body.data.map((w: { id: string }) => w.id)).toEqual(expect.arrayContaining(['smokeHello', 'smokeCred']));
			const creds = await started.rest('GET', '/rest/credentials');
			expect(creds.status).toBe(200);
			expect(creds.body.data.map((c: { id: string }) => c.id)).toContain('e2eHeaderCred1');
			// the community node types are served to the editor
			const types = await started.rest('GET', '/types/nodes.json');
			expect(types.status).toBe(200);
			expect(types.body.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining([`${FIXTURE_PACKAGE}.e2eHello`]));
		} finally {
			await started.stop();
		}
	});
});
