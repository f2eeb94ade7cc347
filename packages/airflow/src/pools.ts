import type { Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import {
  type AirflowHttp,
  type ListFilters,
  PAGE_SIZE,
  type Pool,
  type RequestOptions,
  type Schemas,
} from './types';

/** Pools: named slot budgets tasks draw from. */
export class Pools {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  list(filters: ListFilters<'get_pools'> = {}, options: RequestOptions = {}): Paginator<Pool> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/pools', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.pools, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  get(name: string, options: RequestOptions = {}): Promise<Pool> {
    return this.#http.get('/api/v2/pools/{pool_name}', {
      params: { path: { pool_name: name } },
      signal: options.signal,
    });
  }

  create(pool: Schemas['PoolBody'], options: RequestOptions = {}): Promise<Pool> {
    return this.#http.post('/api/v2/pools', { body: pool, signal: options.signal });
  }

  /**
   * Changes the given fields only. (Airflow 3.3.2 rejects a PATCH body without `pool` and
   * `include_deferred` with 422 whatever the update mask says, contrary to its spec: both are sent, from
   * the pool as it is.)
   */
  async update(
    name: string,
    changes: Omit<Schemas['PoolPatchBody'], 'pool'>,
    options: RequestOptions = {},
  ): Promise<Pool> {
    const current = await this.get(name, options);
    return this.#http.patch('/api/v2/pools/{pool_name}', {
      params: { path: { pool_name: name }, query: { update_mask: Object.keys(changes) } },
      body: { pool: name, include_deferred: current.include_deferred, ...changes },
      idempotent: true,
      signal: options.signal,
    });
  }

  async delete(name: string, options: RequestOptions = {}): Promise<void> {
    await this.#http.delete('/api/v2/pools/{pool_name}', {
      params: { path: { pool_name: name } },
      signal: options.signal,
    });
  }
}
