import { resolve } from 'node:path';

/** The repository root and the local platform's Feast repo (started by `pnpm platform up`). */
export const root = resolve(import.meta.dirname, '../../../..');
export const feastRepo = resolve(root, 'platform/feast');

/** A loopback URL where nothing listens (port 1 is never ours). */
export const deadUrl = 'http://127.0.0.1:1';
