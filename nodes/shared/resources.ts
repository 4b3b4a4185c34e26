import type { INodeProperties } from 'n8n-workflow';

import { EENVOUDIGFACTUREREN_PAGINATION, type PaginationSettings, type PaginationStyle } from './pagination';

export interface ResourcePreset {
	/** Path under the base URL. */
	path: string;
	/** Field holding the record's id in responses, e.g. `client_id`. */
	idField: string;
	/** Whether `POST /{path}?bulk` exists (at most 100 records per call). */
	bulk: boolean;
	/**
	 * Default cursor for finding changes: a documented field that grows on every edit or addition
	 * (for documents, the ID: new documents). Undefined when none is documented; changes are then
	 * found by comparing content hashes.
	 */
	cursorField?: string;
}

/** EenvoudigFactureren / SimplyBooks resources (API v1). */
export const PRESETS = {
	clients: { path: '/clients', idField: 'client_id', bulk: true },
	stockitems: { path: '/stockitems', idField: 'stockitem_id', bulk: true, cursorField: 'last_activity' },
	invoices: { path: '/invoices', idField: 'invoice_id', bulk: false, cursorField: 'invoice_id' },
	quotes: { path: '/quotes', idField: 'quote_id', bulk: false, cursorField: 'quote_id' },
	orders: { path: '/orders', idField: 'order_id', bulk: false, cursorField: 'order_id' },
	deliveries: { path: '/deliveries', idField: 'delivery_id', bulk: false, cursorField: 'delivery_id' },
	receipts: { path: '/receipts', idField: 'receipt_id', bulk: false, cursorField: 'receipt_id' },
	subscriptions: { path: '/subscriptions', idField: 'subscription_id', bulk: false, cursorField: 'subscription_id' },
	projects: { path: '/projects', idField: 'project_id', bulk: false, cursorField: 'last_activity' },
} satisfies Record<string, ResourcePreset>;

export type PresetName = keyof typeof PRESETS;

/**
 * Numbered documents: deleting one can leave a gap in its numbering (Belgian invoices must be numbered without
 * gaps), so Sync does not delete its own duplicates of them unless asked (Remove Duplicates of Overlapping Runs).
 */
export const DOCUMENT_PRESETS: ReadonlySet<string> = new Set(['invoices', 'quotes', 'orders', 'deliveries', 'receipts', 'subscriptions']);

export const PRESET_LABELS: Record<PresetName, string> = {
	clients: 'Clients',
	stockitems: 'Stock Items (Products)',
	invoices: 'Invoices',
	quotes: 'Quotes',
	orders: 'Orders',
	deliveries: 'Deliveries',
	receipts: 'Receipts',
	subscriptions: 'Subscriptions',
	projects: 'Projects',
};

/**
 * The chosen resource in words, for a node's subtitle (an n8n expression, without the braces):
 * "Clients", "Stock Items", or the custom path.
 */
export const RESOURCE_LABEL_EXPRESSION = `(${JSON.stringify(
	Object.fromEntries(Object.entries(PRESET_LABELS).map(([value, label]) => [value, label.replace(/ \(.*\)$/, '')])),
)}[$parameter["remoteResource"]] ?? $parameter["customPath"])`;

/** Everything an operation needs to know about the remote resource it works on. */
export interface ResolvedResource extends ResourcePreset {
	/** How updates are sent: EenvoudigFactureren updates partially with POST /{id}. */
	updateMethod: 'POST' | 'PATCH' | 'PUT';
	pagination: PaginationSettings;
	/** The API understands EenvoudigFactureren's list parameters (`filter=`, `fields=`, `sort=`). */
	efListParameters: boolean;
}

export const resourceProperties: INodeProperties[] = [
	{
		displayName: 'Remote Resource',
		name: 'remoteResource',
		type: 'options',
		// Written out (not mapped from PRESET_LABELS) so n8n's scanner can check the order and the default;
		// test/unit/editorLabels.test.ts keeps the two in step.
		options: [
			{ name: 'Custom Path (Any JSON REST API)', value: 'custom' },
			{ name: 'EenvoudigFactureren: Clients', value: 'clients' },
			{ name: 'EenvoudigFactureren: Deliveries', value: 'deliveries' },
			{ name: 'EenvoudigFactureren: Invoices', value: 'invoices' },
			{ name: 'EenvoudigFactureren: Orders', value: 'orders' },
			{ name: 'EenvoudigFactureren: Projects', value: 'projects' },
			{ name: 'EenvoudigFactureren: Quotes', value: 'quotes' },
			{ name: 'EenvoudigFactureren: Receipts', value: 'receipts' },
			{ name: 'EenvoudigFactureren: Stock Items (Products)', value: 'stockitems' },
			{ name: 'EenvoudigFactureren: Subscriptions', value: 'subscriptions' },
		],
		default: 'clients',
		description: 'Which records to work on, under the credential’s base URL',
	},
	{
		displayName: 'Path',
		name: 'customPath',
		type: 'string',
		default: '',
		required: true,
		placeholder: '/contacts',
		description: 'Path of the collection under the base URL. A record is at {path}/{ID}.',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'ID Field',
		name: 'customIdField',
		type: 'string',
		default: 'id',
		required: true,
		description: 'Field that holds the record ID in responses',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'Update Method',
		name: 'customUpdateMethod',
		type: 'options',
		options: [
			{ name: 'PATCH (Partial Update)', value: 'PATCH' },
			{ name: 'PUT (Full Replace)', value: 'PUT' },
			{ name: 'POST to {path}/{ID} (Partial Update)', value: 'POST' },
		],
		default: 'PATCH',
		displayOptions: { show: { remoteResource: ['custom'] } },
	},
	{
		displayName: 'Pagination',
		name: 'customPagination',
		type: 'collection',
		placeholder: 'Set Pagination',
		default: {},
		displayOptions: { show: { remoteResource: ['custom'] } },
		// In alphabetical order, as n8n's scanner asks of a collection (its Add menu lists them so).
		options: [
			{
				displayName: 'Cursor Parameter',
				name: 'cursorParam',
				type: 'string',
				default: '',
				placeholder: 'after',
				description:
					'Cursor Token and Last Record ID styles: query parameter the token or the last record’s ID is sent in, e.g. after (HubSpot), cursor, offset (Airtable), starting_after (Stripe)',
			},
			{
				displayName: 'Cursor Path',
				name: 'cursorPath',
				type: 'string',
				default: '',
				placeholder: 'paging.next.after',
				description:
					'Cursor Token style: dot path in the response body to the next page’s token, e.g. paging.next.after (HubSpot), next_cursor, offset (Airtable). Paging ends when it is missing or empty.',
			},
			{ displayName: 'First Page Number', name: 'firstPage', type: 'number', default: 1 },
			{
				displayName: 'Has More Path',
				name: 'hasMorePath',
				type: 'string',
				default: '',
				placeholder: 'has_more',
				description:
					'Cursor Token and Last Record ID styles: dot path to a true/false field saying whether more records follow, e.g. has_more (Stripe). Empty: not used (Last Record ID then goes on until an empty page).',
			},
			{ displayName: 'Limit Parameter', name: 'limitParam', type: 'string', default: 'take' },
			{ displayName: 'Max Pages', name: 'maxPages', type: 'number', typeOptions: { minValue: 1 }, default: 1000 },
			{
				displayName: 'Next URL Path',
				name: 'nextUrlPath',
				type: 'string',
				default: 'next',
				description: 'Dot path in the response body to the next page’s URL, e.g. links.next',
			},
			{ displayName: 'Offset Parameter', name: 'offsetParam', type: 'string', default: 'skip' },
			{ displayName: 'Page Parameter', name: 'pageParam', type: 'string', default: 'page' },
			{ displayName: 'Page Size', name: 'pageSize', type: 'number', typeOptions: { minValue: 1 }, default: 100 },
			{
				displayName: 'Page Size Parameter',
				name: 'pageSizeParam',
				type: 'string',
				default: 'per_page',
				description:
					'Query parameter for the page size. Page Number style: always sent. Next URL, Link Header, Cursor Token and Last Record ID: sent only when added here, e.g. limit (HubSpot, Stripe) or pageSize (Airtable).',
			},
			{
				displayName: 'Records Path',
				name: 'recordsPath',
				type: 'string',
				default: '',
				description: 'Dot path in the response body to the list of records, e.g. data. Empty when the body is the list itself.',
			},
			{
				displayName: 'Style',
				name: 'style',
				type: 'options',
				options: [
					{ name: 'Cursor Token in Response Body', value: 'cursor' },
					{ name: 'Last Record ID (Starting After)', value: 'lastId' },
					{ name: 'Link Header (Rel=next)', value: 'linkHeader' },
					{ name: 'Next URL in Response Body', value: 'nextUrl' },
					{ name: 'None (One Request)', value: 'none' },
					{ name: 'Offset and Limit', value: 'offset' },
					{ name: 'Page Number', value: 'page' },
				],
				default: 'offset',
			},
		],
	},
];

/** Reads the resource parameters of item `itemIndex` into one resolved description. */
export function resolveResource(
	getParam: (name: string, fallback?: unknown) => unknown,
): ResolvedResource {
	const name = getParam('remoteResource', 'clients') as PresetName | 'custom';
	if (name !== 'custom') {
		const preset: ResourcePreset = PRESETS[name];
		return { ...preset, updateMethod: 'POST', pagination: { ...EENVOUDIGFACTUREREN_PAGINATION, idField: preset.idField }, efListParameters: true };
	}
	const path = `/${String(getParam('customPath', '')).trim().replace(/^\/+|\/+$/g, '')}`;
	const paging = (getParam('customPagination', {}) ?? {}) as Partial<PaginationSettings> & { style?: PaginationStyle };
	const idField = String(getParam('customIdField', 'id') || 'id');
	const style = paging.style ?? 'offset';
	const text = (value: unknown) => (typeof value === 'string' ? value.trim() : '');
	return {
		path,
		idField,
		bulk: false,
		updateMethod: getParam('customUpdateMethod', 'PATCH') as ResolvedResource['updateMethod'],
		pagination: {
			...EENVOUDIGFACTUREREN_PAGINATION,
			maxPages: 1000,
			...paging,
			style,
			cursorPath: text(paging.cursorPath),
			cursorParam: text(paging.cursorParam),
			hasMorePath: text(paging.hasMorePath),
			// Page Number sends a page size parameter by default (per_page); the other styles only one the user added,
			// so that workflows saved before they could send one send nothing new.
			pageSizeParam: style === 'page' ? (paging.pageSizeParam ?? EENVOUDIGFACTUREREN_PAGINATION.pageSizeParam) : text(paging.pageSizeParam),
			idField,
			// A custom API may give fewer records than asked (a capped page size): only an empty page, or one shorter
			// than an earlier page, ends the listing.
			fullPagesGuaranteed: false,
		},
		efListParameters: false,
	};
}
