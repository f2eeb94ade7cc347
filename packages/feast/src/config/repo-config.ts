import { ConfigError } from '@mlops/core';
import { type EnvSource, readEnv } from '@mlops/core/sdk';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import {
  isTrinoType,
  type TrinoOfflineStoreConfig,
  trinoConfigOf,
  trinoSchema,
} from '../offline/trino/config';

export type { TrinoOfflineStoreConfig } from '../offline/trino/config';

/**
 * A Feast repo's `feature_store.yaml`, read as Feast 0.67 reads it: environment variables expanded in the
 * raw text first (`$NAME` and `${NAME}`, unknown ones left as they are, like Python's os.path.expandvars),
 * then YAML, then validated. Keys are camelCase here; the YAML keeps Feast's snake_case.
 */
export interface RepoConfig {
  project: string;
  provider: string;
  /** The folder holding feature_store.yaml; relative registry paths resolve against it. */
  repoPath: string | undefined;
  registry: RegistryConfig;
  onlineStore: OnlineStoreConfig;
  offlineStore: OfflineStoreConfig | undefined;
  /** 3 by default; 2 for older repos. Decides the Redis key layout. */
  entityKeySerializationVersion: number;
  auth: { type: string } & Record<string, unknown>;
}

export interface RegistryConfig {
  /** 'file', 'sql' or 'remote' (the registry server's gRPC address). */
  registryType: string;
  /** A file path (absolute, or relative to the repo), a SQLAlchemy URL, or host:port. */
  path: string;
  cacheTtlSeconds: number;
  enableOnlineFeatureViewVersioning: boolean;
}

export type RedisType = 'redis' | 'redis_cluster' | 'redis_sentinel';

export interface RedisOnlineStoreConfig {
  type: 'redis';
  redisType: RedisType;
  /** Feast's `host:port[,host:port…][,key=value…]`. */
  connectionString: string;
  /** The nodes and the key=value parameters of the connection string (values JSON-decoded as Feast does). */
  nodes: Array<{ host: string; port: number }>;
  params: Record<string, unknown>;
  sentinelMaster: string;
  keyTtlSeconds: number | undefined;
  skipDedup: boolean;
}

export type OnlineStoreConfig = RedisOnlineStoreConfig | ({ type: string } & Record<string, unknown>);

export interface PostgresOfflineStoreConfig {
  type: 'postgres';
  host: string;
  port: number;
  database: string;
  dbSchema: string;
  user: string;
  password: string;
  sslmode: string | undefined;
}

export type OfflineStoreConfig =
  | PostgresOfflineStoreConfig
  | TrinoOfflineStoreConfig
  | ({ type: string } & Record<string, unknown>);

const registrySchema = z.union([
  z.string().min(1),
  z
    .object({
      registry_type: z.string().default('file'),
      path: z.string().default(''),
      cache_ttl_seconds: z.number().int().default(600),
      enable_online_feature_view_versioning: z.boolean().default(false),
    })
    .passthrough(),
]);

const redisSchema = z
  .object({
    type: z.literal('redis'),
    redis_type: z.enum(['redis', 'redis_cluster', 'redis_sentinel']).default('redis'),
    connection_string: z.string().default('localhost:6379'),
    sentinel_master: z.string().default('mymaster'),
    key_ttl_seconds: z.number().int().positive().nullish(),
    skip_dedup: z.boolean().default(false),
  })
  .passthrough();

const postgresSchema = z
  .object({
    type: z.literal('postgres'),
    host: z.string(),
    port: z.number().int().default(5432),
    database: z.string(),
    db_schema: z.string().default('public'),
    user: z.string(),
    password: z.string(),
    sslmode: z.string().nullish().default('require'),
  })
  .passthrough();

const repoSchema = z
  .object({
    project: z.string().regex(/^[A-Za-z0-9_]+$/, 'a project name is letters, digits and underscores'),
    provider: z.string().default('local'),
    registry: registrySchema.default('data/registry.db'),
    online_store: z
      .union([redisSchema, z.object({ type: z.string() }).passthrough()])
      .default({ type: 'sqlite' }),
    offline_store: z.union([postgresSchema, z.object({ type: z.string() }).passthrough()]).optional(),
    entity_key_serialization_version: z.number().int().min(1).max(3).default(3),
    auth: z.object({ type: z.string() }).passthrough().default({ type: 'no_auth' }),
  })
  .passthrough();

/** Python's os.path.expandvars: `$NAME` / `${NAME}` replaced when set, left untouched when not. */
export function expandVars(text: string, env: EnvSource = readEnvRaw): string {
  return text.replace(/\$([A-Za-z0-9_]+|\{[^}]*\})/g, (match, name: string) => {
    const key = name.startsWith('{') ? name.slice(1, -1) : name;
    const value = env(key);
    return value === undefined ? match : value;
  });
}

/** An environment variable as it is, empty values included (expandvars replaces set-but-empty ones). */
function readEnvRaw(name: string): string | undefined {
  const g = globalThis as { process?: { env?: Record<string, string | undefined> } };
  return g.process?.env ? g.process.env[name] : readEnv(name);
}

/** Feast's connection string: `host:port` tokens are nodes, `key=value` tokens parameters. */
export function parseRedisConnectionString(connectionString: string): {
  nodes: Array<{ host: string; port: number }>;
  params: Record<string, unknown>;
} {
  const nodes: Array<{ host: string; port: number }> = [];
  const params: Record<string, unknown> = {};
  for (const token of connectionString.split(',')) {
    const trimmed = token.trim();
    if (trimmed === '') continue;
    const eq = trimmed.indexOf('=');
    if (eq >= 0) {
      const key = trimmed.slice(0, eq);
      const raw = trimmed.slice(eq + 1);
      try {
        params[key] = JSON.parse(raw);
      } catch {
        params[key] = raw;
      }
      continue;
    }
    const colon = trimmed.lastIndexOf(':');
    const host = colon >= 0 ? trimmed.slice(0, colon) : trimmed;
    const port = colon >= 0 ? Number(trimmed.slice(colon + 1)) : 6379;
    if (!host || !Number.isInteger(port) || port <= 0 || port > 65535) {
      throw new ConfigError(
        `Feast online_store.connection_string has a bad node ${JSON.stringify(trimmed)}: expected host:port, as in "127.0.0.1:6379".`,
        { option: 'online_store.connection_string' },
      );
    }
    nodes.push({ host, port });
  }
  if (nodes.length === 0) {
    throw new ConfigError(
      `Feast online_store.connection_string ${JSON.stringify(connectionString)} names no host:port node.`,
      { option: 'online_store.connection_string' },
    );
  }
  return { nodes, params };
}

/**
 * Validates a parsed feature_store.yaml (snake_case, as Feast writes it) into a RepoConfig.
 * `source` names the file in errors.
 */
export function parseRepoConfig(
  raw: unknown,
  options: { repoPath?: string; source?: string } = {},
): RepoConfig {
  const source = options.source ?? 'feature_store.yaml';
  const validate = <S extends z.ZodType>(schema: S, value: unknown, prefix: string[]): z.infer<S> => {
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0]!;
    const key = [...prefix, ...issue.path.map(String)].join('.') || '(top level)';
    throw new ConfigError(`${source}: "${key}" is not valid: ${issue.message}.`, { option: key });
  };
  const c = validate(repoSchema, raw, []);
  const registry: RegistryConfig =
    typeof c.registry === 'string'
      ? {
          registryType: 'file',
          path: c.registry,
          cacheTtlSeconds: 600,
          enableOnlineFeatureViewVersioning: false,
        }
      : {
          registryType: c.registry.registry_type,
          path: c.registry.path,
          cacheTtlSeconds: c.registry.cache_ttl_seconds,
          enableOnlineFeatureViewVersioning: c.registry.enable_online_feature_view_versioning,
        };
  let onlineStore: OnlineStoreConfig;
  const online = c.online_store as Record<string, unknown>;
  if (online.type === 'redis') {
    const redis = validate(redisSchema, online, ['online_store']);
    const { nodes, params } = parseRedisConnectionString(redis.connection_string);
    onlineStore = {
      type: 'redis',
      redisType: redis.redis_type,
      connectionString: redis.connection_string,
      nodes,
      params,
      sentinelMaster: redis.sentinel_master,
      keyTtlSeconds: redis.key_ttl_seconds ?? undefined,
      skipDedup: redis.skip_dedup,
    };
  } else {
    onlineStore = online as OnlineStoreConfig;
  }
  let offlineStore: OfflineStoreConfig | undefined;
  const offline = c.offline_store as Record<string, unknown> | undefined;
  if (offline?.type === 'postgres') {
    const pg = validate(postgresSchema, offline, ['offline_store']);
    offlineStore = {
      type: 'postgres',
      host: pg.host,
      port: pg.port,
      database: pg.database,
      dbSchema: pg.db_schema,
      user: pg.user,
      password: pg.password,
      sslmode: pg.sslmode ?? undefined,
    };
  } else if (isTrinoType(offline?.type)) {
    offlineStore = trinoConfigOf(validate(trinoSchema, offline, ['offline_store']));
  } else {
    offlineStore = offline as OfflineStoreConfig | undefined;
  }
  return {
    project: c.project,
    provider: c.provider,
    repoPath: options.repoPath,
    registry,
    onlineStore,
    offlineStore,
    entityKeySerializationVersion: c.entity_key_serialization_version,
    auth: c.auth as RepoConfig['auth'],
  };
}

/**
 * Reads `<repoPath>/feature_store.yaml` (or `fsYamlFile`), as `feast -c <repoPath> [-f <file>]` does.
 */
export async function loadRepoConfig(
  repoPath: string,
  options: { fsYamlFile?: string; env?: EnvSource } = {},
): Promise<RepoConfig> {
  const { readFile } = await import('node:fs/promises');
  const { join, resolve } = await import('node:path');
  const file = options.fsYamlFile
    ? resolve(options.fsYamlFile)
    : join(resolve(repoPath), 'feature_store.yaml');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ConfigError(
      `Cannot read the Feast repo config ${file} (${(cause as Error).message}). Pass repoPath: the folder that holds feature_store.yaml.`,
      { option: 'repoPath' },
    );
  }
  let raw: unknown;
  try {
    raw = parseYaml(expandVars(text, options.env));
  } catch (cause) {
    throw new ConfigError(`${file} is not valid YAML: ${(cause as Error).message}`, { option: 'repoPath' });
  }
  return parseRepoConfig(raw, { repoPath: resolve(repoPath), source: file });
}
