import type { AirflowHttp, Health, RequestOptions, Version } from './types';

/** Health and version: both answer without authentication. */
export class Monitor {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  /** Metadatabase, scheduler, triggerer and dag-processor status (`healthy` / `unhealthy`) and heartbeats. */
  health(options: RequestOptions = {}): Promise<Health> {
    return this.#http.get('/api/v2/monitor/health', { signal: options.signal });
  }

  version(options: RequestOptions = {}): Promise<Version> {
    return this.#http.get('/api/v2/version', { signal: options.signal });
  }
}
