import { NodeApiError, NodeOperationError, type IDataObject, type JsonObject } from 'n8n-workflow';

import {
	changeFeedProperties,
	changeOptionProperties,
	credentialAccountId,
	readChangeSettings,
	runChangeFeed,
} from '../../../shared/changes';
import { showFor, type BatchOperation } from '../../../shared/operation';

/**
 * Get Changes: the records added or changed since this node's last successful production run,
 * once for the whole input (put it after a Schedule Trigger). The state lives in the node's
 * workflow static data, which n8n saves after production runs only.
 */
export const getChanges: BatchOperation = {
	description: showFor('getChanges', [
		...changeFeedProperties,
		{
			displayName: 'Change Options',
			name: 'changeOptions',
			type: 'collection',
			placeholder: 'Add Option',
			default: {},
			options: changeOptionProperties,
		},
	]),

	async executeBatch({ client }) {
		const node = this.getNode();
		const options = this.getNodeParameter('changeOptions', 0, {}) as IDataObject;
		try {
			const settings = readChangeSettings({
				node,
				getParam: (name, fallback) => this.getNodeParameter(name, 0, fallback),
				options,
				baseUrl: client.baseUrl,
				accountId: this.getNodeParameter('options.accountId', 0, '') as string,
				credentialAccountId: await credentialAccountId(this, this.getNodeParameter('authentication', 0) as string),
			});
			const records = await runChangeFeed({
				client,
				node,
				settings,
				staticData: this.getWorkflowStaticData('node'),
				manual: this.getMode() === 'manual',
				manualOutput: options.manualRunOutput === 'preview' ? 'preview' : 'sample',
			});
			return [records.map((json) => ({ json, pairedItem: { item: 0 } }))];
		} catch (error) {
			if (this.continueOnFail()) return [[{ json: { error: (error as Error).message }, pairedItem: { item: 0 } }]];
			// Both constructors hand back an error that is already theirs, unchanged.
			if (error instanceof NodeApiError) throw new NodeApiError(node, error as unknown as JsonObject);
			throw new NodeOperationError(node, error as Error);
		}
	},
};
