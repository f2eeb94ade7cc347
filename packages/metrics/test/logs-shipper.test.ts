// The shipper's failure paths (item 429/5xx, whole-request 503, refused items, full queue, a server that never
// answers) against an msw Elasticsearch; the happy path runs against the real one in logs.interop.test.ts.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { LogShipper, LogShipperError, type LogShipperOptions, type RejectedLog } from '../src/index';

const URL = 'http://es.test:9200';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

interface Seen {
  lines: string[][];
}
/** A bulk endpoint answering each request with `answer(docs, requestIndex)`; records the documents it got. */
function bulk(answer: (docs: string[], n: number) => Response | Promise<Response>): Seen {
  const seen: Seen = { lines: [] };
  server.use(
    http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
      const text = await request.text();
      const rows = text.split('\n').filter((l) => l !== '');
      // Without the event.id the shipper adds (dedupe: 'event-id'), to compare with what was written.
      const docs = rows
        .filter((_, i) => i % 2 === 1)
        .map((d) => d.replace(/^\{"event\.id":"[0-9a-z]+",/, '{'));
      seen.lines.push(docs);
      return answer(docs, seen.lines.length - 1);
    }),
  );
  return seen;
}
const items = (statuses: number[]) =>
  HttpResponse.json({
    errors: statuses.some((s) => s >= 300),
    items: statuses.map((status) => ({
      create:
        status < 300
          ? { status }
          : {
              status,
              error: {
                type: status === 400 ? 'document_parsing_exception' : 'es_rejected_execution_exception',
                reason: `status ${status}`,
              },
            },
    })),
  });
const shipper = (options: Partial<LogShipperOptions> = {}) =>
  new LogShipper({
    elasticsearchUrl: URL,
    dataStream: 'logs-test-default',
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 5,
    ...options,
  });
const line = (n: number) => `{"@timestamp":"2026-01-01T00:00:00Z","message":"m${n}"}\n`;
/** Queue size of one line(n) with a one-character sequence number, as the shipper counts it. */
const entryLength = '{"create":{}}\n{"event.id":"0123456789abcdef0",'.length + line(0).length - 1;

describe('LogShipper', () => {
  it('retries only the items answered 429 or 5xx, and reports a 400 item without retrying it', async () => {
    const rejected: RejectedLog[] = [];
    const seen = bulk((docs, n) => (n === 0 ? items([201, 429, 400, 503]) : items(docs.map(() => 201))));
    const s = shipper({ onReject: (r) => rejected.push(r) });
    for (let i = 0; i < 4; i++) s.write(line(i));
    await s.flush();
    expect(seen.lines).toEqual([[0, 1, 2, 3].map((i) => line(i).trim()), [1, 3].map((i) => line(i).trim())]);
    expect(s.stats()).toMatchObject({
      written: 4,
      shipped: 3,
      rejected: 1,
      retried: 2,
      requests: 2,
      pendingLines: 0,
    });
    expect(rejected).toEqual([
      { line: line(2).trim(), status: 400, errorType: 'document_parsing_exception', reason: 'status 400' },
    ]);
  });

  it('after a 503 asks which event.ids are stored, and re-sends only the others', async () => {
    const bodies: string[] = [];
    let searched: unknown;
    server.use(
      http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
        bodies.push(await request.text());
        if (bodies.length === 1) return new HttpResponse('unavailable', { status: 503 });
        return items([201]);
      }),
      http.get(`${URL}/_tasks`, () => HttpResponse.json({ tasks: [] })),
      http.post(`${URL}/:ds/_refresh`, () =>
        HttpResponse.json({ _shards: { total: 1, successful: 1, failed: 0 } }),
      ),
      http.post(`${URL}/:ds/_search`, async ({ request }) => {
        searched = await request.json();
        const ids = (searched as { query: { terms: { 'event.id': string[] } } }).query.terms['event.id'];
        return HttpResponse.json({
          timed_out: false,
          _shards: { total: 1, successful: 1, failed: 0 },
          hits: { hits: [{ fields: { 'event.id': [ids[0]] } }] },
        });
      }),
    );
    const s = shipper();
    s.write(line(0));
    s.write(line(1));
    await s.flush();
    const docs = (body: string | undefined) =>
      (body ?? '').split('\n').filter((_, i) => i % 2 === 1 && _ !== '');
    expect(docs(bodies[0])).toHaveLength(2);
    expect(docs(bodies[0])[0]).toMatch(/^\{"event\.id":"[0-9a-f]{16}0","@timestamp"/);
    expect(docs(bodies[1])).toEqual([docs(bodies[0])[1]]);
    expect(searched).toMatchObject({ size: 2, _source: false, fields: ['event.id'] });
    expect(s.stats()).toMatchObject({
      shipped: 2,
      duplicatesSuppressed: 1,
      rejected: 0,
      retried: 1,
      requests: 2,
    });
  });

  it('waits until Elasticsearch has finished the bulk task of the failed attempt before asking what is stored', async () => {
    const calls: string[] = [];
    let firstOpaqueId = '';
    server.use(
      http.post(`${URL}/:ds/_bulk`, ({ request }) => {
        calls.push('bulk');
        if (calls.length === 1) {
          firstOpaqueId = request.headers.get('x-opaque-id') ?? '';
          return new HttpResponse('gateway timeout', { status: 504 });
        }
        return items([201]);
      }),
      http.get(`${URL}/_tasks`, () => {
        const still = !calls.includes('tasks');
        calls.push('tasks');
        return HttpResponse.json({ tasks: still ? [{ headers: { 'X-Opaque-Id': firstOpaqueId } }] : [] });
      }),
      http.post(`${URL}/:ds/_refresh`, () => {
        calls.push('refresh');
        return HttpResponse.json({});
      }),
      http.post(`${URL}/:ds/_search`, () => {
        calls.push('search');
        return HttpResponse.json({
          timed_out: false,
          _shards: { total: 1, successful: 1, failed: 0 },
          hits: { hits: [] },
        });
      }),
    );
    const s = shipper();
    s.write(line(0));
    await s.flush();
    expect(firstOpaqueId).toMatch(/^mlops-[0-9a-f]{16}-1$/);
    expect(calls).toEqual(['bulk', 'tasks', 'tasks', 'refresh', 'search', 'bulk']);
    expect(s.stats()).toMatchObject({ shipped: 1, duplicatesSuppressed: 0, retried: 1 });
  });

  it("with dedupe: 'document-id' re-sends the same ids and counts a 409 on the retry as already stored", async () => {
    const bodies: string[] = [];
    server.use(
      http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
        bodies.push(await request.text());
        if (bodies.length === 1) return new HttpResponse('unavailable', { status: 503 });
        return items([409, 201]);
      }),
    );
    const s = shipper({ dedupe: 'document-id' });
    s.write(line(0));
    s.write(line(1));
    await s.flush();
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(bodies[0]).toMatch(/^\{"create":\{"_id":"([0-9a-f]{16}0)"\}\}\n\{"event\.id":"\1",/);
    expect(s.stats()).toMatchObject({ shipped: 2, duplicatesSuppressed: 1, rejected: 0, retried: 2 });
  });

  it('batches by size: flushBytes bounds each request', async () => {
    const seen = bulk((docs) => items(docs.map(() => 201)));
    const one = entryLength;
    const s = shipper({ flushBytes: one * 10, concurrency: 1 });
    for (let i = 0; i < 35; i++) s.write(line(i % 10));
    await s.flush();
    expect(seen.lines.map((l) => l.length)).toEqual([10, 10, 10, 5]);
  });

  it('sends a partial batch after flushIntervalMs without a flush() call', async () => {
    const seen = bulk((docs) => items(docs.map(() => 201)));
    const s = shipper({ flushIntervalMs: 20 });
    s.write(line(0));
    await new Promise((r) => setTimeout(r, 200));
    expect(seen.lines).toEqual([[line(0).trim()]]);
    expect(s.stats().shipped).toBe(1);
  });

  it('drops the oldest queued lines when the queue is full, and counts them', async () => {
    const seen = bulk((docs) => items(docs.map(() => 201)));
    const one = entryLength;
    const s = shipper({ maxBufferBytes: one * 3 + 2, flushBytes: 1e9, flushIntervalMs: 1e6 });
    for (let i = 0; i < 8; i++) s.write(line(i));
    expect(s.stats()).toMatchObject({ written: 8, dropped: 5, pendingLines: 3 });
    await s.flush();
    expect(seen.lines).toEqual([[5, 6, 7].map((i) => line(i).trim())]);
  });

  it('drops the newest line instead with overflow: drop-newest', async () => {
    const seen = bulk((docs) => items(docs.map(() => 201)));
    const one = entryLength;
    const s = shipper({
      maxBufferBytes: one * 3 + 2,
      flushBytes: 1e9,
      flushIntervalMs: 1e6,
      overflow: 'drop-newest',
    });
    for (let i = 0; i < 8; i++) s.write(line(i));
    await s.flush();
    expect(seen.lines).toEqual([[0, 1, 2].map((i) => line(i).trim())]);
    expect(s.stats()).toMatchObject({ dropped: 5, shipped: 3 });
  });

  it('rejects flush() with the pending count when the server keeps failing, and close() gives up after its timeout', async () => {
    bulk(() => new HttpResponse('overloaded', { status: 503 }));
    server.use(
      http.get(`${URL}/_tasks`, () => new HttpResponse('overloaded', { status: 503 })),
      http.post(`${URL}/:ds/_refresh`, () => new HttpResponse('overloaded', { status: 503 })),
      http.post(`${URL}/:ds/_search`, () => new HttpResponse('overloaded', { status: 503 })),
    );
    const s = shipper();
    for (let i = 0; i < 3; i++) s.write(line(i));
    const error = await s.flush({ timeoutMs: 100 }).catch((e: unknown) => e);
    expect(LogShipperError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ pendingLines: 3 });
    expect((error as Error).message).toContain(
      '3 log lines are not yet acknowledged by Elasticsearch after 100 ms',
    );
    await expect(s.close({ timeoutMs: 50 })).rejects.toThrow(LogShipperError);
    s.write(line(9));
    // The 3 lines close() abandoned and the one written after it: all counted as dropped.
    await new Promise((r) => setTimeout(r, 20));
    expect(s.stats()).toMatchObject({ written: 4, dropped: 4, shipped: 0, pendingLines: 0 });
  });

  it("with dedupe: 'off' sends the lines as written", async () => {
    const bodies: string[] = [];
    server.use(
      http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
        bodies.push(await request.text());
        return items([201]);
      }),
    );
    const s = shipper({ dedupe: 'off' });
    s.write(line(0));
    await s.flush();
    expect(bodies).toEqual([`{"create":{}}\n${line(0)}`]);
  });

  it('waitForCapacity() holds a producer while the queue is over half full and releases it as batches are acknowledged', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    server.use(
      http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
        const n = (await request.text()).split('\n').filter((l) => l !== '').length / 2;
        await gate;
        return items(Array.from({ length: n }, () => 201));
      }),
    );
    const one = entryLength;
    const s = shipper({ maxBufferBytes: one * 8, flushBytes: one * 2, concurrency: 1, flushIntervalMs: 1e6 });
    for (let i = 0; i < 7; i++) s.write(line(i));
    let released = false;
    const waiting = s.waitForCapacity().then(() => {
      released = true;
    });
    await new Promise((r) => setTimeout(r, 50));
    expect(released).toBe(false);
    release();
    await waiting;
    expect(s.stats().queuedBytes).toBeLessThan(one * 4);
    await s.close();
    expect(s.stats()).toMatchObject({ written: 7, shipped: 7, dropped: 0 });
  });

  it('refuses a bad data stream name or option before anything is sent', () => {
    expect(() => shipper({ dataStream: 'Logs-App' })).toThrow(
      '"Logs-App" is not a valid data stream name: use lowercase letters',
    );
    expect(() => shipper({ flushBytes: 0 })).toThrow(
      "the log shipper's flushBytes must be a positive number, not 0",
    );
    vi.stubEnv('ELASTICSEARCH_URL', '');
    expect(() => new LogShipper({ dataStream: 'logs-a-b' })).toThrow(
      'no Elasticsearch URL for the log shipper. Pass the elasticsearchUrl option or set ELASTICSEARCH_URL',
    );
    vi.unstubAllEnvs();
  });
});
