import { loadTypes } from '../harness';
it('debug', async () => {
	const t = await loadTypes(true);
	console.log(Object.keys(t.nodeTypes.types), Object.keys(t.credentialTypes.types), t.loadErrors.map(e => `${e.file}: ${e.error.message}`));
});
