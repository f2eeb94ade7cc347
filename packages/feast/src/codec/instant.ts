/**
 * Points in time, the one way every path of this package reads them (entity frames, online writes, push rows,
 * materialization bounds, the `now` of TTL checks), so a time keeps its microseconds whatever form it comes in
 * and the same mistake gets the same words everywhere. Feast keeps microseconds (Python datetimes, PostgreSQL
 * timestamps); a JavaScript Date holds milliseconds, so an ISO string is never read through `Date.parse`
 * (which cuts it to the millisecond) but by the parser below.
 *
 * Accepted, as `TimeInput`:
 * - a `Date` (milliseconds, by nature);
 * - an ISO 8601 string with a zone (`Z` or `±hh:mm`, `±hhmm`, `±hh`), `T` or a space between date and time,
 *   up to 9 fractional digits: kept to the microsecond, finer digits cut (floored), as pandas → PostgreSQL
 *   does with Feast's nanosecond timestamps. A string without a zone is refused: it names no instant;
 * - a `bigint` of microseconds since the epoch (what PostgreSQL and Arrow `timestamp[us]` hold);
 * - a `Temporal.Instant` (or anything with a bigint `epochNanoseconds`, e.g. a `Temporal.ZonedDateTime`), where
 *   the runtime has Temporal: nanoseconds floored to the microsecond.
 * A `number` is refused: seconds or milliseconds, it cannot say which.
 */
import { describeValue, MAX_DATE_MS } from './rules';

/** A Temporal.Instant, structurally: what this package reads of one. */
export interface TemporalInstantLike {
  /** Nanoseconds since the epoch. */
  readonly epochNanoseconds: bigint;
}

/**
 * A point in time: a Date, an ISO 8601 string with a zone (up to 9 fractional digits, kept to the µs), a bigint
 * of microseconds since the epoch, or a Temporal.Instant.
 */
export type TimeInput = Date | string | bigint | TemporalInstantLike;

const ISO =
  /^([+-]\d{6}|\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)$/;
/** Just a date, or a date and time without a zone: what the refusal should say. */
const NO_ZONE = /^([+-]\d{6}|\d{4})-\d{2}-\d{2}(?:[Tt ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?$/;

const US_PER_MS = 1000n;
const US_PER_SECOND = 1_000_000n;
const NS_PER_US = 1000n;
/** The µs of the largest Date: every time taken can be written as ISO 8601 and as a Date. */
const MAX_MICROS = BigInt(MAX_DATE_MS) * US_PER_MS;

/** What to pass instead, said once for every refusal. */
export const TIME_INPUT_HINT =
  'give a Date, an ISO 8601 string with a zone (Z or ±hh:mm; up to 9 fractional digits, kept to the microsecond), a bigint of microseconds since the epoch, or a Temporal.Instant';

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b;
  return a % b !== 0n && a < 0n !== b < 0n ? q - 1n : q;
}

function isInstantLike(value: unknown): value is TemporalInstantLike {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { epochNanoseconds?: unknown }).epochNanoseconds === 'bigint'
  );
}

/** Microseconds since the epoch of an ISO 8601 string, or why it is not one. */
function parseIso(text: string): bigint | string {
  const trimmed = text.trim();
  const m = ISO.exec(trimmed);
  if (!m) {
    if (NO_ZONE.test(trimmed)) {
      return `${describeValue(text)} has no time zone, so it names no instant; add Z (UTC) or an offset such as +02:00`;
    }
    return `${describeValue(text)} is not an ISO 8601 date-time`;
  }
  const [, y, mo, d, h, mi, s, fraction, zulu, sign, oh, om] = m;
  if (fraction !== undefined && fraction.length > 9) {
    return `${describeValue(text)} has ${fraction.length} fractional digits; at most 9 (nanoseconds) are read`;
  }
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s ?? 0);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  if (
    Number.isNaN(date.getTime()) ||
    date.getUTCFullYear() !== year ||
    date.getUTCMonth() !== month - 1 ||
    date.getUTCDate() !== day ||
    hour > 23 ||
    minute > 59 ||
    second > 59
  ) {
    return `${describeValue(text)} is not a valid date and time`;
  }
  let offsetMinutes = 0;
  if (zulu === undefined) {
    const hours = Number(oh);
    const minutes = Number(om ?? 0);
    if (hours > 23 || minutes > 59) return `${describeValue(text)} has an invalid UTC offset`;
    offsetMinutes = (sign === '-' ? -1 : 1) * (hours * 60 + minutes);
  }
  // Finer than microseconds: cut, as pandas → PostgreSQL does (the fraction is positive, so cutting floors).
  const micros = fraction === undefined ? 0n : BigInt(fraction.slice(0, 6).padEnd(6, '0'));
  return BigInt(date.getTime()) * US_PER_MS + micros - BigInt(offsetMinutes) * 60n * US_PER_SECOND;
}

/**
 * Microseconds since the epoch of a time, or why `value` is not one (worded to follow "<where>: ").
 * Never throws.
 */
export function epochMicrosOrProblem(value: unknown): bigint | string {
  if (typeof value === 'bigint') {
    return value >= -MAX_MICROS && value <= MAX_MICROS
      ? value
      : `${describeValue(value)} µs since the epoch is beyond the range of times (±8.64e18 µs, ±275 760 years); ${TIME_INPUT_HINT}`;
  }
  if (value instanceof Date) {
    const ms = value.getTime();
    return Number.isNaN(ms) ? `an invalid Date is not a time; ${TIME_INPUT_HINT}` : BigInt(ms) * US_PER_MS;
  }
  if (typeof value === 'string') {
    const parsed = parseIso(value);
    return typeof parsed === 'bigint' ? parsed : `${parsed}; ${TIME_INPUT_HINT}`;
  }
  if (isInstantLike(value)) return epochMicrosOrProblem(floorDiv(value.epochNanoseconds, NS_PER_US));
  if (typeof value === 'number') {
    return `${describeValue(value)} is not a time: a number could be seconds or milliseconds; ${TIME_INPUT_HINT}`;
  }
  return `${describeValue(value)} is not a time; ${TIME_INPUT_HINT}`;
}

/** Microseconds since the epoch of a time; else `fail(problem)` (the caller adds where and its error class). */
export function epochMicrosOf(value: unknown, fail: (problem: string) => never): bigint {
  const micros = epochMicrosOrProblem(value);
  return typeof micros === 'bigint' ? micros : fail(micros);
}

/** The Date of µs since the epoch, floored to the millisecond (a Date holds no more). */
export function microsToDate(micros: bigint): Date {
  return new Date(Number(floorDiv(micros, US_PER_MS)));
}

/**
 * µs since the epoch as ISO 8601 with six fractional digits, `2026-01-01T12:00:00.000001Z`: what Python,
 * pandas and PostgreSQL read back as the same microsecond.
 */
export function microsToIso(micros: bigint): string {
  const ms = floorDiv(micros, US_PER_MS);
  const rest = micros - ms * US_PER_MS;
  const iso = new Date(Number(ms)).toISOString(); // ...ss.mmmZ
  return `${iso.slice(0, -1)}${rest.toString().padStart(3, '0')}Z`;
}

/** Seconds and nanos (a google.protobuf.Timestamp) of µs since the epoch. */
export function microsToSecondsNanos(micros: bigint): { seconds: bigint; nanos: number } {
  const seconds = floorDiv(micros, US_PER_SECOND);
  return { seconds, nanos: Number(micros - seconds * US_PER_SECOND) * 1000 };
}

/** µs since the epoch of seconds and nanos (nanoseconds below the microsecond floored). */
export function secondsNanosToMicros(seconds: bigint, nanos: number): bigint {
  return seconds * US_PER_SECOND + BigInt(Math.floor(nanos / 1000));
}
