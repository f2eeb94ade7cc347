import createClient, { type Client, type FetchResponse, type MaybeOptionalInit } from 'openapi-fetch';
import type {
  FilterKeys,
  HttpMethod,
  MediaType,
  PathsWithMethod,
  RequiredKeysOf,
} from 'openapi-typescript-helpers';
import { Authenticator, type AuthOption } from './auth';
import {
  AbortError,
  ApiError,
  ConnectionError,
  DecodeError,
  isBadPort,
  MlopsError,
  TimeoutError,
} from './errors';
import { type Logger, silentLogger } from './logger';
import { Redactor, redactUrl, SENSITIVE_HEADERS } from './redact';
import { backoffDelay, IDEMPOTENT_METHODS, type RetryOptions, resolveRetry, retryAfterMs } from './retry';
import { anySignal, Deadline, DeadlineReason, sleep } from './signals';
import { userAgent } from './user-agent';

/** Options of one call, on top of the client's. */
export interface CallOptions {
  /** Retry policy for this call; `false` disables retries. */
  retry?: RetryOptions | false;
  /**
   * Declares a POST or PATCH safe to repeat, so it is retried like GET. PUT, DELETE and reads are
   * idempotent already. A request with an `Idempotency-Key` header counts as declared.
   */
  idempotent?: boolean;
  /** Deadline of the whole call, retries and waits included, in ms. */
  timeoutMs?: number;
  /** Deadline of one attempt (until the body is read), in ms. */
  attemptTimeoutMs?: number;
  /** The caller's signal: aborting it ends the call at once with an AbortError, never retried. */
  signal?: AbortSignal | null | undefined;
  /**
   * Hand back the response as soon as its headers arrive, without buffering the body (downloads).
   * Deadlines then stop at the headers; the caller's signal still applies to the body.
   */
  stream?: boolean;
}

export interface HttpClientOptions {
  /** The component this client talks to, used in errors and logs: 'mlflow', 'feast', 'airflow', ... */
  service: string;
  /** Base URL of the API, e.g. http://127.0.0.1:5000. Paths are appended to it. */
  baseUrl: string;
  /** The SDK package making the calls; leads the User-Agent. */
  sdk?: { name: string; version: string };
  /** Headers sent with every request. */
  headers?: Record<string, string> | Headers;
  /** Appended to the User-Agent. */
  userAgent?: string;
  /** The fetch to use. When absent, `globalThis.fetch` is looked up at each call (so mocks installed later work). */
  fetch?: typeof fetch;
  auth?: AuthOption;
  /** Retry policy; `false` disables retries. See RetryOptions for the defaults. */
  retry?: RetryOptions | false;
  /** Deadline of a whole call, retries included. Default 120 000 ms; Infinity for none. */
  timeoutMs?: number;
  /** Deadline of one attempt. Default 60 000 ms; Infinity for none. */
  attemptTimeoutMs?: number;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;

// biome-ignore lint/complexity/noBannedTypes: openapi-fetch's own constraint for a paths type.
type AnyPaths = {};
// biome-ignore lint/suspicious/noExplicitAny: openapi-fetch's own constraint for an operation.
type AnyOperation = Record<string | number, any>;
type CallParam<Init> =
  RequiredKeysOf<Init> extends never
    ? [(Init & CallOptions & { [key: string]: unknown })?]
    : [Init & CallOptions & { [key: string]: unknown }];

/**
 * The init object of `Method` on `Path`: params and body as the spec types them. (The path item is
 * widened with the method's key because TypeScript cannot see that PathsWithMethod guarantees it.)
 */
export type RequestInitOf<Paths, Path extends keyof Paths, Method extends HttpMethod> = MaybeOptionalInit<
  Paths[Path] & { [K in Method]: unknown },
  Method
>;

/** The body of a successful response to `Method` on `Path`, as the spec types it. */
export type ResponseData<
  Paths,
  Path extends keyof Paths,
  Method extends HttpMethod,
  Init = undefined,
  Media extends MediaType = `${string}/${string}`,
> = OrUndefined<
  Extract<
    FetchResponse<FilterKeys<Paths[Path], Method> & AnyOperation, Init, Media>,
    { data: unknown }
  >['data']
>;

/** A response without content types as never in openapi-fetch; at runtime it is undefined. */
type OrUndefined<T> = [T] extends [never] ? undefined : T;

/** A typed call that resolves to the response body, or rejects with an MlopsError. */
export type TypedMethod<Paths extends AnyPaths, Method extends HttpMethod, Media extends MediaType> = <
  Path extends PathsWithMethod<Paths, Method>,
  Init extends RequestInitOf<Paths, Path, Method>,
>(
  url: Path,
  ...init: CallParam<Init>
) => Promise<ResponseData<Paths, Path, Method, Init, Media>>;

export interface HttpClient<Paths extends AnyPaths, Media extends MediaType = `${string}/${string}`> {
  readonly service: string;
  readonly baseUrl: string;
  /** GET, resolving to the typed body. */
  get: TypedMethod<Paths, 'get', Media>;
  post: TypedMethod<Paths, 'post', Media>;
  put: TypedMethod<Paths, 'put', Media>;
  patch: TypedMethod<Paths, 'patch', Media>;
  delete: TypedMethod<Paths, 'delete', Media>;
  /**
   * The full openapi-fetch client over the same pipeline (auth, retries, timeouts, logging), for what the
   * typed surface does not cover. Unlike plain openapi-fetch, a non-2xx status rejects with an ApiError
   * instead of resolving to `{ error }`. Call options (`retry`, `idempotent`, `timeoutMs`, ...) may be
   * passed in the init object.
   */
  readonly raw: Client<Paths, Media>;
  /**
   * Sends any request through the pipeline: a path relative to baseUrl, or a full URL. Resolves to the
   * response (body buffered unless `stream: true`); a non-2xx status rejects with an ApiError.
   */
  fetch(input: string | URL, init?: RequestInit & CallOptions): Promise<Response>;
}

const REQUEST_ID_HEADERS = [
  'x-request-id',
  'request-id',
  'x-correlation-id',
  'x-amzn-requestid',
  'x-amz-request-id',
];
const CALL_OPTION_KEYS = ['retry', 'idempotent', 'timeoutMs', 'attemptTimeoutMs', 'stream'] as const;
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A typed HTTP client for one API, from the `paths` type openapi-typescript generates for it:
 *
 * ```ts
 * import type { paths } from './generated/api';
 * const http = createHttpClient<paths>({ service: 'mlflow', baseUrl: 'http://127.0.0.1:5000' });
 * const model = await http.get('/models/{name}', { params: { path: { name: 'churn' } } });
 * ```
 */
export function createHttpClient<Paths extends AnyPaths, Media extends MediaType = `${string}/${string}`>(
  options: HttpClientOptions,
): HttpClient<Paths, Media> {
  return new Pipeline(options).client<Paths, Media>();
}

class Pipeline {
  readonly #options: HttpClientOptions;
  readonly #redactor = new Redactor();
  readonly #auth: Authenticator;
  readonly #logger: Logger;
  readonly #baseUrl: string;
  readonly #headers: Headers;

  constructor(options: HttpClientOptions) {
    this.#options = options;
    const { baseUrl, credentials } = splitUserinfo(options.baseUrl.replace(/\/+$/, ''));
    this.#baseUrl = baseUrl;
    // Userinfo in the base URL means basic auth, as curl takes it; fetch refuses such URLs.
    this.#auth = new Authenticator(options.auth ?? credentials, this.#redactor);
    this.#logger = options.logger ?? silentLogger;
    this.#headers = new Headers(options.headers);
    for (const [name, value] of this.#headers) {
      if (SENSITIVE_HEADERS.has(name)) this.#redactor.addCredentialHeader(value);
    }
    if (!this.#headers.has('user-agent'))
      this.#headers.set('user-agent', userAgent(options.sdk, options.userAgent));
  }

  client<Paths extends AnyPaths, Media extends MediaType>(): HttpClient<Paths, Media> {
    const raw = createClient<Paths, Media>({
      baseUrl: this.#baseUrl,
      fetch: (request: Request) => this.send(request, callOptionsOf(request)),
    });
    const typed = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
      ((url: string, init: Record<string, unknown> = {}) => this.#typedCall(raw, method, url, init)) as never;
    return {
      service: this.#options.service,
      baseUrl: this.#baseUrl,
      get: typed('GET'),
      post: typed('POST'),
      put: typed('PUT'),
      patch: typed('PATCH'),
      delete: typed('DELETE'),
      raw,
      fetch: (input, init = {}) => {
        const url =
          typeof input === 'string' && !/^[a-z][a-z0-9+.-]*:/i.test(input)
            ? `${this.#baseUrl}${input}`
            : input;
        const { call, rest } = splitCallOptions(init as Record<string, unknown>);
        return this.send(new Request(url, rest as RequestInit), call);
      },
    };
  }

  async #typedCall(
    raw: Client<AnyPaths, MediaType>,
    method: string,
    url: string,
    init: Record<string, unknown>,
  ): Promise<unknown> {
    const { call, rest } = splitCallOptions(init);
    const parseAs = rest.parseAs;
    const request = { ...rest, parseAs: parseAs ?? 'text', fetch: (r: Request) => this.send(r, call) };
    const caller = (
      raw as unknown as Record<
        string,
        (u: string, i: unknown) => Promise<{ data?: unknown; response: Response }>
      >
    )[method]!;
    let result: { data?: unknown; response: Response };
    try {
      result = await caller(url, request);
    } catch (error) {
      throw MlopsError.isInstance(error) ? error : this.#buildError(method, url, error);
    }
    const { data, response } = result;
    if (parseAs !== undefined) return data;
    // We parse JSON ourselves so a body that is not JSON becomes a DecodeError that shows it.
    const text = data as string | undefined;
    if (text === undefined || text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      const snippet = this.#redactor.text(text.length > 200 ? `${text.slice(0, 200)}…` : text);
      throw new DecodeError(
        {
          what: 'JSON response body',
          source: `${this.#options.service} ${method} ${this.#redactor.url(response.url || url)}`,
          cause,
        },
        `${this.#options.service} answered ${response.status} to ${method} ${this.#redactor.url(response.url || url)} with a body that is not JSON: ${JSON.stringify(snippet)}`,
      );
    }
  }

  /** A request that could not even be built (bad URL, bad header): its message, scrubbed of secrets. */
  #buildError(method: string, url: string, error: unknown): MlopsError {
    const reason = error instanceof Error ? error.message : String(error);
    // No `cause`: the original error's message may hold the very secrets scrubbed here.
    return new MlopsError(
      `Could not build the request ${method} ${this.#redactor.url(url)} for ${this.#options.service}: ${this.#redactor.text(redactUrlsIn(reason))}`,
    );
  }

  /** One call: attempts, retries, waits, deadlines, auth refresh, error mapping. */
  async send(request: Request, call: CallOptions = {}): Promise<Response> {
    const service = this.#options.service;
    const method = request.method.toUpperCase();
    const url = this.#redactor.url(request.url);
    const retry = resolveRetry(this.#options.retry, call.retry);
    const idempotent =
      call.idempotent ?? (IDEMPOTENT_METHODS.has(method) || request.headers.has('idempotency-key'));
    const maxAttempts = idempotent ? retry.maxRetries + 1 : 1;
    const totalMs = call.timeoutMs ?? this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const attemptMs = call.attemptTimeoutMs ?? this.#options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    const callerSignal = call.signal ?? request.signal;
    const caller = { service, method, url };

    if (callerSignal.aborted) throw abortError(callerSignal, caller);

    // The body is read once and replayed on every attempt.
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const total = new Deadline(totalMs);
    let refreshedAuth = false;
    let attempts = 0;
    let retries = 0;
    try {
      for (;;) {
        attempts++;
        const attempt = new Deadline(Math.min(attemptMs, totalMs));
        const signal = anySignal([callerSignal, total.signal, attempt.signal]);
        const started = Date.now();
        let failure: MlopsError;
        let wait: number | undefined;
        try {
          const headers = new Headers(this.#headers);
          for (const [name, value] of request.headers) {
            headers.set(name, value);
            if (SENSITIVE_HEADERS.has(name)) this.#redactor.addCredentialHeader(value);
          }
          await this.#auth.apply(headers, { forceRefresh: refreshedAuth, signal: callerSignal });
          const outgoing = new Request(request.url, {
            method,
            headers,
            body: body ?? null,
            signal,
            redirect: request.redirect,
            credentials: request.credentials,
          });
          this.#log('debug', 'mlops.http.request', { service, method, url, attempt: attempts });
          const fetchImpl = this.#options.fetch ?? globalThis.fetch;
          const response = await fetchImpl(outgoing);
          const durationMs = Date.now() - started;

          if (response.ok) {
            this.#log('debug', 'mlops.http.response', {
              service,
              method,
              url,
              status: response.status,
              attempt: attempts,
              durationMs,
            });
            if (call.stream) return response;
            return await bufferResponse(response);
          }

          if (response.status === 401 && this.#auth.canRefresh && !refreshedAuth) {
            // One refresh of the token, then the same request again. Not counted as a retry.
            refreshedAuth = true;
            // Not awaited: some fetch implementations never settle a cancel.
            response.body?.cancel().catch(() => {});
            this.#log('info', 'mlops.http.auth-refresh', { service, method, url, attempt: attempts });
            continue;
          }

          const errorBody = await readErrorBody(response);
          const retryAfter = retryAfterMs(response.headers);
          failure = ApiError.from({
            status: response.status,
            service,
            method,
            url,
            body: this.#redactor.value(errorBody),
            requestId: requestIdOf(response.headers),
            retryAfterMs: retryAfter,
            attempts,
          });
          this.#log('debug', 'mlops.http.response', {
            service,
            method,
            url,
            status: response.status,
            attempt: attempts,
            durationMs,
          });
          if (!retry.statuses.includes(response.status)) throw failure;
          if (retryAfter !== undefined) {
            // A server asking for more than we are willing to wait gets its answer: the error, at once.
            if (retryAfter > retry.maxRetryAfterMs) throw failure;
            wait = retryAfter;
          }
        } catch (error) {
          if (MlopsError.isInstance(error)) throw error;
          if (callerSignal.aborted) throw abortError(callerSignal, caller, error);
          if (total.expired)
            throw new TimeoutError({ ...caller, scope: 'total', timeoutMs: totalMs, attempts, cause: error });
          if (attempt.expired) {
            failure = new TimeoutError({
              ...caller,
              scope: 'attempt',
              timeoutMs: Math.min(attemptMs, totalMs),
              attempts,
              cause: error,
            });
          } else if (isAbortLike(error)) {
            // Aborted by a signal that is none of ours and not the caller's: treat as the caller's.
            throw abortError(callerSignal, caller, error);
          } else {
            failure = new ConnectionError({ ...caller, attempts, cause: error });
            // A port fetch refuses stays refused: no point in retrying.
            if (isBadPort(error)) throw failure;
          }
        } finally {
          attempt.clear();
        }

        if (attempts >= maxAttempts + (refreshedAuth ? 1 : 0)) throw failure;
        const delay = wait ?? backoffDelay(retries, retry);
        if (delay >= total.remainingMs()) throw failure;
        retries++;
        this.#log('warn', 'mlops.http.retry', {
          service,
          method,
          url,
          attempt: attempts,
          delayMs: delay,
          reason: ApiError.isInstance(failure) ? failure.status : failure.name,
        });
        try {
          await sleep(delay, anySignal([callerSignal, total.signal]));
        } catch (error) {
          if (callerSignal.aborted) throw abortError(callerSignal, caller, error);
          throw failure;
        }
      }
    } finally {
      total.clear();
    }
  }

  #log(level: keyof Logger, message: string, fields: Record<string, unknown>): void {
    // No logger, no work: the redaction below is a deep copy.
    if (this.#logger === silentLogger) return;
    try {
      this.#logger[level](message, this.#redactor.value(fields));
    } catch {
      // A broken logger must not break the call.
    }
  }
}

/** Splits `http://user:pass@host` into the URL without userinfo and basic-auth credentials. */
function splitUserinfo(baseUrl: string): { baseUrl: string; credentials?: AuthOption } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    return { baseUrl };
  }
  if (!url.username && !url.password) return { baseUrl };
  const credentials: AuthOption = {
    type: 'basic',
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
  };
  url.username = '';
  url.password = '';
  return { baseUrl: url.toString().replace(/\/+$/, ''), credentials };
}

function redactUrlsIn(text: string): string {
  return text.replace(/[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi, (match) => redactUrl(match));
}

function abortError(
  signal: AbortSignal,
  caller: { service: string; method: string; url: string },
  cause?: unknown,
): AbortError {
  const reason = signal.reason;
  return new AbortError(`${caller.method} ${caller.url} to ${caller.service} was aborted by the caller.`, {
    reason,
    cause: cause ?? reason,
  });
}

function isAbortLike(error: unknown): boolean {
  return (
    error instanceof DeadlineReason ||
    (typeof error === 'object' && error !== null && (error as { name?: unknown }).name === 'AbortError')
  );
}

async function bufferResponse(response: Response): Promise<Response> {
  const buffer = NULL_BODY_STATUSES.has(response.status) ? null : await response.arrayBuffer();
  const headers = new Headers(response.headers);
  if (buffer !== null) {
    // The body is whole now: its real length, not the transfer encoding's.
    headers.delete('transfer-encoding');
    headers.delete('content-encoding');
    headers.set('content-length', String(buffer.byteLength));
  }
  const copy = new Response(buffer, { status: response.status, statusText: response.statusText, headers });
  Object.defineProperty(copy, 'url', { value: response.url });
  return copy;
}

/** An error body: parsed JSON when it is JSON, otherwise the text. Never throws for a bad body. */
async function readErrorBody(response: Response): Promise<unknown> {
  let text: string;
  try {
    text = await response.text();
  } catch (error) {
    if (isAbortLike(error)) throw error;
    return '';
  }
  const type = response.headers.get('content-type') ?? '';
  if (type.includes('json') || /^\s*[{[]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}

function requestIdOf(headers: Headers): string | undefined {
  for (const name of REQUEST_ID_HEADERS) {
    const value = headers.get(name);
    if (value) return value;
  }
  return undefined;
}

function splitCallOptions(init: Record<string, unknown>): {
  call: CallOptions;
  rest: Record<string, unknown>;
} {
  const call: Record<string, unknown> = {};
  const rest: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(init)) {
    if ((CALL_OPTION_KEYS as readonly string[]).includes(key)) call[key] = value;
    else rest[key] = value;
  }
  if (init.signal) call.signal = init.signal;
  return { call: call as CallOptions, rest };
}

/** openapi-fetch copies init keys that are not Request fields onto the Request: our call options. */
function callOptionsOf(request: Request): CallOptions {
  const call: Record<string, unknown> = {};
  for (const key of CALL_OPTION_KEYS) {
    const value = (request as unknown as Record<string, unknown>)[key];
    if (value !== undefined) call[key] = value;
  }
  return call as CallOptions;
}
