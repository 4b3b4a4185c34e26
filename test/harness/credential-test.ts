/**
 * What the editor's credential **Test** button does, following n8n CLI's
 * `CredentialsTester.testCredentials()` (`credentials-tester.service.ts`): find the test
 * (the credential type's `test`, else a node's `testedBy`, else the OAuth2 "has a token"
 * check), apply defaults and resolve expressions, then run the test request through
 * n8n-core's `RoutingNode` on a temporary node, so `authenticate`, `preAuthentication`
 * and OAuth2 (n8n-core's `requestOAuth2`, including the client-credentials token fetch)
 * all take their real paths. Failures are mapped to messages the way n8n maps them.
 */
import { CredentialTestContext, ExecuteContext, RoutingNode } from 'n8n-core';
import type {
	ICredentialDataDecryptedObject,
	ICredentialTestFunction,
	ICredentialTestRequestData,
	ICredentialsDecrypted,
	IExecuteData,
	INode,
	INodeCredentialTestResult,
	INodeExecutionData,
	INodeType,
	INodeTypes,
	IVersionedNodeType,
} from 'n8n-workflow';
import { NodeHelpers, UnexpectedError, VersionedNodeType, Workflow, createRunExecutionData } from 'n8n-workflow';

import { NoOp } from './builtins';
import type { HarnessCredentialTypes, HarnessNodeTypes } from './node-types';
import { createStandaloneContext } from './run';

/** n8n's RESPONSE_ERROR_MESSAGES for the OAuth2 "has a token" test. */
const OAUTH2_CREDENTIAL_TEST_SUCCEEDED = 'Connection Successful!';
const OAUTH2_CREDENTIAL_TEST_FAILED = 'This OAuth2 credential was not connected successfully!';

export interface CredentialTestResult extends INodeCredentialTestResult {
	/** Not shown by n8n; for assertions: the HTTP status and body of a failed test request. */
	response?: { status: number; body: unknown };
}

function hasAccessToken(credentials: ICredentialsDecrypted): boolean {
	const tokenData = credentials.data?.oauthTokenData;
	return typeof tokenData === 'object' && tokenData !== null && 'access_token' in tokenData;
}

function getCredentialTestFunction(
	credentialType: string,
	credentialTypes: HarnessCredentialTypes,
	nodeTypes: HarnessNodeTypes,
): ICredentialTestFunction | ICredentialTestRequestData | undefined {
	const type = credentialTypes.getByName(credentialType);
	if (type.test) return { testRequest: type.test };

	for (const nodeName of credentialTypes.getSupportedNodes(credentialType)) {
		const node = nodeTypes.getByName(nodeName);
		const allNodeTypes: INodeType[] =
			node instanceof VersionedNodeType ? Object.values(node.nodeVersions) : [node as INodeType];
		for (const nodeType of allNodeTypes) {
			for (const { name, testedBy } of nodeType.description.credentials ?? []) {
				if (
					name === credentialType &&
					(credentialTypes.getParentTypes(name).includes('oAuth2Api') || name === 'oAuth2Api')
				) {
					return async function oauth2CredTest(cred: ICredentialsDecrypted) {
						return hasAccessToken(cred)
							? { status: 'OK', message: OAUTH2_CREDENTIAL_TEST_SUCCEEDED }
							: { status: 'Error', message: OAUTH2_CREDENTIAL_TEST_FAILED };
					};
				}
				if (name === credentialType && !!testedBy) {
					if (typeof testedBy === 'string') {
						if (node instanceof VersionedNodeType) {
							const versions = Object.keys(node.nodeVersions).sort().reverse();
							for (const version of versions) {
								const credentialTest = node.nodeVersions[parseInt(version, 10)].methods?.credentialTest;
								if (credentialTest && testedBy in credentialTest) return credentialTest[testedBy];
							}
						}
						return (node as INodeType).methods?.credentialTest?.[testedBy];
					}
					return { nodeType, testRequest: testedBy };
				}
			}
		}
	}
	return undefined;
}

/**
 * Tests credential data of the given type as n8n's **Test** button does and returns
 * n8n's `{ status, message }` (plus `response` with the failing HTTP status/body, for
 * assertions). The data is put into a temporary credential store (OAuth2 token data
 * fetched during the test is discarded, as with an unsaved credential).
 */
export async function testCredential(
	type: string,
	data: ICredentialDataDecryptedObject,
	opts: { fixtures?: boolean } = {},
): Promise<CredentialTestResult> {
	const { nodeTypes, credentialTypes, credentialsHelper, additionalData } = await createStandaloneContext(
		[],
		opts.fixtures,
	);

	const credentialTestFunction = getCredentialTestFunction(type, credentialTypes, nodeTypes);
	if (credentialTestFunction === undefined) {
		return { status: 'Error', message: 'No testing function found for this credential.' };
	}

	const reference = credentialsHelper.add({ id: 'harness-credential-test', name: 'Credential under test', type, data });
	const credentialsDecrypted: ICredentialsDecrypted = { id: reference.id!, name: reference.name, type, data };
	try {
		credentialsDecrypted.data = await credentialsHelper.applyDefaultsAndOverwrites(
			additionalData,
			data,
			type,
			'internal',
		);
	} catch (error) {
		return { status: 'Error', message: String((error as Error).message) };
	}

	if (typeof credentialTestFunction === 'function') {
		const context = new CredentialTestContext();
		return await credentialTestFunction.call(context, credentialsDecrypted);
	}

	const nodeType = credentialTestFunction.nodeType ?? new NoOp();
	const node: INode = {
		id: 'temp',
		parameters: {},
		name: 'Temp-Node',
		type: nodeType.description.name,
		typeVersion: Array.isArray(nodeType.description.version)
			? nodeType.description.version.slice(-1)[0]
			: nodeType.description.version,
		position: [0, 0],
		credentials: { [type]: { id: credentialsDecrypted.id, name: credentialsDecrypted.name } },
	};
	const nodeTypeCopy: INodeType = {
		description: {
			...nodeType.description,
			credentials: [{ name: type, required: true }],
			properties: [
				{
					displayName: 'Temp',
					name: 'temp',
					type: 'string',
					routing: { request: credentialTestFunction.testRequest.request },
					default: '',
				},
			],
		},
	};
	const mockNodeTypes: INodeTypes = {
		getKnownTypes: () => ({}),
		getByName: (name: string): INodeType | IVersionedNodeType => {
			if (name !== nodeTypeCopy.description.name) throw new UnexpectedError(`Unknown node type ${name}`);
			return nodeTypeCopy;
		},
		getByNameAndVersion: (name: string, version?: number) =>
			NodeHelpers.getVersionedNodeType(mockNodeTypes.getByName(name), version),
	};
	const workflow = new Workflow({ nodes: [node], connections: {}, active: false, nodeTypes: mockNodeTypes });
	const executeData: IExecuteData = { node, data: {}, source: null };
	const connectionInputData: INodeExecutionData[] = [];
	const executeFunctions = new ExecuteContext(
		workflow,
		node,
		additionalData,
		'internal',
		createRunExecutionData({ resultData: { runData: {} } }),
		0,
		connectionInputData,
		{ main: [[{ json: {} }]] },
		executeData,
		[],
	);
	const routingNode = new RoutingNode(executeFunctions, nodeTypeCopy, credentialsDecrypted);

	let response: INodeExecutionData[][] | null | undefined;
	try {
		response = await routingNode.runNode();
	} catch (error) {
		const cause = (error as { cause?: { response?: { status: number; statusText?: string; data?: unknown }; code?: string } })
			.cause;
		if (cause?.response) {
			const { status: statusCode, statusText: statusMessage, data: body } = cause.response;
			const failed = { response: { status: statusCode, body } };
			for (const rule of credentialTestFunction.testRequest.rules ?? []) {
				if (rule.type === 'responseCode' && statusCode === rule.properties.value) {
					return { status: 'Error', message: rule.properties.message, ...failed };
				}
			}
			if (statusCode < 199 || statusCode > 299) {
				return {
					status: 'Error',
					message: statusMessage || `Received HTTP status code: ${statusCode}`,
					...failed,
				};
			}
		} else if (cause?.code) {
			return { status: 'Error', message: cause.code };
		}
		return { status: 'Error', message: String((error as Error).message) };
	} finally {
		credentialsHelper.remove(reference.id!);
	}

	for (const rule of credentialTestFunction.testRequest.rules ?? []) {
		if (rule.type === 'responseSuccessBody') {
			const responseData = response?.[0]?.[0]?.json ?? {};
			const value = rule.properties.key
				.split('.')
				.reduce<unknown>((acc, key) => (acc as Record<string, unknown> | undefined)?.[key], responseData);
			if (value === rule.properties.value) return { status: 'Error', message: rule.properties.message };
		}
	}
	return { status: 'OK', message: 'Connection successful!' };
}
