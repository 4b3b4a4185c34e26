/**
 * What a saved workflow or credential refers to must never change when labels, descriptions or the order of
 * options change (e.g. to meet n8n's verification scanner): node type names and versions, credential type names,
 * parameter names (at every depth), their defaults (n8n saves only values that differ from them) and option values. The fixture was generated from the descriptions before
 * issue 19's relabelling; a name or value may be added, never removed or renamed. To add one on purpose, run
 * `UPDATE_CONTRACT=1 npx jest test/unit/savedWorkflowContract.test.ts` and review the diff of the fixture.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { ICredentialType, INodeProperties, INodePropertyCollection, INodePropertyOptions, INodeType } from 'n8n-workflow';

import * as pkg from '../../index';

const FIXTURE = path.join(__dirname, 'fixtures', 'savedWorkflowContract.json');

/**
 * Every parameter path (`customPagination.style`), its default (`…style:default="offset"`) and every option value
 * (`…style="offset"`) under `props`.
 */
function contractOf(props: INodeProperties[], prefix = ''): string[] {
	const out: string[] = [];
	for (const p of props) {
		const here = `${prefix}${p.name}`;
		out.push(here);
		// n8n saves only the values that differ from the default: a changed default changes saved workflows.
		if (p.type !== 'notice') out.push(`${here}:default=${JSON.stringify(p.default)}`);
		for (const o of (p.options ?? []) as Array<INodeProperties | INodePropertyOptions | INodePropertyCollection>) {
			if ('values' in o) out.push(...contractOf(o.values, `${here}.${o.name}.`));
			else if ('type' in o && 'default' in o) out.push(...contractOf([o as INodeProperties], `${here}.`));
			else if ('value' in o) out.push(`${here}=${JSON.stringify(o.value)}`);
		}
	}
	return out;
}

function currentContract(): Record<string, string[]> {
	const contract: Record<string, string[]> = {};
	for (const Exported of Object.values(pkg) as Array<new () => INodeType | ICredentialType>) {
		const instance = new Exported();
		if ('description' in instance) {
			const d = instance.description;
			const versions = ([] as number[]).concat(d.version);
			const credentials = (d.credentials ?? []).map((c) => `credential:${c.name}`);
			contract[`node:${d.name}@${versions.join(',')}`] = [...new Set([...credentials, ...contractOf(d.properties)])].sort();
		} else {
			contract[`credential:${instance.name}`] = [...new Set(contractOf(instance.properties))].sort();
		}
	}
	return contract;
}

it('keeps every node type, credential type, parameter name and option value a saved workflow can refer to', () => {
	const now = currentContract();
	if (process.env.UPDATE_CONTRACT) fs.writeFileSync(FIXTURE, `${JSON.stringify(now, null, '\t')}\n`);
	const saved = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, string[]>;
	for (const [key, names] of Object.entries(saved)) {
		expect({ key, missing: names.filter((n) => !(now[key] ?? []).includes(n)) }).toEqual({ key, missing: [] });
	}
});
