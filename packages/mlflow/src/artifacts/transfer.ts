// Streaming transfers through MLflow's artifact proxy: one file down (resumable with Range: the 3.18 server
// answers 206 with Content-Range and an ETag), one body up (a streamed PUT). Neither holds a whole file in
// memory: chunks go from the socket to the file handle and back. Downloads use the shared core pipeline
// (`stream: true`: auth, retries and deadlines up to the headers). Uploads cannot: the core pipeline buffers
// request bodies to replay them on retry, so they are sent here, with the client's credentials and headers,
// and retried only when their source can be read again (a file, a Blob, bytes; never a one-shot stream).
import type { FileHandle } from 'node:fs/promises';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { AbortError, ApiError, type AuthOption, ConnectionError, DecodeError, MlopsError } from '@mlops/core';
import type { MlflowHttp } from '../client';
import { artifactUrlPath, type ProxyLocation } from './paths';

/** What a transfer needs from the client. */
export interface Transport {
  http: MlflowHttp;
  trackingUri: string;
  auth: AuthOption | undefined;
  maxRetries: number;
  fetch: typeof fetch | undefined;
  headers: Record<string, string>;
}

const CHUNK = 1 << 20;

function urlOf(t: Transport, location: ProxyLocation, path: string): string {
  return `${location.baseUrl ?? t.trackingUri.replace(/\/+$/, '')}${artifactUrlPath(path)}`;
}

function abortErrorOf(signal: AbortSignal | undefined, what: string, cause?: unknown): AbortError {
  return new AbortError(`${what} was aborted by the caller.`, {
    reason: signal?.reason,
    cause: cause ?? signal?.reason,
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Downloads one artifact file to `dest`, streamed, via `dest + '.part'`. A `.part` left by an interrupted
 * call is resumed with `Range` (checked with `If-Range` against the ETag it was started with); a connection
 * lost mid-body is resumed the same way, up to the client's retry count. The file appears at `dest` only
 * once complete and as long as the server said. Returns its size.
 */
export async function downloadFile(
  t: Transport,
  location: ProxyLocation,
  path: string,
  dest: string,
  options: { signal?: AbortSignal | undefined; onBytes?: (n: number) => void; resume?: boolean } = {},
): Promise<number> {
  const url = urlOf(t, location, path);
  const part = `${dest}.part`;
  const tagFile = `${dest}.part.etag`;
  let etag: string | undefined;
  if (options.resume !== false) {
    etag = await readFile(tagFile, 'utf8').catch(() => undefined);
  } else {
    await rm(part, { force: true });
  }
  let failures = 0;
  for (;;) {
    const have =
      etag === undefined
        ? 0
        : await stat(part).then(
            (s) => s.size,
            () => 0,
          );
    const headers: Record<string, string> = {};
    if (have > 0 && etag !== undefined) {
      headers.range = `bytes=${have}-`;
      headers['if-range'] = etag;
    }
    const response = await t.http.fetch(url, { stream: true, signal: options.signal ?? null, headers });
    let offset = 0;
    let total: number | undefined;
    if (response.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== have) {
        await response.body?.cancel();
        throw new DecodeError(
          { what: 'Content-Range header', source: `MLflow GET ${url}` },
          `MLflow answered a resumed download of ${path} with Content-Range ${JSON.stringify(response.headers.get('content-range'))}, not the range asked for (from byte ${have}). Delete ${part} and retry.`,
        );
      }
      offset = have;
      total = Number(range[2]);
    } else {
      const length = response.headers.get('content-length');
      total = length === null ? undefined : Number(length);
    }
    etag = response.headers.get('etag') ?? undefined;
    if (etag !== undefined) await writeFile(tagFile, etag);
    else await rm(tagFile, { force: true });
    if (offset > 0) options.onBytes?.(offset);
    const handle = await open(part, offset > 0 ? 'a' : 'w');
    let written = offset;
    try {
      if (response.body) {
        for await (const chunk of response.body) {
          // Chunks already buffered would still arrive after an abort: stop at the next one.
          if (options.signal?.aborted) throw options.signal.reason;
          await writeAll(handle, chunk);
          written += chunk.byteLength;
          options.onBytes?.(chunk.byteLength);
        }
      }
    } catch (error) {
      await handle.close();
      if (options.signal?.aborted) throw abortErrorOf(options.signal, `Downloading ${path}`, error);
      // The body broke off: resume from what we have, as long as the server gave a validator.
      if (etag === undefined || ++failures > t.maxRetries) {
        throw new ConnectionError({
          service: 'mlflow',
          method: 'GET',
          url,
          attempts: failures,
          cause: error,
        });
      }
      await sleep(200 * failures);
      continue;
    }
    await handle.close();
    if (total !== undefined && written !== total) {
      throw new MlopsError(
        `The download of ${path} ended at ${written} of ${total} bytes; the partial file is kept at ${part} and a new call resumes it.`,
      );
    }
    await rename(part, dest);
    await rm(tagFile, { force: true });
    return written;
  }
}

async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  let done = 0;
  while (done < chunk.byteLength) {
    const { bytesWritten } = await handle.write(chunk, done, chunk.byteLength - done);
    done += bytesWritten;
  }
}

/** A body to upload: made again for each attempt when `repeatable` (a file, a Blob, bytes). */
export interface UploadSource {
  open: () => ReadableStream<Uint8Array>;
  size: number | undefined;
  repeatable: boolean;
}

/** A local file as a stream of 1 MiB chunks, read only as fast as the socket takes them. */
export function fileSource(path: string, size: number): UploadSource {
  return {
    size,
    repeatable: true,
    open: () => {
      let handle: FileHandle | undefined;
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          handle ??= await open(path, 'r');
          const buffer = new Uint8Array(CHUNK);
          const { bytesRead } = await handle.read(buffer, 0, CHUNK, null);
          if (bytesRead === 0) {
            await handle.close();
            controller.close();
            return;
          }
          controller.enqueue(buffer.subarray(0, bytesRead));
        },
        async cancel() {
          await handle?.close();
        },
      });
    },
  };
}

async function authorization(auth: AuthOption | undefined): Promise<string | undefined> {
  if (auth === undefined) return undefined;
  if (auth.type === 'basic') {
    const bytes = new TextEncoder().encode(`${auth.username}:${auth.password}`);
    let binary = '';
    for (const byte of bytes) binary += String.fromCharCode(byte);
    return `Basic ${btoa(binary)}`;
  }
  const token = typeof auth.token === 'function' ? await auth.token({ forceRefresh: false }) : auth.token;
  return `Bearer ${token}`;
}

function counted(body: ReadableStream<Uint8Array>, onBytes: ((n: number) => void) | undefined) {
  if (!onBytes) return body;
  return body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        onBytes(chunk.byteLength);
        controller.enqueue(chunk);
      },
    }),
  );
}

/** PUTs one body to the proxy, streamed. Retries connection failures and 5xx when the source is repeatable. */
export async function uploadBody(
  t: Transport,
  location: ProxyLocation,
  path: string,
  source: UploadSource,
  options: { signal?: AbortSignal | undefined; onBytes?: (n: number) => void } = {},
): Promise<void> {
  const url = urlOf(t, location, path);
  const headers: Record<string, string> = { ...t.headers, 'content-type': 'application/octet-stream' };
  const auth = await authorization(t.auth);
  if (auth !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
    headers.authorization = auth;
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortErrorOf(options.signal, `Uploading ${path}`);
    let sent = 0;
    const onBytes = (n: number) => {
      sent += n;
      options.onBytes?.(n);
    };
    const body = counted(source.open(), onBytes);
    const init: RequestInit & { duplex: 'half' } = { method: 'PUT', headers, body, duplex: 'half' };
    if (options.signal) init.signal = options.signal;
    let failure: MlopsError;
    try {
      // An injected fetch gets one Request, as the core pipeline gives it.
      const response = await (t.fetch ? t.fetch(new Request(url, init)) : globalThis.fetch(url, init));
      if (response.ok) {
        await response.body?.cancel();
        return;
      }
      const text = await response.text().catch(() => '');
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      failure = ApiError.from({
        status: response.status,
        service: 'mlflow',
        method: 'PUT',
        url,
        body: parsed,
        attempts: attempt,
      });
      if (response.status < 500) throw failure;
    } catch (error) {
      if (MlopsError.isInstance(error)) throw error;
      if (options.signal?.aborted) throw abortErrorOf(options.signal, `Uploading ${path}`, error);
      failure = new ConnectionError({
        service: 'mlflow',
        method: 'PUT',
        url,
        attempts: attempt,
        cause: error,
      });
    }
    // Progress already reported for this attempt is taken back before trying again.
    if (sent > 0) options.onBytes?.(-sent);
    if (!source.repeatable || attempt > t.maxRetries) throw failure;
    await sleep(250 * attempt);
  }
}
