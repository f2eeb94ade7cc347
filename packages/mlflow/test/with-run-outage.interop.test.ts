// withRun across an MLflow outage, on the real server behind a local proxy that the test switches: down
// (every connection reset), answers lost (the request reaches MLflow, its answer never comes back), or up. The
// outage is longer than the client's own retries; withRun keeps what it logged, reads back what landed before
// sending a batch again, and ends the run FINISHED with every metric stored exactly once. The client itself
// never resends a batch (log-batch goes with the pipeline's retries off): the proxy counts every metric it
// forwards to MLflow, and none may reach MLflow twice, so exactly once does not rest on MLflow's SQL store
// ignoring an exact duplicate. The real process kill is tests/faults/mlflow-restart.test.ts.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  AbortError,
  MlflowBufferFullError,
  MlflowClient,
  MlflowInputError,
  MlflowOutageError,
} from '../src/index';
import { requireMlflow, trackingUri, unique } from './support/platform';

vi.setConfig({ testTimeout: 90_000 });

type Mode = 'up' | 'down';
let mode: Mode = 'up';
/** log-batch requests still to forward to MLflow and then lose the answer of. */
let loseAnswers = 0;
/** log-batch requests still to answer 429 with `Retry-After: 1` (not forwarded). */
let throttle = 0;
/** When each log-batch request reached the proxy (forwarded or not). */
const logBatchAt: number[] = [];
/** Metrics in each log-batch request that reached MLflow, and history reads, in order. */
const seen: string[] = [];
/** How many times each metric (key, step, timestamp, value) was forwarded to MLflow in a log-batch. */
const forwarded = new Map<string, number>();

const proxy = createServer(async (request: IncomingMessage, response: ServerResponse) => {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const body = Buffer.concat(chunks);
  const path = request.url ?? '/';
  if (mode === 'down') {
    request.socket.destroy();
    return;
  }
  const isLogBatch = path.startsWith('/api/2.0/mlflow/runs/log-batch');
  if (isLogBatch) logBatchAt.push(Date.now());
  if (isLogBatch && throttle > 0) {
    throttle--;
    seen.push('429');
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '1' });
    response.end(JSON.stringify({ error_code: 'REQUEST_LIMIT_EXCEEDED', message: 'slow down' }));
    return;
  }
  if (isLogBatch) {
    const parsed = JSON.parse(body.toString('utf8')) as {
      metrics?: Array<{ key: string; value: number; timestamp: number; step: number }>;
    };
    seen.push(`log-batch ${parsed.metrics?.length ?? 0}`);
    for (const m of parsed.metrics ?? []) {
      const id = `${m.key}/${m.step}/${m.timestamp}/${m.value}`;
      forwarded.set(id, (forwarded.get(id) ?? 0) + 1);
    }
  }
  if (path.startsWith('/api/2.0/mlflow/metrics/get-history')) seen.push('get-history');
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(request.headers)) {
    if (typeof v === 'string' && k !== 'host' && k !== 'connection' && k !== 'content-length') headers[k] = v;
  }
  const answer = await fetch(`${trackingUri}${path}`, {
    method: request.method ?? 'GET',
    headers,
    ...(body.byteLength > 0 ? { body } : {}),
  });
  const bytes = Buffer.from(await answer.arrayBuffer());
  if (isLogBatch && loseAnswers > 0) {
    loseAnswers--;
    // MLflow stored the batch; its answer is lost on the way back.
    request.socket.destroy();
    return;
  }
  response.writeHead(answer.status, {
    'content-type': answer.headers.get('content-type') ?? 'application/json',
  });
  response.end(bytes);
});

let client: MlflowClient;
let proxyPort = 0;
const direct = new MlflowClient({ trackingUri });

beforeAll(async () => {
  await requireMlflow();
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  // The client's default retries (2): every outage below is longer than they last.
  proxyPort = (proxy.address() as AddressInfo).port;
  client = new MlflowClient({ trackingUri: `http://127.0.0.1:${proxyPort}` });
});
afterAll(() => {
  proxy.closeAllConnections();
  proxy.close();
});
beforeEach(() => {
  mode = 'up';
  loseAnswers = 0;
  throttle = 0;
  logBatchAt.length = 0;
  seen.length = 0;
  forwarded.clear();
});
afterEach(() => {
  // No metric reached MLflow twice: every resend went through withRun's read-back, none through the pipeline.
  const twice = [...forwarded].filter(([, count]) => count > 1);
  expect(twice).toEqual([]);
});

async function steps(runId: string, key: string): Promise<number[]> {
  const out: number[] = [];
  for await (const m of direct.getMetricHistory(runId, key)) out.push(m.step);
  return out.sort((a, b) => a - b);
}

const T0 = 1_700_000_000_000;

describe('withRun during an MLflow outage', () => {
  it('keeps what it logged while MLflow is down longer than the client retries, and ends FINISHED with each metric once', async () => {
    const started = Date.now();
    const runId = await client.withRun(
      { experimentName: unique('outage'), flushIntervalMs: 50, outageTimeoutMs: 60_000 },
      async (run) => {
        mode = 'down';
        const back = setTimeout(() => {
          mode = 'up';
        }, 4000);
        for (let step = 0; step < 3000; step++) {
          run.logMetric('loss', step / 7, { step, timestamp: T0 + step });
          if (step % 500 === 499) await new Promise((r) => setTimeout(r, 100));
        }
        run.logParam('lr', 0.01);
        run.setTag('phase', 'outage');
        await run.flush();
        clearTimeout(back);
        return run.runId;
      },
    );
    expect(Date.now() - started).toBeGreaterThan(4000);
    const stored = await steps(runId, 'loss');
    expect(stored.length).toBe(3000);
    expect(new Set(stored).size).toBe(3000);
    const run = await direct.getRun(runId);
    expect(run.info.status).toBe('FINISHED');
    expect(run.data.params).toEqual({ lr: '0.01' });
    expect(run.data.tags.phase).toBe('outage');
  });

  it('a batch whose answer is lost is sent once (the client does not resend it), read back, and not sent again', async () => {
    const runId = await client.withRun(
      { experimentName: unique('lost-answer'), flushIntervalMs: 60_000, outageTimeoutMs: 60_000 },
      async (run) => {
        for (let step = 0; step < 999; step++) run.logMetric('acc', step, { step, timestamp: T0 });
        // The next log-batch reaches MLflow and its answer is lost: the client's pipeline (2 retries by default)
        // would send it again at once if log-batch went with retries.
        loseAnswers = 1;
        run.logMetric('acc', 999, { step: 999, timestamp: T0 });
        await run.flush();
        return run.runId;
      },
    );
    // One send, the read-back of its key, and nothing more: what landed is not sent again.
    expect(seen).toEqual(['log-batch 1000', 'get-history']);
    expect(loseAnswers).toBe(0);
    const stored = await steps(runId, 'acc');
    expect(stored.length).toBe(1000);
    expect((await direct.getRun(runId)).info.status).toBe('FINISHED');
  });

  it('answers lost again and again: each send is followed by a read-back before the next, never two sends in a row', async () => {
    const runId = await client.withRun(
      { experimentName: unique('lost-answers'), flushIntervalMs: 60_000, outageTimeoutMs: 60_000 },
      async (run) => {
        for (let step = 0; step < 500; step++) run.logMetric('acc', step, { step, timestamp: T0 });
        run.logParam('lr', 0.1);
        // The batch (500 metrics and a param) lands and loses its answer; so do the resends of its param.
        loseAnswers = 3;
        await run.flush();
        return run.runId;
      },
    );
    // The read-back finds the 500 metrics: only the param is sent again (safe: same value), until an answer comes.
    expect(seen[0]).toBe('log-batch 500');
    expect(seen[1]).toBe('get-history');
    expect(seen.slice(2)).toEqual(['log-batch 0', 'log-batch 0', 'log-batch 0']);
    expect((await steps(runId, 'acc')).length).toBe(500);
    const run = await direct.getRun(runId);
    expect(run.data.params).toEqual({ lr: '0.1' });
    expect(run.info.status).toBe('FINISHED');
  });

  it('a 429 with Retry-After is waited out as the server asks before the batch is sent again', async () => {
    const runId = await client.withRun(
      { experimentName: unique('throttled'), flushIntervalMs: 60_000, outageTimeoutMs: 60_000 },
      async (run) => {
        for (let step = 0; step < 10; step++) run.logMetric('t', step, { step, timestamp: T0 });
        throttle = 1;
        await run.flush();
        return run.runId;
      },
    );
    // One 429 (the client does not retry it by itself), then, a second later, the send: a 429 was turned away
    // unprocessed, so there is nothing to read back.
    expect(seen).toEqual(['429', 'log-batch 10']);
    expect(logBatchAt[1]! - logBatchAt[0]!).toBeGreaterThanOrEqual(950);
    expect((await steps(runId, 't')).length).toBe(10);
  });

  it('MlflowClient.logBatch itself keeps the client retries: a lost answer is sent again by the pipeline', async () => {
    const run = await client.createRun('0', { runName: unique('plain-log-batch') });
    loseAnswers = 1;
    await client.logBatch(run.info.runId, { metrics: [{ key: 'x', value: 1, step: 0, timestamp: T0 }] });
    expect(seen).toEqual(['log-batch 1', 'log-batch 1']);
    // MLflow's SQL store ignored the exact duplicate; withRun does not rely on that (see the afterEach check).
    expect(forwarded.get(`x/0/${T0}/1`)).toBe(2);
    expect((await steps(run.info.runId, 'x')).length).toBe(1);
    forwarded.clear();
    await direct.setTerminated(run.info.runId);
  });

  it('a refused connection sent nothing: the batch is sent again as it was, without reading back', async () => {
    const runId = await client.withRun(
      { experimentName: unique('refused'), flushIntervalMs: 60_000, outageTimeoutMs: 60_000 },
      async (run) => {
        // Nothing listens on the proxy's port for a while: every connection is refused.
        proxy.closeAllConnections();
        await new Promise<void>((resolve) => proxy.close(() => resolve()));
        // Let the client see its kept-alive connections closed (a send on one that is closing may have gone out).
        await new Promise((r) => setTimeout(r, 200));
        try {
          for (let step = 0; step < 1000; step++) run.logMetric('r', step, { step, timestamp: T0 });
          const flushed = run.flush();
          await new Promise((r) => setTimeout(r, 1500));
          expect(seen).toEqual([]);
          proxy.listen(proxyPort, '127.0.0.1');
          await once(proxy, 'listening');
          await flushed;
        } finally {
          if (!proxy.listening) {
            proxy.listen(proxyPort, '127.0.0.1');
            await once(proxy, 'listening');
          }
        }
        return run.runId;
      },
    );
    expect(seen).toEqual(['log-batch 1000']);
    expect((await steps(runId, 'r')).length).toBe(1000);
    expect((await direct.getRun(runId)).info.status).toBe('FINISHED');
  });

  it('past outageTimeoutMs, rejects with an MlflowOutageError that counts what was not stored', async () => {
    let runId = '';
    const error = await client
      .withRun({ experimentName: unique('outage-budget'), outageTimeoutMs: 2000 }, async (run) => {
        runId = run.runId;
        mode = 'down';
        for (let step = 0; step < 10; step++) run.logMetric('m', step, { step });
        run.logParam('p', 'x');
      })
      .catch((e: unknown) => e);
    mode = 'up';
    expect(MlflowOutageError.isInstance(error)).toBe(true);
    const outage = error as MlflowOutageError;
    expect(outage.notStored).toEqual({ metrics: 10, params: 1, tags: 0 });
    expect(outage.runId).toBe(runId);
    expect(outage.message).toMatch(/10 metrics, 1 params and 0 tags .* were not stored/);
    expect(outage.message).toContain('outageTimeoutMs');
    // The run could not be ended either: it is left RUNNING (the server was away), never reported FINISHED.
    expect((await direct.getRun(runId)).info.status).toBe('RUNNING');
    await direct.setTerminated(runId, { status: 'FAILED' });
  });

  it('a full buffer throws MlflowBufferFullError at the call (nothing dropped); flush waits for room', async () => {
    const runId = await client.withRun(
      { experimentName: unique('buffer-full'), maxBufferedMetrics: 100, flushIntervalMs: 50 },
      async (run) => {
        mode = 'down';
        for (let step = 0; step < 100; step++) run.logMetric('m', step, { step, timestamp: T0 });
        let full: unknown;
        try {
          run.logMetric('m', 100, { step: 100, timestamp: T0 });
        } catch (e) {
          full = e;
        }
        setTimeout(() => {
          mode = 'up';
        }, 2500);
        expect(MlflowBufferFullError.isInstance(full)).toBe(true);
        expect((full as MlflowBufferFullError).buffered).toBe(100);
        expect((full as Error).message).toMatch(/await run\.flush\(\)/i);
        await run.flush();
        run.logMetric('m', 100, { step: 100, timestamp: T0 });
        return run.runId;
      },
    );
    const stored = await steps(runId, 'm');
    expect(stored).toEqual(Array.from({ length: 101 }, (_, i) => i));
    expect((await direct.getRun(runId)).info.status).toBe('FINISHED');
  });

  it('aborted while MLflow is down: stops waiting at once, AbortError with the outage as its cause', async () => {
    const controller = new AbortController();
    let runId = '';
    const started = Date.now();
    const error = await client
      .withRun({ experimentName: unique('outage-abort'), signal: controller.signal }, async (run) => {
        runId = run.runId;
        mode = 'down';
        run.logMetric('m', 1);
        setTimeout(() => controller.abort(), 500);
        await new Promise((r) => setTimeout(r, 60_000));
      })
      .catch((e: unknown) => e);
    mode = 'up';
    expect(AbortError.isInstance(error)).toBe(true);
    expect(Date.now() - started).toBeLessThan(30_000);
    const cause = (error as AbortError).cause;
    expect(MlflowOutageError.isInstance(cause)).toBe(true);
    expect((cause as MlflowOutageError).notStored.metrics).toBe(1);
    await direct.setTerminated(runId, { status: 'KILLED' });
  });

  it('refuses a bad outageTimeoutMs or maxBufferedMetrics before creating a run', async () => {
    await expect(client.withRun({ outageTimeoutMs: -1 }, () => 1)).rejects.toThrow(MlflowInputError);
    await expect(client.withRun({ maxBufferedMetrics: 0 }, () => 1)).rejects.toThrow(/maxBufferedMetrics/);
    expect(seen).toEqual([]);
  });
});
