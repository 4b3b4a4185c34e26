import type { IDataObject } from 'n8n-workflow';

import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader, readJsonObjectParameter, readRecordId } from '../../../shared/recordData';
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
		const body = readJsonObjectParameter(this, 'recordData', itemIndex);
		const response = await client.request<IDataObject>({
			method: resource.updateMethod,
			path: `${resource.path}/${id}`,
			body,
			itemIndex,
			headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
		});
		return [{ json: response.body }];
	},
};
