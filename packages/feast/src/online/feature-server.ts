import { createHttpClient, DecodeError, type HttpClient, type Logger } from '@mlops/core';
import { parseJsonLikePython } from '../codec/value';
import { collectionElementType, ValueType } from '../codec/value-type';
import type { paths } from '../generated/feature-server';
import { nodeHttpFetch } from '../http/node-http-fetch';
import type { FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import type { StatusMode } from './read';
import type { EntityValue, OnlineFeaturesRequest } from './request-plan';
import { type FeatureColumn, type FieldStatus, OnlineFeaturesResult } from './result';

export interface FeatureServerOptions {
  /** e.g. http://127.0.0.1:6566 */
  url: string;
  /** A fetch of your own; by default node:http with keep-alive (fetch itself refuses port 6566). */
  fetch?: typeof fetch;
  /** Bearer token, when the server runs with auth. */
  token?: string;
  logger?: Logger;
  /** Retries of an idempotent call after its first attempt (core's default: 2). */
  maxRetries?: number;
  /** Deadline of one attempt, in milliseconds (core's default: 60 000). */
  attemptTimeoutMs?: number;
}

/** A table as the feature server takes it: column name → values. */
export type DataFrameColumns = Readonly<Record<string, ReadonlyArray<unknown>>>;

interface ServerResponse {
  metadata: { feature_names: string[] };
  results: Array<{ values: unknown[]; statuses: string[]; event_timestamps: string[] }>;
}

const EPOCH_ISO = '1970-01-01T00:00:00Z';

/** JSON with bigints written as plain integers (Python reads them whole), Dates as ISO-8601. */
export function toJsonBody(value: unknown): string {
  const marker = '\u0000bigint:';
  const text = JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return `${marker}${v.toString()}`;
    if (v instanceof Uint8Array) {
      throw new TypeError(
        'bytes cannot travel to the feature server in a JSON data frame; write them straight to Redis',
      );
    }
    return v;
  });
  return text.replace(/"\\u0000bigint:(-?\d+)"/g, '$1');
}

/**
 * Feast's HTTP feature server (`feast serve`), typed from its captured OpenAPI spec. It computes on-demand
 * feature views, which the direct Redis path cannot.
 */
export class FeatureServerClient {
  readonly http: HttpClient<paths>;

  constructor(options: FeatureServerOptions) {
    this.http = createHttpClient<paths>({
      service: 'feast feature server',
      baseUrl: options.url,
      sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
      fetch: options.fetch ?? nodeHttpFetch(),
      ...(options.token ? { auth: { type: 'bearer' as const, token: options.token } } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
      ...(options.maxRetries !== undefined ? { retry: { maxRetries: options.maxRetries } } : {}),
      ...(options.attemptTimeoutMs ? { attemptTimeoutMs: options.attemptTimeoutMs } : {}),
    });
  }

  /** GET /health: true when the server answers 200. */
  async health(): Promise<boolean> {
    const response = await this.http.fetch('/health', { retry: false });
    return response.ok;
  }

  async getOnlineFeatures(
    snapshot: RegistrySnapshot,
    request: OnlineFeaturesRequest,
    options: { statuses?: StatusMode; now?: number } = {},
  ): Promise<OnlineFeaturesResult> {
    const entities: Record<string, EntityValue[]> = request.entities
      ? Object.fromEntries(Object.entries(request.entities).map(([k, v]) => [k, [...v]]))
      : columnsOf(request.entityRows ?? []);
    const body = {
      entities,
      features: [...(request.features ?? [])],
      full_feature_names: request.fullFeatureNames ?? false,
      include_feature_view_version_metadata: false,
      ...(request.featureService ? { feature_service: request.featureService } : {}),
    };
    // Read as text and parsed here: int64 values beyond 2^53 stay whole (bigint).
    const text = (await this.http.post('/get-online-features', {
      body: body as never,
      bodySerializer: toJsonBody,
      parseAs: 'text',
      idempotent: true,
    })) as unknown as string;
    const parsed = parseJsonLikePython(text) as unknown as ServerResponse;
    if (typeof parsed !== 'object' || !parsed || !Array.isArray(parsed.results) || !parsed.metadata) {
      throw new DecodeError({
        what: 'feature server response',
        source: `${this.http.baseUrl}/get-online-features`,
      });
    }
    return toResult(
      snapshot,
      request,
      parsed,
      entities,
      options.statuses ?? 'computed',
      options.now ?? Date.now(),
    );
  }

  /** POST /push: rows to a push source, to the online store, the offline store or both. */
  async push(
    pushSourceName: string,
    df: DataFrameColumns,
    options: { to?: 'online' | 'offline' | 'online_and_offline' } = {},
  ): Promise<void> {
    await this.http.post('/push', {
      body: {
        push_source_name: pushSourceName,
        df: df as Record<string, unknown>,
        to: options.to ?? 'online',
      } as never,
      bodySerializer: toJsonBody,
      parseAs: 'text',
    });
  }

  /** POST /write-to-online-store. */
  async writeToOnlineStore(featureViewName: string, df: DataFrameColumns): Promise<void> {
    await this.http.post('/write-to-online-store', {
      body: { feature_view_name: featureViewName, df: df as Record<string, unknown> } as never,
      bodySerializer: toJsonBody,
      parseAs: 'text',
      idempotent: true,
    });
  }

  /** POST /materialize: loads the online store from the offline store for [start, end]. */
  async materialize(options: { start: Date; end: Date; featureViews?: readonly string[] }): Promise<void> {
    await this.http.post('/materialize', {
      body: {
        start_ts: options.start.toISOString(),
        end_ts: options.end.toISOString(),
        ...(options.featureViews ? { feature_views: [...options.featureViews] } : {}),
      } as never,
      parseAs: 'text',
      attemptTimeoutMs: 600_000,
      timeoutMs: 600_000,
    });
  }

  /** POST /materialize-incremental: from where the last materialization stopped, up to `end`. */
  async materializeIncremental(options: { end: Date; featureViews?: readonly string[] }): Promise<void> {
    await this.http.post('/materialize-incremental', {
      body: {
        end_ts: options.end.toISOString(),
        ...(options.featureViews ? { feature_views: [...options.featureViews] } : {}),
      } as never,
      parseAs: 'text',
      attemptTimeoutMs: 600_000,
      timeoutMs: 600_000,
    });
  }
}

function columnsOf(
  rows: ReadonlyArray<Readonly<Record<string, EntityValue>>>,
): Record<string, EntityValue[]> {
  const out: Record<string, EntityValue[]> = {};
  for (const row of rows) {
    for (const [k, v] of Object.entries(row)) {
      const column = out[k] ?? [];
      column.push(v);
      out[k] = column;
    }
  }
  return out;
}

/** The view and feature of each requested output name, from the registry. */
function featureTypes(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
): Map<string, { type: number; view: FeatureView }> {
  const out = new Map<string, { type: number; view: FeatureView }>();
  const add = (prefix: string, view: FeatureView, names: readonly string[]) => {
    for (const feature of view.features) {
      if (!names.includes(feature.name)) continue;
      out.set(request.fullFeatureNames ? `${prefix}__${feature.name}` : feature.name, {
        type: feature.valueType,
        view,
      });
    }
  };
  if (request.featureService) {
    for (const projection of snapshot.getFeatureService(request.featureService).projections) {
      add(
        projection.alias ?? projection.featureViewName,
        snapshot.getFeatureView(projection.featureViewName),
        projection.features.map((f) => f.name),
      );
    }
  } else {
    for (const ref of request.features ?? []) {
      const [viewName, feature] = ref.split(':') as [string, string];
      add(viewName, snapshot.getFeatureView(viewName), [feature]);
    }
  }
  return out;
}

/** The server's JSON value as the direct path returns it: int64 → bigint, bytes → Uint8Array, timestamps → Date. */
function fromServerJson(value: unknown, type: number): unknown {
  if (value === null || value === undefined) return null;
  const element = collectionElementType(type);
  if (element !== undefined && Array.isArray(value)) return value.map((v) => fromServerJson(v, element));
  switch (type) {
    case ValueType.INT64:
      return typeof value === 'number' || typeof value === 'bigint' ? BigInt(value) : value;
    case ValueType.BYTES:
    case ValueType.PDF_BYTES:
    case ValueType.IMAGE_BYTES:
      return typeof value === 'string' ? Uint8Array.from(Buffer.from(value, 'base64')) : value;
    case ValueType.UNIX_TIMESTAMP:
      return typeof value === 'number' || typeof value === 'bigint' ? new Date(Number(value) * 1000) : value;
    default:
      return value;
  }
}

function toResult(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  response: ServerResponse,
  entities: Record<string, EntityValue[]>,
  mode: StatusMode,
  now: number,
): OnlineFeaturesResult {
  const types = featureTypes(snapshot, request);
  const names = response.metadata.feature_names;
  const columns: Record<string, FeatureColumn> = {};
  const valueTypes: Record<string, number> = {};
  const rowCount = response.results[0]?.values.length ?? 0;
  for (const [i, name] of names.entries()) {
    const vector = response.results[i]!;
    if (name in entities) {
      columns[name] = {
        values: [...entities[name]!] as FeatureColumn['values'],
        statuses: vector.statuses as FieldStatus[],
        eventTimestamps: vector.event_timestamps.map((t) => (mode === 'feast' ? new Date(t) : null)),
      };
      continue;
    }
    const info = types.get(name);
    const type = info?.type ?? ValueType.UNKNOWN;
    valueTypes[name] = type;
    const ttlMs = (info?.view.ttlSeconds ?? 0) * 1000;
    const values = vector.values.map((v) => fromServerJson(v, type)) as FeatureColumn['values'];
    const statuses = vector.statuses.map((status, row): FieldStatus => {
      if (mode === 'feast') return status as FieldStatus;
      const stamp = vector.event_timestamps[row];
      const missing =
        values[row] === null &&
        (stamp === undefined || stamp === EPOCH_ISO || stamp.startsWith('1970-01-01T00:00:00'));
      if (missing && info?.view.kind !== 'on_demand_feature_view') return 'NOT_FOUND';
      if (values[row] === null) return 'NULL_VALUE';
      if (ttlMs > 0 && stamp && now - Date.parse(stamp) > ttlMs) return 'OUTSIDE_MAX_AGE';
      return status === 'PRESENT' ? 'PRESENT' : (status as FieldStatus);
    });
    const eventTimestamps = vector.event_timestamps.map((t, row) =>
      mode === 'feast' ? new Date(t) : statuses[row] === 'NOT_FOUND' ? null : new Date(t),
    );
    columns[name] = { values, statuses, eventTimestamps };
  }
  // The server orders a view's features by Python set order; keep the order asked for, as the direct path does.
  const ordered = [
    ...names.filter((n) => n in entities),
    ...[...types.keys()].filter((n) => n in columns),
    ...names.filter((n) => !(n in entities) && !types.has(n)),
  ];
  for (const name of Object.keys(entities)) {
    // A join key's type, from any requested view that is looked up by it.
    for (const { view } of types.values()) {
      const column = view.entityColumns.find((c) => c.name === name);
      if (column) {
        valueTypes[name] = column.valueType;
        break;
      }
    }
  }
  return new OnlineFeaturesResult(ordered, columns, rowCount, valueTypes);
}
