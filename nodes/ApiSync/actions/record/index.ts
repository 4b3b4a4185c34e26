import type { INodeProperties } from 'n8n-workflow';

import type { ItemOperation } from '../../../shared/operation';
import { create } from './create.operation';
import { deleteRecord } from './delete.operation';
import { get } from './get.operation';
import { getAll } from './getAll.operation';
import { update } from './update.operation';

export const recordOperations = {
	create,
	delete: deleteRecord,
	get,
	getAll,
	update,
} satisfies Record<string, ItemOperation>;

export type RecordOperation = keyof typeof recordOperations;

export const recordDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['record'] } },
		options: [
			{ name: 'Create', value: 'create', action: 'Create a record', description: 'Create one record' },
			{ name: 'Delete', value: 'delete', action: 'Delete a record', description: 'Delete one record by ID' },
			{ name: 'Get', value: 'get', action: 'Get a record', description: 'Get one record by ID' },
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many records',
				description: 'List records, all pages, with filter, search, sort and field selection',
			},
			{ name: 'Update', value: 'update', action: 'Update a record', description: 'Change fields of one record' },
		],
		default: 'getAll',
	},
	...Object.values(recordOperations).flatMap((operation) => operation.description),
];
