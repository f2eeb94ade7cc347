import { FeastObjectNotFoundError } from '../errors';
import type { Registry as RegistryProto } from '../generated/proto/feast/core/Registry_pb';
import {
  type Entity,
  entityFromProto,
  type FeatureService,
  type FeatureView,
  featureServiceFromProto,
  featureViewFromProto,
  onDemandFeatureViewFromProto,
} from './model';
import type { RegistrySource } from './sources';

/** One consistent view of a project's registry, as loaded at one moment. Immutable. */
export class RegistrySnapshot {
  readonly project: string;
  /** When it was loaded (ms since epoch). */
  readonly loadedAt: number;
  /** The registry's own `last_updated`, when it has one. */
  readonly lastUpdated: Date | undefined;
  readonly versionId: string;
  readonly #entities = new Map<string, Entity>();
  readonly #featureViews = new Map<string, FeatureView>();
  readonly #featureServices = new Map<string, FeatureService>();

  constructor(proto: RegistryProto, project: string, loadedAt = Date.now()) {
    this.project = project;
    this.loadedAt = loadedAt;
    this.versionId = proto.versionId;
    this.lastUpdated = proto.lastUpdated
      ? new Date(Number(proto.lastUpdated.seconds) * 1000 + Math.floor(proto.lastUpdated.nanos / 1e6))
      : undefined;
    const mine = (p: string | undefined) => p === project;
    for (const e of proto.entities)
      if (mine(e.spec?.project)) this.#entities.set(e.spec!.name, entityFromProto(e));
    for (const v of proto.featureViews) {
      if (mine(v.spec?.project)) this.#featureViews.set(v.spec!.name, featureViewFromProto(v));
    }
    for (const v of proto.streamFeatureViews) {
      if (mine(v.spec?.project))
        this.#featureViews.set(v.spec!.name, featureViewFromProto(v, 'stream_feature_view'));
    }
    for (const v of proto.onDemandFeatureViews) {
      if (mine(v.spec?.project)) this.#featureViews.set(v.spec!.name, onDemandFeatureViewFromProto(v));
    }
    for (const s of proto.featureServices) {
      if (mine(s.spec?.project)) this.#featureServices.set(s.spec!.name, featureServiceFromProto(s));
    }
  }

  listEntities(): Entity[] {
    return [...this.#entities.values()];
  }

  /** Every kind of feature view: batch, stream and on-demand (see `kind`). */
  listFeatureViews(): FeatureView[] {
    return [...this.#featureViews.values()];
  }

  listFeatureServices(): FeatureService[] {
    return [...this.#featureServices.values()];
  }

  getEntity(name: string): Entity {
    return this.#get(this.#entities, 'entity', name);
  }

  getFeatureView(name: string): FeatureView {
    return this.#get(this.#featureViews, 'feature view', name);
  }

  getFeatureService(name: string): FeatureService {
    return this.#get(this.#featureServices, 'feature service', name);
  }

  #get<T>(map: Map<string, T>, kind: 'entity' | 'feature view' | 'feature service', name: string): T {
    const found = map.get(name);
    if (found === undefined)
      throw new FeastObjectNotFoundError({ kind, name, project: this.project, known: map.keys() });
    return found;
  }
}

export interface RegistryOptions {
  /** Seconds a loaded registry is used before it is loaded again; 0 keeps it forever (as in Feast). Default 600. */
  cacheTtlSeconds?: number;
  /** The clock, for tests. */
  now?: () => number;
}

/**
 * A project's registry from a source, cached like Feast's: reloaded when older than `cacheTtlSeconds`.
 * Concurrent callers share one load.
 */
export class Registry {
  readonly source: RegistrySource;
  readonly project: string;
  readonly #ttlMs: number;
  readonly #now: () => number;
  #snapshot: RegistrySnapshot | undefined;
  #loading: Promise<RegistrySnapshot> | undefined;

  constructor(source: RegistrySource, project: string, options: RegistryOptions = {}) {
    this.source = source;
    this.project = project;
    this.#ttlMs = (options.cacheTtlSeconds ?? 600) * 1000;
    this.#now = options.now ?? Date.now;
  }

  /** The cached snapshot, reloading it first when it has expired (or `refresh: true`). */
  async snapshot(options: { refresh?: boolean } = {}): Promise<RegistrySnapshot> {
    const current = this.#snapshot;
    const fresh = current && (this.#ttlMs <= 0 || this.#now() - current.loadedAt < this.#ttlMs);
    if (fresh && !options.refresh) return current;
    if (!this.#loading) {
      this.#loading = this.source
        .load()
        .then((proto) => {
          this.#snapshot = new RegistrySnapshot(proto, this.project, this.#now());
          return this.#snapshot;
        })
        .finally(() => {
          this.#loading = undefined;
        });
    }
    return this.#loading;
  }

  /** The cached snapshot while it is fresh, without waiting; undefined when it must be (re)loaded. */
  current(): RegistrySnapshot | undefined {
    const current = this.#snapshot;
    return current && (this.#ttlMs <= 0 || this.#now() - current.loadedAt < this.#ttlMs)
      ? current
      : undefined;
  }

  /** Loads the registry again now. */
  refresh(): Promise<RegistrySnapshot> {
    return this.snapshot({ refresh: true });
  }

  async close(): Promise<void> {
    await this.source.close?.();
  }
}
