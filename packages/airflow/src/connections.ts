/**
 * Connections. Their passwords and extras are secrets: the objects returned here print (JSON,
 * console.log) with both redacted while the fields stay readable in code, and an error about a
 * connection call never carries them (Airflow's 422 echoes the request body as `input`).
 */
import { ApiError, type Paginator } from '@mlops/core';
import { paginateByOffset, REDACTED } from '@mlops/core/sdk';
import {
  type AirflowHttp,
  type Connection,
  type ListFilters,
  PAGE_SIZE,
  type RequestOptions,
  type Schemas,
} from './types';

export type ConnectionBody = Schemas['ConnectionBody'];

export class Connections {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  list(filters: ListFilters<'get_connections'> = {}, options: RequestOptions = {}): Paginator<Connection> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/connections', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.connections.map(redactedOnPrint), totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  async get(connectionId: string, options: RequestOptions = {}): Promise<Connection> {
    return redactedOnPrint(
      await this.#http.get('/api/v2/connections/{connection_id}', {
        params: { path: { connection_id: connectionId } },
        signal: options.signal,
      }),
    );
  }

  async create(connection: ConnectionBody, options: RequestOptions = {}): Promise<Connection> {
    return redactedOnPrint(
      await withoutSecrets(
        connection,
        this.#http.post('/api/v2/connections', { body: connection, signal: options.signal }),
      ),
    );
  }

  /** Changes the given fields only (`connection_id` and `conn_type` are required by Airflow's body). */
  async update(connection: ConnectionBody, options: RequestOptions = {}): Promise<Connection> {
    const fields = Object.keys(connection).filter((k) => k !== 'connection_id');
    return redactedOnPrint(
      await withoutSecrets(
        connection,
        this.#http.patch('/api/v2/connections/{connection_id}', {
          params: { path: { connection_id: connection.connection_id }, query: { update_mask: fields } },
          body: connection,
          idempotent: true,
          signal: options.signal,
        }),
      ),
    );
  }

  async delete(connectionId: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.delete('/api/v2/connections/{connection_id}', {
      params: { path: { connection_id: connectionId } },
      signal: options.signal,
    });
  }
}

/** The connection as printed: password and extra replaced (when set). */
export function redactConnection<T extends { password?: string | null; extra?: string | null }>(
  connection: T,
): T {
  return {
    ...connection,
    ...(connection.password ? { password: REDACTED } : {}),
    ...(connection.extra ? { extra: REDACTED } : {}),
  };
}

function redactedOnPrint(connection: Connection): Connection {
  const shown = () => redactConnection({ ...connection });
  Object.defineProperty(connection, 'toJSON', { value: shown, enumerable: false });
  Object.defineProperty(connection, Symbol.for('nodejs.util.inspect.custom'), {
    value: shown,
    enumerable: false,
  });
  return connection;
}

/** Runs a connection call; an ApiError it raises is rebuilt with the body's password and extra redacted. */
async function withoutSecrets<T>(connection: ConnectionBody, call: Promise<T>): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (!ApiError.isInstance(error)) throw error;
    const secrets = [connection.password, connection.extra].filter(
      (s): s is string => typeof s === 'string' && s !== '',
    );
    if (secrets.length === 0) throw error;
    const scrub = (value: unknown): unknown => {
      if (typeof value === 'string') return secrets.reduce((text, s) => text.split(s).join(REDACTED), value);
      if (Array.isArray(value)) return value.map(scrub);
      if (typeof value === 'object' && value !== null)
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, scrub(v)]));
      return value;
    };
    const init = {
      status: error.status,
      service: error.service,
      method: error.method,
      url: error.url,
      body: scrub(error.body),
      requestId: error.requestId,
      retryAfterMs: error.retryAfterMs,
      attempts: error.attempts,
      code: error.code,
    };
    throw ApiError.from({ ...init, cause: undefined });
  }
}
