// The one parser of points in time (src/codec/instant.ts): every accepted form to the microsecond, every refusal
// worded the same, and ISO strings read exactly as pandas reads them and PostgreSQL stores them (Feast Python's
// path: pd.to_datetime → datetime64[ns] → a timestamptz of microseconds).

import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { TimeUnit } from 'apache-arrow';
import { describe, expect, it } from 'vitest';
import {
  epochMicrosOf,
  epochMicrosOrProblem,
  microsToDate,
  microsToIso,
  microsToSecondsNanos,
  secondsNanosToMicros,
  type TemporalInstantLike,
} from '../../src/codec/instant';
import { toMicros } from '../../src/offline/entity-df';
import { feastPythonJson } from '../support/platform';

/** The real Temporal of V8 (Node 24 has it behind a flag; Deno and Bun have it on): a fresh context with it on. */
function temporal(): { Instant: { from(text: string): TemporalInstantLike } } {
  const existing = (globalThis as { Temporal?: unknown }).Temporal;
  if (existing) return existing as ReturnType<typeof temporal>;
  setFlagsFromString('--harmony-temporal');
  return runInNewContext('Temporal') as ReturnType<typeof temporal>;
}

const T = 1_767_268_800_000_000n; // 2026-01-01T12:00:00Z in µs
const ok = (value: unknown) => {
  const micros = epochMicrosOrProblem(value);
  if (typeof micros !== 'bigint') throw new Error(`refused: ${micros}`);
  return micros;
};

describe('epochMicrosOf: every accepted form, to the microsecond', () => {
  it.each([
    ['2026-01-01T12:00:00Z', T],
    ['2026-01-01T12:00:00.000001Z', T + 1n],
    ['2026-01-01T11:59:59.999999Z', T - 1n],
    ['2026-01-01T12:00:00.1Z', T + 100_000n],
    ['2026-01-01T12:00:00.123456789Z', T + 123_456n], // nanoseconds cut
    ['2026-01-01T12:00:00.000000999Z', T], // below a microsecond: cut
    ['2026-01-01 12:00:00.000001+00:00', T + 1n], // pandas' str() of a Timestamp
    ['2026-01-01T13:00:00.000001+01:00', T + 1n],
    ['2026-01-01T13:00:00.000001+0100', T + 1n],
    ['2026-01-01T13:00:00.000001+01', T + 1n],
    ['2026-01-01T06:30:00.000001-05:30', T + 1n],
    ['2026-01-01t12:00:00,000001z', T + 1n],
    ['2026-01-01T12:00Z', T],
    ['  2026-01-01T12:00:00.000001Z ', T + 1n],
    ['1969-12-31T23:59:59.999999Z', -1n],
    ['0001-01-01T00:00:00Z', -62_135_596_800_000_000n],
    ['+010000-01-01T00:00:00Z', 253_402_300_800_000_000n],
  ])('the string %s', (text, micros) => {
    expect(ok(text)).toBe(micros);
  });

  it('Dates (milliseconds), bigint µs and Temporal.Instant (nanoseconds floored)', () => {
    expect(ok(new Date('2026-01-01T12:00:00.001Z'))).toBe(T + 1000n);
    expect(ok(new Date(-1))).toBe(-1000n);
    expect(ok(T + 1n)).toBe(T + 1n);
    expect(ok(-1n)).toBe(-1n);
    const { Instant } = temporal();
    expect(ok(Instant.from('2026-01-01T12:00:00.000001999Z'))).toBe(T + 1n);
    // Before 1970 the nanoseconds are floored too (toward the past), as pandas → PostgreSQL does.
    expect(ok(Instant.from('1969-12-31T23:59:59.999999500Z'))).toBe(-1n);
    expect(ok({ epochNanoseconds: -1n })).toBe(-1n);
  });

  it('refuses what names no instant, each with what to give instead', () => {
    const hint =
      /give a Date, an ISO 8601 string with a zone .* a bigint of microseconds since the epoch, or a Temporal\.Instant/;
    const cases: Array<[unknown, RegExp]> = [
      ['2026-01-01T12:00:00.000001', /has no time zone, so it names no instant; add Z \(UTC\) or an offset/],
      ['2026-01-01 12:00:00', /has no time zone/],
      ['2026-01-01', /has no time zone/],
      ['Jan 1 2026 12:00 GMT', /is not an ISO 8601 date-time/],
      ['2026-02-30T00:00:00Z', /is not a valid date and time/],
      ['2026-01-01T24:00:00Z', /is not a valid date and time/],
      ['2026-01-01T12:00:60Z', /is not a valid date and time/],
      ['2026-01-01T12:00:00+25:00', /has an invalid UTC offset/],
      ['2026-01-01T12:00:00.1234567890Z', /has 10 fractional digits; at most 9/],
      [new Date(Number.NaN), /an invalid Date is not a time/],
      [
        1_767_268_800_000,
        /the number 1767268800000 is not a time: a number could be seconds or milliseconds/,
      ],
      [null, /null is not a time/],
      [{ seconds: 1n }, /an object is not a time/],
      [10n ** 19n, /beyond the range of times/],
    ];
    for (const [value, reason] of cases) {
      const problem = epochMicrosOrProblem(value);
      expect(problem, String(value)).toMatch(reason);
      expect(problem, String(value)).toMatch(hint);
    }
    expect(() =>
      epochMicrosOf('2026-01-01T00:00:00', (p) => {
        throw new RangeError(`start: ${p}`);
      }),
    ).toThrow(/^start: the string "2026-01-01T00:00:00" has no time zone/);
  });
});

describe('Arrow timestamps of any unit to µs', () => {
  it('floors nanoseconds, also before 1970 (where integer division would round toward zero)', () => {
    expect(toMicros(1_500n, TimeUnit.NANOSECOND)).toBe(1n);
    expect(toMicros(-1_500n, TimeUnit.NANOSECOND)).toBe(-2n);
    expect(toMicros(-1_000n, TimeUnit.NANOSECOND)).toBe(-1n);
    expect(toMicros(-1n, TimeUnit.MILLISECOND)).toBe(-1000n);
    expect(toMicros(2n, TimeUnit.SECOND)).toBe(2_000_000n);
  });
});

describe('back out of microseconds', () => {
  it.each([
    [T + 1n, '2026-01-01T12:00:00.000001Z', 1_767_268_800_000, 1_767_268_800n, 1000],
    [T - 1n, '2026-01-01T11:59:59.999999Z', 1_767_268_799_999, 1_767_268_799n, 999_999_000],
    [-1n, '1969-12-31T23:59:59.999999Z', -1, -1n, 999_999_000],
    [0n, '1970-01-01T00:00:00.000000Z', 0, 0n, 0],
  ])('%i µs', (micros, iso, ms, seconds, nanos) => {
    expect(microsToIso(micros)).toBe(iso);
    expect(ok(microsToIso(micros))).toBe(micros);
    expect(microsToDate(micros).getTime()).toBe(ms);
    expect(microsToSecondsNanos(micros)).toEqual({ seconds, nanos });
    expect(secondsNanosToMicros(seconds, nanos)).toBe(micros);
  });
});

describe('ISO strings read as pandas reads them and PostgreSQL keeps them', { timeout: 120_000 }, () => {
  it('the same microsecond for every string of a corpus', () => {
    const corpus = [
      '2026-01-01T12:00:00Z',
      '2026-01-01T12:00:00.000001Z',
      '2026-01-01T11:59:59.999999Z',
      '2026-01-01T12:00:00.123456789Z',
      '2026-01-01T12:00:00.999999999Z',
      '2026-01-01T12:00:00.5Z',
      '2026-01-01 12:00:00.000001+00:00',
      '2026-01-01T13:00:00.000001+01:00',
      '2026-01-01T06:30:00.000001-05:30',
      '2024-02-29T23:59:59.999999+14:00',
      '1969-12-31T23:59:59.999999Z',
      '1969-12-31T23:59:59.999999500Z',
      '1900-03-01T00:00:00.000001Z',
    ];
    // What Feast Python does with an entity frame's timestamps: pandas to ns, then PostgreSQL (psycopg sends
    // datetimes, whose microsecond field pandas fills by flooring the nanoseconds).
    const python = feastPythonJson<string[]>(
      `
import json, sys
import pandas as pd
out = []
for text in json.loads(sys.argv[1]):
    ts = pd.Timestamp(text)
    dt = ts.to_pydatetime(warn=False)
    epoch = pd.Timestamp("1970-01-01", tz="UTC").to_pydatetime()
    delta = dt - epoch
    out.append(str((delta.days * 86400 + delta.seconds) * 1000000 + delta.microseconds))
print(json.dumps(out))
`,
      corpus,
    );
    expect(corpus.map((text) => ok(text).toString())).toEqual(python);
  });
});
