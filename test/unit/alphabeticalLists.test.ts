/**
 * README ("lists of five or more choices and the *Pagination* fields are in alphabetical order") and CONTRIBUTING
 * ("a list of 5 or more options and the fields of a collection are in alphabetical order by label") state a property
 * of what the editor shows. n8n's scanner checks it only for option arrays written as literals inside the parameter
 * (`node-param-options-type-unsorted-items` returns early when `options:` points to an identifier, such as the
 * Authentication list in nodes/shared/authentication.ts, and cannot order a list built from spreads, such as the
 * trigger's Options), so it is checked here on the descriptions n8n actually loads, with the scanner's own comparator
 * (`localeCompare` of the label) and threshold. Found by the review of issue 19 (Authentication had None after OAuth2;
 * the trigger's Options were two sorted lists joined).
 */
import type { ICredentialType, INodeProperties, INodePropertyCollection, INodePropertyOptions, INodeType } from 'n8n-workflow';

import * as pkg from '../../index';

const MIN_ITEMS = 5; // eslint-plugin-n8n-nodes-base MIN_ITEMS_TO_ALPHABETIZE

function unsortedLists(props: INodeProperties[], where: string): string[] {
	const out: string[] = [];
	for (const p of props) {
		const here = `${where} › ${p.displayName}`;
		const options = (p.options ?? []) as Array<INodeProperties | INodePropertyOptions | INodePropertyCollection>;
		const labels = options.map((o) => ('displayName' in o ? o.displayName : o.name) as string);
		if (['options', 'multiOptions', 'collection'].includes(p.type) && labels.length >= MIN_ITEMS) {
			const sorted = [...labels].sort((a, b) => a.localeCompare(b));
			if (labels.join('|') !== sorted.join('|')) out.push(`${here}: ${labels.join(', ')}`);
		}
		for (const o of options) {
			if ('values' in o) out.push(...unsortedLists(o.values, `${here} › ${o.displayName}`));
			else if ('type' in o && 'default' in o) out.push(...unsortedLists([o as INodeProperties], here));
		}
	}
	return out;
}

it('every list of five or more choices, and every collection of five or more fields, is in alphabetical order', () => {
	const found: string[] = [];
	for (const Exported of Object.values(pkg) as Array<new () => INodeType | ICredentialType>) {
		const instance = new Exported();
		if ('description' in instance) found.push(...unsortedLists(instance.description.properties, instance.description.displayName));
		else found.push(...unsortedLists(instance.properties, instance.displayName));
	}
	expect(found).toEqual([]);
});
