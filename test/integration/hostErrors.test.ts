/**
 * Honest reports about the connection itself: a host that does not resolve (DNS) and a certificate n8n does not
 * trust are named as such, not blamed on the credential. And the API Key node keeps a key returned in an
 * unexpected place (`data.apikey`) out of every field but the sensitive `apiKey`.
 */
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';

import type { ICredentialDataDecryptedObject, INodeParameters } from 'n8n-workflow';

import { runNode, type RunResult } from '../harness';
import { ACCOUNTS } from '../sandbox/fixtures';
import { startSandbox, type Sandbox } from '../sandbox/server';
import { ACCOUNTANT, CREDENTIAL_TYPE, credentialData } from '../support/credentials';
import { SELF_SIGNED_CERT, SELF_SIGNED_KEY } from '../support/selfSignedCert';

let sandbox: Sandbox;
let https: Server;
let httpsUrl = '';
const httpsRequests: string[] = [];
beforeAll(async () => {
	sandbox = await startSandbox();
	https = createServer({ key: SELF_SIGNED_KEY, cert: SELF_SIGNED_CERT }, (req, res) => {
		httpsRequests.push(`${req.method} ${req.url}`);
		res.writeHead(200, { 'Content-Type': 'application/json' });
		res.end('[]');
	});
	await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
	httpsUrl = `https://127.0.0.1:${(https.address() as AddressInfo).port}`;
});
afterAll(async () => {
	await sandbox.close();
	await new Promise((resolve) => https.close(resolve));
});
beforeEach(() => sandbox.reset());

function getMany(data: ICredentialDataDecryptedObject): Promise<RunResult> {
	return runNode({
		node: { type: 'apiSync', parameters: { authentication: CREDENTIAL_TYPE.bearer, operation: 'getAll', returnAll: true, remoteResource: 'clients' } },
		credentials: [{ type: CREDENTIAL_TYPE.bearer, data }],
	});
}

describe('connection errors name the host or the certificate', () => {
	it('a host that does not resolve: names the host and the DNS lookup, not the credential', async () => {
		const result = await getMany(credentialData('bearer', 'http://no-such-host.invalid/api/v1'));
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe('The host no-such-host.invalid of the Base URL was not found (DNS) on GET /api/v1/clients');
		expect(error.description).toMatch(/^ENOTFOUND: .*Check the spelling of the credential's Base URL/);
		expect(`${error.message} ${error.description}`).not.toMatch(/OAuth2|Connect my account|required fields/);
	});

	it('a self-signed certificate: names the certificate problem, and nothing is sent', async () => {
		const result = await getMany(credentialData('bearer', `${httpsUrl}/api/v1`));
		const error = result.error as Error & { description?: string };
		expect(error.message).toBe(
			`The TLS certificate of ${httpsUrl.replace('https://', '')} was not accepted (self-signed certificate) on GET /api/v1/clients`,
		);
		expect(error.description).toMatch(/^DEPTH_ZERO_SELF_SIGNED_CERT: .*The credential was not sent/);
		expect(`${error.message} ${error.description}`).not.toMatch(/OAuth2|Connect my account|required fields/);
		expect(httpsRequests).toHaveLength(0);
	});
});

describe('API Key node: a key returned in an unexpected place', () => {
	const KEY = 'ef-key-unexpected-place-0123456789';
	const body = JSON.stringify({
		success: 'apikey created',
		data: { apikey: KEY, apikey_id: 77, name: 'Shop key' },
		uri: `https://api.example/apikeys/77?key=${KEY}`,
	});

	function createKey(options: INodeParameters): Promise<RunResult> {
		// The API answers with its own shape (and really creates a key, which the test does not use).
		sandbox.setFaults({ scripted: [{ method: 'POST', path: '/api/v1/apikeys', status: 201, body, afterApply: true }] });
		return runNode({
			node: {
				type: 'apiSyncApiKey',
				parameters: { keyName: 'Shop key', rights: [], accountId: ACCOUNTS.portalClients[0], verifyKey: false, options },
			},
			credentials: [
				{ type: CREDENTIAL_TYPE.basic, data: credentialData('basic', sandbox.baseUrl, { user: ACCOUNTANT.email, password: ACCOUNTANT.password }) },
			],
		});
	}

	it.each([
		['found without a Key Field (searched under data)', {}],
		['found with Key Field data.apikey', { keyField: 'data.apikey' }],
	])('%s: the key is only in apiKey', async (_, options) => {
		const result = await createKey(options);
		expect(result.error).toBeUndefined();
		const { apiKey, ...rest } = result.output[0][0].json;
		expect(apiKey).toBe(KEY);
		expect(JSON.stringify(rest)).not.toContain(KEY);
		expect(rest).toMatchObject({ data: { apikey_id: 77, name: 'Shop key' }, uri: 'https://api.example/apikeys/77?key=[redacted]' });
	});

	it('a Key Field that names nothing: the response is not copied, its field names say where to look', async () => {
		const result = await createKey({ keyField: 'result.secret' });
		const json = result.output[0][0].json;
		expect(json.apiKey).toBeNull();
		expect(json.verification).toBe(
			'The API answered 201 but no key was found in its response (looked at: result.secret). Its fields: success, data.apikey, data.apikey_id, data.name, uri. Set Options > Key Field to the field that holds the key, e.g. data.apikey. The response itself is not copied here, as it may hold the key.',
		);
		expect(JSON.stringify(json)).not.toContain(KEY);
	});
});
