import { randomBytes } from 'node:crypto';
import type { AirflowClient, AirflowConfig } from '@mlops/airflow';
import type { ServiceId } from '@mlops/core';
import {
  AuthenticationError,
  ConfigError,
  ConnectionError,
  createHttpClient,
  MlopsError,
  PermissionDeniedError,
  TimeoutError,
} from '@mlops/core';
import type { FeatureStore } from '@mlops/feast';
import type { FeastConfig } from '@mlops/feast/registry';
import type { MetricsConfig, PrometheusClient, Pushgateway } from '@mlops/metrics';
import type { MlflowClient, MlflowConfig } from '@mlops/mlflow';

/** What the doctor reads of a platform (the Platform of createPlatform): its settings and its clients. */
export interface DoctorTarget {
  readonly config: {
    readonly feast: FeastConfig;
    readonly mlflow: MlflowConfig;
    readonly airflow: AirflowConfig;
    readonly metrics: MetricsConfig;
    readonly pushgateway: { readonly url: string; readonly attemptTimeoutMs: number };
    readonly logs: {
      readonly elasticsearchUrl: string;
      readonly configured: boolean;
      readonly dataStream: string;
    };
  };
  readonly feast: FeatureStore;
  readonly mlflow: MlflowClient;
  readonly airflow: AirflowClient;
  readonly prometheus: PrometheusClient;
  readonly pushgateway: Pushgateway;
}

/** What the platform hands the doctor besides its options: the headers of the plain HTTP checks. */
export interface DoctorInternals {
  /** Headers of every request (the platform's global headers). */
  headers?: Record<string, string> | undefined;
  /** Headers of the Elasticsearch check (global headers, the logs namespace's, its API key). */
  logsHeaders?: Record<string, string> | undefined;
}

/** The components `doctor()` checks, in the order it reports them. */
export const DOCTOR_COMPONENTS = ['feast', 'mlflow', 'airflow', 'prometheus', 'pushgateway', 'logs'] as const;
export type DoctorComponent = (typeof DOCTOR_COMPONENTS)[number];

/** What `doctor()` found for one component. */
export interface DoctorCheck {
  component: DoctorComponent;
  /** Where it was looked for (credentials never included). */
  url: string;
  ok: boolean;
  /** The component's version, when it tells. */
  version?: string;
  /** Whether an authenticated call went through: `'ok'`, `'failed'`, or `'none'` where the component has no auth. */
  auth: 'ok' | 'failed' | 'none';
  /** Wall time of the check, in ms. */
  latencyMs: number;
  /** What was seen: a short summary, or the error's message. */
  detail: string;
  /** What to do about a failure. */
  fix?: string;
}

export interface DoctorReport {
  /** True when every checked component is healthy. */
  ok: boolean;
  checks: DoctorCheck[];
}

export interface DoctorOptions {
  /**
   * Only these components. Default: all, except `logs` when no Elasticsearch is configured (no `logs` or
   * `metrics` option, no `ELASTICSEARCH_URL`); asked for by name, `logs` checks the local platform's :9200.
   */
  components?: readonly DoctorComponent[];
  /** Deadline of each component's check, in ms (default 5000). */
  timeoutMs?: number;
  /** The fetch for the components reached over plain HTTP (default: the platform's global fetch, else globalThis.fetch). */
  fetch?: typeof fetch | undefined;
}

interface Found {
  url: string;
  version?: string;
  auth: DoctorCheck['auth'];
  detail: string;
}

const ENV_OF: Record<DoctorComponent, { url: string; auth?: string }> = {
  feast: { url: 'FEAST_REPO_PATH' },
  mlflow: {
    url: 'MLFLOW_TRACKING_URI',
    auth: 'MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD or MLFLOW_TRACKING_TOKEN',
  },
  airflow: {
    url: 'AIRFLOW_API_URL',
    auth: 'AIRFLOW_USERNAME/AIRFLOW_PASSWORD or AIRFLOW_TOKEN (AIRFLOW_CLI_TOKEN)',
  },
  prometheus: { url: 'PROMETHEUS_URL' },
  pushgateway: { url: 'PUSHGATEWAY_URL' },
  logs: { url: 'ELASTICSEARCH_URL', auth: 'ELASTICSEARCH_API_KEY' },
};

/** What to do about `error` met while checking `component` at `url`. */
export function fixFor(component: DoctorComponent, url: string, error: unknown): string {
  const env = ENV_OF[component];
  if (ConfigError.isInstance(error)) {
    return error.envVars?.length
      ? `set ${error.envVars.join(' or ')} (or the ${component} option)`
      : error.message;
  }
  if (ConnectionError.isInstance(error)) {
    return `nothing answers at ${url}: start it (pnpm platform up ${PLATFORM_COMPONENT[component]}) or point ${env.url} at yours`;
  }
  if (TimeoutError.isInstance(error)) {
    return `${url} did not answer in time: check the server's load, or its address in ${env.url}`;
  }
  if (AuthenticationError.isInstance(error))
    return `the server wants credentials: set ${env.auth ?? 'its credentials'}`;
  if (PermissionDeniedError.isInstance(error))
    return 'the credentials are valid but lack permission: use another user';
  return `see the detail; the ${component} logs may say more (pnpm platform logs ${component})`;
}

const SERVICE_OF: Record<DoctorComponent, ServiceId> = {
  feast: 'feast-registry',
  mlflow: 'mlflow',
  airflow: 'airflow',
  prometheus: 'prometheus',
  pushgateway: 'pushgateway',
  logs: 'elasticsearch',
};

/** The local platform's name of each component (`pnpm platform up <name>`). */
const PLATFORM_COMPONENT: Record<DoctorComponent, string> = {
  feast: 'feast',
  mlflow: 'mlflow',
  airflow: 'airflow',
  prometheus: 'prometheus',
  pushgateway: 'pushgateway',
  logs: 'elasticsearch',
};

async function timed<T>(
  component: DoctorComponent,
  url: string,
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () =>
      controller.abort(
        new TimeoutError({
          service: SERVICE_OF[component],
          method: 'doctor',
          url,
          timeoutMs,
          scope: 'total',
        }),
      ),
    timeoutMs,
  );
  try {
    return await Promise.race([
      work(controller.signal),
      new Promise<never>((_, reject) =>
        controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
      ),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/** A GET through @mlops/core's HTTP client (typed errors, redaction); one attempt, the doctor's deadline. */
async function getJson(
  component: DoctorComponent,
  fetchImpl: typeof fetch,
  baseUrl: string,
  path: string,
  headers: Record<string, string> | undefined,
  signal: AbortSignal,
): Promise<unknown> {
  const http = createHttpClient({
    service: SERVICE_OF[component],
    baseUrl,
    fetch: fetchImpl,
    retry: false,
    ...(headers ? { headers } : {}),
  });
  const response = await http.fetch(path, { signal });
  return response.json();
}

function checkers(
  platform: DoctorTarget,
  fetchImpl: typeof fetch,
  internals: DoctorInternals,
): Record<DoctorComponent, (s: AbortSignal) => Promise<Found>> {
  const { config } = platform;
  return {
    async feast() {
      const url = config.feast.repoPath ?? '(no repo)';
      const store = platform.feast;
      const [project, views, serverUp] = await Promise.all([
        store.project,
        store.listFeatureViews(),
        store.health().catch(() => false),
      ]);
      return {
        url,
        auth: 'none',
        detail: `project ${project}: ${views.length} feature views; feature server ${serverUp ? 'up' : 'down'} at ${config.feast.featureServerUrl}`,
      };
    },
    async mlflow(signal) {
      const client = platform.mlflow;
      const version = await client.raw.GET('/version', { parseAs: 'text', signal });
      const authed = await client.raw.GET('/api/2.0/mlflow/experiments/search', {
        params: { query: { max_results: 1 } },
        signal,
      });
      return {
        url: config.mlflow.trackingUri,
        version: String(version.data ?? '').trim(),
        auth: config.mlflow.auth ? 'ok' : 'none',
        detail: `tracking server answers; ${authed.data?.experiments?.length ? 'experiments readable' : 'no experiments yet'}`,
      };
    },
    async airflow(signal) {
      const client = platform.airflow;
      const [health, version] = await Promise.all([
        client.monitor.health({ signal }),
        client.monitor.version({ signal }),
      ]);
      const parts = Object.entries(health).map(
        ([name, part]) => `${name} ${(part as { status?: string | null } | null)?.status ?? '?'}`,
      );
      const unhealthy = parts.filter((p) => !p.endsWith(' healthy'));
      if (unhealthy.length) throw new MlopsError(`Airflow reports ${unhealthy.join(', ')}`);
      // An authenticated call: a token from the configured credentials (or the static token) must be accepted.
      await client.raw.GET('/api/v2/dags', { params: { query: { limit: 1 } }, signal });
      return { url: config.airflow.baseUrl, version: version.version, auth: 'ok', detail: parts.join(', ') };
    },
    async prometheus(signal) {
      const build = await platform.prometheus.buildInfo({ signal, refresh: true });
      return { url: config.metrics.prometheusUrl, version: build.version, auth: 'none', detail: 'ready' };
    },
    async pushgateway(signal) {
      const url = config.pushgateway.url;
      // Through the Pushgateway client (its retries, headers and errors): a DELETE of a group nobody pushed
      // to, which the gateway accepts (202) and which changes nothing.
      await platform.pushgateway.delete({
        job: 'mlops_doctor',
        groupings: { instance: randomBytes(6).toString('hex') },
        signal,
      });
      // The client has no status call: the version is read from the status API.
      const body = (await getJson(
        'pushgateway',
        fetchImpl,
        url,
        '/api/v1/status',
        internals.headers,
        signal,
      )) as {
        data?: { build_information?: { version?: string } };
      };
      return {
        url,
        version: body.data?.build_information?.version ?? '',
        auth: 'none',
        detail: 'accepts pushes',
      };
    },
    async logs(signal) {
      const url = config.logs.elasticsearchUrl;
      const headers = internals.logsHeaders;
      // The node's version (`GET /` is not answered by every Elasticsearch-API store).
      const info = (await getJson(
        'logs',
        fetchImpl,
        url,
        '/_nodes/_local?filter_path=nodes.*.version',
        headers,
        signal,
      )) as { nodes?: Record<string, { version?: string }> };
      const health = (await getJson('logs', fetchImpl, url, '/_cluster/health', headers, signal)) as {
        status?: string;
      };
      if (health.status === 'red')
        throw new MlopsError(
          `Elasticsearch at ${url} reports cluster health red: some primary shards are unassigned`,
        );
      const authed = Boolean(
        headers && Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'),
      );
      return {
        url,
        version: Object.values(info.nodes ?? {})[0]?.version ?? '',
        auth: authed ? 'ok' : 'none',
        detail: `cluster ${health.status ?? '?'}; logs go to data stream ${config.logs.dataStream}`,
      };
    },
  };
}

/** `platform.doctor()`: every check runs concurrently, each within its own deadline. */
export async function runDoctor(
  platform: DoctorTarget,
  options: DoctorOptions = {},
  internals: DoctorInternals = {},
): Promise<DoctorReport> {
  const fetchImpl = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 5000;
  const wanted =
    options.components ?? DOCTOR_COMPONENTS.filter((c) => c !== 'logs' || platform.config.logs.configured);
  const check = checkers(platform, fetchImpl, internals);
  const checks = await Promise.all(
    wanted.map(async (component): Promise<DoctorCheck> => {
      const started = performance.now();
      const latencyMs = () => Math.round((performance.now() - started) * 10) / 10;
      try {
        const found = await timed(component, urlOf(platform, component), timeoutMs, (signal) =>
          check[component](signal),
        );
        return { component, ok: true, ...found, latencyMs: latencyMs() };
      } catch (error) {
        const url = urlOf(platform, component);
        return {
          component,
          url,
          ok: false,
          auth:
            AuthenticationError.isInstance(error) || PermissionDeniedError.isInstance(error)
              ? 'failed'
              : 'none',
          latencyMs: latencyMs(),
          detail: error instanceof Error ? error.message : String(error),
          fix: fixFor(component, url, error),
        };
      }
    }),
  );
  return { ok: checks.every((c) => c.ok), checks };
}

function urlOf(platform: DoctorTarget, component: DoctorComponent): string {
  const { config } = platform;
  switch (component) {
    case 'feast':
      return config.feast.repoPath ?? '(no repo)';
    case 'mlflow':
      return config.mlflow.trackingUri;
    case 'airflow':
      return config.airflow.baseUrl;
    case 'prometheus':
      return config.metrics.prometheusUrl;
    case 'pushgateway':
      return config.pushgateway.url;
    case 'logs':
      return config.logs.elasticsearchUrl;
  }
}
