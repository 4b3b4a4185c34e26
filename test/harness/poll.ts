/**
 * Running a polling trigger node (`polling: true`) the way n8n does:
 * - production polls (`mode: 'trigger'`) through n8n-core's own `PollTriggerExecutor`, the code
 *   n8n's scheduler calls on every Poll Times tick, with a real `PollContext`;
 * - manual runs (`mode: 'manual'`, the editor's "Fetch Test Event") through `WorkflowExecute`,
 *   which calls `poll()` in manual mode (see `runWorkflow`).
 *
 * ```ts
 * const first = await runPoll({ node: { type: 'apiSyncTrigger', parameters }, credentials });
 * first.emitted;      // what poll() emitted (one array per output), or null when it emitted nothing
 * const second = await runPoll({ ..., staticData: first.staticData });
 * ```
 */
import './bootstrap';

import { Container } from '@n8n/di';
import { PollContext, PollTriggerExecutor } from 'n8n-core';
import type { IDataObject, INode, INodeCredentials, INodeExecutionData, INodeParameters } from 'n8n-workflow';
import { Workflow, deepCopy } from 'n8n-workflow';

import { captureLogs, initN8n } from './bootstrap';
import type { TestCredential } from './credentials-helper';
import { PACKAGE_NAME, loadTypes } from './node-types';
import { cleanStaticData, createStandaloneContext, runWorkflow } from './run';

export interface RunPollOptions {
	/** The poll node: `type` is the short name in our package, e.g. 'apiSyncTrigger'. */
	node: { type: string; parameters: INodeParameters; name?: string };
	credentials?: TestCredential[];
	/** 'trigger' (default): a scheduled production poll. 'manual': a run from the editor. */
	mode?: 'trigger' | 'manual';
	/** Workflow static data in (e.g. the `staticData` of the previous poll). */
	staticData?: IDataObject;
}

export interface PollResult {
	/** What the poll emitted; null when it returned nothing (n8n then starts no execution). */
	emitted: INodeExecutionData[][] | null;
	/** The items of output 0 ([] when nothing was emitted). */
	items: INodeExecutionData[];
	/** The error of a failed poll (what n8n records as a failed execution), if any. */
	error?: Error;
	/**
	 * Workflow static data after the poll: for production polls what n8n keeps for the next poll
	 * (and saves when it emits); for manual runs the input unchanged, as n8n never saves it.
	 */
	staticData: IDataObject;
	logs: string[];
}

const WORKFLOW_ID = 'harnessPollWorkflow1';

/** Runs one poll of a polling trigger node of this package. */
export async function runPoll(opts: RunPollOptions): Promise<PollResult> {
	initN8n();
	const { nodeTypes } = await loadTypes(false);
	const type = `${PACKAGE_NAME}.${opts.node.type}`;
	const typeVersion = nodeTypes.getLatestVersion(type);
	const description = nodeTypes.getByNameAndVersion(type, typeVersion).description;
	const credentials = (opts.credentials ?? []).map((credential, index) => ({
		...credential,
		id: credential.id ?? `harness-credential-${index + 1}`,
		name: credential.name ?? credential.type,
	}));
	const nodeCredentials: INodeCredentials = {};
	for (const credential of credentials) nodeCredentials[credential.type] = { id: credential.id, name: credential.name };
	const node: INode = {
		id: 'harness-poll-node-1',
		name: opts.node.name ?? description.defaults?.name ?? description.displayName,
		type,
		typeVersion,
		position: [0, 0],
		parameters: deepCopy(opts.node.parameters),
		...(credentials.length ? { credentials: nodeCredentials } : {}),
	};
	const staticDataIn = deepCopy(opts.staticData ?? {});

	if (opts.mode === 'manual') {
		const result = await runWorkflow({ nodes: [node], connections: {}, staticData: staticDataIn }, { credentials, mode: 'manual' });
		const emitted = result.output.length && result.output.some((items) => items.length) ? result.output : null;
		return { emitted, items: emitted?.[0] ?? [], error: result.error, staticData: result.staticData, logs: result.logs };
	}

	const { additionalData } = await createStandaloneContext(credentials);
	const workflow = new Workflow({
		id: WORKFLOW_ID,
		name: 'Harness poll workflow',
		nodes: [node],
		connections: {},
		active: true,
		nodeTypes,
		staticData: staticDataIn,
		settings: { executionOrder: 'v1' },
	});
	let emitted: INodeExecutionData[][] | null = null;
	let error: Error | undefined;
	const pollFunctions = new PollContext(
		workflow,
		node,
		additionalData,
		'trigger',
		'activate',
		(data) => {
			emitted = data;
		},
		(pollError) => {
			error = pollError;
		},
	);
	const executePoll = Container.get(PollTriggerExecutor).create(workflow, node, pollFunctions, () => true);
	const { logs } = await captureLogs(async () => await executePoll());
	const out = emitted as INodeExecutionData[][] | null;
	return { emitted: out, items: out?.[0] ?? [], error, staticData: cleanStaticData(workflow.staticData), logs };
}
