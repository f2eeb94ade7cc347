import { rowsToColumns } from '../codec/columns';
import {
  DUMMY_ENTITY_ID,
  type EntityKeySerializationVersion,
  type EntityKeyValueType,
  serializeEntityKey,
} from '../codec/entity-key';
import { EncodeError } from '../codec/errors';
import { ValueType, valueTypeName } from '../codec/value-type';
import { FeastObjectNotFoundError, InvalidFeatureRequestError } from '../errors';
import type { Feature, FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';

/**
 * What a request selects and whether the registry can serve it: feature references, feature services,
 * entity columns and their join keys. Both online backends (Redis and the feature server) and the offline
 * planner resolve requests here, so the same request gets the same answer (or the same error) on each.
 */

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

/** One view's part of a request: the features asked of it, under which name, looked up by which columns. */
export interface Selection {
  view: FeatureView;
  outputPrefix: string;
  features: Feature[];
  joinKeyMap: Record<string, string>;
}

function invalid(message: string): InvalidFeatureRequestError {
  return new InvalidFeatureRequestError(message);
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

export function isOnDemand(view: FeatureView): boolean {
  return view.kind === 'on_demand_feature_view';
}

/** The join key types Feast can put in an online key. */
export const ENTITY_KEY_TYPES: ReadonlySet<number> = new Set([
  ValueType.STRING,
  ValueType.BYTES,
  ValueType.INT32,
  ValueType.INT64,
  ValueType.UNIX_TIMESTAMP,
]);

/** Entity rows or columns, as columns of equal length. */
export function entityColumnsOf(
  request: OnlineFeaturesRequest,
): Array<{ name: string; values: EntityValue[] }> {
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
  const { names, columns } = rowsToColumns(request.entityRows ?? [], (i, name) =>
    invalid(`Entity row ${i} has no ${name}, which other rows have: every row needs the same join keys.`),
  );
  return names.map((name, k) => ({ name, values: columns[k]! }));
}

/** A request column that a view is looked up by, and the join key (and type) it stands for. */
export interface JoinKeyUse {
  requestKey: string;
  joinKey: string;
  valueType: EntityKeyValueType;
}

/** One view of a checked request: what is read from it, under which output names, by which join keys. */
export interface CheckedView extends Selection {
  /** Output column name of each feature. */
  outputNames: string[];
  /** Request column → join key, for the keys this view is looked up by (none for entity-less and on-demand views). */
  joinKeys: JoinKeyUse[];
}

/** An online request the registry can serve, whichever backend serves it. */
export interface CheckedOnlineRequest {
  rowCount: number;
  /** Request columns in order, then their values per row. */
  entityColumns: Array<{ name: string; values: EntityValue[] }>;
  views: CheckedView[];
}

/**
 * Checks an online request against the registry before any backend is asked: unknown views, features or
 * services (with suggestions), missing or extra join keys, join keys Feast cannot key on, output names that
 * collide, and entity values that do not fit their join key's type (as Feast's entity-key serializer types
 * them, for `entityKeySerializationVersion`). On-demand views are looked up by their source views' keys,
 * which the feature server resolves, and they take request data as extra columns: their own keys are not
 * checked here.
 */
export function checkOnlineRequest(
  snapshot: RegistrySnapshot,
  request: OnlineFeaturesRequest,
  options: { entityKeySerializationVersion: 1 | 2 | 3 },
): CheckedOnlineRequest {
  const selections = selectFeatures(snapshot, request);
  const columns = entityColumnsOf(request);
  const rowCount = columns[0]?.values.length ?? 0;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const used = new Map<string, { joinKey: JoinKeyUse; view: string }>();
  const outputs = new Map<string, string>();
  const views: CheckedView[] = [];

  for (const selection of selections) {
    const { view } = selection;
    const joinKeys: JoinKeyUse[] = [];
    if (!isEntityLess(view) && !isOnDemand(view)) {
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
        const joinKey = {
          requestKey,
          joinKey: column.name,
          valueType: column.valueType as EntityKeyValueType,
        };
        joinKeys.push(joinKey);
        if (!used.has(requestKey)) used.set(requestKey, { joinKey, view: view.name });
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
    views.push({ ...selection, outputNames, joinKeys });
  }

  // Each value of a join key column, as Feast's serializer would take it (one key part at a time).
  const version = options.entityKeySerializationVersion;
  for (const [name, { joinKey, view }] of used) {
    const needs = views
      .find((v) => v.view.name === view)!
      .joinKeys.map((k) => ({ name: k.requestKey, valueType: k.valueType }));
    checkJoinKeyValues(byName.get(name)!.values, {
      joinKey: joinKey.joinKey,
      valueType: joinKey.valueType,
      view,
      needs,
      version,
    });
  }

  const extra = columns.filter((c) => !used.has(c.name)).map((c) => c.name);
  // On-demand views take request data (columns that are no join key), so extras are theirs to judge.
  if (extra.length > 0 && used.size > 0 && !views.some((v) => isOnDemand(v.view))) {
    throw invalid(
      `The entity rows have ${extra.join(', ')}, which none of the requested feature views is looked up by (they need ${[...used.keys()].join(', ')}). Remove ${extra.length > 1 ? 'them' : 'it'}, or check the spelling.`,
    );
  }
  return { rowCount, entityColumns: columns, views };
}

const INT64_LIMIT = 2n ** 63n;
/** Quick tests of values that certainly fit a join key type (the serializer judges the rest). */
const FITS: Partial<Record<number, (value: unknown) => boolean>> = {
  [ValueType.INT64]: (v) =>
    Number.isSafeInteger(v) || (typeof v === 'bigint' && v >= -INT64_LIMIT && v < INT64_LIMIT),
  [ValueType.INT32]: (v) => Number.isInteger(v) && (v as number) >= -(2 ** 31) && (v as number) < 2 ** 31,
};

/**
 * Checks each value of a join key column as Feast's entity-key serializer would take it, and refuses the first
 * that does not fit: the one rule and wording of the online paths (Redis, feature server) and of entity frames
 * (historical retrieval), e.g. `Entity row 2: Cannot encode entity key (driver_id): INT64 needs a bigint or a
 * safe integer in the int64 range, got the string "1001" (feature view driver_hourly_stats needs driver_id as
 * INT64).` Nulls are skipped when `allowNull` (an entity frame's null key matches nothing, as in Feast).
 */
export function checkJoinKeyValues(
  values: ArrayLike<unknown>,
  key: {
    joinKey: string;
    valueType: number;
    view: string;
    needs: ReadonlyArray<{ name: string; valueType: number }>;
    version?: EntityKeySerializationVersion | undefined;
    allowNull?: boolean;
  },
): void {
  const options = { version: key.version ?? 3 };
  const fits = FITS[key.valueType];
  // A column of int64s (an Arrow Int64 column's values) cannot hold a bad one.
  if (key.valueType === ValueType.INT64 && values instanceof BigInt64Array) return;
  for (let row = 0; row < values.length; row++) {
    const value = values[row];
    if (key.allowNull && (value === null || value === undefined)) continue;
    // The usual values pass a plain test; anything else goes through the serializer for its exact error.
    if (fits?.(value)) continue;
    try {
      serializeEntityKey(
        [
          {
            joinKey: key.joinKey,
            valueType: key.valueType as EntityKeyValueType,
            value: value as EntityValue,
          },
        ],
        options,
      );
    } catch (error) {
      if (!EncodeError.isInstance(error)) throw error;
      const needs = key.needs.map((k) => `${k.name} as ${valueTypeName(k.valueType)}`).join(', ');
      throw invalid(`Entity row ${row}: ${error.message} (feature view ${key.view} needs ${needs}).`);
    }
  }
}
