import { NodeOperationError, type IDataObject, type IExecuteFunctions } from 'n8n-workflow';

import { NODE_ACCOUNT_HEADER } from './transport';

/** Reads a JSON parameter that may hold an object (from an expression) or JSON text. */
export function readJsonObjectParameter(ctx: IExecuteFunctions, name: string, itemIndex: number): IDataObject {
	const raw = ctx.getNodeParameter(name, itemIndex, {}) as unknown;
	let value: unknown = raw;
	if (typeof raw === 'string') {
		if (raw.trim() === '') return {};
		try {
			value = JSON.parse(raw);
		} catch (error) {
			throw new NodeOperationError(ctx.getNode(), `The "${name}" parameter is not valid JSON: ${(error as Error).message}`, {
				itemIndex,
				description: 'Enter a JSON object such as {"name": "Acme"}, or an expression like {{ $json }}.',
			});
		}
	}
	if (value === null || typeof value !== 'object' || Array.isArray(value)) {
		throw new NodeOperationError(ctx.getNode(), `The "${name}" parameter must be a JSON object`, {
			itemIndex,
			description: 'Enter a JSON object such as {"name": "Acme"}, or an expression like {{ $json }}.',
		});
	}
	return value as IDataObject;
}

/** Reads a record ID parameter; an empty ID is an error before any request is made. */
export function readRecordId(ctx: IExecuteFunctions, itemIndex: number): string {
	const id = String(ctx.getNodeParameter('recordId', itemIndex, '') ?? '').trim();
	if (id === '') {
		throw new NodeOperationError(ctx.getNode(), 'The Record ID is empty', {
			itemIndex,
			description: 'Set Record ID, for example with an expression such as {{ $json.client_id }}.',
		});
	}
	return encodeURIComponent(id);
}

/** Per-request account for accountant portals; the transport sends it under the credential's account header, replacing the credential's account. */
export function accountHeader(accountId: string | undefined): Record<string, string> | undefined {
	const account = (accountId ?? '').trim();
	return account ? { [NODE_ACCOUNT_HEADER]: account } : undefined;
}
