import {
  DUMMY_ENTITY_ID,
  DUMMY_ENTITY_KEY,
  type EntityKeyPart,
  type EntityKeyValueType,
  redisKey,
} from '../codec/entity-key';
import { EncodeError } from '../codec/errors';
import { featureFieldName, timestampFieldName } from '../codec/murmur3';
import { ValueType, valueTypeName } from '../codec/value-type';
import { FeastObjectNotFoundError, InvalidFeatureRequestError } from '../errors';
import type { Feature, FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';

/** A value of a join key in a request. INT64 keys take a bigint or a safe integer. */
export type EntityValue = string | number | bigint | Uint8Array | Date;

export interface OnlineFeaturesRequest {
  /** "view:feature" references. Give this or `featureService`. */
  features?: readonly string[];
  /** A feature service's name. Give this or `features`. */
  featureService?: string;
  /** One object per entity, e.g. `[{ driver_id: 1001 }]`. Give this or `entities`. */
  entityRows?: ReadonlyArray<Readonly<Record<string, EntityValue>>>;
  /** Column form, as the feature server takes it: `{ driver_id: [1001, 1002] }`. */
  entities?: Readonly<Record<string, readonly EntityValue[]>>;
  /** Name features `<view>__<feature>` instead of `<feature>`. Default false. */
  fullFeatureNames?: boolean;
}

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
  joinKeys: Array<{ requestKey: string; joinKey: string; valueType: EntityKeyValueType }>;
  /** Per entity row: the index into `keys` of its Redis key. */
  rowKey: Int32Array;
  /** The distinct Redis keys of this view, each read once. */
  keys: Uint8Array[];
}

export interface RequestPlan {
  rowCount: number;
  /** Request columns in order, then their values per row. */
  entityColumns: Array<{ name: string; values: EntityValue[] }>;
  views: ViewPlan[];
}

const ENTITY_KEY_TYPES: ReadonlySet<number> = new Set([
  ValueType.STRING,
  ValueType.BYTES,
  ValueType.INT32,
  ValueType.INT64,
  ValueType.UNIX_TIMESTAMP,
]);

function invalid(message: string): InvalidFeatureRequestError {
  return new InvalidFeatureRequestError(message);
}

/** Entity rows or columns, as columns of equal length. */
function entityColumnsOf(request: OnlineFeaturesRequest): Array<{ name: string; values: EntityValue[] }> {
  if (request.entityRows && request.entities) throw invalid('Give entityRows or entities, not both.');
  if (request.entities) {
    const columns = Object.entries(request.entities).map(([name, values]) => {
      if (!Array.isArray(values))
        throw invalid(`entities.${name} must be an array of values, one per entity.`);
      return { name, values: [...values] };
    });
    const lengths = new Set(columns.map((c) => c.values.length));
    if (lengths.size > 1) {
      throw invalid(
        `The entity columns have different lengths (${columns.map((c) => `${c.name}: ${c.values.length}`).join(', ')}); each must have one value per entity.`,
      );
    }
    return columns;
  }
  const rows = request.entityRows ?? [];
  const names: string[] = [];
  for (const row of rows) for (const name of Object.keys(row)) if (!names.includes(name)) names.push(name);
  return names.map((name) => ({
    name,
    values: rows.map((row, i) => {
      if (!(name in row))
        throw invalid(
          `Entity row ${i} has no ${name}, which other rows have: every row needs the same join keys.`,
        );
      return row[name]!;
    }),
  }));
}

/** `view:feature` → [view, feature]. */
export function parseRef(ref: string): [string, string] {
  const colon = ref.indexOf(':');
  if (colon <= 0 || colon === ref.length - 1) {
    throw invalid(
      `Feature reference ${JSON.stringify(ref)} is not "<feature view>:<feature>", as in "driver_hourly_stats:conv_rate".`,
    );
  }
  return [ref.slice(0, colon), ref.slice(colon + 1)];
}

/** One view's part of a request: the features asked of it, under which name, looked up by which columns. */
export interface Selection {
  view: FeatureView;
  outputPrefix: string;
  features: Feature[];
  joinKeyMap: Record<string, string>;
}

/** Resolves `features` or `featureService` to views and features, in the order asked; unknown names throw. */
export function selectFeatures(
  snapshot: RegistrySnapshot,
  request: Pick<OnlineFeaturesRequest, 'features' | 'featureService'>,
): Selection[] {
  if (request.features && request.featureService) throw invalid('Give features or featureService, not both.');
  const selections: Selection[] = [];
  if (request.featureService !== undefined) {
    const service = snapshot.getFeatureService(request.featureService);
    for (const projection of service.projections) {
      selections.push({
        view: snapshot.getFeatureView(projection.featureViewName),
        outputPrefix: projection.alias ?? projection.featureViewName,
        features: projection.features,
        joinKeyMap: projection.joinKeyMap,
      });
    }
    return selections;
  }
  if (!request.features || request.features.length === 0)
    throw invalid('Ask for at least one feature: features or featureService.');
  const byView = new Map<string, Selection>();
  for (const ref of request.features) {
    const [viewName, featureName] = parseRef(ref);
    const view = snapshot.getFeatureView(viewName);
    const feature = view.features.find((f) => f.name === featureName);
    if (!feature) {
      throw new FeastObjectNotFoundError({
        kind: 'feature',
        name: featureName,
        project: snapshot.project,
        known: view.features.map((f) => f.name),
        scope: `feature view ${viewName}`,
      });
    }
    let selection = byView.get(viewName);
    if (!selection) {
      selection = { view, outputPrefix: viewName, features: [], joinKeyMap: {} };
      byView.set(viewName, selection);
      selections.push(selection);
    }
    if (!selection.features.includes(feature)) selection.features.push(feature);
  }
  return selections;
}

export function isEntityLess(view: FeatureView): boolean {
  return view.entityColumns.length === 0 || view.entityColumns.every((c) => c.name === DUMMY_ENTITY_ID);
}

/**
 * Resolves a request against the registry: which views, which Redis keys and fields, what each output
 * column is called. Validates everything before any I/O: unknown names, missing or extra join keys,
 * values that do not fit their join key's type.
 */
export function planOnlineRequest(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  options: { entityKeySerializationVersion: 1 | 2 | 3; project: string },
): RequestPlan {
  const selections = selectFeatures(snapshot, request);
  const onDemand = selections.filter((s) => s.view.kind === 'on_demand_feature_view');
  if (onDemand.length > 0) {
    throw invalid(
      `${onDemand.map((s) => s.view.name).join(', ')} ${onDemand.length > 1 ? 'are on-demand feature views' : 'is an on-demand feature view'}: its values are computed by Python code at request time, which only the feature server can run. Read it through the feature server (new FeatureStore({ ..., online: 'http' }) or featureServerUrl), or ask for its source views' features instead.`,
    );
  }
  const columns = entityColumnsOf(request);
  const rowCount = columns[0]?.values.length ?? 0;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const used = new Set<string>();
  const outputs = new Map<string, string>();
  const views: ViewPlan[] = [];
  const keysByJoinKeys = new Map<string, { rowKey: Int32Array; keys: Uint8Array[] }>();

  for (const selection of selections) {
    const { view } = selection;
    const joinKeys: ViewPlan['joinKeys'] = [];
    if (!isEntityLess(view)) {
      for (const column of view.entityColumns) {
        const requestKey = selection.joinKeyMap[column.name] ?? column.name;
        if (!byName.has(requestKey)) {
          throw invalid(
            `Feature view ${view.name} is looked up by ${requestKey}, which the entity rows do not have (they have ${columns.map((c) => c.name).join(', ') || 'no columns'}).`,
          );
        }
        if (!ENTITY_KEY_TYPES.has(column.valueType)) {
          throw invalid(
            `Join key ${column.name} of ${view.name} has type ${valueTypeName(column.valueType)}, which Feast cannot use in an online key (STRING, BYTES, INT32, INT64 or UNIX_TIMESTAMP).`,
          );
        }
        used.add(requestKey);
        joinKeys.push({
          requestKey,
          joinKey: column.name,
          valueType: column.valueType as EntityKeyValueType,
        });
      }
    }
    const outputNames = selection.features.map((f) =>
      request.fullFeatureNames ? `${selection.outputPrefix}__${f.name}` : f.name,
    );
    for (const [i, name] of outputNames.entries()) {
      const previous = outputs.get(name);
      if (previous !== undefined || byName.has(name)) {
        throw invalid(
          `Two requested columns would both be called ${name} (${previous ?? 'a join key'} and ${view.name}:${selection.features[i]!.name}); pass fullFeatureNames: true.`,
        );
      }
      outputs.set(name, `${view.name}:${selection.features[i]!.name}`);
    }
    const fields = [
      ...selection.features.map((f) => featureFieldName(view.name, f.name)),
      timestampFieldName(view.name),
    ];

    // Views looked up by the same join keys share their Redis keys (one hash per entity holds every view).
    const signature = joinKeys
      .map((k) => `${k.requestKey}\u0000${k.joinKey}\u0000${k.valueType}`)
      .join('\u0001');
    const shared = keysByJoinKeys.get(signature);
    if (shared) {
      const { outputPrefix, features } = selection;
      views.push({ view, outputPrefix, features, outputNames, fields, joinKeys, ...shared });
      continue;
    }
    const rowKey = new Int32Array(rowCount);
    const keys: Uint8Array[] = [];
    keysByJoinKeys.set(signature, { rowKey, keys });
    if (joinKeys.length === 0) {
      keys.push(
        redisKey(DUMMY_ENTITY_KEY, options.project, { version: options.entityKeySerializationVersion }),
      );
    } else {
      const seen = new Map<string, number>();
      for (let row = 0; row < rowCount; row++) {
        const parts: EntityKeyPart[] = joinKeys.map((k) => ({
          joinKey: k.joinKey,
          valueType: k.valueType,
          value: byName.get(k.requestKey)!.values[row]!,
        }));
        let key: Uint8Array;
        try {
          key = redisKey(parts, options.project, { version: options.entityKeySerializationVersion });
        } catch (error) {
          if (EncodeError.isInstance(error)) {
            throw invalid(
              `Entity row ${row}: ${error.message} (feature view ${view.name} needs ${joinKeys.map((k) => `${k.requestKey} as ${valueTypeName(k.valueType)}`).join(', ')}).`,
            );
          }
          throw error;
        }
        const id = latin1(key);
        let index = seen.get(id);
        if (index === undefined) {
          index = keys.length;
          seen.set(id, index);
          keys.push(key);
        }
        rowKey[row] = index;
      }
    }
    views.push({
      view,
      outputPrefix: selection.outputPrefix,
      features: selection.features,
      outputNames,
      fields,
      joinKeys,
      rowKey,
      keys,
    });
  }

  const extra = columns.filter((c) => !used.has(c.name)).map((c) => c.name);
  if (extra.length > 0 && views.some((v) => v.joinKeys.length > 0)) {
    throw invalid(
      `The entity rows have ${extra.join(', ')}, which none of the requested feature views is looked up by (they need ${[...used].join(', ')}). Remove ${extra.length > 1 ? 'them' : 'it'}, or check the spelling.`,
    );
  }
  return { rowCount, entityColumns: columns, views };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
