// The shipper when Elasticsearch refuses: a whole `_bulk` answered 401, 403, 413 or 400, refused items inside a
// 200 (mapping conflict 400, 429 per item), a 2xx whose body is not a bulk answer. No line silently lost: each is
// stored, retried, or counted as rejected with a LogRejectedError (status, what to do) handed to onError and kept
// as stats().lastError. msw plays Elasticsearch (the real one cannot be made to refuse like this); the happy path
// runs against the real one in logs.interop.test.ts.
import { HttpResponse, http } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LogRejectedError, LogShipper, type LogShipperOptions, type RejectedLog } from '../src/index';

const URL = 'http://es-refusals.test:9200';
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledFrame: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

/** The documents of a bulk body (every second line), without the event.id the shipper adds. */
const docsOf = (text: string) =>
  text
    .split('\n')
    .filter((l, i) => i % 2 === 1 && l !== '')
    .map((d) => d.replace(/^\{"event\.id":"[0-9a-z]+",/, '{'));

/** A bulk endpoint answering each request with `answer(docs, requestIndex, bytes)`; records what it got. */
function bulk(answer: (docs: string[], n: number, bytes: number) => Response): string[][] {
  const seen: string[][] = [];
  server.use(
    http.post(`${URL}/:ds/_bulk`, async ({ request }) => {
      const text = await request.text();
      const docs = docsOf(text);
      seen.push(docs);
      return answer(docs, seen.length - 1, text.length);
    }),
    // What the event-id dedupe asks after a request whose outcome is unknown: nothing is stored.
    http.get(`${URL}/_tasks`, () => HttpResponse.json({ tasks: [] })),
    http.post(`${URL}/:ds/_refresh`, () =>
      HttpResponse.json({ _shards: { total: 1, successful: 1, failed: 0 } }),
    ),
    http.post(`${URL}/:ds/_search`, () =>
      HttpResponse.json({
        timed_out: false,
        _shards: { total: 1, successful: 1, failed: 0 },
        hits: { hits: [] },
      }),
    ),
  );
  return seen;
}
const created = (n: number) =>
  HttpResponse.json({ errors: false, items: Array.from({ length: n }, () => ({ create: { status: 201 } })) });
const esError = (status: number, type: string, reason: string) =>
  HttpResponse.json({ error: { type, reason }, status }, { status });

function shipper(options: Partial<LogShipperOptions> = {}) {
  const errors: LogRejectedError[] = [];
  const rejected: RejectedLog[] = [];
  const s = new LogShipper({
    elasticsearchUrl: URL,
    dataStream: 'logs-refusals-default',
    retryInitialDelayMs: 1,
    retryMaxDelayMs: 5,
    flushTimeoutMs: 5000,
    onError: (e) => errors.push(e),
    onReject: (r) => rejected.push(r),
    ...options,
  });
  return { s, errors, rejected };
}
const line = (n: number, extra = '') => `{"@timestamp":"2026-01-01T00:00:00Z","message":"m${n}${extra}"}`;

describe('LogShipper refusals', () => {
  it('401 (bad credentials): not retried, every line counted as rejected, one LogRejectedError saying to check the API key', async () => {
    const seen = bulk(() =>
      esError(401, 'security_exception', 'unable to authenticate with provided credentials'),
    );
    const { s, errors, rejected } = shipper({ elasticsearchApiKey: 'bm90LWEta2V5' });
    for (let i = 0; i < 3; i++) s.write(line(i));
    await s.flush();
    // Give a spinning retry loop the time to show itself.
    await new Promise((r) => setTimeout(r, 100));
    expect(seen).toHaveLength(1);
    expect(s.stats()).toMatchObject({
      written: 3,
      shipped: 0,
      rejected: 3,
      rejectedByStatus: { '401': 3 },
      pendingLines: 0,
    });
    expect(errors).toHaveLength(1);
    const error = errors[0]!;
    expect(LogRejectedError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ status: 401, lines: 3, dataStream: 'logs-refusals-default' });
    expect(error.message).toMatch(/refused 3 log lines .* status 401/);
    expect(error.message).toContain('ELASTICSEARCH_API_KEY');
    expect(error.message).not.toContain('bm90LWEta2V5');
    expect(s.stats().lastError).toBe(error);
    expect(rejected.map((r) => r.line)).toEqual([0, 1, 2].map((i) => line(i)));
    expect(rejected.every((r) => r.status === 401)).toBe(true);
  });

  it('403 (no privilege on the data stream): rejected once, the error says which privileges to grant', async () => {
    const seen = bulk(() =>
      esError(403, 'security_exception', 'action [indices:data/write/bulk] is unauthorized'),
    );
    const { s, errors } = shipper();
    s.write(line(0));
    await s.flush();
    expect(seen).toHaveLength(1);
    expect(s.stats()).toMatchObject({ rejected: 1, rejectedByStatus: { '403': 1 } });
    expect(errors.map((e) => e.status)).toEqual([403]);
    expect(errors[0]!.message).toContain('create_doc');
  });

  it('413 (request too large): the batch is halved until it fits; only a line too large alone is rejected', async () => {
    const limit = 400;
    const seen = bulk((docs, _n, bytes) =>
      bytes > limit ? new HttpResponse('', { status: 413 }) : created(docs.length),
    );
    const { s, errors, rejected } = shipper();
    const big = line(2, 'x'.repeat(500));
    for (let i = 0; i < 5; i++) s.write(i === 2 ? big : line(i));
    await s.flush();
    const stored = seen.flatMap((docs, i) => (i > 0 && docs.join('\n').length < limit ? docs : []));
    expect(new Set(stored)).toEqual(new Set([0, 1, 3, 4].map((i) => line(i))));
    expect(s.stats()).toMatchObject({
      written: 5,
      shipped: 4,
      rejected: 1,
      rejectedByStatus: { '413': 1 },
      pendingLines: 0,
    });
    expect(rejected.map((r) => r.line)).toEqual([big]);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 413, lines: 1 });
    expect(errors[0]!.message).toContain('http.max_content_length');
  });

  it('400 on the whole request (a line that breaks the NDJSON): halved until the bad line is alone', async () => {
    const seen = bulk((docs) =>
      docs.some((d) => !d.startsWith('{'))
        ? esError(400, 'illegal_argument_exception', 'Malformed action/metadata line')
        : created(docs.length),
    );
    const { s, errors, rejected } = shipper();
    for (let i = 0; i < 4; i++) s.write(i === 1 ? 'not json' : line(i));
    await s.flush();
    expect(s.stats()).toMatchObject({ shipped: 3, rejected: 1, rejectedByStatus: { '400': 1 } });
    expect(rejected.map((r) => r.line)).toEqual(['not json']);
    expect(errors.map((e) => e.status)).toEqual([400]);
    expect(errors[0]!.message).toContain('one JSON object per line');
    expect(seen.length).toBeGreaterThan(1);
  });

  it('a 200 with refused items: mapping conflicts rejected (one error per status and type), 429 items retried until stored', async () => {
    const seen = bulk((docs, n) =>
      n === 0
        ? HttpResponse.json({
            errors: true,
            items: docs.map((_, i) => ({
              create:
                i % 3 === 0
                  ? { status: 201 }
                  : i % 3 === 1
                    ? {
                        status: 400,
                        error: {
                          type: 'document_parsing_exception',
                          reason: 'failed to parse field [http.response.status_code] of type [long]',
                        },
                      }
                    : {
                        status: 429,
                        error: { type: 'es_rejected_execution_exception', reason: 'queue full' },
                      },
            })),
          })
        : created(docs.length),
    );
    const { s, errors } = shipper();
    for (let i = 0; i < 6; i++) s.write(line(i));
    await s.flush();
    expect(seen[1]).toEqual([2, 5].map((i) => line(i)));
    expect(s.stats()).toMatchObject({
      written: 6,
      shipped: 4,
      rejected: 2,
      retried: 2,
      rejectedByStatus: { '400': 2 },
      pendingLines: 0,
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ status: 400, errorType: 'document_parsing_exception', lines: 2 });
    expect(errors[0]!.message).toContain('mapping');
  });

  it('429 items that never clear stay pending (not dropped): flush rejects with the count, close abandons them', async () => {
    bulk((docs) =>
      HttpResponse.json({
        errors: true,
        items: docs.map(() => ({
          create: { status: 429, error: { type: 'es_rejected_execution_exception' } },
        })),
      }),
    );
    const { s, errors } = shipper();
    s.write(line(0));
    await expect(s.flush({ timeoutMs: 100 })).rejects.toMatchObject({ pendingLines: 1 });
    expect(s.stats()).toMatchObject({ shipped: 0, rejected: 0 });
    expect(errors).toEqual([]);
    await expect(s.close({ timeoutMs: 20 })).rejects.toThrow(/not yet acknowledged/);
    // Abandoned by close(): counted as dropped, so every line written is accounted for.
    await new Promise((r) => setTimeout(r, 50));
    const st = s.stats();
    expect(st).toMatchObject({ written: 1, dropped: 1, pendingLines: 0 });
    expect(st.shipped + st.dropped + st.rejected + st.pendingLines).toBe(st.written);
  });

  it('a 2xx whose body is not a bulk answer is an unknown outcome: what is not stored is sent again', async () => {
    const seen = bulk((docs, n) =>
      n === 0
        ? new HttpResponse('<html>gateway</html>', { status: 200 })
        : n === 1
          ? HttpResponse.json(null)
          : created(docs.length),
    );
    const { s, errors } = shipper();
    s.write(line(0));
    s.write(line(1));
    await s.flush();
    expect(seen).toEqual([0, 1, 2].map(() => [line(0), line(1)]));
    expect(s.stats()).toMatchObject({ shipped: 2, rejected: 0, pendingLines: 0 });
    expect(errors).toEqual([]);
  });

  it('a throwing onError does not stop the shipper', async () => {
    bulk(() => esError(401, 'security_exception', 'bad'));
    const { s } = shipper({
      onError: () => {
        throw new Error('callback failed');
      },
    });
    s.write(line(0));
    await s.flush();
    expect(s.stats()).toMatchObject({ rejected: 1 });
  });
});
