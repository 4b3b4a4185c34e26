/**
 * OAuth2 Authorization Code, end to end in the real n8n editor (Debian's Chromium driven by playwright-core, a real
 * `n8n start` with the built package, the sandbox API as the provider):
 *
 * the user creates an API Sync OAuth2 credential from the node, presses Connect, approves on the sandbox's consent
 * page in the popup, and is back in n8n with the account connected; API Sync Get Many runs with it; the access token
 * expires and n8n renews it with the refresh token (the next run succeeds); the user withdraws access at the provider
 * and the run fails with a message that says to reconnect; reconnecting makes it run again. Nothing leaks: no access
 * or refresh token, nor the client secret, in the node output, the error, the stored executions, n8n's log (at debug
 * level), or anything n8n sent to the browser.
 *
 * The workflow (Manual Trigger → API Sync Get Many, OAuth2 selected, no credential yet) is imported: adding nodes from
 * the node creator is browser.e2e.test.ts's subject. Runs on the pinned n8n only (not in test:compat): the editor's
 * OAuth screens differ between n8n versions, and the renewal itself is n8n-core's (in-process tests cover our side).
 */
import * as path from 'node:path';

import type { Page, Response } from 'playwright-core';

import { OAUTH_CLIENTS } from '../sandbox/fixtures';
import type { RequestLogEntry } from '../sandbox/server';
import { openEditor, SCREENSHOTS, slug, type EditorBrowser } from './support/browser';
import type { StartedN8n } from './support/n8n';
import { PACKAGE, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(600_000);

const WORKFLOW_ID = 'oauth2Browser';
const NODE_NAME = 'Get clients';
/** The name the user gives the credential (n8n proposes one derived from the credential type's display name). */
const CREDENTIAL_NAME = 'Sandbox OAuth2';
const CLIENT = OAUTH_CLIENTS[0];

let env: PackageE2e;
let n8n: StartedN8n;
let browser: EditorBrowser;
let page: Page;
/** Everything n8n answered the browser (REST and pages), to check that no token reached it. */
const receivedByBrowser: string[] = [];
/** What the node's output panel showed after each run. */
const shownOutputs: string[] = [];

beforeAll(async () => {
	env = await startPackageE2e();
	await env.n8n.importWorkflows([
		{
			id: WORKFLOW_ID,
			name: 'OAuth2 Authorization Code (browser e2e)',
			nodes: [
				{ id: 'trigger', name: 'When clicking', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
				{
					id: 'getMany',
					name: NODE_NAME,
					type: `${PACKAGE}.apiSync`,
					typeVersion: 1,
					position: [300, 0],
					parameters: {
						authentication: 'apiSyncOAuth2Api',
						resource: 'record',
						operation: 'getAll',
						remoteResource: 'clients',
						returnAll: true,
					},
				},
			],
			connections: { 'When clicking': { main: [[{ node: NODE_NAME, type: 'main', index: 0 }]] } },
		},
	]);
	// Debug level: the log checked for leaks is the most talkative one n8n writes.
	n8n = await env.n8n.start({ env: { N8N_LOG_LEVEL: 'debug' } });
	env.sandbox.setOAuthConsent('page');
	browser = await openEditor(n8n.url);
	page = browser.page;
	browser.context.on('response', (response) => void keepBody(response));
});

afterAll(async () => {
	await browser?.close();
	await stopPackageE2e(env);
});

afterEach(async () => {
	// The page at the end of each test: on a failure, the best explanation.
	const state = (expect as unknown as { getState(): { currentTestName?: string } }).getState();
	if (page) await browser.screenshot(`end-of-${slug(state.currentTestName ?? 'test')}`);
});

async function keepBody(response: Response): Promise<void> {
	if (!response.url().startsWith(n8n.url)) return;
	const type = response.headers()['content-type'] ?? '';
	if (!/json|html|text\/plain/.test(type)) return;
	receivedByBrowser.push(await response.text().catch(() => ''));
}

function credentialModal() {
	return page.getByTestId('editCredential-modal');
}

async function openNode(): Promise<void> {
	await page.goto(`${n8n.url}/workflow/${WORKFLOW_ID}`, { waitUntil: 'domcontentloaded' });
	const node = page.getByTestId('canvas-node').filter({ hasText: NODE_NAME });
	await node.dblclick();
	// A canvas that re-renders between the two clicks of a double-click opens nothing: try once more.
	if (!(await page.getByTestId('ndv').waitFor({ timeout: 15_000 }).then(() => true, () => false))) await node.dblclick();
	await page.getByTestId('ndv').waitFor();
}

async function fillCredentialField(name: string, value: string): Promise<void> {
	const input = credentialModal().getByTestId(`parameter-input-${name}`).locator('input, textarea').first();
	await input.fill(value);
	if ((await input.inputValue()) !== value) throw new Error(`credential field ${name} did not take the value`);
}

/**
 * Approves on the sandbox's consent page in the popup that `connect` opens, and returns once the popup closed (n8n's
 * callback page closes it after the tokens were stored).
 */
async function consentInPopup(connect: () => Promise<void>, screenshot?: string): Promise<void> {
	const popupOpened = page.waitForEvent('popup');
	await connect();
	const popup = await popupOpened;
	const closed = popup.waitForEvent('close', { timeout: 90_000 });
	await popup.getByRole('button', { name: 'Allow' }).waitFor();
	expect(await popup.locator('#client').innerText()).toBe(CLIENT.clientId);
	expect(await popup.locator('#redirect-host').innerText()).toBe(new URL(n8n.url).host);
	if (screenshot) await popup.screenshot({ path: path.join(SCREENSHOTS, `${screenshot}.png`) });
	await popup.getByRole('button', { name: 'Allow' }).click();
	await closed;
}

/** Runs the open node and returns what its output panel shows once `shown` appears there. */
async function runNodeUntil(shown: string): Promise<string> {
	await page.getByTestId('node-execute-button').click();
	const output = page.getByTestId('output-panel');
	await output.getByText(shown, { exact: false }).first().waitFor();
	const text = await output.innerText();
	shownOutputs.push(text);
	return text;
}

/** The sandbox's API calls since log entry `afterId`, as "METHOD path status [grant_type]" (not the browser's favicon). */
function sandboxCalls(afterId: number): string[] {
	return env.sandbox.log.filter((entry) => entry.id > afterId && entry.path.startsWith('/api/v1/')).map(describeCall);
}

function describeCall(entry: RequestLogEntry): string {
	const grant = entry.path.endsWith('/oauth/token') ? ` ${new URLSearchParams(entry.body).get('grant_type')}` : '';
	return `${entry.method} ${entry.path} ${entry.status}${grant}`;
}

function lastLogId(): number {
	return env.sandbox.log.at(-1)?.id ?? 0;
}

it('a credential created from the node connects: consent on the sandbox page in the popup, back in n8n, account connected', async () => {
	await openNode();
	await page.getByTestId('node-credentials-empty-state').click();
	const modal = credentialModal();
	await modal.getByTestId('parameter-input-clientId').waitFor();

	await modal.getByTestId('credential-name').click();
	await modal.getByTestId('credential-name').getByTestId('inline-edit-input').fill(CREDENTIAL_NAME);
	await page.keyboard.press('Enter');
	// n8n tells the user the redirect URL to register at the provider: its own callback.
	await modal.getByText(`${n8n.url}/rest/oauth2-credential/callback`, { exact: true }).waitFor();
	expect(await modal.getByTestId('parameter-input-grantType').locator('input').inputValue()).toBe('Authorization Code');
	await fillCredentialField('authUrl', `${env.sandbox.baseUrl}/oauth/authorize`);
	await fillCredentialField('accessTokenUrl', `${env.sandbox.baseUrl}/oauth/token`);
	await fillCredentialField('clientId', CLIENT.clientId);
	await fillCredentialField('clientSecret', CLIENT.clientSecret);
	await fillCredentialField('baseUrl', env.sandbox.baseUrl);
	await browser.screenshot('oauth2-credential');

	const before = lastLogId();
	await consentInPopup(
		() => modal.getByTestId('oauth-not-connected-banner').getByRole('button', { name: 'Connect', exact: true }).click(),
		'oauth2-consent-page',
	);
	// n8n closes the dialog once the account is connected; the node now uses the new credential.
	await modal.waitFor({ state: 'hidden' });
	await page.waitForFunction(
		`[...document.querySelectorAll('[data-test-id=node-credentials-select] input')].some((input) => input.value === ${JSON.stringify(CREDENTIAL_NAME)})`,
	);
	expect(sandboxCalls(before)).toEqual([
		'GET /api/v1/oauth/authorize 200',
		'POST /api/v1/oauth/authorize 302',
		'POST /api/v1/oauth/token 200 authorization_code',
	]);
	const authorize = env.sandbox.log.find((entry) => entry.id > before && entry.path.endsWith('/oauth/authorize'))!;
	expect(authorize.query).toMatchObject({
		client_id: CLIENT.clientId,
		response_type: 'code',
		redirect_uri: `${n8n.url}/rest/oauth2-credential/callback`,
	});

	// Opened again, the credential says the account is connected.
	await page.getByTestId('credential-edit-button').click();
	await modal.getByTestId('oauth-connect-success-banner').getByText('Account connected').waitFor();
	await browser.screenshot('oauth2-connected');
	await modal.locator('.el-dialog__close').first().click();
	await modal.waitFor({ state: 'hidden' });
});

it('API Sync Get Many runs with the connected credential', async () => {
	const before = lastLogId();
	const [firstClient] = env.sandbox.store.list(CLIENT.account, 'clients');
	await runNodeUntil(String(firstClient.name));
	expect(sandboxCalls(before)).toEqual(['GET /api/v1/clients 200']);
	expect(env.sandbox.log.at(-1)?.auth).toMatchObject({ scheme: 'oauth2', principal: CLIENT.clientId });
});

it('an expired access token is renewed with the refresh token: the next run succeeds', async () => {
	env.sandbox.store.insert(CLIENT.account, 'clients', { name: 'Renewed Token BV', external_client_id: 'oauth2-renewed' });
	env.sandbox.expireOAuthTokens();
	const before = lastLogId();
	await runNodeUntil('Renewed Token BV');
	expect(sandboxCalls(before)).toEqual([
		'GET /api/v1/clients 401',
		'POST /api/v1/oauth/token 200 refresh_token',
		'GET /api/v1/clients 200',
	]);
	expect(n8n.logs()).toContain(`OAuth2 token for "apiSyncOAuth2Api" used by node "${NODE_NAME}" has been renewed.`);
});

it('access withdrawn at the provider: the run says to reconnect the credential; reconnecting makes it run again', async () => {
	env.sandbox.revokeOAuthGrants();
	let before = lastLogId();
	const shown = await runNodeUntil('needs to be reconnected');
	expect(sandboxCalls(before)).toEqual(['GET /api/v1/clients 401', 'POST /api/v1/oauth/token 400 refresh_token']);
	expect(shown).toContain(
		`The OAuth2 credential "${CREDENTIAL_NAME}" needs to be reconnected: the API refused to renew its access token (invalid_grant) on GET /api/v1/clients`,
	);
	expect(shown).toContain('Open the credential and connect the account again');
	await browser.screenshot('oauth2-reconnect-message');

	// As the message says: open the credential, connect again, run again.
	await page.getByTestId('credential-edit-button').click();
	const modal = credentialModal();
	before = lastLogId();
	await consentInPopup(() => modal.getByTestId('oauth-switch-account-button').click());
	expect(sandboxCalls(before)).toEqual([
		'GET /api/v1/oauth/authorize 200',
		'POST /api/v1/oauth/authorize 302',
		'POST /api/v1/oauth/token 200 authorization_code',
	]);
	await modal.getByTestId('oauth-connect-success-banner').waitFor();
	await modal.locator('.el-dialog__close').first().click();
	await modal.waitFor({ state: 'hidden' });
	env.sandbox.store.insert(CLIENT.account, 'clients', { name: 'Reconnected BV', external_client_id: 'oauth2-reconnected' });
	before = lastLogId();
	await runNodeUntil('Reconnected BV');
	expect(sandboxCalls(before)).toEqual(['GET /api/v1/clients 200']);
});

it('nothing leaked: no token nor the client secret in outputs, errors, stored executions, n8n log or the browser', async () => {
	const { accessTokens, refreshTokens } = env.sandbox.issuedOAuthTokens();
	// connect, renew, reconnect: three of each
	expect({ access: accessTokens.length, refresh: refreshTokens.length }).toEqual({ access: 3, refresh: 3 });
	const secrets = [...accessTokens, ...refreshTokens, CLIENT.clientSecret];

	const executions = await n8n.rest('GET', `/rest/executions?filter=${encodeURIComponent(JSON.stringify({ workflowId: WORKFLOW_ID }))}`);
	expect(executions.status).toBe(200);
	const ids: string[] = executions.body.data.results.map((execution: { id: string }) => execution.id);
	expect(ids.length).toBeGreaterThanOrEqual(4);
	const stored = await Promise.all(ids.map(async (id) => JSON.stringify((await n8n.rest('GET', `/rest/executions/${id}`)).body)));
	expect(stored.join('\n')).toContain('needs to be reconnected'); // the failed run is among them

	const places: Record<string, string> = {
		'node output and error shown in the editor': shownOutputs.join('\n'),
		'stored executions': stored.join('\n'),
		"n8n's log": n8n.logs(),
		'what n8n sent to the browser': receivedByBrowser.join('\n'),
	};
	const leaks = Object.entries(places).flatMap(([place, text]) =>
		secrets.filter((secret) => text.includes(secret)).map((secret) => `${place}: ${secret.slice(0, 8)}…`),
	);
	expect(leaks).toEqual([]);
	expect(shownOutputs).toHaveLength(4);
	expect(receivedByBrowser.length).toBeGreaterThan(10);
});
