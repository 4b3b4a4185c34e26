/**
 * Fixed identities known to the sandbox API. Tests, examples and `npm start` use these.
 * They are test-only secrets for a loopback server; none of them is valid anywhere else.
 */

/** Accounts are EenvoudigFactureren account numbers; each has its own records. */
export const ACCOUNTS = {
	owner: 'A10000001',
	other: 'B10000001',
	portal: 'P10000001',
	portalClients: ['C10000001', 'C10000002', 'C10000003'],
} as const;

export interface SandboxUser {
	email: string;
	password: string;
	/** Accounts this user may reach with X-AccountId. */
	accounts: string[];
	/** Account used when no X-AccountId is sent. */
	defaultAccount: string;
	/** Accountant-portal users may reach several accounts. */
	portal: boolean;
}

export const USERS: SandboxUser[] = [
	{
		email: 'owner@example.com',
		password: 'owner-Pa55word!',
		accounts: [ACCOUNTS.owner],
		defaultAccount: ACCOUNTS.owner,
		portal: false,
	},
	{
		email: 'accountant@example.com',
		password: 'portal-Pa55word!',
		accounts: [ACCOUNTS.portal, ...ACCOUNTS.portalClients],
		defaultAccount: ACCOUNTS.portal,
		portal: true,
	},
	{
		email: 'other@example.com',
		password: 'other-Pa55word!',
		accounts: [ACCOUNTS.other],
		defaultAccount: ACCOUNTS.other,
		portal: false,
	},
];

export interface SandboxApiKey {
	key: string;
	accounts: string[];
	defaultAccount: string;
	/** null means all rights. */
	rights: string[] | null;
}

export const API_KEYS: SandboxApiKey[] = [
	{ key: 'ef-key-owner-7f3a9c1e5b', accounts: [ACCOUNTS.owner], defaultAccount: ACCOUNTS.owner, rights: null },
	{
		key: 'ef-key-portal-4d8b2a6f0c',
		accounts: [ACCOUNTS.portal, ...ACCOUNTS.portalClients],
		defaultAccount: ACCOUNTS.portal,
		rights: null,
	},
];

export const BEARER_TOKENS = [{ token: 'ef-bearer-owner-9e1d4c7b2a', account: ACCOUNTS.owner }];

export const OAUTH_CLIENTS = [
	{
		clientId: 'api-sync-client',
		clientSecret: 'oauth-Cl1ent-secret!',
		account: ACCOUNTS.owner,
	},
];

/** Lifetime of access tokens issued by the sandbox's /oauth/token, in seconds. */
export const OAUTH_TOKEN_LIFETIME_SECONDS = 3600;

export const HMAC_KEYS = [{ keyId: 'hmac-key-1', secret: 'hmac-S3cret-0001', account: ACCOUNTS.owner }];

/** Every secret above, so tests can assert that none of them leaks into output, errors or logs. */
export const ALL_SECRETS: string[] = [
	...USERS.map((u) => u.password),
	...API_KEYS.map((k) => k.key),
	...BEARER_TOKENS.map((t) => t.token),
	...OAUTH_CLIENTS.map((c) => c.clientSecret),
	...HMAC_KEYS.map((k) => k.secret),
];

/** Display names returned by `GET /accounts/current`. */
export const ACCOUNT_NAMES: Record<string, string> = {
	[ACCOUNTS.owner]: 'Demo Owner BV',
	[ACCOUNTS.other]: 'Other Company NV',
	[ACCOUNTS.portal]: 'Accountancy Portal BV',
	[ACCOUNTS.portalClients[0]]: 'Portal Client One BV',
	[ACCOUNTS.portalClients[1]]: 'Portal Client Two BV',
	[ACCOUNTS.portalClients[2]]: 'Portal Client Three BV',
};

/**
 * First id the sandbox assigns per domain. Ids increase per domain and are unique across accounts;
 * `reset()` starts again from these.
 */
export const FIRST_IDS = { clients: 101, stockitems: 201, invoices: 1001 } as const;

/** `created` / `last_modified` of every seeded record (seeded records are older than anything created later). */
export const SEED_TIMESTAMP = '2026-01-05T09:00:00Z';

/**
 * Demo records seeded when the sandbox starts or resets (unless `seed: false`), in this order:
 * owner clients 101-103, then one client per portal client account (104-106), owner stock items 201-202,
 * owner invoice 1001 (for client 101). Portal and "other" accounts start empty.
 */
export const SEED = {
	ownerClients: [
		{
			name: 'Bakkerij De Gouden Korst',
			number: 'K001',
			email_address: 'info@goudenkorst.example',
			tax_code: 'BE0123456789',
			street: 'Kerkstraat 1',
			city: 'Gent',
			postal_code: '9000',
			country_code: 'BE',
			external_client_id: 'shop-1001',
		},
		{
			name: 'Fietsen Peeters',
			number: 'K002',
			email_address: 'sales@peeters.example',
			tax_code: 'BE0987654321',
			street: 'Stationsplein 12',
			city: 'Leuven',
			postal_code: '3000',
			country_code: 'BE',
			external_client_id: 'shop-1002',
		},
		{
			name: 'Atelier Janssens',
			number: 'K003',
			email_address: 'hallo@janssens.example',
			tax_code: '',
			street: 'Meir 50',
			city: 'Antwerpen',
			postal_code: '2000',
			country_code: 'BE',
			external_client_id: 'shop-1003',
		},
	],
	portalClientClient: (account: string) => ({
		name: `Klant van ${account}`,
		number: 'K001',
		email_address: `klant@${account.toLowerCase()}.example`,
		country_code: 'BE',
	}),
	ownerStockitems: [
		{ code: 'BRD-01', description: 'Volkorenbrood', price: 3.2, last_activity: '2026-01-04' },
		{ code: 'CRS-02', description: 'Croissant', price: 1.45, last_activity: '2026-01-03' },
	],
	ownerInvoice: {
		client_id: FIRST_IDS.clients,
		date: '2026-01-05',
		items: [{ description: 'Volkorenbrood', quantity: 10, price: 3.2 }],
		total: 32,
	},
};
