import { fromJson, type JsonValue } from '@bufbuild/protobuf';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config';
import { FeastObjectNotFoundError } from '../../src/errors';
import { EntitySchema } from '../../src/generated/proto/feast/core/Entity_pb';
import { FeatureServiceSchema } from '../../src/generated/proto/feast/core/FeatureService_pb';
import { FeatureViewSchema } from '../../src/generated/proto/feast/core/FeatureView_pb';
import { OnDemandFeatureViewSchema } from '../../src/generated/proto/feast/core/OnDemandFeatureView_pb';
import {
  entityFromProto,
  featureServiceFromProto,
  featureViewFromProto,
  onDemandFeatureViewFromProto,
} from '../../src/registry/model';
import { Registry, type RegistrySnapshot } from '../../src/registry/registry';
import { RemoteRegistrySource, registrySourceFor } from '../../src/registry/sources';
import { feast, feastRepo, feastSqlYaml, pins } from '../support/platform';

const project = 'mlops_demo';
const byName = <T extends { name: string }>(items: T[]) =>
  [...items].sort((a, b) => a.name.localeCompare(b.name));

/** registry-dump prints an on-demand view's pickled Python as text, not base64; we do not read it anyway. */
function withoutPythonCode(json: JsonValue): JsonValue {
  const copy = structuredClone(json) as { spec?: Record<string, unknown> };
  delete copy.spec?.userDefinedFunction;
  delete copy.spec?.featureTransformation;
  return copy as JsonValue;
}

/** What `feast registry-dump` says, as our typed objects. */
function dumped(configFlags: string[]) {
  const dump = JSON.parse(feast([...configFlags, 'registry-dump'])) as Record<string, JsonValue[]>;
  const opts = { ignoreUnknownFields: true };
  // registry-dump names the project once, at the top, and leaves it out of every object.
  const project = String(dump.project);
  const inProject = <T extends { project: string }>(item: T): T => ({ ...item, project });
  const entities = (dump.entities ?? []).map((j) => entityFromProto(fromJson(EntitySchema, j, opts)));
  const views = (dump.featureViews ?? []).map((j) =>
    featureViewFromProto(fromJson(FeatureViewSchema, j, opts)),
  );
  const onDemand = (dump.onDemandFeatureViews ?? []).map((j) =>
    onDemandFeatureViewFromProto(fromJson(OnDemandFeatureViewSchema, withoutPythonCode(j), opts)),
  );
  const services = (dump.featureServices ?? []).map((j) =>
    featureServiceFromProto(fromJson(FeatureServiceSchema, j, opts)),
  );
  return {
    entities: byName(entities.map(inProject)),
    featureViews: byName([...views, ...onDemand].map(inProject)),
    featureServices: byName(services.map(inProject)),
  };
}

function ours(snapshot: RegistrySnapshot) {
  return {
    entities: byName(snapshot.listEntities()),
    featureViews: byName(snapshot.listFeatureViews()),
    featureServices: byName(snapshot.listFeatureServices()),
  };
}

// feast registry-dump starts Python and Feast: seconds, not milliseconds.
describe('registry', { timeout: 60_000 }, () => {
  let fileSnapshot: RegistrySnapshot;
  beforeAll(async () => {
    const config = await loadRepoConfig(feastRepo);
    const source = await registrySourceFor(config.registry, config.project, config.repoPath);
    fileSnapshot = await new Registry(source, project).snapshot();
  });

  it('reads the file registry exactly as feast registry-dump shows it', () => {
    expect(ours(fileSnapshot)).toEqual(dumped([]));
  });

  it('reads the SQL registry in PostgreSQL exactly as feast registry-dump shows it', async () => {
    const config = await loadRepoConfig(feastRepo, { fsYamlFile: feastSqlYaml });
    const source = await registrySourceFor(config.registry, config.project, config.repoPath);
    expect(source.description).toContain('SQL registry postgresql://REDACTED@127.0.0.1:5432/feast_registry');
    const snapshot = await new Registry(source, project).snapshot();
    expect(ours(snapshot)).toEqual(dumped(['-f', feastSqlYaml]));
  });

  it('reads the registry server (gRPC Proto) the same as the file it serves', async () => {
    const snapshot = await new Registry(
      new RemoteRegistrySource(`127.0.0.1:${pins.FEAST_REGISTRY_GRPC_PORT}`, project),
      project,
    ).snapshot();
    expect(ours(snapshot)).toEqual(ours(fileSnapshot));
  });

  it('types join keys, features, TTLs, sources and feature service projections', () => {
    const driver = fileSnapshot.getEntity('driver');
    expect(driver).toMatchObject({ joinKey: 'driver_id', valueTypeName: 'INT64' });
    const stats = fileSnapshot.getFeatureView('driver_hourly_stats');
    expect(stats.entityColumns).toEqual([
      expect.objectContaining({ name: 'driver_id', valueTypeName: 'INT64' }),
    ]);
    expect(stats.features.map((f) => [f.name, f.valueTypeName])).toEqual([
      ['conv_rate', 'FLOAT'],
      ['acc_rate', 'FLOAT'],
      ['avg_daily_trips', 'INT64'],
    ]);
    // platform/feast/features.py: ttl=timedelta(days=1).
    expect(stats.ttlSeconds).toBe(86_400);
    expect(stats.online).toBe(true);
    expect(stats.batchSource).toMatchObject({
      timestampField: 'event_timestamp',
      createdTimestampColumn: 'created',
    });
    // Every view of the fixture, with its kind and TTL (timedelta(seconds=0) is no TTL; on-demand views have none).
    expect(byName(fileSnapshot.listFeatureViews()).map((v) => [v.name, v.kind, v.ttlSeconds])).toEqual([
      ['customer_profile', 'feature_view', 3650 * 86_400],
      ['driver_all_types', 'feature_view', 0],
      ['driver_customer_stats', 'feature_view', 0],
      ['driver_extended_types', 'feature_view', 0],
      ['driver_hourly_stats', 'feature_view', 86_400],
      ['transformed_conv_rate', 'on_demand_feature_view', 0],
    ]);
    expect(fileSnapshot.getFeatureView('driver_customer_stats').entityColumns.map((c) => c.name)).toEqual([
      'driver_id',
      'customer_id',
    ]);
    // Feast applies its dummy entity (for entity-less views) next to the fixture's two.
    expect(byName(fileSnapshot.listEntities()).map((e) => [e.name, e.joinKey])).toEqual([
      ['__dummy', '__dummy_id'],
      ['customer', 'customer_id'],
      ['driver', 'driver_id'],
    ]);
    // Each service's projections: which view, which of its features.
    const projections = (name: string) =>
      fileSnapshot
        .getFeatureService(name)
        .projections.map((p) => [p.featureViewName, p.features.map((f) => f.name)]);
    expect(byName(fileSnapshot.listFeatureServices()).map((s) => s.name)).toEqual([
      'customer_overview',
      'driver_activity',
    ]);
    expect(projections('driver_activity')).toEqual([
      ['driver_hourly_stats', ['conv_rate', 'acc_rate']],
      ['driver_all_types', fileSnapshot.getFeatureView('driver_all_types').features.map((f) => f.name)],
      ['transformed_conv_rate', ['conv_rate_plus_val1', 'conv_rate_plus_val2']],
    ]);
    expect(fileSnapshot.getFeatureView('driver_all_types').features).toHaveLength(16);
    expect(projections('customer_overview')).toEqual([
      ['customer_profile', ['name', 'age', 'lifetime_value', 'segment', 'is_premium']],
      ['driver_customer_stats', ['trips_together', 'avg_rating']],
    ]);
  });

  it('names unknown objects, with the closest known names', () => {
    try {
      fileSnapshot.getFeatureView('driver_hourly_stat');
      expect.unreachable();
    } catch (error) {
      expect(FeastObjectNotFoundError.isInstance(error)).toBe(true);
      expect((error as Error).message).toBe(
        'Feast feature view "driver_hourly_stat" does not exist in project mlops_demo. Did you mean "driver_hourly_stats"? Run `feast apply` if it was added recently, or list what exists with the registry\'s list methods.',
      );
    }
    expect(() => fileSnapshot.getEntity('nobody')).toThrow(FeastObjectNotFoundError);
  });
});

describe('registry cache', () => {
  it('reloads after the TTL, shares concurrent loads, and keeps forever with TTL 0', async () => {
    let loads = 0;
    let now = 0;
    const source = {
      description: 'test',
      load: async () => {
        loads++;
        await new Promise((resolve) => setTimeout(resolve, 5));
        return await (
          await registrySourceFor(
            {
              registryType: 'file',
              path: '../.state/data/feast/registry.db',
              cacheTtlSeconds: 0,
              enableOnlineFeatureViewVersioning: false,
            },
            project,
            feastRepo,
          )
        ).load();
      },
    };
    const registry = new Registry(source, project, { cacheTtlSeconds: 10, now: () => now });
    await Promise.all([registry.snapshot(), registry.snapshot(), registry.snapshot()]);
    expect(loads).toBe(1);
    now = 9_999;
    await registry.snapshot();
    expect(loads).toBe(1);
    now = 10_000;
    await registry.snapshot();
    expect(loads).toBe(2);
    const forever = new Registry(source, project, { cacheTtlSeconds: 0, now: () => now });
    await forever.snapshot();
    now = 1e12;
    await forever.snapshot();
    expect(loads).toBe(3);
  });
});
