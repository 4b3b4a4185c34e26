import {
	NodeApiError,
	NodeOperationError,
	type IExecuteFunctions,
	type INodeExecutionData,
	type JsonObject,
} from 'n8n-workflow';

export interface ItemLoopOptions {
	/**
	 * Describes what earlier items already did, for the error that stops the run, so nothing done
	 * is lost track of (e.g. "2 API keys were already created: ...").
	 */
	describeDone?: (done: INodeExecutionData[], error: unknown) => string | undefined;
}

/**
 * Runs `run` for each input item: sets `pairedItem` on every output item, and with
 * `continueOnFail` turns a failed item into `{ json: { error } }` while the others go on.
 */
export async function forEachItem(
	ctx: IExecuteFunctions,
	run: (itemIndex: number) => Promise<INodeExecutionData[]>,
	options: ItemLoopOptions = {},
): Promise<INodeExecutionData[]> {
	const output: INodeExecutionData[] = [];
	const itemCount = ctx.getInputData().length;
	for (let itemIndex = 0; itemIndex < itemCount; itemIndex++) {
		try {
			const results = await run(itemIndex);
			for (const result of results) output.push({ ...result, pairedItem: { item: itemIndex } });
		} catch (error) {
			if (ctx.continueOnFail()) {
				output.push({ json: { error: (error as Error).message }, pairedItem: { item: itemIndex } });
				continue;
			}
			const done = options.describeDone?.(
				output.filter((item) => item.json.error === undefined),
				error,
			);
			// Both constructors hand back an error that is already theirs, unchanged.
			const stopping =
				error instanceof NodeApiError
					? new NodeApiError(ctx.getNode(), error as unknown as JsonObject)
					: new NodeOperationError(ctx.getNode(), error as Error, { itemIndex });
			if (done) stopping.description = [stopping.description, done].filter(Boolean).join('\n\n');
			throw stopping;
		}
	}
	return output;
}
