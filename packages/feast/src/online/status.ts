import type { FieldStatus } from './result';

/**
 * How statuses are reported.
 * - 'computed' (default): PRESENT; NULL_VALUE for a stored null; NOT_FOUND when the entity (or the feature)
 *   was never written; OUTSIDE_MAX_AGE when the value is older than the view's TTL (the value is still given).
 * - 'feast': exactly what Feast 0.67's Python SDK reports: PRESENT for everything read, with a 1970 timestamp
 *   for entities that are not there.
 */
export type StatusMode = 'computed' | 'feast';

/** What a backend found for one value: nothing written, a stored null, or a value. */
export type ValueState = 'missing' | 'null' | 'value';

/**
 * True when a value written at `eventMicros` (µs since the epoch) is older than a TTL of `ttlSeconds` at
 * `nowMicros` (0: no TTL). Compared in microseconds, as Feast keeps event times: 1 µs past the TTL is outside.
 */
export function isOutsideMaxAge(
  eventMicros: number | null | undefined,
  ttlSeconds: number,
  nowMicros: number,
): boolean {
  return (
    ttlSeconds > 0 &&
    eventMicros !== null &&
    eventMicros !== undefined &&
    nowMicros - eventMicros > ttlSeconds * 1_000_000
  );
}

/**
 * The status of one value, the same rule for both backends. In 'feast' mode, what the backend reports
 * (`reported`: Feast's own status, PRESENT for everything Redis returns). In 'computed' mode: NOT_FOUND for
 * a value never written, NULL_VALUE for a stored null, OUTSIDE_MAX_AGE for a value older than its view's
 * TTL, else what the backend reports.
 */
export function fieldStatus(
  state: ValueState,
  outsideMaxAge: boolean,
  mode: StatusMode,
  reported: FieldStatus = 'PRESENT',
): FieldStatus {
  if (mode === 'feast') return reported;
  if (state === 'missing') return 'NOT_FOUND';
  if (state === 'null') return 'NULL_VALUE';
  return outsideMaxAge ? 'OUTSIDE_MAX_AGE' : reported;
}
