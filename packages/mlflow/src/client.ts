import { createHttpClient, type HttpClient, type Logger } from '@mlops/core';
import { type MlflowConfig, type MlflowOptions, resolveMlflowConfig } from './config';
import type { paths } from './generated/mlflow';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** The HTTP client every resource of the MLflow client shares: typed by the generated MLflow spec. */
export type MlflowHttp = HttpClient<paths>;

/** The options of `new MlflowClient()`: the config spec's fields, plus what is injected rather than configured. */
export interface MlflowClientOptions extends MlflowOptions {
  /** The fetch to use (looked up at call time when absent). */
  fetch?: typeof fetch;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
  /** Headers sent with every request. */
  headers?: Record<string, string>;
}

/**
 * A typed client of MLflow's REST API, named after Python's `MlflowClient` in camelCase. Options resolve
 * once, here: option → MLflow's own environment variable → the local platform's default.
 */
export class MlflowClient {
  /** The resolved settings (credentials redacted wherever they are printed). */
  readonly config: MlflowConfig;
  /** The whole generated MLflow API over the same pipeline (auth, retries, timeouts), for what the surface does not cover. */
  readonly raw: MlflowHttp['raw'];
  readonly #http: MlflowHttp;

  constructor(options: MlflowClientOptions = {}) {
    this.config = resolveMlflowConfig(options);
    this.#http = createHttpClient<paths>({
      service: 'mlflow',
      baseUrl: this.config.trackingUri,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      auth: this.config.auth,
      retry: { maxRetries: this.config.maxRetries },
      attemptTimeoutMs: this.config.attemptTimeoutMs,
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.headers ? { headers: options.headers } : {}),
    });
    this.raw = this.#http.raw;
  }
}
