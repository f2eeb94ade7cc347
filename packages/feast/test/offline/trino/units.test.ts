/**
 * The Trino offline store's parts that need no server: feature_store.yaml's `offline_store: type: trino` read
 * as Feast 0.67 reads it, the JSON of the REST protocol (integers beyond 2^53 kept), Trino's timestamps and
 * types into Arrow, the SQL quoting, and the client's failure paths (garbage bodies, 503 retried, errors typed).
 */
import { ConfigError, DecodeError } from '@mlops/core';
import { TimeUnit, Type } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import { parseRepoConfig } from '../../../src/config/repo-config-schema';
import { InvalidFeatureRequestError, TrinoQueryError } from '../../../src/index';
import { PG_OID } from '../../../src/offline/pg-copy';
import { TrinoArrowDecoder, trinoTimestampMicros } from '../../../src/offline/trino/arrow';
import { parseTrinoJson, TrinoClient } from '../../../src/offline/trino/client';
import { checkUploadable, entityTableWith } from '../../../src/offline/trino/historical';
import {
  entityInserts,
  POSTGRESQL_DOMAIN_COMPACTION_THRESHOLD,
  pushdownSessionProperties,
  quoteIdent,
  sourceCatalogs,
  trinoSourceFrom,
} from '../../../src/offline/trino/sql';
import { createTrinoClient } from '../../../src/offline/trino/stack';

const base = { project: 'p', registry: 'r.db' };
const trino = {
  type: 'trino',
  host: 'trino.internal',
  port: 8080,
  catalog: 'hive',
  user: 'feast',
  connector: { type: 'hive', file_format: 'parquet' },
};

describe('offline_store: type: trino', () => {
  it("Feast's keys, aliases and defaults", () => {
    const config = parseRepoConfig({ ...base, offline_store: trino });
    expect(config.offlineStore).toEqual({
      type: 'trino',
      host: 'trino.internal',
      port: 8080,
      catalog: 'hive',
      user: 'feast',
      source: 'trino-python-client',
      httpScheme: 'http',
      verify: true,
      extraCredential: undefined,
      connector: { type: 'hive', file_format: 'parquet' },
      dataset: 'feast',
      auth: undefined,
    });
    const full = parseRepoConfig({
      ...base,
      offline_store: {
        ...trino,
        type: 'feast.infra.offline_stores.contrib.trino_offline_store.trino.TrinoOfflineStore',
        'http-scheme': 'https',
        'ssl-verify': false,
        'x-trino-extra-credential-header': 'a=b',
        dataset: 'training',
        source: 'pipeline-7',
        auth: { type: 'basic', config: { username: 'u', password: 'p' } },
      },
    });
    expect(full.offlineStore).toMatchObject({
      type: 'trino',
      httpScheme: 'https',
      verify: false,
      extraCredential: 'a=b',
      dataset: 'training',
      source: 'pipeline-7',
      auth: { type: 'basic', config: { username: 'u', password: 'p' } },
    });
  });

  it.each([
    [{ ...trino, host: undefined }, 'offline_store.host'],
    [{ ...trino, connector: undefined }, 'offline_store.connector'],
    // Feast forbids extra keys; its fields with aliases are only read by the alias.
    [{ ...trino, http_scheme: 'https' }, 'offline_store'],
    [{ ...trino, session_properties: { a: 'b' } }, 'offline_store'],
    [{ ...trino, auth: { type: 'basic' } }, 'offline_store.auth.config'],
    [{ ...trino, auth: { type: 'ldap', config: {} } }, 'offline_store.auth.type'],
  ])('refuses what Feast refuses (%#)', (offline, option) => {
    const error = (() => {
      try {
        parseRepoConfig({ ...base, offline_store: offline });
      } catch (e) {
        return e;
      }
    })();
    expect(ConfigError.isInstance(error)).toBe(true);
    expect((error as ConfigError).option).toBe(option);
  });

  it('auth: basic and jwt become headers; the others are refused when the store is used', () => {
    const config = (auth: unknown) => {
      const c = parseRepoConfig({ ...base, offline_store: { ...trino, auth } }).offlineStore;
      return c as Parameters<typeof createTrinoClient>[0];
    };
    expect(
      createTrinoClient(config({ type: 'jwt', config: { token: 't0k' } })).connection.headers,
    ).toMatchObject({
      Authorization: 'Bearer t0k',
    });
    expect(() => createTrinoClient(config({ type: 'kerberos', config: {} }))).toThrow(/Python Trino client/);
  });
});

describe('the REST protocol in Arrow', () => {
  it('keeps integers beyond 2^53 exact and reads NaN/Infinity', () => {
    const parsed = parseTrinoJson('{"data":[[9007199254740993,-9223372036854775808,1.5,"NaN"]]}') as {
      data: unknown[][];
    };
    expect(parsed.data[0]).toEqual([9_007_199_254_740_993n, -9_223_372_036_854_775_808n, 1.5, 'NaN']);
    // A run of digits inside a string stays a string.
    expect(parseTrinoJson('["12345678901234567890"]')).toEqual(['12345678901234567890']);
  });

  it('timestamps to the microsecond, in any zone Trino names', () => {
    const utc = trinoTimestampMicros('2026-02-01 12:00:00.000001 UTC');
    expect(utc).toBe(1_769_947_200_000_001n);
    expect(trinoTimestampMicros('2026-02-01 13:00:00.000001 +01:00')).toBe(utc);
    expect(trinoTimestampMicros('2026-02-01 07:00:00.000001 America/New_York')).toBe(utc);
    expect(trinoTimestampMicros('2026-02-01 12:00:00.000001999 UTC')).toBe(utc); // ps floored
    expect(trinoTimestampMicros('1969-12-31 23:59:59.999999')).toBe(-1n);
  });

  it('columns typed from Trino types, in batches of batchRows', () => {
    const decoder = new TrinoArrowDecoder(
      [
        { name: 'i', type: 'bigint' },
        { name: 'r', type: 'real' },
        { name: 's', type: 'varchar(10)' },
        { name: 't', type: 'timestamp(6) with time zone' },
        { name: 'b', type: 'boolean' },
        { name: 'a', type: 'array(double)' },
      ],
      { batchRows: 2 },
    );
    const batches = decoder.push([
      [9007199254740993n, 0.5, 'x', '2026-02-01 12:00:00.000001 UTC', true, [1.5, null]],
      [null, null, null, null, null, null],
      [1, 'Infinity', 'z', '2026-02-01 12:00:00.000000 UTC', false, []],
    ]);
    expect(batches).toHaveLength(1);
    const [last] = decoder.end();
    const types = decoder.schema.fields.map((f) => f.type);
    expect(types.map((t) => t.typeId)).toEqual([
      Type.Int,
      Type.Float,
      Type.Utf8,
      Type.Timestamp,
      Type.Bool,
      Type.List,
    ]);
    expect((types[3] as { unit: TimeUnit }).unit).toBe(TimeUnit.MICROSECOND);
    const first = batches[0]!;
    expect(first.getChildAt(0)!.get(0)).toBe(9_007_199_254_740_993n);
    expect((first.getChildAt(3)!.data[0]!.values as BigInt64Array)[0]).toBe(1_769_947_200_000_001n);
    const list = first.getChildAt(5)!.get(0)!;
    expect([list.get(0), list.get(1), list.length]).toEqual([1.5, null, 2]);
    expect(first.getChildAt(2)!.get(1)).toBeNull();
    expect(last!.getChildAt(1)!.get(0)).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('SQL', () => {
  it('quotes TrinoSource tables as Trino reads them unquoted, anything else whole', () => {
    const source = (table: string) => ({ table, query: undefined }) as Parameters<typeof trinoSourceFrom>[0];
    expect(trinoSourceFrom(source('PostgreSQL.Public.Stats'), 'v')).toBe('"postgresql"."public"."stats"');
    expect(trinoSourceFrom(source('odd"name; DROP'), 'v')).toBe('"odd""name; DROP"');
    expect(quoteIdent('a"b')).toBe('"a""b"');
  });

  it('source catalogs get a domain compaction threshold that lets entity keys reach PostgreSQL', () => {
    const source = (table: string) => ({ table, query: undefined }) as Parameters<typeof trinoSourceFrom>[0];
    const from = (table: string) => ({ from: trinoSourceFrom(source(table), 'v') });
    expect(
      sourceCatalogs([
        from('postgresql.public.a'),
        from('PG2.public.b'),
        from('postgresql.public.c'),
        from('public.d'),
        { from: '(SELECT 1)' },
        { from: '"we""ird"."s"."t"' },
      ]),
    ).toEqual(['postgresql', 'pg2', 'we"ird']);
    expect(pushdownSessionProperties(['postgresql', 'pg2'])).toEqual({
      'postgresql.domain_compaction_threshold': '30000',
      'pg2.domain_compaction_threshold': '30000',
    });
    // Under PostgreSQL's 65,535 bind parameters per statement, well over the connector's default of 256.
    expect(POSTGRESQL_DOMAIN_COMPACTION_THRESHOLD).toBeLessThan(65_535 / 2);
    expect(pushdownSessionProperties([])).toEqual({});
    // Each key column's filter is its own list of parameters: the budget is shared.
    expect(pushdownSessionProperties(['postgresql'], 3)).toEqual({
      'postgresql.domain_compaction_threshold': '10000',
    });
    expect(pushdownSessionProperties(['postgresql'], 500)).toEqual({
      'postgresql.domain_compaction_threshold': '256',
    });
  });

  it('entity rows as INSERTs under the length limit, values exact', () => {
    const n = 5000;
    const columns = [
      {
        name: 'id',
        typeOid: PG_OID.INT8,
        values: Array.from({ length: n }, (_, i) => BigInt(i) * 3_000_000_000_000_001n),
      },
      {
        name: "it's",
        typeOid: PG_OID.TEXT,
        values: Array.from({ length: n }, (_, i) => (i % 7 ? `o'k ${i}` : null)),
      },
    ];
    const statements = entityInserts('"t"', '__row', columns, n, 20_000);
    expect(statements.length).toBeGreaterThan(5);
    for (const s of statements) expect(s.length).toBeLessThan(20_200);
    expect(statements.join('\n')).toContain(String(4999n * 3_000_000_000_000_001n));
    expect(statements[0]).toContain(`"it's"`);
    expect(statements[0]).toContain("o''k 1");
  });
});

describe('the entity table for the upload catalog, as Feast 0.67 creates it', () => {
  it('iceberg and hive: WITH (format = <connector.file_format>); memory: no WITH', () => {
    expect(entityTableWith({ type: 'iceberg', file_format: 'parquet' })).toBe(" WITH (format = 'parquet')");
    expect(entityTableWith({ type: 'iceberg', file_format: 'ORC' })).toBe(" WITH (format = 'ORC')");
    expect(entityTableWith({ type: 'hive', file_format: 'parquet' })).toBe(" WITH (format = 'parquet')");
    expect(entityTableWith({ type: 'hive', file_format: "o'rc" })).toBe(" WITH (format = 'o''rc')");
    expect(entityTableWith({ type: 'memory' })).toBe('');
  });

  it('refuses what Feast refuses, saying what to set', () => {
    // Feast's upload needs file_format for iceberg and hive (its own message: "needs the argument 'file_format'").
    expect(() => entityTableWith({ type: 'iceberg' })).toThrow(/connector\.file_format/);
    expect(() => entityTableWith({ type: 'postgresql' })).toThrow(/cannot create tables/);
    expect(() => entityTableWith({ type: 'no_such' })).toThrow(/use memory, hive or iceberg/);
    let caught: unknown;
    try {
      entityTableWith({ type: 'iceberg' });
    } catch (error) {
      caught = error;
    }
    expect(InvalidFeatureRequestError.isInstance(caught)).toBe(true);
  });
});

describe('entity columns the upload catalog cannot store', () => {
  const columns = [
    { name: 'driver_id', typeOid: PG_OID.INT8 },
    { name: 'event_timestamp', typeOid: PG_OID.TIMESTAMPTZ },
  ];

  it('hive has no timestamp with time zone: refused before anything is created, naming the column', () => {
    let caught: unknown;
    try {
      checkUploadable({ type: 'hive', file_format: 'parquet' }, columns);
    } catch (error) {
      caught = error;
    }
    expect(InvalidFeatureRequestError.isInstance(caught)).toBe(true);
    expect((caught as Error).message).toMatch(/event_timestamp .*Hive.*iceberg/);
  });

  it('iceberg and memory store them; hive stores naive timestamps', () => {
    expect(() => checkUploadable({ type: 'iceberg', file_format: 'parquet' }, columns)).not.toThrow();
    expect(() => checkUploadable({ type: 'memory' }, columns)).not.toThrow();
    const naive = [{ name: 'event_timestamp', typeOid: PG_OID.TIMESTAMP }];
    expect(() => checkUploadable({ type: 'hive', file_format: 'parquet' }, naive)).not.toThrow();
  });
});

describe('client failure paths (no server: a fetch of our own)', () => {
  const connection = {
    baseUrl: 'http://127.0.0.1:1',
    user: 'u',
    catalog: undefined,
    schema: undefined,
    source: 's',
    sessionProperties: {},
    timeZone: undefined,
    headers: {},
  };

  it('a body that is not JSON is a DecodeError naming Trino', async () => {
    const client = new TrinoClient(connection, {
      fetch: async () => new Response('<html>proxy</html>', { status: 200 }),
    });
    await expect(client.run('SELECT 1', { step: 'testing' })).rejects.toSatisfy(
      (e: unknown) => DecodeError.isInstance(e) && /not JSON/.test((e as Error).message),
    );
  });

  it('503 is retried; a failed query is a TrinoQueryError with its name and id', async () => {
    let calls = 0;
    const client = new TrinoClient(connection, {
      retry: { maxRetries: 2, initialDelayMs: 1, maxDelayMs: 2 },
      fetch: async () => {
        calls++;
        if (calls === 1) return new Response('busy', { status: 503 });
        return Response.json({
          id: 'q1',
          error: {
            message: "line 1:15: Table 'x' does not exist",
            errorName: 'TABLE_NOT_FOUND',
            errorType: 'USER_ERROR',
            errorCode: 46,
          },
        });
      },
    });
    const error = await client.run('SELECT * FROM x', { step: 'testing' }).catch((e: unknown) => e);
    expect(calls).toBe(2);
    expect(TrinoQueryError.isInstance(error)).toBe(true);
    expect(error).toMatchObject({ errorName: 'TABLE_NOT_FOUND', queryId: 'q1', errorCode: 46 });
  });
});
