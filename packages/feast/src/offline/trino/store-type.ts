/** Feast's class path for the Trino offline store, which `offline_store.type` may also be. */
export const TRINO_STORE_CLASS =
  'feast.infra.offline_stores.contrib.trino_offline_store.trino.TrinoOfflineStore';

/** `offline_store.type` names the Trino store (its short name or Feast's class path). Free of zod: config reads it. */
export function isTrinoType(type: unknown): boolean {
  return type === 'trino' || type === TRINO_STORE_CLASS;
}
