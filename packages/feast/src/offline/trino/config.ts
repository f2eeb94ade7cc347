/**
 * `offline_store: type: trino` of feature_store.yaml, read as Feast 0.67's TrinoOfflineStoreConfig reads it:
 * the same keys (dashed where Feast's are aliases: `http-scheme`, `ssl-verify`,
 * `x-trino-extra-credential-header`), the same defaults, and unknown keys refused (Feast forbids extras).
 */
import { z } from 'zod';

import { isTrinoType, TRINO_STORE_CLASS } from './store-type';

export { isTrinoType, TRINO_STORE_CLASS };

export interface TrinoAuthConfig {
  /** Feast's auth types: only `basic` and `jwt` are sent by @mlops/feast (the others need a Python client). */
  type: 'kerberos' | 'basic' | 'jwt' | 'oauth2' | 'certificate';
  config: Record<string, unknown> | undefined;
}

export interface TrinoOfflineStoreConfig {
  type: 'trino';
  host: string;
  port: number;
  /** The catalog entity rows are uploaded to (memory, hive, iceberg), and the session's catalog. */
  catalog: string;
  user: string;
  /** X-Trino-Source (Feast's default 'trino-python-client'). */
  source: string;
  httpScheme: 'http' | 'https';
  /** Check the server's TLS certificate (Feast's `ssl-verify`, default true). */
  verify: boolean;
  /** X-Trino-Extra-Credential, e.g. 'user1=pwd1, user2=pwd2'. */
  extraCredential: string | undefined;
  /** The connector of `catalog` and its options: { type: 'memory' } or { type: 'hive', file_format: 'parquet' }. */
  connector: Record<string, string>;
  /** The schema of `catalog` the entity rows are uploaded to (Feast's default 'feast'). */
  dataset: string;
  auth: TrinoAuthConfig | undefined;
}

export const trinoSchema = z
  .object({
    type: z.union([z.literal('trino'), z.literal(TRINO_STORE_CLASS)]),
    host: z.string(),
    port: z.number().int(),
    catalog: z.string(),
    user: z.string(),
    source: z.string().nullish().default('trino-python-client'),
    'http-scheme': z.enum(['http', 'https']).default('http'),
    'ssl-verify': z.boolean().default(true),
    'x-trino-extra-credential-header': z.string().nullish(),
    connector: z.record(z.string(), z.string()),
    dataset: z.string().default('feast'),
    auth: z
      .object({
        type: z.enum(['kerberos', 'basic', 'jwt', 'oauth2', 'certificate']),
        config: z.record(z.string(), z.unknown()).nullish(),
      })
      .strict()
      .refine((a) => a.type === 'oauth2' || (a.config !== null && a.config !== undefined), {
        message: 'config cannot be null for this auth type',
        path: ['config'],
      })
      .nullish(),
  })
  .strict();

/** The validated YAML object as our config (camelCase). */
export function trinoConfigOf(c: z.infer<typeof trinoSchema>): TrinoOfflineStoreConfig {
  return {
    type: 'trino',
    host: c.host,
    port: c.port,
    catalog: c.catalog,
    user: c.user,
    source: c.source ?? 'trino-python-client',
    httpScheme: c['http-scheme'],
    verify: c['ssl-verify'],
    extraCredential: c['x-trino-extra-credential-header'] ?? undefined,
    connector: c.connector,
    dataset: c.dataset,
    auth: c.auth ? { type: c.auth.type, config: c.auth.config ?? undefined } : undefined,
  };
}
