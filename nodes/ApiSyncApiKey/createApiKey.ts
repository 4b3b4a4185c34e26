import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import type { ApiClient } from '../shared/transport';

/** Fields where an API may return a newly created key; the EenvoudigFactureren response shape is undocumented. */
const KEY_FIELD_CANDIDATES = ['apikey', 'api_key', 'apiKey', 'key', 'token', 'value'];

export interface CreateApiKeyInput {
	name: string;
	rights: string[];
	accountId: string;
	verify: boolean;
	verifyPath: string;
	keyField: string;
}

/** Reads and checks one item's parameters; an empty name fails here, before any request. */
export function readCreateApiKeyInput(ctx: IExecuteFunctions, itemIndex: number): CreateApiKeyInput {
	const name = String(ctx.getNodeParameter('keyName', itemIndex, '') ?? '').trim();
	if (name === '') {
		throw new NodeOperationError(ctx.getNode(), `The Key Name is empty (item ${itemIndex})`, {
			itemIndex,
			description: 'Every API key needs a name, e.g. "Integratie met webshop" or an expression such as {{ $json.accountName }}.',
		});
	}
	const chosen = ctx.getNodeParameter('rights', itemIndex, []) as string[];
	const typed = String(ctx.getNodeParameter('additionalRights', itemIndex, '') ?? '')
		.split(',')
		.map((r) => r.trim())
		.filter(Boolean);
	const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
	return {
		name,
		rights: [...new Set([...chosen, ...typed])],
		accountId: String(ctx.getNodeParameter('accountId', itemIndex, '') ?? '').trim(),
		verify: ctx.getNodeParameter('verifyKey', itemIndex, true) as boolean,
		verifyPath: String(options.verifyPath || '/accounts/current'),
		keyField: String(options.keyField ?? '').trim(),
	};
}

/**
 * Creates one key with `POST /apikeys` and optionally checks it with one GET. The POST is never
 * retried after a network error (the transport only repeats idempotent methods), because a
 * repeated POST could create a second key; 429 is retried since the API did not act on it.
 */
export async function createApiKey(
	client: ApiClient,
	input: CreateApiKeyInput,
	itemIndex: number,
	now: () => Date = () => new Date(),
): Promise<INodeExecutionData> {
	const accountNote = input.accountId ? `account ${input.accountId}` : "the user's default account";
	const response = await client.request<IDataObject>({
		method: 'POST',
		path: '/apikeys',
		body: input.rights.length ? { name: input.name, rights: input.rights } : { name: input.name },
		headers: input.accountId ? { 'X-AccountId': input.accountId } : undefined,
		itemIndex,
		adviceFor: {
			401: 'The Basic Auth e-mail or password was rejected. Creating API keys needs Basic authentication (e-mail and password) of a user of this account: check the "API Sync Basic Auth" credential.',
			403: `The API refused to create a key for ${accountNote}. Only accountant-portal users can create keys for other accounts: check the Account ID, and that this user may reach that account and manage API keys.`,
			400: 'The API refused the request: check the key name and the rights (their names must be ones the API knows).',
		},
	});
	const body = response.body ?? {};
	const keyField = input.keyField || KEY_FIELD_CANDIDATES.find((f) => typeof body[f] === 'string' && body[f] !== '');
	const apiKey = keyField ? body[keyField] : undefined;
	const metadata = { ...body };
	if (keyField) delete metadata[keyField];

	const result: IDataObject = {
		...metadata,
		apiKey: typeof apiKey === 'string' ? apiKey : null,
		name: input.name,
		rights: input.rights.length ? input.rights : 'all',
		accountId: input.accountId || (body.account_id as string | undefined) || null,
		createdAt: now().toISOString(),
		verified: false,
	};

	if (typeof apiKey !== 'string') {
		result.verification = `The API answered ${response.status} but no key was found in its response (looked at: ${input.keyField || KEY_FIELD_CANDIDATES.join(', ')}). Set Options > Key Field to the field that holds the key.`;
		return { json: result };
	}
	if (!input.verify) {
		result.verification = 'skipped';
		return { json: result };
	}

	try {
		await client.request({
			method: 'GET',
			path: input.verifyPath,
			withoutCredential: true,
			headers: { 'X-API-Key': apiKey, ...(input.accountId ? { 'X-AccountId': input.accountId } : {}) },
			alsoRedact: [apiKey],
			itemIndex,
			retry: { maxRetries: 2 },
		});
		result.verified = true;
	} catch (error) {
		// The key exists now: report why it could not be used instead of failing the item and losing it.
		result.verification = `The key was created but did not work for GET ${input.verifyPath}: ${(error as Error).message}`;
	}
	return { json: result };
}

/** For the error that stops a run: which keys earlier items already created (never the keys themselves). */
export function describeCreatedKeys(done: INodeExecutionData[]): string | undefined {
	if (done.length === 0) return 'No API key was created in this run before the failure.';
	const list = done
		.map((item) => {
			const { name, accountId, apikey_id: id } = item.json;
			return `"${String(name)}"${accountId ? ` for account ${String(accountId)}` : ''}${id !== undefined ? ` (id ${String(id)})` : ''}`;
		})
		.join(', ');
	return `${done.length} API key${done.length === 1 ? ' was' : 's were'} already created in this run before the failure: ${list}. They exist in the API but are not in this node's output; revoke them or note them before running again.`;
}
