/**
 * What Sync keeps of each remote record it reads (nodes/ApiSync/engine/planFields.ts): the ID, the match fields and
 * the compared fields — the rest of a wide record is dropped right after the read.
 */
import { fieldsThePlanUses, keepPlanFields } from '../../nodes/ApiSync/engine/planFields';
import type { PlanSettings } from '../../nodes/ApiSync/engine/plan';
import { resolveResource } from '../../nodes/shared/resources';

const SETTINGS: PlanSettings = { matchFields: ['ref'], caseInsensitive: false, mode: 'upsert', idField: 'id', ignoreFields: ['updated_at', 'ref'] };
const sources = [{ itemIndex: 0, record: { ref: 'A', name: 'x', updated_at: 'now' } }, { itemIndex: 1, record: { ref: 'B', city: 'Gent' } }];
const custom = { efListParameters: false } as ReturnType<typeof resolveResource>;

describe('fieldsThePlanUses / keepPlanFields', () => {
	it('keeps the ID, the match fields (even when also ignored) and every mapped field not ignored', () => {
		const fields = fieldsThePlanUses(sources, SETTINGS, custom)!;
		expect([...fields].sort()).toEqual(['city', 'id', 'name', 'ref']);
		const wide = { id: 7, ref: 'A', name: 'x', city: null, updated_at: 'then', notes: 'a long text', history: [1, 2, 3] };
		expect(keepPlanFields([wide], fields)).toEqual([{ id: 7, ref: 'A', name: 'x', city: null }]);
	});
	it('keeps whole records where the API already sent only those fields (EenvoudigFactureren fields=) and in Mirror mode', () => {
		expect(fieldsThePlanUses(sources, SETTINGS, { ...custom, efListParameters: true })).toBeUndefined();
		expect(fieldsThePlanUses(sources, { ...SETTINGS, mode: 'mirror' }, custom)).toBeUndefined();
		const records = [{ id: 1, other: 'kept' }];
		expect(keepPlanFields(records, undefined)).toBe(records);
	});
});
