import { NotFoundError, type Paginator } from '@mlops/core';
import { paginateByOffset } from '@mlops/core/sdk';
import {
  type AirflowHttp,
  type Asset,
  type AssetEvent,
  type ListFilters,
  PAGE_SIZE,
  type QueuedEvent,
  type RequestOptions,
} from './types';

/** An asset by its numeric id, or by its URI (resolved to the id with one lookup). */
export type AssetRef = number | { readonly uri: string };

/** Assets, their events (emitting one triggers the DAGs scheduled on the asset) and queued events. */
export class Assets {
  readonly #http: AirflowHttp;

  constructor(http: AirflowHttp) {
    this.#http = http;
  }

  list(filters: ListFilters<'get_assets'> = {}, options: RequestOptions = {}): Paginator<Asset> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/assets', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.assets, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  /** An asset by id, or by exact URI (`{ uri }`); NotFoundError when there is none. */
  async get(asset: AssetRef, options: RequestOptions = {}): Promise<Asset> {
    if (typeof asset === 'number') {
      return this.#http.get('/api/v2/assets/{asset_id}', {
        params: { path: { asset_id: asset } },
        signal: options.signal,
      });
    }
    // uri_pattern is a substring match: keep the exact one.
    for await (const candidate of this.list({ uri_pattern: asset.uri }, options)) {
      if (candidate.uri === asset.uri) return candidate;
    }
    throw new NotFoundError(
      {
        status: 404,
        service: 'airflow',
        method: 'GET',
        url: '/api/v2/assets',
        body: { detail: `no asset with uri ${asset.uri}` },
      },
      `Airflow has no asset with URI ${JSON.stringify(asset.uri)}. Assets exist once a parsed DAG declares them (as an outlet or a schedule); check the URI and that the DAG parsed.`,
    );
  }

  /** Asset events, newest last unless `order_by` says otherwise. */
  events(filters: ListFilters<'get_asset_events'> = {}, options: RequestOptions = {}): Paginator<AssetEvent> {
    return paginateByOffset(
      async ({ limit, offset }) => {
        const page = await this.#http.get('/api/v2/assets/events', {
          params: { query: { ...filters, limit, offset } },
          signal: options.signal,
        });
        return { items: page.asset_events, totalEntries: page.total_entries };
      },
      { pageSize: PAGE_SIZE },
    );
  }

  /**
   * Records an event on the asset, as a producing task would: the DAGs scheduled on it are queued
   * (`created_dagruns` lists runs created at once; the scheduler may create them moments later).
   */
  async createEvent(
    asset: AssetRef,
    options: RequestOptions & { extra?: Record<string, unknown> } = {},
  ): Promise<AssetEvent> {
    const assetId = typeof asset === 'number' ? asset : (await this.get(asset, options)).id;
    return this.#http.post('/api/v2/assets/events', {
      body: { asset_id: assetId, ...(options.extra === undefined ? {} : { extra: options.extra }) },
      signal: options.signal,
    });
  }

  /** Events waiting for the DAGs scheduled on this asset (not yet turned into runs). */
  async queuedEvents(asset: AssetRef, options: RequestOptions = {}): Promise<QueuedEvent[]> {
    const assetId = typeof asset === 'number' ? asset : (await this.get(asset, options)).id;
    try {
      const page = await this.#http.get('/api/v2/assets/{asset_id}/queuedEvents', {
        params: { path: { asset_id: assetId } },
        signal: options.signal,
      });
      return page.queued_events;
    } catch (error) {
      // Airflow answers 404 when nothing is queued.
      if (NotFoundError.isInstance(error)) return [];
      throw error;
    }
  }

  /** Events queued for one DAG, across the assets it is scheduled on. */
  async dagQueuedEvents(dagId: string, options: RequestOptions = {}): Promise<QueuedEvent[]> {
    try {
      const page = await this.#http.get('/api/v2/dags/{dag_id}/assets/queuedEvents', {
        params: { path: { dag_id: dagId } },
        signal: options.signal,
      });
      return page.queued_events;
    } catch (error) {
      if (NotFoundError.isInstance(error)) return [];
      throw error;
    }
  }
}
