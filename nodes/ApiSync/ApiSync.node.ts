import { NodeConnectionTypes, type IExecuteFunctions, type INodeType, type INodeTypeDescription } from 'n8n-workflow';

import {
	authenticationProperty,
	CREDENTIAL_TYPES,
	credentialDescriptions,
	requestOptionProperties,
} from '../shared/authentication';
import { resourceProperties } from '../shared/resources';
import { recordDescription } from './actions/record';
import { getMappingColumns } from './methods/resourceMapping';
import { router } from './actions/router';

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
		subtitle: '={{$parameter["operation"] + ": " + $parameter["remoteResource"]}}',
		description: 'Read and write records of EenvoudigFactureren / SimplyBooks or any JSON REST API',
		defaults: { name: 'API Sync' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: `={{${SYNC_OUTPUTS_EXPRESSION}}}`,
		credentials: credentialDescriptions,
		properties: [
			authenticationProperty(CREDENTIAL_TYPES.apiKey),
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Record', value: 'record' }],
				default: 'record',
			},
			...recordDescription,
			...resourceProperties,
			{
				displayName: 'Options',
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
