/**
 * A tiny, throwaway n8n community package (plain JS) used to prove the e2e harness itself:
 * - `n8n-nodes-e2e-fixture.e2eHello`  returns [[{ json: { hello: 'world', ... } }]] and reports where
 *   `require('n8n-workflow')` resolved (peer dependency resolution)
 * - `n8n-nodes-e2e-fixture.e2eBoom`   throws a NodeOperationError (from the peer n8n-workflow)
 * - `n8n-nodes-e2e-fixture.e2eHeaderCall` calls `this.helpers.httpRequestWithAuthentication` with the
 *   generic header-auth credential `e2eFixtureHeaderAuthApi`
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export const FIXTURE_PACKAGE = 'n8n-nodes-e2e-fixture';
export const FIXTURE_CREDENTIAL_TYPE = 'e2eFixtureHeaderAuthApi';

const helloNode = `
const workflow = require('n8n-workflow');
class E2eHello {
	constructor() {
		this.description = {
			displayName: 'E2E Hello', name: 'e2eHello', group: ['transform'], version: 1,
			description: 'Returns hello world', defaults: { name: 'E2E Hello' },
			inputs: ['main'], outputs: ['main'], properties: [],
		};
	}
	async execute() {
		return [[{ json: {
			hello: 'world',
			n8nWorkflowPath: require.resolve('n8n-workflow'),
			hasNodeOperationError: typeof workflow.NodeOperationError === 'function',
			inputCount: this.getInputData().length,
		} }]];
	}
}
module.exports = { E2eHello };
`;

const boomNode = `
const { NodeOperationError } = require('n8n-workflow');
class E2eBoom {
	constructor() {
		this.description = {
			displayName: 'E2E Boom', name: 'e2eBoom', group: ['transform'], version: 1,
			description: 'Always fails', defaults: { name: 'E2E Boom' },
			inputs: ['main'], outputs: ['main'],
			properties: [{ displayName: 'Message', name: 'message', type: 'string', default: 'Kaboom from the fixture node' }],
		};
	}
	async execute() {
		throw new NodeOperationError(this.getNode(), this.getNodeParameter('message', 0));
	}
}
module.exports = { E2eBoom };
`;

const headerCallNode = `
class E2eHeaderCall {
	constructor() {
		this.description = {
			displayName: 'E2E Header Call', name: 'e2eHeaderCall', group: ['transform'], version: 1,
			description: 'GETs a URL with header auth', defaults: { name: 'E2E Header Call' },
			inputs: ['main'], outputs: ['main'],
			credentials: [{ name: '${FIXTURE_CREDENTIAL_TYPE}', required: true }],
			properties: [{ displayName: 'URL', name: 'url', type: 'string', default: '' }],
		};
	}
	async execute() {
		const url = this.getNodeParameter('url', 0);
		const response = await this.helpers.httpRequestWithAuthentication.call(this, '${FIXTURE_CREDENTIAL_TYPE}', {
			method: 'GET', url, json: true,
		});
		return [[{ json: response }]];
	}
}
module.exports = { E2eHeaderCall };
`;

const headerAuthCredential = `
class E2eFixtureHeaderAuthApi {
	constructor() {
		this.name = '${FIXTURE_CREDENTIAL_TYPE}';
		this.displayName = 'E2E Fixture Header Auth';
		this.properties = [
			{ displayName: 'Header Name', name: 'name', type: 'string', default: '' },
			{ displayName: 'Header Value', name: 'value', type: 'string', typeOptions: { password: true }, default: '' },
		];
		this.authenticate = {
			type: 'generic',
			properties: { headers: { '={{$credentials.name}}': '={{$credentials.value}}' } },
		};
	}
}
module.exports = { E2eFixtureHeaderAuthApi };
`;

/** Writes the fixture package into a new temp folder and returns that folder (pass it as packageDir). */
export function createFixturePackage(): string {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'n8n-e2e-fixture-pkg-'));
	const files: Record<string, string> = {
		'package.json': JSON.stringify(
			{
				name: FIXTURE_PACKAGE,
				version: '0.0.1',
				main: 'index.js',
				files: ['dist'],
				peerDependencies: { 'n8n-workflow': '*' },
				n8n: {
					n8nNodesApiVersion: 1,
					credentials: ['dist/credentials/E2eFixtureHeaderAuthApi.credentials.js'],
					nodes: [
						'dist/nodes/E2eHello.node.js',
						'dist/nodes/E2eBoom.node.js',
						'dist/nodes/E2eHeaderCall.node.js',
					],
				},
			},
			null,
			2,
		),
		'dist/nodes/E2eHello.node.js': helloNode,
		'dist/nodes/E2eBoom.node.js': boomNode,
		'dist/nodes/E2eHeaderCall.node.js': headerCallNode,
		'dist/credentials/E2eFixtureHeaderAuthApi.credentials.js': headerAuthCredential,
	};
	for (const [rel, content] of Object.entries(files)) {
		fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
		fs.writeFileSync(path.join(dir, rel), content);
	}
	return dir;
}
