// Ids and names with `/`, `?`, `#`, `%`, CRLF, unicode (and lone surrogates) as they go into URL paths, query
// strings and headers across the clients: each arrives at the server as exactly that one path segment or query
// value (percent-encoded, decoding back to the name), never as another path, query parameter, fragment or
// header; a name that cannot be sent at all is a typed error before anything is sent.
import { AirflowClient } from '@mlops/airflow';
import { MlopsError } from '@mlops/core';
import { PrometheusClient } from '@mlops/metrics';
import { MlflowClient } from '@mlops/mlflow';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fuzzAsync, RUNS } from './support';

const hostileName = fc.oneof(
  fc.constantFrom(
    'a/b',
    '../admin',
    '..',
    '.',
    'x?y=1',
    'x#frag',
    '100%',
    '%2F',
    '%252F',
    'a\r\nX-Injected: 1',
    'a\nb',
    ' lead',
    'trail ',
    '日本語',
    '😀',
    'a+b',
    'a&b=c',
    ';jsessionid=1',
    '\u0000',
    '\uD800',
    'a\uDFFFb',
  ),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }),
);

type Where = { path: number[] } | { query: string[] };
interface Op {
  name: string;
  /** Where the names must arrive: path segment indexes (from the end) or query parameter names. */
  where: Where;
  /** The client, made once per property over `fetch`, and the call each case makes with its names. */
  client: (fetch: typeof globalThis.fetch) => (a: string, b: string) => Promise<unknown>;
}

const airflow = (fetch: typeof globalThis.fetch) =>
  new AirflowClient({ baseUrl: 'http://airflow.test', token: 'tok-1234', fetch, maxRetries: 0 });
const mlflow = (fetch: typeof globalThis.fetch) =>
  new MlflowClient({ trackingUri: 'http://mlflow.test', fetch, maxRetries: 0 });

const OPS: Op[] = [
  {
    name: 'airflow dags.get',
    where: { path: [1] },
    client: (fetch) => {
      const client = airflow(fetch);
      return (a) => client.dags.get(a);
    },
  },
  {
    name: 'airflow dagRuns.get',
    where: { path: [3, 1] },
    client: (fetch) => {
      const client = airflow(fetch);
      return (a, b) => client.dagRuns.get({ dagId: a, runId: b });
    },
  },
  {
    name: 'airflow variables.get',
    where: { path: [1] },
    client: (fetch) => {
      const client = airflow(fetch);
      return (a) => client.variables.get(a);
    },
  },
  {
    name: 'mlflow getExperimentByName',
    where: { query: ['experiment_name'] },
    client: (fetch) => {
      const client = mlflow(fetch);
      return (a) => client.getExperimentByName(a);
    },
  },
  {
    name: 'mlflow getRegisteredModel',
    where: { query: ['name'] },
    client: (fetch) => {
      const client = mlflow(fetch);
      return (a) => client.getRegisteredModel(a);
    },
  },
  {
    name: 'prometheus labelValues',
    where: { path: [2] },
    client: (fetch) => {
      const client = new PrometheusClient({ url: 'http://prometheus.test', fetch, maxRetries: 0 });
      return (a) => client.labelValues(a);
    },
  },
];

describe('hostile names in URLs and headers', () => {
  it.each(OPS.map((op) => [op.name, op] as const))(
    '%s: names arrive whole, or a typed error before sending',
    async (name, op) => {
      // One client per property; the requests of the case at hand (the list is emptied before each case).
      const requests: Request[] = [];
      const call = op.client(async (input, init) => {
        requests.push(input instanceof Request && init === undefined ? input : new Request(input, init));
        return Response.json(
          { detail: 'not found', error_code: 'RESOURCE_DOES_NOT_EXIST', message: 'no' },
          { status: 404 },
        );
      });
      await fuzzAsync(
        `names in URLs: ${name}`,
        fc.tuple(hostileName, hostileName),
        async ([a, b]) => {
          requests.length = 0;
          let error: unknown;
          try {
            await call(a, b);
          } catch (e) {
            error = e;
          }
          if (error !== undefined && !MlopsError.isInstance(error)) throw error;
          if (requests.length === 0) {
            // Refused before sending: only a name that cannot be sent (no UTF-8 form), with a typed error.
            expect(MlopsError.isInstance(error)).toBe(true);
            return;
          }
          const url = new URL(requests[0]!.url);
          expect(url.hash).toBe('');
          const names = [a, b];
          if ('path' in op.where) {
            const segments = url.pathname.split('/');
            op.where.path.forEach((fromEnd, i) => {
              expect(decodeURIComponent(segments[segments.length - fromEnd]!)).toBe(names[i]);
            });
          } else {
            expect([...url.searchParams.keys()].sort()).toEqual([...op.where.query].sort());
            op.where.query.forEach((key, i) => {
              expect(url.searchParams.get(key)).toBe(names[i]);
            });
          }
          for (const [key] of requests[0]!.headers) expect(key).not.toMatch(/injected/i);
        },
        Math.max(100, Math.floor(RUNS / 10)),
      );
    },
  );

  it('a header value with CRLF is a typed error, and nothing is sent', async () => {
    for (const value of ['v\r\nX-Injected: 1', 'v\nX-Injected: 1', 'v\rX']) {
      let sent = 0;
      const fetch: typeof globalThis.fetch = async () => {
        sent++;
        return Response.json({});
      };
      const clients = [
        () =>
          new AirflowClient({
            baseUrl: 'http://airflow.test',
            token: 'tok-1234',
            fetch,
            headers: { 'x-a': value },
          }).dags.get('d'),
        () =>
          new MlflowClient({ trackingUri: 'http://mlflow.test', fetch, headers: { 'x-a': value } }).getRun(
            'r',
          ),
        () =>
          new PrometheusClient({ url: 'http://prometheus.test', fetch, headers: { 'x-a': value } }).query(
            'up',
          ),
      ];
      for (const call of clients) {
        // A ConfigError when the client is made (or, at the latest, when the call is).
        let error: unknown;
        try {
          await call();
        } catch (e) {
          error = e;
        }
        expect(MlopsError.isInstance(error), String(error)).toBe(true);
      }
      expect(sent).toBe(0);
    }
  });
});
