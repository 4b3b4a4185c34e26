import type { IExecuteFunctions, IPollFunctions } from 'n8n-workflow';

/** The Account ID set in the node's credential (empty when none): part of what identifies a change feed. */
export async function credentialAccountId(ctx: IExecuteFunctions | IPollFunctions, credentialType: string): Promise<string> {
	const credentials = await ctx.getCredentials(credentialType);
	return String(credentials?.accountId ?? '').trim();
}
