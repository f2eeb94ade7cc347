/**
 * The one error hierarchy of the @mlops SDKs.
 *
 * ```
 * MlopsError
 * ├── ApiError (the server answered with a status that is not 2xx)
 * │   ├── BadRequestError 400, AuthenticationError 401, PermissionDeniedError 403, NotFoundError 404,
 * │   ├── ConflictError 409, UnprocessableEntityError 422, RateLimitError 429, InternalServerError 5xx
 * ├── ConnectionError (no answer: refused, reset, DNS)
 * ├── TimeoutError    (a deadline passed: one attempt's, or the whole call's)
 * ├── AbortError      (the caller aborted)
 * ├── DecodeError     (bytes that do not decode: bad JSON, corrupt protobuf, unexpected shape)
 * └── ConfigError     (an option or environment variable with a bad value)
 * ```
 *
 * `X.isInstance(value)` works across duplicate installs and across the ESM and CJS builds, where
 * `instanceof` does not: every class marks its instances with a `Symbol.for` key.
 */

import { type ServiceId, serviceLabel } from './service';

const markerPrefix = '@mlops/core.';

/** The marker every instance of a class carries, shared across copies of this module. */
function markerOf(name: string): symbol {
  return Symbol.for(`${markerPrefix}${name}`);
}

/**
 * True when `value` carries `marker`, the `Symbol.for` key an error class declares as its static
 * `marker`: what every `isInstance` of the SDKs is made of, so it holds across duplicate installs and
 * between the ESM and CJS builds. A package defining its own error class writes:
 *
 * ```ts
 * export class ModelNotFoundError extends MlopsError {
 *   static override readonly marker: symbol = Symbol.for('@mlops/mlflow.ModelNotFoundError');
 *   static override isInstance(value: unknown): value is ModelNotFoundError {
 *     return hasErrorMarker(value, ModelNotFoundError.marker);
 *   }
 * }
 * ```
 */
export function hasErrorMarker(value: unknown, marker: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[marker] === true;
}

export interface MlopsErrorOptions {
  cause?: unknown;
}

export class MlopsError extends Error {
  /** The `Symbol.for` key that marks instances of this class and of its subclasses. */
  static readonly marker: symbol = markerOf('MlopsError');

  constructor(message: string, options: MlopsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    // Mark with every class of the chain, from the most derived down to MlopsError.
    let ctor: unknown = new.target;
    while (typeof ctor === 'function' && Object.hasOwn(ctor, 'marker')) {
      const marker: unknown = Reflect.get(ctor, 'marker');
      if (typeof marker === 'symbol') Object.defineProperty(this, marker, { value: true, enumerable: false });
      ctor = Object.getPrototypeOf(ctor);
    }
    Object.defineProperty(this, 'name', { value: new.target.name, enumerable: false, configurable: true });
  }

  /**
   * True when `value` is an instance of this class, even one made by another copy of the package
   * (a duplicate install, or the CJS build next to the ESM one), where `instanceof` says false.
   * (Each class defines its own isInstance: bundlers may bind `this` in static methods to the class.)
   */
  static isInstance(value: unknown): value is MlopsError {
    return hasErrorMarker(value, MlopsError.marker);
  }

  /** A plain object for logs and JSON. Carries no credentials. */
  toJSON(): Record<string, unknown> {
    return { name: this.name, message: this.message };
  }
}

export interface ApiErrorInit {
  /** HTTP status of the response. */
  status: number;
  /** Which component answered: 'mlflow', 'feast-server', ... (messages use its label). */
  service: ServiceId;
  /** HTTP method of the request, or the operation's name ('ApplyMaterialization' for a gRPC call). */
  method: string;
  /** URL of the request, with credentials redacted. */
  url: string;
  /** The parsed body: JSON when it parses, otherwise the text (possibly empty). */
  body: unknown;
  /** The server's request id, when it sent one (x-request-id and friends). */
  requestId?: string | undefined;
  /** Seconds the server asked us to wait (Retry-After), in milliseconds. */
  retryAfterMs?: number | undefined;
  /** How many attempts were made before giving up. */
  attempts?: number | undefined;
  /** For a gRPC call: the status code's name ('PERMISSION_DENIED'); `status` is its HTTP equivalent. */
  grpcCode?: string | undefined;
  /** The service's own error code from the body ('RESOURCE_DOES_NOT_EXIST' for MLflow), when it sends one. */
  code?: string | undefined;
  cause?: unknown;
}

/** The server answered with a status that is not 2xx. */
export class ApiError extends MlopsError {
  static override readonly marker: symbol = markerOf('ApiError');
  static override isInstance(value: unknown): value is ApiError {
    return hasErrorMarker(value, ApiError.marker);
  }

  readonly status: number;
  readonly service: ServiceId;
  readonly method: string;
  readonly url: string;
  readonly body: unknown;
  readonly requestId: string | undefined;
  readonly retryAfterMs: number | undefined;
  readonly attempts: number;
  /** For a gRPC call: the status code's name ('PERMISSION_DENIED'); otherwise undefined. */
  readonly grpcCode: string | undefined;
  /** The service's own error code ('RESOURCE_DOES_NOT_EXIST' for MLflow), when its package reads one. */
  readonly code: string | undefined;

  constructor(init: ApiErrorInit, message?: string) {
    super(message ?? ApiError.describe(init), { cause: init.cause });
    this.status = init.status;
    this.service = init.service;
    this.method = init.method;
    this.url = init.url;
    this.body = init.body;
    this.requestId = init.requestId;
    this.retryAfterMs = init.retryAfterMs;
    this.attempts = init.attempts ?? 1;
    this.grpcCode = init.grpcCode;
    this.code = init.code;
  }

  /** "MLflow answered 404 Not Found to GET http://…/models/x: RESOURCE_DOES_NOT_EXIST: …" */
  static describe(init: ApiErrorInit): string {
    const detail = summariseBody(init.body);
    const id = init.requestId ? ` (request id ${init.requestId})` : '';
    const attempts = init.attempts && init.attempts > 1 ? ` after ${init.attempts} attempts` : '';
    return `${serviceLabel(init.service)} answered ${init.status}${statusText(init.status)} to ${init.method} ${init.url}${attempts}${id}${detail ? `: ${detail}` : ''}`;
  }

  /** The subclass for a status: 404 gives a NotFoundError, 503 an InternalServerError, ... */
  static from(init: ApiErrorInit): ApiError {
    const Subclass = subclassFor(init.status);
    const error = new Subclass(init);
    return error;
  }

  override toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      message: this.message,
      status: this.status,
      service: this.service,
      method: this.method,
      url: this.url,
      requestId: this.requestId,
      retryAfterMs: this.retryAfterMs,
      attempts: this.attempts,
      ...(this.grpcCode === undefined ? {} : { grpcCode: this.grpcCode }),
      ...(this.code === undefined ? {} : { code: this.code }),
      body: this.body,
    };
  }
}

/** 400: the request is malformed; the body says which field. */
export class BadRequestError extends ApiError {
  static override readonly marker: symbol = markerOf('BadRequestError');
  static override isInstance(value: unknown): value is BadRequestError {
    return hasErrorMarker(value, BadRequestError.marker);
  }
}
/** 401: missing or rejected credentials. Check the token or username and password. */
export class AuthenticationError extends ApiError {
  static override readonly marker: symbol = markerOf('AuthenticationError');
  static override isInstance(value: unknown): value is AuthenticationError {
    return hasErrorMarker(value, AuthenticationError.marker);
  }
}
/** 403: authenticated, but not allowed to do this. */
export class PermissionDeniedError extends ApiError {
  static override readonly marker: symbol = markerOf('PermissionDeniedError');
  static override isInstance(value: unknown): value is PermissionDeniedError {
    return hasErrorMarker(value, PermissionDeniedError.marker);
  }
}
/** 404: the resource does not exist. */
export class NotFoundError extends ApiError {
  static override readonly marker: symbol = markerOf('NotFoundError');
  static override isInstance(value: unknown): value is NotFoundError {
    return hasErrorMarker(value, NotFoundError.marker);
  }
}
/** 409: the resource exists already or was changed concurrently. */
export class ConflictError extends ApiError {
  static override readonly marker: symbol = markerOf('ConflictError');
  static override isInstance(value: unknown): value is ConflictError {
    return hasErrorMarker(value, ConflictError.marker);
  }
}
/** 422: the request is well-formed but its values are not valid. */
export class UnprocessableEntityError extends ApiError {
  static override readonly marker: symbol = markerOf('UnprocessableEntityError');
  static override isInstance(value: unknown): value is UnprocessableEntityError {
    return hasErrorMarker(value, UnprocessableEntityError.marker);
  }
}
/** 429: too many requests; `retryAfterMs` says how long the server asked us to wait. */
export class RateLimitError extends ApiError {
  static override readonly marker: symbol = markerOf('RateLimitError');
  static override isInstance(value: unknown): value is RateLimitError {
    return hasErrorMarker(value, RateLimitError.marker);
  }
}
/** 5xx: the server failed. Idempotent calls were retried before this was raised. */
export class InternalServerError extends ApiError {
  static override readonly marker: symbol = markerOf('InternalServerError');
  static override isInstance(value: unknown): value is InternalServerError {
    return hasErrorMarker(value, InternalServerError.marker);
  }
}

function subclassFor(status: number): new (init: ApiErrorInit) => ApiError {
  switch (status) {
    case 400:
      return BadRequestError;
    case 401:
      return AuthenticationError;
    case 403:
      return PermissionDeniedError;
    case 404:
      return NotFoundError;
    case 409:
      return ConflictError;
    case 422:
      return UnprocessableEntityError;
    case 429:
      return RateLimitError;
    default:
      return status >= 500 && status <= 599 ? InternalServerError : ApiError;
  }
}

export interface RequestErrorInit {
  /** Which component: 'redis', 'feast-registry', ... (messages use its label). */
  service: ServiceId;
  /** HTTP method, or the operation's name: 'CONNECT', 'HMGET pipeline', 'ApplyMaterialization'. */
  method: string;
  /** Redacted URL. */
  url: string;
  attempts?: number;
  cause?: unknown;
}

/** No answer from the server: connection refused or reset, DNS failure, TLS failure. */
export class ConnectionError extends MlopsError {
  static override readonly marker: symbol = markerOf('ConnectionError');
  static override isInstance(value: unknown): value is ConnectionError {
    return hasErrorMarker(value, ConnectionError.marker);
  }

  readonly service: ServiceId;
  readonly method: string;
  readonly url: string;
  readonly attempts: number;

  constructor(init: RequestErrorInit, message?: string) {
    const reason = describeCause(init.cause);
    const label = serviceLabel(init.service);
    const advice = isBadPort(init.cause)
      ? `fetch refuses this port: it is on the fetch standard's list of blocked ("bad") ports, as Feast's default 6566 is. Serve ${label} on another port, or pass a \`fetch\` option that allows it.`
      : `Check that ${label} is running and that its URL is right.`;
    super(
      message ??
        `Could not reach ${label} for ${init.method} ${init.url}${init.attempts && init.attempts > 1 ? ` after ${init.attempts} attempts` : ''}${reason ? ` (${reason})` : ''}. ${advice}`,
      { cause: init.cause },
    );
    this.service = init.service;
    this.method = init.method;
    this.url = init.url;
    this.attempts = init.attempts ?? 1;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      service: this.service,
      method: this.method,
      url: this.url,
      attempts: this.attempts,
    };
  }
}

export interface TimeoutErrorInit extends RequestErrorInit {
  /** Which deadline passed: one attempt's, or the whole call's (retries included). */
  scope: 'attempt' | 'total';
  timeoutMs: number;
}

/** A deadline passed: one attempt's (`scope: 'attempt'`) or the whole call's (`scope: 'total'`). */
export class TimeoutError extends MlopsError {
  static override readonly marker: symbol = markerOf('TimeoutError');
  static override isInstance(value: unknown): value is TimeoutError {
    return hasErrorMarker(value, TimeoutError.marker);
  }

  readonly service: ServiceId;
  readonly method: string;
  readonly url: string;
  readonly scope: 'attempt' | 'total';
  readonly timeoutMs: number;
  readonly attempts: number;

  constructor(init: TimeoutErrorInit, message?: string) {
    const option = init.scope === 'attempt' ? 'attemptTimeoutMs' : 'timeoutMs';
    super(
      message ??
        `${init.method} ${init.url} to ${serviceLabel(init.service)} timed out after ${init.timeoutMs} ms (${init.scope === 'attempt' ? 'one attempt' : 'the whole call, retries included'}${init.attempts && init.attempts > 1 ? `, ${init.attempts} attempts` : ''}). Raise the ${option} option if the server is just slow.`,
      { cause: init.cause },
    );
    this.service = init.service;
    this.method = init.method;
    this.url = init.url;
    this.scope = init.scope;
    this.timeoutMs = init.timeoutMs;
    this.attempts = init.attempts ?? 1;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      service: this.service,
      method: this.method,
      url: this.url,
      scope: this.scope,
      timeoutMs: this.timeoutMs,
      attempts: this.attempts,
    };
  }
}

/** The caller aborted the call through its AbortSignal. Never retried. */
export class AbortError extends MlopsError {
  static override readonly marker: symbol = markerOf('AbortError');
  static override isInstance(value: unknown): value is AbortError {
    return hasErrorMarker(value, AbortError.marker);
  }

  readonly reason: unknown;

  constructor(
    message = 'The call was aborted by the caller.',
    options: MlopsErrorOptions & { reason?: unknown } = {},
  ) {
    super(message, options);
    this.reason = options.reason;
  }
}

export interface DecodeErrorInit {
  /** What was being decoded, e.g. 'JSON response body', 'ValueProto'. */
  what: string;
  /** Where the bytes came from: a URL, a Redis key, a file. */
  source?: string | undefined;
  /** A sub-location: a Redis hash field, a JSON path, a byte offset. */
  field?: string | undefined;
  cause?: unknown;
}

/** Bytes that do not decode: a body that is not the JSON it claims, corrupt protobuf, an unexpected shape. */
export class DecodeError extends MlopsError {
  static override readonly marker: symbol = markerOf('DecodeError');
  static override isInstance(value: unknown): value is DecodeError {
    return hasErrorMarker(value, DecodeError.marker);
  }

  readonly what: string;
  readonly source: string | undefined;
  readonly field: string | undefined;

  constructor(init: DecodeErrorInit, message?: string) {
    const reason = describeCause(init.cause);
    super(
      message ??
        `Could not decode ${init.what}${init.source ? ` from ${init.source}` : ''}${init.field ? ` (field ${init.field})` : ''}${reason ? `: ${reason}` : ''}.`,
      { cause: init.cause },
    );
    this.what = init.what;
    this.source = init.source;
    this.field = init.field;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), what: this.what, source: this.source, field: this.field };
  }
}

export interface ConfigErrorInit {
  /** The option's name, as passed in code. */
  option: string;
  /** The environment variable(s) that can set it. */
  envVars?: readonly string[];
  /** Where the bad value came from. */
  source?: 'option' | 'env' | 'default' | undefined;
  /** The environment variable that held the bad value, when it came from one. */
  envVar?: string | undefined;
}

/** An option or environment variable has a bad value, or a required one is missing. */
export class ConfigError extends MlopsError {
  static override readonly marker: symbol = markerOf('ConfigError');
  static override isInstance(value: unknown): value is ConfigError {
    return hasErrorMarker(value, ConfigError.marker);
  }

  readonly option: string;
  readonly envVars: readonly string[];
  readonly source: 'option' | 'env' | 'default' | undefined;
  readonly envVar: string | undefined;

  constructor(message: string, init: ConfigErrorInit) {
    super(message);
    this.option = init.option;
    this.envVars = init.envVars ?? [];
    this.source = init.source;
    this.envVar = init.envVar;
  }

  override toJSON(): Record<string, unknown> {
    return {
      ...super.toJSON(),
      option: this.option,
      envVars: this.envVars,
      source: this.source,
      envVar: this.envVar,
    };
  }
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  425: 'Too Early',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

function statusText(status: number): string {
  const text = STATUS_TEXT[status];
  return text ? ` ${text}` : '';
}

const MAX_DETAIL = 500;

/** The most useful line of an error body: a JSON message field, or the start of the text. */
function summariseBody(body: unknown): string {
  if (body === undefined || body === null || body === '') return '';
  if (typeof body === 'string') return truncate(htmlToText(body));
  if (typeof body === 'object') {
    const record = body as Record<string, unknown>;
    const parts: string[] = [];
    for (const key of ['error_code', 'code', 'title']) {
      const value = record[key];
      if (typeof value === 'string' || typeof value === 'number') {
        parts.push(String(value));
        break;
      }
    }
    for (const key of ['message', 'detail', 'error', 'msg', 'description']) {
      const value = record[key];
      if (typeof value === 'string') {
        parts.push(value);
        break;
      }
      if (value !== undefined) {
        parts.push(safeStringify(value));
        break;
      }
    }
    return truncate(parts.length > 0 ? parts.join(': ') : safeStringify(body));
  }
  return truncate(String(body));
}

function htmlToText(text: string): string {
  if (!/^\s*</.test(text)) return text.trim();
  const title = /<title[^>]*>([\s\S]*?)<\/title>/i.exec(text)?.[1];
  const stripped = text
    .replace(/<(script|style)[\s\S]*?<\/\1>/gi, ' ')
    .replace(/<[^>]+>/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return title && !stripped.startsWith(title.trim()) ? `${title.trim()} — ${stripped}` : stripped;
}

function truncate(text: string): string {
  return text.length > MAX_DETAIL ? `${text.slice(0, MAX_DETAIL)}…` : text;
}

function safeStringify(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}

/** True when fetch refused the URL's port as a "bad port" (the fetch standard's port blocklist). */
export function isBadPort(cause: unknown): boolean {
  return /\bbad port\b/i.test(describeCause(cause));
}

/** A short reason from a low-level error and its causes: "ECONNREFUSED", "socket hang up". */
export function describeCause(cause: unknown): string {
  const seen = new Set<unknown>();
  let current = cause;
  const parts: string[] = [];
  while (current && typeof current === 'object' && !seen.has(current) && parts.length < 3) {
    seen.add(current);
    const record = current as { code?: unknown; message?: unknown; cause?: unknown };
    const code = typeof record.code === 'string' ? record.code : undefined;
    const message = typeof record.message === 'string' ? record.message : undefined;
    const part = code && message && !message.includes(code) ? `${code}: ${message}` : (message ?? code);
    if (part && part !== 'fetch failed') parts.push(part);
    current = record.cause;
  }
  if (parts.length === 0 && typeof cause === 'string') return cause;
  return parts.join(' ← ');
}
