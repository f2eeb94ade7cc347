import { FeatureStore } from '@mlops/feast';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { privateFeastRepo, readAndCheck, seedDrivers } from './support/feast';
import { lateness, profile, recoveryMs, report, runLoad } from './support/load';
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

describe('getOnlineFeatures with Redis faulted under load', () => {
  it('Redis paused (SIGSTOP) for 1.5 s: calls end at their deadline with a typed error, none wrong, throughput back within 1 s', async () => {
    const baseline = await runLoad({
      rate: RATE,
      durationMs: phase(1000),
      deadlineMs: DEADLINE_MS,
      slackMs: SLACK_MS,
      call,
    });
    const summary = await runLoad({
      rate: RATE,
      durationMs: phase(5000),
      deadlineMs: DEADLINE_MS,
      slackMs: SLACK_MS,
      call,
      faults: async (at) => {
        await at(phase(1000));
        redis.pause();
        await at(phase(2500));
        redis.resume();
      },
    });
    report('feast-online-redis-pause', {
      summary,
      baseline,
      recoveryMs: recoveryMs(summary.records, phase(2500), baseline.okPerSecond),
    });
    expect(summary.wrongValues, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.untypedErrors, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.typedErrors).toBeGreaterThan(0); // the pause was felt
    expect(summary.overDeadline, lateness(summary)).toBe(0);
    expect(recoveryMs(summary.records, phase(2500), baseline.okPerSecond)).toBeLessThanOrEqual(1000);
  });

  it('Redis killed (SIGKILL) and restarted with its data: typed errors while down, none wrong, back within 1 s', async () => {
    const baseline = await runLoad({
      rate: RATE,
      durationMs: phase(1000),
      deadlineMs: DEADLINE_MS,
      slackMs: SLACK_MS,
      call,
    });
    let backAt = 0;
    const summary = await runLoad({
      rate: RATE,
      durationMs: phase(6000),
      deadlineMs: DEADLINE_MS,
      slackMs: SLACK_MS,
      call,
      faults: async (at) => {
        await at(phase(1000));
        await redis.kill();
        await at(phase(2000));
        const t = performance.now();
        await redis.start();
        backAt = phase(2000) + (performance.now() - t);
      },
    });
    report('feast-online-redis-kill-restart', {
      summary,
      baseline,
      recoveryMs: recoveryMs(summary.records, backAt, baseline.okPerSecond),
    });
    expect(summary.wrongValues, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.untypedErrors, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.typedErrors).toBeGreaterThan(0);
    expect(summary.overDeadline, lateness(summary)).toBe(0);
    expect(recoveryMs(summary.records, backAt, baseline.okPerSecond)).toBeLessThanOrEqual(1000);
  });

  it('connections reset and 400 ms latency injected by Toxiproxy: typed errors or right values, never late', async () => {
    const summary = await runLoad({
      rate: RATE,
      durationMs: phase(4000),
      deadlineMs: DEADLINE_MS,
      slackMs: SLACK_MS,
      call,
      faults: async (at) => {
        await at(phase(500));
        const slow = await proxy.toxic('latency', { latency: 400, jitter: 100 });
        await at(phase(1500));
        await slow();
        const reset = await proxy.toxic('reset_peer', { timeout: 0 });
        await at(phase(2000));
        await reset();
      },
    });
    report('feast-online-toxics', { summary });
    expect(summary.wrongValues, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.untypedErrors, summary.firstProblems.join('\n')).toBe(0);
    expect(summary.typedErrors).toBeGreaterThan(0);
    expect(summary.overDeadline, lateness(summary)).toBe(0);
    expect(summary.ok).toBeGreaterThan(summary.calls / 2);
  });
});
