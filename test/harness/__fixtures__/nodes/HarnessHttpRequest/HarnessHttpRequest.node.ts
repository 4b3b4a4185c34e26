import type { IDataObject, IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { getCredentialAllowedDomains } from 'n8n-workflow';

/** The package's credentials that n8n's HTTP Request node offers under Predefined Credential Type. */
const CREDENTIAL_TYPES = ['apiSyncApiKeyApi', 'apiSyncBasicAuthApi', 'apiSyncBearerTokenApi', 'apiSyncHmacApi', 'apiSyncOAuth2Api'];

/**
 * Fixture node: replays what n8n's stock HTTP Request node (nodes-base HttpRequestV3, 4.2 and 4.4) does with a
 * predefined credential — the same request options, built the same way for the chosen version (redirects followed
 * by default, `sendCredentialsOnCrossOriginRedirect` true before 4.4, the credential's allowed domains, a raw body
 * with its content type and `json: false`, or Body Content Type "Form Urlencoded": the fields as an object in `form`),
 * then `requestWithAuthentication`: the credential's `authenticate`, then
 * n8n-core's legacy request path (axios). Only what these tests need is modelled; the real node runs in
 * test/e2e/httpRequestNode.e2e.test.ts.
 */
export class HarnessHttpRequest implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness HTTP Request',
		name: 'harnessHttpRequest',
		group: ['transform'],
		version: 1,
		description: 'Replays the HTTP Request node 4.2 / 4.4 request options',
		defaults: { name: 'Harness HTTP Request' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: CREDENTIAL_TYPES.map((name) => ({ name, required: true, displayOptions: { show: { nodeCredentialType: [name] } } })),
		properties: [
			{
				displayName: 'Credential Type',
				name: 'nodeCredentialType',
				type: 'options',
				options: CREDENTIAL_TYPES.map((value) => ({ name: value, value })),
				default: 'apiSyncApiKeyApi',
			},
			{ displayName: 'HTTP Request Version', name: 'httpRequestVersion', type: 'number', default: 4.2 },
			{ displayName: 'Method', name: 'method', type: 'string', default: 'GET' },
			{ displayName: 'URL', name: 'url', type: 'string', default: '' },
			{ displayName: 'Raw Body', name: 'body', type: 'string', default: '' },
			{ displayName: 'Raw Content Type', name: 'rawContentType', type: 'string', default: 'application/json' },
			{ displayName: 'Form Fields (JSON)', name: 'formFields', type: 'string', default: '' },
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const out: INodeExecutionData[] = [];
		for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
			const nodeVersion = this.getNodeParameter('httpRequestVersion', itemIndex) as number;
			const nodeCredentialType = this.getNodeParameter('nodeCredentialType', itemIndex) as string;
			const method = this.getNodeParameter('method', itemIndex) as string;
			const body = this.getNodeParameter('body', itemIndex) as string;
			const formFields = this.getNodeParameter('formFields', itemIndex) as string;
			const credentialData = await this.getCredentials(nodeCredentialType, itemIndex);
			const allowedDomains = getCredentialAllowedDomains({ node: this.getNode(), credentialData, surface: 'HTTP Request or GraphQL' });
			// HttpRequestV3.node.ts, as of n8n 2.41.1: the options the node builds before requestWithAuthentication.
			let requestOptions: IDataObject = {
				headers: {},
				method,
				uri: this.getNodeParameter('url', itemIndex) as string,
				gzip: true,
				rejectUnauthorized: true,
				followRedirect: false,
				resolveWithFullResponse: true,
				sendCredentialsOnCrossOriginRedirect: nodeVersion < 4.4,
				allowedDomains,
			};
			if (method !== 'GET' && nodeVersion >= 4.1) requestOptions = { ...requestOptions, followAllRedirects: false };
			// Options > Redirects not set: followed by default from 4.0 on.
			requestOptions.followRedirect = true;
			requestOptions.followAllRedirects = true;
			requestOptions.maxRedirects = undefined;
			if (formFields !== '') {
				// Body Content Type "Form Urlencoded": `requestOptions.form = requestOptions.body; delete requestOptions.body`.
				requestOptions.form = JSON.parse(formFields) as IDataObject;
				requestOptions.json = true;
			} else if (body !== '') {
				requestOptions.body = body;
				requestOptions.json = false;
				(requestOptions.headers as IDataObject)['content-type'] = this.getNodeParameter('rawContentType', itemIndex) as string;
			} else {
				requestOptions.json = true;
			}
			const response = (await this.helpers.requestWithAuthentication.call(this, nodeCredentialType, requestOptions, undefined, itemIndex)) as {
				statusCode: number;
				body: unknown;
			};
			const parsed = typeof response.body === 'string' ? (JSON.parse(response.body) as unknown) : response.body;
			out.push({ json: { statusCode: response.statusCode, body: parsed as IDataObject }, pairedItem: { item: itemIndex } });
		}
		return [out];
	}
}
