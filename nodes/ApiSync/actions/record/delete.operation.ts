import type { IDataObject } from 'n8n-workflow';

import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader, readRecordId } from '../../../shared/recordData';
import { deleteRequest } from '../../../shared/recordShape';

export const deleteRecord: ItemOperation = {
	description: showFor('delete', [
		{ displayName: 'Record ID', name: 'recordId', type: 'string', default: '', required: true },
	]),

	async execute(itemIndex, { client, resource }) {
		const id = readRecordId(this, itemIndex);
		const response = await client.request<IDataObject>({
			...deleteRequest(resource, decodeURIComponent(id)),
			itemIndex,
			headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
		});
		return [{ json: { deleted: true, id: decodeURIComponent(id), ...response.body } }];
	},
};
