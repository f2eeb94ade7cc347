import { DUMMY_ENTITY_KEY, type EntityKeyPart, redisKey } from '../codec/entity-key';
import { EncodeError } from '../codec/errors';
import { featureFieldName, timestampFieldName } from '../codec/murmur3';
import { valueTypeName } from '../codec/value-type';
import { InvalidFeatureRequestError } from '../errors';
import type { Feature, FeatureView } from '../registry/model';
import type { RegistrySnapshot } from '../registry/registry';
import {
  type CheckedView,
  checkOnlineRequest,
  type EntityValue,
  isOnDemand,
  type OnlineFeaturesRequest,
} from '../selection/selection';

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

export interface RequestPlan {
  rowCount: number;
  /** Request columns in order, then their values per row. */
  entityColumns: Array<{ name: string; values: EntityValue[] }>;
  views: ViewPlan[];
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
  const checked = checkOnlineRequest(snapshot, request, options);
  const onDemand = checked.views.filter((s) => isOnDemand(s.view));
  if (onDemand.length > 0) {
    throw new InvalidFeatureRequestError(
      `${onDemand.map((s) => s.view.name).join(', ')} ${onDemand.length > 1 ? 'are on-demand feature views' : 'is an on-demand feature view'}: its values are computed by Python code at request time, which only the feature server can run. Read it through the feature server (new FeatureStore({ ..., online: 'http' }) or featureServerUrl), or ask for its source views' features instead.`,
    );
  }
  const { rowCount, entityColumns: columns } = checked;
  const byName = new Map(columns.map((c) => [c.name, c]));
  const views: ViewPlan[] = [];
  const keysByJoinKeys = new Map<string, { rowKey: Int32Array; keys: Uint8Array[] }>();

  for (const selection of checked.views) {
    const { view, joinKeys, outputNames } = selection;
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
          // Each value was checked alone (checkOnlineRequest); what is left is about the key as a whole.
          if (EncodeError.isInstance(error)) {
            throw new InvalidFeatureRequestError(
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

  return { rowCount, entityColumns: columns, views };
}

function latin1(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
}
