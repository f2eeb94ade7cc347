import { EventEmitter } from 'node:events';
import { Gauge, Registry } from 'prom-client';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { Pushgateway } from '../src/index';
import { groupingPath } from '../src/pushgateway/grouping';
import type { ExitProcess } from '../src/pushgateway/push-on-exit';
import { PUSHGATEWAY_URL, requireUp, unique } from './support/serving';

/** A process stand-in: the events pushOnExit listens to, and exit/kill recorded instead of done. */
class FakeProcess extends EventEmitter implements ExitProcess {
  readonly pid = 4242;
  exitCode: number | undefined;
  readonly exits: number[] = [];
  readonly kills: Array<[number, string | undefined]> = [];
  exit(code?: number): undefined {
    this.exits.push(code ?? 0);
    return undefined;
  }
  kill(pid: number, signal?: string): boolean {
    this.kills.push([pid, signal]);
    return true;
  }
}

async function pushedValue(job: string, metric: string): Promise<string | undefined> {
  const body = (await (await fetch(`${PUSHGATEWAY_URL}/api/v1/metrics`)).json()) as {
    data: Array<{ labels: Record<string, string>; [k: string]: unknown }>;
  };
  const group = body.data.find((g) => g.labels.job === job);
  return (group?.[metric] as { metrics: Array<{ value: string }> } | undefined)?.metrics[0]?.value;
}

/** A batch job's registry with a gauge it updates as it goes. */
function job() {
  const registry = new Registry();
  const name = unique('mlops_test_rows_done');
  const gauge = new Gauge({ name, help: 'rows done', registers: [registry] });
  return { registry, name, gauge, job: unique('mlops_test_exit') };
}

beforeAll(() => requireUp('pushgateway'));

describe('pushOnExit', () => {
  const gateway = new Pushgateway({ url: PUSHGATEWAY_URL });

  it('pushes the last values after an uncaught exception, then exits 1 as Node would', async () => {
    const t = job();
    const proc = new FakeProcess();
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    gateway.pushOnExit({ job: t.job, registry: t.registry, process: proc });
    t.gauge.set(17);
    proc.emit('uncaughtException', new Error('training diverged'), 'uncaughtException');
    await vi.waitFor(() => expect(proc.exits).toEqual([1]));
    expect(await pushedValue(t.job, t.name)).toBe('17');
    expect(logged).toHaveBeenCalledWith(expect.objectContaining({ message: 'training diverged' }));
    expect(proc.listenerCount('uncaughtException') + proc.listenerCount('beforeExit')).toBe(0);
    logged.mockRestore();
    await gateway.delete({ job: t.job });
  });

  it('pushes when the event loop runs dry, once', async () => {
    const t = job();
    const proc = new FakeProcess();
    const sent: string[] = [];
    const counting = new Pushgateway({
      url: PUSHGATEWAY_URL,
      fetch: (i, n) => {
        sent.push(i instanceof Request ? i.method : String(n?.method));
        return fetch(i, n);
      },
    });
    counting.pushOnExit({ job: t.job, registry: t.registry, process: proc, method: 'pushAdd' });
    t.gauge.set(3);
    proc.emit('beforeExit', 0);
    proc.emit('beforeExit', 0);
    await vi.waitFor(() => expect(proc.listenerCount('beforeExit')).toBe(0));
    expect(sent).toEqual(['POST']);
    expect(await pushedValue(t.job, t.name)).toBe('3');
    expect(proc.exits).toEqual([]);
    await gateway.delete({ job: t.job });
  });

  it('pushes on SIGTERM, then re-raises the signal without its listener', async () => {
    const t = job();
    const proc = new FakeProcess();
    gateway.pushOnExit({ job: t.job, registry: t.registry, process: proc });
    t.gauge.set(99);
    proc.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(proc.kills).toEqual([[4242, 'SIGTERM']]));
    expect(proc.listenerCount('SIGTERM')).toBe(0);
    expect(await pushedValue(t.job, t.name)).toBe('99');
    await gateway.delete({ job: t.job });
  });

  it('a gateway that is down does not hold the exit: the failure is reported and the exit goes on', async () => {
    const t = job();
    const proc = new FakeProcess();
    const errors: unknown[] = [];
    const down = new Pushgateway({ url: 'http://127.0.0.1:9', maxRetries: 0 });
    const logged = vi.spyOn(console, 'error').mockImplementation(() => {});
    down.pushOnExit({ job: t.job, registry: t.registry, process: proc, onError: (e) => errors.push(e) });
    proc.emit('uncaughtException', new Error('boom'), 'uncaughtException');
    await vi.waitFor(() => expect(proc.exits).toEqual([1]));
    expect(errors).toHaveLength(1);
    expect((errors[0] as Error).name).toBe('ConnectionError');
    logged.mockRestore();
  });

  it('flush() pushes now and stops watching; dispose() stops without pushing', async () => {
    const t = job();
    const proc = new FakeProcess();
    const handle = gateway.pushOnExit({ job: t.job, registry: t.registry, process: proc });
    t.gauge.set(5);
    await handle.flush();
    expect(await pushedValue(t.job, t.name)).toBe('5');
    expect(proc.listenerCount('SIGINT') + proc.listenerCount('uncaughtException')).toBe(0);
    const other = job();
    gateway.pushOnExit({ job: other.job, registry: other.registry, process: proc }).dispose();
    expect(proc.eventNames()).toEqual([]);
    await gateway.delete({ job: t.job });
  });
});

describe('grouping paths', () => {
  it('match the Pushgateway README example and RFC 4648 §5', () => {
    expect(groupingPath('directory_cleaner', { path: '/var/tmp' })).toBe(
      '/metrics/job/directory_cleaner/path@base64/L3Zhci90bXA',
    );
    expect(groupingPath('a/b', { empty: '', q: '?>' })).toBe(
      '/metrics/job@base64/YS9i/empty@base64/=/q@base64/Pz4',
    );
    expect(groupingPath('job', { dots: '.', dotted: 'v1.2' })).toBe(
      '/metrics/job/job/dots@base64/Lg/dotted/v1.2',
    );
  });
});
