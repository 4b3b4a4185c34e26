import type { IDataObject } from 'n8n-workflow';

import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader, readRecordId } from '../../../shared/recordData';
import { recordPathOf, wireFormatOf } from '../../../shared/recordShape';

export const get: ItemOperation = {
	description: showFor('get', [
		{
			displayName: 'Record ID',
			name: 'recordId',
			type: 'string',
			default: '',
			required: true,
			placeholder: '101',
		},
	]),

	async execute(itemIndex, { client, resource }) {
		const id = readRecordId(this, itemIndex);
		const response = await client.request<IDataObject>({
			method: 'GET',
			path: recordPathOf(resource.path, resource.shape, decodeURIComponent(id)),
			accept: wireFormatOf(resource.shape).accept,
			itemIndex,
			headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
		});
		return [{ json: response.body }];
	},
};
