import { FeatureStore } from '@mlops/feast';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { privateFeastRepo, readAndCheck, seedDrivers } from './support/feast';
import { lateness, profile, recoveryMs, report, runLoad } from './support/load';
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
      // The replica is promoted after cluster-node-timeout (1 s) and an election.
      while (!(await cluster.healthy().catch(() => false))) await new Promise((r) => setTimeout(r, 20));
      okAt = phase(1000) + (performance.now() - t0);
    },
  });
  const recovery = recoveryMs(summary.records, okAt, baseline.okPerSecond);
  report('feast-online-cluster-failover', {
    summary,
    baseline,
    recoveryMs: recovery,
    failoverMs: okAt - phase(1000),
  });
  expect(summary.wrongValues, summary.firstProblems.join('\n')).toBe(0);
  expect(summary.untypedErrors, summary.firstProblems.join('\n')).toBe(0);
  expect(summary.overDeadline, lateness(summary)).toBe(0);
  expect(recovery).toBeLessThanOrEqual(1000);
});
