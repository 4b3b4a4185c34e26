/**
 * Webhook calls in-process, the way n8n 2.x's `LiveWebhooks.executeWebhook` (production URL) and `TestWebhooks`
 * (test URL, mode 'manual') drive a webhook node: every call loads the workflow — static data included — from the
 * "database" into a new n8n-workflow `Workflow`, builds n8n-core's real `WebhookContext` and calls the node's
 * `webhook()`. Parameters therefore resolve as in n8n (defaults per node version, `displayOptions`), credentials
 * come through the harness's credentials helper, and static data goes through n8n's `ObservableObject`.
 *
 * What n8n does after `webhook()` returns is left to the test, step by step, because the order is what matters:
 * - `call.startRun()`: n8n (regular mode, `WorkflowRunner.runMainProcess`) builds the execution's `Workflow` over the
 *   SAME static-data object — which resets its "changed" flag (`ObservableObject.create` on the root).
 * - `call.save()`: n8n's `saveStaticData(workflow)`: the whole static data, only when it changed, last writer wins.
 *   With Respond Immediately n8n saves right after `webhook()`; with When Last Node Finishes after the run.
 * - `call.response.answer(status)` / `hangUp()`: n8n's answer after the run, or the sender hanging up.
 * The workflow is never executed here (no nodes after the trigger run); `ran` says whether the node asked for a run.
 */
import { EventEmitter } from 'node:events';

import { WebhookContext } from 'n8n-core';
import type {
	IConnections,
	IDataObject,
	INode,
	IWebhookData,
	IWebhookDescription,
	IWebhookResponseData,
	WorkflowExecuteMode,
} from 'n8n-workflow';
import { Workflow, deepCopy } from 'n8n-workflow';

import { captureLogs } from './bootstrap';
import type { TestCredential } from './credentials-helper';
import { cleanStaticData, createStandaloneContext } from './run';

/** An express-like response: records what the node (or n8n) wrote; 'finish' then 'close' when it ends. */
export class HarnessResponse extends EventEmitter {
	statusCode = 200;
	headers: Record<string, string> = {};
	body: unknown;
	ended = false;
	headersSent = false;

	status(code: number): this {
		this.statusCode = code;
		return this;
	}

	setHeader(name: string, value: string): this {
		this.headers[name.toLowerCase()] = value;
		return this;
	}

	getHeader(name: string): string | undefined {
		return this.headers[name.toLowerCase()];
	}

	json(body: unknown): this {
		this.body = body;
		return this.end();
	}

	send(body: unknown): this {
		this.body = body;
		return this.end();
	}

	end(): this {
		if (this.ended) return this;
		this.ended = true;
		this.headersSent = true;
		this.emit('finish');
		this.emit('close');
		return this;
	}

	/** n8n's answer after the run (When Last Node Finishes / Respond to Webhook). */
	answer(status: number, body: unknown = {}): void {
		this.status(status).json(body);
	}

	/** The sender stopped waiting: the connection ends without an answer ('close' without 'finish'). */
	hangUp(): void {
		if (this.ended) return;
		this.ended = true;
		this.emit('close');
	}
}

export interface WebhookRequest {
	method?: string;
	/** Path and query as n8n sees them; default `/webhook/<node id>/webhook`. */
	path?: string;
	headers: Record<string, string>;
	body: string | Buffer;
	ip?: string;
}

export interface WebhookCall {
	result: IWebhookResponseData;
	response: HarnessResponse;
	/** The node returned workflowData: n8n would start an execution. */
	ran: boolean;
	logs: string[];
	/** n8n (regular mode) builds the execution's Workflow over this call's static data object. */
	startRun(): void;
	/** n8n's save of this call's static data (whole, only if changed; never in manual mode). True when it saved. */
	save(): boolean;
}

/** A workflow as stored in n8n's database: nodes, credentials and the static-data column. */
export class WebhookWorkflow {
	/** The static-data column: read whole when a call arrives, written whole by a save. */
	savedStaticData: IDataObject = {};

	private constructor(
		readonly id: string,
		private readonly nodes: INode[],
		private readonly connections: IConnections,
		private readonly context: Awaited<ReturnType<typeof createStandaloneContext>>,
	) {}

	static async create(opts: { id: string; nodes: INode[]; connections?: IConnections; credentials: TestCredential[] }): Promise<WebhookWorkflow> {
		const context = await createStandaloneContext(opts.credentials);
		const nodes = deepCopy(opts.nodes).map((node) => {
			if (!node.credentials) return node;
			const credentials: INode['credentials'] = {};
			for (const [type, details] of Object.entries(node.credentials)) {
				credentials[type] = context.credentialsHelper.findReference(type, details ?? undefined) ?? details;
			}
			return { ...node, credentials };
		});
		return new WebhookWorkflow(opts.id, nodes, deepCopy(opts.connections ?? {}), context);
	}

	private workflowOver(staticData: IDataObject): Workflow {
		return new Workflow({
			id: this.id,
			name: this.id,
			nodes: deepCopy(this.nodes),
			connections: this.connections,
			active: true,
			nodeTypes: this.context.nodeTypes,
			staticData,
			settings: { executionOrder: 'v1' },
		});
	}

	/** One call to the webhook of node `nodeName`, in `mode` ('webhook': production URL; 'manual': test URL). */
	async call(nodeName: string, request: WebhookRequest, mode: WorkflowExecuteMode = 'webhook'): Promise<WebhookCall> {
		// n8n reads the workflow with its static data when the call arrives; the object is shared with the run.
		const raw = deepCopy(this.savedStaticData);
		const workflow = this.workflowOver(raw);
		const node = workflow.getNode(nodeName);
		if (!node) throw new Error(`no node ${nodeName}`);
		const nodeType = this.context.nodeTypes.getByNameAndVersion(node.type, node.typeVersion);
		const description = nodeType.description.webhooks?.[0] as IWebhookDescription;
		const path = request.path ?? `/webhook/${node.webhookId ?? node.id}/webhook`;
		const response = new HarnessResponse();
		const httpRequest = {
			method: request.method ?? 'POST',
			originalUrl: path,
			url: path,
			headers: Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name.toLowerCase(), value])),
			rawBody: Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8'),
			body: {},
			query: {},
			params: {},
			ip: request.ip ?? '127.0.0.1',
		};
		const additionalData = { ...this.context.additionalData, httpRequest, httpResponse: response } as never;
		const webhookData = {
			httpMethod: httpRequest.method,
			node: node.name,
			path: 'webhook',
			webhookDescription: description,
			workflowId: this.id,
			isTest: mode === 'manual',
		} as unknown as IWebhookData;
		const context = new WebhookContext(workflow, node, additionalData, mode, webhookData, [], null);
		const webhook = nodeType.webhook as (this: WebhookContext) => Promise<IWebhookResponseData>;
		const { value: result, logs } = await captureLogs(async () => await webhook.call(context));
		return {
			result,
			response,
			ran: result.workflowData !== undefined,
			logs,
			startRun: () => {
				this.workflowOver(raw);
			},
			save: () => {
				if (mode === 'manual' || workflow.staticData.__dataChanged !== true) return false;
				this.savedStaticData = cleanStaticData(workflow.staticData);
				workflow.staticData.__dataChanged = false;
				return true;
			},
		};
	}
}
