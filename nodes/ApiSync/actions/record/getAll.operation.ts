import type { IDataObject } from 'n8n-workflow';

import { readAllRecords } from '../../../shared/pagination';
import { showFor, type ItemOperation } from '../../../shared/operation';
import { accountHeader } from '../../../shared/recordData';
import { DEFAULT_READ_CONCURRENCY, readConcurrency } from '../../../shared/authentication';
import { wireFormatOf } from '../../../shared/recordShape';

export const getAll: ItemOperation = {
	description: showFor('getAll', [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { returnAll: [false] } },
		},
		{
			displayName: 'Filters',
			name: 'listOptions',
			type: 'collection',
			placeholder: 'Add Filter',
			default: {},
			options: [
				{
					displayName: 'Fields',
					name: 'fields',
					type: 'string',
					default: '',
					placeholder: 'client_id,name,email_address',
					description:
						'Comma-separated fields to return (sent as fields=, or as the resource’s fields parameter, e.g. properties= for HubSpot)',
				},
				{
					displayName: 'Filter',
					name: 'filter',
					type: 'string',
					default: '',
					placeholder: 'city=Gent,last_modified>=2026-01-01',
					description:
						'EenvoudigFactureren filter: field, operator (= != &lt;= &gt;= &lt; &gt; =~ for contains), value; several separated by commas',
				},
				{
					displayName: 'Search',
					name: 'search',
					type: 'string',
					default: '',
					description: 'Free-text search (sent as search=)',
				},
				{
					displayName: 'Sort',
					name: 'sort',
					type: 'string',
					default: '',
					placeholder: 'name -date',
					description: 'Fields to sort by, separated by spaces; put - in front for descending',
				},
			],
		},
	]),

	async execute(itemIndex, { client, resource }) {
		const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
		const limit = returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
		const listOptions = this.getNodeParameter('listOptions', itemIndex, {}) as IDataObject;
		const query: IDataObject = {};
		for (const key of ['fields', 'filter', 'search', 'sort'] as const) {
			const value = String(listOptions[key] ?? '').trim();
			if (value) query[key === 'fields' ? resource.shape.fieldsParam || 'fields' : key] = value;
		}
		const pagination = { ...resource.pagination };
		if (!returnAll && pagination.style !== 'nextUrl' && pagination.style !== 'linkHeader') {
			pagination.pageSize = Math.min(pagination.pageSize, limit);
		}

		const records = await readAllRecords(
			client,
			this.getNode(),
			{
				method: 'GET',
				path: resource.path,
				query,
				itemIndex,
				accept: wireFormatOf(resource.shape).accept,
				headers: accountHeader(this.getNodeParameter('options.accountId', itemIndex, '') as string),
			},
			pagination,
			{ limit, concurrency: readConcurrency(this.getNode(), this.getNodeParameter('options.readConcurrency', itemIndex, DEFAULT_READ_CONCURRENCY)) },
		);
		return records.map((json) => ({ json }));
	},
};
