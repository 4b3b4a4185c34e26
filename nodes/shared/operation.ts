import type { IExecuteFunctions, INodeExecutionData, INodeProperties } from 'n8n-workflow';

import type { ResolvedResource } from './resources';
import type { ApiClient } from './transport';

export interface OperationContext {
	client: ApiClient;
	resource: ResolvedResource;
}

/** One operation: its parameters and what it does for one input item. */
export interface ItemOperation {
	description: INodeProperties[];
	execute(this: IExecuteFunctions, itemIndex: number, ctx: OperationContext): Promise<INodeExecutionData[]>;
}

/**
 * An operation that works on all input items at once (Sync, Get Changes): it owns its own error
 * handling per record, and returns one array per node output, every item with `pairedItem`.
 */
export interface BatchOperation {
	description: INodeProperties[];
	executeBatch(this: IExecuteFunctions, ctx: OperationContext): Promise<INodeExecutionData[][]>;
}

export function isBatchOperation(operation: ItemOperation | BatchOperation): operation is BatchOperation {
	return 'executeBatch' in operation;
}

/** Shows properties only for the given operation, set once instead of on every property. */
export function showFor(operation: string, properties: INodeProperties[]): INodeProperties[] {
	return properties.map((property) => ({
		...property,
		displayOptions: {
			...property.displayOptions,
			show: { ...property.displayOptions?.show, operation: [operation] },
		},
	}));
}
