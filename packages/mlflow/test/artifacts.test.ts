// Artifacts through the real MLflow server's proxy: uploads of files, directories, Blobs, bytes and streams;
// listings; downloads of files and trees, byte for byte; progress; bounded concurrency; resumed downloads;
// and paths that must never write outside the download directory.
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AbortError, BadRequestError, NotFoundError } from '@mlops/core';
import { ArtifactPathError, MlflowClient } from '@mlops/mlflow';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { newClient, newRun, requireMlflow, trackingUri, unique } from './support/models-platform';

// Real server calls on a shared, loaded 2-core machine: generous per-test deadlines.
vi.setConfig({ testTimeout: 60_000, hookTimeout: 180_000 });

const client = newClient();
beforeEach(requireMlflow);

/** A fetch option from a function of one Request (the core pipeline hands injected fetches a Request). */
const fetchOf =
  (fn: (request: Request) => Promise<Response>): typeof fetch =>
  (input, init) =>
    fn(new Request(input, init));
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const tmp = (what: string) => mkdtemp(join(tmpdir(), `mm-${what}-`));

let runId = '';
let experimentId = '';
beforeAll(async () => {
  await requireMlflow();
  ({ runId, experimentId } = await newRun(client));
});

describe('upload and list', () => {
  it('files, Blobs, bytes, web and Node streams, text and dicts land where asked, byte for byte', async () => {
    const dir = await tmp('up');
    const fileBytes = randomBytes(3 * 1024 * 1024 + 17);
    await writeFile(join(dir, 'weights ?%ü&=+.bin'), fileBytes);
    await client.logArtifact(runId, join(dir, 'weights ?%ü&=+.bin'), { artifactPath: 'model/data' });
    // '#' is the one character the 3.18 proxy refuses in a path (400 "Invalid path"), encoded or not.
    await expect(client.logText(runId, 'x', 'bad#name.txt')).rejects.toBeInstanceOf(BadRequestError);
    await client.logArtifact({ runId }, new Blob(['blob body']), { fileName: 'blob.txt' });
    await client.logArtifact(runId, new Uint8Array([0, 1, 2, 255]), {
      fileName: 'bytes.bin',
      artifactPath: 'raw',
    });
    const web = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('web '));
        c.enqueue(new TextEncoder().encode('stream'));
        c.close();
      },
    });
    await client.logArtifact(runId, web, { fileName: 'web.txt', artifactPath: 'raw' });
    await client.logArtifact(runId, Readable.from([Buffer.from('node '), Buffer.from('readable')]), {
      fileName: 'node.txt',
      artifactPath: 'raw',
    });
    await client.logText(runId, 'héllo\n', 'notes/readme.md');
    await client.logDict(runId, { b: 1, a: ['x', 'ü'], c: null }, 'config/params.json');
    await client.logDict(runId, { b: 1, a: ['x'] }, 'config/params.yaml');

    const top = await client.listArtifacts(runId);
    expect(top.map((f) => [f.path, f.isDir])).toEqual([
      ['blob.txt', false],
      ['config', true],
      ['model', true],
      ['notes', true],
      ['raw', true],
    ]);
    const all = await client.listArtifacts(runId, '', { recursive: true });
    expect(all.map((f) => [f.path, f.fileSize])).toEqual([
      ['blob.txt', 9],
      ['config/params.json', 61],
      ['config/params.yaml', 12],
      ['model/data/weights ?%ü&=+.bin', fileBytes.length],
      ['notes/readme.md', 7],
      ['raw/bytes.bin', 4],
      ['raw/node.txt', 13],
      ['raw/web.txt', 10],
    ]);

    const out = await client.downloadArtifacts(runId, '', { dstPath: await tmp('down') });
    expect(sha(await readFile(join(out, 'model/data/weights ?%ü&=+.bin')))).toBe(sha(fileBytes));
    expect(await readFile(join(out, 'raw/web.txt'), 'utf8')).toBe('web stream');
    expect(await readFile(join(out, 'raw/node.txt'), 'utf8')).toBe('node readable');
    expect([...(await readFile(join(out, 'raw/bytes.bin')))]).toEqual([0, 1, 2, 255]);
    // What Python's json.dump(indent=2) and yaml.dump write for the same dicts.
    expect(await readFile(join(out, 'config/params.json'), 'utf8')).toBe(
      '{\n  "b": 1,\n  "a": [\n    "x",\n    "\\u00fc"\n  ],\n  "c": null\n}',
    );
    expect(await readFile(join(out, 'config/params.yaml'), 'utf8')).toBe('a:\n- x\nb: 1\n');
    expect(await readFile(join(out, 'notes/readme.md'), 'utf8')).toBe('héllo\n');
  });

  it('a directory tree: logArtifacts then downloadArtifacts of a sub-tree, with progress and bounded concurrency', async () => {
    const src = await tmp('tree');
    const expected = new Map<string, string>();
    for (let i = 0; i < 24; i++) {
      const rel = `d${i % 3}/sub ${i % 2}/f-${i}.bin`;
      const bytes = randomBytes(1000 + i * 97);
      await mkdir(join(src, `d${i % 3}`, `sub ${i % 2}`), { recursive: true });
      await writeFile(join(src, rel), bytes);
      expected.set(`tree/${rel}`, sha(bytes));
    }
    const total = [...Array(24).keys()].reduce((s, i) => s + 1000 + i * 97, 0);
    const uploads: Array<{ bytesDone: number; filesDone: number }> = [];
    await client.logArtifacts(runId, src, {
      artifactPath: 'tree',
      concurrency: 3,
      onProgress: (p) => uploads.push({ bytesDone: p.bytesDone, filesDone: p.filesDone }),
    });
    expect(uploads.at(-1)).toEqual({ bytesDone: total, filesDone: 24 });

    let inFlight = 0;
    let maxInFlight = 0;
    const counting = new MlflowClient({
      trackingUri,
      fetch: fetchOf(async (request) => {
        const isFile = new URL(request.url).pathname.includes('/artifacts/');
        if (isFile) maxInFlight = Math.max(maxInFlight, ++inFlight);
        try {
          const response = await fetch(request);
          return response;
        } finally {
          if (isFile) inFlight--;
        }
      }),
    });
    const seen: number[] = [];
    const dst = await tmp('tree-down');
    const local = await counting.downloadArtifacts(runId, 'tree', {
      dstPath: dst,
      concurrency: 2,
      onProgress: (p) => {
        seen.push(p.bytesDone);
        expect(p.bytesTotal).toBe(total);
        expect(p.filesTotal).toBe(24);
      },
    });
    expect(local).toBe(join(dst, 'tree'));
    expect(seen.at(-1)).toBe(total);
    expect(maxInFlight).toBe(2);
    const got = new Map<string, string>();
    const walk = async (dir: string, rel: string): Promise<void> => {
      for (const e of await readdir(dir, { withFileTypes: true })) {
        if (e.isDirectory()) await walk(join(dir, e.name), `${rel}${e.name}/`);
        else got.set(`${rel}${e.name}`, sha(await readFile(join(dir, e.name))));
      }
    };
    await walk(dst, '');
    expect(got).toEqual(expected);
  });

  it('artifacts of a logged model and of the model version registered from it', async () => {
    const lm = await client.createLoggedModel(experimentId, { name: 'art' });
    await client.logText({ loggedModelId: lm.modelId }, 'flavors: {}\n', 'MLmodel');
    const name = unique('art');
    await client.createRegisteredModel(name);
    await client.createModelVersion(name, `models:/${lm.modelId}`, { modelId: lm.modelId });
    const files = await client.listArtifacts({ modelVersion: { name, version: 1 } });
    expect(files).toEqual([{ path: 'MLmodel', isDir: false, fileSize: 12 }]);
    const path = await client.downloadArtifacts({ modelVersion: { name, version: '1' } }, 'MLmodel', {
      dstPath: await tmp('mv'),
    });
    expect(await readFile(path, 'utf8')).toBe('flavors: {}\n');
    expect(await client.getArtifactUri({ loggedModelId: lm.modelId })).toBe(lm.artifactLocation);
    await client.deleteRegisteredModel(name);
  });

  it('a missing file is a NotFoundError and leaves nothing behind', async () => {
    const dst = await tmp('missing');
    await expect(
      client.downloadArtifacts(runId, 'no/such/file.bin', { dstPath: dst }),
    ).rejects.toBeInstanceOf(NotFoundError);
    expect(existsSync(join(dst, 'no/such/file.bin'))).toBe(false);
  });
});

describe('resumable downloads', () => {
  it('a download aborted half way resumes from its .part with Range (the 3.18 server answers 206)', async () => {
    const big = randomBytes(8 * 1024 * 1024);
    const { runId: run } = await newRun(client);
    await client.logArtifact(run, big, { fileName: 'big.bin' });
    const dst = await tmp('resume');
    const controller = new AbortController();
    const first = client.downloadArtifacts(run, 'big.bin', {
      dstPath: dst,
      signal: controller.signal,
      onProgress: (p) => {
        if (p.bytesDone > 2 * 1024 * 1024) controller.abort();
      },
    });
    await expect(first).rejects.toBeInstanceOf(AbortError);
    const partial = (await stat(join(dst, 'big.bin.part'))).size;
    // What reached the disk before the abort (the bytes counted may run ahead of the file's buffered writes).
    expect(partial).toBeGreaterThan(0);
    expect(partial).toBeLessThan(big.length);

    const ranges: Array<[string | null, number]> = [];
    const watching = new MlflowClient({
      trackingUri,
      fetch: fetchOf(async (request) => {
        const response = await fetch(request);
        ranges.push([request.headers.get('range'), response.status]);
        return response;
      }),
    });
    const starts: number[] = [];
    const path = await watching.downloadArtifacts(run, 'big.bin', {
      dstPath: dst,
      onProgress: (p) => starts.push(p.bytesDone),
    });
    expect(ranges.at(-1)).toEqual([`bytes=${partial}-`, 206]);
    expect(starts[0]).toBe(partial);
    expect(sha(await readFile(path))).toBe(sha(big));
    expect(existsSync(join(dst, 'big.bin.part'))).toBe(false);
    expect(existsSync(join(dst, 'big.bin.part.etag'))).toBe(false);
  });

  it('a body that breaks off mid-way is resumed within the same call', async () => {
    const big = randomBytes(4 * 1024 * 1024);
    const { runId: run } = await newRun(client);
    await client.logArtifact(run, big, { fileName: 'cut.bin' });
    let cut = false;
    const flaky = new MlflowClient({
      trackingUri,
      fetch: fetchOf(async (request) => {
        const response = await fetch(request);
        if (cut || !request.url.endsWith('/cut.bin') || !response.body) return response;
        cut = true;
        // Pass the first MiB on, then fail the body as a reset connection would.
        const reader = response.body.getReader();
        let sent = 0;
        const body = new ReadableStream<Uint8Array>({
          async pull(c) {
            const { value, done } = await reader.read();
            if (done || sent > 1024 * 1024) {
              await reader.cancel();
              c.error(new TypeError('terminated'));
              return;
            }
            sent += value.byteLength;
            c.enqueue(value);
          },
        });
        return new Response(body, { status: response.status, headers: response.headers });
      }),
    });
    const done: number[] = [];
    const path = await flaky.downloadArtifacts(run, 'cut.bin', {
      dstPath: await tmp('cut'),
      onProgress: (p) => done.push(p.bytesDone),
    });
    expect(cut).toBe(true);
    // Progress never counts the resumed bytes twice.
    expect(done.at(-1)).toBe(big.length);
    expect(Math.max(...done)).toBe(big.length);
    expect(sha(await readFile(path))).toBe(sha(big));
  });
});

describe('paths that would escape', () => {
  it('.., absolute paths and backslashes are refused before any request', async () => {
    for (const bad of ['../x', 'a/../../x', '/etc/passwd', 'C:/x', 'a\\..\\x']) {
      await expect(client.logText(runId, 'x', bad)).rejects.toBeInstanceOf(ArtifactPathError);
      await expect(
        client.downloadArtifacts(runId, bad, { dstPath: await tmp('bad') }),
      ).rejects.toBeInstanceOf(ArtifactPathError);
    }
    await expect(client.listArtifacts({ artifactUri: 'file:///etc' })).rejects.toThrow(/--serve-artifacts/);
  });

  it('a symlink inside the download directory is never followed (zip-slip)', async () => {
    const { runId: run } = await newRun(client);
    await client.logText(run, 'payload', 'model/evil.txt');
    const outside = await tmp('outside');
    const dst = await tmp('slip');
    await symlink(outside, join(dst, 'model'));
    const error = await client.downloadArtifacts(run, '', { dstPath: dst }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ArtifactPathError);
    expect((error as ArtifactPathError).message).toContain('is a symlink');
    expect(await readdir(outside)).toEqual([]);
  });

  it('a listing naming ../ (a hostile or broken server) is refused and nothing is written', async () => {
    const { runId: run } = await newRun(client);
    await client.logText(run, 'payload', 'ok.txt');
    const hostile = new MlflowClient({
      trackingUri,
      fetch: fetchOf(async (request) => {
        const response = await fetch(request);
        if (!new URL(request.url).pathname.endsWith('/mlflow-artifacts/artifacts')) return response;
        return Response.json({ files: [{ path: '../../escaped.txt', is_dir: false, file_size: 7 }] });
      }),
    });
    const dst = await tmp('hostile');
    await expect(hostile.downloadArtifacts(run, '', { dstPath: dst })).rejects.toBeInstanceOf(
      ArtifactPathError,
    );
    expect(await readdir(dst)).toEqual([]);
  });
});
