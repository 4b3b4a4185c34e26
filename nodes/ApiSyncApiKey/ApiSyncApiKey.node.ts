import {
	NodeConnectionTypes,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type INodeType,
	type INodeTypeDescription,
} from 'n8n-workflow';

import { authenticationProperty, CREDENTIAL_TYPES, credentialDescriptions } from '../shared/authentication';
import { forEachItem } from '../shared/itemLoop';
import { createApiClient } from '../shared/transport';
import { createApiKey, describeCreatedKeys, readCreateApiKeyInput, refuseBlindRetries, runIndexOf } from './createApiKey';

/** Rights named in the EenvoudigFactureren docs (a right per resource), with labels for people; the full list is not public. */
const KNOWN_RIGHTS: Array<{ name: string; value: string }> = [
	{ name: 'Activities (Event Feed)', value: 'activities' },
	{ name: 'Clients', value: 'clients' },
	{ name: 'Deliveries', value: 'deliveries' },
	{ name: 'Invoices', value: 'invoices' },
	{ name: 'Orders', value: 'orders' },
	{ name: 'Projects', value: 'projects' },
	{ name: 'Purchases (Received via Peppol)', value: 'purchases' },
	{ name: 'Quotes', value: 'quotes' },
	{ name: 'Receipts', value: 'receipts' },
	{ name: 'Stock Items (Products)', value: 'stockitems' },
	{ name: 'Subscriptions', value: 'subscriptions' },
];

export class ApiSyncApiKey implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'API Sync API Key',
		name: 'apiSyncApiKey',
		icon: { light: 'file:apiSyncApiKey.svg', dark: 'file:apiSyncApiKey.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: 'Create: API Key',
		description: 'Create API keys through the API (EenvoudigFactureren / SimplyBooks POST /apikeys)',
		defaults: { name: 'API Sync API Key' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: credentialDescriptions,
		sensitiveOutputFields: ['apiKey'],
		properties: [
			{
				...authenticationProperty(CREDENTIAL_TYPES.basic),
				description:
					'EenvoudigFactureren documents key creation with Basic auth (e-mail and password) only. Other types are offered for APIs that allow them.',
			},
			// No single-choice "Resource: API Key" selector any more; saved workflows still carry
			// resource: 'apiKey', which n8n ignores now that the parameter is gone.
			{
				displayName: 'Operation',
				name: 'operation',
				type: 'options',
				noDataExpression: true,
				options: [{ name: 'Create', value: 'create', action: 'Create an API key', description: 'POST /apikeys' }],
				default: 'create',
			},
			{
				displayName: 'Key Name',
				name: 'keyName',
				type: 'string',
				default: '',
				required: true,
				placeholder: 'Webshop integration',
				description: 'Name of the new key. Use an expression to create one key per input item.',
			},
			{
				displayName: 'Rights',
				name: 'rights',
				type: 'multiOptions',
				options: KNOWN_RIGHTS,
				default: [],
				hint: 'Empty = all rights. Choose rights to limit what the key may access.',
				description: 'What the key may access, one right per resource. Leave empty to give the key all rights.',
			},
			{
				displayName: 'Additional Rights',
				name: 'additionalRights',
				type: 'string',
				default: '',
				placeholder: 'clients:read, invoices:read',
				description: 'Rights not in the list above, separated by commas, exactly as the API names them',
			},
			{
				displayName: 'Account ID',
				name: 'accountId',
				type: 'string',
				default: '',
				placeholder: 'CAAAAAAAA',
				description:
					'Accountant portals: the account the key is for, sent under the credential’s Account ID Header (X-AccountId by default), replacing the credential’s account. Leave empty for the user’s own account.',
			},
			{
				displayName: 'Verify New Key',
				name: 'verifyKey',
				type: 'boolean',
				default: true,
				description: 'Whether to make one cheap GET with the new key and report verified: true, or why not',
			},
			{
				displayName: 'Options',
				name: 'options',
				type: 'collection',
				placeholder: 'Add Option',
				default: {},
				options: [
					{
						displayName: 'Verify Path',
						name: 'verifyPath',
						type: 'string',
						default: '/accounts/current',
						description: 'Path the verification GET calls with the new key',
					},
					{
						displayName: 'Key Field',
						name: 'keyField',
						type: 'string',
						default: '',
						placeholder: 'apikey',
						description:
							'Dot path of the response field that holds the new key, e.g. apikey or data.apikey. Empty: the first of apikey, api_key, apiKey, key, token, value, at the top or under data, result, apikey, item or record.',
					},
					{
						displayName: 'Idempotency Key Header',
						name: 'idempotencyKeyHeader',
						type: 'string',
						default: '',
						placeholder: 'Idempotency-Key',
						description:
							'Only for APIs that honour idempotency keys. Sends a key that stays the same for the same item of the same run of the node (derived from the execution, the node, its run, the item, the key name, the account and the rights), so the POST can be repeated safely after a gateway error or a lost connection, and by Settings > Retry On Fail. Empty: no key, such a POST is never repeated, and the node refuses to run with Retry On Fail on.',
					},
				],
			},
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const operation = this.getNodeParameter('operation', 0) as string;
		if (operation !== 'create') {
			throw new NodeOperationError(this.getNode(), `The operation "${operation}" is not supported`);
		}
		refuseBlindRetries(this);
		const client = await createApiClient(this, {
			credentialType: this.getNodeParameter('authentication', 0) as string,
		});
		const runIndex = runIndexOf(this);
		const output = await forEachItem(
			this,
			async (itemIndex) => [await createApiKey(client, readCreateApiKeyInput(this, itemIndex, runIndex), itemIndex)],
			{ describeDone: describeCreatedKeys },
		);
		return [output];
	}
}
