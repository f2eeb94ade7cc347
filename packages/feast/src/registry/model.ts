import { valueTypeName } from '../codec/value-type';
import type { DataSource as DataSourceProto } from '../generated/proto/feast/core/DataSource_pb';
import { DataSource_SourceType } from '../generated/proto/feast/core/DataSource_pb';
import type { Entity as EntityProto } from '../generated/proto/feast/core/Entity_pb';
import type { FeatureSpecV2 } from '../generated/proto/feast/core/Feature_pb';
import type { FeatureService as FeatureServiceProto } from '../generated/proto/feast/core/FeatureService_pb';
import type { FeatureView as FeatureViewProto } from '../generated/proto/feast/core/FeatureView_pb';
import type { FeatureViewProjection as ProjectionProto } from '../generated/proto/feast/core/FeatureViewProjection_pb';
import type { OnDemandFeatureView as OnDemandProto } from '../generated/proto/feast/core/OnDemandFeatureView_pb';
import type { StreamFeatureView as StreamProto } from '../generated/proto/feast/core/StreamFeatureView_pb';

/** An entity: what features are about, identified by its join key. */
export interface Entity {
  name: string;
  project: string;
  /** The column that identifies it in sources and requests, e.g. `driver_id`. */
  joinKey: string;
  /** Feast's ValueType number of the join key (see ValueType), and its name. */
  valueType: number;
  valueTypeName: string;
  description: string;
  owner: string;
  tags: Record<string, string>;
}

/** A feature (or an entity column) of a feature view, with its Feast type. */
export interface Feature {
  name: string;
  valueType: number;
  valueTypeName: string;
  description: string;
  tags: Record<string, string>;
}

/** Where a view's rows come from. PostgreSQL sources carry `table` or `query`. */
export interface DataSource {
  name: string;
  /** 'BATCH_FILE', 'CUSTOM_SOURCE' (PostgreSQL), 'PUSH_SOURCE', 'REQUEST_SOURCE', ... */
  type: string;
  /** The Python class of a custom source, e.g. feast...PostgreSQLSource. */
  className: string;
  timestampField: string;
  createdTimestampColumn: string;
  /** Source column → feature or join key name. */
  fieldMapping: Record<string, string>;
  table: string | undefined;
  query: string | undefined;
  /** A push source's batch source. */
  batchSource: DataSource | undefined;
}

export type FeatureViewKind = 'feature_view' | 'stream_feature_view' | 'on_demand_feature_view';

export interface FeatureView {
  kind: FeatureViewKind;
  name: string;
  project: string;
  /** Entity names. */
  entities: string[];
  /** The join keys with their value types: what the online key is built from. Empty for entity-less views. */
  entityColumns: Feature[];
  features: Feature[];
  /** Time to live of a value, in seconds; 0 means values never expire. */
  ttlSeconds: number;
  online: boolean;
  offline: boolean;
  batchSource: DataSource | undefined;
  streamSource: DataSource | undefined;
  description: string;
  owner: string;
  tags: Record<string, string>;
  /** The version counted by Feast's feature view versioning (0 when unversioned). */
  currentVersionNumber: number;
}

/** A view as a feature service uses it: a subset of features, maybe under an alias, maybe with join keys renamed. */
export interface FeatureViewProjection {
  featureViewName: string;
  /** The name the service exposes the view under, when aliased. */
  alias: string | undefined;
  features: Feature[];
  /** Join key of the view → name of the column in requests. */
  joinKeyMap: Record<string, string>;
}

export interface FeatureService {
  name: string;
  project: string;
  projections: FeatureViewProjection[];
  description: string;
  owner: string;
  tags: Record<string, string>;
}

function feature(spec: FeatureSpecV2): Feature {
  return {
    name: spec.name,
    valueType: spec.valueType,
    valueTypeName: valueTypeName(spec.valueType),
    description: spec.description,
    tags: { ...spec.tags },
  };
}

export function entityFromProto(proto: EntityProto): Entity {
  const spec = proto.spec;
  return {
    name: spec?.name ?? '',
    project: spec?.project ?? '',
    joinKey: spec?.joinKey || spec?.name || '',
    valueType: spec?.valueType ?? 0,
    valueTypeName: valueTypeName(spec?.valueType ?? 0),
    description: spec?.description ?? '',
    owner: spec?.owner ?? '',
    tags: { ...spec?.tags },
  };
}

export function dataSourceFromProto(proto: DataSourceProto | undefined): DataSource | undefined {
  if (!proto) return undefined;
  let table: string | undefined;
  let query: string | undefined;
  if (proto.type === DataSource_SourceType.CUSTOM_SOURCE && proto.options.case === 'customOptions') {
    // PostgreSQLSource keeps {"name", "query", "table"} as JSON bytes.
    try {
      const configuration = JSON.parse(new TextDecoder().decode(proto.options.value.configuration)) as {
        table?: string;
        query?: string;
      };
      table = configuration.table || undefined;
      query = configuration.query || undefined;
    } catch {
      // Another custom source: no table or query we know how to read.
    }
  } else if (proto.options.case && 'table' in proto.options.value) {
    const options = proto.options.value as { table?: string; query?: string };
    table = options.table || undefined;
    query = options.query || undefined;
  }
  return {
    name: proto.name,
    type: DataSource_SourceType[proto.type] ?? String(proto.type),
    className: proto.dataSourceClassType,
    timestampField: proto.timestampField,
    createdTimestampColumn: proto.createdTimestampColumn,
    fieldMapping: { ...proto.fieldMapping },
    table,
    query,
    batchSource: dataSourceFromProto(proto.batchSource),
  };
}

function durationSeconds(duration: { seconds: bigint; nanos: number } | undefined): number {
  if (!duration) return 0;
  return Number(duration.seconds) + duration.nanos / 1e9;
}

export function featureViewFromProto(
  proto: FeatureViewProto | StreamProto,
  kind: FeatureViewKind = 'feature_view',
): FeatureView {
  const spec = proto.spec;
  const meta = proto.meta as { currentVersionNumber?: number } | undefined;
  return {
    kind,
    name: spec?.name ?? '',
    project: spec?.project ?? '',
    entities: [...(spec?.entities ?? [])],
    entityColumns: (spec?.entityColumns ?? []).map(feature),
    features: (spec?.features ?? []).map(feature),
    ttlSeconds: durationSeconds(spec?.ttl),
    online: spec?.online ?? false,
    offline: (spec as { offline?: boolean } | undefined)?.offline ?? false,
    batchSource: dataSourceFromProto(spec?.batchSource),
    streamSource: dataSourceFromProto(spec?.streamSource),
    description: spec?.description ?? '',
    owner: spec?.owner ?? '',
    tags: { ...spec?.tags },
    currentVersionNumber: meta?.currentVersionNumber ?? 0,
  };
}

export function onDemandFeatureViewFromProto(proto: OnDemandProto): FeatureView {
  const spec = proto.spec;
  return {
    kind: 'on_demand_feature_view',
    name: spec?.name ?? '',
    project: spec?.project ?? '',
    entities: [...(spec?.entities ?? [])],
    entityColumns: (spec?.entityColumns ?? []).map(feature),
    features: (spec?.features ?? []).map(feature),
    ttlSeconds: 0,
    // On-demand views are computed at request time: served online, never stored offline.
    online: true,
    offline: false,
    batchSource: undefined,
    streamSource: undefined,
    description: spec?.description ?? '',
    owner: spec?.owner ?? '',
    tags: { ...spec?.tags },
    currentVersionNumber: 0,
  };
}

function projectionFromProto(proto: ProjectionProto): FeatureViewProjection {
  return {
    featureViewName: proto.featureViewName,
    alias: proto.featureViewNameAlias || undefined,
    features: proto.featureColumns.map(feature),
    joinKeyMap: { ...proto.joinKeyMap },
  };
}

export function featureServiceFromProto(proto: FeatureServiceProto): FeatureService {
  const spec = proto.spec;
  return {
    name: spec?.name ?? '',
    project: spec?.project ?? '',
    projections: (spec?.features ?? []).map(projectionFromProto),
    description: spec?.description ?? '',
    owner: spec?.owner ?? '',
    tags: { ...spec?.tags },
  };
}
