import { createHttpClient, type Logger } from '@mlops/core';
import { Assets } from './assets';
import { type Clock, isStaleTokenRejection, TokenSource } from './auth';
import { type AirflowConfig, type AirflowOptions, resolveAirflowConfig } from './config';
import { Connections } from './connections';
import { DagRuns } from './dag-runs';
import { Dags } from './dags';
import type { paths } from './generated/api-v2';
import { Monitor } from './monitor';
import { Pools } from './pools';
import { TaskInstances } from './task-instances';
import type { AirflowHttp } from './types';
import { Variables } from './variables';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';
import { XComs } from './xcoms';

/** The options of `new AirflowClient()`: the config spec's fields, plus what is injected rather than configured. */
export interface AirflowClientOptions extends AirflowOptions {
  /** The fetch to use (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Where to log requests, retries and failures. Off by default; credentials never reach it. */
  logger?: Logger;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
  /** The clock token expiry and waits are measured with (ms since the epoch). Default `Date.now`. */
  now?: Clock;
}

/**
 * A typed client of Airflow 3's public REST API (`/api/v2`). Options resolve once, here: option →
 * environment variable (`AIRFLOW_API_URL`, `AIRFLOW_CLI_TOKEN` / `AIRFLOW_TOKEN`, `AIRFLOW_USERNAME`,
 * `AIRFLOW_PASSWORD`) → the local platform's default.
 */
export class AirflowClient {
  /** The resolved settings; printing them shows no token or password. */
  readonly config: AirflowConfig;
  /** The whole generated /api/v2 over the same pipeline (auth, retries, timeouts), for what the surface does not cover. */
  readonly raw: AirflowHttp['raw'];
  readonly dags: Dags;
  readonly dagRuns: DagRuns;
  readonly taskInstances: TaskInstances;
  readonly xcoms: XComs;
  readonly assets: Assets;
  readonly variables: Variables;
  readonly connections: Connections;
  readonly pools: Pools;
  /** Health and version (no authentication needed). */
  readonly monitor: Monitor;
  readonly #tokens: TokenSource;

  constructor(options: AirflowClientOptions = {}) {
    this.config = resolveAirflowConfig(options);
    const now = options.now ?? Date.now;
    const injected = {
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    };
    this.#tokens = new TokenSource(this.config.credentials, {
      baseUrl: this.config.baseUrl,
      now,
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      maxRetries: this.config.maxRetries,
      ...injected,
    });
    const tokens = this.#tokens;
    const http = createHttpClient<paths, 'application/json'>({
      service: 'airflow',
      baseUrl: this.config.baseUrl,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      auth:
        this.config.credentials.type === 'token'
          ? { type: 'bearer', token: this.config.credentials.token }
          : { type: 'bearer', token: (request) => tokens.token(request), refreshOn: isStaleTokenRejection },
      retry: { maxRetries: this.config.maxRetries },
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      ...injected,
    });
    this.raw = http.raw;
    this.taskInstances = new TaskInstances(http);
    this.xcoms = new XComs(http);
    this.dags = new Dags(http, now);
    this.dagRuns = new DagRuns(http, this.taskInstances, this.xcoms, now);
    this.assets = new Assets(http);
    this.variables = new Variables(http);
    this.connections = new Connections(http);
    this.pools = new Pools(http);
    this.monitor = new Monitor(http);
  }

  /** How many JWTs this client has fetched from /auth/token (0 with a static token). */
  get tokenLogins(): number {
    return this.#tokens.logins;
  }

  toJSON(): Record<string, unknown> {
    return { baseUrl: this.config.baseUrl, auth: this.config.credentials.type };
  }
}
