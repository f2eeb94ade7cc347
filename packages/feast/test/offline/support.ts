/**
 * Fixture of the offline-retrieval interop tests: the off_* tables (deterministic edge cases plus seeded random
 * rows), a throw-away Feast repo over them (project mlops_offline, see ./repo/features.py), and the reference
 * answer of Feast Python (./python_historical.py), handed back as an Arrow table.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type Table, tableFromIPC } from 'apache-arrow';
import pg from 'pg';
import { runFeast } from '../support/feast-python';
import { feastCli, feastPython, pins } from '../support/platform';

// ---------------------------------------------------------------- time, in microseconds

/** Microseconds since the epoch: PostgreSQL keeps timestamps to the microsecond, a JS Date only to the ms. */
export type Micros = bigint;

const US_PER_MS = 1000n;
const SECOND = 1_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const DAY = 24n * HOUR;

export const micros = (date: Date): Micros => BigInt(date.getTime()) * US_PER_MS;

/** `YYYY-MM-DDTHH:MM:SS.ffffff` plus `Z` (an instant) or nothing (a naive UTC wall-clock time). */
export function isoMicros(us: Micros, naive = false): string {
  const seconds = us / SECOND - (us % SECOND < 0n ? 1n : 0n);
  const fraction = us - seconds * SECOND;
  const wall = new Date(Number(seconds) * 1000).toISOString().slice(0, 19);
  return `${wall}.${fraction.toString().padStart(6, '0')}${naive ? '' : 'Z'}`;
}

/** The entity timestamp almost every edge case is asked at. */
export const edgeEntityTimestamp = new Date('2026-02-01T12:00:00.000Z');
const E = micros(edgeEntityTimestamp);

// ---------------------------------------------------------------- table rows

export interface DriverStatsRow {
  driver_id: number;
  event_timestamp: Micros;
  created: Micros | null;
  conv_rate: number | null;
  acc_rate: number | null;
  trips: bigint | null;
  note: string | null;
}

export interface PairStatsRow {
  k1: string;
  k2: string;
  event_timestamp: Micros;
  score: number | null;
  label: string | null;
}

/** off_mapped_stats: `ts` is `timestamp without time zone`, holding the UTC wall-clock time of `ts`. */
export interface MappedStatsRow {
  drv: number;
  ts: Micros;
  src_rating: number | null;
  comment: string | null;
}

export interface GlobalStatsRow {
  event_timestamp: Micros;
  total_rides: bigint | null;
}

export interface OfflineDataset {
  driverStats: DriverStatsRow[];
  pairStats: PairStatsRow[];
  mappedStats: MappedStatsRow[];
  globalStats: GlobalStatsRow[];
}

export interface SeedOptions {
  /** Seed of the random rows (default 20260201). */
  seed?: number;
  /** Random drivers, ids 1000, 1001, … (default 40). */
  drivers?: number;
  /** Random off_driver_stats rows per driver (default 12); off_mapped_stats gets half as many. */
  rowsPerDriver?: number;
}

const DEFAULT_SEED = 20260201;
const DEFAULT_DRIVERS = 40;
const DEFAULT_ROWS_PER_DRIVER = 12;
export const firstRandomDriver = 1000;
/** Random pair keys are p0..p4 × q0..q4: k2 always starts with `q` and k1 never holds one, so no collisions. */
const PAIR_K1 = ['p0', 'p1', 'p2', 'p3', 'p4'];
const PAIR_K2 = ['q0', 'q1', 'q2', 'q3', 'q4'];

/** Small seeded PRNG (mulberry32): the same seed gives the same rows in every process. */
export function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const between = (random: () => number, lo: number, hi: number) => lo + Math.floor(random() * (hi - lo + 1));
const maybeNull = <T>(random: () => number, probability: number, value: T): T | null =>
  random() < probability ? null : value;

// ---------------------------------------------------------------- the edge cases

const f32 = Math.fround;
const MAX_SAFE_PLUS_TWO = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a JS number

function driverRow(
  driver_id: number,
  event: Micros,
  created: Micros | null,
  trips: bigint | null,
  note: string | null,
  conv_rate: number | null = f32(Number(trips ?? 0n) / 4096),
  acc_rate: number | null = Number(trips ?? 0n) / 1000,
): DriverStatsRow {
  return { driver_id, event_timestamp: event, created, conv_rate, acc_rate, trips, note };
}

/** Drivers 1..12 and the pairs below: each one exists for one behaviour, asked at `edgeEntityTimestamp`. */
function edgeDriverStats(): DriverStatsRow[] {
  return [
    // 1: same event_timestamp twice, different created: the larger created wins (trips 20).
    driverRow(1, E - HOUR, E - HOUR, 5n, 'old'),
    driverRow(1, E - 30n * MINUTE, E - 30n * MINUTE, 10n, 'first write'),
    driverRow(1, E - 30n * MINUTE, E - 20n * MINUTE, 20n, 'rewrite'),
    // 2: a row exactly at the entity timestamp counts (trips 2^53+1); one microsecond later does not.
    driverRow(2, E - HOUR, E - HOUR, 100n, 'before'),
    driverRow(2, E, E, MAX_SAFE_PLUS_TWO, 'at', f32(0.625), 0.625),
    driverRow(2, E + 1n, E + 1n, 300n, 'after'),
    // 3: exactly the TTL (2 hours) before: still inside (Feast compares with >=).
    driverRow(3, E - 2n * HOUR, E - 2n * HOUR, 3n, 'at ttl'),
    // 4: one microsecond beyond the TTL: outside for driver_stats, found by driver_stats_no_ttl.
    driverRow(4, E - 2n * HOUR - 1n, E - 2n * HOUR - 1n, 4n, 'beyond ttl'),
    // 5: no rows at all.
    // 6: the latest row has null features: the nulls are the answer (no fallback to the older row).
    driverRow(6, E - 20n * MINUTE, E - 20n * MINUTE, 60n, 'older', f32(0.5), 0.5),
    driverRow(6, E - 10n * MINUTE, E - 10n * MINUTE, 61n, null, null, null),
    // 7: rows only after the entity timestamp.
    driverRow(7, E + HOUR, E + HOUR, 7n, 'future'),
    driverRow(7, E + 2n * HOUR, E + 2n * HOUR, 77n, 'further future'),
    // 8: two rows with exactly the same event_timestamp and created (Feast keeps both, see the test).
    driverRow(8, E - 15n * MINUTE, E - 15n * MINUTE, 801n, 'twin a', f32(0.875), 0.875),
    driverRow(8, E - 15n * MINUTE, E - 15n * MINUTE, 802n, 'twin b', f32(0.9375), 0.9375),
    // 9: the latest row has a null created.
    driverRow(9, E - 40n * MINUTE, E - 40n * MINUTE, 901n, 'has created'),
    driverRow(9, E - 10n * MINUTE, null, 902n, 'null created'),
    // 10: the latest row has trips -1, which the query source of driver_stats_no_ttl leaves out.
    driverRow(10, E - 50n * MINUTE, E - 50n * MINUTE, 1000n, 'positive'),
    driverRow(10, E - 5n * MINUTE, E - 5n * MINUTE, -1n, 'negative'),
    // 11: a later created does not beat a later event_timestamp (trips 1102).
    driverRow(11, E - HOUR, E + 5n * HOUR, 1101n, 'old event, late created'),
    driverRow(11, E - 30n * MINUTE, E - 30n * MINUTE, 1102n, 'new event'),
    // 12: created after the entity timestamp: used unless filter_by_created_timestamp.
    driverRow(12, E - 30n * MINUTE, E + HOUR, 1201n, 'created later'),
  ];
}

function edgePairStats(): PairStatsRow[] {
  const row = (k1: string, k2: string, event: Micros, score: number | null, label: string | null) => ({
    k1,
    k2,
    event_timestamp: event,
    score,
    label,
  });
  return [
    // ("1","23") and ("12","3") both concatenate to "123": different event timestamps.
    row('1', '23', E - HOUR, 1.23, 'one|twenty-three'),
    row('12', '3', E - 30n * MINUTE, 12.3, 'twelve|three'),
    // ("2","34") and ("23","4"): "234", same event timestamp.
    row('2', '34', E - HOUR, 2.34, 'two|thirty-four'),
    row('23', '4', E - HOUR, 23.4, 'twenty-three|four'),
    // ("3","45") has a row, ("34","5") has none: "345".
    row('3', '45', E - HOUR, 3.45, 'three|forty-five'),
    // A plain pair, with a later row that must not be seen.
    row('a', 'b', E - HOUR, 0.5, 'plain'),
    row('a', 'b', E + HOUR, 0.75, 'plain, later'),
    // A null feature.
    row('a', 'c', E - HOUR, null, null),
  ];
}

function edgeMappedStats(): MappedStatsRow[] {
  const row = (drv: number, ts: Micros, src_rating: number | null, comment: string | null) => ({
    drv,
    ts,
    src_rating,
    comment,
  });
  return [
    // 1: three hours back: outside driver_stats' 2 hours but inside mapped_stats' day.
    row(1, E - 3n * HOUR, 1.5, 'three hours back'),
    // 2: exactly at the entity timestamp (naive column, read as UTC), and a microsecond after.
    row(2, E, 2.0, 'at'),
    row(2, E + 1n, 2.5, 'after'),
    // 3: exactly one day (the TTL) back: inside. 4: one microsecond more: outside.
    row(3, E - DAY, 3.0, 'at ttl'),
    row(4, E - DAY - 1n, 4.0, 'beyond ttl'),
    // 6: the latest row has a null rating.
    row(6, E - 2n * MINUTE, 6.5, 'older'),
    row(6, E - MINUTE, null, null),
    // 8: two rows at the same ts and no created column to tell them apart.
    row(8, E - HOUR, 8.25, 'twin a'),
    row(8, E - HOUR, 8.5, 'twin b'),
  ];
}

function edgeGlobalStats(): GlobalStatsRow[] {
  // Hourly from 48 hours before to 3 hours after the entity timestamp; total_rides = 100000 + hour index.
  const rows: GlobalStatsRow[] = [];
  for (let h = -48n; h <= 3n; h++) rows.push({ event_timestamp: E + h * HOUR, total_rides: 100_000n + h });
  return rows;
}

// ---------------------------------------------------------------- the random rows

/** A random timestamp in [from, to); one in five is a whole millisecond (so that a JS Date can hit it). */
function randomMicros(random: () => number, from: Micros, to: Micros): Micros {
  const span = Number(to - from);
  const us = from + BigInt(Math.floor(random() * span));
  return random() < 0.2 ? us - (us % US_PER_MS) : us;
}

function randomDriverStats(random: () => number, drivers: number, rowsPerDriver: number): DriverStatsRow[] {
  const rows: DriverStatsRow[] = [];
  for (let d = 0; d < drivers; d++) {
    const driver_id = firstRandomDriver + d;
    const seen = new Set<Micros>();
    let previous: DriverStatsRow | undefined;
    for (let r = 0; r < rowsPerDriver; r++) {
      let event: Micros;
      let created: Micros;
      if (previous && random() < 0.1) {
        // The same event_timestamp again, written later: the tie-break by created.
        event = previous.event_timestamp;
        created = (previous.created ?? event) + BigInt(between(random, 1, 60_000_000));
      } else {
        do event = randomMicros(random, E - DAY, E + 2n * HOUR);
        while (seen.has(event));
        created = random() < 0.2 ? event : event + BigInt(between(random, 1, 600_000_000));
      }
      seen.add(event);
      const roll = random();
      const trips =
        roll < 0.05
          ? null
          : roll < 0.1
            ? -BigInt(between(random, 1, 50))
            : BigInt(between(random, 0, 10_000));
      const big = random() < 0.03 ? 2n ** 53n + BigInt(between(random, 1, 1_000_000)) : undefined;
      const note = maybeNull(random, 0.15, random() < 0.1 ? `ü✓ ${r}` : `n${between(random, 0, 999)}`);
      previous = {
        driver_id,
        event_timestamp: event,
        created,
        conv_rate: maybeNull(random, 0.1, f32(random())),
        acc_rate: maybeNull(random, 0.05, random() * 100),
        trips: big ?? trips,
        note,
      };
      rows.push(previous);
    }
  }
  return rows;
}

function randomPairStats(random: () => number, rowsPerPair: number): PairStatsRow[] {
  const rows: PairStatsRow[] = [];
  for (const k1 of PAIR_K1) {
    for (const k2 of PAIR_K2) {
      const seen = new Set<Micros>();
      for (let r = 0; r < rowsPerPair; r++) {
        let event: Micros;
        do event = randomMicros(random, E - DAY, E + 2n * HOUR);
        while (seen.has(event));
        seen.add(event);
        rows.push({
          k1,
          k2,
          event_timestamp: event,
          score: maybeNull(random, 0.1, random() * 10),
          label: maybeNull(random, 0.1, `${k1}${k2}-${r}`),
        });
      }
    }
  }
  return rows;
}

function randomMappedStats(random: () => number, drivers: number, rowsPerDriver: number): MappedStatsRow[] {
  const rows: MappedStatsRow[] = [];
  for (let d = 0; d < drivers; d++) {
    const seen = new Set<Micros>();
    for (let r = 0; r < rowsPerDriver; r++) {
      let ts: Micros;
      do ts = randomMicros(random, E - 2n * DAY, E + 2n * HOUR);
      while (seen.has(ts));
      seen.add(ts);
      rows.push({
        drv: firstRandomDriver + d,
        ts,
        src_rating: maybeNull(random, 0.1, Math.round(random() * 500) / 100),
        comment: `r${r}`,
      });
    }
  }
  return rows;
}

/** Every row seedOfflineTables writes, generated without touching the database. */
export function offlineDataset(options: SeedOptions = {}): OfflineDataset {
  const seed = options.seed ?? DEFAULT_SEED;
  const drivers = options.drivers ?? DEFAULT_DRIVERS;
  const rowsPerDriver = options.rowsPerDriver ?? DEFAULT_ROWS_PER_DRIVER;
  const random = prng(seed);
  const globalStats = edgeGlobalStats().map((row) => ({
    ...row,
    total_rides: row.event_timestamp === E - 5n * HOUR ? null : row.total_rides,
  }));
  return {
    driverStats: [...edgeDriverStats(), ...randomDriverStats(random, drivers, rowsPerDriver)],
    pairStats: [...edgePairStats(), ...randomPairStats(random, Math.max(1, rowsPerDriver >> 1))],
    mappedStats: [
      ...edgeMappedStats(),
      ...randomMappedStats(random, drivers, Math.max(1, rowsPerDriver >> 1)),
    ],
    globalStats,
  };
}

// ---------------------------------------------------------------- entity rows

export interface OfflineEntityRow {
  driver_id: number;
  k1: string;
  k2: string;
  event_timestamp: Date;
}

export interface EdgeCaseEntityRow extends OfflineEntityRow {
  /** What the row is for (not an entity column: leave it out of the request). */
  case: string;
}

/**
 * One entity row per edge case, every row carrying all of driver_id, k1, k2 and event_timestamp so that one
 * request can ask any view. Driver cases get an unused pair (`none`, `d<driver>`), pair cases driver 5 (no rows).
 */
export function entityRowsForEdgeCases(): EdgeCaseEntityRow[] {
  const at = edgeEntityTimestamp;
  const driverCase = (driver_id: number, name: string, event_timestamp = at): EdgeCaseEntityRow => ({
    case: name,
    driver_id,
    k1: 'none',
    k2: `d${driver_id}`,
    event_timestamp,
  });
  const pairCase = (k1: string, k2: string, name: string): EdgeCaseEntityRow => ({
    case: name,
    driver_id: 5,
    k1,
    k2,
    event_timestamp: at,
  });
  return [
    driverCase(1, 'tie-break by created'),
    driverCase(1, 'duplicate entity row'),
    driverCase(2, 'row exactly at the entity timestamp'),
    driverCase(2, 'earlier entity timestamp', new Date(at.getTime() - 30 * 60_000)),
    driverCase(3, 'exactly the TTL before'),
    driverCase(4, 'one microsecond beyond the TTL'),
    driverCase(5, 'no rows'),
    driverCase(6, 'null features in the latest row'),
    driverCase(7, 'rows only after the entity timestamp'),
    driverCase(8, 'equal event_timestamp and created'),
    driverCase(9, 'null created'),
    driverCase(10, 'row left out by the query source'),
    driverCase(11, 'later created, older event'),
    driverCase(12, 'created after the entity timestamp'),
    driverCase(999_999, 'unknown driver'),
    pairCase('1', '23', 'collision "123", older row'),
    pairCase('12', '3', 'collision "123", newer row'),
    pairCase('2', '34', 'collision "234", same timestamp'),
    pairCase('23', '4', 'collision "234", same timestamp (other side)'),
    pairCase('3', '45', 'collision "345", with a row'),
    pairCase('34', '5', 'collision "345", without rows'),
    pairCase('a', 'b', 'plain pair'),
    pairCase('a', 'c', 'pair with null features'),
  ];
}

/**
 * n random entity rows. About one in ten sits exactly on an off_driver_stats event timestamp and one in twenty
 * exactly the TTL (2 hours) after one; the rest fall anywhere around the data. Drivers include a few without
 * rows; k1/k2 come from p0..p5 × q0..q5 (p5 and q5 have no rows).
 */
export function randomEntityRows(seed: number, n: number, options: SeedOptions = {}): OfflineEntityRow[] {
  const drivers = options.drivers ?? DEFAULT_DRIVERS;
  const whole = offlineDataset(options)
    .driverStats.filter((row) => row.driver_id >= firstRandomDriver && row.event_timestamp % US_PER_MS === 0n)
    .map((row) => ({ driver_id: row.driver_id, ms: Number(row.event_timestamp / US_PER_MS) }));
  const random = prng(seed);
  const rows: OfflineEntityRow[] = [];
  for (let i = 0; i < n; i++) {
    const k1 = `p${between(random, 0, 5)}`;
    const k2 = `q${between(random, 0, 5)}`;
    const roll = random();
    const hit = whole.length > 0 ? whole[between(random, 0, whole.length - 1)]! : undefined;
    if (hit && roll < 0.1) {
      rows.push({ driver_id: hit.driver_id, k1, k2, event_timestamp: new Date(hit.ms) });
    } else if (hit && roll < 0.15) {
      rows.push({ driver_id: hit.driver_id, k1, k2, event_timestamp: new Date(hit.ms + 2 * 3_600_000) });
    } else {
      const ms = Number(E / US_PER_MS) + between(random, -26 * 3_600_000, 3 * 3_600_000);
      rows.push({
        driver_id: firstRandomDriver + between(random, 0, drivers + 2),
        k1,
        k2,
        event_timestamp: new Date(ms),
      });
    }
  }
  return rows;
}

/** Entity rows as the columns feastHistorical takes (default: driver_id, k1, k2, event_timestamp). */
export function entityColumns(
  rows: readonly OfflineEntityRow[],
  columns: ReadonlyArray<keyof OfflineEntityRow> = ['driver_id', 'k1', 'k2', 'event_timestamp'],
): Record<string, unknown[]> {
  return Object.fromEntries(columns.map((name) => [name, rows.map((row) => row[name])]));
}

// ---------------------------------------------------------------- seeding

type Queryable = pg.Client | pg.Pool;

/** Tables seedOfflineTables creates (off_fixture_meta records what was seeded). */
export const offlineTables: string[] = [
  'off_driver_stats',
  'off_pair_stats',
  'off_mapped_stats',
  'off_global_stats',
  'off_driver_entities',
  'off_fixture_meta',
];

const DDL = `
CREATE TABLE off_driver_stats (
  driver_id bigint NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz,
  conv_rate real,
  acc_rate double precision,
  trips bigint,
  note text
);
CREATE TABLE off_pair_stats (
  k1 text NOT NULL,
  k2 text NOT NULL,
  event_timestamp timestamptz NOT NULL,
  score double precision,
  label text
);
CREATE TABLE off_mapped_stats (
  drv bigint NOT NULL,
  ts timestamp without time zone NOT NULL,
  src_rating double precision,
  comment text
);
CREATE TABLE off_global_stats (
  event_timestamp timestamptz NOT NULL,
  total_rides bigint
);
CREATE TABLE off_driver_entities (
  driver_id bigint NOT NULL,
  event_timestamp timestamptz NOT NULL,
  case_name text NOT NULL
);
CREATE TABLE off_fixture_meta (fingerprint text NOT NULL);
`;

/** Bumped whenever the DDL or the meaning of the rows changes, so that stale tables are seeded again. */
const FIXTURE_VERSION = 1;

const text = (value: number | bigint | string | null): string | null =>
  value === null ? null : String(value);

async function insertRows(
  client: pg.ClientBase,
  table: string,
  columns: string[],
  rows: Array<Array<string | null>>,
): Promise<void> {
  const perBatch = Math.floor(60_000 / columns.length);
  for (let start = 0; start < rows.length; start += perBatch) {
    const batch = rows.slice(start, start + perBatch);
    const tuples = batch.map(
      (_, r) => `(${columns.map((_, c) => `$${r * columns.length + c + 1}`).join(', ')})`,
    );
    await client.query(
      `INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`,
      batch.flat(),
    );
  }
}

function fingerprintOf(options: SeedOptions): string {
  const dataset = offlineDataset(options);
  const json = JSON.stringify(
    { version: FIXTURE_VERSION, dataset, entities: entityRowsForEdgeCases() },
    (_, v) => (typeof v === 'bigint' ? v.toString() : v),
  );
  return createHash('sha256').update(json).digest('hex');
}

async function withClient<T>(target: Queryable, work: (client: pg.ClientBase) => Promise<T>): Promise<T> {
  if (target instanceof pg.Pool) {
    const client = await target.connect();
    try {
      return await work(client);
    } finally {
      client.release();
    }
  }
  return work(target);
}

/**
 * Drops and creates the off_* tables and fills them (edge cases plus random rows), in one transaction.
 * Timestamps go in as text with microseconds; off_mapped_stats.ts as naive UTC wall-clock text.
 */
export async function seedOfflineTables(target: Queryable, options: SeedOptions = {}): Promise<void> {
  const dataset = offlineDataset(options);
  await withClient(target, async (client) => {
    await client.query('BEGIN');
    try {
      await client.query(`DROP TABLE IF EXISTS ${offlineTables.join(', ')}`);
      await client.query(DDL);
      await insertRows(
        client,
        'off_driver_stats',
        ['driver_id', 'event_timestamp', 'created', 'conv_rate', 'acc_rate', 'trips', 'note'],
        dataset.driverStats.map((r) => [
          text(r.driver_id),
          isoMicros(r.event_timestamp),
          r.created === null ? null : isoMicros(r.created),
          text(r.conv_rate),
          text(r.acc_rate),
          text(r.trips),
          r.note,
        ]),
      );
      await insertRows(
        client,
        'off_pair_stats',
        ['k1', 'k2', 'event_timestamp', 'score', 'label'],
        dataset.pairStats.map((r) => [r.k1, r.k2, isoMicros(r.event_timestamp), text(r.score), r.label]),
      );
      await insertRows(
        client,
        'off_mapped_stats',
        ['drv', 'ts', 'src_rating', 'comment'],
        dataset.mappedStats.map((r) => [text(r.drv), isoMicros(r.ts, true), text(r.src_rating), r.comment]),
      );
      await insertRows(
        client,
        'off_global_stats',
        ['event_timestamp', 'total_rides'],
        dataset.globalStats.map((r) => [isoMicros(r.event_timestamp), text(r.total_rides)]),
      );
      await insertRows(
        client,
        'off_driver_entities',
        ['driver_id', 'event_timestamp', 'case_name'],
        entityRowsForEdgeCases()
          .filter((r) => r.k1 === 'none')
          .map((r) => [text(r.driver_id), r.event_timestamp.toISOString(), r.case]),
      );
      await client.query('INSERT INTO off_fixture_meta (fingerprint) VALUES ($1)', [fingerprintOf(options)]);
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK');
      throw error;
    }
  });
}

// ---------------------------------------------------------------- the Feast repo

export const offlineProject = 'mlops_offline' as const;
export const offlinePgConfig = {
  host: '127.0.0.1',
  port: Number(pins.POSTGRES_PORT ?? 5432),
  database: 'feast',
  user: 'postgres',
  password: '',
};
const redisPort = Number(pins.REDIS_PORT ?? 6379);

export interface OfflineRepo {
  repoPath: string;
  project: string;
  pgConfig: typeof offlinePgConfig;
}

const featuresPy = resolve(import.meta.dirname, 'repo/features.py');
const harnessPy = resolve(import.meta.dirname, 'python_historical.py');
/** Any constant: the key of the advisory lock that serialises seeding across test workers. */
const SEED_LOCK = 7_160_201;

function featureStoreYaml(dir: string, project: string): string {
  return [
    '# Written by packages/feast/test/offline/support.ts (setupOfflineRepo).',
    `project: ${project}`,
    'provider: local',
    'registry:',
    '  registry_type: file',
    `  path: ${JSON.stringify(join(dir, 'registry.db'))}`,
    '  cache_ttl_seconds: 5',
    'online_store:',
    '  type: redis',
    '  redis_type: redis',
    `  connection_string: "127.0.0.1:${redisPort}"`,
    'offline_store:',
    '  type: postgres',
    `  host: ${offlinePgConfig.host}`,
    `  port: ${offlinePgConfig.port}`,
    `  database: ${offlinePgConfig.database}`,
    '  db_schema: public',
    `  user: ${offlinePgConfig.user}`,
    '  password: ""',
    '  sslmode: disable',
    'entity_key_serialization_version: 3',
    'auth:',
    '  type: no_auth',
    '',
  ].join('\n');
}

const TEMP_PREFIX = 'mlops-offline-';

/** Temporary directories go when the process exits normally. */
function removeOnExit(dir: string): void {
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
}

/**
 * Test workers are often killed rather than exited, so their directories stay behind: each name carries the pid
 * that made it, and directories of pids that no longer run are removed here.
 */
function sweepStaleTempDirs(): void {
  const pattern = new RegExp(`^${TEMP_PREFIX}(?:repo|io)-(\\d+)-`);
  for (const name of readdirSync(tmpdir())) {
    const pid = Number(pattern.exec(name)?.[1] ?? Number.NaN);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') {
        rmSync(join(tmpdir(), name), { recursive: true, force: true });
      }
    }
  }
}

function requireVenv(): void {
  if (!existsSync(feastPython) || !existsSync(feastCli)) {
    throw new Error('The Feast venv of the platform is missing: run `pnpm platform up feast` first.');
  }
}

/** Seeds the default dataset unless the tables already hold exactly it (checked under an advisory lock). */
async function ensureSeeded(): Promise<void> {
  const client = new pg.Client(offlinePgConfig);
  await client.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [SEED_LOCK]);
    try {
      const expected = fingerprintOf({});
      const exists = await client.query<{ meta: string | null }>(
        "SELECT to_regclass('off_fixture_meta')::text AS meta",
      );
      const present = exists.rows[0]?.meta
        ? await client.query<{ fingerprint: string }>('SELECT fingerprint FROM off_fixture_meta')
        : { rows: [] };
      if (present.rows[0]?.fingerprint !== expected) await seedOfflineTables(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [SEED_LOCK]);
    }
  } finally {
    await client.end();
  }
}

async function createRepo(project: string): Promise<OfflineRepo> {
  requireVenv();
  await ensureSeeded();
  sweepStaleTempDirs();
  const repoPath = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}repo-${process.pid}-`));
  removeOnExit(repoPath);
  writeFileSync(join(repoPath, 'feature_store.yaml'), featureStoreYaml(repoPath, project));
  copyFileSync(featuresPy, join(repoPath, 'features.py'));
  const applied = runFeast('cli', ['-c', repoPath, 'apply'], {
    cwd: repoPath,
    env: { FEAST_USAGE: 'False' },
  });
  if (applied.status !== 0) {
    throw new Error(
      `feast apply in ${repoPath} failed (${applied.status}):\n${applied.stderr}\n${applied.stdout}`,
    );
  }
  return { repoPath, project, pgConfig: offlinePgConfig };
}

const repos = new Map<string, Promise<OfflineRepo>>();

/**
 * A fresh temporary Feast repo (feature_store.yaml + a copy of repo/features.py, file registry inside it) over the
 * seeded off_* tables, applied with the venv's feast CLI. Once per process; the tables are seeded only when they
 * do not already hold the default dataset, so parallel test files do not drop them under each other.
 */
export function setupOfflineRepo(project: string = offlineProject): Promise<OfflineRepo> {
  let repo = repos.get(project);
  if (!repo) {
    repo = createRepo(project).catch((error: unknown) => {
      repos.delete(project);
      throw error;
    });
    repos.set(project, repo);
  }
  return repo;
}

// ---------------------------------------------------------------- Feast Python's answers

/** How an entity column is sent to Python (see python_historical.py); inferred from the values when not given. */
export type EntityColumnType = 'int64' | 'int32' | 'float64' | 'string' | 'bool' | 'timestamp';

export interface FeastHistoricalRequest {
  repoPath: string;
  /** Entity rows as columns. Date (or ISO string, with `entityTypes`) → timestamp, bigint/integer → int64. */
  entityRows?: Record<string, unknown[]>;
  /** Overrides the inferred type of a column, e.g. `{ score: 'float64' }` for a float column of whole numbers. */
  entityTypes?: Record<string, EntityColumnType>;
  /** Timestamps as `datetime64[ns, UTC]` (true, default) or naive `datetime64[ns]` of the UTC wall clock. */
  timestampTz?: boolean;
  /** An entity SQL query instead of entityRows. */
  entitySql?: string;
  /** Without entityRows/entitySql: Feast's range mode. */
  startDate?: Date;
  endDate?: Date;
  features?: string[];
  featureService?: string;
  fullFeatureNames?: boolean;
  filterByCreatedTimestamp?: boolean;
  /** Also return job.to_sql() (renders the query once more). */
  withSql?: boolean;
}

export interface EncodedEntityColumn {
  name: string;
  type: EntityColumnType;
  tz?: boolean;
  values: Array<string | number | boolean | null>;
}

function inferType(name: string, values: readonly unknown[]): EntityColumnType {
  const present = values.filter((v) => v !== null && v !== undefined);
  if (present.length === 0)
    throw new Error(`entity column ${name}: only nulls, give its type in entityTypes`);
  if (present.every((v) => v instanceof Date)) return 'timestamp';
  if (present.every((v) => typeof v === 'bigint' || (typeof v === 'number' && Number.isInteger(v))))
    return 'int64';
  if (present.every((v) => typeof v === 'number')) return 'float64';
  if (present.every((v) => typeof v === 'string')) return 'string';
  if (present.every((v) => typeof v === 'boolean')) return 'bool';
  throw new Error(
    `entity column ${name}: cannot infer one type for ${present.map((v) => typeof v).join(', ')}`,
  );
}

function encodeValue(name: string, type: EntityColumnType, value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  switch (type) {
    case 'timestamp':
      if (value instanceof Date) return value.toISOString();
      if (typeof value === 'string') return value;
      break;
    case 'int64':
    case 'int32':
      if (typeof value === 'bigint' || typeof value === 'number' || typeof value === 'string')
        return String(value);
      break;
    case 'float64':
      if (typeof value === 'number') return value;
      break;
    case 'string':
      if (typeof value === 'string') return value;
      break;
    case 'bool':
      if (typeof value === 'boolean') return value;
      break;
  }
  throw new Error(`entity column ${name}: ${String(value)} is not a ${type}`);
}

/**
 * The JSON encoding of entity columns for python_historical.py: int64 as decimal strings, timestamps as ISO
 * strings (`tz` says whether pandas gets UTC-aware or naive values), everything else as JSON scalars.
 */
export function encodeEntityColumns(
  columns: Record<string, unknown[]>,
  types: Record<string, EntityColumnType> = {},
  timestampTz = true,
): EncodedEntityColumn[] {
  return Object.entries(columns).map(([name, values]) => {
    const type = types[name] ?? inferType(name, values);
    const encoded: EncodedEntityColumn = {
      name,
      type,
      values: values.map((value) => encodeValue(name, type, value)),
    };
    if (type === 'timestamp') encoded.tz = timestampTz;
    return encoded;
  });
}

export interface FeastPythonResult {
  table: Table;
  rows: number;
  /** Column names and pyarrow types, as Python saw them. */
  columns: Array<{ name: string; type: string }>;
  sql?: string;
  /** Whatever Feast printed besides the answer. */
  log: string;
}

interface HarnessAnswer {
  rows?: number;
  columns?: Array<{ name: string; type: string }>;
  sql?: string;
}

interface Pending {
  resolve: (answer: { answer: HarnessAnswer; log: string }) => void;
  reject: (error: Error) => void;
  label: string;
  log: string[];
}

const RESULT = '@@RESULT@@';
const ERROR = '@@ERROR@@';

/**
 * One long-lived `python_historical.py --serve` per process: importing feast costs seconds of CPU, so requests
 * go to the same Python one line each and are answered in order. Python exits when our stdin closes.
 */
class HarnessWorker {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly pending: Pending[] = [];
  private stdoutBuffer = '';
  private stderrTail = '';
  private closed = false;

  constructor(onClose: () => void) {
    this.child = spawn(feastPython, [harnessPy, '--serve'], {
      cwd: tmpdir(),
      env: { ...process.env, FEAST_USAGE: 'False', PYTHONUNBUFFERED: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // While idle, neither the process nor its pipes keep our process alive (see hold); it is killed if we exit.
    this.child.unref();
    for (const stream of [this.child.stdin, this.child.stdout, this.child.stderr]) {
      (stream as unknown as { unref?: () => void }).unref?.();
    }
    const kill = () => this.child.kill('SIGKILL');
    process.once('exit', kill);
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-20_000);
      this.pending[0]?.log.push(chunk);
    });
    this.child.on('error', (error) => this.fail(error.message));
    this.child.on('close', (code, signal) => {
      process.removeListener('exit', kill);
      this.fail(`Feast Python exited (${code ?? signal})`);
      onClose();
    });
  }

  /** Keeps our event loop alive while answers are awaited, and only then. */
  private hold(waiting: boolean): void {
    const stdout = this.child.stdout as unknown as { ref?: () => void; unref?: () => void };
    if (waiting) stdout.ref?.();
    else stdout.unref?.();
  }

  private onStdout(chunk: string): void {
    this.stdoutBuffer += chunk;
    let newline = this.stdoutBuffer.indexOf('\n');
    while (newline >= 0) {
      const line = this.stdoutBuffer.slice(0, newline);
      this.stdoutBuffer = this.stdoutBuffer.slice(newline + 1);
      this.onLine(line);
      newline = this.stdoutBuffer.indexOf('\n');
    }
  }

  private onLine(line: string): void {
    const head = this.pending[0];
    if (line.startsWith(RESULT) || line.startsWith(ERROR)) {
      if (!head) return;
      this.pending.shift();
      if (this.pending.length === 0) this.hold(false);
      const log = head.log.join('').trim();
      if (line.startsWith(RESULT)) {
        head.resolve({ answer: JSON.parse(line.slice(RESULT.length)) as HarnessAnswer, log });
      } else {
        const failure = JSON.parse(line.slice(ERROR.length)) as { error: string; traceback: string };
        head.reject(
          new Error(`Feast Python (${head.label}) failed: ${failure.error}\n${failure.traceback}\n${log}`),
        );
      }
    } else if (head && line.trim()) {
      head.log.push(`${line}\n`);
    }
  }

  private fail(reason: string): void {
    if (this.closed) return;
    this.closed = true;
    for (const waiting of this.pending.splice(0)) {
      waiting.reject(new Error(`${reason} during ${waiting.label}:\n${this.stderrTail}`));
    }
  }

  request(
    body: Record<string, unknown>,
    timeoutMs = 300_000,
  ): Promise<{ answer: HarnessAnswer; log: string }> {
    if (this.closed) return Promise.reject(new Error('Feast Python is not running'));
    return new Promise((resolvePromise, reject) => {
      const timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        reject(new Error(`Feast Python took longer than ${timeoutMs} ms (${String(body.mode)})`));
      }, timeoutMs);
      timer.unref();
      if (this.pending.length === 0) this.hold(true);
      this.pending.push({
        label: String(body.mode),
        log: [],
        resolve: (value) => {
          clearTimeout(timer);
          resolvePromise(value);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      });
      this.child.stdin.write(`${JSON.stringify(body)}\n`);
    });
  }
}

let worker: HarnessWorker | undefined;
let ioDir: string | undefined;
let ioCounter = 0;

async function callHarness(
  request: Record<string, unknown>,
  withOutput: boolean,
): Promise<Omit<FeastPythonResult, 'table'> & { table?: Table }> {
  requireVenv();
  if (!ioDir) {
    ioDir = mkdtempSync(join(tmpdir(), `${TEMP_PREFIX}io-${process.pid}-`));
    removeOnExit(ioDir);
  }
  const outputPath = join(ioDir, `result-${process.pid}-${++ioCounter}.arrow`);
  const current =
    worker ??
    new HarnessWorker(() => {
      if (worker === current) worker = undefined;
    });
  worker = current;
  try {
    const { answer, log } = await current.request(withOutput ? { ...request, output: outputPath } : request);
    const table = withOutput ? tableFromIPC(readFileSync(outputPath)) : undefined;
    return {
      rows: answer.rows ?? 0,
      columns: answer.columns ?? [],
      ...(answer.sql === undefined ? {} : { sql: answer.sql }),
      log,
      ...(table ? { table } : {}),
    };
  } finally {
    rmSync(outputPath, { force: true });
  }
}

function featureSelection(request: {
  features?: string[];
  featureService?: string;
}): Record<string, unknown> {
  if (request.featureService) return { feature_service: request.featureService };
  if (request.features) return { features: request.features };
  throw new Error('give features or featureService');
}

/** Feast Python's get_historical_features(...).to_arrow() for the request, with its metadata. */
export async function feastHistoricalResult(request: FeastHistoricalRequest): Promise<FeastPythonResult> {
  const body: Record<string, unknown> = {
    mode: 'historical',
    repo: request.repoPath,
    ...featureSelection(request),
    full_feature_names: request.fullFeatureNames ?? false,
    filter_by_created_timestamp: request.filterByCreatedTimestamp ?? false,
    with_sql: request.withSql ?? false,
  };
  if (request.entitySql !== undefined) body.entity_sql = request.entitySql;
  else if (request.entityRows !== undefined) {
    body.entity_df = {
      columns: encodeEntityColumns(request.entityRows, request.entityTypes, request.timestampTz ?? true),
    };
  }
  if (request.startDate) body.start_date = request.startDate.toISOString();
  if (request.endDate) body.end_date = request.endDate.toISOString();
  const result = await callHarness(body, true);
  return result as FeastPythonResult;
}

/** Feast Python's get_historical_features(...).to_arrow() for the request, as an Arrow JS table. */
export async function feastHistorical(request: FeastHistoricalRequest): Promise<Table> {
  return (await feastHistoricalResult(request)).table;
}

/** Feast Python's get_online_features(...).to_arrow() (entity rows encoded as for feastHistorical). */
export async function feastOnline(request: {
  repoPath: string;
  entityRows: Record<string, unknown[]>;
  entityTypes?: Record<string, EntityColumnType>;
  features?: string[];
  featureService?: string;
  fullFeatureNames?: boolean;
}): Promise<Table> {
  const result = await callHarness(
    {
      mode: 'online',
      repo: request.repoPath,
      ...featureSelection(request),
      full_feature_names: request.fullFeatureNames ?? false,
      entity_df: { columns: encodeEntityColumns(request.entityRows, request.entityTypes) },
    },
    true,
  );
  return result.table!;
}

/** Feast Python's store.materialize(start, end, views), or materialize_incremental(end, views) without start. */
export async function feastMaterialize(request: {
  repoPath: string;
  start?: Date;
  end: Date;
  views?: string[];
}): Promise<void> {
  await callHarness(
    {
      mode: 'materialize',
      repo: request.repoPath,
      ...(request.start ? { start: request.start.toISOString() } : { incremental: true }),
      end: request.end.toISOString(),
      views: request.views ?? null,
    },
    false,
  );
}

// ---------------------------------------------------------------- comparing

/** The rows of an Arrow table as plain objects (Arrow JS values: bigint for Int64, numbers for timestamps). */
export function tableRows(table: Table): Array<Record<string, unknown>> {
  return table.toArray().map((row) => ({ ...(row.toJSON() as Record<string, unknown>) }));
}

/** Nulls first; numbers and bigints by value (also against each other); anything else as text. */
function compareValues(a: unknown, b: unknown): number {
  const aNull = a === null || a === undefined;
  const bNull = b === null || b === undefined;
  if (aNull || bNull) return aNull === bNull ? 0 : aNull ? -1 : 1;
  const numeric = (v: unknown) => typeof v === 'number' || typeof v === 'bigint';
  if (numeric(a) && numeric(b))
    return (a as number) < (b as number) ? -1 : (a as number) > (b as number) ? 1 : 0;
  const ta = String(a);
  const tb = String(b);
  return ta < tb ? -1 : ta > tb ? 1 : 0;
}

const wholeRow = (row: Record<string, unknown>) =>
  JSON.stringify(row, (_, v) => (typeof v === 'bigint' ? `${v}n` : v));

/** Rows sorted by the given columns, then by the whole row (Feast returns rows in no particular order). */
export function sortRows<T extends Record<string, unknown>>(rows: T[], by: string[]): T[] {
  return [...rows].sort((a, b) => {
    for (const column of by) {
      const order = compareValues(a[column], b[column]);
      if (order !== 0) return order;
    }
    return compareValues(wholeRow(a), wholeRow(b));
  });
}
