import type { INodeProperties } from 'n8n-workflow';

/**
 * Fields joined from several lists (e.g. the trigger's Options: the request options plus the change-feed options) in
 * alphabetical order by label, as n8n's scanner wants a collection's fields; it cannot see through the spreads, so
 * test/unit/alphabeticalLists.test.ts checks the result.
 */
export function sortedByLabel(properties: INodeProperties[]): INodeProperties[] {
	return [...properties].sort((a, b) => a.displayName.localeCompare(b.displayName, 'en'));
}
