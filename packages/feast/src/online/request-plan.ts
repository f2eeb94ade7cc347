import { DUMMY_ENTITY_KEY, redisKey } from '../codec/entity-key';
import { EncodeError } from '../codec/errors';
import { featureFieldName, timestampFieldName } from '../codec/murmur3';
import { valueTypeName } from '../codec/value-type';
import { InvalidFeatureRequestError } from '../errors';
import type { Feature, FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';
import {
  type CheckedOnlineRequest,
  type CheckedView,
  checkJoinKeyValues,
  checkOnlineRequest,
  type EntityValue,
  isOnDemand,
  type OnlineFeaturesRequest,
} from '../selection/selection';
import { type KeyPartSpec, type KeyWriter, keyWriter } from './key-writer';

// Selection lives in ../selection/selection; these names stay importable from here.
export {
  type EntityValue,
  isEntityLess,
  type OnlineFeaturesRequest,
  parseRef,
  type Selection,
  selectFeatures,
} from '../selection/selection';

/** One feature view's part of a request: where its values live and what to call them. */
export interface ViewPlan {
  view: FeatureView;
  /** The name used for `<name>__<feature>` (a feature service's alias, or the view's name). */
  outputPrefix: string;
  features: Feature[];
  /** Output column name of each feature. */
  outputNames: string[];
  /** Redis hash field of each feature, then the `_ts:<view>` field last. */
  fields: Uint8Array[];
  /** Request column → join key, for the keys this view is looked up by (empty for entity-less views). */
  joinKeys: CheckedView['joinKeys'];
  /** Per entity row: the index into `keys` of its Redis key. */
  rowKey: Int32Array;
  /** The distinct Redis keys of this view, each read once. */
  keys: Uint8Array[];
}

/**
 * Views looked up by the same join keys live in the same Redis hashes: one HMGET per entity asks for all
 * their fields at once.
 */
export interface KeyGroupShape {
  /** The join keys, as the first view of the group names them (for errors). */
  joinKeys: CheckedView['joinKeys'];
  /** The first view of the group (for errors). */
  viewName: string;
  /** Writes an entity's key; undefined for entity-less views, which share one constant key. */
  writer: KeyWriter | undefined;
  constantKey: Buffer | undefined;
  /** The fields of every view of the group, in view order (each view's features, then its `_ts`). */
  fields: Buffer[];
  /** Index of each join key's request column, in join key order (dedup of single-key groups). */
  columns: number[];
}

/** A view of a request shape: which group's hashes hold it, and where its fields start in the group's. */
export interface ViewShape {
  selection: CheckedView;
  /** This view's fields (features, then `_ts`). */
  fields: Buffer[];
  group: number;
  offset: number;
}

/**
 * Everything about a request that does not depend on its entity values: resolved once per registry snapshot
 * and request shape (features or service, full names, entity column names), then reused by every request of
 * that shape. Immutable.
 */
export interface OnlineShape {
  readonly snapshot: RegistrySnapshot;
  readonly features: readonly string[] | undefined;
  readonly featureService: string | undefined;
  readonly full: boolean;
  /** The request's entity columns, in request order. */
  readonly columnNames: readonly string[];
  /** The value checks of each join key column, as checkOnlineRequest runs them (column index, then rule). */
  readonly checks: ReadonlyArray<{ column: number; rule: Parameters<typeof checkJoinKeyValues>[1] }>;
  readonly groups: readonly KeyGroupShape[];
  readonly views: readonly ViewShape[];
  /** Result column names (entity columns, then features) and their value types: shared by every result. */
  readonly names: readonly string[];
  readonly valueTypes: Readonly<Record<string, number>>;
}

/** A request ready to read: its shape, its entity columns, and per key group the distinct keys. */
export interface PreparedRequest {
  shape: OnlineShape;
  rowCount: number;
  /** Per entity column (shape.columnNames order): its values, one per row. */
  columnValues: EntityValue[][];
  /** Per key group: the distinct Redis keys, and per row the index of its key. */
  keys: Buffer[][];
  rowKeys: Int32Array[];
}

export interface RequestPlan extends PreparedRequest {
  /** Request columns in order, then their values per row. */
  entityColumns: Array<{ name: string; values: EntityValue[] }>;
  views: ViewPlan[];
}

type PlanOptions = { entityKeySerializationVersion: 1 | 2 | 3; project: string };

/**
 * Resolves a request against the registry: which views, which Redis keys and fields, what each output
 * column is called. Validates everything before any I/O: unknown names, missing or extra join keys,
 * values that do not fit their join key's type.
 */
export function planOnlineRequest(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  options: PlanOptions,
): RequestPlan {
  return withViews(planFully(snapshot, request, options));
}

/** The plan of a request, checked from scratch (checkOnlineRequest), with its shape for reuse. */
function planFully(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  options: PlanOptions,
): PreparedRequest {
  const checked = checkOnlineRequest(snapshot, request, options);
  const shape = compileShape(snapshot, request, checked, options);
  // checkOnlineRequest has checked the values already.
  return prepare(
    shape,
    checked.entityColumns.map((c) => c.values),
    checked.rowCount,
    false,
  );
}

function withViews(prepared: PreparedRequest): RequestPlan {
  const { shape, keys, rowKeys, columnValues } = prepared;
  return {
    ...prepared,
    entityColumns: shape.columnNames.map((name, i) => ({ name, values: columnValues[i]! })),
    views: shape.views.map(({ selection, fields, group }) => ({
      view: selection.view,
      outputPrefix: selection.outputPrefix,
      features: selection.features,
      outputNames: selection.outputNames,
      fields,
      joinKeys: selection.joinKeys,
      rowKey: rowKeys[group]!,
      // Plain Uint8Arrays over the same bytes (the read path hands ioredis the Buffers themselves).
      keys: keys[group]!.map((key) => new Uint8Array(key.buffer, key.byteOffset, key.byteLength)),
    })),
  };
}

function compileShape(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  checked: CheckedOnlineRequest,
  options: PlanOptions,
): OnlineShape {
  const onDemand = checked.views.filter((s) => isOnDemand(s.view));
  if (onDemand.length > 0) {
    throw new InvalidFeatureRequestError(
      `${onDemand.map((s) => s.view.name).join(', ')} ${onDemand.length > 1 ? 'are on-demand feature views' : 'is an on-demand feature view'}: its values are computed by Python code at request time, which only the feature server can run. Read it through the feature server (new FeatureStore({ ..., online: 'http' }) or featureServerUrl), or ask for its source views' features instead.`,
    );
  }
  const columnNames = checked.entityColumns.map((c) => c.name);
  const columnIndex = new Map(columnNames.map((name, i) => [name, i]));
  const version = options.entityKeySerializationVersion;

  // The value checks, in checkOnlineRequest's order: each join key column once, by its first view.
  const checks: Array<OnlineShape['checks'][number]> = [];
  const checkedColumns = new Set<string>();
  for (const { view, joinKeys } of checked.views) {
    const needs = joinKeys.map((k) => ({ name: k.requestKey, valueType: k.valueType }));
    for (const key of joinKeys) {
      if (checkedColumns.has(key.requestKey)) continue;
      checkedColumns.add(key.requestKey);
      checks.push({
        column: columnIndex.get(key.requestKey)!,
        rule: { joinKey: key.joinKey, valueType: key.valueType, view: view.name, needs, version },
      });
    }
  }

  const groups: KeyGroupShape[] = [];
  const groupBySignature = new Map<string, number>();
  const views: ViewShape[] = [];
  for (const selection of checked.views) {
    const { view, joinKeys } = selection;
    const fields = [
      ...selection.features.map((f) => asBuffer(featureFieldName(view.name, f.name))),
      asBuffer(timestampFieldName(view.name)),
    ];
    const signature = joinKeys
      .map((k) => `${k.requestKey}\u0000${k.joinKey}\u0000${k.valueType}`)
      .join('\u0001');
    let group = groupBySignature.get(signature);
    if (group === undefined) {
      group = groups.length;
      groupBySignature.set(signature, group);
      const parts: KeyPartSpec[] = joinKeys.map((k) => ({
        column: columnIndex.get(k.requestKey)!,
        joinKey: k.joinKey,
        valueType: k.valueType,
      }));
      groups.push({
        joinKeys,
        viewName: view.name,
        writer: joinKeys.length === 0 ? undefined : keyWriter(parts, options.project, version),
        constantKey:
          joinKeys.length === 0
            ? asBuffer(redisKey(DUMMY_ENTITY_KEY, options.project, { version }))
            : undefined,
        fields: [],
        columns: parts.map((p) => p.column),
      });
    }
    const shared = groups[group]!;
    views.push({ selection, fields, group, offset: shared.fields.length });
    shared.fields.push(...fields);
  }

  const names: string[] = [...columnNames];
  const valueTypes: Record<string, number> = {};
  for (const name of columnNames) {
    const type = checked.views.flatMap((v) => v.joinKeys).find((k) => k.requestKey === name)?.valueType;
    if (type !== undefined) valueTypes[name] = type;
  }
  for (const { selection } of views) {
    for (const [f, name] of selection.outputNames.entries()) {
      names.push(name);
      valueTypes[name] = selection.features[f]!.valueType;
    }
  }
  return {
    snapshot,
    features: request.features ? [...request.features] : undefined,
    featureService: request.featureService,
    full: request.fullFeatureNames === true,
    columnNames,
    checks,
    groups,
    views,
    names: Object.freeze(names),
    valueTypes: Object.freeze(valueTypes),
  };
}

/** Checks the values (unless `checked` already) and writes each group's distinct keys. */
function prepare(
  shape: OnlineShape,
  columnValues: EntityValue[][],
  rowCount: number,
  check: boolean,
): PreparedRequest {
  if (check) for (const { column, rule } of shape.checks) checkJoinKeyValues(columnValues[column]!, rule);
  const keys: Buffer[][] = [];
  const rowKeys: Int32Array[] = [];
  for (const group of shape.groups) {
    const rowKey = new Int32Array(rowCount);
    rowKeys.push(rowKey);
    if (!group.writer) {
      keys.push([group.constantKey!]);
      continue;
    }
    const groupKeys: Buffer[] = [];
    keys.push(groupKeys);
    if (rowCount === 1) {
      groupKeys.push(keyOf(group, columnValues, 0));
      continue;
    }
    // The same entity asked for twice is read once (1001 and 1001n are the same INT64 key).
    const single = group.columns.length === 1 ? columnValues[group.columns[0]!]! : undefined;
    const seen = new Map<unknown, number>();
    for (let row = 0; row < rowCount; row++) {
      let id: unknown;
      let key: Buffer | undefined;
      const value = single?.[row];
      if (typeof value === 'number' || typeof value === 'string') id = value;
      else if (typeof value === 'bigint' && value >= -SAFE && value <= SAFE) id = Number(value);
      else {
        key = keyOf(group, columnValues, row);
        id = key.toString('latin1');
      }
      let index = seen.get(id);
      if (index === undefined) {
        index = groupKeys.length;
        seen.set(id, index);
        groupKeys.push(key ?? keyOf(group, columnValues, row));
      }
      rowKey[row] = index;
    }
  }
  return { shape, rowCount, columnValues, keys, rowKeys };
}

const SAFE = BigInt(Number.MAX_SAFE_INTEGER);

function keyOf(group: KeyGroupShape, columnValues: EntityValue[][], row: number): Buffer {
  try {
    return group.writer!.key(columnValues, row);
  } catch (error) {
    // Each value was checked alone (checkJoinKeyValues); what is left is about the key as a whole.
    if (EncodeError.isInstance(error)) {
      throw new InvalidFeatureRequestError(
        `Entity row ${row}: ${error.message} (feature view ${group.viewName} needs ${group.joinKeys.map((k) => `${k.requestKey} as ${valueTypeName(k.valueType)}`).join(', ')}).`,
      );
    }
    throw error;
  }
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The plans of one store: request shapes resolved once per registry snapshot and reused, so a request of a
 * known shape only checks its values and writes its keys. A new snapshot (registry reloaded) starts afresh.
 */
export class OnlinePlanCache {
  readonly #options: PlanOptions;
  #snapshot: RegistrySnapshot | undefined;
  #byKey = new Map<string, OnlineShape>();
  #byFeatures = new WeakMap<readonly string[], OnlineShape>();

  constructor(options: PlanOptions) {
    this.#options = options;
  }

  plan(snapshot: RegistrySnapshot, request: OnlineFeaturesRequest): PreparedRequest {
    if (snapshot !== this.#snapshot) {
      this.#snapshot = snapshot;
      this.#byKey = new Map();
      this.#byFeatures = new WeakMap();
    }
    const columns = entityColumnsQuick(request);
    if (columns) {
      const shape = this.#find(request, columns.names);
      if (shape) return prepare(shape, columns.values, columns.rowCount, true);
    }
    // A new shape, or input the quick path leaves to the full check (and its errors).
    const prepared = planFully(snapshot, request, this.#options);
    if (this.#byKey.size >= MAX_SHAPES) this.#byKey.clear();
    this.#byKey.set(shapeKey(request, prepared.shape.columnNames), prepared.shape);
    if (request.features) this.#byFeatures.set(request.features, prepared.shape);
    return prepared;
  }

  #find(request: OnlineFeaturesRequest, names: readonly string[]): OnlineShape | undefined {
    if (request.features && request.featureService !== undefined) return undefined;
    const full = request.fullFeatureNames === true;
    const matches = (shape: OnlineShape | undefined): shape is OnlineShape =>
      shape !== undefined &&
      shape.full === full &&
      shape.featureService === request.featureService &&
      sameStrings(shape.features, request.features) &&
      sameStrings(shape.columnNames, names);
    if (request.features) {
      const byArray = this.#byFeatures.get(request.features);
      if (matches(byArray)) return byArray;
    }
    const byKey = this.#byKey.get(shapeKey(request, names));
    if (!matches(byKey)) return undefined;
    if (request.features) this.#byFeatures.set(request.features, byKey);
    return byKey;
  }
}

const MAX_SHAPES = 256;

function shapeKey(request: OnlineFeaturesRequest, names: readonly string[]): string {
  return `${request.fullFeatureNames === true ? 1 : 0}\u0002${request.featureService ?? ''}\u0002${request.features?.join('\u0001') ?? ''}\u0002${names.join('\u0001')}`;
}

function sameStrings(a: readonly string[] | undefined, b: readonly string[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The entity columns of a request in the usual forms, without building intermediate objects; undefined for
 * anything unusual (both forms, ragged rows or columns, a value that is not an array), which the full check
 * then refuses with its own error.
 */
function entityColumnsQuick(
  request: OnlineFeaturesRequest,
): { names: string[]; values: EntityValue[][]; rowCount: number } | undefined {
  const { entities, entityRows } = request;
  if (entities && entityRows) return undefined;
  if (entities) {
    const names = Object.keys(entities);
    const values: EntityValue[][] = [];
    let rowCount = -1;
    for (const name of names) {
      const column = entities[name];
      if (!Array.isArray(column)) return undefined;
      if (rowCount >= 0 && column.length !== rowCount) return undefined;
      rowCount = column.length;
      values.push(column.slice());
    }
    return { names, values, rowCount: Math.max(rowCount, 0) };
  }
  const rows = entityRows ?? [];
  if (rows.length === 0) return { names: [], values: [], rowCount: 0 };
  const names = Object.keys(rows[0]!);
  const values: EntityValue[][] = names.map(() => new Array(rows.length));
  for (let row = 0; row < rows.length; row++) {
    const object = rows[row]!;
    if (row > 0 && Object.keys(object).length !== names.length) return undefined;
    for (let c = 0; c < names.length; c++) {
      const value = object[names[c]!];
      if (value === undefined && !(names[c]! in object)) return undefined;
      values[c]![row] = value as EntityValue;
    }
  }
  return { names, values, rowCount: rows.length };
}
