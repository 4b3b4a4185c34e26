/**
 * Change feeds: "what was added or changed since the last run", shared by the API Sync node's
 * Get Changes operation and the API Sync Trigger. See fetch.ts for the state invariant.
 */
export { credentialAccountId, credentialIdentity } from './account';
export { changeFeedProperties, changeOptionProperties, readChangeSettings } from './description';
export { runChangeFeed, type ChangeFeedRun } from './feed';
export { fetchChanges, fetchSample, readStoredState, type ChangeFeedSettings, type ChangeRun } from './fetch';
export { DELETED_FLAG } from './plan';
export { MAX_TRACKED_IDS, STATE_KEY, type ChangeState } from './state';
