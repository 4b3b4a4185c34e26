import { NodeApiError, NodeOperationError, type IDataObject, type JsonObject } from 'n8n-workflow';

import {
	changeFeedProperties,
	changeOptionProperties,
	credentialAccountId,
	readChangeSettings,
	readStoredState,
	runChangeFeed,
	STATE_KEY,
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
			const staticData = this.getWorkflowStaticData('node');
			const manual = this.getMode() === 'manual';
			const firstRun = !manual && readStoredState(node, staticData[STATE_KEY], settings) === undefined;
			const records = await runChangeFeed({
				client,
				node,
				settings,
				staticData,
				manual,
				manualOutput: options.manualRunOutput === 'preview' ? 'preview' : 'sample',
			});
			if (firstRun) this.addExecutionHints({ message: firstRunHint(settings.firstRun), location: 'outputPane', type: 'info' });
			return [records.map((json) => ({ json, pairedItem: { item: 0 } }))];
		} catch (error) {
			if (this.continueOnFail()) return [[{ json: { error: (error as Error).message }, pairedItem: { item: 0 } }]];
			// Both constructors hand back an error that is already theirs, unchanged.
			if (error instanceof NodeApiError) throw new NodeApiError(node, error as unknown as JsonObject);
			throw new NodeOperationError(node, error as Error);
		}
	},
};

/**
 * Said on every production run that found no saved state. Once is a first run; on every run it means n8n
 * does not hand this node its saved state (n8n 2.x queue-mode workers), which the user can only see here.
 */
function firstRunHint(firstRun: string): string {
	const what =
		firstRun === 'now'
			? 'nothing was emitted and the current records were saved as the starting point'
			: firstRun === 'all'
				? 'every existing record was emitted'
				: 'the records from the start value on were emitted';
	return `First run: no saved state for these settings, so ${what}. If every run says this, n8n is not keeping this node's state between executions — n8n 2.x in queue mode starts worker executions without the workflow's saved state; use the API Sync Trigger there (README: Running in queue mode).`;
}
