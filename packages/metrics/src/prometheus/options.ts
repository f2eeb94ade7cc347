// The options of PrometheusClient and of its methods. Times and durations: see params.ts.
import type { Logger } from '@mlops/core';
import type { PrometheusDuration, PrometheusTime } from './params';

export interface PrometheusClientOptions {
  /** Base URL of Prometheus (userinfo means basic auth). Default: PROMETHEUS_URL, then http://127.0.0.1:9090. */
  url?: string;
  /** Retries of a failed call (connection errors, 408/425/429/500/502/504). Default 2. */
  maxRetries?: number;
  /** Deadline of one attempt in ms (raised to the query's own `timeout` + 5 s when that is longer). Default 30 000. */
  attemptTimeoutMs?: number;
  fetch?: typeof fetch;
  logger?: Logger;
  headers?: Record<string, string>;
}

/** Per call: the caller's abort signal. */
export interface PrometheusCallOptions {
  signal?: AbortSignal;
}
export interface QueryOptions extends PrometheusCallOptions {
  /** Evaluation time; default: the server's now. */
  time?: PrometheusTime;
  /** Evaluation timeout, capped by the server's --query.timeout. */
  timeout?: PrometheusDuration;
  /** At most this many series (Prometheus 3.2+). */
  limit?: number;
  /** This query's lookback period instead of the server's (Prometheus 3.7+). */
  lookbackDelta?: PrometheusDuration;
  /** Ask for query statistics (`stats` on the result). */
  stats?: boolean;
}
export interface RangeQueryOptions extends Omit<QueryOptions, 'time'> {
  start: PrometheusTime;
  end: PrometheusTime;
  /** Resolution: milliseconds, or a duration such as `15s`. */
  step: PrometheusDuration;
}
export interface SelectOptions extends PrometheusCallOptions {
  start?: PrometheusTime;
  end?: PrometheusTime;
  /** At most this many items (Prometheus 2.51+); a truncated answer says so in `warnings` (3.x). */
  limit?: number;
}
export interface LabelOptions extends SelectOptions {
  /** Only labels of the series these selectors match. */
  match?: string | string[];
}
export interface MetadataOptions extends PrometheusCallOptions {
  metric?: string;
  limit?: number;
  /** Prometheus 2.46+. */
  limitPerMetric?: number;
}
export interface TargetsOptions extends PrometheusCallOptions {
  state?: 'active' | 'dropped' | 'any';
  scrapePool?: string;
}
export interface RulesOptions extends PrometheusCallOptions {
  type?: 'alert' | 'record';
  /** Prometheus 2.44+ (as are ruleGroup and file). */
  ruleName?: string[];
  ruleGroup?: string[];
  file?: string[];
  /** Prometheus 2.49+. */
  excludeAlerts?: boolean;
  /** Prometheus 3.0+ (as are groupLimit and groupNextToken). */
  match?: string[];
  groupLimit?: number;
  groupNextToken?: string;
}
