import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError } from '@mlops/core';
import { envFrom } from '@mlops/core/sdk';
import { describe, expect, it } from 'vitest';
import { loadRepoConfig } from '../../src/config/load-repo-config';
import { expandVars, parseRedisConnectionString } from '../../src/config/repo-config';

const platformRepo = resolve(import.meta.dirname, '../../../../platform/feast');

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error, but none was thrown');
}

function repoWith(yaml: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'feast-repo-'));
  writeFileSync(join(dir, 'feature_store.yaml'), yaml);
  return dir;
}

describe('feature_store.yaml', () => {
  it("reads the platform's repo: project, file registry, Redis online store, PostgreSQL offline store", async () => {
    const config = await loadRepoConfig(platformRepo);
    expect(config).toMatchObject({
      project: 'mlops_demo',
      repoPath: platformRepo,
      registry: { registryType: 'file', path: '../.state/data/feast/registry.db', cacheTtlSeconds: 5 },
      onlineStore: {
        type: 'redis',
        redisType: 'redis',
        nodes: [{ host: '127.0.0.1', port: 6379 }],
        skipDedup: false,
      },
      offlineStore: {
        type: 'postgres',
        host: '127.0.0.1',
        port: 5432,
        database: 'feast',
        dbSchema: 'public',
        sslmode: 'disable',
      },
      entityKeySerializationVersion: 3,
      auth: { type: 'no_auth' },
    });
  });

  it('reads the SQL-registry variant of the same repo', async () => {
    const config = await loadRepoConfig(platformRepo, {
      fsYamlFile: join(platformRepo, 'sql-registry/feature_store.yaml'),
    });
    expect(config.registry).toMatchObject({
      registryType: 'sql',
      path: 'postgresql+psycopg://postgres@127.0.0.1:5432/feast_registry',
    });
  });

  it("applies Feast's defaults: registry data/registry.db, serialization v3, key TTL none", async () => {
    const config = await loadRepoConfig(repoWith('project: p\nonline_store:\n  type: redis\n'));
    expect(config.registry).toEqual({
      registryType: 'file',
      path: 'data/registry.db',
      cacheTtlSeconds: 600,
      enableOnlineFeatureViewVersioning: false,
    });
    expect(config.entityKeySerializationVersion).toBe(3);
    expect(config.onlineStore).toMatchObject({
      nodes: [{ host: 'localhost', port: 6379 }],
      keyTtlSeconds: undefined,
    });
  });

  it('expands environment variables like os.path.expandvars, before parsing', async () => {
    const env = envFrom({ REDIS_HOST: 'redis.internal', PROJ: 'from_env' });
    expect(expandVars('a $REDIS_HOST b ${REDIS_HOST}c $UNSET ${UNSET} $', env)).toBe(
      'a redis.internal b redis.internalc $UNSET ${UNSET} $',
    );
    const config = await loadRepoConfig(
      repoWith(
        'project: ${PROJ}\nonline_store:\n  type: redis\n  connection_string: "$REDIS_HOST:6380,db=2,ssl=true,password=pw"\n',
      ),
      { env },
    );
    expect(config.project).toBe('from_env');
    expect(config.onlineStore).toMatchObject({
      nodes: [{ host: 'redis.internal', port: 6380 }],
      params: { db: 2, ssl: true, password: 'pw' },
    });
  });

  it('parses connection strings as Feast does: nodes, and JSON-decoded key=value parameters', () => {
    expect(
      parseRedisConnectionString('r1:7000,r2:7001,skip_full_coverage_check=true,password=s3cr=t'),
    ).toEqual({
      nodes: [
        { host: 'r1', port: 7000 },
        { host: 'r2', port: 7001 },
      ],
      params: { skip_full_coverage_check: true, password: 's3cr=t' },
    });
    for (const [text, message] of [
      ['db=0', 'names no host:port node'],
      ['host:port', 'bad node "host:port"'],
    ] as const) {
      const error = thrown(() => parseRedisConnectionString(text));
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ option: 'online_store.connection_string' });
      expect((error as Error).message).toContain(message);
    }
  });

  it('names the key and the file when a value is wrong', async () => {
    const dir = repoWith('project: p\nonline_store:\n  type: redis\n  redis_type: redis_clusterr\n');
    for (const [repo, option, message] of [
      [dir, 'online_store.redis_type', /feature_store.yaml: "online_store.redis_type" is not valid/],
      [
        repoWith('project: "my-project"\n'),
        'project',
        /"project" is not valid: a project name is letters, digits and underscores/,
      ],
      [join(tmpdir(), 'no-such-repo'), 'repoPath', /Pass repoPath: the folder that holds feature_store.yaml/],
    ] as const) {
      const error = await loadRepoConfig(repo).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ConfigError);
      expect(error).toMatchObject({ option });
      expect((error as Error).message).toMatch(message);
    }
  });
});
