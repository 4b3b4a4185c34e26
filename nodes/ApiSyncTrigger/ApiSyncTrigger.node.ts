import {
	NodeConnectionTypes,
	type IDataObject,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
	type IPollFunctions,
} from 'n8n-workflow';

import {
	authenticationProperty,
	CREDENTIAL_TYPES,
	credentialDescriptions,
	requestOptionProperties,
} from '../shared/authentication';
import {
	changeFeedProperties,
	changeOptionProperties,
	credentialAccountId,
	readChangeSettings,
	runChangeFeed,
} from '../shared/changes';
import { sortedByLabel } from '../shared/labels';
import { RESOURCE_LABEL_EXPRESSION, resourceProperties } from '../shared/resources';
import { createApiClient } from '../shared/transport';

/**
 * Polls a resource on n8n's Poll Times and emits one item per record added or changed since the
 * previous poll. Same engine as the API Sync node's Get Changes operation (nodes/shared/changes).
 */
export class ApiSyncTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'API Sync Trigger',
		name: 'apiSyncTrigger',
		icon: { light: 'file:apiSyncTrigger.svg', dark: 'file:apiSyncTrigger.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: `={{"New or Changed: " + ${RESOURCE_LABEL_EXPRESSION}}}`,
		// n8n's node creator lists this trigger inside the API Sync entry and shows the trigger's
		// description for the whole entry, so it describes both nodes.
		description:
			'Sync, read and write records of EenvoudigFactureren / SimplyBooks or any JSON REST API, or start a workflow when they are added or changed',
		defaults: { name: 'API Sync Trigger' },
		polling: true,
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialDescriptions,
		properties: [
			{
				// Names the trigger in n8n's node creator ("On new or changed record" instead of the generic
				// "On new API Sync event"): the creator lists the options of a parameter labelled "Trigger On".
				// Hidden, since there is nothing to choose.
				displayName: 'Trigger On',
				name: 'event',
				type: 'hidden',
				options: [
					{
						name: 'New or Changed Record',
						value: 'recordAddedOrChanged',
						action: 'On new or changed record',
						description: 'Polls on a schedule and starts the workflow once per record added or changed since the last poll',
					},
				],
				default: 'recordAddedOrChanged',
			},
			{
				displayName:
					'Fetch Test Event returns a sample of the latest records (or, with Options → Manual Runs, a preview of the changes) and never moves the cursor. Only the active workflow’s polls emit changes.',
				name: 'manualRunNotice',
				type: 'notice',
				default: '',
			},
			authenticationProperty(CREDENTIAL_TYPES.apiKey),
			// Only reading here, records as the API sends them: how updates are sent and how records are laid out do not apply.
			...resourceProperties.filter((property) => !['customUpdateMethod', 'customRecordFormat'].includes(property.name)),
			...changeFeedProperties,
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: sortedByLabel([...requestOptionProperties('watch'), ...changeOptionProperties]),
			},
		],
	};

	async poll(this: IPollFunctions): Promise<INodeExecutionData[][] | null> {
		const options = this.getNodeParameter('options', {}) as IDataObject;
		const client = await createApiClient(this, {
			credentialType: this.getNodeParameter('authentication') as string,
			retryBudget: options.retryBudget as number | undefined,
			retry: options.maxRetries === undefined ? undefined : { maxRetries: options.maxRetries as number },
		});
		const settings = readChangeSettings({
			node: this.getNode(),
			getParam: (name, fallback) => this.getNodeParameter(name, fallback),
			options,
			baseUrl: client.baseUrl,
			accountId: String(options.accountId ?? ''),
			credentialAccountId: await credentialAccountId(this, this.getNodeParameter('authentication') as string),
		});
		const records = await runChangeFeed({
			client,
			node: this.getNode(),
			settings,
			staticData: this.getWorkflowStaticData('node'),
			manual: this.getMode() === 'manual',
			manualOutput: options.manualRunOutput === 'preview' ? 'preview' : 'sample',
		});
		// null: nothing to emit, so n8n starts no execution.
		if (records.length === 0) return null;
		return [records.map((json) => ({ json, pairedItem: { item: 0 } }))];
	}
}
