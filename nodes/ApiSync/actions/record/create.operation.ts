import type { IDataObject } from 'n8n-workflow';

import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader, readJsonObjectParameter } from '../../../shared/recordData';
import { createRequest } from '../../../shared/recordShape';

export const recordDataProperty = {
	displayName: 'Record Data (JSON)',
	name: 'recordData',
	type: 'json' as const,
	default: '{\n  "name": ""\n}',
	required: true,
	description:
		'Fields to send, as a JSON object. The resource’s record format wraps and encodes them (e.g. {"properties": …} for HubSpot).',
	hint: 'To send the input item as it is, use the expression {{ $json }}',
};

export const create: ItemOperation = {
	description: showFor('create', [recordDataProperty]),

	async execute(itemIndex, { client, resource }) {
		const fields = readJsonObjectParameter(this, 'recordData', itemIndex);
		const response = await client.request<IDataObject>({
			...createRequest(resource, fields),
			itemIndex,
			headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
		});
		return [{ json: response.body }];
	},
};
