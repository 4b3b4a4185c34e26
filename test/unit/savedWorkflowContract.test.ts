/**
 * What a saved workflow or credential refers to must never change when labels, descriptions or the order of
 * options change (e.g. to meet n8n's verification scanner). The fixture lists, per node type@versions and per
 * credential type:
 * - the credential types a node uses, and when each is shown (its `displayOptions`);
 * - every parameter path at any depth (collection and fixedCollection fields included), its `type`, its default (n8n
 *   saves only values that differ from it), every option value, and when it is shown (`displayOptions`: n8n drops the
 *   saved value of a parameter that is not shown);
 * - the `typeOptions` that decide what is stored or loaded: `multipleValues` (a list or a single entry; recorded as
 *   false on every collection and fixedCollection without it), `loadOptionsMethod`, and the resource mapper's
 *   `mode`, `multiKeyMatch` and `resourceMapperMethod`;
 * - `polling`, each webhook's name and path, and a credential's `extends`.
 * A saved entry must still be there, exactly, except `displayOptions`, which may widen (a value added to a `show`
 * list, a `show` condition removed, a value removed from a `hide` list) but not narrow (a `show` value removed, a
 * `show` condition added, a `hide` value added). So parameters, values and show-values may be added; a removal, a
 * rename, a changed default, type or typeOptions above fails. A node may gain versions (`node:x@1` is checked against
 * `node:x@1,1.1`), and a parameter may gain a `show['@version']` condition that every saved version still meets (n8n's
 * own `displayParameter` decides), since a saved workflow of that version still shows it. Not covered: other typeOptions (e.g. min/max values),
 * `routing` (unused here), the meaning of a value, and parameters added after the fixture was last generated.
 * The fixture was first generated from the descriptions before issue 19's relabelling. To change it on purpose, run
 * `UPDATE_CONTRACT=1 npx jest test/unit/savedWorkflowContract.test.ts` and review the diff of the fixture.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { NodeHelpers, type ICredentialType, type INodeProperties, type INodePropertyCollection, type INodePropertyOptions, type INodeType } from 'n8n-workflow';

import * as pkg from '../../index';

const FIXTURE = path.join(__dirname, 'fixtures', 'savedWorkflowContract.json');

const DISPLAY = ':displayOptions=';

/** The typeOptions that decide what n8n stores or loads for `p`. */
function storedTypeOptions(p: INodeProperties, here: string): string[] {
	const t = p.typeOptions ?? {};
	const out: string[] = [];
	if (p.type === 'collection' || p.type === 'fixedCollection' || t.multipleValues !== undefined) {
		out.push(`${here}:typeOptions.multipleValues=${Boolean(t.multipleValues)}`);
	}
	if (t.loadOptionsMethod !== undefined) out.push(`${here}:typeOptions.loadOptionsMethod=${t.loadOptionsMethod}`);
	const mapper = t.resourceMapper as Record<string, unknown> | undefined;
	for (const key of ['mode', 'multiKeyMatch', 'resourceMapperMethod']) {
		if (mapper?.[key] !== undefined) out.push(`${here}:typeOptions.resourceMapper.${key}=${JSON.stringify(mapper[key])}`);
	}
	return out;
}

type DisplayOptions = { show?: Record<string, unknown[]>; hide?: Record<string, unknown[]> };

/** True when a node of each of `versions` meets the `show['@version']` condition `list` (n8n's own evaluation). */
function shownForVersions(list: unknown[], versions: number[]): boolean {
	const parameter = { displayName: 'x', name: 'x', type: 'string', default: '', displayOptions: { show: { '@version': list } } } as INodeProperties;
	return versions.length > 0 && versions.every((typeVersion) => NodeHelpers.displayParameter({}, parameter, { typeVersion }, null));
}

/**
 * What narrows from `before` to `after` (empty: the same or wider, so no saved value is dropped). `versions`: the
 * node versions the saved entry was recorded for.
 */
function narrowings(before: DisplayOptions, after: DisplayOptions, versions: number[] = []): string[] {
	const problems: string[] = [];
	const values = (list: unknown[] | undefined) => new Set((list ?? []).map((v) => JSON.stringify(v)));
	for (const [key, list] of Object.entries(after.show ?? {})) {
		if (!before.show || !(key in before.show)) {
			if (key === '@version' && shownForVersions(list, versions)) continue;
			problems.push(`show condition on ${key} added`);
			continue;
		}
		const now = values(list);
		for (const v of values(before.show[key])) if (!now.has(v)) problems.push(`show ${key}=${v} removed`);
	}
	for (const [key, list] of Object.entries(after.hide ?? {})) {
		const was = values(before.hide?.[key]);
		for (const v of values(list)) if (!was.has(v)) problems.push(`hide ${key}=${v} added`);
	}
	return problems;
}

/**
 * Every parameter path (`customPagination.style`), its default (`…style:default="offset"`) and every option value
 * (`…style="offset"`) under `props`.
 */
function contractOf(props: INodeProperties[], prefix = ''): string[] {
	const out: string[] = [];
	for (const p of props) {
		const here = `${prefix}${p.name}`;
		out.push(here);
		out.push(`${here}:type=${p.type}`);
		// n8n saves only the values that differ from the default: a changed default changes saved workflows.
		if (p.type !== 'notice') {
			out.push(`${here}:default=${JSON.stringify(p.default)}`);
			out.push(`${here}${DISPLAY}${JSON.stringify(p.displayOptions ?? {})}`);
		}
		out.push(...storedTypeOptions(p, here));
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
			const credentials = (d.credentials ?? []).flatMap((c) => [
				`credential:${c.name}`,
				`credential:${c.name}${DISPLAY}${JSON.stringify(c.displayOptions ?? {})}`,
			]);
			const triggers = [
				...(d.polling ? ['polling'] : []),
				...(d.webhooks ?? []).flatMap((w) => [`webhook:${w.name}`, `webhook:${w.name}:path=${JSON.stringify(w.path)}`]),
			];
			contract[`node:${d.name}@${versions.join(',')}`] = [
				...new Set([...credentials, ...triggers, ...contractOf(d.properties)]),
			].sort();
		} else {
			const extended = (instance.extends ?? []).map((name) => `extends=${name}`);
			contract[`credential:${instance.name}`] = [...new Set([...extended, ...contractOf(instance.properties)])].sort();
		}
	}
	return contract;
}

it('keeps every node type, credential type, parameter (name, type, default, stored typeOptions, when shown) and option value a saved workflow can refer to', () => {
	const now = currentContract();
	if (process.env.UPDATE_CONTRACT) fs.writeFileSync(FIXTURE, `${JSON.stringify(now, null, '\t')}\n`);
	const saved = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as Record<string, string[]>;
	/** The current entry for a saved key: the same key, or the same node type with more versions. */
	const versionsOf = (key: string) => (key.startsWith('node:') ? key.slice(key.indexOf('@') + 1).split(',').map(Number) : []);
	const currentFor = (key: string): string[] | undefined => {
		if (now[key]) return now[key];
		if (!key.startsWith('node:')) return undefined;
		const name = key.slice(0, key.indexOf('@'));
		const wanted = versionsOf(key);
		const match = Object.keys(now).find((k) => k.slice(0, k.indexOf('@')) === name && wanted.every((v) => versionsOf(k).includes(v)));
		return match ? now[match] : undefined;
	};
	for (const [key, names] of Object.entries(saved)) {
		const current = currentFor(key) ?? [];
		const missing: string[] = [];
		for (const entry of names) {
			const at = entry.indexOf(DISPLAY);
			if (at < 0) {
				if (!current.includes(entry)) missing.push(entry);
				continue;
			}
			// displayOptions may widen, not narrow. A name can be defined more than once (e.g. one parameter per
			// operation, each with its own displayOptions): each saved variant needs one that shows it at least as often.
			const prefix = entry.slice(0, at + DISPLAY.length);
			const before = JSON.parse(entry.slice(prefix.length)) as DisplayOptions;
			const candidates = current
				.filter((n) => n.startsWith(prefix))
				.map((n) => narrowings(before, JSON.parse(n.slice(prefix.length)) as DisplayOptions, versionsOf(key)));
			if (candidates.length === 0) missing.push(entry);
			else if (!candidates.some((problems) => problems.length === 0)) {
				const closest = candidates.reduce((a, b) => (b.length < a.length ? b : a));
				missing.push(`${entry.slice(0, at)} is shown less (${entry.slice(at + 1)}): ${closest.join('; ')}`);
			}
		}
		expect({ key, missing }).toEqual({ key, missing: [] });
	}
});
