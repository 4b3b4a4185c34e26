import { createHash } from 'crypto';
import { NodeOperationError, type IDataObject, type IExecuteFunctions, type INodeExecutionData } from 'n8n-workflow';

import { getAtPath } from '../shared/pagination';
import { NODE_ACCOUNT_HEADER, type ApiClient } from '../shared/transport';

/** Fields where an API may return a newly created key; the EenvoudigFactureren response shape is undocumented. */
const KEY_FIELD_CANDIDATES = ['apikey', 'api_key', 'apiKey', 'key', 'token', 'value'];

/** Objects where APIs commonly wrap what they created, searched (in this order) for the candidates above. */
const KEY_CONTAINERS = ['', 'data', 'result', 'apikey', 'api_key', 'apiKey', 'key', 'item', 'record'];

export interface CreateApiKeyInput {
	name: string;
	rights: string[];
	accountId: string;
	verify: boolean;
	verifyPath: string;
	/** Dot path of the key in the response (`data.apikey`); empty: search the usual places. */
	keyField: string;
	/** Header carrying a stable idempotency key for the POST; empty: none. */
	idempotencyKeyHeader: string;
	/**
	 * Same item of the same run of the node → same key (n8n's Retry On Fail re-runs the same run); another item,
	 * another run of the node in the execution (two branches into it, a loop) or another execution → another key.
	 */
	idempotencyKey: string;
}

/** Which run of this node within the execution this is (0, 1, … when two branches or a loop reach it). */
export function runIndexOf(ctx: IExecuteFunctions): number {
	const runIndex = (ctx.getWorkflowDataProxy(0) as { $runIndex?: unknown }).$runIndex;
	return typeof runIndex === 'number' ? runIndex : 0;
}

/**
 * n8n's Settings > Retry On Fail runs the whole node again after it failed (or, with On Error > Continue, after its
 * first item failed): every item's POST /apikeys would be sent a second time, creating second keys for the items the
 * first try created, and for any whose outcome was unknown. Without an idempotency key on every item, the node
 * refuses to run with it on, before any request.
 */
export function refuseBlindRetries(ctx: IExecuteFunctions): void {
	const node = ctx.getNode();
	if (node.retryOnFail !== true) return;
	const itemCount = ctx.getInputData().length;
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		const options = ctx.getNodeParameter('options', itemIndex, {}) as IDataObject;
		if (String(options.idempotencyKeyHeader ?? '').trim() !== '') continue;
		throw new NodeOperationError(node, 'Retry On Fail would create API keys twice: nothing was sent', {
			itemIndex,
			description:
				"This node's Settings > Retry On Fail is on. After a failure n8n runs the node again, for every item, so every POST /apikeys would be sent again: the keys the first try created — and any whose outcome is unknown after a 5xx, a timeout or a lost connection — would be created a second time. Turn Retry On Fail off (the node itself retries what is safe: a 429 Too Many Requests), or, if the API honours idempotency keys, set Options > Idempotency Key Header: a repeated POST then carries the same key, and the API answers it with the first result instead of creating a second key.",
		});
	}
}

/** Reads and checks one item's parameters; an empty name fails here, before any request. */
export function readCreateApiKeyInput(ctx: IExecuteFunctions, itemIndex: number, runIndex = runIndexOf(ctx)): CreateApiKeyInput {
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
	const rights = [...new Set([...chosen, ...typed])];
	const accountId = String(ctx.getNodeParameter('accountId', itemIndex, '') ?? '').trim();
	return {
		name,
		rights,
		accountId,
		verify: ctx.getNodeParameter('verifyKey', itemIndex, true) as boolean,
		verifyPath: String(options.verifyPath || '/accounts/current'),
		keyField: String(options.keyField ?? '').trim(),
		idempotencyKeyHeader: String(options.idempotencyKeyHeader ?? '').trim(),
		idempotencyKey: createHash('sha256')
			// The run and the item too: two items, or two runs of the node, asking for the same name, account and rights
			// are two keys, not one sent twice.
			.update(JSON.stringify([ctx.getExecutionId() ?? '', ctx.getNode().id, runIndex, itemIndex, name, accountId, [...rights].sort()]))
			.digest('hex')
			.slice(0, 32),
	};
}

/** Finds the new key: at Key Field (a dot path) when set, else the first candidate field at the usual places. */
export function locateKey(body: IDataObject, keyField: string): { path: string; key: string } | undefined {
	if (keyField) {
		const value = getAtPath(body, keyField);
		return typeof value === 'string' && value !== '' ? { path: keyField, key: value } : undefined;
	}
	for (const container of KEY_CONTAINERS) {
		const holder = getAtPath(body, container);
		if (!holder || typeof holder !== 'object' || Array.isArray(holder)) continue;
		for (const field of KEY_FIELD_CANDIDATES) {
			const value = (holder as IDataObject)[field];
			if (typeof value === 'string' && value !== '') return { path: container ? `${container}.${field}` : field, key: value };
		}
	}
	return undefined;
}

/** Dot paths of the response's fields (names only, never values), to help set Key Field. */
function fieldPaths(value: unknown, prefix = ''): string[] {
	if (!value || typeof value !== 'object' || Array.isArray(value)) return prefix ? [prefix] : [];
	const paths = Object.entries(value as IDataObject).flatMap(([field, entry]) => fieldPaths(entry, prefix ? `${prefix}.${field}` : field));
	return paths.slice(0, 40);
}

/** A deep copy of the response without the key: its field is dropped, and the key is scrubbed from every other string. */
function withoutKey(value: unknown, key: string, path: string[]): unknown {
	if (typeof value === 'string') return value.split(key).join('[redacted]');
	if (Array.isArray(value)) return value.map((entry) => withoutKey(entry, key, []));
	if (!value || typeof value !== 'object') return value;
	const copy: IDataObject = {};
	for (const [field, entry] of Object.entries(value as IDataObject)) {
		if (path.length === 1 && field === path[0]) continue;
		copy[field] = withoutKey(entry, key, field === path[0] ? path.slice(1) : []) as IDataObject[string];
	}
	return copy;
}

/**
 * Creates one key with `POST /apikeys` and optionally checks it with one GET. The POST is never
 * retried after a network error, a timeout or 502/503/504 (the API may have created the key, and a
 * repeated POST could create a second one) unless it carries an idempotency key; 429 is retried
 * since the API did not act on it.
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
		headers: input.accountId ? { [NODE_ACCOUNT_HEADER]: input.accountId } : undefined,
		idempotencyKey: input.idempotencyKeyHeader
			? { header: input.idempotencyKeyHeader, value: input.idempotencyKey }
			: undefined,
		itemIndex,
		adviceFor: {
			...UNKNOWN_OUTCOME_ADVICE,
			303: KEY_NOT_RETURNED_ADVICE,
			401: 'The Basic Auth e-mail or password was rejected. Creating API keys needs Basic authentication (e-mail and password) of a user of this account: check the "API Sync Basic Auth API" credential.',
			403: `The API refused to create a key for ${accountNote}. Only accountant-portal users can create keys for other accounts: check the Account ID, and that this user may reach that account and manage API keys.`,
			400: 'The API refused the request: check the key name and the rights (their names must be ones the API knows).',
		},
	});
	const body = response.body ?? {};
	const located = locateKey(body, input.keyField);
	const apiKey = located?.key;
	// The key goes only into the sensitive `apiKey` field, never anywhere else in the output. When it cannot be
	// located, none of the response is copied (it may hold the key somewhere unexpected): only its field names.
	const metadata = located ? (withoutKey(body, located.key, located.path.split('.')) as IDataObject) : {};

	const result: IDataObject = {
		...metadata,
		apiKey: typeof apiKey === 'string' ? apiKey : null,
		name: input.name,
		rights: input.rights.length ? input.rights : 'all',
		accountId: input.accountId || (body.account_id as string | undefined) || null,
		createdAt: now().toISOString(),
		verified: false,
	};

	if (typeof apiKey !== 'string' && response.seeOther) {
		// 303 See Other: the key was created, and what its Location returns does not hold it (many APIs show a key once).
		// Its address says which key it is; the response itself is not copied (it may hold the key somewhere unexpected).
		result.location = response.seeOther;
		result.verification = `The API created the key and answered 303 See Other; GET ${response.seeOther} did not return the key (its fields: ${fieldPaths(body).join(', ') || 'none'}), so it is not in this output. ${KEY_NOT_RETURNED_ADVICE}`;
		return { json: result };
	}
	if (typeof apiKey !== 'string') {
		result.verification = `The API answered ${response.status} but no key was found in its response (looked at: ${input.keyField || `${KEY_FIELD_CANDIDATES.join(', ')}, also under ${KEY_CONTAINERS.filter(Boolean).join(', ')}`}). Its fields: ${fieldPaths(body).join(', ') || 'none'}. Set Options > Key Field to the field that holds the key, e.g. data.apikey. The response itself is not copied here, as it may hold the key.`;
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
			headers: { 'X-API-Key': apiKey, ...(input.accountId ? { [NODE_ACCOUNT_HEADER]: input.accountId } : {}) },
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

/**
 * Any 5xx after the POST (a gateway error, or the API failing while handling it): the key may exist. Say so, and how
 * to check — never "no key was created", never an invitation to simply run again.
 */
const UNKNOWN_OUTCOME_ADVICE = Object.fromEntries(
	Array.from({ length: 100 }, (_, i) => 500 + i).map((status) => [
		status,
		'The outcome is unknown: the API may have created the key before it failed or a gateway answered. Check the API keys of this account (e.g. in the web app under Toegangsbeheer / Access Management) before running again — running again as is may create a second key — or revoke a key you do not want. Where the API honours idempotency keys, set Options > Idempotency Key Header so this request can be repeated safely.',
	]),
);

/** 303 See Other after the POST: the key was created, but the answer that holds it could not be read. */
const KEY_NOT_RETURNED_ADVICE =
	'The key was created, but not returned. Find it in the API keys of this account (e.g. in the web app under Toegangsbeheer / Access Management): copy it from there if the API shows it again, else revoke it and create a new one. Do not run this item again as is: it would create a second key.';

/** True for an error after which the key may exist: any 5xx, a 303, or a lost answer. */
function keyMayExist(error: unknown): boolean {
	const httpCode = (error as { httpCode?: string | null }).httpCode;
	if (httpCode === '303' || (typeof httpCode === 'string' && /^5\d\d$/.test(httpCode))) return true;
	return /outcome is unknown/.test((error as Error).message ?? '');
}

/**
 * For the error that stops a run: which keys earlier items already created (never the keys themselves), and
 * whether the failing item's own key may exist.
 */
export function describeCreatedKeys(done: INodeExecutionData[], error?: unknown): string | undefined {
	const failing =
		error !== undefined && keyMayExist(error)
			? ' The key of the item that failed may exist as well (see above): check before running again.'
			: '';
	if (done.length === 0) {
		return failing
			? `No earlier item of this run created a key.${failing}`
			: 'No API key was created in this run before the failure.';
	}
	const list = done
		.map((item) => {
			const { name, accountId, apikey_id: id } = item.json;
			return `"${String(name)}"${accountId ? ` for account ${String(accountId)}` : ''}${id !== undefined ? ` (id ${String(id)})` : ''}`;
		})
		.join(', ');
	return `${done.length} API key${done.length === 1 ? ' was' : 's were'} already created in this run before the failure: ${list}. They exist in the API but are not in this node's output; revoke them or note them before running again.${failing}`;
}
