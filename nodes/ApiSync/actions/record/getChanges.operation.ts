import { NodeOperationError } from 'n8n-workflow';

import type { BatchOperation } from '../../../shared/operation';

// Placeholder while the Get Changes operation is written (issue 5); not registered in the operation list yet.
export const getChanges: BatchOperation = {
	description: [],
	async executeBatch() {
		throw new NodeOperationError(this.getNode(), 'Get Changes is not available yet');
	},
};
