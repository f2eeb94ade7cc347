import {
  AirflowClient,
  type AirflowClientOptions,
  type AirflowConfig,
  resolveAirflowConfig,
} from '@mlops/airflow';
import { type Logger, MlopsError } from '@mlops/core';
import { configField, REDACTED, redactUrl, resolveConfig } from '@mlops/core/sdk';
import { FeatureStore, type FeatureStoreOptions } from '@mlops/feast';
import { type FeastConfig, resolveFeastConfig } from '@mlops/feast/registry';
import {
  LogShipper,
  type LogShipperOptions,
  type MetricsConfig,
  type MetricsOptions,
  PrometheusClient,
  Pushgateway,
  type PushgatewayOptions,
  resolveMetricsConfig,
} from '@mlops/metrics';
import {
  MlflowClient,
  type MlflowClientOptions,
  type MlflowConfig,
  resolveMlflowConfig,
} from '@mlops/mlflow';
import { type DoctorOptions, type DoctorReport, runDoctor } from './doctor';
import { PACKAGE_NAME } from './version';

/** What every component client shares: injected into each namespace unless that namespace sets its own. */
export interface GlobalOptions {
  /** The fetch every HTTP client uses (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Headers sent with every HTTP request of every component (a namespace's own headers win per name). */
  headers?: Record<string, string>;
  /** Where every client logs requests, retries and failures. Off by default. */
  logger?: Logger;
  /**
   * Retries of every client's failed idempotent calls (5xx, 429, connection errors): `{ maxRetries }`, or
   * `false` for none. A namespace's own `maxRetries` wins; this wins over the components' environment
   * variables. (The clients take a retry count only: backoff delays and statuses are each client's own.)
   */
  retry?: { maxRetries?: number } | false;
  /** Deadlines: `attemptMs`, the deadline of one HTTP attempt of every client (a namespace's own wins). */
  timeouts?: { attemptMs?: number };
  /**
   * Aborting it ends every HTTP request of every client at once with an AbortError (it is combined with
   * each call's own signal), and every workflow run on this platform. Feast's own Redis and PostgreSQL
   * connections take a signal per call only (pass `signal` to the call).
   */
  signal?: AbortSignal;
}

/** `logs`: where `platform.logs` ships ECS log lines (an Elasticsearch data stream). */
export interface LogsOptions extends Omit<LogShipperOptions, 'dataStream'> {
  /**
   * The data stream, `logs-<dataset>-<namespace>`. Default `MLOPS_LOG_DATA_STREAM`, else `logs-mlops-default`
   * (Elasticsearch's built-in `logs-*-*` template makes it a data stream).
   */
  dataStream?: string;
}

/** One options object: `global`, then a namespace per component (each resolves option → its env vars → default). */
export interface PlatformOptions {
  global?: GlobalOptions;
  feast?: FeatureStoreOptions;
  mlflow?: MlflowClientOptions;
  airflow?: AirflowClientOptions;
  /** Prometheus (`platform.prometheus`) and the monitoring URLs the other namespaces default to. */
  metrics?: MetricsOptions;
  /** `platform.pushgateway`; its `url` defaults to `metrics.pushgatewayUrl`, `PUSHGATEWAY_URL`, :9091. */
  pushgateway?: PushgatewayOptions;
  /** `platform.logs`; its `elasticsearchUrl` defaults to `metrics.elasticsearchUrl`, `ELASTICSEARCH_URL`, :9200. */
  logs?: LogsOptions;
}

/** Where `platform.pushgateway` pushes. */
export interface PushgatewayConfig {
  readonly url: string;
  readonly maxRetries: number;
  readonly attemptTimeoutMs: number;
}

/** Where `platform.logs` ships (the API key is never part of it). */
export interface LogsConfig {
  readonly elasticsearchUrl: string;
  /** False when the URL is the local platform's default (no option, no `ELASTICSEARCH_URL`). */
  readonly configured: boolean;
  readonly dataStream: string;
  readonly attemptTimeoutMs: number;
}

/** The settings of every component, resolved once and validated when the platform is created. */
export interface PlatformConfig {
  readonly feast: FeastConfig;
  readonly mlflow: MlflowConfig;
  readonly airflow: AirflowConfig;
  readonly metrics: MetricsConfig;
  readonly pushgateway: PushgatewayConfig;
  readonly logs: LogsConfig;
}

/**
 * The whole platform from one place. Component clients are created on first use and closed together by
 * `close()` (or `await using`).
 */
export interface Platform extends AsyncDisposable {
  readonly config: PlatformConfig;
  /** `global.signal`: the workflows run on this platform end when it aborts. */
  readonly signal: AbortSignal | undefined;
  /** Feast's `FeatureStore` (created on first use). */
  readonly feast: FeatureStore;
  /** MLflow's tracking, registry and artifacts client (created on first use). */
  readonly mlflow: MlflowClient;
  /** Airflow 3's public API: DAGs, runs, logs, assets (created on first use). */
  readonly airflow: AirflowClient;
  /** Prometheus queries with typed results, at `metrics.prometheusUrl` (created on first use). */
  readonly prometheus: PrometheusClient;
  /** Pushes prom-client registries from batch jobs (created on first use). */
  readonly pushgateway: Pushgateway;
  /**
   * Ships ECS log lines into the Elasticsearch data stream `config.logs.dataStream`: a pino destination, e.g.
   * `createEcsLogger({ service: { name: 'churn-api' }, destination: platform.logs })` (created on first use;
   * `close()` ships what is pending).
   */
  readonly logs: LogShipper;
  /** Reaches every component and says, for each that fails, what to fix. Never throws for a component's failure. */
  doctor(options?: DoctorOptions): Promise<DoctorReport>;
  /**
   * Closes every client that was opened (connections, pools, timers), after the log shipper has shipped
   * what is pending (a LogShipperError, after the others are closed, when it could not). Safe to call twice.
   */
  close(): Promise<void>;
}

function mergeHeaders(
  global: Record<string, string> | undefined,
  own: Record<string, string> | undefined,
): Record<string, string> | undefined {
  return global || own ? { ...global, ...own } : undefined;
}

const logsConfigSpec = {
  dataStream: configField.string({ env: ['MLOPS_LOG_DATA_STREAM'], default: 'logs-mlops-default' }),
};
/** The local platform's Elasticsearch (8.x), used when nothing else is configured. */
export const LOCAL_ELASTICSEARCH_URL = 'http://127.0.0.1:9200';

/**
 * `global.fetch` (or the fetch of the moment) with `global.signal` combined into every request's own signal:
 * when the global signal aborts, the request ends with an AbortError, which every client reports as its
 * AbortError and never retries.
 */
function fetchWithSignal(base: typeof fetch | undefined, signal: AbortSignal): typeof fetch {
  return async (input, init) => {
    if (signal.aborted) throw new DOMException('global.signal of the platform was aborted', 'AbortError');
    const own = init?.signal ?? (input instanceof Request ? input.signal : undefined);
    const combined = own ? AbortSignal.any([own, signal]) : signal;
    try {
      return await (base ?? globalThis.fetch)(input, { ...init, signal: combined });
    } catch (error) {
      if (signal.aborted && !own?.aborted)
        throw new DOMException('global.signal of the platform was aborted', 'AbortError');
      throw error;
    }
  };
}

/**
 * Resolves and validates every component's settings at once (a bad environment fails here, naming the
 * variable), and gives lazily created clients that share `global`'s fetch, headers, logger, retry count,
 * attempt deadline and signal.
 */
/**
 * The config as it is (the clients and the doctor use it), printed (JSON, console.log, util.inspect) as `shown`
 * makes it: without passwords, tokens, API keys or userinfo in URLs.
 */
function shownRedacted<T extends object>(config: T, shown: (config: T) => Record<string, unknown>): T {
  const show = () => shown(config);
  Object.defineProperty(config, 'toJSON', { value: show, enumerable: false });
  Object.defineProperty(config, Symbol.for('nodejs.util.inspect.custom'), { value: show, enumerable: false });
  return config;
}

export function createPlatform(options: PlatformOptions = {}): Platform {
  const global = options.global ?? {};
  const globalFetch = global.signal ? fetchWithSignal(global.fetch, global.signal) : global.fetch;
  // What global gives every client that takes it; a namespace's own options are spread over it.
  const retries =
    global.retry === false
      ? { maxRetries: 0 }
      : global.retry?.maxRetries !== undefined
        ? { maxRetries: global.retry.maxRetries }
        : {};
  const attempt =
    global.timeouts?.attemptMs !== undefined ? { attemptTimeoutMs: global.timeouts.attemptMs } : {};
  const injected = {
    ...(globalFetch ? { fetch: globalFetch } : {}),
    ...(global.logger ? { logger: global.logger } : {}),
  };
  const withGlobal = <T extends { headers?: Record<string, string> }>(own: T | undefined) => {
    const headers = mergeHeaders(global.headers, own?.headers);
    return { ...injected, ...retries, ...attempt, ...own, ...(headers ? { headers } : {}) };
  };

  const feastOptions: FeatureStoreOptions = {
    ...(globalFetch ? { fetch: globalFetch } : {}),
    ...retries,
    ...attempt,
    ...options.feast,
  };
  const mlflowOptions = withGlobal(options.mlflow);
  const airflowOptions = withGlobal(options.airflow);
  const metrics = resolveMetricsConfig({ ...retries, ...attempt, ...options.metrics });
  const ownPush = options.pushgateway ?? {};
  const pushgatewayConfig: PushgatewayConfig = Object.freeze({
    url: resolveMetricsConfig({ pushgatewayUrl: ownPush.url ?? metrics.pushgatewayUrl }).pushgatewayUrl,
    maxRetries: ownPush.maxRetries ?? metrics.maxRetries,
    attemptTimeoutMs: ownPush.attemptTimeoutMs ?? metrics.attemptTimeoutMs,
  });
  const ownLogs = options.logs ?? {};
  const logsUrl = resolveMetricsConfig({
    elasticsearchUrl: ownLogs.elasticsearchUrl ?? metrics.elasticsearchUrl,
  }).elasticsearchUrl;
  const logsConfig: LogsConfig = Object.freeze({
    elasticsearchUrl: logsUrl ?? LOCAL_ELASTICSEARCH_URL,
    configured: logsUrl !== undefined,
    dataStream:
      resolveConfig(logsConfigSpec, { dataStream: ownLogs.dataStream }, { service: PACKAGE_NAME })
        .dataStream ?? 'logs-mlops-default',
    attemptTimeoutMs: ownLogs.attemptTimeoutMs ?? metrics.attemptTimeoutMs,
  });
  // Printed (toJSON, util.inspect) without passwords, tokens, API keys or URL credentials.
  const config: PlatformConfig = Object.freeze({
    feast: resolveFeastConfig(feastOptions),
    mlflow: shownRedacted(resolveMlflowConfig(mlflowOptions), (c) => ({
      ...c,
      trackingUri: redactUrl(c.trackingUri),
      auth:
        c.auth === undefined
          ? undefined
          : c.auth.type === 'basic'
            ? { type: 'basic', username: c.auth.username, password: REDACTED }
            : { type: 'bearer', token: REDACTED },
    })),
    airflow: resolveAirflowConfig(airflowOptions),
    metrics: shownRedacted({ ...metrics }, (c) => ({
      ...c,
      prometheusUrl: redactUrl(c.prometheusUrl),
      pushgatewayUrl: redactUrl(c.pushgatewayUrl),
      elasticsearchUrl: c.elasticsearchUrl === undefined ? undefined : redactUrl(c.elasticsearchUrl),
      elasticsearchApiKey: c.elasticsearchApiKey === undefined ? undefined : REDACTED,
    })),
    pushgateway: shownRedacted({ ...pushgatewayConfig }, (c) => ({ ...c, url: redactUrl(c.url) })),
    logs: shownRedacted({ ...logsConfig }, (c) => ({
      ...c,
      elasticsearchUrl: redactUrl(c.elasticsearchUrl),
    })),
  });
  // The Elasticsearch check's headers: as the shipper sends them (its API key as `authorization`).
  const logsHeaders = () => {
    const apiKey = ownLogs.elasticsearchApiKey ?? metrics.elasticsearchApiKey;
    const headers = mergeHeaders(global.headers, ownLogs.headers);
    return apiKey === undefined ? headers : { ...headers, authorization: `ApiKey ${apiKey}` };
  };
  let feast: FeatureStore | undefined;
  let mlflow: MlflowClient | undefined;
  let airflow: AirflowClient | undefined;
  let prometheus: PrometheusClient | undefined;
  let pushgateway: Pushgateway | undefined;
  let logs: LogShipper | undefined;
  let closed = false;
  const assertOpen = (component: string) => {
    if (closed)
      throw new MlopsError(
        `platform.${component} was used after platform.close(): create a new platform with createPlatform()`,
      );
  };

  const platform: Platform = {
    config,
    signal: global.signal,
    get feast() {
      assertOpen('feast');
      feast ??= new FeatureStore(feastOptions);
      return feast;
    },
    get mlflow() {
      assertOpen('mlflow');
      mlflow ??= new MlflowClient(mlflowOptions);
      return mlflow;
    },
    get airflow() {
      assertOpen('airflow');
      airflow ??= new AirflowClient(airflowOptions);
      return airflow;
    },
    get prometheus() {
      assertOpen('prometheus');
      prometheus ??= new PrometheusClient({
        ...injected,
        ...(global.headers ? { headers: global.headers } : {}),
        url: config.metrics.prometheusUrl,
        maxRetries: config.metrics.maxRetries,
        attemptTimeoutMs: config.metrics.attemptTimeoutMs,
      });
      return prometheus;
    },
    get pushgateway() {
      assertOpen('pushgateway');
      pushgateway ??= new Pushgateway({ ...withGlobal(ownPush), ...pushgatewayConfig });
      return pushgateway;
    },
    get logs() {
      assertOpen('logs');
      const headers = mergeHeaders(global.headers, ownLogs.headers);
      logs ??= new LogShipper({
        ...injected,
        ...ownLogs,
        ...(headers ? { headers } : {}),
        elasticsearchUrl: config.logs.elasticsearchUrl,
        dataStream: config.logs.dataStream,
        attemptTimeoutMs: config.logs.attemptTimeoutMs,
      });
      return logs;
    },
    doctor: (doctorOptions) =>
      runDoctor(
        platform,
        { fetch: globalFetch, ...doctorOptions },
        { headers: global.headers, logsHeaders: logsHeaders() },
      ),
    async close() {
      if (closed) return;
      closed = true;
      const openedLogs = logs;
      const openedFeast = feast;
      feast = undefined;
      mlflow = undefined;
      airflow = undefined;
      prometheus = undefined;
      pushgateway = undefined;
      logs = undefined;
      // The shipper first (its lines may be about the others), every close attempted whatever fails.
      const results = await Promise.allSettled([openedLogs?.close(), openedFeast?.close()]);
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    [Symbol.asyncDispose]() {
      return platform.close();
    },
  };
  return platform;
}
