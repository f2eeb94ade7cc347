import { createHttpClient, DecodeError, type HttpClient, type Logger } from '@mlops/core';
import { epochMicrosOf, epochMicrosOrProblem, microsToIso, type TimeInput } from '../codec/instant';
import { type JsonValue, parseJsonLikePython } from '../codec/python-json';
import type { FeastValue } from '../codec/value';
import { collectionElementType, ValueType, valueTypeName } from '../codec/value-type';
import { InvalidFeatureRequestError } from '../errors';
import type { components, paths } from '../generated/feature-server';
import { nodeHttpFetch } from '../http/node-http-fetch';
import type { FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';
import {
  type CheckedOnlineRequest,
  checkOnlineRequest,
  type EntityValue,
  isOnDemand,
  type OnlineFeaturesRequest,
} from '../selection/selection';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { type FeatureColumn, type FieldStatus, OnlineFeaturesResult } from './result';
import { fieldStatus, isOutsideMaxAge, type StatusMode, type ValueState } from './status';

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

type Schemas = components['schemas'];
/** POST /get-online-features: the body, as the captured spec types it. */
export type GetOnlineFeaturesBody = Schemas['GetOnlineFeaturesRequest'];
/** POST /get-online-features: the answer, as the captured spec types it. */
export type OnlineFeaturesResponse = Schemas['OnlineFeaturesResponse'];

/** The answer's shape, checked at run time (we parse it ourselves to keep int64 values whole). */
function isOnlineFeaturesResponse(value: unknown): value is OnlineFeaturesResponse {
  const isRecord = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const arrayOf = (v: unknown, element: (e: unknown) => boolean) =>
    v === undefined || v === null || (Array.isArray(v) && v.every(element));
  const isString = (v: unknown) => typeof v === 'string';
  return (
    isRecord(value) &&
    Array.isArray(value.results) &&
    isRecord(value.metadata) &&
    arrayOf(value.metadata.feature_names, isString) &&
    value.results.every(
      (r) =>
        isRecord(r) &&
        arrayOf(r.values, () => true) &&
        arrayOf(r.statuses, isString) &&
        arrayOf(r.event_timestamps, isString),
    )
  );
}

const FIELD_STATUSES: ReadonlySet<string> = new Set<FieldStatus>([
  'PRESENT',
  'NULL_VALUE',
  'NOT_FOUND',
  'OUTSIDE_MAX_AGE',
]);

function isFieldStatus(value: string): value is FieldStatus {
  return FIELD_STATUSES.has(value);
}

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
      service: 'feast-server',
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

  /**
   * POST /get-online-features. The request is checked against the registry first (the same checks, and
   * errors, as the direct Redis path), so a request the registry cannot serve never reaches the server.
   */
  async getOnlineFeatures(
    snapshot: RegistrySnapshot,
    request: OnlineFeaturesRequest,
    options: { statuses?: StatusMode; nowMicros?: bigint; entityKeySerializationVersion?: 1 | 2 | 3 } = {},
  ): Promise<OnlineFeaturesResult> {
    const checked = checkOnlineRequest(snapshot, request, {
      entityKeySerializationVersion: options.entityKeySerializationVersion ?? 3,
    });
    const entities: Record<string, EntityValue[]> = Object.fromEntries(
      checked.entityColumns.map((c) => [c.name, c.values]),
    );
    const body: GetOnlineFeaturesBody = {
      entities,
      features: [...(request.features ?? [])],
      full_feature_names: request.fullFeatureNames ?? false,
      include_feature_view_version_metadata: false,
      ...(request.featureService ? { feature_service: request.featureService } : {}),
    };
    // Read as text and parsed here: int64 values beyond 2^53 stay whole (bigint).
    const text = await this.http.post('/get-online-features', {
      body,
      bodySerializer: toJsonBody,
      parseAs: 'text',
      idempotent: true,
    });
    const parsed: unknown = parseJsonLikePython(text);
    if (!isOnlineFeaturesResponse(parsed)) {
      throw new DecodeError({
        what: 'feature server response',
        source: `${this.http.baseUrl}/get-online-features`,
      });
    }
    return toResult(
      checked,
      parsed,
      entities,
      options.statuses ?? 'computed',
      options.nowMicros === undefined ? Date.now() * 1000 : Number(options.nowMicros),
      `${this.http.baseUrl}/get-online-features`,
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
        df,
        to: options.to ?? 'online',
      },
      bodySerializer: toJsonBody,
      parseAs: 'text',
    });
  }

  /** POST /write-to-online-store. */
  async writeToOnlineStore(featureViewName: string, df: DataFrameColumns): Promise<void> {
    await this.http.post('/write-to-online-store', {
      body: { feature_view_name: featureViewName, df },
      bodySerializer: toJsonBody,
      parseAs: 'text',
      idempotent: true,
    });
  }

  /** POST /materialize: loads the online store from the offline store for [start, end]. */
  async materialize(options: {
    start: TimeInput;
    end: TimeInput;
    featureViews?: readonly string[];
  }): Promise<void> {
    await this.http.post('/materialize', {
      body: {
        start_ts: serverTime(options.start, 'start'),
        end_ts: serverTime(options.end, 'end'),
        ...(options.featureViews ? { feature_views: [...options.featureViews] } : {}),
      },
      parseAs: 'text',
      attemptTimeoutMs: 600_000,
      timeoutMs: 600_000,
    });
  }

  /** POST /materialize-incremental: from where the last materialization stopped, up to `end`. */
  async materializeIncremental(options: { end: TimeInput; featureViews?: readonly string[] }): Promise<void> {
    await this.http.post('/materialize-incremental', {
      body: {
        end_ts: serverTime(options.end, 'end'),
        ...(options.featureViews ? { feature_views: [...options.featureViews] } : {}),
      },
      parseAs: 'text',
      attemptTimeoutMs: 600_000,
      timeoutMs: 600_000,
    });
  }
}

/** The view and feature type of each requested output name. */
function featureTypes(checked: CheckedOnlineRequest): Map<string, { type: number; view: FeatureView }> {
  const out = new Map<string, { type: number; view: FeatureView }>();
  for (const { view, features, outputNames } of checked.views) {
    for (const [i, feature] of features.entries())
      out.set(outputNames[i]!, { type: feature.valueType, view });
  }
  return out;
}

/**
 * The server's JSON value as the direct path returns it: int64 → bigint, bytes → Uint8Array, timestamps → Date.
 * A value that cannot be of its feature's type (a fraction or text for an INT64) is a DecodeError, not passed on.
 */
function fromServerJson(value: unknown, type: number, source: string, name: string): FeastValue {
  if (value === null || value === undefined) return null;
  // The answer was parsed by parseJsonLikePython, so each value is JSON; the spec types values unknown.
  const json = value as JsonValue;
  const element = collectionElementType(type);
  if (element !== undefined && Array.isArray(json))
    return json.map((v) => fromServerJson(v, element, source, name));
  const wrong = (): never => {
    const shown = typeof json === 'bigint' ? `${json}` : JSON.stringify(json);
    throw new DecodeError(
      { what: 'feature server response', source, field: name },
      `The feature server answered ${(shown ?? String(json)).slice(0, 100)} for ${name}, which cannot be a ${valueTypeName(type)}.`,
    );
  };
  switch (type) {
    case ValueType.INT64:
      if (typeof json === 'bigint') return json;
      return typeof json === 'number' && Number.isInteger(json) ? BigInt(json) : wrong();
    case ValueType.BYTES:
    case ValueType.PDF_BYTES:
    case ValueType.IMAGE_BYTES:
      return typeof json === 'string' ? Uint8Array.from(Buffer.from(json, 'base64')) : wrong();
    case ValueType.UNIX_TIMESTAMP: {
      if (typeof json !== 'number' && typeof json !== 'bigint') return wrong();
      const date = new Date(Number(json) * 1000);
      return Number.isNaN(date.getTime()) ? wrong() : date;
    }
    default:
      return json;
  }
}

/** An event timestamp the server answered, as a Date; one no Date can hold is a DecodeError. */
function stampDate(stamp: string, source: string, name: string): Date {
  const date = new Date(stamp);
  if (Number.isNaN(date.getTime()))
    throw new DecodeError(
      { what: 'feature server response', source, field: name },
      `The feature server answered the event timestamp ${JSON.stringify(stamp.slice(0, 100))} for ${name}, which is not a time.`,
    );
  return date;
}

/** A time for the server's JSON: ISO 8601 with its microseconds, any TimeInput (the parser's refusals otherwise). */
function serverTime(value: TimeInput, name: string): string {
  return microsToIso(
    epochMicrosOf(value, (problem) => {
      throw new InvalidFeatureRequestError(`${name}: ${problem}.`);
    }),
  );
}

/** µs since the epoch of a timestamp the server answered (ISO 8601; Feast writes it with its microseconds). */
function stampMicros(stamp: string): number | null {
  const micros = epochMicrosOrProblem(/(?:[Zz]|[+-]\d\d:?\d\d)$/.test(stamp) ? stamp : `${stamp}Z`);
  return typeof micros === 'bigint' ? Number(micros) : null;
}

function toResult(
  checked: CheckedOnlineRequest,
  response: OnlineFeaturesResponse,
  entities: Record<string, EntityValue[]>,
  mode: StatusMode,
  now: number,
  source: string,
): OnlineFeaturesResult {
  const types = featureTypes(checked);
  const names = response.metadata?.feature_names ?? [];
  const results = response.results ?? [];
  const columns: Record<string, FeatureColumn> = {};
  const valueTypes: Record<string, number> = {};
  const rowCount = results[0]?.values?.length ?? 0;
  const statusOf = (status: string): FieldStatus => {
    if (isFieldStatus(status)) return status;
    throw new DecodeError(
      { what: 'feature server response', source },
      `The feature server answered status ${JSON.stringify(status)}, which is none of ${[...FIELD_STATUSES].join(', ')}.`,
    );
  };
  for (const [i, name] of names.entries()) {
    const vector = results[i] ?? {};
    const stamps = vector.event_timestamps ?? [];
    const reported = (vector.statuses ?? []).map(statusOf);
    if (name in entities) {
      columns[name] = {
        values: [...entities[name]!],
        statuses: reported,
        eventTimestamps: stamps.map((t) => (mode === 'feast' ? stampDate(t, source, name) : null)),
      };
      continue;
    }
    const info = types.get(name);
    const type = info?.type ?? ValueType.UNKNOWN;
    valueTypes[name] = type;
    const ttlSeconds = info?.view.ttlSeconds ?? 0;
    const values = (vector.values ?? []).map((v) => fromServerJson(v, type, source, name));
    // The server answers null with a 1970 timestamp for an entity it has no row of (on-demand views
    // compute a value for every row, so a null of theirs is a null).
    const statuses = reported.map((status, row): FieldStatus => {
      const stamp = stamps[row];
      const isNull = values[row] === null;
      const missing =
        isNull &&
        (stamp === undefined || stamp.startsWith('1970-01-01T00:00:00')) &&
        !(info && isOnDemand(info.view));
      const state: ValueState = missing ? 'missing' : isNull ? 'null' : 'value';
      return fieldStatus(
        state,
        isOutsideMaxAge(stamp ? stampMicros(stamp) : null, ttlSeconds, now),
        mode,
        status,
      );
    });
    const eventTimestamps = stamps.map((t, row) =>
      mode === 'feast' || statuses[row] !== 'NOT_FOUND' ? stampDate(t, source, name) : null,
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
