/**
 * In-process n8n test harness: runs real workflows through n8n-core's `WorkflowExecute`
 * with the package's nodes and credentials loaded from source. HTTP made by nodes goes
 * through n8n-core's real request helpers (`httpRequestWithAuthentication`, `requestOAuth2`,
 * ...) to whatever server the test points them at.
 *
 * ```ts
 * const result = await runNode({
 * 	node: { type: 'apiSync', parameters: { ... } },
 * 	credentials: [{ type: 'apiSyncBearerTokenApi', data: { token: 'x' } }],
 * });
 * expect(result.error).toBeUndefined();
 * expect(result.output[0]).toHaveLength(1);
 * ```
 */
import './bootstrap';

export type { TestCredential } from './credentials-helper';
export { HarnessCredentialsHelper } from './credentials-helper';
export type { RunNodeOptions, RunResult, RunWorkflowOptions } from './run';
export { runNode, runWorkflow } from './run';
export type { CredentialTestResult } from './credential-test';
export { testCredential } from './credential-test';
export { BUILTIN_NODE_TYPES } from './builtins';
export { PACKAGE_NAME, loadTypes } from './node-types';
export type { WebhookCall, WebhookRequest } from './webhook';
export { HarnessResponse, WebhookWorkflow } from './webhook';
