/**
 * Shared setup for the e2e suites of this package: a real n8n with the built package, and the
 * sandbox API in the test process (n8n's child process calls it over loopback).
 */
import type { IDataObject } from 'n8n-workflow';

import { startSandbox, type Sandbox } from '../../sandbox/server';
import { CREDENTIAL_TYPE, credentialData, type CredentialKind } from '../../support/credentials';
import { prepareN8n, type N8nCredential, type N8nInstance } from './n8n';
import type { ChainNode } from './workflow';

export const PACKAGE = 'n8n-nodes-api-sync';

export interface PackageE2e {
	n8n: N8nInstance;
	sandbox: Sandbox;
}

export async function startPackageE2e(): Promise<PackageE2e> {
	const sandbox = await startSandbox();
	const n8n = await prepareN8n();
	return { n8n, sandbox };
}

export async function stopPackageE2e(env: PackageE2e | undefined): Promise<void> {
	await env?.n8n.dispose();
	await env?.sandbox.close();
}

/** A credential for import: `cred-<kind>` (or the given id), pointing at the sandbox. */
export function sandboxCredential(
	kind: CredentialKind,
	sandbox: Sandbox,
	overrides: IDataObject = {},
	id = `cred-${kind}`,
): N8nCredential {
	return { id, name: id, type: CREDENTIAL_TYPE[kind], data: credentialData(kind, sandbox.baseUrl, overrides) };
}

/** An API Sync node using credential `credentialId` of `kind`. */
export function apiSyncNode(kind: CredentialKind, credentialId: string, parameters: Record<string, unknown>): ChainNode {
	return {
		name: 'API Sync',
		type: `${PACKAGE}.apiSync`,
		parameters: { authentication: CREDENTIAL_TYPE[kind], resource: 'record', ...parameters },
		credentials: { [CREDENTIAL_TYPE[kind]]: { id: credentialId, name: credentialId } },
	};
}

/** A Code node that outputs the given items (stands in for a database, sheet or webshop). */
export function itemsNode(name: string, items: unknown[]): ChainNode {
	return {
		name,
		type: 'n8n-nodes-base.code',
		typeVersion: 2,
		parameters: { jsCode: `return ${JSON.stringify(items.map((json) => ({ json })))};` },
	};
}
