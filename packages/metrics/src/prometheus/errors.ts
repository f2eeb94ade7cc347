// Prometheus's own errors: its API's `errorType` on the typed error, features the server is too old for, and bad
// arguments, each saying what was wrong and what to do. Identified with core's `Symbol.for` markers, so
// `X.isInstance()` holds across duplicate installs and across the ESM and CJS builds.
import { ApiError, MlopsError } from '@mlops/core';
import { type ApiErrorInit, hasErrorMarker, serviceLabel } from '@mlops/core/sdk';

/** The `errorType` values Prometheus's API answers with (not_acceptable since 2.46). */
export type PrometheusErrorType =
  | 'timeout'
  | 'canceled'
  | 'execution'
  | 'bad_data'
  | 'internal'
  | 'unavailable'
  | 'not_found'
  | 'not_acceptable';

const HINTS: Partial<Record<PrometheusErrorType, string>> = {
  bad_data: 'Check the expression and the parameters (times, step, matchers).',
  execution:
    'The expression parses but cannot be evaluated as written (e.g. duplicate series after dropping names).',
  timeout:
    'Raise the query `timeout` (up to the server’s --query.timeout) or query a shorter range or fewer series.',
  canceled: 'The query was canceled on the server; retry it.',
  unavailable: 'Prometheus is starting or shutting down; retry later.',
  not_acceptable: 'The server cannot answer in the requested format.',
};

export interface PrometheusApiErrorInit extends ApiErrorInit {
  /** Prometheus's `errorType`, when the body carried one (undefined for a non-JSON answer, e.g. a proxy's 502). */
  errorType: PrometheusErrorType | undefined;
  /** Prometheus's `error` text. */
  error: string | undefined;
  warnings?: string[] | undefined;
}

/** Prometheus answered with an error: `status` is the HTTP status, `errorType` Prometheus's classification. */
export class PrometheusApiError extends ApiError {
  static override readonly marker: symbol = Symbol.for('@mlops/metrics.PrometheusApiError');
  static override isInstance(value: unknown): value is PrometheusApiError {
    return hasErrorMarker(value, PrometheusApiError.marker);
  }

  /** `bad_data` (400), `execution` (422), `timeout` (503), `canceled` (499 since 2.43, 503 before), ... */
  readonly errorType: PrometheusErrorType | undefined;
  /** Prometheus's own message, e.g. `invalid parameter "query": 1:5: parse error: unclosed left parenthesis`. */
  readonly error: string | undefined;
  readonly warnings: string[];

  constructor(init: PrometheusApiErrorInit) {
    const what = init.errorType ? ` (${init.errorType})` : '';
    const detail = init.error ?? ApiError.describe(init);
    const hint = init.errorType ? HINTS[init.errorType] : undefined;
    super(
      init,
      `${serviceLabel(init.service)} answered ${init.status}${what} to ${init.method} ${init.url}: ${detail}${hint ? ` ${hint}` : ''}`,
    );
    this.errorType = init.errorType;
    this.error = init.error;
    this.warnings = init.warnings ?? [];
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), errorType: this.errorType, error: this.error, warnings: this.warnings };
  }
}

/** A parameter the server's version does not know: sending it would be ignored (a silently wrong answer). */
export class PrometheusUnsupportedError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/metrics.PrometheusUnsupportedError');
  static override isInstance(value: unknown): value is PrometheusUnsupportedError {
    return hasErrorMarker(value, PrometheusUnsupportedError.marker);
  }

  /** The option, e.g. `limit of query()`. */
  readonly feature: string;
  /** The first Prometheus version that has it, e.g. `3.2.0`. */
  readonly since: string;
  /** What the server's build info says, e.g. `2.42.0+ds`. */
  readonly serverVersion: string;

  constructor(init: { feature: string; since: string; serverVersion: string; url: string }) {
    const runs = /^v?\d+\.\d+\.\d+/.test(init.serverVersion)
      ? `runs ${init.serverVersion} (which would ignore it and answer as if it were not given)`
      : `does not say its version (build info version ${JSON.stringify(init.serverVersion)}: a build without version stamps), so it may ignore it`;
    super(
      `${init.feature} needs Prometheus ${init.since} or newer, but the server at ${init.url} ${runs}. Upgrade Prometheus, or call without it.`,
    );
    this.feature = init.feature;
    this.since = init.since;
    this.serverVersion = init.serverVersion;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), feature: this.feature, since: this.since, serverVersion: this.serverVersion };
  }
}

/** An argument that cannot be sent (an invalid time, an empty expression): nothing was sent. */
export class PrometheusArgumentError extends MlopsError {
  static override readonly marker: symbol = Symbol.for('@mlops/metrics.PrometheusArgumentError');
  static override isInstance(value: unknown): value is PrometheusArgumentError {
    return hasErrorMarker(value, PrometheusArgumentError.marker);
  }

  /** The argument, e.g. `start`. */
  readonly argument: string;

  constructor(argument: string, message: string) {
    super(message);
    this.argument = argument;
  }
}

/** Core's ApiError whose body is Prometheus's error becomes a PrometheusApiError; anything else is returned as is. */
export function fromApiError(error: unknown): unknown {
  if (!ApiError.isInstance(error) || typeof error.body !== 'object' || error.body === null) return error;
  const body = error.body as { errorType?: unknown; error?: unknown; warnings?: unknown };
  if (typeof body.errorType !== 'string') return error;
  return new PrometheusApiError({
    status: error.status,
    service: error.service,
    method: error.method,
    url: error.url,
    body: error.body,
    requestId: error.requestId,
    retryAfterMs: error.retryAfterMs,
    attempts: error.attempts,
    cause: error,
    errorType: body.errorType as PrometheusErrorType,
    error: typeof body.error === 'string' ? body.error : undefined,
    warnings: Array.isArray(body.warnings) ? body.warnings.filter((w) => typeof w === 'string') : undefined,
  });
}
