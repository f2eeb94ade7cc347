/**
 * Trino's client REST protocol on @mlops/core's HTTP pipeline: `POST /v1/statement`, then `GET nextUri`
 * until there is none; each answer may carry the result's columns and a page of rows (JSON arrays). A query
 * left before its end (an error, an abort, a consumer that stopped) is cancelled with `DELETE nextUri`.
 * Integers beyond 2^53 are read from the JSON text itself (never through a double).
 */
import {
  AbortError,
  ApiError,
  createHttpClient,
  DecodeError,
  type HttpClient,
  type MlopsError,
  type RetryOptions,
  TimeoutError,
} from '@mlops/core';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../../version';
import { type TrinoFailure, TrinoQueryError, trinoFailureMessage } from './errors';

/** Where and as whom queries run: what the X-Trino-* headers carry. */
export interface TrinoConnection {
  /** http(s)://host:port */
  baseUrl: string;
  user: string;
  /** The session's catalog (and schema), for unqualified names. */
  catalog: string | undefined;
  schema: string | undefined;
  /** X-Trino-Source: who runs the query, shown in Trino's UI. */
  source: string;
  /** Session properties (X-Trino-Session), e.g. { query_max_execution_time: '10m' }. */
  sessionProperties: Readonly<Record<string, string>>;
  /** X-Trino-Time-Zone; by default the server's. */
  timeZone: string | undefined;
  /** More headers: Authorization, X-Trino-Extra-Credential. */
  headers: Readonly<Record<string, string>>;
}

/** A column of a result, as Trino describes it: `type` is its SQL type, e.g. 'timestamp(6) with time zone'. */
export interface TrinoColumn {
  name: string;
  type: string;
}

export interface TrinoQueryOptions {
  /** What the query is for, in messages: 'reading the point-in-time result'. */
  step: string;
  signal?: AbortSignal | undefined;
  /** A bound for the whole query, in ms: past it, the query is cancelled on the server. */
  timeoutMs?: number | undefined;
  /**
   * Session properties for this query only (X-Trino-Session), under the connection's: a property the
   * connection sets keeps the connection's value.
   */
  sessionProperties?: Readonly<Record<string, string>> | undefined;
}

/** One answer of the protocol that holds rows (or only the columns). */
export interface TrinoPage {
  queryId: string;
  columns: TrinoColumn[];
  rows: unknown[][];
}

interface StatementResponse {
  id?: string;
  nextUri?: string;
  columns?: TrinoColumn[];
  data?: unknown[][];
  stats?: { state?: string };
  error?: Partial<TrinoFailure>;
  updateType?: string;
}

/** A run of 16 or more digits outside a string is an integer a double may not hold. */
const BIG_INTEGER = /[[,:]\s*-?\d{16,}\s*[,\]}]/;

function reviveBigIntegers(
  this: unknown,
  _key: string,
  value: unknown,
  context?: { source?: string },
): unknown {
  if (
    typeof value === 'number' &&
    !Number.isSafeInteger(value) &&
    context?.source &&
    /^-?\d+$/.test(context.source)
  ) {
    return BigInt(context.source);
  }
  return value;
}

/** JSON.parse that keeps integers beyond 2^53 exact (as bigints): the fast plain parse when there are none. */
export function parseTrinoJson(text: string): unknown {
  if (!BIG_INTEGER.test(text)) return JSON.parse(text);
  // The reviver's third argument (the value's source text) is in V8 (Node 22+, Deno) and JavaScriptCore (Bun).
  return JSON.parse(text, reviveBigIntegers as (key: string, value: unknown) => unknown);
}

export interface TrinoClientOptions {
  fetch?: typeof fetch;
  retry?: RetryOptions | false;
}

/** The X-Trino-Session value of `properties` ('' for none). */
function sessionHeader(properties: Readonly<Record<string, string>>): string {
  return Object.entries(properties)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join(',');
}

/** A Trino coordinator, spoken to through its client REST protocol. */
export class TrinoClient {
  readonly #http: HttpClient<Record<string, never>>;
  readonly connection: TrinoConnection;

  constructor(connection: TrinoConnection, options: TrinoClientOptions = {}) {
    this.connection = connection;
    this.#http = createHttpClient({
      service: 'trino',
      baseUrl: connection.baseUrl,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      headers: this.#headers(),
      ...(options.fetch ? { fetch: options.fetch } : {}),
      ...(options.retry !== undefined ? { retry: options.retry } : {}),
      // A query may run for long; each request of the protocol is short (the server long-polls ≤ 1 s).
      timeoutMs: Number.POSITIVE_INFINITY,
    });
  }

  #headers(): Record<string, string> {
    const c = this.connection;
    const headers: Record<string, string> = {
      'X-Trino-User': c.user,
      'X-Trino-Source': c.source,
      // Without it Trino rounds every timestamp it sends to the millisecond (the legacy client protocol).
      'X-Trino-Client-Capabilities': 'PARAMETRIC_DATETIME',
      ...c.headers,
    };
    if (c.catalog) headers['X-Trino-Catalog'] = c.catalog;
    if (c.schema) headers['X-Trino-Schema'] = c.schema;
    if (c.timeZone) headers['X-Trino-Time-Zone'] = c.timeZone;
    const session = sessionHeader(c.sessionProperties);
    if (session) headers['X-Trino-Session'] = session;
    return headers;
  }

  /**
   * Runs `sql` and yields its pages as they come: the first yielded page always has the columns (possibly no
   * rows). Breaking out of the loop, an abort or an error cancels the query on the server (DELETE nextUri).
   */
  async *pages(sql: string, options: TrinoQueryOptions): AsyncGenerator<TrinoPage> {
    const { step } = options;
    const controller = new AbortController();
    const onAbort = () => controller.abort(options.signal?.reason);
    if (options.signal?.aborted)
      throw new AbortError(`${step} was aborted before it started.`, { reason: options.signal.reason });
    options.signal?.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, options.timeoutMs);
    let next: string | undefined;
    let queryId: string | undefined;
    let finished = false;
    let columns: TrinoColumn[] | undefined;
    try {
      let response = await this.#call(
        () => this.#submit(sql, controller.signal, options.sessionProperties),
        step,
      );
      for (;;) {
        queryId = response.id ?? queryId;
        next = response.nextUri;
        if (response.error) {
          next = undefined; // a failed query is over on the server
          throw this.#failure(response.error, step, queryId);
        }
        if (response.columns && !columns) columns = response.columns;
        if (columns && (response.data || !next)) {
          yield { queryId: queryId ?? '', columns, rows: response.data ?? [] };
        }
        if (!next) break;
        const uri = next;
        response = await this.#call(
          () => this.#http.fetch(uri, { method: 'GET', signal: controller.signal }),
          step,
        );
      }
      finished = true;
      if (!columns) yield { queryId: queryId ?? '', columns: [], rows: [] };
    } catch (error) {
      if (options.signal?.aborted) {
        throw new AbortError(`${step} was aborted; the query was cancelled on Trino.`, {
          reason: options.signal.reason,
        });
      }
      if (timedOut) {
        throw new TimeoutError(
          {
            service: 'trino',
            method: 'QUERY',
            url: this.connection.baseUrl,
            scope: 'total',
            timeoutMs: options.timeoutMs!,
            cause: error,
          },
          `${step} on Trino timed out after ${options.timeoutMs} ms; the query${queryId ? ` ${queryId}` : ''} was cancelled. Raise timeoutMs if the cluster is just slow.`,
        );
      }
      throw error;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      if (!finished && next) this.cancel(next);
    }
  }

  /**
   * POST /v1/statement. Not retried on a dropped connection (the query may have been accepted: running it twice
   * could insert entity rows twice), but on 429/502/503/504, which Trino answers before accepting anything.
   */
  async #submit(
    sql: string,
    signal: AbortSignal,
    sessionProperties: Readonly<Record<string, string>> | undefined,
  ): Promise<Response> {
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (sessionProperties && Object.keys(sessionProperties).length > 0) {
      headers['X-Trino-Session'] = sessionHeader({
        ...sessionProperties,
        ...this.connection.sessionProperties,
      });
    }
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#http.fetch('/v1/statement', {
          method: 'POST',
          body: sql,
          headers,
          signal,
          retry: false,
        });
      } catch (error) {
        const status = ApiError.isInstance(error) ? error.status : 0;
        if (attempt >= 4 || ![429, 502, 503, 504].includes(status)) throw error;
        await new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt));
        if (signal.aborted) throw error;
      }
    }
  }

  /** Asks Trino to cancel the query behind `nextUri`; best effort, never throws. */
  cancel(nextUri: string): void {
    this.#http.fetch(nextUri, { method: 'DELETE', retry: false, timeoutMs: 10_000 }).then(
      (r) => r.body?.cancel().catch(() => {}),
      () => {},
    );
  }

  /** Runs a statement to its end: every row, in memory (DDL, INSERT, small queries). */
  async run(
    sql: string,
    options: TrinoQueryOptions,
  ): Promise<{ queryId: string; columns: TrinoColumn[]; rows: unknown[][] }> {
    let queryId = '';
    let columns: TrinoColumn[] = [];
    const rows: unknown[][] = [];
    for await (const page of this.pages(sql, options)) {
      queryId = page.queryId;
      columns = page.columns;
      for (const row of page.rows) rows.push(row);
    }
    return { queryId, columns, rows };
  }

  async #call(request: () => Promise<Response>, step: string): Promise<StatementResponse> {
    const response = await request();
    const text = await response.text();
    let body: unknown;
    try {
      body = parseTrinoJson(text);
    } catch (cause) {
      throw new DecodeError(
        { what: 'Trino statement response', source: response.url || this.connection.baseUrl, cause },
        `Trino answered ${step} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}. Is ${this.connection.baseUrl} a Trino coordinator?`,
      );
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new DecodeError(
        { what: 'Trino statement response', source: response.url || this.connection.baseUrl },
        `Trino answered ${step} with ${JSON.stringify(text.slice(0, 200))}, not a statement response. Is ${this.connection.baseUrl} a Trino coordinator?`,
      );
    }
    const statement = body as StatementResponse;
    if (statement.data !== undefined && !Array.isArray(statement.data)) {
      throw new DecodeError(
        { what: 'Trino statement response', source: response.url || this.connection.baseUrl },
        `Trino answered ${step} with rows that are not an array.`,
      );
    }
    return statement;
  }

  #failure(error: Partial<TrinoFailure>, step: string, queryId: string | undefined): MlopsError {
    const failure: TrinoFailure = {
      message: error.message ?? 'no message',
      errorName: error.errorName ?? 'UNKNOWN',
      errorType: error.errorType ?? 'UNKNOWN',
      errorCode: error.errorCode ?? -1,
    };
    return new TrinoQueryError({ ...failure, step, queryId }, trinoFailureMessage(failure, step, queryId));
  }
}
