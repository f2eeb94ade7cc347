// Artifacts of runs, logged models and model versions through the tracking server's proxy
// (/api/2.0/mlflow-artifacts/artifacts): list (recursive), upload (files, directories, Blobs, bytes,
// streams, text, dicts), download (a file or a tree). Streamed both ways, trees with bounded concurrency,
// progress in bytes, large downloads resumable. Paths are checked in artifacts/paths.ts.
import { mkdir, mkdtemp, readdir, realpath, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { type CallOptions, DecodeError } from '@mlops/core';
import { stringify as toYaml } from 'yaml';
import {
  ARTIFACTS_ROUTE,
  artifactSegments,
  artifactUrlPath,
  joinArtifactPath,
  LocalTree,
  type ProxyLocation,
  proxyLocation,
} from './artifacts/paths';
import {
  downloadFile,
  fileSource,
  type Transport,
  type UploadSource,
  uploadBody,
  webChunks,
} from './artifacts/transfer';
import { ArtifactPathError } from './model-errors';
import type { VersionRef } from './model-versions';

/**
 * Whose artifacts: a run id (as in Python's `client.log_artifact(run_id, …)`), a run, an MLflow 3 logged
 * model, a registered model version, or an artifact URI (`mlflow-artifacts:/…`).
 */
export type ArtifactTarget =
  | string
  | { runId: string }
  | { loggedModelId: string }
  | { modelVersion: { name: string; version: VersionRef } }
  | { artifactUri: string };

/** One entry of a listing, as Python's `FileInfo` has it; `path` is relative to the target's root. */
export interface ArtifactInfo {
  path: string;
  isDir: boolean;
  /** Bytes; undefined for a directory. */
  fileSize: number | undefined;
}

/** Progress of a transfer: bytes and files so far and in all (total undefined when unknown, e.g. a stream). */
export interface TransferProgress {
  bytesDone: number;
  bytesTotal: number | undefined;
  filesDone: number;
  filesTotal: number;
}

export interface TransferOptions {
  onProgress?: (progress: TransferProgress) => void;
  signal?: AbortSignal;
  /** Files moved at once for a tree. Default 8. */
  concurrency?: number;
}

export interface LogArtifactOptions extends TransferOptions {
  /** The directory under the target's root to put it in (Python's `artifact_path`). */
  artifactPath?: string;
  /** The file name; required for a Blob, bytes or a stream (a local file keeps its own name). */
  fileName?: string;
}

export interface DownloadArtifactsOptions extends TransferOptions {
  /** Where to put it; a new temporary directory when absent (as in Python). */
  dstPath?: string;
  /** Resume a `.part` file left by an interrupted download (default true). */
  resume?: boolean;
}

/** What can be uploaded: a local file's path, a Blob (or File), bytes, a web stream or any async iterable of bytes (a Node Readable). */
export type ArtifactSource =
  | string
  | Blob
  | Uint8Array
  | ReadableStream<Uint8Array>
  | AsyncIterable<Uint8Array>;

/** How targets become artifact URIs: the client's own calls. */
export interface ArtifactResolvers {
  runArtifactUri(runId: string, call?: CallOptions): Promise<string>;
  loggedModelArtifactUri(modelId: string, call?: CallOptions): Promise<string>;
  modelVersionArtifactUri(name: string, version: VersionRef, call?: CallOptions): Promise<string>;
}

/** Files moved at once in a tree (listing, upload, download). */
const DEFAULT_CONCURRENCY = 8;
/** Files from this size on are downloaded resumably (ETag kept next to the .part file). */
const RESUMABLE_BYTES = 8 * 1024 * 1024;

class Progress {
  readonly #listener: ((p: TransferProgress) => void) | undefined;
  readonly state: TransferProgress;
  constructor(
    listener: ((p: TransferProgress) => void) | undefined,
    bytesTotal: number | undefined,
    filesTotal: number,
  ) {
    this.#listener = listener;
    this.state = { bytesDone: 0, bytesTotal, filesDone: 0, filesTotal };
  }
  bytes = (n: number): void => {
    this.state.bytesDone += n;
    this.#listener?.({ ...this.state });
  };
  file(): void {
    this.state.filesDone++;
    this.#listener?.({ ...this.state });
  }
}

/** Runs `work` over `items`, at most `limit` at once; the first failure stops new work and is thrown. */
async function pool<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  const results = await Promise.allSettled(
    Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker),
  );
  const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (rejected) throw rejected.reason;
}

/** Python's `json.dump(obj, f, indent=2)`: two-space indent and non-ASCII escaped as \uXXXX (ensure_ascii). */
export function pythonJson(value: unknown): string {
  return JSON.stringify(value, null, 2).replace(
    /[\u007f-\uffff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** How deep, and how wide in directories, a recursive listing may go before it is refused (see list()). */
const MAX_TREE_DEPTH = 64;
const MAX_TREE_DIRECTORIES = 100_000;

export class Artifacts {
  readonly #t: Transport;
  readonly #resolvers: ArtifactResolvers;
  constructor(transport: Transport, resolvers: ArtifactResolvers) {
    this.#t = transport;
    this.#resolvers = resolvers;
  }

  /** The artifact URI of a target (`mlflow-artifacts:/…`). */
  async uriOf(target: ArtifactTarget, call?: CallOptions): Promise<string> {
    if (typeof target === 'string') return this.#resolvers.runArtifactUri(target, call);
    if ('runId' in target) return this.#resolvers.runArtifactUri(target.runId, call);
    if ('loggedModelId' in target) return this.#resolvers.loggedModelArtifactUri(target.loggedModelId, call);
    if ('modelVersion' in target)
      return this.#resolvers.modelVersionArtifactUri(
        target.modelVersion.name,
        target.modelVersion.version,
        call,
      );
    return target.artifactUri;
  }

  async #root(target: ArtifactTarget, signal?: AbortSignal): Promise<ProxyLocation> {
    return proxyLocation(
      await this.uriOf(target, signal ? { signal } : undefined),
      this.#t.trackingUri,
      this.#t.allowedArtifactHosts,
    );
  }

  async #listAt(root: ProxyLocation, path: string, signal?: AbortSignal): Promise<ArtifactInfo[]> {
    const full = joinArtifactPath(root.path, path);
    const url = `${root.baseUrl ?? ''}${ARTIFACTS_ROUTE}?path=${encodeURIComponent(full)}`;
    const response = await this.#t.http.fetch(url, signal ? { signal } : {});
    const text = await response.text();
    let body: { files?: Array<{ path?: string; is_dir?: boolean; file_size?: number }> };
    try {
      // The proxy's listing, as its generated type says (`{}` when empty).
      body = text === '' ? {} : JSON.parse(text);
    } catch (cause) {
      throw new DecodeError(
        { what: 'artifact listing', source: `MLflow GET ${url}`, cause },
        `MLflow answered the artifact listing of ${JSON.stringify(full)} with a body that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
      );
    }
    const seen = new Set<string>();
    return (body.files ?? []).map((f) => {
      // Entries come back as base names; a name with '/' or '..' from a server is refused like any other path.
      const name = f.path ?? '';
      const segments = artifactSegments(name, 'artifact name from the server');
      if (segments.length !== 1)
        throw new ArtifactPathError(
          name,
          `The server listed an entry named ${JSON.stringify(name)}, which is not a single file name.`,
        );
      // Listed twice, it would be downloaded twice at once into the same file.
      if (seen.has(segments[0]!))
        throw new ArtifactPathError(name, `The server listed the entry ${JSON.stringify(name)} twice.`);
      seen.add(segments[0]!);
      return {
        path: joinArtifactPath(path, name),
        isDir: f.is_dir === true,
        fileSize: f.is_dir ? undefined : f.file_size,
      };
    });
  }

  /** The text of one small artifact file (buffered: for MLmodel, input examples, configs). */
  async readText(target: ArtifactTarget, path: string, call?: CallOptions): Promise<string> {
    const root = await this.#root(target, call?.signal ?? undefined);
    const url = `${root.baseUrl ?? ''}${artifactUrlPath(joinArtifactPath(root.path, path))}`;
    const response = await this.#t.http.fetch(url, call?.signal ? { signal: call.signal } : {});
    return response.text();
  }

  /** The entries under `path` (the root when absent); with `recursive`, every file below it, directories walked. */
  async list(
    target: ArtifactTarget,
    path = '',
    options: { recursive?: boolean; signal?: AbortSignal; concurrency?: number } = {},
  ): Promise<ArtifactInfo[]> {
    const root = await this.#root(target, options.signal);
    const top = await this.#listAt(root, path, options.signal);
    if (!options.recursive) return top;
    const files: ArtifactInfo[] = [];
    let level = top;
    let depth = 0;
    let listed = 0;
    while (level.length > 0) {
      const dirs: ArtifactInfo[] = [];
      for (const entry of level) (entry.isDir ? dirs : files).push(entry);
      // A server that lists a directory inside itself would have this walk forever: bounded.
      depth++;
      listed += dirs.length;
      if (dirs.length > 0 && (depth > MAX_TREE_DEPTH || listed > MAX_TREE_DIRECTORIES))
        throw new ArtifactPathError(
          dirs[0]!.path,
          `The artifact tree under ${JSON.stringify(path)} is deeper than ${MAX_TREE_DEPTH} levels or has more than ${MAX_TREE_DIRECTORIES} directories (${JSON.stringify(dirs[0]!.path)}): a server listing a directory inside itself? Download a smaller path.`,
        );
      const below: ArtifactInfo[][] = [];
      await pool(dirs, options.concurrency ?? DEFAULT_CONCURRENCY, async (dir) => {
        below.push(await this.#listAt(root, dir.path, options.signal));
      });
      level = below.flat();
    }
    return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  }

  /** Uploads one file, Blob, byte array or stream to `artifactPath/fileName` under the target's root. */
  async logArtifact(
    target: ArtifactTarget,
    source: ArtifactSource,
    options: LogArtifactOptions = {},
  ): Promise<void> {
    let upload: UploadSource;
    let name = options.fileName;
    if (typeof source === 'string') {
      const info = await stat(source);
      if (info.isDirectory()) {
        throw new ArtifactPathError(
          source,
          `${source} is a directory: use logArtifacts to upload a directory.`,
        );
      }
      upload = fileSource(source, info.size);
      name ??= basename(source);
    } else if (source instanceof Uint8Array) {
      upload = { open: () => Readable.from([source]), size: source.byteLength, repeatable: true };
    } else if (source instanceof Blob) {
      upload = { open: () => Readable.from(webChunks(source.stream())), size: source.size, repeatable: true };
      if (name === undefined && 'name' in source && typeof source.name === 'string' && source.name)
        name = source.name;
    } else if (source instanceof ReadableStream) {
      upload = { open: () => Readable.from(webChunks(source)), size: undefined, repeatable: false };
    } else {
      upload = { open: () => Readable.from(source), size: undefined, repeatable: false };
    }
    if (name === undefined) {
      throw new ArtifactPathError(
        '',
        'Uploading a Blob, bytes or a stream needs options.fileName: the name of the artifact file.',
      );
    }
    const relative = joinArtifactPath(options.artifactPath, name);
    if (artifactSegments(name).length === 0)
      throw new ArtifactPathError(name, 'An artifact file needs a name.');
    const root = await this.#root(target, options.signal);
    const progress = new Progress(options.onProgress, upload.size, 1);
    await uploadBody(this.#t, root, joinArtifactPath(root.path, relative), upload, {
      signal: options.signal,
      onBytes: progress.bytes,
    });
    progress.file();
  }

  /** Uploads a local directory's files (symlinked files followed, symlinked directories not, as Python's os.walk). */
  async logArtifacts(
    target: ArtifactTarget,
    localDir: string,
    options: Omit<LogArtifactOptions, 'fileName'> = {},
  ): Promise<void> {
    const files: Array<{ local: string; relative: string; size: number }> = [];
    const walk = async (dir: string, rel: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const local = join(dir, entry.name);
        const relative = rel === '' ? entry.name : `${rel}/${entry.name}`;
        if (entry.isDirectory()) await walk(local, relative);
        else if (entry.isFile() || entry.isSymbolicLink()) {
          const info = await stat(local).catch(() => undefined);
          if (info?.isFile()) files.push({ local, relative, size: info.size });
        }
      }
    };
    await walk(localDir, '');
    const root = await this.#root(target, options.signal);
    const progress = new Progress(
      options.onProgress,
      files.reduce((s, f) => s + f.size, 0),
      files.length,
    );
    await pool(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file) => {
      const path = joinArtifactPath(root.path, options.artifactPath, file.relative);
      await uploadBody(this.#t, root, path, fileSource(file.local, file.size), {
        signal: options.signal,
        onBytes: progress.bytes,
      });
      progress.file();
    });
  }

  /** Python's `log_text`: the text as UTF-8 at `artifactFile` (a relative path with its file name). */
  async logText(
    target: ArtifactTarget,
    text: string,
    artifactFile: string,
    options: TransferOptions = {},
  ): Promise<void> {
    const segments = artifactSegments(artifactFile);
    await this.logArtifact(target, new TextEncoder().encode(text), {
      ...options,
      artifactPath: segments.slice(0, -1).join('/'),
      fileName: segments.at(-1) ?? '',
    });
  }

  /**
   * Python's `log_dict`: YAML for `.yaml`/`.yml` (keys sorted, as PyYAML's dump), otherwise JSON indented by two
   * with non-ASCII escaped, byte for byte what Python writes for the same strings, integers, booleans and nulls.
   */
  async logDict(
    target: ArtifactTarget,
    dictionary: Record<string, unknown>,
    artifactFile: string,
    options: TransferOptions = {},
  ): Promise<void> {
    const text = /\.ya?ml$/i.test(artifactFile)
      ? toYaml(dictionary, { sortMapEntries: true, indentSeq: false })
      : pythonJson(dictionary);
    await this.logText(target, text, artifactFile, options);
  }

  /**
   * Downloads `path` (a file or a directory; '' for everything) under `dstPath` (a new temporary directory
   * when absent), keeping its artifact path as Python does: `download(run, 'model', '/tmp/x')` writes
   * `/tmp/x/model/…`. Resolves to the local path of what was asked for.
   */
  async download(target: ArtifactTarget, path = '', options: DownloadArtifactsOptions = {}): Promise<string> {
    const relative = artifactSegments(path).join('/');
    const dst = options.dstPath ?? (await mkdtemp(join(tmpdir(), 'mlflow-artifacts-')));
    await mkdir(dst, { recursive: true });
    const root = await this.#root(target, options.signal);
    const listed = await this.#listAt(root, relative, options.signal);
    const isDir = relative === '' || listed.length > 0;
    let files: ArtifactInfo[];
    if (isDir) {
      files = await this.list(target, relative, {
        recursive: true,
        ...(options.signal ? { signal: options.signal } : {}),
      });
    } else {
      files = [{ path: relative, isDir: false, fileSize: undefined }];
    }
    const sizes = files.map((f) => f.fileSize);
    const total = sizes.every((s) => s !== undefined)
      ? sizes.reduce<number>((a, b) => a + (b ?? 0), 0)
      : undefined;
    const progress = new Progress(options.onProgress, total, files.length);
    // Every destination is checked before anything is written: a bad path fails the call, not half of it.
    const local = new LocalTree(dst);
    const targets = new Map<string, string>();
    for (const file of files) targets.set(file.path, await local.check(file.path));
    await pool(files, options.concurrency ?? DEFAULT_CONCURRENCY, async (file) => {
      const target = await local.prepare(file.path);
      await downloadFile(this.#t, root, joinArtifactPath(root.path, file.path), target, {
        signal: options.signal,
        onBytes: progress.bytes,
        // Small files are fetched again rather than resumed: no .etag bookkeeping for them.
        resume: options.resume !== false && (file.fileSize === undefined || file.fileSize >= RESUMABLE_BYTES),
      });
      progress.file();
    });
    if (relative === '') return dst;
    const out = targets.get(relative) ?? resolve(await realpath(dst), ...artifactSegments(relative));
    if (isDir) await mkdir(out, { recursive: true });
    return out;
  }
}
