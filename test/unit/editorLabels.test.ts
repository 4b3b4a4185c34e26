/**
 * What n8n's verification scanner cannot see for itself: the Remote Resource list is written out literally (so the
 * scanner can check its order and default) and must stay in step with the presets the code resolves.
 */
import type { INodePropertyOptions } from 'n8n-workflow';

import { API_PRESETS, PRESET_LABELS, PRESETS, resourceProperties } from '../../nodes/shared/resources';

it('Remote Resource offers Custom Path and every preset, labelled from PRESET_LABELS and API_PRESETS; the default is still Clients', () => {
	const remoteResource = resourceProperties.find((p) => p.name === 'remoteResource')!;
	const options = remoteResource.options as INodePropertyOptions[];
	const expected = [
		{ name: 'Custom Path (Any JSON REST API)', value: 'custom' },
		...Object.entries(PRESET_LABELS).map(([value, label]) => ({ name: `EenvoudigFactureren: ${label}`, value })),
		...Object.entries(API_PRESETS).map(([value, preset]) => ({ name: preset.label, value })),
	];
	expect([...options].sort((a, b) => String(a.value).localeCompare(String(b.value)))).toEqual(
		expected.sort((a, b) => a.value.localeCompare(b.value)),
	);
	expect(Object.keys(PRESET_LABELS).sort()).toEqual(Object.keys(PRESETS).sort());
	expect(remoteResource.default).toBe('clients');
});
