// `new PrometheusClient({ url })`: typed reads of Prometheus's HTTP API v1 over core's HTTP client (retries,
// timeouts, auth, logging), with request and response types generated from openapi/prometheus.json. Queries,
// series and label names go as POST forms (long expressions and many matchers fit; idempotent, so retried like
// GET); label values are GET only (in 3.x too). Parameters newer than the server are refused before anything is
// sent (gated on its build info, fetched once and cached), since an older Prometheus silently ignores them.
import { type CallOptions, createHttpClient, type HttpClient } from '@mlops/core';
import { redactUrl, resolveConfig } from '@mlops/core/sdk';
import { metricsConfigSpec } from '../config';
import type { paths } from '../generated/prometheus';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { decodeGuarded, matrixFromText, queryResult } from './decode';
import { fromApiError, PrometheusArgumentError, PrometheusUnsupportedError } from './errors';
import type {
  LabelOptions,
  MetadataOptions,
  PrometheusCallOptions,
  PrometheusClientOptions,
  QueryOptions,
  RangeQueryOptions,
  RulesOptions,
  SelectOptions,
  TargetsOptions,
} from './options';
import {
  atLeast,
  countParam,
  durationParam,
  type GatedParameter,
  matchersParam,
  PARAMETER_SINCE,
  parseVersion,
  timeParam,
} from './params';
import {
  defined,
  durationMs,
  FORM_HEADERS,
  type Form,
  formBody,
  listing,
  RETRY_STATUSES,
  readText,
  signal,
} from './request';
import type * as T from './types';

/** `url` → PROMETHEUS_URL → http://127.0.0.1:9090; retries and attempt timeout as the rest of @mlops/metrics. */
export const prometheusConfigSpec = {
  url: metricsConfigSpec.prometheusUrl,
  maxRetries: metricsConfigSpec.maxRetries,
  attemptTimeoutMs: metricsConfigSpec.attemptTimeoutMs,
};

type Http = HttpClient<paths>;
/** The form of a range query, as the spec types it. */
type RangeForm =
  paths['/api/v1/query_range']['post']['requestBody']['content']['application/x-www-form-urlencoded'];
/** The URL as given, or with its userinfo (basic auth) shown as REDACTED when it has one. */
function withoutUserinfo(url: string): string {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(url) ? redactUrl(url) : url;
}

export class PrometheusClient {
  /** The resolved settings. */
  readonly config: { url: string; maxRetries: number; attemptTimeoutMs: number };
  /** The generated API (openapi/prometheus.json) over the same pipeline, for what the methods do not cover. */
  readonly raw: Http['raw'];
  readonly #http: Http;
  #build: Promise<{ info: T.BuildInfo; version: [number, number, number] | undefined }> | undefined;

  constructor(options: PrometheusClientOptions = {}) {
    const config = resolveConfig(prometheusConfigSpec, options, { service: PACKAGE_NAME });
    // What is shown carries no userinfo (basic auth in the URL); the HTTP client alone holds it.
    this.config = { ...config, url: withoutUserinfo(config.url) };
    this.#http = createHttpClient<paths>({
      service: 'prometheus',
      baseUrl: config.url,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      retry: { maxRetries: this.config.maxRetries, statuses: RETRY_STATUSES },
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.raw = this.#http.raw;
  }

  /** Evaluates `expr` at one time: a vector, scalar, string (or, for a range selector like `up[5m]`, a matrix). */
  async query(expr: string, options: QueryOptions = {}): Promise<T.QueryResult> {
    const body = await this.#queryForm('query', expr, options, {
      time: options.time === undefined ? undefined : timeParam('time', options.time),
    });
    const answer = await this.#call(() =>
      this.#http.post('/api/v1/query', { body, ...this.#plainForm(options), ...this.#deadline(options) }),
    );
    const context = { source: 'POST /api/v1/query' };
    return decodeGuarded(context, () => queryResult(answer, answer.data, context));
  }

  /** Evaluates `expr` from `start` to `end` every `step`: always a matrix, with `toArrow()`. */
  async queryRange(expr: string, options: RangeQueryOptions): Promise<T.MatrixResult> {
    const body = await this.#queryForm('query_range', expr, options, {
      start: timeParam('start', options.start),
      end: timeParam('end', options.end),
      step: durationParam('step', options.step),
    });
    // Streamed and read as text here: matrixFromText scans it without JSON.parse (bench/prometheus-query.mjs).
    const form: RangeForm = body;
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    const deadline = this.#deadline(options);
    const response = await this.#call(() =>
      this.#http.fetch('/api/v1/query_range', {
        method: 'POST',
        body: formBody(form),
        headers: FORM_HEADERS,
        idempotent: true,
        stream: true,
        signal,
        ...deadline,
      }),
    );
    const text = await readText(
      response,
      signal,
      controller,
      options.signal,
      deadline.attemptTimeoutMs ?? this.config.attemptTimeoutMs,
    );
    const context = { source: 'POST /api/v1/query_range' };
    return decodeGuarded(context, () => matrixFromText(text, context));
  }

  /** The label sets of the series `match` selects (one selector or several). */
  async series(match: string | string[], options: SelectOptions = {}): Promise<T.Listing<T.Labels[]>> {
    const body = { 'match[]': matchersParam('match', match), ...(await this.#select('series', options)) };
    return listing(
      await this.#call(() => this.#http.post('/api/v1/series', { body, ...this.#form(options) })),
    );
  }

  /** Label names, sorted; only those of the series `match` selects when given. */
  async labels(options: LabelOptions = {}): Promise<T.Listing<string[]>> {
    const match = options.match === undefined ? undefined : matchersParam('match', options.match);
    const body = { ...(match ? { 'match[]': match } : {}), ...(await this.#select('labels', options)) };
    return listing(
      await this.#call(() => this.#http.post('/api/v1/labels', { body, ...this.#form(options) })),
    );
  }

  /** The values of label `name`, sorted (a GET: Prometheus has no POST for it). */
  async labelValues(name: string, options: LabelOptions = {}): Promise<T.Listing<string[]>> {
    const match = options.match === undefined ? undefined : matchersParam('match', options.match);
    const query = {
      ...(match ? { 'match[]': match } : {}),
      ...(await this.#select('label_values', options)),
    };
    const answer = await this.#call(() =>
      this.#http.get('/api/v1/label/{name}/values', {
        params: {
          path: { name },
          query: { ...query, limit: query.limit === undefined ? undefined : Number(query.limit) },
        },
        ...signal(options),
      }),
    );
    return listing(answer);
  }

  /** Metric name → its metadata (type, help, unit) as the scraped targets expose it. */
  async metadata(options: MetadataOptions = {}): Promise<T.Listing<Record<string, T.MetricMetadata[]>>> {
    if (options.limitPerMetric !== undefined)
      await this.#require('metadata:limit_per_metric', 'limitPerMetric of metadata()');
    const query = defined({
      metric: options.metric,
      limit: options.limit === undefined ? undefined : Number(countParam('limit', options.limit, 0)),
      limit_per_metric:
        options.limitPerMetric === undefined
          ? undefined
          : Number(countParam('limitPerMetric', options.limitPerMetric, 0)),
    });
    return listing(
      await this.#call(() => this.#http.get('/api/v1/metadata', { params: { query }, ...signal(options) })),
    );
  }

  /** Scrape targets: active ones with their health, dropped ones with their discovered labels. */
  async targets(options: TargetsOptions = {}): Promise<T.TargetDiscovery> {
    const query = defined({ state: options.state, scrapePool: options.scrapePool });
    return (
      await this.#call(() => this.#http.get('/api/v1/targets', { params: { query }, ...signal(options) }))
    ).data;
  }

  /** Rule groups with their alerting and recording rules (discriminated by `type`). */
  async rules(options: RulesOptions = {}): Promise<T.RuleDiscovery> {
    const gated: [GatedParameter, string, unknown][] = [
      ['rules:rule_name[]', 'ruleName', options.ruleName],
      ['rules:rule_group[]', 'ruleGroup', options.ruleGroup],
      ['rules:file[]', 'file', options.file],
      ['rules:exclude_alerts', 'excludeAlerts', options.excludeAlerts],
      ['rules:match[]', 'match', options.match],
      ['rules:group_limit', 'groupLimit', options.groupLimit],
      ['rules:group_next_token', 'groupNextToken', options.groupNextToken],
    ];
    for (const [parameter, option, value] of gated)
      if (value !== undefined) await this.#require(parameter, `${option} of rules()`);
    const query = defined({
      type: options.type,
      'rule_name[]': options.ruleName,
      'rule_group[]': options.ruleGroup,
      'file[]': options.file,
      exclude_alerts: options.excludeAlerts,
      'match[]': options.match,
      group_limit:
        options.groupLimit === undefined
          ? undefined
          : Number(countParam('groupLimit', options.groupLimit, 1)),
      group_next_token: options.groupNextToken,
    });
    return (
      await this.#call(() => this.#http.get('/api/v1/rules', { params: { query }, ...signal(options) }))
    ).data;
  }

  /** The active (pending and firing) alerts. */
  async alerts(options: PrometheusCallOptions = {}): Promise<T.Alert[]> {
    return (await this.#call(() => this.#http.get('/api/v1/alerts', signal(options)))).data.alerts;
  }

  /** The server's version and build. Cached: the version gates use it; `refresh` asks again. */
  async buildInfo(options: PrometheusCallOptions & { refresh?: boolean } = {}): Promise<T.BuildInfo> {
    if (options.refresh || this.#build === undefined) {
      const build = this.#call(() => this.#http.get('/api/v1/status/buildinfo', signal(options))).then(
        ({ data }) => ({
          info: data,
          version: parseVersion(data.version),
        }),
      );
      this.#build = build;
      // A failure is not cached: the next call asks again.
      build.catch(() => {
        if (this.#build === build) this.#build = undefined;
      });
    }
    return (await this.#build).info;
  }

  /** The server's command-line flags, name → value. */
  async flags(options: PrometheusCallOptions = {}): Promise<Record<string, string>> {
    return (await this.#call(() => this.#http.get('/api/v1/status/flags', signal(options)))).data;
  }

  /** Refuses `parameter` when the server's version predates it. */
  async #require(parameter: GatedParameter, feature: string): Promise<void> {
    const info = await this.buildInfo();
    const { version } = await this.#build!;
    const since = PARAMETER_SINCE[parameter];
    if (version === undefined || !atLeast(version, since))
      throw new PrometheusUnsupportedError({
        feature,
        since,
        serverVersion: info.version,
        url: this.config.url,
      });
  }

  async #queryForm<F extends Form>(
    endpoint: 'query' | 'query_range',
    expr: string,
    options: QueryOptions | RangeQueryOptions,
    extra: F,
  ) {
    if (typeof expr !== 'string' || expr.trim() === '')
      throw new PrometheusArgumentError(
        'expr',
        'The PromQL expression is empty: pass one, e.g. rate(http_requests_total[5m]).',
      );
    if (options.limit !== undefined)
      await this.#require(`${endpoint}:limit`, `limit of ${endpoint === 'query' ? 'query' : 'queryRange'}()`);
    if (options.lookbackDelta !== undefined)
      await this.#require(
        `${endpoint}:lookback_delta`,
        `lookbackDelta of ${endpoint === 'query' ? 'query' : 'queryRange'}()`,
      );
    return defined({
      query: expr,
      ...extra,
      timeout: options.timeout === undefined ? undefined : durationParam('timeout', options.timeout),
      limit: options.limit === undefined ? undefined : Number(countParam('limit', options.limit, 0)),
      lookback_delta:
        options.lookbackDelta === undefined
          ? undefined
          : durationParam('lookbackDelta', options.lookbackDelta),
      stats: options.stats ? 'all' : undefined,
    });
  }

  async #select(endpoint: 'series' | 'labels' | 'label_values', options: SelectOptions) {
    if (options.limit !== undefined)
      await this.#require(
        `${endpoint}:limit`,
        `limit of ${endpoint === 'label_values' ? 'labelValues' : endpoint}()`,
      );
    return {
      start: options.start === undefined ? undefined : timeParam('start', options.start),
      end: options.end === undefined ? undefined : timeParam('end', options.end),
      limit: options.limit === undefined ? undefined : Number(countParam('limit', options.limit, 0)),
    };
  }

  /** A form of single values: core's own serializer takes it, on its fast path (no Request object). */
  #plainForm(options: PrometheusCallOptions) {
    return { headers: FORM_HEADERS, idempotent: true, ...signal(options) };
  }

  /** A form with repeated keys (`match[]`). */
  #form(options: PrometheusCallOptions) {
    return { headers: FORM_HEADERS, bodySerializer: formBody, idempotent: true, ...signal(options) };
  }

  /** A query's own timeout longer than the attempt deadline raises that deadline for this call. */
  #deadline(options: QueryOptions): CallOptions {
    if (options.timeout === undefined) return {};
    const ms = typeof options.timeout === 'number' ? options.timeout : durationMs(options.timeout);
    return ms + 5_000 > this.config.attemptTimeoutMs ? { attemptTimeoutMs: ms + 5_000 } : {};
  }

  /** Core's ApiError with Prometheus's error body becomes a PrometheusApiError carrying its errorType. */
  async #call<R>(send: () => Promise<R>): Promise<R> {
    try {
      return await send();
    } catch (error) {
      throw fromApiError(error);
    }
  }
}
