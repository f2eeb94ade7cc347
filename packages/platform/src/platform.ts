import {
  AirflowClient,
  type AirflowClientOptions,
  type AirflowConfig,
  resolveAirflowConfig,
} from '@mlops/airflow';
import { type Logger, MlopsError } from '@mlops/core';
import { REDACTED, redactUrl } from '@mlops/core/sdk';
import { FeatureStore, type FeatureStoreOptions } from '@mlops/feast';
import { type FeastConfig, resolveFeastConfig } from '@mlops/feast/registry';
import {
  type MetricsConfig,
  type MetricsOptions,
  PrometheusClient,
  resolveMetricsConfig,
} from '@mlops/metrics';
import {
  MlflowClient,
  type MlflowClientOptions,
  type MlflowConfig,
  resolveMlflowConfig,
} from '@mlops/mlflow';
import { type DoctorOptions, type DoctorReport, runDoctor } from './doctor';

/** What every component client shares: injected into each namespace unless that namespace sets its own. */
export interface GlobalOptions {
  /** The fetch every HTTP client uses (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Headers sent with every HTTP request of every component (a namespace's own headers win per name). */
  headers?: Record<string, string>;
  /** Where every client logs requests, retries and failures. Off by default. */
  logger?: Logger;
}

/** One options object: `global`, then a namespace per component (each resolves option → its env vars → default). */
export interface PlatformOptions {
  global?: GlobalOptions;
  feast?: FeatureStoreOptions;
  mlflow?: MlflowClientOptions;
  airflow?: AirflowClientOptions;
  metrics?: MetricsOptions;
}

/** The settings of every component, resolved once and validated when the platform is created. */
export interface PlatformConfig {
  readonly feast: FeastConfig;
  readonly mlflow: MlflowConfig;
  readonly airflow: AirflowConfig;
  readonly metrics: MetricsConfig;
}

/**
 * The whole platform from one place. Component clients are created on first use and closed together by
 * `close()` (or `await using`).
 */
export interface Platform extends AsyncDisposable {
  readonly config: PlatformConfig;
  /** Feast's `FeatureStore` (created on first use). */
  readonly feast: FeatureStore;
  /** MLflow's tracking, registry and artifacts client (created on first use). */
  readonly mlflow: MlflowClient;
  /** Airflow 3's public API: DAGs, runs, logs, assets (created on first use). */
  readonly airflow: AirflowClient;
  /** Prometheus queries with typed results, at `metrics.prometheusUrl` (created on first use). */
  readonly prometheus: PrometheusClient;
  /** Reaches every component and says, for each that fails, what to fix. Never throws for a component's failure. */
  doctor(options?: DoctorOptions): Promise<DoctorReport>;
  /** Closes every client that was opened (connections, pools, timers). Safe to call twice. */
  close(): Promise<void>;
}

function mergeHeaders(
  global: Record<string, string> | undefined,
  own: Record<string, string> | undefined,
): Record<string, string> | undefined {
  return global || own ? { ...global, ...own } : undefined;
}

/**
 * Resolves and validates every component's settings at once (a bad environment fails here, naming the
 * variable), and gives lazily created clients that share `global`'s fetch, headers and logger.
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
  const config: PlatformConfig = Object.freeze({
    feast: resolveFeastConfig(options.feast),
    mlflow: shownRedacted(resolveMlflowConfig(options.mlflow), (c) => ({
      ...c,
      trackingUri: redactUrl(c.trackingUri),
      auth:
        c.auth === undefined
          ? undefined
          : c.auth.type === 'basic'
            ? { type: 'basic', username: c.auth.username, password: REDACTED }
            : { type: 'bearer', token: REDACTED },
    })),
    airflow: resolveAirflowConfig(options.airflow),
    metrics: shownRedacted(resolveMetricsConfig(options.metrics), (c) => ({
      ...c,
      prometheusUrl: redactUrl(c.prometheusUrl),
      pushgatewayUrl: redactUrl(c.pushgatewayUrl),
      elasticsearchUrl: c.elasticsearchUrl === undefined ? undefined : redactUrl(c.elasticsearchUrl),
      elasticsearchApiKey: c.elasticsearchApiKey === undefined ? undefined : REDACTED,
    })),
  });
  let feast: FeatureStore | undefined;
  let mlflow: MlflowClient | undefined;
  let airflow: AirflowClient | undefined;
  let prometheus: PrometheusClient | undefined;
  let closed = false;
  const assertOpen = (component: string) => {
    if (closed)
      throw new MlopsError(
        `platform.${component} was used after platform.close(): create a new platform with createPlatform()`,
      );
  };

  const platform: Platform = {
    config,
    get feast() {
      assertOpen('feast');
      feast ??= new FeatureStore({
        ...(global.fetch ? { fetch: global.fetch } : {}),
        ...options.feast,
      });
      return feast;
    },
    get mlflow() {
      assertOpen('mlflow');
      const own = options.mlflow ?? {};
      const headers = mergeHeaders(global.headers, own.headers);
      mlflow ??= new MlflowClient({
        ...(global.fetch ? { fetch: global.fetch } : {}),
        ...(global.logger ? { logger: global.logger } : {}),
        ...own,
        ...(headers ? { headers } : {}),
      });
      return mlflow;
    },
    get airflow() {
      assertOpen('airflow');
      const own = options.airflow ?? {};
      const headers = mergeHeaders(global.headers, own.headers);
      airflow ??= new AirflowClient({
        ...(global.fetch ? { fetch: global.fetch } : {}),
        ...(global.logger ? { logger: global.logger } : {}),
        ...own,
        ...(headers ? { headers } : {}),
      });
      return airflow;
    },
    get prometheus() {
      assertOpen('prometheus');
      prometheus ??= new PrometheusClient({
        url: config.metrics.prometheusUrl,
        maxRetries: config.metrics.maxRetries,
        attemptTimeoutMs: config.metrics.attemptTimeoutMs,
        ...(global.fetch ? { fetch: global.fetch } : {}),
        ...(global.logger ? { logger: global.logger } : {}),
        ...(global.headers ? { headers: global.headers } : {}),
      });
      return prometheus;
    },
    doctor: (doctorOptions) => runDoctor(platform, { fetch: global.fetch, ...doctorOptions }),
    async close() {
      if (closed) return;
      closed = true;
      const opened = feast;
      feast = undefined;
      mlflow = undefined;
      airflow = undefined;
      prometheus = undefined;
      if (opened) await opened.close();
    },
    [Symbol.asyncDispose]() {
      return platform.close();
    },
  };
  return platform;
}
