// Zip-slip: an MLflow server whose artifact listing names entries with `..`, absolute paths, backslashes, NUL,
// drive letters or percent-encoded traversal, in a tree the client downloads. Nothing may be written outside the
// download directory, whatever the names; a name that cannot be a file there is an ArtifactPathError.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { ArtifactPathError, MlflowClient } from '@mlops/mlflow';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { fuzzAsync, RUNS, scratchDir } from './support';

const root = scratchDir('mlops-fuzz-zipslip-');
afterAll(() => rmSync(root, { recursive: true, force: true }));

const traversal = fc.constantFrom(
  '..',
  '../outside/pwn',
  '../../pwn',
  'a/../../outside/pwn',
  '/etc/passwd',
  `${root}/outside/pwn`,
  '\\..\\outside\\pwn',
  'C:\\pwn',
  'C:pwn',
  '..\\pwn',
  '%2e%2e/outside',
  '%2e%2e%2foutside',
  '.',
  './../pwn',
  'a\u0000b',
  '..%00',
  '//host/share',
);
const plainName = fc.stringMatching(/^[a-z0-9_.-]{1,8}$/);
const entry = fc.record({ path: fc.oneof(traversal, plainName), is_dir: fc.boolean() });
type Entry = { path: string; is_dir: boolean };
const tree = fc.record({
  top: fc.array(entry, { minLength: 1, maxLength: 3 }),
  below: fc.array(entry, { maxLength: 2 }),
});

describe('zip-slip in artifact downloads', () => {
  it('a hostile listing never writes outside the download directory', async () => {
    let n = 0;
    // One client for the property; its fetch serves the listing of the case at hand.
    let listing: { top: Entry[]; below: Entry[] } = { top: [], below: [] };
    const client = new MlflowClient({
      trackingUri: 'http://mlflow.fuzz',
      maxRetries: 0,
      fetch: async (input, init) => {
        const url = new URL(
          input instanceof Request && init === undefined ? input.url : new Request(input, init).url,
        );
        if (url.pathname.endsWith('/runs/get'))
          return Response.json({
            run: { info: { run_id: 'r', artifact_uri: 'mlflow-artifacts:/1/r/artifacts' } },
          });
        if (url.pathname === '/api/2.0/mlflow-artifacts/artifacts') {
          const at = url.searchParams.get('path') ?? '';
          // The top listing, one level below it, and nothing deeper (mlflow/test covers endless trees).
          const depth = at.split('/').length - 3;
          const files = depth === 0 ? listing.top : depth === 1 ? listing.below : [];
          return Response.json({
            files: files.map((f) => ({ ...f, file_size: f.is_dir ? undefined : 3 })),
          });
        }
        return new Response('abc', { headers: { 'content-length': '3' } });
      },
    });
    await fuzzAsync(
      'mlflow artifact download names',
      tree,
      async ({ top, below }) => {
        listing = { top, below };
        const caseRoot = join(root, `c${n++}`);
        const dst = join(caseRoot, 'dst');
        const outside = join(caseRoot, 'outside');
        mkdirSync(dst, { recursive: true });
        mkdirSync(outside);
        try {
          await client.downloadArtifacts('r', '', { dstPath: dst });
        } catch (error) {
          if (!ArtifactPathError.isInstance(error)) throw error;
        }
        expect(readdirSync(caseRoot).sort()).toEqual(['dst', 'outside']);
        expect(readdirSync(outside)).toEqual([]);
        rmSync(caseRoot, { recursive: true, force: true });
      },
      Math.max(200, Math.floor(RUNS / 20)),
    );
  });
});
