import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { forEachItem } from '../../shared/itemLoop';
import { isBatchOperation } from '../../shared/operation';
import { resolveResource } from '../../shared/resources';
import { createApiClient } from '../../shared/transport';
import { recordOperations, type RecordOperation } from './record';

/** Picks the operation and hands each item to it; the item loop owns pairedItem and continueOnFail. */
export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const operationName = this.getNodeParameter('operation', 0) as string;
	const operation = recordOperations[operationName as RecordOperation];
	if (!operation) {
		throw new NodeOperationError(this.getNode(), `The operation "${operationName}" is not supported`);
	}
	const options = this.getNodeParameter('options', 0, {}) as IDataObject;
	const client = await createApiClient(this, {
		credentialType: this.getNodeParameter('authentication', 0) as string,
		retryBudget: options.retryBudget as number | undefined,
		retry: options.maxRetries === undefined ? undefined : { maxRetries: options.maxRetries as number },
	});

	if (isBatchOperation(operation)) {
		const resource = resolveResource((name, fallback) => this.getNodeParameter(name, 0, fallback));
		return await operation.executeBatch.call(this, { client, resource });
	}

	const output = await forEachItem(this, async (itemIndex) => {
		const resource = resolveResource((name, fallback) => this.getNodeParameter(name, itemIndex, fallback));
		return await operation.execute.call(this, itemIndex, { client, resource });
	});
	return [output];
}
