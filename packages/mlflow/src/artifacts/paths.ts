// Artifact paths and URIs: the one place that decides whether a path may be used, in a URL or on disk.
// A path from the caller or from the server's listing is checked here before it becomes a request or a file:
// no `..`, nothing absolute, no NUL, no backslash tricks; on disk, no symlink on the way (zip-slip).
import { lstat, mkdir, realpath } from 'node:fs/promises';
import { resolve } from 'node:path';
import { ArtifactPathError } from '../model-errors';

/** The artifact proxy's routes on the tracking server. */
export const ARTIFACTS_ROUTE = '/api/2.0/mlflow-artifacts/artifacts';

/**
 * Splits a relative artifact path into its segments, refusing what could leave its root: `..`, an absolute
 * path, a drive letter, a backslash, NUL. Empty segments and `.` are dropped (`a//./b` is `a/b`).
 */
export function artifactSegments(path: string, what = 'artifact path'): string[] {
  if (path.includes('\0'))
    throw new ArtifactPathError(path, `The ${what} ${JSON.stringify(path)} contains NUL.`);
  if (path.startsWith('/') || /^[a-zA-Z]:/.test(path) || path.includes('\\')) {
    throw new ArtifactPathError(
      path,
      `The ${what} ${JSON.stringify(path)} is absolute or uses backslashes; artifact paths are relative, with '/' between segments.`,
    );
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.includes('..')) {
    throw new ArtifactPathError(
      path,
      `The ${what} ${JSON.stringify(path)} contains '..': it would leave the artifact root. Use a path inside it.`,
    );
  }
  return segments;
}

/** Joins relative artifact paths ('' parts ignored), each checked. */
export function joinArtifactPath(...parts: Array<string | undefined>): string {
  return parts.flatMap((p) => (p === undefined ? [] : artifactSegments(p))).join('/');
}

/** `ARTIFACTS_ROUTE/seg/seg…`, each segment percent-encoded (so `?`, `#`, `%` stay part of a name). */
export function artifactUrlPath(path: string): string {
  const segments = artifactSegments(path);
  return segments.length === 0
    ? ARTIFACTS_ROUTE
    : `${ARTIFACTS_ROUTE}/${segments.map(encodeURIComponent).join('/')}`;
}

/** Where an artifact URI lives: the tracking server (or another host) and the path under the proxy. */
export interface ProxyLocation {
  /** The server to ask: undefined for the tracking server itself. */
  baseUrl: string | undefined;
  /** The path under the proxy's root, '' for the root. */
  path: string;
}

/**
 * `mlflow-artifacts:/1/abc/artifacts` → the tracking server, path `1/abc/artifacts`;
 * `mlflow-artifacts://host:5000/1/…` → that host (with the tracking URI's scheme). Other schemes (s3:, file:,
 * gs:, …) are stores this client does not reach: the server must serve artifacts (`--serve-artifacts`).
 */
export function proxyLocation(
  uri: string,
  trackingUri: string,
  allowedHosts: readonly string[] = [],
): ProxyLocation {
  const match = /^mlflow-artifacts:(?:\/\/([^/]*))?(\/.*)?$/.exec(uri);
  if (!match) {
    throw new ArtifactPathError(
      uri,
      `The artifact URI ${JSON.stringify(uri)} is not on MLflow's artifact proxy (mlflow-artifacts:/…). This client reaches artifacts through the tracking server: run it with --serve-artifacts (the default) and a default artifact root of mlflow-artifacts:/.`,
    );
  }
  const host = match[1];
  let path: string;
  try {
    path = decodeURIComponent(match[2] ?? '');
  } catch (cause) {
    throw new ArtifactPathError(uri, `The artifact URI ${JSON.stringify(uri)} has bad percent-encoding.`, {
      cause,
    });
  }
  const joined = artifactSegments(path.replace(/^\/+/, ''), 'artifact URI path').join('/');
  if (!host) return { baseUrl: undefined, path: joined };
  const tracking = new URL(trackingUri);
  // Another host than the tracking server's gets this client's credentials too: only when the caller allowed it.
  let named: URL;
  try {
    named = new URL(`${tracking.protocol}//${host}`);
  } catch (cause) {
    throw new ArtifactPathError(
      uri,
      `The artifact URI ${JSON.stringify(uri)} names a host that is not one.`,
      { cause },
    );
  }
  if (named.host !== tracking.host && !allowedHosts.some((h) => h.toLowerCase() === named.host)) {
    throw new ArtifactPathError(
      uri,
      `The artifact URI ${JSON.stringify(uri)} is on another host (${named.host}) than the tracking server (${tracking.host}); this client would send its credentials there. If that host is yours, pass allowedArtifactHosts: [${JSON.stringify(named.host)}].`,
    );
  }
  return { baseUrl: `${tracking.protocol}//${named.host}`, path: joined };
}

/**
 * The files of one download under `root`, each refused when it could lead out of it: `..`, absolute paths
 * (artifactSegments), and a symlink anywhere between the root and the file (it could point anywhere). The root
 * is taken through its real path, so a root that is itself a symlink is fine. Each directory is looked at once: `check` refuses a path before anything is written, `prepare` makes its directories.
 */
export class LocalTree {
  readonly #root: string;
  #realRoot: string | undefined;
  /** Directories known safe: 'dir' (exists, not a symlink) or 'missing' (will be made by us). */
  readonly #dirs = new Map<string, 'dir' | 'missing'>();

  constructor(root: string) {
    this.#root = root;
  }

  async #real(): Promise<string> {
    this.#realRoot ??= await realpath(this.#root);
    return this.#realRoot;
  }

  async #kind(path: string, relPath: string): Promise<'dir' | 'missing' | 'file'> {
    const info = await lstat(path).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (info === undefined) return 'missing';
    if (info.isSymbolicLink()) {
      throw new ArtifactPathError(
        relPath,
        `Refusing to write artifact ${JSON.stringify(relPath)}: ${path} is a symlink, which could lead outside ${this.#root}. Download into an empty directory.`,
      );
    }
    return info.isDirectory() ? 'dir' : 'file';
  }

  /** The local file of `relPath`; throws ArtifactPathError when it could leave the root. Writes nothing. */
  async check(relPath: string): Promise<string> {
    const segments = artifactSegments(relPath);
    if (segments.length === 0) throw new ArtifactPathError(relPath, 'An artifact file needs a name.');
    let current = await this.#real();
    let missing = false;
    for (const segment of segments.slice(0, -1)) {
      current = resolve(current, segment);
      if (missing) continue;
      let kind = this.#dirs.get(current);
      if (kind === undefined) {
        const found = await this.#kind(current, relPath);
        if (found === 'file') {
          throw new ArtifactPathError(
            relPath,
            `Cannot write artifact ${JSON.stringify(relPath)}: ${current} is a file.`,
          );
        }
        kind = found;
        this.#dirs.set(current, kind);
      }
      if (kind === 'missing') missing = true;
    }
    const target = resolve(current, segments.at(-1) ?? '');
    if (!missing && (await this.#kind(target, relPath)) === 'dir') {
      throw new ArtifactPathError(
        relPath,
        `Cannot write artifact ${JSON.stringify(relPath)}: ${target} is a directory.`,
      );
    }
    return target;
  }

  /** `check`, then the directories on the way made (each once). */
  async prepare(relPath: string): Promise<string> {
    const target = await this.check(relPath);
    let current = await this.#real();
    for (const segment of artifactSegments(relPath).slice(0, -1)) {
      current = resolve(current, segment);
      if (this.#dirs.get(current) === 'dir') continue;
      await mkdir(current).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'EEXIST') throw error;
      });
      // Made by us, or by a concurrent call of ours: looked at again, so a symlink raced in is still refused.
      if ((await this.#kind(current, relPath)) !== 'dir') {
        throw new ArtifactPathError(
          relPath,
          `Cannot write artifact ${JSON.stringify(relPath)}: ${current} is not a directory.`,
        );
      }
      this.#dirs.set(current, 'dir');
    }
    return target;
  }
}
