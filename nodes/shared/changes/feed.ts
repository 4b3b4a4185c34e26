import type { IDataObject, INode } from 'n8n-workflow';

import type { ApiClient } from '../transport';
import { fetchChanges, fetchSample, readStoredState, type ChangeFeedSettings } from './fetch';
import { STATE_KEY } from './state';

export interface ChangeFeedRun {
	client: ApiClient;
	node: INode;
	settings: ChangeFeedSettings;
	/** The node's workflow static data (`getWorkflowStaticData('node')`). */
	staticData: IDataObject;
	/** A run from the editor: returns a sample or a preview and leaves the state alone. */
	manual: boolean;
	manualOutput: 'sample' | 'preview';
}

/**
 * One run of a change feed for either entry point: returns the records to emit and, in
 * production runs only, stores the state that follows them. This is the one place the state is
 * written, and only after every request of the run succeeded; the caller returns the records to
 * n8n straight away, with nothing in between that can fail (see the invariant in fetch.ts).
 */
export async function runChangeFeed(run: ChangeFeedRun): Promise<IDataObject[]> {
	const { client, node, settings, staticData } = run;
	const stored = readStoredState(node, staticData[STATE_KEY], settings);
	if (run.manual) {
		if (run.manualOutput === 'preview') return (await fetchChanges(client, node, settings, stored)).records;
		return await fetchSample(client, node, settings);
	}
	const { records, nextState } = await fetchChanges(client, node, settings, stored);
	staticData[STATE_KEY] = nextState as unknown as IDataObject;
	return records;
}
