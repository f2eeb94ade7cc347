/**
 * Materialization bookkeeping in the registry, as Feast 0.67 keeps it: which time ranges of a feature view have
 * been copied to the online store (`meta.materialization_intervals`), and where the next incremental run
 * starts. Written so that Feast Python, reading the same registry afterwards, sees exactly what it would have
 * recorded itself, and `feast materialize-incremental` carries on from our end.
 */
import { create, fromBinary, toBinary } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import type { Transport } from '@connectrpc/connect';
import { ConfigError, DecodeError } from '@mlops/core';
import { redactUrl } from '@mlops/core/sdk';
import {
  epochMicrosOf,
  microsToDate,
  microsToSecondsNanos,
  secondsNanosToMicros,
  type TimeInput,
} from '../codec/instant';
import { type FeastTimestamp, timestampFromDate, timestampToDate } from '../codec/timestamp';
import type { RegistryConfig } from '../config/repo-config';
import { FeastObjectNotFoundError } from '../errors';
import {
  type FeatureViewMeta,
  FeatureViewMetaSchema,
  type FeatureView as FeatureViewProto,
  FeatureViewSchema,
  FeatureViewState,
  MaterializationIntervalSchema,
} from '../generated/proto/feast/core/FeatureView_pb';
import { type Registry as RegistryProto, RegistrySchema } from '../generated/proto/feast/core/Registry_pb';
import {
  type StreamFeatureView as StreamFeatureViewProto,
  StreamFeatureViewSchema,
} from '../generated/proto/feast/core/StreamFeatureView_pb';
import type { FeatureView } from './model';
import {
  connectSqlRegistry,
  FileRegistrySource,
  pgConnectionString,
  registryServerBaseUrl,
  registrySourceFor,
} from './sources';

/** A time range of a feature view that has been materialized: [start, end]. */
export interface MaterializationInterval {
  start: Date;
  end: Date;
}

/** A range to record: each end any TimeInput (a Date, ISO 8601 with a zone, bigint µs, Temporal.Instant). */
export interface RecordableInterval {
  start: TimeInput;
  end: TimeInput;
}

/** A recorded range in µs since the epoch, as Feast keeps it (nanoseconds floored). */
export interface MaterializationIntervalMicros {
  start: bigint;
  end: bigint;
}

/** Feast's fallback look-back when a view has no TTL and was never materialized: 52 weeks. */
const FIFTY_TWO_WEEKS_US = 52n * 7n * 24n * 60n * 60n * 1_000_000n;

function assertValidDate(date: Date, what: string): void {
  if (!(date instanceof Date) || !Number.isFinite(date.getTime())) {
    throw new RangeError(`${what} is not a valid Date`);
  }
}

/**
 * The start Feast's `FeatureStore.materialize_incremental` would use for this view, given `end` and now.
 *
 * Feast 0.67, for a batch or stream feature view:
 *  1. If the view has recorded intervals, the start is the latest end among them (`most_recent_end_time`:
 *     the maximum of the ends, not the end of the last interval recorded).
 *  2. Otherwise, if its TTL is positive, the start is now − TTL.
 *  3. Otherwise (TTL 0, which is also what a view loaded from the registry has when no TTL was given), the
 *     start is now − 52 weeks. (Feast raises when the TTL is None, but a view read from a registry always
 *     has one: an unset or zero Duration comes back as a TTL of 0.)
 * `end` plays no part for these views: Feast does not check that the start is before it, so neither do we.
 *
 * Precision is a Date's: milliseconds (an interval end recorded by Feast with sub-millisecond digits is
 * floored); incrementalStartMicros keeps Feast's microseconds.
 *
 * On-demand views are refused: Feast starts them at `end` − the largest TTL of their source views (or
 * `end` − 52 weeks), and only when they write to the online store; neither is in the model.
 *
 * Not part of the start, and not done here: before copying a view that has a lifecycle state, Feast's
 * materialize_incremental first writes it to the registry as MATERIALIZING (and refuses a view whose state
 * cannot move there, e.g. CREATED); afterwards apply_materialization sets AVAILABLE_ONLINE, which
 * MaterializationRecorder.record does.
 */
export function incrementalStart(
  view: FeatureView,
  intervals: readonly MaterializationInterval[],
  end: Date,
  now: Date = new Date(),
): Date {
  const micros = (date: Date, what: string) => {
    assertValidDate(date, what);
    return BigInt(date.getTime()) * 1000n;
  };
  return microsToDate(
    incrementalStartMicros(
      view,
      intervals.map((interval) => ({
        start: 0n,
        end: micros(interval.end, `the end of a materialization interval of ${view.name}`),
      })),
      micros(end, 'end'),
      micros(now, 'now'),
    ),
  );
}

/** incrementalStart in µs since the epoch, which keeps the microseconds of an end Feast recorded. */
export function incrementalStartMicros(
  view: FeatureView,
  intervals: readonly MaterializationIntervalMicros[],
  _end: bigint,
  now: bigint,
): bigint {
  if (view.kind === 'on_demand_feature_view') {
    throw new ConfigError(
      `${view.name} is an on-demand feature view: Feast starts its incremental materialization from the TTLs of its source views, which incrementalStart does not know. Materialize it with explicit start and end.`,
      { option: 'featureViews' },
    );
  }
  if (intervals.length > 0) {
    let latest = intervals[0]!.end;
    for (const interval of intervals) if (interval.end > latest) latest = interval.end;
    return latest;
  }
  if (view.ttlSeconds > 0) return now - BigInt(view.ttlSeconds) * 1_000_000n;
  return now - FIFTY_TWO_WEEKS_US;
}

function toDate(timestamp: FeastTimestamp | undefined): Date {
  // An unset Timestamp reads as the epoch, as Feast's ToDatetime has it.
  return timestampToDate(timestamp ?? { seconds: 0n, nanos: 0 });
}

/** The intervals recorded in a feature view's (or stream feature view's) `meta`, in registry order. */
export function materializationIntervalsOf(
  proto: FeatureViewProto | StreamFeatureViewProto,
): MaterializationInterval[] {
  return (proto.meta?.materializationIntervals ?? []).map((interval) => ({
    start: toDate(interval.startTime),
    end: toDate(interval.endTime),
  }));
}

/**
 * The intervals recorded for a project's feature view (batch or stream) in a loaded registry, e.g. from
 * `(await registrySourceFor(...)).load()`. Load it afresh before materializing: a cached copy may predate
 * another run's intervals.
 */
export function recordedIntervals(
  registry: RegistryProto,
  project: string,
  featureViewName: string,
): MaterializationInterval[] {
  const views = [...registry.featureViews, ...registry.streamFeatureViews].filter(
    (view) => view.spec?.project === project,
  );
  const found = views.find((view) => view.spec?.name === featureViewName);
  if (!found) {
    throw new FeastObjectNotFoundError({
      kind: 'feature view',
      name: featureViewName,
      project,
      known: views.map((view) => view.spec?.name ?? ''),
    });
  }
  return materializationIntervalsOf(found);
}

/** recordedIntervals in µs since the epoch, as Feast recorded them (FeatureStore.materializeIncremental uses these). */
export function recordedIntervalsMicros(
  registry: RegistryProto,
  project: string,
  featureViewName: string,
): MaterializationIntervalMicros[] {
  const views = [...registry.featureViews, ...registry.streamFeatureViews].filter(
    (view) => view.spec?.project === project,
  );
  const found = views.find((view) => view.spec?.name === featureViewName);
  if (!found)
    throw notFound(
      project,
      featureViewName,
      views.map((view) => view.spec?.name ?? ''),
    );
  const micros = (t: FeastTimestamp | undefined) => (t ? secondsNanosToMicros(t.seconds, t.nanos) : 0n);
  return (found.meta?.materializationIntervals ?? []).map((interval) => ({
    start: micros(interval.startTime),
    end: micros(interval.endTime),
  }));
}

/** Writes "this view is materialized over [start, end]" into a registry, as Feast's apply_materialization. */
export interface MaterializationRecorder {
  /** For messages: "registry file /repo/data/registry.db". */
  readonly description: string;
  /**
   * Appends the interval to the view's `meta.materialization_intervals`, with what Feast changes alongside
   * (see the implementations). The view may be a feature view or, except through the registry server, a
   * stream feature view. Throws FeastObjectNotFoundError when the project has no such view.
   */
  record(project: string, featureViewName: string, interval: RecordableInterval): Promise<void>;
}

export interface MaterializationRecorderOptions {
  /** The clock for the `last_updated` stamps (file and SQL registries; the registry server uses its own), for tests. */
  now?: () => Date;
  /**
   * feature_store.yaml's `registry.purge_feast_metadata` (SQL registry; default false). When true Feast keeps
   * no `feast_metadata` rows, so none are written. RegistryConfig does not carry it, hence the option.
   */
  purgeFeastMetadata?: boolean;
  /** The registry server's transport (remote registry), for tests. Default: gRPC over HTTP/2 to its address. */
  transport?: Transport;
}

interface RecordStamps {
  start: FeastTimestamp;
  end: FeastTimestamp;
  now: Date;
}

function stamps(interval: RecordableInterval, now: Date): RecordStamps {
  const stamp = (value: TimeInput, what: string) =>
    microsToSecondsNanos(
      epochMicrosOf(value, (problem) => {
        throw new RangeError(`${what}: ${problem}`);
      }),
    );
  assertValidDate(now, 'now');
  return { start: stamp(interval.start, 'interval.start'), end: stamp(interval.end, 'interval.end'), now };
}

/**
 * What Feast's apply_materialization changes in the view's meta: the interval appended (after the ones already
 * there, duplicates and overlaps included), `last_updated_timestamp` set to now and `state` set to
 * AVAILABLE_ONLINE (it does so whatever the state was).
 *
 * Feast gets there by rebuilding the whole view through its Python class (from_proto, then to_proto), which
 * can also rewrite unrelated parts of the proto without changing what they mean: e.g. it fills in the
 * `data_source_class_type` of a push source, or puts a stream view's features in schema order. We do not
 * reproduce that re-serialization: the rest of the proto is kept byte for byte as stored, which Feast reads
 * the same (it is what `feast apply` wrote). The tests check that our proto, passed through that same Python
 * round trip, is exactly the proto Feast writes.
 */
function appendInterval(meta: FeatureViewMeta | undefined, at: RecordStamps): FeatureViewMeta {
  const updated = meta ?? create(FeatureViewMetaSchema);
  updated.materializationIntervals.push(
    create(MaterializationIntervalSchema, {
      startTime: { ...at.start },
      endTime: { ...at.end },
    }),
  );
  updated.lastUpdatedTimestamp = create(TimestampSchema, timestampFromDate(at.now));
  updated.state = FeatureViewState.AVAILABLE_ONLINE;
  return updated;
}

function notFound(project: string, name: string, known: Iterable<string>): FeastObjectNotFoundError {
  return new FeastObjectNotFoundError({ kind: 'feature view', name, project, known });
}

/**
 * The file registry: one serialized `feast.core.Registry`. Like Feast's file registry store, the view is
 * looked up among the feature views, then the stream feature views, by name and `spec.project`; it is moved
 * to the end of its list (Feast deletes and re-appends it), its `spec.project` set; the registry gets a new
 * random `version_id` and `last_updated` = now.
 *
 * Concurrency: this is a read-modify-write of the whole file without a lock, the same race Feast's own file
 * registry has (two writers at once: the last one wins, the other's change is lost). Feast even writes back
 * its cached copy, up to cache_ttl_seconds old; we at least read the file right before writing it. The write
 * itself is atomic (temp file in the same folder, fsync, rename), so readers never see half a registry.
 */
export class FileMaterializationRecorder implements MaterializationRecorder {
  readonly description: string;
  readonly #now: () => Date;

  constructor(
    readonly path: string,
    options: Pick<MaterializationRecorderOptions, 'now'> = {},
  ) {
    this.description = `registry file ${path}`;
    this.#now = options.now ?? (() => new Date());
  }

  async record(project: string, featureViewName: string, interval: RecordableInterval): Promise<void> {
    const at = stamps(interval, this.#now());
    // Read right before writing (the same reading, and the same errors, as the registry source's).
    const registry = await new FileRegistrySource(this.path).load();

    const inProject = (view: FeatureViewProto | StreamFeatureViewProto) =>
      view.spec?.project === project && view.spec.name === featureViewName;
    const update = <T extends FeatureViewProto | StreamFeatureViewProto>(list: T[]): boolean => {
      const index = list.findIndex(inProject);
      if (index < 0) return false;
      const [view] = list.splice(index, 1) as [T];
      view.meta = appendInterval(view.meta, at);
      view.spec!.project = project;
      list.push(view);
      return true;
    };
    if (!update(registry.featureViews) && !update(registry.streamFeatureViews)) {
      const known = [...registry.featureViews, ...registry.streamFeatureViews]
        .filter((view) => view.spec?.project === project)
        .map((view) => view.spec?.name ?? '');
      throw notFound(project, featureViewName, known);
    }
    registry.versionId = globalThis.crypto.randomUUID();
    registry.lastUpdated = create(TimestampSchema, timestampFromDate(at.now));
    await writeAtomically(this.path, toBinary(RegistrySchema, registry));
  }
}

/** Replaces the file in one step: a temp file next to it (same mode), fsync'ed, renamed over it. */
async function writeAtomically(path: string, bytes: Uint8Array): Promise<void> {
  const { open, rename, stat, unlink } = await import('node:fs/promises');
  const { basename, dirname, join } = await import('node:path');
  const mode = (await stat(path)).mode & 0o777;
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.${globalThis.crypto.randomUUID()}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    try {
      await handle.writeFile(bytes);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => {});
    throw error;
  }
  // Make the rename itself durable; not every platform lets a folder be fsync'ed, hence best effort.
  try {
    const folder = await open(dirname(path), 'r');
    try {
      await folder.sync();
    } finally {
      await folder.close();
    }
  } catch {
    // Best effort only.
  }
}

const SQL_VIEW_TABLES = [
  ['feature_views', FeatureViewSchema],
  ['stream_feature_views', StreamFeatureViewSchema],
] as const;

/**
 * Feast's SQL registry in PostgreSQL. As Feast's SqlRegistry.apply_materialization does, in one transaction:
 *  - the view's row in `feature_views` (else `stream_feature_views`) for (project_id, feature_view_name) gets
 *    the updated proto and `last_updated_timestamp` = now in whole seconds. The proto's `spec.project` is
 *    emptied, as Feast's rewrite leaves it (the row's project_id says whose it is; readers, Feast's and ours,
 *    take the project from there). A row whose meta had no `created_timestamp` gets the epoch there, as
 *    Feast's rewrite gives it.
 *  - `feast_metadata`: the project's `last_updated_timestamp` row is set to now (value and column, seconds),
 *    inserted when missing, and a `project_uuid` row is added if the project has none; neither when
 *    `purgeFeastMetadata` is set, like Feast.
 * The `projects` row is left alone: Feast re-applies the unchanged project, which writes nothing.
 * Unlike Feast (which reads, then writes in another transaction), the row is locked (`FOR UPDATE`) between
 * read and write, so two of our recorders cannot lose each other's interval.
 */
export class SqlMaterializationRecorder implements MaterializationRecorder {
  readonly description: string;
  readonly #url: string;
  readonly #now: () => Date;
  readonly #purgeFeastMetadata: boolean;

  /** `url`: the registry path of feature_store.yaml, e.g. postgresql+psycopg://user@host:5432/db. */
  constructor(url: string, options: Pick<MaterializationRecorderOptions, 'now' | 'purgeFeastMetadata'> = {}) {
    if (!/^postgres(ql)?(\+[a-z0-9]+)?:\/\//i.test(url)) {
      throw new ConfigError(
        `The SQL registry ${redactUrl(url)} is not PostgreSQL: @mlops/feast records materializations only in a PostgreSQL SQL registry (or a file registry, or through the registry server).`,
        { option: 'registry.path' },
      );
    }
    this.#url = pgConnectionString(url);
    this.description = `SQL registry ${redactUrl(this.#url)}`;
    this.#now = options.now ?? (() => new Date());
    this.#purgeFeastMetadata = options.purgeFeastMetadata ?? false;
  }

  async record(project: string, featureViewName: string, interval: RecordableInterval): Promise<void> {
    const at = stamps(interval, this.#now());
    const updateSeconds = Math.floor(at.now.getTime() / 1000);
    const client = await connectSqlRegistry(this.#url, this.description);
    try {
      await client.query('BEGIN');
      let found = false;
      for (const [table, schema] of SQL_VIEW_TABLES) {
        const { rows } = await client.query<{ proto: Buffer }>(
          `SELECT feature_view_proto AS proto FROM ${table} WHERE feature_view_name = $1 AND project_id = $2 FOR UPDATE`,
          [featureViewName, project],
        );
        const row = rows[0];
        if (!row) continue;
        let view: FeatureViewProto | StreamFeatureViewProto;
        try {
          view = fromBinary(schema, new Uint8Array(row.proto));
        } catch (cause) {
          throw new DecodeError({
            what: schema.typeName,
            source: `${this.description} table ${table}`,
            cause,
          });
        }
        view.meta = appendInterval(view.meta, at);
        // Feast rebuilds created_timestamp from the stored one unconditionally; unset reads as the epoch.
        view.meta.createdTimestamp ??= create(TimestampSchema);
        // Feast's rewrite of the row leaves spec.project empty (the row's project_id says whose it is).
        if (view.spec) view.spec.project = '';
        const bytes = toBinary(schema as typeof FeatureViewSchema, view as FeatureViewProto);
        await client.query(
          `UPDATE ${table} SET feature_view_proto = $1, last_updated_timestamp = $2 WHERE feature_view_name = $3 AND project_id = $4`,
          [Buffer.from(bytes), updateSeconds, featureViewName, project],
        );
        found = true;
        break;
      }
      if (!found) {
        await client.query('ROLLBACK');
        const { rows } = await client.query<{ name: string }>(
          'SELECT feature_view_name AS name FROM feature_views WHERE project_id = $1 UNION SELECT feature_view_name FROM stream_feature_views WHERE project_id = $1',
          [project],
        );
        throw notFound(
          project,
          featureViewName,
          rows.map((row) => row.name),
        );
      }
      if (!this.#purgeFeastMetadata) {
        await client.query(
          `INSERT INTO feast_metadata (project_id, metadata_key, metadata_value, last_updated_timestamp)
           VALUES ($1, 'project_uuid', $2, $3) ON CONFLICT (project_id, metadata_key) DO NOTHING`,
          [project, globalThis.crypto.randomUUID(), updateSeconds],
        );
        await client.query(
          `INSERT INTO feast_metadata (project_id, metadata_key, metadata_value, last_updated_timestamp)
           VALUES ($1, 'last_updated_timestamp', $2, $3)
           ON CONFLICT (project_id, metadata_key)
           DO UPDATE SET metadata_value = EXCLUDED.metadata_value, last_updated_timestamp = EXCLUDED.last_updated_timestamp`,
          [project, String(updateSeconds), updateSeconds],
        );
      }
      await client.query('COMMIT');
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Through the registry server (`feast serve_registry`): its gRPC ApplyMaterialization, which runs Feast's own
 * apply_materialization on the registry it serves. The request carries the view as the server has it (fetched
 * with allow_cache off, which also refreshes the server's cache before it writes), the project, start and
 * end, and commit = true, as Feast's RemoteRegistry sends it.
 *
 * Stream feature views are refused: the request has room only for a batch FeatureView, and a SQL-backed
 * server would look for it among the batch views (Feast's own remote client cannot do it either).
 */
export class RemoteMaterializationRecorder implements MaterializationRecorder {
  readonly description: string;
  readonly #baseUrl: string;
  readonly #transport: Transport | undefined;

  /** `target`: host:port as feature_store.yaml's registry.path has it, or an http(s) URL. */
  constructor(target: string, options: Pick<MaterializationRecorderOptions, 'transport'> = {}) {
    this.#baseUrl = registryServerBaseUrl(target);
    this.#transport = options.transport;
    this.description = `registry server ${this.#baseUrl}`;
  }

  async record(project: string, featureViewName: string, interval: RecordableInterval): Promise<void> {
    const at = stamps(interval, new Date());
    const [{ Code, ConnectError, createClient }, { RegistryServer }, { registryCallError }] =
      await Promise.all([
        import('@connectrpc/connect'),
        import('../generated/proto/feast/registry/RegistryServer_pb.js'),
        import('./grpc-errors'),
      ]);
    const transport =
      this.#transport ??
      (await import('@connectrpc/connect-node')).createGrpcTransport({ baseUrl: this.#baseUrl });
    const client = createClient(RegistryServer, transport);
    const options = { timeoutMs: 30_000 };
    const failed = (rpc: string, cause: unknown) =>
      registryCallError(cause, { rpc, url: this.#baseUrl, timeoutMs: options.timeoutMs });
    const isNotFound = (error: unknown) => ConnectError.from(error).code === Code.NotFound;

    let view: FeatureViewProto;
    try {
      view = await client.getFeatureView({ name: featureViewName, project, allowCache: false }, options);
    } catch (error) {
      if (!isNotFound(error)) throw failed('GetFeatureView', error);
      try {
        await client.getStreamFeatureView({ name: featureViewName, project, allowCache: false }, options);
      } catch (streamError) {
        if (!isNotFound(streamError)) throw failed('GetStreamFeatureView', streamError);
        const known: string[] = [];
        try {
          const [batch, stream] = await Promise.all([
            client.listFeatureViews({ project, allowCache: true }, options),
            client.listStreamFeatureViews({ project, allowCache: true }, options),
          ]);
          for (const v of [...batch.featureViews, ...stream.streamFeatureViews])
            known.push(v.spec?.name ?? '');
        } catch {
          // Suggestions only.
        }
        throw notFound(project, featureViewName, known);
      }
      throw new ConfigError(
        `${featureViewName} is a stream feature view: the registry server's ApplyMaterialization takes only batch feature views (as Feast's own remote registry client), so its materialization cannot be recorded through ${this.description}. Record it in the file or SQL registry directly.`,
        { option: 'registry.registry_type' },
      );
    }
    try {
      await client.applyMaterialization(
        {
          featureView: view,
          project,
          startDate: { ...at.start },
          endDate: { ...at.end },
          commit: true,
        },
        options,
      );
    } catch (error) {
      if (isNotFound(error)) throw notFound(project, featureViewName, []);
      throw failed('ApplyMaterialization', error);
    }
  }
}

/**
 * The recorder for a repo's `registry:` setting: the file (relative paths against the repo), the PostgreSQL
 * SQL registry, or the registry server. `project` names the repo's project, for messages; each `record` call
 * says which project it writes. Object storage, non-PostgreSQL SQL registries and other registry types throw
 * a ConfigError.
 */
export async function materializationRecorderFor(
  registryConfig: RegistryConfig,
  project: string,
  repoPath: string | undefined,
  options: MaterializationRecorderOptions = {},
): Promise<MaterializationRecorder> {
  switch (registryConfig.registryType) {
    case 'file': {
      const source = await registrySourceFor(registryConfig, project, repoPath);
      if (!(source instanceof FileRegistrySource)) throw new Error('unreachable: a file registry source');
      return new FileMaterializationRecorder(source.path, options);
    }
    case 'sql':
      return new SqlMaterializationRecorder(registryConfig.path, options);
    case 'remote':
      return new RemoteMaterializationRecorder(registryConfig.path, options);
    default:
      throw new ConfigError(
        `registry_type ${JSON.stringify(registryConfig.registryType)} is not supported for recording materializations in project ${project}: use file, sql or remote.`,
        { option: 'registry.registry_type' },
      );
  }
}
