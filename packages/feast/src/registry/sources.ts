import { create, fromBinary } from '@bufbuild/protobuf';
import { ConfigError, ConnectionError, DecodeError } from '@mlops/core';
import { redactUrl } from '@mlops/core/sdk';
import type { RegistryConfig } from '../config/repo-config';
import { DataSourceSchema } from '../generated/proto/feast/core/DataSource_pb';
import { EntitySchema } from '../generated/proto/feast/core/Entity_pb';
import { FeatureServiceSchema } from '../generated/proto/feast/core/FeatureService_pb';
import { FeatureViewSchema } from '../generated/proto/feast/core/FeatureView_pb';
import { OnDemandFeatureViewSchema } from '../generated/proto/feast/core/OnDemandFeatureView_pb';
import { ProjectSchema } from '../generated/proto/feast/core/Project_pb';
import { type Registry as RegistryProto, RegistrySchema } from '../generated/proto/feast/core/Registry_pb';
import { StreamFeatureViewSchema } from '../generated/proto/feast/core/StreamFeatureView_pb';

/** Where a registry comes from. `load` returns the whole `feast.core.Registry`, all projects. */
export interface RegistrySource {
  /** For messages: "registry file /repo/data/registry.db". */
  readonly description: string;
  load(): Promise<RegistryProto>;
  close?(): Promise<void>;
}

function decodeRegistryBytes<T>(
  schema: Parameters<typeof fromBinary>[0],
  bytes: Uint8Array,
  source: string,
  what: string,
): T {
  try {
    return fromBinary(schema, bytes) as T;
  } catch (cause) {
    throw new DecodeError({ what, source, cause });
  }
}

/** A file registry: the file is one serialized `feast.core.Registry` (Feast's `registry.db`). */
export class FileRegistrySource implements RegistrySource {
  readonly description: string;

  constructor(readonly path: string) {
    this.description = `registry file ${path}`;
  }

  async load(): Promise<RegistryProto> {
    const { readFile } = await import('node:fs/promises');
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.path);
    } catch (cause) {
      throw new ConfigError(
        `Cannot read the Feast ${this.description} (${(cause as Error).message}). Run \`feast apply\` in the repo, or fix registry.path in feature_store.yaml.`,
        { option: 'registry.path' },
      );
    }
    return decodeRegistryBytes<RegistryProto>(RegistrySchema, bytes, this.description, 'feast.core.Registry');
  }
}

const SQL_TABLES = [
  ['entities', 'entity_proto', EntitySchema, 'entities'],
  ['data_sources', 'data_source_proto', DataSourceSchema, 'dataSources'],
  ['feature_views', 'feature_view_proto', FeatureViewSchema, 'featureViews'],
  ['stream_feature_views', 'feature_view_proto', StreamFeatureViewSchema, 'streamFeatureViews'],
  ['on_demand_feature_views', 'feature_view_proto', OnDemandFeatureViewSchema, 'onDemandFeatureViews'],
  ['feature_services', 'feature_service_proto', FeatureServiceSchema, 'featureServices'],
  ['projects', 'project_proto', ProjectSchema, 'projects'],
] as const;

/** A connected client to a SQL registry's database; a ConnectionError naming the registry if it cannot connect. */
export async function connectSqlRegistry(url: string, description: string): Promise<import('pg').Client> {
  const { default: pg } = await import('pg');
  const client = new pg.Client({ connectionString: url });
  try {
    await client.connect();
  } catch (cause) {
    throw new ConnectionError({ service: 'postgres', method: 'CONNECT', url: description, cause });
  }
  return client;
}

/** A SQLAlchemy URL as node-postgres takes it: the driver suffix (`postgresql+psycopg:`) means nothing to pg. */
export function pgConnectionString(url: string): string {
  return url
    .replace(/^postgresql\+[a-z0-9]+:/i, 'postgresql:')
    .replace(/^postgres\+[a-z0-9]+:/i, 'postgres:');
}

/**
 * Feast's SQL registry in PostgreSQL: one row per object, its protobuf in a `*_proto` column. Read in one
 * transaction-free round of queries, one per table, for one project.
 */
export class SqlRegistrySource implements RegistrySource {
  readonly description: string;
  readonly #url: string;
  readonly #project: string;

  /** `url`: the registry path of feature_store.yaml, e.g. postgresql+psycopg://user@host:5432/db. */
  constructor(url: string, project: string) {
    this.#url = pgConnectionString(url);
    this.#project = project;
    this.description = `SQL registry ${redactUrl(this.#url)}`;
  }

  async load(): Promise<RegistryProto> {
    const client = await connectSqlRegistry(this.#url, this.description);
    try {
      const registry = create(RegistrySchema);
      for (const [table, column, schema, field] of SQL_TABLES) {
        const { rows } = await client.query<Record<string, Buffer>>(
          `SELECT ${column} AS proto FROM ${table} WHERE project_id = $1`,
          [this.#project],
        );
        const decoded = rows.map((row) => {
          const message = decodeRegistryBytes<{ spec?: { project: string } }>(
            schema,
            new Uint8Array(row.proto!),
            `${this.description} table ${table}`,
            schema.typeName,
          );
          // The row's project_id says whose it is; the proto itself may leave spec.project empty.
          if (message.spec && !message.spec.project) message.spec.project = this.#project;
          return message;
        });
        (registry[field] as unknown[]).push(...decoded);
      }
      return registry;
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/** The registry server's base URL: feature_store.yaml's host:port, or an http(s) URL as given. */
export function registryServerBaseUrl(target: string): string {
  return /^[a-z]+:\/\//i.test(target) ? target : `http://${target}`;
}

/**
 * The registry server's gRPC API (`feast serve_registry`, port 6570). Its `Proto()` leaves every object's
 * project empty, so the project's objects are listed instead: one call per kind, all with `allow_cache`.
 */
export class RemoteRegistrySource implements RegistrySource {
  readonly description: string;
  readonly #baseUrl: string;
  readonly #project: string;

  /** `target`: host:port as feature_store.yaml's registry.path has it, or an http(s) URL. */
  constructor(target: string, project: string) {
    this.#baseUrl = registryServerBaseUrl(target);
    this.#project = project;
    this.description = `registry server ${this.#baseUrl}`;
  }

  async load(): Promise<RegistryProto> {
    const [{ createClient }, { createGrpcTransport }, { RegistryServer }, { callRegistry }] =
      await Promise.all([
        import('@connectrpc/connect'),
        import('@connectrpc/connect-node'),
        import('../generated/proto/feast/registry/RegistryServer_pb.js'),
        import('./grpc-errors'),
      ]);
    const client = createClient(RegistryServer, createGrpcTransport({ baseUrl: this.#baseUrl }));
    const request = { project: this.#project, allowCache: true };
    const options = { timeoutMs: 30_000 };
    const call = <T>(rpc: string, run: () => Promise<T>) =>
      callRegistry({ rpc, url: this.#baseUrl, timeoutMs: options.timeoutMs }, run);
    const [entities, dataSources, featureViews, streamFeatureViews, onDemandFeatureViews, featureServices] =
      await Promise.all([
        call('ListEntities', () => client.listEntities(request, options)),
        call('ListDataSources', () => client.listDataSources(request, options)),
        call('ListFeatureViews', () => client.listFeatureViews(request, options)),
        call('ListStreamFeatureViews', () => client.listStreamFeatureViews(request, options)),
        call('ListOnDemandFeatureViews', () => client.listOnDemandFeatureViews(request, options)),
        call('ListFeatureServices', () => client.listFeatureServices(request, options)),
      ]);
    const registry = create(RegistrySchema, {
      entities: entities.entities,
      dataSources: dataSources.dataSources,
      featureViews: featureViews.featureViews,
      streamFeatureViews: streamFeatureViews.streamFeatureViews,
      onDemandFeatureViews: onDemandFeatureViews.onDemandFeatureViews,
      featureServices: featureServices.featureServices,
    });
    for (const list of [
      registry.entities,
      registry.dataSources,
      registry.featureViews,
      registry.streamFeatureViews,
      registry.onDemandFeatureViews,
      registry.featureServices,
    ]) {
      for (const item of list as Array<{ spec?: { project: string }; project?: string }>) {
        if (item.spec && !item.spec.project) item.spec.project = this.#project;
        if (item.project === '') item.project = this.#project;
      }
    }
    return registry;
  }
}

/** The source a repo's `registry:` setting names. Relative file paths resolve against the repo. */
export async function registrySourceFor(
  registry: RegistryConfig,
  project: string,
  repoPath: string | undefined,
): Promise<RegistrySource> {
  switch (registry.registryType) {
    case 'file': {
      const { isAbsolute, join } = await import('node:path');
      if (/^(s3|gs|az|abfss?|hdfs):\/\//.test(registry.path)) {
        throw new ConfigError(
          `The registry ${registry.path} is in object storage, which @mlops/feast does not read; use a local file, the SQL registry or the registry server (registry_type: remote).`,
          { option: 'registry.path' },
        );
      }
      const path = isAbsolute(registry.path) || !repoPath ? registry.path : join(repoPath, registry.path);
      return new FileRegistrySource(path);
    }
    case 'sql':
      return new SqlRegistrySource(registry.path, project);
    case 'remote':
      return new RemoteRegistrySource(registry.path, project);
    default:
      throw new ConfigError(
        `registry_type ${JSON.stringify(registry.registryType)} is not supported by @mlops/feast: use file, sql or remote.`,
        { option: 'registry.registry_type' },
      );
  }
}
