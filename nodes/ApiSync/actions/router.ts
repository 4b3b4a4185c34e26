import {
	NodeApiError,
	NodeOperationError,
	type IDataObject,
	type IExecuteFunctions,
	type INodeExecutionData,
	type JsonObject,
} from 'n8n-workflow';

import { resolveResource } from '../../shared/resources';
import { createApiClient } from '../../shared/transport';
import { recordOperations, type RecordOperation } from './record';

/**
 * Owns the per-item loop for every operation: `pairedItem` on each output item, and `continueOnFail`
 * turning a failed item into `{ json: { error } }` while the other items go on.
 */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const items = this.getInputData();
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = recordOperations[operationName as RecordOperation];
	if (!operation) {
		throw new NodeOperationError(this.getNode(), `The operation "${operationName}" is not supported`);
	}
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const client = await createApiClient(this, {
		credentialType: this.getNodeParameter('authentication', 0) as string,
		retryBudget: (options.retryBudget as number | undefined) ?? undefined,
		retry: { maxRetries: (options.maxRetries as number | undefined) ?? undefined },
	});

	const output: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const resource = resolveResource((name, fallback) => this.getNodeParameter(name, itemIndex, fallback));
			const results = await operation.execute.call(this, itemIndex, { client, resource });
			for (const result of results) output.push({ ...result, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (this.continueOnFail()) {
				output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
				continue;
			}
			// Both constructors hand back an error that is already theirs, unchanged.
			if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
			throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
		}
	}
	return [output];
}
