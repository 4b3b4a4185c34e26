import type { N8nWorkflow } from './n8n';

export interface ChainNode {
	name: string;
	/** full node type, e.g. 'n8n-nodes-api-sync.apiSync' or 'n8n-nodes-base.set' */
	type: string;
	typeVersion?: number;
	parameters?: Record<string, unknown>;
	/** e.g. { apiSyncBearerTokenApi: { id: 'cred-1', name: 'Bearer' } } */
	credentials?: Record<string, { id: string; name: string }>;
	continueOnFail?: boolean;
	onError?: 'stopWorkflow' | 'continueRegularOutput' | 'continueErrorOutput';
}

export const MANUAL_TRIGGER_NAME = 'When clicking Execute';

/**
 * A workflow "Manual Trigger -> nodes[0] -> nodes[1] -> ..." (each connected on main output 0),
 * ready for N8nInstance.importWorkflow + execute.
 */
export function chainWorkflow(opts: { id: string; name?: string; nodes: ChainNode[]; settings?: Record<string, unknown> }): N8nWorkflow {
	const trigger = {
		id: `${opts.id}-trigger`,
		name: MANUAL_TRIGGER_NAME,
		type: 'n8n-nodes-base.manualTrigger',
		typeVersion: 1,
		position: [0, 0],
		parameters: {},
	};
	const nodes = opts.nodes.map((n, i) => ({
		id: `${opts.id}-node-${i}`,
		name: n.name,
		type: n.type,
		typeVersion: n.typeVersion ?? 1,
		position: [220 * (i + 1), 0],
		parameters: n.parameters ?? {},
		...(n.credentials ? { credentials: n.credentials } : {}),
		...(n.continueOnFail !== undefined ? { continueOnFail: n.continueOnFail } : {}),
		...(n.onError ? { onError: n.onError } : {}),
	}));
	const names = [trigger.name, ...nodes.map((n) => n.name)];
	const connections: Record<string, unknown> = {};
	for (let i = 0; i < names.length - 1; i++) {
		connections[names[i]] = { main: [[{ node: names[i + 1], type: 'main', index: 0 }]] };
	}
	return {
		id: opts.id,
		name: opts.name ?? opts.id,
		nodes: [trigger, ...nodes],
		connections,
		active: false,
		settings: { executionOrder: 'v1', ...(opts.settings ?? {}) },
	};
}
