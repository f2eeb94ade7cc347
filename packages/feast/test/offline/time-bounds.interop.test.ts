// Materialization bounds and the registry's intervals keep their microseconds: pullLatest/materialize take any
// TimeInput and cut [start, end] at the microsecond; a recorded interval keeps Feast's microseconds; the
// incremental start is the exact end Feast (or we) recorded. Bad bounds get the parser's one wording.
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create, fromBinary } from '@bufbuild/protobuf';
import type { Table } from 'apache-arrow';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidFeatureRequestError } from '../../src/errors';
import { FeatureStore } from '../../src/feature-store';
import { FeatureViewSchema } from '../../src/generated/proto/feast/core/FeatureView_pb';
import { RegistrySchema } from '../../src/generated/proto/feast/core/Registry_pb';
import {
  FileMaterializationRecorder,
  incrementalStartMicros,
  recordedIntervalsMicros,
} from '../../src/registry/materialization-intervals';
import { type FeatureView, featureViewFromProto } from '../../src/registry/model';
import { feastRepo, root } from '../support/platform';
import { rejection } from '../support/rejection';
import { edgeEntityTimestamp, isoMicros, micros, setupOfflineRepo } from './support';

const E = micros(edgeEntityTimestamp);

function tripsOf(table: Table, driver: number): unknown {
  const ids = table.getChild('driver_id')!;
  const trips = table.getChild('trips')!;
  for (let i = 0; i < table.numRows; i++) if (ids.get(i) === BigInt(driver)) return trips.get(i);
  return undefined;
}

describe('pullLatest cuts [start, end] at the microsecond', { timeout: 180_000 }, () => {
  let store: FeatureStore;
  beforeAll(async () => {
    store = new FeatureStore({ repoPath: (await setupOfflineRepo()).repoPath });
  }, 600_000);
  afterAll(() => store?.close());

  // off_driver_stats, driver 2: rows at E − 1 h (trips 100), E (2^53 + 1) and E + 1 µs (300).
  it.each([
    ['ISO strings', isoMicros(E - 3_600_000_000n), isoMicros(E), isoMicros(E + 1n)],
    ['bigint µs', E - 3_600_000_000n, E, E + 1n],
    [
      'ISO strings with an offset',
      '2026-02-01T12:00:00+01:00',
      '2026-02-01T13:00:00.000000+01:00',
      '2026-02-01T13:00:00.000001+01:00',
    ],
  ])('%s', async (_form, start, endAtE, endAfter) => {
    const atE = await store.pullLatest({ featureView: 'driver_stats', start, end: endAtE });
    expect(tripsOf(atE, 2)).toBe(9_007_199_254_740_993n);
    const after = await store.pullLatest({ featureView: 'driver_stats', start, end: endAfter });
    expect(tripsOf(after, 2)).toBe(300n);
    // start is inclusive to the µs as well: from E + 1 µs only the last row is left.
    const from = await store.pullLatest({ featureView: 'driver_stats', start: endAfter, end: endAfter });
    expect(tripsOf(from, 2)).toBe(300n);
  });

  it('bad bounds: the same words as everywhere else, before any query', async () => {
    const noZone = await rejection(
      store.pullLatest({ featureView: 'driver_stats', start: '2026-02-01T11:00:00', end: E }),
    );
    expect(InvalidFeatureRequestError.isInstance(noZone)).toBe(true);
    expect(noZone.message).toMatch(/^start: the string "2026-02-01T11:00:00" has no time zone/);
    const reversed = await rejection(
      store.pullLatest({ featureView: 'driver_stats', start: E + 1n, end: E }),
    );
    expect(reversed.message).toBe(
      'start (2026-02-01T12:00:00.000001Z) is after end (2026-02-01T12:00:00.000000Z); nothing can be materialized.',
    );
    const number = await rejection(
      store.materialize({ start: 0 as never, end: E, featureViews: ['driver_stats'] }),
    );
    expect(number.message).toMatch(
      /^start: the number 0 is not a time: a number could be seconds or milliseconds/,
    );
  });
});

describe('materialization intervals keep their microseconds', { timeout: 120_000 }, () => {
  it('recorded from any TimeInput, read back to the microsecond', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mlops-feast-us-'));
    const path = join(dir, 'registry.db');
    copyFileSync(join(root, 'platform/.state/data/feast/registry.db'), path);
    const recorder = new FileMaterializationRecorder(path);
    await recorder.record('mlops_demo', 'driver_hourly_stats', {
      start: '2026-01-01T00:00:00.000001Z',
      end: 1_767_225_600_000_002n,
    });
    const proto = fromBinary(RegistrySchema, new Uint8Array(readFileSync(path)));
    const intervals = recordedIntervalsMicros(proto, 'mlops_demo', 'driver_hourly_stats');
    expect(intervals.at(-1)).toEqual({ start: 1_767_225_600_000_001n, end: 1_767_225_600_000_002n });
    // The stored Timestamp holds the µs as nanos, as Feast writes them.
    const view = proto.featureViews.find((v) => v.spec?.name === 'driver_hourly_stats')!;
    expect(view.meta!.materializationIntervals.at(-1)!.endTime).toMatchObject({ nanos: 2000 });
    expect(feastRepo).toContain('platform/feast');
  });

  it('the incremental start is the exact latest end, or now − TTL to the µs', () => {
    const view = (ttlSeconds: number) =>
      ({ ...featureViewFromProto(create(FeatureViewSchema)), name: 'v', ttlSeconds }) as FeatureView;
    const now = 1_767_225_600_000_001n;
    expect(
      incrementalStartMicros(
        view(60),
        [
          { start: 0n, end: now - 5n },
          { start: 0n, end: now - 3n },
          { start: 0n, end: now - 9n },
        ],
        now,
        now,
      ),
    ).toBe(now - 3n);
    expect(incrementalStartMicros(view(60), [], now, now)).toBe(now - 60_000_000n);
    expect(incrementalStartMicros(view(0), [], now, now)).toBe(now - 52n * 7n * 86_400_000_000n);
  });
});
