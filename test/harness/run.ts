/**
 * Running workflows in-process through n8n-core's real `WorkflowExecute`.
 */
import { ExecutionLifecycleHooks, ExternalSecretsProxy, WorkflowExecute } from 'n8n-core';
import type {
	ExecutionBaseError,
	IConnections,
	IDataObject,
	INode,
	INodeCredentials,
	INodeExecutionData,
	INodeParameters,
	IRun,
	IRunData,
	ITaskData,
	IWorkflowBase,
	IWorkflowExecuteAdditionalData,
	NodeExecutionHint,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import {
	ApplicationError,
	ExpressionError,
	NodeApiError,
	NodeOperationError,
	NodeSslError,
	OperationalError,
	UnexpectedError,
	UserError,
	Workflow,
	WorkflowOperationError,
	deepCopy,
} from 'n8n-workflow';

import { captureLogs, initN8n } from './bootstrap';
import { BUILTIN_NODE_TYPES } from './builtins';
import { HarnessCredentialsHelper, type TestCredential } from './credentials-helper';
import { PACKAGE_NAME, loadTypes } from './node-types';

export interface RunNodeOptions {
	/** Node under test: `type` is the short name in our package, e.g. 'apiSync' → 'n8n-nodes-api-sync.apiSync'. */
	node: {
		type: string;
		/** Defaults to the type's latest version. */
		typeVersion?: number;
		parameters: INodeParameters;
		continueOnFail?: boolean;
		onError?: 'continueErrorOutput' | 'continueRegularOutput' | 'stopWorkflow';
		/** Defaults to the type's `defaults.name` (as the editor names a new node). */
		name?: string;
	};
	/** Credentials attached to the node under test (one per credential type). */
	credentials?: TestCredential[];
	/** Input items fed to the node (via a source node after the Manual Trigger); default one empty item. */
	items?: IDataObject[];
	/** Default 'manual'. */
	mode?: WorkflowExecuteMode;
	/** Workflow static data in; the result carries it out (see {@link RunResult.staticData}). */
	staticData?: IDataObject;
	/** Also load `test/harness/__fixtures__` types. Default: env `HARNESS_FIXTURES=1`. */
	fixtures?: boolean;
}

export interface RunWorkflowOptions {
	/** The credential store for the run; nodes refer to entries by id (or by type/name, resolved here). */
	credentials?: TestCredential[];
	/** Default 'manual'. */
	mode?: WorkflowExecuteMode;
	/** Name of the node whose output/hints are reported; default: the last node executed. */
	nodeUnderTest?: string;
	/** Also load `test/harness/__fixtures__` types. Default: env `HARNESS_FIXTURES=1`. */
	fixtures?: boolean;
}

export interface RunResult {
	/** The run's error, if the run failed (the node's error instance where available). */
	error?: ExecutionBaseError | Error;
	/** Outputs of the node under test (its last run), one array per output index ([] if it did not run). */
	output: INodeExecutionData[][];
	/** Execution hints the node under test added. */
	hints: NodeExecutionHint[];
	runData: IRunData;
	/**
	 * Workflow static data after the run, as n8n would persist it: for production modes
	 * (anything but 'manual') the data the run ended with; for 'manual' the input unchanged,
	 * because n8n never saves static data of manual executions.
	 */
	staticData: IDataObject;
	/** The credential store after the run (e.g. OAuth2 token data or preAuthentication values written back). */
	credentials: TestCredential[];
	/** Everything logged through LoggerProxy / `this.logger` during the run, as `level: message {metadata}`. */
	logs: string[];
	/** The raw IRun returned by WorkflowExecute (undefined if the run could not start). */
	run?: IRun;
}

const WORKFLOW_ID = 'harnessWorkflow1';
const BASE_URL = 'http://localhost:5678';
let executionCounter = 0;

function useFixtures(option?: boolean): boolean {
	return option ?? process.env.HARNESS_FIXTURES === '1';
}

/** The parts of n8n CLI's `getWorkflowExecuteAdditionalData()` that WorkflowExecute needs. */
function createAdditionalData(
	credentialsHelper: HarnessCredentialsHelper,
	hooks: ExecutionLifecycleHooks | undefined,
	executionId: string,
): IWorkflowExecuteAdditionalData {
	const unsupported = (what: string) => async (): Promise<never> => {
		throw new UnexpectedError(`${what} is not supported by the test harness`);
	};
	return {
		credentialsHelper,
		hooks,
		executionId,
		externalSecretsProxy: new ExternalSecretsProxy(),
		workflowId: WORKFLOW_ID,
		executeWorkflow: unsupported('Executing sub-workflows'),
		getRunExecutionData: async () => undefined,
		getRuntimeCredential: async () => undefined,
		startRunnerTask: unsupported('Task runners (Code node)'),
		logAiEvent: () => {},
		currentNodeExecutionIndex: 0,
		variables: {},
		restApiUrl: `${BASE_URL}/rest`,
		instanceBaseUrl: `${BASE_URL}/`,
		formBaseUrl: `${BASE_URL}/form`,
		formWaitingBaseUrl: `${BASE_URL}/form-waiting`,
		formTestBaseUrl: `${BASE_URL}/form-test`,
		webhookBaseUrl: `${BASE_URL}/webhook`,
		webhookWaitingBaseUrl: `${BASE_URL}/webhook-waiting`,
		webhookTestBaseUrl: `${BASE_URL}/webhook-test`,
		mcpBaseUrl: `${BASE_URL}/mcp`,
		mcpTestBaseUrl: `${BASE_URL}/mcp-test`,
	} satisfies IWorkflowExecuteAdditionalData;
}

/** Internal: builds the credentials helper + additional data for a non-workflow call (credential tests). */
export async function createStandaloneContext(credentials: TestCredential[], fixtures?: boolean) {
	initN8n();
	const types = await loadTypes(useFixtures(fixtures));
	const credentialsHelper = new HarnessCredentialsHelper(types.credentialTypes, credentials);
	const additionalData = createAdditionalData(credentialsHelper, undefined, `harness-${++executionCounter}`);
	return { ...types, credentialsHelper, additionalData };
}

/** Removes ObservableObject's change markers from a static data copy. */
export function cleanStaticData(data: IDataObject): IDataObject {
	const copy = deepCopy(data);
	const strip = (value: unknown) => {
		if (typeof value !== 'object' || value === null) return;
		delete (value as IDataObject).__dataChanged;
		Object.values(value).forEach(strip);
	};
	strip(copy);
	return copy;
}

const errorClasses: Record<string, { prototype: Error }> = {
	NodeApiError,
	NodeOperationError,
	NodeSslError,
	ExpressionError,
	WorkflowOperationError,
	UserError,
	OperationalError,
	UnexpectedError,
	ApplicationError,
};

/**
 * WorkflowExecute stores a node's error as a plain copy (`{ ...error, message, stack }`).
 * Give the copy back the prototype of the n8n error class it was (by `name`), so tests can
 * use `instanceof NodeApiError` etc.; all fields (message, httpCode, description, ...) are the originals.
 */
function restoreErrorPrototype(error: object): Error {
	if (error instanceof Error) return error;
	const name = (error as { name?: unknown }).name;
	const known = typeof name === 'string' && Object.prototype.hasOwnProperty.call(errorClasses, name);
	const errorClass = known ? errorClasses[name as string] : Error;
	return Object.setPrototypeOf(error, errorClass.prototype) as Error;
}

function toError(error: unknown): Error {
	return error instanceof Error ? error : new Error(String(error));
}

/**
 * Runs a whole workflow through n8n-core's `WorkflowExecute`, starting at its trigger
 * (`workflow.getStartNode()`, e.g. the `n8n-nodes-base.manualTrigger` stand-in).
 *
 * Node credential references are resolved against `opts.credentials`: by id, or (if a
 * reference has no id) by type and name. Sub-workflows, binary data stores and task
 * runners are not available.
 */
export async function runWorkflow(
	workflowData: { nodes: INode[]; connections: IConnections; staticData?: IDataObject },
	opts: RunWorkflowOptions = {},
): Promise<RunResult> {
	initN8n();
	const { nodeTypes, credentialTypes } = await loadTypes(useFixtures(opts.fixtures));
	const mode = opts.mode ?? 'manual';
	const credentialsHelper = new HarnessCredentialsHelper(credentialTypes, opts.credentials);
	const staticDataIn = deepCopy(workflowData.staticData ?? {});

	const nodes: INode[] = deepCopy(workflowData.nodes).map((node) => {
		if (!node.credentials) return node;
		const credentials: INodeCredentials = {};
		for (const [type, details] of Object.entries(node.credentials)) {
			credentials[type] = credentialsHelper.findReference(type, details ?? undefined) ?? details;
		}
		return { ...node, credentials };
	});
	const connections = deepCopy(workflowData.connections);
	const settings = { executionOrder: 'v1' as const };
	const workflowBase: IWorkflowBase = {
		id: WORKFLOW_ID,
		name: 'Harness workflow',
		active: mode !== 'manual',
		activeVersionId: null,
		isArchived: false,
		createdAt: new Date(),
		updatedAt: new Date(),
		nodes,
		connections,
		settings,
		staticData: staticDataIn,
	};

	const executionId = String(++executionCounter);
	const hooks = new ExecutionLifecycleHooks(mode, executionId, workflowBase);
	let newStaticData: IDataObject | undefined;
	hooks.addHandler('workflowExecuteAfter', (_fullRunData, staticData) => {
		newStaticData = staticData;
	});
	const additionalData = createAdditionalData(credentialsHelper, hooks, executionId);

	const { value, logs } = await captureLogs(async () => {
		try {
			const workflow = new Workflow({
				id: WORKFLOW_ID,
				name: workflowBase.name,
				nodes,
				connections,
				active: workflowBase.active,
				nodeTypes,
				staticData: deepCopy(staticDataIn),
				settings,
			});
			const startNode = workflow.getStartNode();
			const run = await new WorkflowExecute(additionalData, mode).run({ workflow, startNode });
			return { run, thrown: undefined };
		} catch (error) {
			return { run: undefined, thrown: toError(error) };
		}
	});
	const { run, thrown } = value;

	const runData = run?.data.resultData.runData ?? {};
	const nodeName = opts.nodeUnderTest ?? run?.data.resultData.lastNodeExecuted;
	const tasks: ITaskData[] = (nodeName && runData[nodeName]) || [];
	const lastTask = tasks.at(-1);

	const runError = run?.data.resultData.error;
	const error: ExecutionBaseError | Error | undefined = runError ? restoreErrorPrototype(runError) : thrown;

	return {
		error,
		output: (lastTask?.data?.main ?? []).map((items) => items ?? []),
		hints: lastTask?.hints ?? [],
		runData,
		staticData: mode !== 'manual' && newStaticData ? cleanStaticData(newStaticData) : staticDataIn,
		credentials: credentialsHelper.list(),
		logs,
		run,
	};
}

/**
 * Runs one node of our package in a workflow `Manual Trigger → Items → <node>`, where
 * `Items` emits `opts.items` (default one empty item). All `opts.credentials` are attached
 * to the node, keyed by their type. See {@link RunResult} for what comes back.
 */
export async function runNode(opts: RunNodeOptions): Promise<RunResult> {
	initN8n();
	const { nodeTypes } = await loadTypes(useFixtures(opts.fixtures));
	const type = `${PACKAGE_NAME}.${opts.node.type}`;
	const typeVersion = opts.node.typeVersion ?? nodeTypes.getLatestVersion(type);
	const description = nodeTypes.getByNameAndVersion(type, typeVersion).description;
	const name = opts.node.name ?? description.defaults?.name ?? description.displayName;

	const credentials = opts.credentials?.map((credential, index) => ({
		...credential,
		id: credential.id ?? `harness-credential-${index + 1}`,
		name: credential.name ?? credential.type,
	}));
	const nodeCredentials: INodeCredentials = {};
	for (const credential of credentials ?? []) {
		nodeCredentials[credential.type] = { id: credential.id, name: credential.name };
	}

	const trigger = 'Manual Trigger';
	const source = 'Items';
	const nodes: INode[] = [
		{
			id: 'harness-node-1',
			name: trigger,
			type: BUILTIN_NODE_TYPES.manualTrigger,
			typeVersion: 1,
			position: [0, 0],
			parameters: {},
		},
		{
			id: 'harness-node-2',
			name: source,
			type: BUILTIN_NODE_TYPES.items,
			typeVersion: 1,
			position: [200, 0],
			parameters: { items: JSON.stringify(opts.items ?? [{}]) },
		},
		{
			id: 'harness-node-3',
			name,
			type,
			typeVersion,
			position: [400, 0],
			parameters: deepCopy(opts.node.parameters),
			...(credentials?.length ? { credentials: nodeCredentials } : {}),
			...(opts.node.continueOnFail !== undefined ? { continueOnFail: opts.node.continueOnFail } : {}),
			...(opts.node.onError ? { onError: opts.node.onError } : {}),
		},
	];
	const connections: IConnections = {
		[trigger]: { main: [[{ node: source, type: 'main', index: 0 }]] },
		[source]: { main: [[{ node: name, type: 'main', index: 0 }]] },
	};

	return await runWorkflow(
		{ nodes, connections, staticData: opts.staticData },
		{ credentials, mode: opts.mode, nodeUnderTest: name, fixtures: opts.fixtures },
	);
}
