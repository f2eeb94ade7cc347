import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { MlopsError } from '@mlops/core';
import { expect } from 'vitest';

/** One call of a load run: when it started and ended (ms since the run's start) and how it ended. */
export interface CallRecord {
  start: number;
  end: number;
  outcome: 'ok' | 'typed-error' | 'wrong-value' | 'untyped-error';
  /** For errors and wrong values: what happened (the first ones are kept whole in the summary). */
  detail?: string;
}

export interface LoadSummary {
  calls: number;
  ok: number;
  typedErrors: number;
  wrongValues: number;
  untypedErrors: number;
  /** The longest call, and the calls longer than the deadline + its slack. */
  maxMs: number;
  overDeadline: number;
  p50Ms: number;
  p99Ms: number;
  /** Successful calls per second over the run. */
  okPerSecond: number;
  /** How late the event loop ran timers during the run (ms): a loaded machine's lag, not the SDK's. */
  loopDelayP99Ms: number;
  loopDelayMaxMs: number;
  firstProblems: string[];
  records: CallRecord[];
}

/**
 * Open-loop load: starts `rate` calls per second for `durationMs` whatever the earlier calls are doing (a
 * closed loop would slow down with the server and hide stalls), then waits for every call to end. `call`
 * resolves to true when the values it got are right, false when they are wrong; a throw is an error, typed
 * when it is one of @mlops's. `faults` runs alongside, on the same clock.
 */
export async function runLoad(options: {
  rate: number;
  durationMs: number;
  deadlineMs: number;
  slackMs: number;
  call: () => Promise<boolean>;
  faults?: (at: (ms: number) => Promise<void>) => Promise<void>;
}): Promise<LoadSummary> {
  const profiler = await startProfile();
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  const at = async (ms: number) => {
    const wait = ms - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
  };
  const records: CallRecord[] = [];
  const pending: Promise<void>[] = [];
  const one = async () => {
    const record: CallRecord = { start: now(), end: 0, outcome: 'ok' };
    records.push(record);
    try {
      if (!(await options.call())) {
        record.outcome = 'wrong-value';
        record.detail = 'values differ from what was written';
      }
    } catch (error) {
      record.outcome = MlopsError.isInstance(error) ? 'typed-error' : 'untyped-error';
      record.detail = `${(error as Error)?.name}: ${(error as Error)?.message}`;
    } finally {
      record.end = now();
    }
  };
  const faults = options.faults?.(at) ?? Promise.resolve();
  const interval = 1000 / options.rate;
  // Batches of calls per 5 ms tick: setTimeout cannot fire every 0.5 ms, and drift is corrected each tick.
  let started = 0;
  while (now() < options.durationMs) {
    const due = Math.floor(now() / interval) + 1;
    for (; started < due; started++) pending.push(one());
    await new Promise((r) => setTimeout(r, 5));
  }
  await faults;
  await Promise.all(pending);
  loop.disable();
  await profiler?.();
  const durations = records.map((r) => r.end - r.start).sort((a, b) => a - b);
  const q = (p: number) => durations[Math.min(durations.length - 1, Math.floor(p * durations.length))] ?? 0;
  const count = (outcome: CallRecord['outcome']) => records.filter((r) => r.outcome === outcome).length;
  return {
    calls: records.length,
    ok: count('ok'),
    typedErrors: count('typed-error'),
    wrongValues: count('wrong-value'),
    untypedErrors: count('untyped-error'),
    maxMs: durations.at(-1) ?? 0,
    overDeadline: durations.filter((d) => d > options.deadlineMs + options.slackMs).length,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    okPerSecond: (count('ok') * 1000) / options.durationMs,
    loopDelayP99Ms: loop.percentile(99) / 1e6,
    loopDelayMaxMs: loop.max / 1e6,
    firstProblems: [
      ...new Set(records.filter((r) => r.outcome !== 'ok').map((r) => `${r.outcome}: ${r.detail}`)),
    ].slice(0, 5),
    records,
  };
}

/**
 * With FAULTS_CPU_PROFILE=<dir>, profiles the load run's process (the SDK and the load alike) into
 * <dir>/load-<n>.cpuprofile (open it in Chrome DevTools or speedscope): where the event loop's stalls go.
 */
async function startProfile(): Promise<(() => Promise<void>) | undefined> {
  const dir = process.env.FAULTS_CPU_PROFILE;
  if (!dir) return undefined;
  const session = new Session();
  session.connect();
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  return async () => {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, `load-${process.pid}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  };
}

/**
 * How long after `from` (ms on the run's clock) the success rate of calls started in a 100 ms window is back to
 * `fraction` of `baseline` calls per second and stays there for a whole second; Infinity when it never is.
 */
export function recoveryMs(records: CallRecord[], from: number, baseline: number, fraction = 0.9): number {
  const windowMs = 100;
  const okIn = (t: number) =>
    records.filter((r) => r.outcome === 'ok' && r.start >= t && r.start < t + windowMs).length *
    (1000 / windowMs);
  const last = Math.max(...records.map((r) => r.start));
  for (let t = from; t + 1000 <= last; t += windowMs) {
    let held = true;
    for (let w = t; w < t + 1000; w += windowMs) if (okIn(w) < fraction * baseline) held = false;
    if (held) return t - from;
  }
  return Number.POSITIVE_INFINITY;
}

/**
 * The scenario's scale: short in the test command (FAULTS_PROFILE unset), long for bench/faults.mjs
 * (FAULTS_PROFILE=long: 2k requests/s, phases ×6 so a run is about a minute). Slack: how late past its deadline
 * a call may end before the test fails: 10 ms in the long form (issue 15's target, measured on a quiet machine),
 * 100 ms in the test command, whose machine may be loaded by other work (the bench reports the real figure).
 */
export function profile(): {
  rate: number;
  deadlineMs: number;
  slackMs: number;
  phase: (ms: number) => number;
} {
  const long = process.env.FAULTS_PROFILE === 'long';
  const scale = long ? 6 : 1;
  return {
    rate: Number(process.env.FAULTS_RATE ?? (long ? 2000 : 400)),
    deadlineMs: Number(process.env.FAULTS_DEADLINE_MS ?? 250),
    slackMs: Number(process.env.FAULTS_SLACK_MS ?? (long ? 10 : 100)),
    phase: (ms) => ms * scale,
  };
}

/**
 * With FAULTS_REPORT=<file>, appends the scenario's figures as one JSON line (bench/faults.mjs reads them): a
 * load run's totals (without its records) and whatever else the scenario measured.
 */
export function report(
  scenario: string,
  figures: { summary?: LoadSummary; baseline?: LoadSummary } & Record<string, unknown>,
): void {
  const file = process.env.FAULTS_REPORT;
  if (!file) return;
  const { summary, baseline, ...rest } = figures;
  const totals = summary ? (({ records: _records, ...t }) => t)(summary) : {};
  appendFileSync(
    file,
    `${JSON.stringify({ scenario, ...totals, ...(baseline ? { baselineOkPerSecond: baseline.okPerSecond } : {}), ...rest })}\n`,
  );
}

/** For a failed deadline check: the longest call and how late the event loop itself was meanwhile. */
export function lateness(summary: LoadSummary): string {
  return `${summary.overDeadline} calls ended later than deadline + slack; the longest took ${summary.maxMs.toFixed(1)} ms; the event loop's own delay was p99 ${summary.loopDelayP99Ms.toFixed(1)} ms, max ${summary.loopDelayMaxMs.toFixed(1)} ms`;
}

/**
 * What every load scenario requires: no wrong value, no error that is not one of ours, none past its deadline
 * (plus slack), and — when the fault was felt — some typed errors; `recovery` (ms) within a second when given.
 */
export function expectSurvived(
  summary: LoadSummary,
  options: { felt?: boolean; recovery?: number } = {},
): void {
  const problems = summary.firstProblems.join('\n');
  expect(summary.wrongValues, problems).toBe(0);
  expect(summary.untypedErrors, problems).toBe(0);
  if (options.felt ?? true) expect(summary.typedErrors, 'the fault was not felt').toBeGreaterThan(0);
  expect(summary.overDeadline, lateness(summary)).toBe(0);
  if (options.recovery !== undefined) expect(options.recovery, 'ms to recover').toBeLessThanOrEqual(1000);
}
