import type { IDataObject } from 'n8n-workflow';

import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader, readJsonObjectParameter, readRecordId } from '../../../shared/recordData';
import { updateRequest } from '../../../shared/recordShape';
import { recordDataProperty } from './create.operation';

export const update: ItemOperation = {
	description: showFor('update', [
		{ displayName: 'Record ID', name: 'recordId', type: 'string', default: '', required: true },
		{
			...recordDataProperty,
			description:
				'Fields to change, as a JSON object. For EenvoudigFactureren this is a partial update: omitted fields keep their value.',
		},
	]),

	async execute(itemIndex, { client, resource }) {
		const id = readRecordId(this, itemIndex);
		const fields = readJsonObjectParameter(this, 'recordData', itemIndex);
		const response = await client.request<IDataObject>({
			...updateRequest(resource, decodeURIComponent(id), fields),
			itemIndex,
			headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
		});
		return [{ json: response.body }];
	},
};
