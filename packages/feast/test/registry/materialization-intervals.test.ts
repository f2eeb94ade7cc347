import { type ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clone, create, fromBinary, type JsonValue, toBinary, toJson } from '@bufbuild/protobuf';
import { TimestampSchema } from '@bufbuild/protobuf/wkt';
import { createClient, createRouterTransport } from '@connectrpc/connect';
import { createGrpcTransport } from '@connectrpc/connect-node';
import { ConfigError } from '@mlops/core';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { timestampFromDate } from '../../src/codec/timestamp';
import { loadRepoConfig } from '../../src/config/load-repo-config';
import { FeastObjectNotFoundError } from '../../src/errors';
import {
  type FeatureView as FeatureViewProto,
  FeatureViewSchema,
  FeatureViewState,
  MaterializationIntervalSchema,
} from '../../src/generated/proto/feast/core/FeatureView_pb';
import {
  type Registry as RegistryProto,
  RegistrySchema,
} from '../../src/generated/proto/feast/core/Registry_pb';
import {
  type StreamFeatureView as StreamFeatureViewProto,
  StreamFeatureViewSchema,
} from '../../src/generated/proto/feast/core/StreamFeatureView_pb';
import {
  type ApplyMaterializationRequest,
  RegistryServer,
} from '../../src/generated/proto/feast/registry/RegistryServer_pb';
import {
  incrementalStart,
  type MaterializationInterval,
  materializationRecorderFor,
  RemoteMaterializationRecorder,
  recordedIntervals,
  SqlMaterializationRecorder,
} from '../../src/registry/materialization-intervals';
import { type FeatureView, featureViewFromProto } from '../../src/registry/model';
import { RegistrySnapshot } from '../../src/registry/registry';
import { feast, feastCli, feastPythonJson, feastRepo, feastSqlYaml, root } from '../support/platform';

/** Checks that `promise` rejects with a FeastObjectNotFoundError for a feature view with these fields. */
async function expectNotFound(
  promise: Promise<unknown>,
  fields: { objectName: string; project: string },
): Promise<void> {
  const error = await promise.then(
    () => new Error('expected a rejection, but it resolved'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(FeastObjectNotFoundError);
  expect(error).toMatchObject({ kind: 'feature view', ...fields });
}

/** A ConfigError naming `option`. */
const configErrorOn = (option: string) => (error: unknown) =>
  ConfigError.isInstance(error) && error.option === option;

const project = 'mlops_demo';
const platformRegistry = join(root, 'platform/.state/data/feast/registry.db');

/** A stream feature view added to the temp repos, so both view tables / lists are exercised. */
const STREAM_VIEWS_PY = `
from datetime import timedelta
from feast import Field, KafkaSource, StreamFeatureView
from feast.data_format import JsonFormat
from feast.types import Float32, Int64
from features import driver, driver_hourly_stats_source

driver_stream = KafkaSource(
    name="driver_stream",
    kafka_bootstrap_servers="127.0.0.1:9092",
    topic="driver_stats",
    timestamp_field="event_timestamp",
    batch_source=driver_hourly_stats_source,
    message_format=JsonFormat(schema_json="driver_id integer, event_timestamp timestamp, conv_rate double"),
)

driver_stream_stats = StreamFeatureView(
    name="driver_stream_stats",
    entities=[driver],
    ttl=timedelta(hours=2),
    schema=[Field(name="driver_id", dtype=Int64), Field(name="conv_rate", dtype=Float32)],
    source=driver_stream,
    online=True,
)
`;

/**
 * Feast Python on a temp repo. Times travel as integer microseconds since the epoch (exact both ways).
 *  - intervals: each view's materialization_intervals and most_recent_end_time, as FeatureStore reads them.
 *  - starts: the start materialize_incremental itself picks for each view, with its clock fixed at `now`; the
 *    copy to the online store and every registry write are replaced by no-ops, so nothing is materialized.
 *  - apply: Feast's registry.apply_materialization(view, project, start, end) for each view.
 *  - roundtrip: views through Feast's Python classes and back (from_proto, to_proto), the rewrite Feast's
 *    apply_materialization puts a view through.
 */
const FEAST_SCRIPT = `
import contextlib, json, sys
from datetime import datetime, timedelta, timezone
import feast.feature_store as feature_store_module
from feast import FeatureStore
from feast.errors import FeatureViewNotFoundException

request = json.loads(sys.argv[1])
EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
def micros(dt):
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return (dt - EPOCH) // timedelta(microseconds=1)
def instant(us):
    return EPOCH + timedelta(microseconds=us)

with contextlib.redirect_stdout(sys.stderr):
    store = FeatureStore(repo_path=request["repo"]) if "repo" in request else None
    def view(name):
        try:
            return store.registry.get_feature_view(name, store.project)
        except FeatureViewNotFoundException:
            return store.registry.get_stream_feature_view(name, store.project)
    out = {}
    mode = request["mode"]
    if mode == "intervals":
        for name in request["views"]:
            fv = view(name)
            end = fv.most_recent_end_time
            out[name] = {
                "kind": type(fv).__name__,
                "intervals": [[micros(s), micros(e)] for s, e in fv.materialization_intervals],
                "mostRecentEnd": None if end is None else micros(end),
            }
    elif mode == "starts":
        fixed_now = instant(request["now"])
        feature_store_module._utc_now = lambda: fixed_now
        provider = store._get_provider()
        def capture(config, feature_view, start_date, end_date, registry, project, tqdm_builder):
            out[feature_view.name] = micros(start_date)
        provider.materialize_single_feature_view = capture
        store.registry.apply_materialization = lambda *args, **kwargs: None
        store.registry.apply_feature_view = lambda *args, **kwargs: None
        store.materialize_incremental(end_date=instant(request["end"]), feature_views=request["views"])
    elif mode == "apply":
        for name in request["views"]:
            store.registry.apply_materialization(
                view(name), store.project, instant(request["start"]), instant(request["end"])
            )
        out["applied"] = request["views"]
    elif mode == "roundtrip":
        import base64
        from feast.feature_view import FeatureView
        from feast.protos.feast.core.FeatureView_pb2 import FeatureView as FeatureViewProto
        from feast.protos.feast.core.StreamFeatureView_pb2 import StreamFeatureView as StreamFeatureViewProto
        from feast.stream_feature_view import StreamFeatureView
        protos = []
        for item in request["views"]:
            raw = base64.b64decode(item["proto"])
            if item["kind"] == "stream_feature_view":
                rebuilt = StreamFeatureView.from_proto(StreamFeatureViewProto.FromString(raw))
            else:
                rebuilt = FeatureView.from_proto(FeatureViewProto.FromString(raw))
            protos.append(base64.b64encode(rebuilt.to_proto().SerializeToString()).decode())
        out["protos"] = protos

print(json.dumps(out))
`;

interface PythonIntervals {
  kind: string;
  intervals: Array<[number, number]>;
  mostRecentEnd: number | null;
}

const us = (date: Date) => date.getTime() * 1000;
const asMicros = (intervals: readonly MaterializationInterval[]) =>
  intervals.map((i): [number, number] => [us(i.start), us(i.end)]);

function pythonIntervals(repo: string, views: string[]): Record<string, PythonIntervals> {
  return feastPythonJson<Record<string, PythonIntervals>>(FEAST_SCRIPT, { mode: 'intervals', repo, views });
}

function pythonStarts(repo: string, views: string[], end: Date, now: Date): Record<string, number> {
  return feastPythonJson<Record<string, number>>(FEAST_SCRIPT, {
    mode: 'starts',
    repo,
    views,
    end: us(end),
    now: us(now),
  });
}

function pythonApply(repo: string, views: string[], interval: MaterializationInterval): void {
  feastPythonJson(FEAST_SCRIPT, {
    mode: 'apply',
    repo,
    views,
    start: us(interval.start),
    end: us(interval.end),
  });
}

type ViewProto = FeatureViewProto | StreamFeatureViewProto;
const isStream = (name: string) => name === 'driver_stream_stats';
const schemaOf = (name: string) =>
  (isStream(name) ? StreamFeatureViewSchema : FeatureViewSchema) as typeof FeatureViewSchema;
const viewJson = (name: string, view: ViewProto) => toJson(schemaOf(name), view as FeatureViewProto);

/** Views as Feast's Python round trip rewrites them: what our protos become when Feast rebuilds them. */
function feastRoundTrip(items: ReadonlyArray<{ name: string; view: ViewProto }>): Map<string, ViewProto> {
  const { protos } = feastPythonJson<{ protos: string[] }>(FEAST_SCRIPT, {
    mode: 'roundtrip',
    views: items.map(({ name, view }) => ({
      kind: isStream(name) ? 'stream_feature_view' : 'feature_view',
      proto: Buffer.from(toBinary(schemaOf(name), view as FeatureViewProto)).toString('base64'),
    })),
  });
  return new Map(
    items.map(({ name }, index) => [name, fromBinary(schemaOf(name), Buffer.from(protos[index]!, 'base64'))]),
  );
}

/**
 * That our change to a view is only the bookkeeping: the spec as it was (project aside), and the meta as it
 * was plus the interval, the stamp and the state.
 */
function expectOnlyBookkeeping(name: string, before: ViewProto, after: ViewProto, recordedAt: Date): void {
  const expected = clone(schemaOf(name), before as FeatureViewProto);
  expected.spec!.project = after.spec!.project;
  expected.meta!.materializationIntervals.push(
    create(MaterializationIntervalSchema, {
      startTime: timestampFromDate(interval.start),
      endTime: timestampFromDate(interval.end),
    }),
  );
  expected.meta!.lastUpdatedTimestamp = create(TimestampSchema, timestampFromDate(recordedAt));
  expected.meta!.state = FeatureViewState.AVAILABLE_ONLINE;
  expect(viewJson(name, after)).toEqual(viewJson(name, expected));
}

/** A temp Feast repo: the platform's definitions plus the stream view, and `yaml` as its feature_store.yaml. */
function tempRepo(prefix: string, yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  copyFileSync(join(feastRepo, 'features.py'), join(dir, 'features.py'));
  writeFileSync(join(dir, 'stream_views.py'), STREAM_VIEWS_PY);
  writeFileSync(join(dir, 'feature_store.yaml'), yaml);
  return dir;
}

/** The platform's feature_store.yaml with the file registry moved to `registryPath`. */
function fileRegistryYaml(registryPath: string): string {
  const yaml = readFileSync(join(feastRepo, 'feature_store.yaml'), 'utf8');
  const changed = yaml.replace(
    /^(\s+path:\s*)\.\.\/\.state\/data\/feast\/registry\.db\s*$/m,
    `$1${registryPath}`,
  );
  if (changed === yaml) throw new Error('platform/feast/feature_store.yaml: registry path not found');
  return changed;
}

const readRegistry = (path: string): RegistryProto => fromBinary(RegistrySchema, readFileSync(path));

function viewModel(registry: RegistryProto, name: string): FeatureView {
  return new RegistrySnapshot(registry, project).getFeatureView(name);
}

/**
 * Feast writes a stream view's features in the order of a Python set (StreamFeatureView.to_proto goes through
 * `list(set(...))`), which changes from one Python process to the next: compared as a set, by name.
 */
function sortStreamFeatures(view: StreamFeatureViewProto): void {
  view.spec?.features.sort((a, b) => a.name.localeCompare(b.name));
}

/** The registry as JSON, without what legitimately differs between two writes: stamps and the version id. */
function withoutWriteStamps(registry: RegistryProto): JsonValue {
  const copy = clone(RegistrySchema, registry);
  copy.versionId = '';
  copy.lastUpdated = undefined;
  for (const view of [...copy.featureViews, ...copy.streamFeatureViews]) {
    if (view.meta) view.meta.lastUpdatedTimestamp = undefined;
  }
  copy.streamFeatureViews.forEach(sortStreamFeatures);
  return toJson(RegistrySchema, copy);
}

function lastUpdatedMs(view: {
  meta?: { lastUpdatedTimestamp?: { seconds: bigint; nanos: number } };
}): number {
  const stamp = view.meta?.lastUpdatedTimestamp;
  if (!stamp) throw new Error('no last_updated_timestamp');
  return Number(stamp.seconds) * 1000 + stamp.nanos / 1e6;
}

const findView = (registry: RegistryProto, name: string) =>
  [...registry.featureViews, ...registry.streamFeatureViews].find((v) => v.spec?.name === name)!;

// An interval with milliseconds in both ends, ending after anything the platform has recorded.
const hour = 3_600_000;
const laterEnd = new Date(Math.ceil(Date.now() / hour) * hour + 7 * 24 * hour + 123);
const interval: MaterializationInterval = {
  start: new Date(laterEnd.getTime() - 5 * hour - 456),
  end: laterEnd,
};
const fixedNow = new Date('2026-03-01T12:34:56.789Z');
const feastEnd = new Date(laterEnd.getTime() + 24 * hour + 987);

// Recorded in this order; customer_profile, not last in the registry's list, shows the move to the end.
const views = ['driver_hourly_stats', 'customer_profile', 'driver_stream_stats'];
const allViews = ['driver_hourly_stats', 'driver_stream_stats', 'customer_profile', 'driver_all_types'];

/**
 * Copies the platform's registry (only reading it). Feast rewrites that file in place, so a copy taken mid-write
 * may be cut short: copy again until it decodes.
 */
async function copyPlatformRegistry(target: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    copyFileSync(platformRegistry, target);
    try {
      const registry = readRegistry(target);
      if (registry.featureViews.length > 0) return;
    } catch (error) {
      if (attempt >= 20) throw error;
    }
    if (attempt >= 20) throw new Error(`${platformRegistry} has no feature views: is the platform up?`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let baseRepo: string;
const cleanup: string[] = [];

// One applied temp repo (the platform's registry plus the stream view) that the file and remote tests copy.
beforeAll(async () => {
  baseRepo = tempRepo('feast-mat-base-', fileRegistryYaml('registry.db'));
  cleanup.push(baseRepo);
  await copyPlatformRegistry(join(baseRepo, 'registry.db'));
  feast(['apply'], baseRepo);
}, 180_000);

afterAll(() => {
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
});

/** A copy of the base repo with its own registry file (absolute path). */
function copyOfBase(prefix: string): { repo: string; registryPath: string } {
  const repo = mkdtempSync(join(tmpdir(), prefix));
  cleanup.push(repo);
  const registryPath = join(repo, 'registry.db');
  copyFileSync(join(baseRepo, 'registry.db'), registryPath);
  writeFileSync(join(repo, 'feature_store.yaml'), fileRegistryYaml(registryPath));
  return { repo, registryPath };
}

describe('incrementalStart', () => {
  const view = (ttlSeconds: number, kind: FeatureView['kind'] = 'feature_view') =>
    ({ ...featureViewFromProto(create(FeatureViewSchema)), kind, name: 'v', ttlSeconds }) as FeatureView;
  const end = new Date('2026-02-01T00:00:00Z');
  const now = new Date('2026-02-02T00:00:00.5Z');

  it('takes the latest end of the intervals, not the last recorded one', () => {
    const intervals = [
      { start: new Date('2026-01-01T00:00:00Z'), end: new Date('2026-01-10T00:00:00.250Z') },
      { start: new Date('2025-12-01T00:00:00Z'), end: new Date('2025-12-02T00:00:00Z') },
    ];
    expect(incrementalStart(view(86_400), intervals, end, now)).toEqual(new Date('2026-01-10T00:00:00.250Z'));
  });

  it('falls back to now − TTL, then to now − 52 weeks; refuses on-demand views', () => {
    expect(incrementalStart(view(7_200), [], end, now)).toEqual(new Date('2026-02-01T22:00:00.5Z'));
    expect(incrementalStart(view(0), [], end, now)).toEqual(new Date(now.getTime() - 52 * 7 * 86_400_000));
    expect(() => incrementalStart(view(0, 'on_demand_feature_view'), [], end, now)).toThrow(ConfigError);
    expect(() => incrementalStart(view(0), [], new Date(Number.NaN), now)).toThrow(RangeError);
  });
});

describe('file registry', { timeout: 120_000 }, () => {
  it('records as Feast apply_materialization does; Feast lists our intervals and continues from our end', async () => {
    const ours = copyOfBase('feast-mat-file-ours-');
    const theirs = copyOfBase('feast-mat-file-feast-');
    const before = readRegistry(ours.registryPath);
    const recordedAt = new Date('2026-05-05T05:05:05.505Z');

    const config = await loadRepoConfig(ours.repo);
    const recorder = await materializationRecorderFor(config.registry, config.project, config.repoPath, {
      now: () => recordedAt,
    });
    expect(recorder.description).toBe(`registry file ${ours.registryPath}`);
    // The platform's registry ends with whichever view was materialized last (other test files materialize
    // too), so the two batch views are recorded in the order that moves at least one of them.
    const order = (registry: RegistryProto) => registry.featureViews.map((view) => view.spec!.name);
    const batchViews =
      order(before).at(-1) === 'customer_profile'
        ? ['customer_profile', 'driver_hourly_stats']
        : ['driver_hourly_stats', 'customer_profile'];
    const recordOrder = [...batchViews, 'driver_stream_stats'];
    for (const name of recordOrder) await recorder.record(project, name, interval);
    pythonApply(theirs.repo, recordOrder, interval);

    const after = readRegistry(ours.registryPath);
    const feastAfter = readRegistry(theirs.registryPath);
    for (const name of views)
      expectOnlyBookkeeping(name, findView(before, name), findView(after, name), recordedAt);
    // Through the Python rewrite Feast applies to the views it updates, ours is exactly what Feast writes, and
    // the rest of the registry (other views, their order, entities, sources, ...) is the same as Feast's.
    const normalized = clone(RegistrySchema, after);
    const rewritten = feastRoundTrip(views.map((name) => ({ name, view: findView(after, name) })));
    for (const list of [normalized.featureViews, normalized.streamFeatureViews] as ViewProto[][]) {
      list.forEach((view, index) => {
        const replacement = rewritten.get(view.spec!.name);
        if (!replacement) return;
        replacement.spec!.project = project;
        list[index] = replacement;
      });
    }
    expect(withoutWriteStamps(normalized)).toEqual(withoutWriteStamps(feastAfter));
    expect(withoutWriteStamps(after)).not.toEqual(withoutWriteStamps(before));
    expect(after.versionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(after.versionId).not.toBe(before.versionId);
    expect(Number(after.lastUpdated!.seconds) * 1000 + after.lastUpdated!.nanos / 1e6).toBe(
      recordedAt.getTime(),
    );
    for (const name of views) {
      const view = findView(after, name);
      expect(lastUpdatedMs(view)).toBe(recordedAt.getTime());
      expect(view.meta!.state).toBe(FeatureViewState.AVAILABLE_ONLINE);
      expect(view.spec!.project).toBe(project);
      expect(recordedIntervals(after, project, name)).toEqual([
        ...recordedIntervals(before, project, name),
        interval,
      ]);
    }
    // Feast moves each updated view to the end of its list, and so do we.
    expect(order(before).at(-1)).not.toBe(batchViews.at(-1));
    expect(order(after)).toEqual([...order(before).filter((name) => !views.includes(name)), ...batchViews]);
    expect(after.streamFeatureViews.at(-1)!.spec!.name).toBe('driver_stream_stats');

    const listed = pythonIntervals(ours.repo, allViews);
    expect(listed.driver_stream_stats!.kind).toBe('StreamFeatureView');
    for (const name of allViews) {
      expect(listed[name]!.intervals).toEqual(asMicros(recordedIntervals(after, project, name)));
    }
    expect(listed.driver_hourly_stats!.mostRecentEnd).toBe(us(interval.end));

    const feastStarts = pythonStarts(ours.repo, allViews, feastEnd, fixedNow);
    for (const name of allViews) {
      const start = incrementalStart(
        viewModel(after, name),
        recordedIntervals(after, project, name),
        feastEnd,
        fixedNow,
      );
      expect([name, us(start)]).toEqual([name, feastStarts[name]]);
    }
    expect(feastStarts.driver_hourly_stats).toBe(us(interval.end));
    expect(feastStarts.driver_stream_stats).toBe(us(interval.end));
  });

  it('refuses unknown views (and on-demand ones, which Feast never records) and leaves the file alone', async () => {
    const { repo, registryPath } = copyOfBase('feast-mat-file-unknown-');
    const config = await loadRepoConfig(repo);
    const recorder = await materializationRecorderFor(config.registry, config.project, config.repoPath);
    const bytes = readFileSync(registryPath);
    await expect(recorder.record(project, 'driver_hourly_stat', interval)).rejects.toThrow(
      /"driver_hourly_stat" does not exist in project mlops_demo\. Did you mean "driver_hourly_stats"\?/,
    );
    await expectNotFound(recorder.record(project, 'transformed_conv_rate', interval), {
      objectName: 'transformed_conv_rate',
      project,
    });
    await expectNotFound(recorder.record('other_project', 'driver_hourly_stats', interval), {
      objectName: 'driver_hourly_stats',
      project: 'other_project',
    });
    await expect(
      recorder.record(project, 'driver_hourly_stats', { start: new Date(Number.NaN), end: laterEnd }),
    ).rejects.toThrow(RangeError);
    expect(readFileSync(registryPath).equals(bytes)).toBe(true);
  });

  it('throws ConfigError for what it cannot write', async () => {
    const base = { cacheTtlSeconds: 5, enableOnlineFeatureViewVersioning: false };
    await expect(
      materializationRecorderFor(
        { ...base, registryType: 'file', path: 's3://bucket/registry.db' },
        project,
        undefined,
      ),
    ).rejects.toSatisfy(configErrorOn('registry.path'));
    await expect(
      materializationRecorderFor(
        { ...base, registryType: 'sql', path: 'sqlite:///registry.db' },
        project,
        undefined,
      ),
    ).rejects.toSatisfy(configErrorOn('registry.path'));
    await expect(
      materializationRecorderFor(
        { ...base, registryType: 'snowflake.registry', path: 'x' },
        project,
        undefined,
      ),
    ).rejects.toSatisfy(configErrorOn('registry.registry_type'));
  });
});

describe('SQL registry (PostgreSQL)', { timeout: 180_000 }, () => {
  const database = `feast_registry_mat_${Math.random().toString(36).slice(2, 10)}`;
  const adminUrl = 'postgresql://postgres@127.0.0.1:5432/postgres';
  let repo: string;
  let url: string;

  const query = async <T extends pg.QueryResultRow>(text: string, params: unknown[] = []) => {
    const client = new pg.Client({ connectionString: `postgresql://postgres@127.0.0.1:5432/${database}` });
    await client.connect();
    try {
      return (await client.query<T>(text, params)).rows;
    } finally {
      await client.end();
    }
  };
  const admin = async (text: string) => {
    const client = new pg.Client({ connectionString: adminUrl });
    await client.connect();
    try {
      await client.query(text);
    } finally {
      await client.end();
    }
  };

  beforeAll(async () => {
    await admin(`CREATE DATABASE ${database}`);
    url = `postgresql+psycopg://postgres@127.0.0.1:5432/${database}`;
    const yaml = readFileSync(feastSqlYaml, 'utf8');
    const changed = yaml.replace(
      /^(\s+path:\s*)postgresql\+psycopg:\/\/postgres@127\.0\.0\.1:5432\/feast_registry\s*$/m,
      `$1${url}`,
    );
    if (changed === yaml) throw new Error('sql-registry/feature_store.yaml: registry path not found');
    repo = tempRepo('feast-mat-sql-', changed);
    cleanup.push(repo);
    feast(['apply'], repo);
  }, 180_000);

  afterAll(async () => {
    await admin(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  });

  const rowOf = async (table: string, name: string) =>
    (
      await query<{ proto: Buffer; updated: string }>(
        `SELECT feature_view_proto AS proto, last_updated_timestamp AS updated FROM ${table} WHERE feature_view_name = $1 AND project_id = $2`,
        [name, project],
      )
    )[0]!;
  const tableOf = (name: string) =>
    name === 'driver_stream_stats' ? 'stream_feature_views' : 'feature_views';
  const decode = (name: string, proto: Buffer) =>
    name === 'driver_stream_stats'
      ? fromBinary(StreamFeatureViewSchema, proto)
      : (fromBinary(FeatureViewSchema, proto) as FeatureViewProto);
  const lastUpdatedMetadata = async () =>
    (
      await query<{ value: string; updated: string }>(
        "SELECT metadata_value AS value, last_updated_timestamp AS updated FROM feast_metadata WHERE project_id = $1 AND metadata_key = 'last_updated_timestamp'",
        [project],
      )
    )[0];

  it('starts never-materialized views where Feast does: now − TTL, or now − 52 weeks without TTL', () => {
    const feastStarts = pythonStarts(repo, allViews, feastEnd, fixedNow);
    const ttls: Record<string, number> = {
      driver_hourly_stats: 86_400,
      driver_stream_stats: 7_200,
      customer_profile: 3650 * 86_400,
      driver_all_types: 0,
    };
    for (const name of allViews) {
      const view = { ...featureViewFromProto(create(FeatureViewSchema)), name, ttlSeconds: ttls[name]! };
      const expected =
        ttls[name]! > 0 ? fixedNow.getTime() - ttls[name]! * 1000 : fixedNow.getTime() - 52 * 7 * 86_400_000;
      expect([name, us(incrementalStart(view, [], feastEnd, fixedNow))]).toEqual([name, expected * 1000]);
      expect([name, feastStarts[name]]).toEqual([name, expected * 1000]);
    }
  });

  it('records as Feast apply_materialization does; Feast lists our intervals and continues from our end', async () => {
    const original = Object.fromEntries(
      await Promise.all(views.map(async (n) => [n, await rowOf(tableOf(n), n)])),
    );
    const recordedAt = new Date('2026-05-05T05:05:05.505Z');
    const recordedAtSeconds = String(Math.floor(recordedAt.getTime() / 1000));

    const config = await loadRepoConfig(repo);
    const recorder = await materializationRecorderFor(config.registry, config.project, config.repoPath, {
      now: () => recordedAt,
    });
    expect(recorder).toBeInstanceOf(SqlMaterializationRecorder);
    expect(recorder.description).toBe(`SQL registry postgresql://REDACTED@127.0.0.1:5432/${database}`);
    for (const name of views) await recorder.record(project, name, interval);

    const ours: Record<string, ReturnType<typeof decode>> = {};
    for (const name of views) {
      const row = await rowOf(tableOf(name), name);
      expect(row.updated).toBe(recordedAtSeconds);
      ours[name] = decode(name, row.proto);
      expect(lastUpdatedMs(ours[name]!)).toBe(recordedAt.getTime());
      expect(ours[name]!.meta!.state).toBe(FeatureViewState.AVAILABLE_ONLINE);
      // As Feast's rewrite leaves it in this registry.
      expect(ours[name]!.spec!.project).toBe('');
      expectOnlyBookkeeping(name, decode(name, original[name]!.proto), ours[name]!, recordedAt);
    }
    expect(await lastUpdatedMetadata()).toEqual({ value: recordedAtSeconds, updated: recordedAtSeconds });

    const listed = pythonIntervals(repo, views);
    expect(listed.driver_stream_stats!.kind).toBe('StreamFeatureView');
    for (const name of views) expect(listed[name]!.intervals).toEqual(asMicros([interval]));
    const feastStarts = pythonStarts(repo, views, feastEnd, fixedNow);
    for (const name of views) {
      const model = featureViewFromProto(
        ours[name]!,
        name === 'driver_stream_stats' ? 'stream_feature_view' : 'feature_view',
      );
      const start = incrementalStart(model, [interval], feastEnd, fixedNow);
      expect(us(start)).toBe(us(interval.end));
      expect(feastStarts[name]).toBe(us(interval.end));
    }

    // Same starting rows, Feast's own apply_materialization: the protos must match but for the stamp.
    for (const name of views) {
      await query(
        `UPDATE ${tableOf(name)} SET feature_view_proto = $1, last_updated_timestamp = $2 WHERE feature_view_name = $3 AND project_id = $4`,
        [original[name]!.proto, original[name]!.updated, name, project],
      );
    }
    const rewritten = feastRoundTrip(views.map((name) => ({ name, view: ours[name]! })));
    const beforeFeast = Math.floor(Date.now() / 1000);
    pythonApply(repo, views, interval);
    const afterFeast = Math.ceil(Date.now() / 1000);
    for (const name of views) {
      const row = await rowOf(tableOf(name), name);
      expect(Number(row.updated)).toBeGreaterThanOrEqual(beforeFeast);
      expect(Number(row.updated)).toBeLessThanOrEqual(afterFeast);
      const feast = decode(name, row.proto);
      const strip = (view: ViewProto) => {
        const copy = clone(schemaOf(name), view as FeatureViewProto);
        copy.meta!.lastUpdatedTimestamp = undefined;
        if (isStream(name)) sortStreamFeatures(copy as ViewProto as StreamFeatureViewProto);
        return viewJson(name, copy);
      };
      expect(strip(rewritten.get(name)!)).toEqual(strip(feast));
      expect(strip(feast)).not.toEqual(strip(decode(name, original[name]!.proto)));
    }
    const metadata = await lastUpdatedMetadata();
    expect(Number(metadata!.updated)).toBeGreaterThanOrEqual(beforeFeast);
    expect(metadata!.value).toBe(metadata!.updated);
  });

  it('refuses unknown views without writing', async () => {
    const recorder = new SqlMaterializationRecorder(url);
    const before = await lastUpdatedMetadata();
    await expect(recorder.record(project, 'driver_hourly_stat', interval)).rejects.toThrow(
      /Did you mean "driver_hourly_stats"\?/,
    );
    await expectNotFound(recorder.record(project, 'transformed_conv_rate', interval), {
      objectName: 'transformed_conv_rate',
      project,
    });
    expect(await lastUpdatedMetadata()).toEqual(before);
  });
});

/** A free TCP port on loopback (released before use; good enough for a test). */
async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

// Not the platform's registry server: it serves the platform's own registry, which the tests must not change.
// Instead, `feast serve_registry` (the same pinned Feast) over a temp copy, on a port of its own.
describe('registry server (feast serve_registry on a temp copy)', { timeout: 120_000 }, () => {
  let server: ChildProcess | undefined;
  let copy: { repo: string; registryPath: string };
  let target: string;
  let serverLog = '';

  beforeAll(async () => {
    copy = copyOfBase('feast-mat-remote-');
    const port = await freePort();
    target = `127.0.0.1:${port}`;
    server = spawn(feastCli, ['serve_registry', '-p', String(port)], { cwd: copy.repo, stdio: 'pipe' });
    server.stdout?.on('data', (chunk) => {
      serverLog += chunk;
    });
    server.stderr?.on('data', (chunk) => {
      serverLog += chunk;
    });
    const client = createClient(RegistryServer, createGrpcTransport({ baseUrl: `http://${target}` }));
    const deadline = Date.now() + 90_000;
    for (;;) {
      try {
        await client.listProjects({ allowCache: false }, { timeoutMs: 2_000 });
        break;
      } catch (error) {
        if (server.exitCode !== null || Date.now() > deadline) {
          throw new Error(`feast serve_registry did not start: ${String(error)}\n${serverLog}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
  }, 120_000);

  afterAll(async () => {
    const child = server;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  });

  it('records through ApplyMaterialization; Feast lists our interval and continues from our end', async () => {
    const before = readRegistry(copy.registryPath);
    const recorder = await materializationRecorderFor(
      { registryType: 'remote', path: target, cacheTtlSeconds: 5, enableOnlineFeatureViewVersioning: false },
      project,
      undefined,
    );
    expect(recorder).toBeInstanceOf(RemoteMaterializationRecorder);
    await recorder.record(project, 'driver_hourly_stats', interval);

    const after = readRegistry(copy.registryPath);
    const expected = [...recordedIntervals(before, project, 'driver_hourly_stats'), interval];
    expect(recordedIntervals(after, project, 'driver_hourly_stats')).toEqual(expected);
    const listed = pythonIntervals(copy.repo, ['driver_hourly_stats']);
    expect(listed.driver_hourly_stats!.intervals).toEqual(asMicros(expected));
    const feastStarts = pythonStarts(copy.repo, ['driver_hourly_stats'], feastEnd, fixedNow);
    expect(feastStarts.driver_hourly_stats).toBe(us(interval.end));
    expect(us(incrementalStart(viewModel(after, 'driver_hourly_stats'), expected, feastEnd, fixedNow))).toBe(
      us(interval.end),
    );
  });

  it('refuses stream feature views (the request carries a batch view only) and unknown views', async () => {
    const recorder = new RemoteMaterializationRecorder(target);
    const bytes = readFileSync(copy.registryPath);
    await expect(recorder.record(project, 'driver_stream_stats', interval)).rejects.toThrow(
      /driver_stream_stats is a stream feature view/,
    );
    await expect(recorder.record(project, 'driver_hourly_stat', interval)).rejects.toThrow(
      /Did you mean "driver_hourly_stats"\?/,
    );
    expect(readFileSync(copy.registryPath).equals(bytes)).toBe(true);
  });

  it('sends the view as the server has it, the project, both instants exactly and commit', async () => {
    const requests: ApplyMaterializationRequest[] = [];
    const real = createClient(RegistryServer, createGrpcTransport({ baseUrl: `http://${target}` }));
    const served = await real.getFeatureView({ name: 'driver_hourly_stats', project, allowCache: false });
    const transport = createRouterTransport(({ service }) => {
      service(RegistryServer, {
        getFeatureView: (request) => {
          expect(request).toMatchObject({ name: 'driver_hourly_stats', project, allowCache: false });
          return served;
        },
        applyMaterialization: (request) => {
          requests.push(request);
          return {};
        },
      });
    });
    await new RemoteMaterializationRecorder(target, { transport }).record(
      project,
      'driver_hourly_stats',
      interval,
    );
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request!.project).toBe(project);
    expect(request!.commit).toBe(true);
    expect(toJson(FeatureViewSchema, request!.featureView!)).toEqual(toJson(FeatureViewSchema, served));
    const ms = (t: { seconds: bigint; nanos: number }) => Number(t.seconds) * 1000 + t.nanos / 1e6;
    expect(ms(request!.startDate!)).toBe(interval.start.getTime());
    expect(ms(request!.endDate!)).toBe(interval.end.getTime());
  });
});
