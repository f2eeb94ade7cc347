import createClient, {
  type Client,
  createFinalURL,
  createQuerySerializer,
  defaultBodySerializer,
  defaultPathSerializer,
  type FetchResponse,
  type MaybeOptionalInit,
  mergeHeaders,
} from 'openapi-fetch';
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
  type ApiErrorInit,
  ConfigError,
  ConnectionError,
  DecodeError,
  isBadPort,
  MlopsError,
  TimeoutError,
} from './errors';
import { type Logger, silentLogger } from './logger';
import { Redactor, redactUrl, SENSITIVE_HEADERS } from './redact';
import {
  backoffDelay,
  IDEMPOTENT_METHODS,
  type ResolvedRetryOptions,
  type RetryOptions,
  resolveRetry,
  retryAfterMs,
} from './retry';
import { type ServiceId, serviceLabel } from './service';
import { AttemptSignal, DeadlineReason, sleep } from './signals';
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
  /** The component this client talks to, in errors and logs: 'mlflow', 'feast-server', ...; messages use its label. */
  service: ServiceId;
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
  /**
   * Other values this client sends that must never be printed (a password it posts in a body to log in, an
   * API key in a header of `headers`): scrubbed, like the auth option's, from errors, their bodies and logs.
   */
  secrets?: readonly string[];
  /** Retry policy; `false` disables retries. See RetryOptions for the defaults. */
  retry?: RetryOptions | false;
  /** Deadline of a whole call, retries included. Default 120 000 ms; Infinity for none. */
  timeoutMs?: number;
  /** Deadline of one attempt. Default 60 000 ms; Infinity for none. */
  attemptTimeoutMs?: number;
  /** Where to log requests, retries and failures. Off by default. */
  logger?: Logger;
  /**
   * The largest answer read into memory (a JSON body, a buffered response), in bytes: a larger one is a
   * DecodeError, read no further, so a broken or hostile server cannot exhaust memory. Streamed calls
   * (`stream: true`) are the caller's to bound. Default 256 MiB; Infinity for none. Error bodies are kept to
   * their first 64 KiB.
   */
  maxResponseBytes?: number;
  /**
   * Turns a non-2xx answer into the error to raise, for a service whose body says more than its status
   * (MLflow answers 400 for RESOURCE_ALREADY_EXISTS): undefined leaves it to `ApiError.from`. Retries
   * still follow the status.
   */
  classifyError?: (init: ApiErrorInit) => ApiError | undefined;
}

export const DEFAULT_TIMEOUT_MS = 120_000;
export const DEFAULT_ATTEMPT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024 * 1024;
/** What an error body is kept to: enough for any message, not a whole page of HTML. */
const MAX_ERROR_BODY_BYTES = 64 * 1024;

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
  readonly service: ServiceId;
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
const CALL_OPTION_KEY_SET: ReadonlySet<string> = new Set(CALL_OPTION_KEYS);
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

/** What one call sends, prepared once and replayed on every attempt. */
interface Outgoing {
  readonly method: string;
  /** Absolute URL, normalised as a Request holds it. */
  readonly url: string;
  /** The client's default headers overlaid with the call's own (the frozen defaults when it has none). */
  readonly headers: Headers | Readonly<Record<string, string>>;
  readonly body: string | ArrayBuffer | undefined;
  readonly redirect?: RequestRedirect;
  readonly credentials?: RequestCredentials;
  /** The caller's signal, if any. */
  readonly signal: AbortSignal | undefined;
  /** Safe to repeat: by method, by declaration, or by an Idempotency-Key header. */
  readonly idempotent: boolean;
}

/** Takes the body of a successful response, inside the attempt (so its deadline covers the read). */
type ReadBody<T> = (response: Response) => T | Promise<T>;

/** What one attempt came to, before the retry decision. */
type AttemptOutcome<T> =
  | { readonly kind: 'done'; readonly value: T; readonly response: Response }
  /** A 401 (or a `refreshOn` rejection) the token provider may answer: replayed once with a fresh token, not counted as a retry. */
  | { readonly kind: 'refresh' }
  | { readonly kind: 'status'; readonly error: ApiError; readonly retryAfterMs: number | undefined }
  | { readonly kind: 'thrown'; readonly error: unknown; readonly signal: AttemptSignal };

/** The retry decision on a failed attempt. */
interface Verdict {
  readonly error: MlopsError;
  readonly retryable: boolean;
  /** The wait the server asked for (Retry-After), when it did. */
  readonly waitMs?: number | undefined;
}

/** The state of one call across its attempts. */
interface CallState {
  readonly retry: ResolvedRetryOptions;
  readonly maxAttempts: number;
  readonly totalMs: number;
  readonly attemptMs: number;
  readonly deadline: number;
  attempts: number;
  retries: number;
  refreshedAuth: boolean;
}

type Described = { service: ServiceId; method: string; url: string };

const readText: ReadBody<string> = (response) => response.text();
const passThrough: ReadBody<Response> = (response) => response;

class Pipeline {
  readonly #options: HttpClientOptions;
  readonly #service: ServiceId;
  readonly #redactor = new Redactor();
  readonly #auth: Authenticator;
  readonly #logger: Logger;
  readonly #baseUrl: string;
  /** Default headers, user agent and (when it never changes) the Authorization header: merged once. */
  readonly #defaults: Headers;
  /** The same, frozen, for calls without headers of their own (no copy per call; nobody can change it). */
  readonly #defaultRecord: Readonly<Record<string, string>>;
  /** The client's retry policy, for calls that bring none. */
  readonly #retry: ResolvedRetryOptions;
  readonly #timeoutMs: number;
  readonly #attemptTimeoutMs: number;
  readonly #maxResponseBytes: number;
  /** A base URL that does not parse leaves the error to openapi-fetch's Request, as before. */
  readonly #baseParses: boolean;
  /** openapi-fetch's default query serializer, made once instead of once per call. */
  readonly #querySerializer = createQuerySerializer();

  constructor(options: HttpClientOptions) {
    this.#options = options;
    this.#service = options.service;
    const { baseUrl, credentials } = splitUserinfo(options.baseUrl.replace(/\/+$/, ''));
    this.#baseUrl = baseUrl;
    this.#baseParses = URL.canParse(baseUrl);
    // Userinfo in the base URL means basic auth, as curl takes it; fetch refuses such URLs.
    this.#auth = new Authenticator(options.auth ?? credentials, this.#redactor);
    for (const secret of options.secrets ?? []) this.#redactor.addSecret(secret);
    this.#logger = options.logger ?? silentLogger;
    this.#retry = resolveRetry(options.retry);
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULT_ATTEMPT_TIMEOUT_MS;
    this.#maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#defaults = checkedHeaders(options.headers);
    for (const [name, value] of this.#defaults) {
      if (SENSITIVE_HEADERS.has(name)) this.#redactor.addCredentialHeader(value);
    }
    if (!this.#defaults.has('user-agent'))
      this.#defaults.set('user-agent', userAgent(options.sdk, options.userAgent));
    // A call's own Authorization header still wins: it is overlaid on these defaults.
    const staticAuth = this.#auth.staticHeader;
    if (staticAuth !== undefined && !this.#defaults.has('authorization'))
      this.#defaults.set('authorization', staticAuth);
    this.#defaultRecord = Object.freeze(Object.fromEntries(this.#defaults));
  }

  client<Paths extends AnyPaths, Media extends MediaType>(): HttpClient<Paths, Media> {
    const raw = createClient<Paths, Media>({
      baseUrl: this.#baseUrl,
      pathSerializer: wholeSegmentPathSerializer,
      fetch: (request: Request) => this.send(request, callOptionsOf(request)),
    });
    const typed = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE') =>
      // Stays: the typed signatures are checked at HttpClient's declaration; one untyped implementation serves them all.
      ((url: string, init: Record<string, unknown> = {}) => this.#typedCall(raw, method, url, init)) as never;
    return {
      service: this.#service,
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

  /** A typed call: the request built from the spec's params and body, the JSON body decoded. */
  async #typedCall(
    raw: Client<AnyPaths, MediaType>,
    method: string,
    path: string,
    init: Record<string, unknown>,
  ): Promise<unknown> {
    const { call, rest } = splitCallOptions(init);
    let out: Outgoing | undefined;
    try {
      out = this.#prepareTyped(method, path, rest, call);
    } catch (error) {
      throw this.#buildError(method, path, error);
    }
    if (out === undefined) return this.#typedCallViaOpenapiFetch(raw, method, path, call, rest);
    if (out.signal?.aborted) throw abortError(out.signal, this.#describe(out));
    const { value: text, response } = await this.#run(out, call, readText);
    return this.#decodeJson(method, path, text, response);
  }

  /**
   * The request of a typed call, built with openapi-fetch's own serializers but without its Request
   * object. Undefined when the call uses what only openapi-fetch handles (parseAs, custom serializers,
   * middleware, FormData, ...) or that it rejects (a body on GET, a URL that does not parse): such
   * calls go through openapi-fetch, exactly as before.
   */
  #prepareTyped(
    method: string,
    path: string,
    rest: Record<string, unknown>,
    call: CallOptions,
  ): Outgoing | undefined {
    if (!this.#baseParses) return undefined;
    for (const key in rest) if (!TYPED_KEYS.has(key)) return undefined;
    if (call.stream) return undefined;
    const params = (rest.params ?? {}) as TypedParams;
    const own = rest.headers as HeadersOptions | undefined;
    let headers: Headers | undefined;
    let body: string | undefined;
    if (rest.body !== undefined) {
      if (method === 'GET') return undefined;
      const serialized = serializeBody(rest.body, mergeHeaders(own, params.header));
      if (typeof serialized !== 'string') return undefined;
      body = serialized;
      headers = mergeHeaders({ 'Content-Type': 'application/json' }, own, params.header);
      // What a Request adds to a string body that lost its Content-Type.
      if (!headers.has('content-type')) headers.set('content-type', 'text/plain;charset=UTF-8');
    } else if (own !== undefined || params.header !== undefined) {
      headers = mergeHeaders(own, params.header);
    }
    const url = createFinalURL(path, {
      baseUrl: this.#baseUrl,
      params,
      querySerializer: this.#querySerializer,
      pathSerializer: wholeSegmentPathSerializer,
    });
    return {
      method,
      // Valid as it stands: a base URL that parses, without userinfo, and a path and query the
      // serializers encoded. (fetch and Request normalise it; logs and errors show it redacted.)
      url,
      headers: this.#withDefaults(headers),
      body,
      signal: call.signal ?? undefined,
      idempotent:
        call.idempotent ?? (IDEMPOTENT_METHODS.has(method) || headers?.has('idempotency-key') === true),
    };
  }

  async #typedCallViaOpenapiFetch(
    raw: Client<AnyPaths, MediaType>,
    method: string,
    path: string,
    call: CallOptions,
    rest: Record<string, unknown>,
  ): Promise<unknown> {
    const parseAs = rest.parseAs;
    const request = { ...rest, parseAs: parseAs ?? 'text', fetch: (r: Request) => this.send(r, call) };
    // Stays: openapi-fetch's methods are typed per literal path; here the path is a runtime string.
    const caller = (
      raw as unknown as Record<
        string,
        (u: string, i: unknown) => Promise<{ data?: unknown; response: Response }>
      >
    )[method]!;
    let result: { data?: unknown; response: Response };
    try {
      result = await caller(path, request);
    } catch (error) {
      throw MlopsError.isInstance(error) ? error : this.#buildError(method, path, error);
    }
    const { data, response } = result;
    if (parseAs !== undefined) return data;
    return this.#decodeJson(method, path, data as string | undefined, response);
  }

  /** We parse JSON ourselves so a body that is not JSON becomes a DecodeError that shows it. */
  #decodeJson(method: string, path: string, text: string | undefined, response: Response): unknown {
    if (text === undefined || text === '') return undefined;
    try {
      return JSON.parse(text);
    } catch (cause) {
      const snippet = this.#redactor.text(text.length > 200 ? `${text.slice(0, 200)}…` : text);
      const url = this.#redactor.url(response.url || path);
      throw new DecodeError(
        { what: 'JSON response body', source: `${serviceLabel(this.#service)} ${method} ${url}`, cause },
        `${serviceLabel(this.#service)} answered ${response.status} to ${method} ${url} with a body that is not JSON: ${JSON.stringify(snippet)}`,
      );
    }
  }

  /**
   * The response with its body held to `max` bytes: past a Content-Length over it, or past `max` bytes of a body
   * without one, reading fails with a DecodeError (`truncate`: the body just ends there, for error bodies).
   */
  #bounded(response: Response, out: Outgoing, max: number, truncate = false): Response {
    if (!Number.isFinite(max) || response.body === null) return response;
    const tooLarge = (size: string) => {
      const { service, method, url } = this.#describe(out);
      return new DecodeError(
        { what: 'response body', source: `${serviceLabel(service)} ${method} ${url}` },
        `${serviceLabel(service)} answered ${method} ${url} with ${size}, more than the ${max} bytes this client reads (maxResponseBytes).`,
      );
    };
    const declared = Number(response.headers.get('content-length') ?? Number.NaN);
    if (Number.isFinite(declared) && declared <= max) return response;
    if (Number.isFinite(declared) && !truncate) {
      response.body.cancel().catch(() => {});
      throw tooLarge(`a body of ${declared} bytes`);
    }
    let seen = 0;
    const counted = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen <= max) return controller.enqueue(chunk);
          if (!truncate) return controller.error(tooLarge(`a body of more than ${max} bytes`));
          controller.enqueue(chunk.subarray(0, chunk.byteLength - (seen - max)));
          controller.terminate();
        },
      }),
    );
    const copy = new Response(counted, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
    Object.defineProperty(copy, 'url', { value: response.url });
    return copy;
  }

  /** A request that could not even be built (bad URL, bad header): its message, scrubbed of secrets. */
  #buildError(method: string, url: string, error: unknown): MlopsError {
    const reason = error instanceof Error ? error.message : String(error);
    // No `cause`: the original error's message may hold the very secrets scrubbed here.
    return new MlopsError(
      `Could not build the request ${method} ${this.#redactor.url(url)} for ${serviceLabel(this.#service)}: ${this.#redactor.text(redactUrlsIn(reason))}`,
    );
  }

  /** The client's default headers under the call's own; credentials among the call's are remembered. */
  #withDefaults(own: Headers | undefined): Headers | Readonly<Record<string, string>> {
    if (own === undefined) return this.#defaultRecord;
    const headers = new Headers(this.#defaults);
    for (const [name, value] of own) {
      headers.set(name, value);
      if (SENSITIVE_HEADERS.has(name)) this.#redactor.addCredentialHeader(value);
    }
    return headers;
  }

  /** One call from a Request (the raw client, `fetch`): its body is read once and replayed. */
  async send(request: Request, call: CallOptions = {}): Promise<Response> {
    const method = request.method.toUpperCase();
    const signal = call.signal ?? request.signal;
    if (signal.aborted)
      throw abortError(signal, { service: this.#service, method, url: this.#redactor.url(request.url) });
    const headers = this.#withDefaults(request.headers);
    const body = request.body === null ? undefined : await request.arrayBuffer();
    const out: Outgoing = {
      method,
      url: request.url,
      headers,
      body,
      redirect: request.redirect,
      credentials: request.credentials,
      signal,
      idempotent:
        call.idempotent ?? (IDEMPOTENT_METHODS.has(method) || request.headers.has('idempotency-key')),
    };
    return (await this.#run(out, call, call.stream ? passThrough : bufferResponse)).value;
  }

  /** Attempts until one succeeds or the verdict on a failure is final; waits between them. */
  async #run<T>(
    out: Outgoing,
    call: CallOptions,
    read: ReadBody<T>,
  ): Promise<{ value: T; response: Response }> {
    const retry = call.retry === undefined ? this.#retry : resolveRetry(this.#options.retry, call.retry);
    const totalMs = call.timeoutMs ?? this.#timeoutMs;
    const state: CallState = {
      retry,
      maxAttempts: out.idempotent ? retry.maxRetries + 1 : 1,
      totalMs,
      attemptMs: call.attemptTimeoutMs ?? this.#attemptTimeoutMs,
      deadline: Date.now() + totalMs,
      attempts: 0,
      retries: 0,
      refreshedAuth: false,
    };
    for (;;) {
      state.attempts++;
      const outcome = await this.#attempt(out, state, read);
      if (outcome.kind === 'done') return outcome;
      if (outcome.kind === 'refresh') {
        state.refreshedAuth = true;
        continue;
      }
      const verdict = this.#classify(out, state, outcome);
      if (!verdict.retryable) throw verdict.error;
      await this.#waitBeforeRetry(out, state, verdict);
    }
  }

  /** One attempt: headers, auth, fetch, and the body read, under the attempt's deadline. */
  async #attempt<T>(out: Outgoing, state: CallState, read: ReadBody<T>): Promise<AttemptOutcome<T>> {
    const remainingMs = state.deadline - Date.now();
    const attemptMs = Math.min(state.attemptMs, state.totalMs);
    const signal =
      remainingMs <= attemptMs
        ? new AttemptSignal(remainingMs, 'total', out.signal)
        : new AttemptSignal(attemptMs, 'attempt', out.signal);
    const started = Date.now();
    try {
      let headers = out.headers;
      if (this.#auth.canRefresh) {
        headers = new Headers(out.headers);
        await this.#auth.apply(headers, { forceRefresh: state.refreshedAuth, signal: out.signal });
      }
      this.#log('debug', 'mlops.http.request', out, { attempt: state.attempts });
      const init: RequestInit = { method: out.method, headers, body: out.body ?? null };
      if (signal.signal !== undefined) init.signal = signal.signal;
      if (out.redirect !== undefined) init.redirect = out.redirect;
      if (out.credentials !== undefined) init.credentials = out.credentials;
      // An injected fetch gets one Request, as it always has; the platform's takes the URL and init,
      // which spares building a Request it would build again.
      const injected = this.#options.fetch;
      const response = await (injected !== undefined
        ? injected(new Request(out.url, init))
        : globalThis.fetch(out.url, init));
      const durationMs = Date.now() - started;

      if (response.status === 401 && this.#auth.canRefresh && !state.refreshedAuth) {
        // Not awaited: some fetch implementations never settle a cancel.
        response.body?.cancel().catch(() => {});
        this.#log('info', 'mlops.http.auth-refresh', out, { attempt: state.attempts });
        return { kind: 'refresh' };
      }
      this.#log('debug', 'mlops.http.response', out, {
        status: response.status,
        attempt: state.attempts,
        durationMs,
      });
      if (response.ok) {
        const bounded =
          read === passThrough ? response : this.#bounded(response, out, this.#maxResponseBytes);
        return { kind: 'done', value: await read(bounded), response };
      }

      const errorBody = await readErrorBody(this.#bounded(response, out, MAX_ERROR_BODY_BYTES, true));
      if (
        this.#auth.canRefresh &&
        !state.refreshedAuth &&
        this.#auth.refreshesOn({ status: response.status, body: errorBody })
      ) {
        this.#log('info', 'mlops.http.auth-refresh', out, {
          attempt: state.attempts,
          status: response.status,
        });
        return { kind: 'refresh' };
      }
      const retryAfter = retryAfterMs(response.headers);
      const errorInit: ApiErrorInit = {
        ...this.#describe(out),
        status: response.status,
        body: this.#redactor.value(errorBody),
        requestId: requestIdOf(response.headers),
        retryAfterMs: retryAfter,
        attempts: state.attempts,
      };
      const error = this.#classifyError(errorInit);
      return { kind: 'status', error, retryAfterMs: retryAfter };
    } catch (error) {
      return { kind: 'thrown', error, signal };
    } finally {
      signal.clear();
    }
  }

  /** The package's error for an answer, when it has one; a classifier that throws is ignored. */
  #classifyError(init: ApiErrorInit): ApiError {
    const classify = this.#options.classifyError;
    if (classify === undefined) return ApiError.from(init);
    try {
      return classify(init) ?? ApiError.from(init);
    } catch {
      return ApiError.from(init);
    }
  }

  /** Whether a failed attempt may be tried again, and the error that ends the call if not. */
  #classify(out: Outgoing, state: CallState, outcome: AttemptOutcome<unknown>): Verdict {
    if (outcome.kind === 'status') {
      const { error, retryAfterMs: waitMs } = outcome;
      if (!state.retry.statuses.includes(error.status)) return { error, retryable: false };
      // A server asking for more than we are willing to wait gets its answer: the error, at once.
      if (waitMs !== undefined && waitMs > state.retry.maxRetryAfterMs) return { error, retryable: false };
      return this.#canRetry(state, error, waitMs);
    }
    if (outcome.kind !== 'thrown') throw new Error(`unexpected attempt outcome ${outcome.kind}`);
    const { error, signal } = outcome;
    if (MlopsError.isInstance(error)) return { error, retryable: false };
    const described = this.#describe(out);
    const attempts = state.attempts;
    if (out.signal?.aborted) return { error: abortError(out.signal, described, error), retryable: false };
    if (signal.expired && signal.scope === 'total') {
      const timeout = new TimeoutError({
        ...described,
        scope: 'total',
        timeoutMs: state.totalMs,
        attempts,
        cause: error,
      });
      return { error: timeout, retryable: false };
    }
    if (signal.expired) {
      const timeout = new TimeoutError({
        ...described,
        scope: 'attempt',
        timeoutMs: Math.min(state.attemptMs, state.totalMs),
        attempts,
        cause: error,
      });
      return this.#canRetry(state, timeout, undefined);
    }
    // Aborted by a signal that is none of ours and not the caller's: treat as the caller's.
    if (isAbortLike(error)) return { error: abortError(out.signal, described, error), retryable: false };
    const failure = new ConnectionError({ ...described, attempts, cause: error });
    // A port fetch refuses stays refused: no point in retrying.
    if (isBadPort(error)) return { error: failure, retryable: false };
    return this.#canRetry(state, failure, undefined);
  }

  #canRetry(state: CallState, error: MlopsError, waitMs: number | undefined): Verdict {
    const retryable = state.attempts < state.maxAttempts + (state.refreshedAuth ? 1 : 0);
    return { error, retryable, waitMs };
  }

  /** The wait before the next attempt: the server's Retry-After or backoff, within the call's deadline. */
  async #waitBeforeRetry(out: Outgoing, state: CallState, verdict: Verdict): Promise<void> {
    const failure = verdict.error;
    const delay = verdict.waitMs ?? backoffDelay(state.retries, state.retry);
    if (delay >= state.deadline - Date.now()) throw failure;
    state.retries++;
    this.#log('warn', 'mlops.http.retry', out, {
      attempt: state.attempts,
      delayMs: delay,
      reason: ApiError.isInstance(failure) ? failure.status : failure.name,
    });
    try {
      await sleep(delay, out.signal);
    } catch (error) {
      if (out.signal?.aborted) throw abortError(out.signal, this.#describe(out), error);
      throw failure;
    }
    // The call's deadline passed during the wait: the last failure is the answer.
    if (state.deadline - Date.now() <= 0) throw failure;
  }

  /** Service, method and redacted URL of a call, for errors and logs; computed only when needed. */
  #describe(out: Outgoing): Described {
    const cached = describedCache.get(out);
    if (cached !== undefined) return cached;
    const described = { service: this.#service, method: out.method, url: this.#redactor.url(out.url) };
    describedCache.set(out, described);
    return described;
  }

  #log(level: keyof Logger, message: string, out: Outgoing, fields: Record<string, unknown>): void {
    // No logger, no work: the redaction below is a deep copy.
    if (this.#logger === silentLogger) return;
    try {
      this.#logger[level](message, this.#redactor.value({ ...this.#describe(out), ...fields }));
    } catch {
      // A broken logger must not break the call.
    }
  }
}

const describedCache = new WeakMap<Outgoing, Described>();

/** Init keys a typed call can carry and still skip openapi-fetch's Request. */
const TYPED_KEYS: ReadonlySet<string> = new Set(['params', 'body', 'headers', 'signal']);

interface TypedParams {
  path?: Record<string, unknown>;
  query?: Record<string, unknown>;
  header?: HeadersOptions;
}

type HeadersOptions = Parameters<typeof mergeHeaders>[0];

/** openapi-fetch's body serializer; it also reads the headers (form bodies), which its types omit. */
const serializeBody = defaultBodySerializer as (body: unknown, headers?: Headers) => unknown;

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

function abortError(signal: AbortSignal | undefined, caller: Described, cause?: unknown): AbortError {
  const reason = signal?.reason;
  return new AbortError(
    `${caller.method} ${caller.url} to ${serviceLabel(caller.service)} was aborted by the caller.`,
    {
      reason,
      cause: cause ?? reason,
    },
  );
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
  for (const key of Object.keys(init)) {
    if (CALL_OPTION_KEY_SET.has(key)) call[key] = init[key];
    else rest[key] = init[key];
  }
  if (init.signal) call.signal = init.signal;
  return { call: call as CallOptions, rest };
}

/** openapi-fetch copies init keys that are not Request fields onto the Request: our call options. */
function callOptionsOf(request: Request): CallOptions {
  const call: Record<string, unknown> = {};
  for (const key of CALL_OPTION_KEYS) {
    if (!hasKey(request, key)) continue;
    const value = request[key];
    if (value !== undefined) call[key] = value;
  }
  return call as CallOptions;
}

function hasKey<K extends string>(value: object, key: K): value is Record<K, unknown> {
  return key in value;
}

/**
 * openapi-fetch's path serializer, refusing a path parameter that is `.` or `..`: percent-encoding leaves them
 * as they are (and URL parsing reads `%2E` as `.` too), so fetch would remove the segment or climb one up,
 * sending the call to another endpoint (`dags.get('..')` asking `/api/v2/`). No such id can be sent.
 */
const wholeSegmentPathSerializer: typeof defaultPathSerializer = (pathname, pathParams) => {
  for (const [name, value] of Object.entries(pathParams ?? {})) {
    if (value === '.' || value === '..')
      throw new MlopsError(
        `The path parameter ${name} is ${JSON.stringify(value)}, which a URL path cannot hold as a segment: the request would go to another endpoint. No such id can be addressed over HTTP.`,
      );
  }
  return defaultPathSerializer(pathname, pathParams);
};

/** The default headers; one a request cannot carry (CR or LF in a value, a bad name) is a ConfigError naming it. */
function checkedHeaders(headers: HttpClientOptions['headers']): Headers {
  try {
    return new Headers(headers);
  } catch {
    const entries = headers instanceof Headers ? [...headers] : Object.entries(headers ?? {});
    const bad = entries.find(([name, value]) => {
      try {
        new Headers([[name, value]]);
        return false;
      } catch {
        return true;
      }
    });
    // The value is not shown: it may be a credential.
    throw new ConfigError(
      `headers: the header ${JSON.stringify(bad?.[0] ?? '?')} cannot be sent (a header value cannot hold CR, LF or NUL, nor a name spaces or ':'). Fix or remove it.`,
      { option: 'headers' },
    );
  }
}
