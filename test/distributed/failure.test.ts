/**
 * Failure behaviour across real processes: a rank that dies makes the others' pending collectives reject naming it
 * within the timeout; a rank that never arrives fails the rendezvous after the timeout, named; without the Gloo
 * addon, torchlet works and initProcessGroup says what to install in one line.
 */
import { describeGloo, runRanks } from './ranks';

interface Failure {
  error?: string;
  ms?: number;
  glooLoadedAtRequire?: boolean;
  glooLoadedAfterInit?: boolean;
}

const result = (r: { result: unknown }) => r.result as Failure;

describeGloo('distributed failures', () => {
  jest.setTimeout(60000);

  test('a rank killed mid-training makes the pending collectives of the others reject, naming it', async () => {
    const body = `
      await d.initProcessGroup({ timeout: 8000 });
      const x = torch.ones(1 << 16);
      for (let step = 0; step < 3; step++) d.allReduce(x);
      if (rank === world - 1) { setTimeout(() => process.kill(process.pid, 'SIGKILL'), 300); return; }
      const t0 = Date.now();
      try {
        // In flight when the peer dies: the others wait in this allReduce for a rank that will never come.
        await d.allReduce(x, { asyncOp: true }).promise;
        result({ error: 'no error' });
      } catch (e) {
        let later;
        try { d.allReduce(x); } catch (e2) { later = e2.message; }
        result({ error: e.message, later, ms: Date.now() - t0 });
        // Stay up a while: a survivor that exits at once may be seen as lost too by a slower survivor.
        await new Promise((r) => setTimeout(r, 1500));
      }`;
    for (const world of [2, 3]) {
      const runs = await runRanks(world, body);
      expect(runs[world - 1]!.signal).toBe('SIGKILL');
      const dead = world - 1;
      for (const r of runs.slice(0, dead)) {
        const out = r.result as Failure & { later: string };
        expect(out.error).toMatch(new RegExp(`^allReduce failed on rank ${r.rank}: lost rank ${dead} \\(its process exited\\): `));
        expect(out.ms).toBeLessThan(8000);
        // The group stays failed: the next collective fails at once.
        expect(out.later).toMatch(/allReduce failed/);
      }
    }
  });

  test('a rank that never arrives fails the rendezvous after the timeout, named (env:// and file://)', async () => {
    const body = `
      const t0 = Date.now();
      const init = process.env.INIT === 'file' ? 'file://' + process.env.STORE_DIR : 'env://';
      try { await d.initProcessGroup({ initMethod: init, timeout: 4000 }); result({ error: 'joined' }); }
      catch (e) { result({ error: e.message, ms: Date.now() - t0, initialized: d.isInitialized() }); }`;
    const env = await runRanks(3, body, { ranks: [0, 2] });
    const file = await runRanks(4, body, { ranks: [0, 2], env: { INIT: 'file' } });
    // The first rank to give up waited the whole timeout; the others may read its reason from the store sooner.
    expect(Math.max(...env.map((r) => result(r).ms!))).toBeGreaterThanOrEqual(3900);
    for (const r of env) {
      expect(result(r).error).toMatch(/^initProcessGroup: rendezvous timed out after 4000 ms: rank 1 of 3 has not joined \(env:\/\/ store at 127\.0\.0\.1:\d+\)$/);
      expect(result(r).ms).toBeLessThan(15000);
      expect(r.result).toMatchObject({ initialized: false });
    }
    for (const r of file) {
      expect(result(r).error).toMatch(/^initProcessGroup: rendezvous timed out after 4000 ms: ranks 1, 3 of 4 have not joined \(file:\/\//);
    }
  });

  test('torchlet works without the Gloo addon, and initProcessGroup says in one line what to install', async () => {
    const body = `
      const sum = torch.ones(3).add(1).sum().item();
      const available = d.isGlooAvailable();
      try { await d.initProcessGroup({ rank: 0, worldSize: 1 }); result({ error: 'initialized' }); }
      catch (e) { result({ error: e.message, sum, available }); }`;
    const [r] = await runRanks(1, body, { env: { TORCHLET_GLOO_NATIVE: '/nonexistent/torchlet_gloo.node' } });
    expect(r!.result).toMatchObject({ sum: 6, available: false });
    expect(result(r!).error).toMatch(/needs the Gloo backend.*apt-get install -y libgloo-dev/);
    expect(result(r!).error).not.toMatch(/\n/);
  });

  test('requiring torchlet does not load the Gloo addon; initProcessGroup does', async () => {
    const body = `
      const loaded = () => Object.keys(require.cache).some((k) => k.endsWith('torchlet_gloo.node'));
      const before = loaded();
      await d.initProcessGroup({ initMethod: 'file://' + process.env.STORE_DIR, timeout: 5000 });
      result({ glooLoadedAtRequire: before, glooLoadedAfterInit: loaded() });`;
    const [r] = await runRanks(1, body);
    expect(r!.result).toEqual({ glooLoadedAtRequire: false, glooLoadedAfterInit: true });
  });
});
