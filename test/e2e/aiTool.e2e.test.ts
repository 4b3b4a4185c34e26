/**
 * `usableAsTool`: n8n makes the API Sync node into an AI Agent tool (`n8n-nodes-api-sync.apiSyncTool`), and an
 * AI Agent in a real n8n calls it. The chat model is n8n's own OpenAI Chat Model node pointed at a scripted
 * OpenAI-compatible server in this process (the only stand-in: no real model is needed to prove the tool wiring):
 * its first answer asks for the tool with `{"clientId": 102}`, its second answer is the final text. The tool's
 * Record ID is `$fromAI('clientId')`, so the request the sandbox sees proves that the agent's argument reached
 * the node and that the tool ran a real Get against the API.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';

import { ACCOUNTS } from '../sandbox/fixtures';
import { CREDENTIAL_TYPE } from '../support/credentials';
import { PACKAGE, sandboxCredential, startPackageE2e, stopPackageE2e, type PackageE2e } from './support/packageE2e';

jest.setTimeout(600_000);

const FINAL_ANSWER = 'The client is on record.';

let env: PackageE2e;
let llm: ScriptedLlm;

interface ChatRequest {
	messages: Array<{ role: string; content?: unknown; tool_call_id?: string }>;
	tools?: Array<{ type: string; function: { name: string; description?: string; parameters?: any } }>;
	stream?: boolean;
}

interface ScriptedLlm {
	url: string;
	requests: ChatRequest[];
	close(): Promise<void>;
}

/** An OpenAI-compatible /chat/completions: first a call of the first tool offered, then a final answer. */
async function startScriptedLlm(): Promise<ScriptedLlm> {
	const requests: ChatRequest[] = [];
	const server = http.createServer((req, res) => {
		let raw = '';
		req.on('data', (d: Buffer) => (raw += d.toString()));
		req.on('end', () => {
			if (req.method !== 'POST' || !req.url?.endsWith('/chat/completions')) {
				res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
				return;
			}
			const body = JSON.parse(raw) as ChatRequest;
			requests.push(body);
			const toolAnswered = body.messages.some((m) => m.role === 'tool');
			const tool = body.tools?.[0]?.function.name;
			const message =
				toolAnswered || !tool
					? { role: 'assistant', content: FINAL_ANSWER }
					: {
							role: 'assistant',
							content: null,
							tool_calls: [{ id: 'call_1', type: 'function', function: { name: tool, arguments: '{"clientId":102}' } }],
						};
			const finish = 'tool_calls' in message ? 'tool_calls' : 'stop';
			const base = { id: `chatcmpl-${requests.length}`, created: Math.floor(Date.now() / 1000), model: 'scripted' };
			if (body.stream) {
				const delta = 'tool_calls' in message ? { role: 'assistant', tool_calls: message.tool_calls!.map((c, index) => ({ index, ...c })) } : message;
				res.writeHead(200, { 'content-type': 'text/event-stream' });
				res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`);
				res.write(`data: ${JSON.stringify({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: finish }] })}\n\n`);
				res.end('data: [DONE]\n\n');
				return;
			}
			res.writeHead(200, { 'content-type': 'application/json' });
			res.end(
				JSON.stringify({
					...base,
					object: 'chat.completion',
					choices: [{ index: 0, message, finish_reason: finish }],
					usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
				}),
			);
		});
	});
	await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
	return {
		url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
		requests,
		close: () => new Promise<void>((resolve) => server.close(() => resolve())),
	};
}

beforeAll(async () => {
	llm = await startScriptedLlm();
	env = await startPackageE2e();
	await env.n8n.importCredentials([
		sandboxCredential('apiKey', env.sandbox),
		{ id: 'scripted-llm', name: 'scripted-llm', type: 'openAiApi', data: { apiKey: 'sk-scripted-llm', url: llm.url } },
	]);
	await env.n8n.importWorkflow({
		id: 'ai-tool',
		name: 'ai-tool',
		nodes: [
			{ id: 't', name: 'Start', type: 'n8n-nodes-base.manualTrigger', typeVersion: 1, position: [0, 0], parameters: {} },
			{
				id: 'a',
				name: 'AI Agent',
				type: '@n8n/n8n-nodes-langchain.agent',
				typeVersion: 2.2,
				position: [220, 0],
				parameters: { promptType: 'define', text: 'Is client 102 on record?', options: {} },
			},
			{
				id: 'm',
				name: 'Chat Model',
				type: '@n8n/n8n-nodes-langchain.lmChatOpenAi',
				typeVersion: 1.2,
				position: [220, 200],
				parameters: { model: { __rl: true, mode: 'id', value: 'scripted' }, options: {} },
				credentials: { openAiApi: { id: 'scripted-llm', name: 'scripted-llm' } },
			},
			{
				id: 's',
				name: 'Get client',
				type: `${PACKAGE}.apiSyncTool`,
				typeVersion: 1,
				position: [440, 200],
				parameters: {
					authentication: CREDENTIAL_TYPE.apiKey,
					resource: 'record',
					operation: 'get',
					remoteResource: 'clients',
					recordId: "={{ $fromAI('clientId', 'The ID of the client', 'number') }}",
				},
				credentials: { [CREDENTIAL_TYPE.apiKey]: { id: 'cred-apiKey', name: 'cred-apiKey' } },
			},
		],
		connections: {
			Start: { main: [[{ node: 'AI Agent', type: 'main', index: 0 }]] },
			'Chat Model': { ai_languageModel: [[{ node: 'AI Agent', type: 'ai_languageModel', index: 0 }]] },
			'Get client': { ai_tool: [[{ node: 'AI Agent', type: 'ai_tool', index: 0 }]] },
		},
		settings: { executionOrder: 'v1' },
	});
});

afterAll(async () => {
	await stopPackageE2e(env);
	await llm?.close();
});

it('an AI Agent calls the API Sync node as a tool, with the argument the model chose', async () => {
	const result = await env.n8n.execute('ai-tool');
	expect({ exitCode: result.exitCode, error: result.errorMessage }).toEqual({ exitCode: 0, error: undefined });

	// The agent offered the tool variant to the model, with the $fromAI argument in its schema.
	const offered = llm.requests[0].tools?.map((t) => t.function) ?? [];
	expect(offered).toEqual([expect.objectContaining({ name: 'Get_client', parameters: expect.objectContaining({ properties: { clientId: expect.objectContaining({ type: 'number' }) } }) })]);

	// The tool ran a real Get against the API, for the client the model asked for.
	const gets = env.sandbox.log.filter((e) => e.method === 'GET' && e.path.startsWith('/api/v1/clients'));
	expect(gets).toEqual([expect.objectContaining({ path: '/api/v1/clients/102', status: 200, auth: expect.objectContaining({ scheme: 'apikey' }) })]);

	// The record went back to the model as the tool's answer, and the agent finished with the model's text.
	const toolMessage = llm.requests[1].messages.find((m) => m.role === 'tool');
	expect(JSON.stringify(toolMessage?.content)).toContain(String(env.sandbox.store.get(ACCOUNTS.owner, 'clients', 102)!.name));
	expect(result.nodeOutput('AI Agent')[0][0]).toMatchObject({ output: FINAL_ANSWER });
});
