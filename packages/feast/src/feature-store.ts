import { join, resolve } from 'node:path';
import { ConfigError } from '@mlops/core';
import type { DataType, Table } from 'apache-arrow';
import type pg from 'pg';
import { epochMicrosOf, microsToIso, type TimeInput } from './codec/instant';
import { type FeastConfig, type FeastConfigOptions, resolveFeastConfig } from './config/options';
import type { PostgresOfflineStoreConfig, RedisOnlineStoreConfig, RepoConfig } from './config/repo-config';
import { InvalidFeatureRequestError } from './errors';
import type { EntityDf } from './offline/entity-df';
import type { HistoricalRetrievalJob } from './offline/historical';
import type { OfflineIndex } from './offline/indexes';
import type { MaterializeRunOptions, MaterializeViewResult } from './offline/materialize';
import type { MaterializeRange } from './offline/materialize-run';
import type { HistoricalFeaturesSelection } from './offline/plan';
import type { OfflineConnectionOptions } from './offline/postgres';
import type { StreamOptions } from './offline/session';
import type { TrinoClient } from './offline/trino/client';
import type { TrinoOfflineStoreConfig } from './offline/trino/config';
import type { TrinoConnectionOptions } from './offline/trino/stack';
import { type CallDeadline, withDeadline } from './online/deadline';
import { type DataFrameColumns, FeatureServerClient } from './online/feature-server';
import type { StatusMode } from './online/read';
import type { RedisOnlineStore } from './online/redis-online-store';
import type { EntityValue, OnlineFeaturesRequest, OnlinePlanCache } from './online/request-plan';
import type {
  CheckedFeatureRefs,
  KnownFeatureRef,
  OnlineFeaturesResult,
  OnlineResultColumns,
  OutputName,
} from './online/result';
import type { OnlineWriteResult, OnlineWriteRow } from './online/write';
import type { Entity, FeatureService, FeatureView } from './registry/model';
import type { Registry, RegistrySnapshot } from './registry/registry';
import type { RegistrySource } from './registry/sources';

type OnlineStack = typeof import('./online/online-stack');
let onlineStackModule: OnlineStack | undefined;
/** The online store and registry code, loaded on first use (not when @mlops/feast is imported). */
const onlineStack = async (): Promise<OnlineStack> => {
  onlineStackModule ??= await import('./online/online-stack');
  return onlineStackModule;
};
/** The offline store code (Arrow, pg), loaded on first use of historical retrieval or materialization. */
const offlineStack = () => import('./offline/offline-stack');
/** The Trino offline store's code, loaded on first use of a Trino offline store. */
const trinoStack = () => import('./offline/trino/stack');

/**
 * The options of a FeatureStore. Those of feastConfigSpec (featureServerUrl, repoPath, maxRetries,
 * attemptTimeoutMs) fall back to their environment variables (FEAST_FEATURE_SERVER_URL, FEAST_REPO_PATH,
 * FEAST_HTTP_MAX_RETRIES, FEAST_HTTP_TIMEOUT_MS), then to their defaults.
 */
export interface FeatureStoreOptions extends FeastConfigOptions {
  /** Another YAML file than <repoPath>/feature_store.yaml (as `feast -f`). */
  fsYamlFile?: string;
  /** The configuration itself, instead of a repo (programmatic use). */
  config?: RepoConfig;
  /** A registry source of your own (for example a file fetched from object storage). */
  registrySource?: RegistrySource;
  /** Statuses as we compute them (default) or exactly as Feast Python reports them. See StatusMode. */
  statuses?: StatusMode;
  /**
   * Where online reads and writes go: 'redis' (default when the repo's online store is Redis) straight to
   * Redis, or 'http' through the feature server. Results look the same either way.
   */
  online?: 'redis' | 'http';
  /**
   * Redis reads of concurrent calls share writes: the socket stays corked until the end of the event-loop
   * tick, so the HMGETs of every call made in that tick leave in one write (fewer system calls and packets for
   * a service answering many small requests at once). Default false: each call's HMGETs leave in one write of
   * their own. Standalone Redis and Sentinel; Redis Cluster reads keep one pipeline per node per call. See the
   * README's Performance section.
   */
  autoPipelining?: boolean;
  /** A fetch for the feature server; by default node:http with keep-alive (fetch refuses port 6566). */
  fetch?: typeof fetch;
  /** Connections to the PostgreSQL offline store (historical retrieval, materialization). */
  offline?: OfflineConnectionOptions;
  /** Session properties and upload settings of a Trino offline store (offline_store.type: trino). */
  trino?: TrinoConnectionOptions;
}

/**
 * The Arrow columns of a historical retrieval for features `Refs` over entity columns `Columns`: each named,
 * typed as Arrow's DataType (which one comes from the registry at run time); any name when the references
 * are not literals.
 */
export type HistoricalColumnsOf<Refs extends string, Columns extends string, Full extends boolean = false> =
  // biome-ignore lint/suspicious/noExplicitAny: Arrow's own open TypeMap.
  string extends Refs ? any : { [K in Columns | OutputName<Refs, Full>]: DataType };

/** A historical request by literal feature references (its entity frame is added by each overload). */
export type TypedHistoricalRequest<Refs extends readonly KnownFeatureRef[], Full extends boolean> = Omit<
  HistoricalFeaturesRequest,
  'features' | 'featureService' | 'entityDf' | 'fullFeatureNames'
> & { features: Refs; fullFeatureNames?: Full };

/** How an online read reports statuses and judges TTLs. */
export interface OnlineReadOptions {
  statuses?: StatusMode;
  /** The time TTLs are judged at (OUTSIDE_MAX_AGE), any TimeInput, to the microsecond; default now. */
  now?: TimeInput;
  /**
   * The call's deadline in milliseconds (default the store's `onlineTimeoutMs`, 5 s): past it the call rejects
   * with a TimeoutError, even when Redis never answers (paused, cut off, failing over).
   */
  timeoutMs?: number;
  /** Aborting rejects the call at once with an AbortError. */
  signal?: AbortSignal;
}

/** What to materialize, and how to report progress. */
export interface MaterializeOptions extends MaterializeRunOptions {
  /** The range of event timestamps, [start, end]: each a TimeInput, kept to the microsecond. */
  start: TimeInput;
  end: TimeInput;
  /** Views to materialize; default every online view of the project. */
  featureViews?: readonly string[];
  /** Record the interval in the registry, as Feast does (default true). */
  recordInRegistry?: boolean;
}

/** A historical retrieval: entity rows with points in time, and the features to read as of those times. */
export interface HistoricalFeaturesRequest extends HistoricalFeaturesSelection {
  /** The entity rows: an Arrow table, row objects, columns, or a SQL query (see EntityDf). */
  entityDf: EntityDf;
  /**
   * The entity column with each row's point in time. Default: `event_timestamp`, else the only timestamp
   * column, as Feast infers it.
   */
  eventTimestampColumn?: string;
}

/**
 * Feast's FeatureStore, for TypeScript: the same names in camelCase.
 *
 * ```ts
 * const store = new FeatureStore({ repoPath: 'feature_repo' });
 * const result = await store.getOnlineFeatures({
 *   features: ['driver_hourly_stats:conv_rate'],
 *   entityRows: [{ driver_id: 1001 }],
 * });
 * result.toObjects(); // [{ driver_id: 1001, conv_rate: 0.53 }]
 * ```
 */
export class FeatureStore {
  readonly #options: FeatureStoreOptions;
  /** The options of feastConfigSpec, resolved once. */
  readonly #settings: FeastConfig;
  #ready:
    | Promise<{ config: RepoConfig; registry: Registry; online: RedisOnlineStore | undefined }>
    | undefined;
  /** Once the online stack is ready: what a Redis read needs, without waiting for anything. */
  #hot:
    | { registry: Registry; online: RedisOnlineStore; plans: OnlinePlanCache; stack: OnlineStack }
    | undefined;
  #featureServer: FeatureServerClient | undefined;
  #offlinePool: { config: PostgresOfflineStoreConfig; pool: pg.Pool } | undefined;
  #trinoClient: { config: TrinoOfflineStoreConfig; client: TrinoClient } | undefined;

  constructor(options: FeatureStoreOptions = {}) {
    const settings = resolveFeastConfig(options);
    if (!settings.repoPath && !options.config) {
      throw new ConfigError(
        'FeatureStore needs repoPath (a folder with feature_store.yaml; or set FEAST_REPO_PATH) or config.',
        { option: 'repoPath', envVars: ['FEAST_REPO_PATH'] },
      );
    }
    this.#options = options;
    this.#settings = settings;
  }

  /** The Redis online store once #init has made it (for errors that must not wait for #init). */
  #onlineStore: { readonly description: string } | undefined;

  #onlineDescription(): string {
    return (
      this.#onlineStore?.description ??
      `the online store of ${this.#settings.repoPath ?? 'the config passed to FeatureStore'}`
    );
  }

  #init() {
    this.#ready ??= (async () => {
      const { loadRepoConfig, Registry, RedisOnlineStore, registrySourceFor } = await onlineStack();
      const config =
        this.#options.config ??
        (await loadRepoConfig(this.#settings.repoPath!, { fsYamlFile: this.#options.fsYamlFile }));
      const source =
        this.#options.registrySource ??
        (await registrySourceFor(config.registry, config.project, config.repoPath));
      const registry = new Registry(source, config.project, {
        cacheTtlSeconds: config.registry.cacheTtlSeconds,
      });
      const yamlFile = this.#options.config
        ? 'the config passed to FeatureStore'
        : resolve(this.#options.fsYamlFile ?? join(this.#settings.repoPath!, 'feature_store.yaml'));
      const online =
        config.onlineStore.type === 'redis'
          ? new RedisOnlineStore(config.onlineStore as RedisOnlineStoreConfig, undefined, {
              configSource: `online_store.connection_string in ${yamlFile}`,
              autoPipelining: this.#options.autoPipelining === true,
            })
          : undefined;
      this.#onlineStore = online;
      return { config, registry, online };
    })().catch((error: unknown) => {
      this.#ready = undefined;
      throw error;
    });
    return this.#ready;
  }

  /** The feature server client (created on first use). */
  get featureServer(): FeatureServerClient {
    this.#featureServer ??= new FeatureServerClient({
      url: this.#settings.featureServerUrl,
      maxRetries: this.#settings.maxRetries,
      attemptTimeoutMs: this.#settings.attemptTimeoutMs,
      ...(this.#options.fetch ? { fetch: this.#options.fetch } : {}),
    });
    return this.#featureServer;
  }

  get #viaHttp(): boolean {
    return this.#options.online === 'http';
  }

  /** True when the feature server answers its health check. */
  async health(): Promise<boolean> {
    return this.featureServer.health();
  }

  /** Rows to a push source through the feature server (`/push`), to the online store, offline store or both. */
  async push(
    pushSourceName: string,
    df: DataFrameColumns,
    options: { to?: 'online' | 'offline' | 'online_and_offline' } = {},
  ): Promise<void> {
    await this.featureServer.push(pushSourceName, await this.#pushColumns(pushSourceName, df), options);
  }

  /**
   * The push source's event timestamp column as ISO 8601 with microseconds, whatever TimeInput each value is
   * (the same rule and error as writeToOnlineStore); other columns as given.
   */
  async #pushColumns(pushSourceName: string, df: DataFrameColumns): Promise<DataFrameColumns> {
    const source = (await this.#snapshot())
      .listFeatureViews()
      .map((view) => ({ view, source: view.streamSource }))
      .find(({ source }) => source?.name === pushSourceName);
    const column =
      source?.source?.batchSource?.timestampField || source?.view.batchSource?.timestampField || undefined;
    const values = column === undefined ? undefined : df[column];
    if (column === undefined || values === undefined) return df;
    return {
      ...df,
      [column]: values.map((value, row) =>
        value === null || value === undefined
          ? value
          : microsToIso(
              epochMicrosOf(value, (problem) => {
                throw new InvalidFeatureRequestError(`Row ${row}: ${column}: ${problem}.`);
              }),
            ),
      ),
    };
  }

  /**
   * Loads the online store from the offline store, in TypeScript, as `feast materialize` does: for each view
   * (the named ones, else every online view), the latest row of each entity with an event timestamp in
   * [start, end] is read from PostgreSQL in batches and written to Redis with the online writer; then the
   * interval is recorded in the registry, so Feast (and materializeIncremental) continue from it. Progress
   * is reported after every batch. Writes are idempotent — Redis keeps the newest event per entity — so a run
   * that failed part-way is resumed by running it again. (The feature server's own materialization stays
   * available as `store.featureServer.materialize`.)
   */
  async materialize(options: MaterializeOptions): Promise<MaterializeViewResult[]> {
    const { materializeBounds, viewsToMaterialize } = await offlineStack();
    const snapshot = await this.#snapshot();
    const views = viewsToMaterialize(snapshot.listFeatureViews(), options.featureViews, (n) =>
      snapshot.getFeatureView(n),
    );
    const { start, end } = materializeBounds(options.start, options.end);
    return this.#materialize(
      views.map((view) => ({ view, start, end })),
      options,
    );
  }

  /**
   * Materializes each view from where its last materialization ended (else now − TTL, else 52 weeks back, as
   * Feast decides) up to `end`, and records the new interval.
   */
  async materializeIncremental(
    options: Omit<MaterializeOptions, 'start'> & { now?: TimeInput },
  ): Promise<MaterializeViewResult[]> {
    const { incrementalStartMicros, materializeBounds, recordedIntervalsMicros, viewsToMaterialize } =
      await offlineStack();
    const end = materializeBounds(options.end, options.end).end;
    const now =
      options.now === undefined
        ? BigInt(Date.now()) * 1000n
        : epochMicrosOf(options.now, (problem) => {
            throw new InvalidFeatureRequestError(`now: ${problem}.`);
          });
    const { config, registry } = await this.#init();
    const snapshot = await this.#snapshot();
    const views = viewsToMaterialize(snapshot.listFeatureViews(), options.featureViews, (n) =>
      snapshot.getFeatureView(n),
    );
    // The intervals come from the registry as it is now, not from a cached snapshot.
    const proto = await registry.source.load();
    const ranges = views.map((view) => ({
      view,
      start: incrementalStartMicros(
        view,
        recordedIntervalsMicros(proto, config.project, view.name),
        end,
        now,
      ),
      end,
    }));
    return this.#materialize(ranges, options);
  }

  async #materialize(
    ranges: MaterializeRange[],
    options: MaterializeRunOptions & { recordInRegistry?: boolean },
  ): Promise<MaterializeViewResult[]> {
    const { config, online } = await this.#init();
    if (!online) {
      throw new ConfigError(
        `The online store of project ${config.project} is ${config.onlineStore.type}; @mlops/feast materializes into Redis. Use the feature server's materialization (store.featureServer.materialize) for other stores.`,
        { option: 'online_store.type' },
      );
    }
    const trino = await this.#trino();
    const offline = trino ? undefined : await this.#offline();
    const { materializationRecorderFor, openSession, runMaterialization } = await offlineStack();
    const { trinoBatches, trinoPullLatestQuery } = trino ? await trinoStack() : {};
    const { writeOnline } = await onlineStack();
    const recorder =
      options.recordInRegistry === false
        ? undefined
        : await materializationRecorderFor(config.registry, config.project, config.repoPath);
    const writeOptions = {
      project: config.project,
      entityKeySerializationVersion: config.entityKeySerializationVersion as 1 | 2 | 3,
      config: online.config,
    };
    const results = await runMaterialization(
      ranges,
      {
        open: (settings) => openSession(offline!.pool, offline!.config, options, settings),
        ...(trino && trinoBatches && trinoPullLatestQuery
          ? {
              pullLatest: (view, range, after, read) =>
                trinoBatches(trino.client, trinoPullLatestQuery(view, range.start, range.end, after), read),
            }
          : {}),
        write: (view, rows) => writeOnline(online, view, rows, writeOptions),
        ...(recorder ? { record: (view, range) => recorder.record(config.project, view.name, range) } : {}),
      },
      options,
    );
    if (recorder) await this.refreshRegistry();
    return results;
  }

  /** The repo's configuration, as read. */
  async getConfig(): Promise<RepoConfig> {
    return (await this.#init()).config;
  }

  get project(): Promise<string> {
    return this.#init().then((s) => s.config.project);
  }

  async #snapshot(): Promise<RegistrySnapshot> {
    return (await this.#init()).registry.snapshot();
  }

  async listEntities(): Promise<Entity[]> {
    return (await this.#snapshot()).listEntities();
  }

  async listFeatureViews(): Promise<FeatureView[]> {
    return (await this.#snapshot()).listFeatureViews();
  }

  async listFeatureServices(): Promise<FeatureService[]> {
    return (await this.#snapshot()).listFeatureServices();
  }

  async getEntity(name: string): Promise<Entity> {
    return (await this.#snapshot()).getEntity(name);
  }

  async getFeatureView(name: string): Promise<FeatureView> {
    return (await this.#snapshot()).getFeatureView(name);
  }

  async getFeatureService(name: string): Promise<FeatureService> {
    return (await this.#snapshot()).getFeatureService(name);
  }

  /** Loads the registry again now, instead of when its cache TTL runs out. */
  async refreshRegistry(): Promise<void> {
    await (await this.#init()).registry.refresh();
  }

  /**
   * The latest values of features for entities, straight from the Redis online store.
   * Everything is checked before Redis is asked: unknown views, features or services, missing or extra
   * join keys, values that do not fit a join key's type. See OnlineFeaturesRequest.
   */
  async getOnlineFeatures<
    const Refs extends readonly KnownFeatureRef[],
    Keys extends string = never,
    Full extends boolean = false,
  >(
    request: OnlineReadOptions & {
      features: Refs;
      entityRows?: ReadonlyArray<Readonly<Record<Keys, EntityValue>>>;
      entities?: Readonly<Record<Keys, readonly EntityValue[]>>;
      fullFeatureNames?: Full;
    },
  ): Promise<OnlineFeaturesResult<OnlineResultColumns<Refs[number], Keys, Full>>>;
  async getOnlineFeatures<const Refs extends readonly string[] | undefined = undefined>(
    request: Omit<OnlineFeaturesRequest, 'features'> &
      OnlineReadOptions & { features?: Refs & NoInfer<CheckedFeatureRefs<Refs>> },
  ): Promise<OnlineFeaturesResult>;
  async getOnlineFeatures(request: OnlineFeaturesRequest & OnlineReadOptions): Promise<OnlineFeaturesResult> {
    const timeoutMs = request.timeoutMs ?? this.#settings.onlineTimeoutMs;
    if (!(timeoutMs > 0))
      throw new InvalidFeatureRequestError(
        `timeoutMs must be a positive number of milliseconds, not ${timeoutMs}.`,
      );
    return withDeadline(
      (call) => this.#read(request, call),
      timeoutMs,
      request.signal,
      () =>
        this.#viaHttp
          ? { service: 'feast-server', method: 'getOnlineFeatures', url: this.#settings.featureServerUrl }
          : { service: 'redis', method: 'getOnlineFeatures', url: this.#onlineDescription() },
      request.timeoutMs === undefined ? 'the onlineTimeoutMs option (FEAST_ONLINE_TIMEOUT_MS)' : 'timeoutMs',
    );
  }

  #read(
    request: OnlineFeaturesRequest & OnlineReadOptions,
    call: CallDeadline,
  ): Promise<OnlineFeaturesResult> {
    // The hot path: once the store is ready and the registry snapshot fresh, a Redis read plans synchronously
    // (request shapes are cached) and waits only for Redis.
    const hot = this.#hot;
    if (hot && !this.#viaHttp) {
      const snapshot = hot.registry.current();
      if (snapshot) {
        try {
          const options = this.#readOptions(request);
          return hot.stack.readOnline(hot.online, hot.plans.plan(snapshot, request), options, call);
        } catch (error) {
          return Promise.reject(error);
        }
      }
    }
    return this.#getOnlineFeatures(request, call);
  }

  #readOptions(request: OnlineReadOptions): { statuses?: StatusMode; nowMicros?: bigint } {
    const statusMode = request.statuses ?? this.#options.statuses;
    if (statusMode === undefined && request.now === undefined) return {};
    return {
      ...(statusMode ? { statuses: statusMode } : {}),
      ...(request.now === undefined
        ? {}
        : {
            nowMicros: epochMicrosOf(request.now, (problem) => {
              throw new InvalidFeatureRequestError(`now: ${problem}.`);
            }),
          }),
    };
  }

  async #getOnlineFeatures(
    request: OnlineFeaturesRequest & OnlineReadOptions,
    call: CallDeadline,
  ): Promise<OnlineFeaturesResult> {
    const readOptions = this.#readOptions(request);
    const { config, online } = await this.#init();
    const entityKeySerializationVersion = config.entityKeySerializationVersion as 1 | 2 | 3;
    const snapshot = await this.#snapshot();
    // Both backends check the request against the registry (selection/) before anything is sent.
    if (this.#viaHttp) {
      return this.featureServer.getOnlineFeatures(snapshot, request, {
        ...readOptions,
        entityKeySerializationVersion,
      });
    }
    if (!online) {
      throw new ConfigError(
        `The online store of project ${config.project} is ${config.onlineStore.type}; @mlops/feast reads Redis directly. Use Redis, or the feature server (online: 'http').`,
        { option: 'online_store.type' },
      );
    }
    const stack = await onlineStack();
    const { registry } = await this.#init();
    if (this.#hot?.online !== online) {
      const plans = new stack.OnlinePlanCache({ project: config.project, entityKeySerializationVersion });
      this.#hot = { registry, online, plans, stack };
    }
    return stack.readOnline(online, this.#hot.plans.plan(snapshot, request), readOptions, call);
  }

  /**
   * Writes rows of a feature view straight to the Redis online store, as Feast's `write_to_online_store`:
   * each row holds the view's join keys, every feature (null for none) and its event timestamp column.
   * Rows older than what Redis holds are skipped. Feast Python reads back exactly what was written.
   */
  async writeToOnlineStore(
    featureViewName: string,
    rows: readonly OnlineWriteRow[],
  ): Promise<OnlineWriteResult> {
    if (this.#viaHttp) {
      // The view must exist, as on the direct path: an unknown name is refused here, with suggestions.
      const view = (await this.#snapshot()).getFeatureView(featureViewName);
      const { onlineWriteColumns } = await onlineStack();
      await this.featureServer.writeToOnlineStore(featureViewName, onlineWriteColumns(view, rows));
      // The server does not say which rows it skipped as stale.
      return { written: rows.length, skipped: 0 };
    }
    const { config, online } = await this.#init();
    if (!online) {
      throw new ConfigError(
        `The online store of project ${config.project} is ${config.onlineStore.type}; @mlops/feast writes Redis directly (or use online: 'http').`,
        { option: 'online_store.type' },
      );
    }
    const view = (await this.#snapshot()).getFeatureView(featureViewName);
    const { writeOnline } = await onlineStack();
    return writeOnline(online, view, rows, {
      project: config.project,
      entityKeySerializationVersion: config.entityKeySerializationVersion as 1 | 2 | 3,
      config: online.config,
    });
  }

  /** The Trino offline store's configuration and client, when the repo's offline store is Trino. */
  async #trino(): Promise<{ config: TrinoOfflineStoreConfig; client: TrinoClient } | undefined> {
    if (this.#trinoClient) return this.#trinoClient;
    const { config } = await this.#init();
    if (config.offlineStore?.type !== 'trino') return undefined;
    const trino = config.offlineStore as TrinoOfflineStoreConfig;
    const { createTrinoClient } = await trinoStack();
    this.#trinoClient ??= { config: trino, client: createTrinoClient(trino, this.#options.trino) };
    return this.#trinoClient;
  }

  /** The offline store's configuration and connection pool (opened on first use). */
  async #offline(): Promise<{ config: PostgresOfflineStoreConfig; pool: pg.Pool }> {
    if (this.#offlinePool) return this.#offlinePool;
    const { config } = await this.#init();
    const offline = config.offlineStore;
    if (offline?.type !== 'postgres') {
      throw new ConfigError(
        `The offline store of project ${config.project} is ${offline ? offline.type : 'not configured'}; @mlops/feast reads Feast's PostgreSQL and Trino offline stores (offline_store.type: postgres or trino).`,
        { option: 'offline_store.type' },
      );
    }
    const postgres = offline as PostgresOfflineStoreConfig;
    const { createOfflinePool } = await offlineStack();
    this.#offlinePool ??= { config: postgres, pool: createOfflinePool(postgres, this.#options.offline) };
    return this.#offlinePool;
  }

  /**
   * Point-in-time correct feature values for training: for each entity row, each feature's latest value at
   * or before the row's timestamp (within the view's TTL), as Feast's PostgreSQL offline store computes it.
   * Names and entity columns are checked here; the returned job runs when asked (toArrow, stream, count,
   * explain) and shows its SQL with toSQL().
   *
   * ```ts
   * const job = await store.getHistoricalFeatures({
   *   entityDf: { driver_id: [1001, 1002], event_timestamp: [new Date('2026-01-01T05:00:00Z'), new Date()] },
   *   features: ['driver_hourly_stats:conv_rate', 'driver_hourly_stats:avg_daily_trips'],
   * });
   * const training = await job.toArrow();
   * ```
   */
  async getHistoricalFeatures<
    const Refs extends readonly KnownFeatureRef[],
    Columns extends string,
    Full extends boolean = false,
  >(
    request: TypedHistoricalRequest<Refs, Full> & {
      entityDf: ReadonlyArray<Readonly<Record<Columns, unknown>>>;
    },
  ): Promise<HistoricalRetrievalJob<HistoricalColumnsOf<Refs[number], Columns, Full>>>;
  async getHistoricalFeatures<
    const Refs extends readonly KnownFeatureRef[],
    Columns extends string,
    Full extends boolean = false,
  >(
    request: TypedHistoricalRequest<Refs, Full> & { entityDf: Readonly<Record<Columns, ArrayLike<unknown>>> },
  ): Promise<HistoricalRetrievalJob<HistoricalColumnsOf<Refs[number], Columns, Full>>>;
  async getHistoricalFeatures<const Refs extends readonly string[] | undefined = undefined>(
    request: Omit<HistoricalFeaturesRequest, 'features'> & {
      features?: Refs & NoInfer<CheckedFeatureRefs<Refs>>;
    },
  ): Promise<HistoricalRetrievalJob>;
  async getHistoricalFeatures(request: HistoricalFeaturesRequest): Promise<HistoricalRetrievalJob> {
    const trino = await this.#trino();
    const postgres = trino ? undefined : await this.#offline();
    const {
      checkFrame,
      checkJoinKeyValues,
      describeEntitySql,
      PostgresHistoricalRetrievalJob,
      planHistoricalRequest,
      prepareEntityFrame,
    } = await offlineStack();
    const plan = planHistoricalRequest(await this.#snapshot(), request);
    const keyTypes = new Map<string, number>();
    for (const view of plan.views) for (const key of view.keys) keyTypes.set(key.entityColumn, key.valueType);
    const frame = prepareEntityFrame(request.entityDf, keyTypes, request.eventTimestampColumn);
    if (frame.kind === 'rows') {
      // Join key values by the online paths' rule and wording (a string id for an INT64 key, a rounded number).
      const byName = new Map(frame.columns.map((c) => [c.name, c.values]));
      for (const { view, keys } of plan.views) {
        const needs = keys.map((k) => ({ name: k.entityColumn, valueType: k.valueType }));
        for (const key of keys) {
          const values = byName.get(key.entityColumn);
          if (!values) continue; // a missing column is checkFrame's to report
          checkJoinKeyValues(values, {
            joinKey: key.entityColumn,
            valueType: key.valueType,
            view: view.name,
            needs,
            allowNull: true,
          });
        }
      }
    }
    const stack = trino ? await trinoStack() : undefined;
    const frameColumns =
      frame.kind === 'rows'
        ? frame.columns.map((c) => ({ name: c.name, typeOid: c.typeOid }))
        : trino && stack
          ? await stack.describeTrinoEntitySql(trino.client, frame.sql)
          : await describeEntitySql(postgres!.pool, postgres!.config, frame.sql);
    const timestampColumn = checkFrame(plan, frameColumns, request.eventTimestampColumn);
    if (trino && stack) {
      return new stack.TrinoHistoricalRetrievalJob({
        client: trino.client,
        config: trino.config,
        plan: stack.trinoPlan(plan),
        frame,
        frameColumns,
        timestampColumn,
        ...(this.#options.trino?.uploadConcurrency
          ? { uploadConcurrency: this.#options.trino.uploadConcurrency }
          : {}),
      });
    }
    const { config, pool } = postgres!;
    return new PostgresHistoricalRetrievalJob({ pool, config, plan, frame, frameColumns, timestampColumn });
  }

  /**
   * The indexes that make point-in-time retrieval of these features fast, and whether each exists:
   * per source table, a btree on (join keys, event timestamp DESC, created DESC). Prints nothing, changes
   * nothing; see createOfflineIndexes.
   *
   * `includeFeatures: true` (opt-in) asks for covering indexes instead: (join keys, event timestamp,
   * created NULLS FIRST) INCLUDE (the features), which turn lookups into index-only probes and spare the
   * array plan its sort of the whole source — on a table VACUUMed after loading (index-only scans read the
   * visibility map). They are larger and cost every insert more: measure before adopting them.
   */
  async offlineIndexes(
    request: Pick<HistoricalFeaturesSelection, 'features' | 'featureService'>,
    options: { includeFeatures?: boolean } = {},
  ): Promise<OfflineIndex[]> {
    const { pool } = await this.#offline();
    const { offlineIndexes, planHistoricalRequest } = await offlineStack();
    // Full names: views that share feature names need indexes all the same.
    const plan = planHistoricalRequest(await this.#snapshot(), { ...request, fullFeatureNames: true });
    return offlineIndexes(pool, plan, options);
  }

  /** Creates the indexes offlineIndexes lists that do not exist yet; returns the statements it ran. */
  async createOfflineIndexes(
    request: Pick<HistoricalFeaturesSelection, 'features' | 'featureService'>,
    options: { includeFeatures?: boolean } = {},
  ): Promise<string[]> {
    const { pool, config } = await this.#offline();
    const { offlineError } = await offlineStack();
    const ran: string[] = [];
    for (const index of await this.offlineIndexes(request, options)) {
      if (index.exists || !index.sql) continue;
      try {
        await pool.query(index.sql);
      } catch (error) {
        throw offlineError(error, { step: `creating an index on ${index.table}`, config });
      }
      ran.push(index.sql);
    }
    return ran;
  }

  /**
   * The latest row of each entity of a view with an event timestamp in [start, end] (inclusive), latest
   * created timestamp first on ties: what materialization writes to the online store. Columns keep their
   * source names.
   */
  async pullLatest(
    options: { featureView: string; start: TimeInput; end: TimeInput } & StreamOptions,
  ): Promise<Table> {
    const trino = await this.#trino();
    if (trino) {
      const { collectTable } = await offlineStack();
      const { trinoBatches, trinoPullLatestQuery } = await trinoStack();
      const view = (await this.#snapshot()).getFeatureView(options.featureView);
      const sql = trinoPullLatestQuery(view, options.start, options.end);
      return collectTable((onSchema) =>
        trinoBatches(trino.client, sql, {
          ...options,
          step: `reading the latest rows of ${options.featureView}`,
          onSchema,
        }),
      );
    }
    const { pool, config } = await this.#offline();
    const { collectTable, openSession, pullLatestPlan, streamQuery } = await offlineStack();
    const plan = pullLatestPlan(
      (await this.#snapshot()).getFeatureView(options.featureView),
      options.start,
      options.end,
    );
    return collectTable((onSchema) =>
      streamQuery(() => openSession(pool, config, options, plan.query.settings), plan.query.text, {
        ...options,
        step: `reading the latest rows of ${options.featureView}`,
        onSchema,
      }),
    );
  }

  /** `await using store = new FeatureStore(...)`: closed when the scope ends. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  /**
   * Closes the connections this store opened. Idle connections do not keep the process open (Redis sockets
   * and PostgreSQL pool clients are released while nothing is in flight), so a script that forgets this
   * still exits; a long-running service should close the store when it stops.
   */
  async close(): Promise<void> {
    const ready = this.#ready;
    const offline = this.#offlinePool;
    this.#ready = undefined;
    this.#hot = undefined;
    this.#offlinePool = undefined;
    this.#trinoClient = undefined;
    await offline?.pool.end();
    if (!ready) return;
    const { online, registry } = await ready.catch(() => ({ online: undefined, registry: undefined }));
    await Promise.all([online?.close(), registry?.close()]);
  }
}
