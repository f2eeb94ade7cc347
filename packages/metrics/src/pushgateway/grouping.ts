import type { PrometheusContentType, Registry } from 'prom-client';
import { checkLabelName, MetricsInputError } from '../serving/errors';

/** The grouping key of a push beside `job`: label name → value (e.g. `{ instance: 'train-1' }`). */
export type Groupings = Readonly<Record<string, string>>;

/** A registry whose `metrics()` is the Prometheus text format (prom-client's default; not OpenMetrics). */
export type PushRegistry = Pick<Registry<PrometheusContentType>, 'metrics' | 'contentType'>;

/** Where a push goes: the job and the rest of the grouping key. */
export interface PushTarget {
  /** The `job` label of the pushed series (any non-empty string). */
  job: string;
  /** More labels of the grouping key (`instance`, `dag_id`, ...); values may be empty or hold `/`. */
  groupings?: Groupings;
}

/**
 * A value that survives the Pushgateway's router as a plain path segment: the router splits the decoded
 * path on `/`, an empty segment cannot be matched, and `.`/`..` are removed by URL normalisation (in fetch,
 * before sending). Everything else goes as `@base64`.
 */
const PLAIN = /^[A-Za-z0-9_:~-][A-Za-z0-9_.:~-]*$/;

/**
 * The path of a grouping key: `/metrics/job/<job>{/<label>/<value>}`. A value that is empty, holds a `/`
 * or anything outside `[A-Za-z0-9_.:~-]` (or is `.`/`..`) is sent as `<label>@base64/<URL-safe base64>`,
 * which the Pushgateway has decoded since 0.9 (`=` for the empty value, padding optional: 1.5.1's
 * `handler/push.go` trims it). So every grouping key can be addressed, whatever its values.
 */
export function groupingPath(job: string, groupings: Groupings = {}): string {
  if (typeof job !== 'string' || job === '')
    throw new MetricsInputError(
      'job',
      'job: the Pushgateway needs a non-empty job name (it answers 400 "job name is required" otherwise). Pass e.g. { job: "nightly_training" }.',
    );
  let path = `/metrics/${segment('job', job)}`;
  for (const [name, value] of Object.entries(groupings)) {
    checkLabelName(name, `groupings.${name}`);
    if (name === 'job')
      throw new MetricsInputError(
        'groupings.job',
        'groupings.job: the job is part of every grouping key already; pass it as `job`, not among the groupings.',
      );
    if (typeof value !== 'string')
      throw new MetricsInputError(
        `groupings.${name}`,
        `groupings.${name}: a grouping value must be a string, got ${typeof value}. Convert it with String(value).`,
      );
    path += `/${segment(name, value)}`;
  }
  return path;
}

/** A UTF-16 surrogate not in a pair: text with no UTF-8 form (TextEncoder would send U+FFFD in its place). */
const LONE_SURROGATE = /\p{Surrogate}/u;

function segment(name: string, value: string): string {
  if (PLAIN.test(value)) return `${name}/${value}`;
  if (LONE_SURROGATE.test(value))
    throw new MetricsInputError(
      name,
      `${name}: the value holds a lone UTF-16 surrogate, which has no UTF-8 form: the Pushgateway would store U+FFFD in its place, another grouping key. Pass well-formed text.`,
    );
  return `${name}@base64/${base64Url(value)}`;
}

/** RFC 4648 §5 base64 (URL- and filename-safe alphabet) of the UTF-8 bytes, `=` for the empty string. */
export function base64Url(value: string): string {
  if (value === '') return '=';
  const bytes = new TextEncoder().encode(value);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replaceAll('+', '-').replaceAll('/', '_').replace(/=+$/, '');
}
