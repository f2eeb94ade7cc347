import { FeatureStore } from '@mlops/feast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateFeastRepo, readAndCheck, seedDrivers } from './support/feast';
import { expectSurvived, profile, recoveryMs, report, runLoad } from './support/load';
import type { ServerProcess } from './support/processes';
import { privateRedis } from './support/redis';
import { type FaultProxy, faultProxy } from './support/toxiproxy';

// Issue 15's serving scenario, short form: getOnlineFeatures under open-loop load while the Redis behind it is
// paused, killed and restarted, and while Toxiproxy adds latency and resets connections. The long form (2k
// requests/s for 60 s) is bench/faults-feast-online.mjs. Zero wrong values; every call ends within its deadline
// plus a little (success or a typed error); throughput back within a second of Redis being back.
const { rate: RATE, deadlineMs: DEADLINE_MS, slackMs: SLACK_MS, phase } = profile();
const DRIVERS = 2000;

let redis: ServerProcess & { port: number };
let proxy: FaultProxy;
let repo: { path: string; remove(): void };
let store: FeatureStore;

beforeAll(async () => {
  redis = await privateRedis({ persist: true });
  proxy = await faultProxy('feast-online', redis.port);
  repo = privateFeastRepo(proxy.port);
  store = new FeatureStore({ repoPath: repo.path, onlineTimeoutMs: DEADLINE_MS });
  await seedDrivers(store, DRIVERS);
});

afterAll(async () => {
  await store?.close();
  await proxy?.remove();
  await redis?.stop();
  repo?.remove();
});

const call = () => readAndCheck(store, DRIVERS, 10);

type Faults = (at: (ms: number) => Promise<void>) => Promise<void>;

/** One open-loop run of `call` at the profile's rate and deadline, `durationMs` long (before the profile's scale). */
const load = (durationMs: number, faults?: Faults) =>
  runLoad({
    rate: RATE,
    durationMs: phase(durationMs),
    deadlineMs: DEADLINE_MS,
    slackMs: SLACK_MS,
    call,
    faults,
  });

/**
 * A fault that Redis comes back from: a one-second baseline, then the faulted run; reports both and the time to
 * recover from `backAt()` (ms on the faulted run's clock, read once the run is over), and checks all three.
 */
async function survivesAndRecovers(
  scenario: string,
  durationMs: number,
  faults: Faults,
  backAt: () => number,
): Promise<void> {
  const baseline = await load(1000);
  const summary = await load(durationMs, faults);
  const recovery = recoveryMs(summary.records, backAt(), baseline.okPerSecond);
  report(scenario, { summary, baseline, recoveryMs: recovery });
  expectSurvived(summary, { recovery });
}

describe('getOnlineFeatures with Redis faulted under load', () => {
  it('Redis paused (SIGSTOP) for 1.5 s: calls end at their deadline with a typed error, none wrong, throughput back within 1 s', async () => {
    await survivesAndRecovers(
      'feast-online-redis-pause',
      5000,
      async (at) => {
        await at(phase(1000));
        redis.pause();
        await at(phase(2500));
        redis.resume();
      },
      () => phase(2500),
    );
  });

  it('Redis killed (SIGKILL) and restarted with its data: typed errors while down, none wrong, back within 1 s', async () => {
    let backAt = 0;
    await survivesAndRecovers(
      'feast-online-redis-kill-restart',
      6000,
      async (at) => {
        await at(phase(1000));
        await redis.kill();
        await at(phase(2000));
        const t = performance.now();
        await redis.start();
        backAt = phase(2000) + (performance.now() - t);
      },
      () => backAt,
    );
  });

  it('connections reset and 400 ms latency injected by Toxiproxy: typed errors or right values, never late', async () => {
    const summary = await load(4000, async (at) => {
      await at(phase(500));
      const slow = await proxy.toxic('latency', { latency: 400, jitter: 100 });
      await at(phase(1500));
      await slow();
      const reset = await proxy.toxic('reset_peer', { timeout: 0 });
      await at(phase(2000));
      await reset();
    });
    report('feast-online-toxics', { summary });
    expectSurvived(summary);
    expect(summary.ok).toBeGreaterThan(summary.calls / 2);
  });
});
