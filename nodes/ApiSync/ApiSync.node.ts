import {
	NodeConnectionTypes,
	type IExecuteFunctions,
	type INodePropertyOptions,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import {
	authenticationProperty,
	CREDENTIAL_TYPES,
	credentialDescriptions,
	requestOptionProperties,
} from '../shared/authentication';
import { RESOURCE_LABEL_EXPRESSION, resourceProperties } from '../shared/resources';
import { recordDescription } from './actions/record';
import { getMappingColumns } from './methods/resourceMapping';
import { router } from './actions/router';

/** "Sync", "Get Many", ...: the Operation option labels, for the subtitle. */
const OPERATION_LABELS = Object.fromEntries(
	(recordDescription.find((p) => p.name === 'operation')?.options as INodePropertyOptions[]).map((o) => [o.value, o.name]),
);

/** Sync has one output per outcome; every other operation has a single output. Evaluated by n8n. */
const SYNC_OUTPUTS_EXPRESSION = `$parameter.operation === "sync" ? ${JSON.stringify(
	['Created', 'Updated', 'Unchanged', 'Deleted', 'Failed'].map((displayName) => ({
		type: NodeConnectionTypes.Main,
		displayName,
	})),
)} : ["${NodeConnectionTypes.Main}"]`;

export class ApiSync implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'API Sync',
		name: 'apiSync',
		icon: { light: 'file:apiSync.svg', dark: 'file:apiSync.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: `={{${JSON.stringify(OPERATION_LABELS)}[$parameter["operation"]] + ": " + ${RESOURCE_LABEL_EXPRESSION}}}`,
		description: 'Sync, read and write records of EenvoudigFactureren / SimplyBooks or any JSON REST API',
		defaults: { name: 'API Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: `={{${SYNC_OUTPUTS_EXPRESSION}}}`,
		credentials: credentialDescriptions,
		// Top-down like n8n's Postgres and Google Sheets nodes: what to work on (credential, resource),
		// then the operation, then its mapping and matching, then options. (Until 0.1 a single-choice
		// "Resource: Record" selector came first; saved workflows still carry resource: 'record', which
		// n8n ignores now that the parameter is gone.)
		properties: [
			authenticationProperty(CREDENTIAL_TYPES.apiKey),
			...resourceProperties,
			...recordDescription,
			{
				displayName: 'Request Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: requestOptionProperties('act on'),
			},
		],
	};

	methods = { resourceMapping: { getMappingColumns } };

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
