import type { INodeProperties } from 'n8n-workflow';

import type { BatchOperation, ItemOperation } from '../../../shared/operation';
import { create } from './create.operation';
import { deleteRecord } from './delete.operation';
import { get } from './get.operation';
import { getAll } from './getAll.operation';
import { getChanges } from './getChanges.operation';
import { sync } from './sync.operation';
import { update } from './update.operation';

export const recordOperations = {
	create,
	delete: deleteRecord,
	get,
	getAll,
	getChanges,
	sync,
	update,
} satisfies Record<string, ItemOperation | BatchOperation>;

export type RecordOperation = keyof typeof recordOperations;

export const recordDescription: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		options: [
			{ name: 'Create', value: 'create', action: 'Create a record', description: 'Create one record' },
			{ name: 'Delete', value: 'delete', action: 'Delete a record', description: 'Delete one record by ID' },
			{ name: 'Get', value: 'get', action: 'Get a record', description: 'Get one record by ID' },
			{
				name: 'Get Changes',
				value: 'getChanges',
				action: 'Get changed records',
				description: 'Records created or changed since this node’s last successful run',
			},
			{
				name: 'Get Many',
				value: 'getAll',
				action: 'Get many records',
				description: 'List records, every page or up to a limit, with filter, search, sort and field selection',
			},
			{
				name: 'Sync',
				value: 'sync',
				action: 'Sync records',
				description: 'Make the remote records match the input items: create, update, and optionally delete',
			},
			{ name: 'Update', value: 'update', action: 'Update a record', description: 'Change fields of one record' },
		],
		default: 'getAll',
	},
	...Object.values(recordOperations).flatMap((operation) => operation.description),
];
