// What the caller passes, as Prometheus takes it: times as unix seconds with millisecond decimals (exact: we
// format integer milliseconds as text, no float arithmetic), durations as Prometheus duration strings, and the
// version gates of parameters newer than the pinned 2.42 (also marked x-prometheus-since in openapi/prometheus.json;
// a test checks the two agree).
import { PrometheusArgumentError } from './errors';

/** A time: a Date, milliseconds since the epoch, or a string Prometheus parses (RFC 3339, or unix seconds). */
export type PrometheusTime = Date | number | string;
/** A duration: milliseconds, or a Prometheus duration string such as `15s`, `1m30s`, `2h`. */
export type PrometheusDuration = number | string;

/** Integer milliseconds → "seconds.mmm" without going through float division. */
function msText(ms: number): string {
  const sign = ms < 0 ? '-' : '';
  const abs = Math.abs(ms);
  const whole = Math.floor(abs / 1000);
  const frac = abs - whole * 1000;
  return frac === 0
    ? `${sign}${whole}`
    : `${sign}${whole}.${String(frac).padStart(3, '0').replace(/0+$/, '')}`;
}

export function timeParam(name: string, value: PrometheusTime): string {
  if (typeof value === 'string') {
    if (value.trim() === '')
      throw new PrometheusArgumentError(
        name,
        `${name} is an empty string: pass a Date, milliseconds, or RFC 3339 text.`,
      );
    return value;
  }
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== 'number' || !Number.isInteger(ms))
    throw new PrometheusArgumentError(
      name,
      `${name} must be a valid Date or an integer number of milliseconds since the epoch (Prometheus keeps milliseconds), got ${String(value)}.`,
    );
  return msText(ms);
}

const DURATION = /^(\d+(ms|[smhdwy]))+$|^\d+(\.\d+)?$/;
export function durationParam(name: string, value: PrometheusDuration): string {
  if (typeof value === 'number') {
    if (!Number.isInteger(value) || value <= 0)
      throw new PrometheusArgumentError(
        name,
        `${name} must be a positive integer number of milliseconds, got ${value}.`,
      );
    return msText(value);
  }
  if (!DURATION.test(value))
    throw new PrometheusArgumentError(
      name,
      `${name} ${JSON.stringify(value)} is not a Prometheus duration: use e.g. "15s", "1m30s", "2h", or milliseconds as a number.`,
    );
  return value;
}

export function countParam(name: string, value: number, min: number): string {
  if (!Number.isInteger(value) || value < min)
    throw new PrometheusArgumentError(name, `${name} must be an integer ≥ ${min}, got ${value}.`);
  return String(value);
}

export function matchersParam(name: string, match: string | string[]): string[] {
  const list = typeof match === 'string' ? [match] : match;
  if (list.length === 0 || list.some((m) => typeof m !== 'string' || m.trim() === ''))
    throw new PrometheusArgumentError(
      name,
      `${name} needs at least one non-empty series selector, e.g. up{job="api"}.`,
    );
  return list;
}

/** Parameters newer than the pinned 2.42: the first version that has each (openapi/prometheus.json agrees). */
export const PARAMETER_SINCE = {
  'query:limit': '3.2.0',
  'query:lookback_delta': '3.7.0',
  'query_range:limit': '3.2.0',
  'query_range:lookback_delta': '3.7.0',
  'series:limit': '2.51.0',
  'labels:limit': '2.51.0',
  'label_values:limit': '2.51.0',
  'metadata:limit_per_metric': '2.46.0',
  'rules:rule_name[]': '2.44.0',
  'rules:rule_group[]': '2.44.0',
  'rules:file[]': '2.44.0',
  'rules:exclude_alerts': '2.49.0',
  'rules:match[]': '3.0.0',
  'rules:group_limit': '3.0.0',
  'rules:group_next_token': '3.0.0',
} as const;
export type GatedParameter = keyof typeof PARAMETER_SINCE;

/** `2.42.0+ds` → [2, 42, 0]; undefined when the text has no x.y.z. */
export function parseVersion(text: string): [number, number, number] | undefined {
  const match = /^v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return match ? [Number(match[1]), Number(match[2]), Number(match[3])] : undefined;
}

export function atLeast(version: [number, number, number], since: string): boolean {
  const wanted = parseVersion(since)!;
  for (let i = 0; i < 3; i++) if (version[i] !== wanted[i]) return version[i]! > wanted[i]!;
  return true;
}
