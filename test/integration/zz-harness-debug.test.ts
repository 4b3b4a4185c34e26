import { runNode } from '../harness';
it('debug', async () => {
	const r = await runNode({ fixtures: true, node: { type: 'harnessProbe', parameters: { operation: 'fail' } as never, onError: 'continueErrorOutput' } });
	console.log(r.run?.status, JSON.stringify(r.run?.data.resultData.error)?.slice(0, 300), r.logs.filter(l=>!l.startsWith('debug')).join('\n').slice(0,3000));
	const t = r.runData['Harness Probe'][0];
	console.log(Object.keys(t), t.error?.constructor?.name, r.error?.constructor?.name);
	console.log(JSON.stringify(r.runData['Harness Probe'][0].data));
});
