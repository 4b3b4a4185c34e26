import { NodeOperationError } from 'n8n-workflow';

import type { BatchOperation } from '../../../shared/operation';

// Placeholder while the Sync operation is written (issue 4); not registered in the operation list yet.
export const sync: BatchOperation = {
	description: [],
	async executeBatch() {
		throw new NodeOperationError(this.getNode(), 'Sync is not available yet');
	},
};
