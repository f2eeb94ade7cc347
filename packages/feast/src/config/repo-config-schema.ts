import { ConfigError } from '@mlops/core';
import { z } from 'zod';
import { isTrinoType, trinoConfigOf, trinoSchema } from '../offline/trino/config';
import {
  buildRepoConfig,
  type RepoConfig,
  type ValidatedPostgres,
  type ValidatedRedis,
  type ValidatedRepo,
} from './repo-config';

// The zod schemas of feature_store.yaml: the reference validator, and the one that words the errors. Loaded
// only for a config the quick validator (repo-config.ts) does not recognise, or through parseRepoConfig.

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
  const c = validate(repoSchema, raw, []) as ValidatedRepo;
  const online = c.online_store;
  const redis =
    online.type === 'redis' ? (validate(redisSchema, online, ['online_store']) as ValidatedRedis) : undefined;
  const offline = c.offline_store;
  const pg =
    offline?.type === 'postgres'
      ? (validate(postgresSchema, offline, ['offline_store']) as ValidatedPostgres)
      : undefined;
  const trino = isTrinoType(offline?.type)
    ? trinoConfigOf(validate(trinoSchema, offline, ['offline_store']))
    : undefined;
  return buildRepoConfig(c, redis, pg, options.repoPath, trino);
}
