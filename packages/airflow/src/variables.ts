import { ConflictError, DecodeError, type Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import { type AirflowHttp, type ListFilters, PAGE_SIZE, type RequestOptions, type Variable } from './types';

/** Variables. Airflow returns every value as a string (JSON text for what was not one); `getJson` parses it. */
export class Variables {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  list(filters: ListFilters<'get_variables'> = {}, options: RequestOptions = {}): Paginator<Variable> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/variables', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.variables, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  get(key: string, options: RequestOptions = {}): Promise<Variable> {
    return this.#http.get('/api/v2/variables/{variable_key}', {
      params: { path: { variable_key: key } },
      signal: options.signal,
    });
  }

  /** The variable's value parsed as JSON; a DecodeError when it is not JSON. */
  async getJson<T = unknown>(key: string, options: RequestOptions = {}): Promise<T> {
    const variable = await this.get(key, options);
    try {
      return JSON.parse(variable.value ?? 'null') as T;
    } catch (cause) {
      throw new DecodeError({
        what: `the value of Airflow variable ${key} as JSON`,
        source: '/api/v2/variables',
        cause,
      });
    }
  }

  /** Creates or replaces a variable. A value that is not a string is stored as JSON. */
  async set(
    key: string,
    value: unknown,
    options: RequestOptions & { description?: string } = {},
  ): Promise<Variable> {
    const body = {
      key,
      value,
      ...(options.description === undefined ? {} : { description: options.description }),
    };
    try {
      return await this.#http.post('/api/v2/variables', { body, signal: options.signal });
    } catch (error) {
      if (!ConflictError.isInstance(error)) throw error;
      return this.#http.patch('/api/v2/variables/{variable_key}', {
        params: { path: { variable_key: key } },
        body,
        idempotent: true,
        signal: options.signal,
      });
    }
  }

  async delete(key: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.delete('/api/v2/variables/{variable_key}', {
      params: { path: { variable_key: key } },
      signal: options.signal,
    });
  }
}
