import type {
	IDataObject,
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
} from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';

const authOptions = [
	'harnessHeaderApi',
	'harnessFunctionApi',
	'harnessClientCredentialsOAuth2Api',
	'harnessAuthCodeOAuth2Api',
	'harnessPreAuthApi',
];

/** Fixture node: GETs `url` with the selected credential and returns the JSON response per item. */
export class HarnessProbe implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Harness Probe',
		name: 'harnessProbe',
		group: ['transform'],
		version: 1,
		description: 'Harness self-test node',
		defaults: { name: 'Harness Probe' },
		inputs: ['main'],
		outputs: ['main'],
		credentials: authOptions.map((name) => ({
			name,
			required: true,
			displayOptions: { show: { authentication: [name] } },
		})),
		properties: [
			{
				displayName: 'Authentication',
				name: 'authentication',
				type: 'options',
				options: [...authOptions, 'none'].map((value) => ({ name: value, value })),
				default: 'none',
			},
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Request (httpRequestWithAuthentication)', value: 'request' },
					{ name: 'Legacy Request (requestWithAuthentication)', value: 'requestLegacy' },
					{ name: 'Fail', value: 'fail' },
					{ name: 'Count Runs (static data)', value: 'countRuns' },
				],
				default: 'request',
			},
			{
				displayName: 'URL',
				name: 'url',
				type: 'string',
				default: '',
				required: true,
				displayOptions: { show: { operation: ['request', 'requestLegacy'] } },
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const items = this.getInputData();
		const operation = this.getNodeParameter('operation', 0) as string;
		this.logger.info(`harnessProbe: ${operation} with ${items.length} item(s)`, { operation });

		if (operation === 'fail') {
			throw new NodeOperationError(this.getNode(), 'Probe failure requested', { itemIndex: 0 });
		}
		if (operation === 'countRuns') {
			const staticData = this.getWorkflowStaticData('global');
			staticData.runs = ((staticData.runs as number | undefined) ?? 0) + 1;
			return [[{ json: { runs: staticData.runs as number } }]];
		}

		const authentication = this.getNodeParameter('authentication', 0) as string;
		const returnData: INodeExecutionData[] = [];
		for (let i = 0; i < items.length; i++) {
			const url = this.getNodeParameter('url', i) as string;
			try {
				let response: IDataObject;
				if (authentication === 'none') {
					response = (await this.helpers.httpRequest({ method: 'GET', url, json: true })) as IDataObject;
				} else if (operation === 'requestLegacy') {
					response = (await this.helpers.requestWithAuthentication.call(this, authentication, {
						method: 'GET',
						uri: url,
						json: true,
					})) as IDataObject;
				} else {
					response = (await this.helpers.httpRequestWithAuthentication.call(this, authentication, {
						method: 'GET',
						url,
						json: true,
					})) as IDataObject;
				}
				returnData.push({ json: response, pairedItem: { item: i } });
			} catch (error) {
				if (this.continueOnFail()) {
					returnData.push({ json: { error: (error as Error).message }, pairedItem: { item: i } });
					continue;
				}
				throw error;
			}
		}
		this.addExecutionHints({ message: `harnessProbe made ${items.length} request(s)`, location: 'outputPane' });
		return [returnData];
	}
}
