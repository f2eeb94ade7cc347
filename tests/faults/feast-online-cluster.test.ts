import { FeatureStore } from '@mlops/feast';
import { afterAll, beforeAll, it } from 'vitest';
import { privateFeastRepo, readAndCheck, seedDrivers } from './support/feast';
import { expectSurvived, profile, recoveryMs, report, runLoad } from './support/load';
import { privateCluster } from './support/redis';

// Issue 15's serving scenario on Redis Cluster: a master is killed under load and its replica takes over
// (cluster-node-timeout 1 s). Zero wrong values, every call ends by its deadline (a typed error while the
// slots are moving), and throughput is back within a second of the cluster saying ok again.
const { rate, deadlineMs, slackMs, phase } = profile();
const DRIVERS = 2000;

let cluster: Awaited<ReturnType<typeof privateCluster>>;
let repo: { path: string; remove(): void };
let store: FeatureStore;

beforeAll(async () => {
  cluster = await privateCluster(3);
  repo = privateFeastRepo({ cluster: cluster.connectionString });
  store = new FeatureStore({ repoPath: repo.path, onlineTimeoutMs: deadlineMs });
  await seedDrivers(store, DRIVERS);
});

afterAll(async () => {
  await store?.close();
  await cluster?.stop();
  repo?.remove();
});

it('a cluster master killed under load fails over to its replica: none wrong, none late, back within 1 s of the cluster being ok', async () => {
  const call = () => readAndCheck(store, DRIVERS, 10);
  const baseline = await runLoad({ rate, durationMs: phase(1000), deadlineMs, slackMs, call });
  let okAt = 0;
  const summary = await runLoad({
    rate,
    durationMs: phase(8000),
    deadlineMs,
    slackMs,
    call,
    faults: async (at) => {
      await at(phase(1000));
      const victim = await cluster.masterOf(0);
      await victim.kill();
      const t0 = performance.now();
      // The replica is promoted after cluster-node-timeout (1 s) and an election: the cluster keeps saying ok
      // until it notices, so wait for slot 0 to have another master and every slot to be served.
      const promoted = async () =>
        (await cluster.masterOf(0)).port !== victim.port && (await cluster.healthy());
      while (!(await promoted().catch(() => false))) await new Promise((r) => setTimeout(r, 20));
      okAt = phase(1000) + (performance.now() - t0);
    },
  });
  const recovery = recoveryMs(summary.records, okAt, baseline.okPerSecond);
  if (process.env.FAULTS_DEBUG) {
    const windows: string[] = [];
    for (let t = phase(1000) - 500; t < summary.records.at(-1)!.start; t += 250) {
      const inW = summary.records.filter((r) => r.start >= t && r.start < t + 250);
      windows.push(`${Math.round(t)}:${inW.filter((r) => r.outcome === 'ok').length}/${inW.length}`);
    }
    console.log(
      `okAt ${Math.round(okAt)} baseline ${baseline.okPerSecond}/s`,
      windows.join(' '),
      summary.firstProblems,
    );
  }
  report('feast-online-cluster-failover', {
    summary,
    baseline,
    recoveryMs: recovery,
    failoverMs: okAt - phase(1000),
  });
  expectSurvived(summary, { recovery });
});
