/**
 * Bad input and faults on the real Trino: unknown catalogs, schemas, tables and columns as TrinoQueryErrors
 * naming them; a query killed on the server or past its time limit as a TrinoQueryError with Trino's error name
 * and query id; a connection dropped mid-stream as an error (never a partial table); a caller's abort cancels
 * the query on the server (DELETE nextUri). The entity table is dropped in every case: each test uploads to a
 * schema of its own, which must be empty afterwards.
 */
import { randomBytes } from 'node:crypto';
import { AbortError, ConnectionError } from '@mlops/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FeatureStore, OfflineStoreError, type RepoConfig, TrinoQueryError } from '../../../src/index';
import { entityColumns, randomEntityRows } from '../support';
import { setupTrinoRepo, trinoStatement, trinoUrl } from './support';

let config: RepoConfig;
const schemas: string[] = [];

beforeAll(async () => {
  const repo = await setupTrinoRepo();
  const store = new FeatureStore({ repoPath: repo.repoPath });
  config = await store.getConfig();
  await store.close();
}, 300_000);

afterAll(async () => {
  for (const schema of schemas)
    await trinoStatement(`DROP SCHEMA IF EXISTS memory.${schema}`).catch(() => {});
});

/** A store uploading to a schema of its own (memory.<schema>), with these Trino options. */
function storeWith(options: ConstructorParameters<typeof FeatureStore>[0] & { catalog?: string } = {}): {
  store: FeatureStore;
  schema: string;
} {
  const schema = `mlops_t_${process.pid}_${randomBytes(4).toString('hex')}`;
  schemas.push(schema);
  const offline: Record<string, unknown> = {
    ...(config.offlineStore as Record<string, unknown>),
    dataset: schema,
  };
  if (options.catalog) offline.catalog = options.catalog;
  const store = new FeatureStore({
    ...options,
    config: { ...config, offlineStore: offline as RepoConfig['offlineStore'] },
  });
  return { store, schema };
}

async function tablesIn(schema: string): Promise<unknown[][]> {
  return trinoStatement(`SHOW TABLES FROM memory.${schema}`).catch((error: Error) =>
    /does not exist/.test(error.message) ? [] : Promise.reject(error),
  );
}

const entityDf = entityColumns(randomEntityRows(3, 40));
const features = ['driver_stats:trips', 'pair_stats:label'];

/** A fetch over the real one that sees each request as a Request (method, URL, body text). */
function watchingFetch(
  handle: (request: Request, body: string, send: () => Promise<Response>) => Promise<Response>,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const body = request.method === 'POST' ? await request.clone().text() : '';
    return handle(request, body, () => fetch(request));
  };
}

async function failure(work: Promise<unknown>): Promise<unknown> {
  return work.then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error,
  );
}

describe('unknown names are typed errors naming them', () => {
  it('an unknown catalog (offline_store.catalog)', { timeout: 120_000 }, async () => {
    const { store } = storeWith({ catalog: 'no_such_catalog' });
    const error = await failure(store.getHistoricalFeatures({ entityDf, features }).then((j) => j.toArrow()));
    expect(TrinoQueryError.isInstance(error)).toBe(true);
    const e = error as TrinoQueryError;
    expect(e.errorName).toBe('CATALOG_NOT_FOUND');
    expect(e.message).toContain('no_such_catalog');
    expect(e.queryId).toMatch(/^\d{8}_\d{6}_\d{5}_[a-z0-9]{5}$/);
    expect(OfflineStoreError.isInstance(error)).toBe(true);
    await store.close();
  });

  it.each([
    ['SCHEMA_NOT_FOUND', 'SELECT * FROM postgresql.no_such_schema.t', 'no_such_schema'],
    ['TABLE_NOT_FOUND', 'SELECT * FROM postgresql.public.no_such_table', 'no_such_table'],
    [
      'COLUMN_NOT_FOUND',
      'SELECT no_such_column, event_timestamp FROM postgresql.public.off_driver_entities',
      'no_such_column',
    ],
  ])('%s in an entity query', { timeout: 120_000 }, async (name, sql, named) => {
    const { store } = storeWith();
    const error = await failure(store.getHistoricalFeatures({ entityDf: sql, features }));
    expect(TrinoQueryError.isInstance(error)).toBe(true);
    expect((error as TrinoQueryError).errorName).toBe(name);
    expect((error as TrinoQueryError).message).toContain(named);
    await store.close();
  });
});

describe('queries that fail on the server', () => {
  it('killed while running: its error name and query id; the entity table is dropped', {
    timeout: 180_000,
  }, async () => {
    let killed: string | undefined;
    let queryId: string | undefined;
    // Trino dispatches a query on the first poll of its queued URI: after that poll's answer, an administrator
    // kills it (Trino's REST kill, what its UI does), then the answer goes on to the client.
    const killing = watchingFetch(async (request, body, send) => {
      const response = await send();
      if (request.method === 'POST' && body.startsWith('WITH entity_rows')) {
        const text = await response.text();
        queryId = (JSON.parse(text) as { id: string }).id;
        return new Response(text, { status: response.status, headers: response.headers });
      }
      if (queryId && !killed && request.method === 'GET' && request.url.includes(`/${queryId}/`)) {
        const kill = await fetch(`${trinoUrl}/v1/query/${queryId}/killed`, {
          method: 'PUT',
          headers: { 'X-Trino-User': 'mlops-test' },
          body: 'mlops test',
        });
        if (!kill.ok) throw new Error(`kill ${queryId}: ${kill.status} ${await kill.text()}`);
        killed = queryId;
      }
      return response;
    });
    const { store, schema } = storeWith({ trino: { fetch: killing } });
    const many = entityColumns(randomEntityRows(4, 20_000));
    const error = await failure(
      store.getHistoricalFeatures({ entityDf: many, features }).then((j) => j.toArrow()),
    );
    expect(TrinoQueryError.isInstance(error), String(error)).toBe(true);
    expect((error as TrinoQueryError).errorName).toBe('ADMINISTRATIVELY_KILLED');
    expect((error as TrinoQueryError).queryId).toBe(killed);
    expect(await tablesIn(schema)).toEqual([]);
    await store.close();
  });

  it('past query_max_execution_time: EXCEEDED_TIME_LIMIT with the query id', {
    timeout: 180_000,
  }, async () => {
    const { store } = storeWith({ trino: { sessionProperties: { query_max_execution_time: '1s' } } });
    const heavy =
      'SELECT CAST(a AS bigint) AS driver_id, current_timestamp AS event_timestamp FROM UNNEST(sequence(1, 10000)) AS x(a) CROSS JOIN UNNEST(sequence(1, 10000)) AS y(b) CROSS JOIN UNNEST(sequence(1, 10000)) AS z(c) WHERE a * b * c = -1';
    const job = await store.getHistoricalFeatures({ entityDf: heavy, features: ['driver_stats:trips'] });
    const error = await failure(job.toArrow());
    expect(TrinoQueryError.isInstance(error)).toBe(true);
    expect((error as TrinoQueryError).errorName).toBe('EXCEEDED_TIME_LIMIT');
    expect((error as TrinoQueryError).queryId).toBeTruthy();
    await store.close();
  });
});

describe('the connection and the caller', () => {
  /** Real Trino, but every GET of the point-in-time query after its first page of rows fails as a dropped socket. */
  function droppingAfterFirstRows(): { fetch: typeof fetch } {
    let queryPath: string | undefined;
    let sawRows = false;
    return {
      fetch: watchingFetch(async (request, body, send) => {
        const url = request.url;
        if (queryPath && sawRows && url.includes(queryPath) && request.method === 'GET') {
          throw new TypeError('fetch failed', {
            cause: Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }),
          });
        }
        const response = await send();
        if (request.method === 'POST' && body.startsWith('WITH entity_rows')) {
          const text = await response.text();
          queryPath = `/${(JSON.parse(text) as { id: string }).id}/`;
          return new Response(text, { status: response.status, headers: response.headers });
        }
        if (queryPath && url.includes(queryPath)) {
          const text = await response.text();
          if ((JSON.parse(text) as { data?: unknown[] }).data?.length) sawRows = true;
          return new Response(text, { status: response.status, headers: response.headers });
        }
        return response;
      }),
    };
  }

  it('a connection dropped mid-stream is an error, never a partial table; the entity table is dropped', {
    timeout: 300_000,
  }, async () => {
    const { fetch: dropping } = droppingAfterFirstRows();
    const { store, schema } = storeWith({ trino: { fetch: dropping } });
    const many = entityColumns(randomEntityRows(5, 20_000));
    const job = await store.getHistoricalFeatures({
      entityDf: many,
      features: ['driver_stats:note', 'pair_stats:label'],
    });
    const error = await failure(job.toArrow());
    expect(ConnectionError.isInstance(error)).toBe(true);
    expect(await tablesIn(schema)).toEqual([]);
    await store.close();
  });

  it('an abort cancels the query on Trino (DELETE nextUri) and drops the entity table', {
    timeout: 300_000,
  }, async () => {
    const deletes: string[] = [];
    let queryId: string | undefined;
    const watching = watchingFetch(async (request, body, send) => {
      if (request.method === 'DELETE') deletes.push(request.url);
      const response = await send();
      if (request.method === 'POST' && body.startsWith('WITH entity_rows')) {
        const text = await response.text();
        queryId = (JSON.parse(text) as { id: string }).id;
        return new Response(text, { status: response.status, headers: response.headers });
      }
      return response;
    });
    const { store, schema } = storeWith({ trino: { fetch: watching } });
    const controller = new AbortController();
    const job = await store.getHistoricalFeatures({
      entityDf: entityColumns(randomEntityRows(9, 20_000)),
      features,
    });
    const error = await failure(
      (async () => {
        for await (const _ of job.stream({ signal: controller.signal, batchRows: 100 })) controller.abort();
      })(),
    );
    expect(AbortError.isInstance(error)).toBe(true);
    expect(queryId).toBeTruthy();
    expect(deletes.some((u) => u.includes(queryId!))).toBe(true);
    // Trino ends the query as cancelled by its user.
    let state: unknown[][] = [];
    for (let i = 0; i < 50; i++) {
      state = await trinoStatement(
        `SELECT state, error_code FROM system.runtime.queries WHERE query_id = '${queryId}'`,
      );
      if (state[0]?.[0] === 'FAILED') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(state[0]).toEqual(['FAILED', 'USER_CANCELED']);
    expect(await tablesIn(schema)).toEqual([]);
    await store.close();
  });
});
