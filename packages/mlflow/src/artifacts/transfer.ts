// Streaming transfers through MLflow's artifact proxy: one file down (resumable with Range: the 3.18 server
// answers 206 with Content-Range and an ETag), one body up (a streamed PUT). Neither holds a whole file in
// memory: chunks go from the socket to the file handle and back. Downloads use the shared core pipeline
// (`stream: true`: auth, retries and deadlines up to the headers). Uploads cannot: the core pipeline buffers
// request bodies to replay them on retry, so they are sent here, with the client's credentials and headers,
// and retried only when their source can be read again (a file, a Blob, bytes; never a one-shot stream).
import { createReadStream, createWriteStream } from 'node:fs';
import { open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { type ClientRequest, request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { AbortError, ApiError, type AuthOption, ConnectionError, DecodeError, MlopsError } from '@mlops/core';
import { userAgent } from '@mlops/core/sdk';
import { classifyMlflowError } from '../error-mapping';
import type { MlflowHttp } from '../http';
import { PACKAGE_NAME, PACKAGE_VERSION } from '../version';
import { artifactUrlPath, type ProxyLocation } from './paths';

/** What a transfer needs from the client. */
export interface Transport {
  http: MlflowHttp;
  trackingUri: string;
  auth: AuthOption | undefined;
  maxRetries: number;
  /** Longest silence on a socket (no byte either way) before a transfer is given up, in ms. */
  idleTimeoutMs: number;
  fetch: typeof fetch | undefined;
  headers: Record<string, string>;
  /** Hosts besides the tracking server's that `mlflow-artifacts://host/…` URIs may name. */
  allowedArtifactHosts: readonly string[];
}

const CHUNK = 1 << 20;
const PUMP_CHUNK = 256 * 1024;
const USER_AGENT = userAgent({ name: PACKAGE_NAME, version: PACKAGE_VERSION });

function urlOf(t: Transport, location: ProxyLocation, path: string): string {
  // The core client's base URL: credentials written into the tracking URI are taken out of it (and used as auth).
  return `${location.baseUrl ?? t.http.baseUrl}${artifactUrlPath(path)}`;
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
  const resumable = options.resume !== false;
  if (resumable) etag = await readFile(tagFile, 'utf8').catch(() => undefined);
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
    let response: Incoming;
    try {
      response = await openGet(t, url, headers, options.signal);
    } catch (error) {
      // node:http's own failures (refused, reset, 5xx, 429) are retried here; the core pipeline retries its own.
      const retryable =
        !options.signal?.aborted &&
        t.fetch === undefined &&
        (ConnectionError.isInstance(error) ||
          (ApiError.isInstance(error) && (error.status >= 500 || error.status === 429)));
      if (!retryable || ++failures > t.maxRetries) throw error;
      await sleep(250 * failures);
      continue;
    }
    let offset = 0;
    let total: number | undefined;
    if (response.status === 206) {
      const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
      if (!range || Number(range[1]) !== have) {
        response.cancel();
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
    if (resumable) {
      if (etag !== undefined) await writeFile(tagFile, etag);
      else await rm(tagFile, { force: true });
    }
    if (offset > 0) options.onBytes?.(offset);
    let written = offset;
    const count = counter((n) => {
      written += n;
      options.onBytes?.(n);
    });
    try {
      // Node streams end to end (socket → counter → file), with backpressure and the caller's signal.
      await pipeline(
        response.body instanceof Readable ? response.body : Readable.from(response.body),
        count,
        createWriteStream(part, { flags: offset > 0 ? 'a' : 'w', highWaterMark: CHUNK }),
        ...(options.signal ? [{ signal: options.signal }] : []),
      );
    } catch (error) {
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
      // The next attempt reports what is on disk again: what this one reported is taken back.
      options.onBytes?.(-written);
      await sleep(200 * failures);
      continue;
    }
    if (total !== undefined && written !== total) {
      throw new MlopsError(
        `The download of ${path} ended at ${written} of ${total} bytes; the partial file is kept at ${part} and a new call resumes it.`,
      );
    }
    await rename(part, dest);
    if (resumable) await rm(tagFile, { force: true });
    return written;
  }
}

/** A response being read: status, headers, and its body as chunks. */
interface Incoming {
  status: number;
  headers: { get(name: string): string | null };
  body: AsyncIterable<Uint8Array>;
  cancel(): void;
}

async function* noChunks(): AsyncGenerator<Uint8Array> {}

async function readAll(body: AsyncIterable<Uint8Array | string>): Promise<string> {
  let text = '';
  for await (const chunk of body) {
    if (text.length < 65_536) text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
  }
  return text;
}

/**
 * A streamed GET. With the platform's fetch, over node:http(s): Node streams move a body several times faster
 * than fetch's web streams on a loaded machine (64 MB: 0.6 s against 3 s), which is what lets a download keep
 * up with curl. A non-2xx status is an ApiError as the core pipeline makes it. With an injected fetch, the
 * request goes through the core pipeline (auth, retries up to the headers) and that fetch.
 */
async function openGet(
  t: Transport,
  url: string,
  extra: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<Incoming> {
  if (t.fetch) {
    const response = await t.http.fetch(url, { stream: true, signal: signal ?? null, headers: extra });
    return {
      status: response.status,
      headers: response.headers,
      body: response.body ? webChunks(response.body) : noChunks(),
      cancel: () => {
        response.body?.cancel().catch(() => {});
      },
    };
  }
  const headers = await requestHeaders(t, extra);
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  const response = await new Promise<IncomingMessage>((resolve, reject) => {
    let incoming: IncomingMessage | undefined;
    const request = send(url, { method: 'GET', headers, ...(signal ? { signal } : {}) }, (response) => {
      incoming = response;
      resolve(response);
    });
    // A server that stops sending (mid-body too) fails the download instead of hanging it.
    request.setTimeout(t.idleTimeoutMs, () => {
      const error = idleError(t, url);
      incoming?.destroy(error);
      request.destroy(error);
    });
    request.on('error', (cause) => {
      if (signal?.aborted) reject(abortErrorOf(signal, `GET ${url}`, cause));
      else reject(new ConnectionError({ service: 'mlflow', method: 'GET', url, cause }));
    });
    request.end();
  });
  const status = response.statusCode ?? 0;
  if (status < 200 || status >= 300) {
    const text = await readAll(response).catch(() => '');
    let body: unknown = text;
    try {
      body = JSON.parse(text);
    } catch {}
    throw classifyMlflowError({ status, service: 'mlflow', method: 'GET', url, body });
  }
  return {
    status,
    headers: {
      get: (name) => {
        const value = response.headers[name.toLowerCase()];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    body: response,
    cancel: () => response.destroy(),
  };
}

function idleError(t: Transport, url: string): Error {
  return new Error(`no data from ${url} for ${t.idleTimeoutMs} ms (the client's attemptTimeoutMs)`);
}

/** The client's headers, user agent and credentials, for requests made outside the core pipeline. */
async function requestHeaders(t: Transport, extra: Record<string, string>): Promise<Record<string, string>> {
  const headers: Record<string, string> = { 'user-agent': USER_AGENT, ...t.headers, ...extra };
  const auth = await authorization(credentialsOf(t));
  if (auth !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization'))
    headers.authorization = auth;
  return headers;
}

/** A body to upload: opened again for each attempt when `repeatable` (a file, a Blob, bytes). */
export interface UploadSource {
  open: () => Readable;
  size: number | undefined;
  repeatable: boolean;
  /** A local file: sent from two reused buffers instead of a stream (see pumpFile). */
  file?: string;
}

/** The chunks of a web stream as an async iterable (typed for the DOM lib, which lacks its async iterator). */
export async function* webChunks(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/** A local file, read in 1 MiB chunks only as fast as the socket takes them. */
export function fileSource(path: string, size: number): UploadSource {
  return { size, repeatable: true, file: path, open: () => createReadStream(path, { highWaterMark: CHUNK }) };
}

/** The client's credentials; else, as the core client reads them, those written into the tracking URI. */
function credentialsOf(t: Transport): AuthOption | undefined {
  if (t.auth !== undefined) return t.auth;
  const url = URL.canParse(t.trackingUri) ? new URL(t.trackingUri) : undefined;
  if (!url || (!url.username && !url.password)) return undefined;
  return {
    type: 'basic',
    username: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
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

function counter(onBytes: (n: number) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback) {
      onBytes(chunk.byteLength);
      done(null, chunk);
    },
  });
}

/**
 * One streamed PUT over node:http(s), with backpressure: the file is read as fast as the socket drains. (Node's
 * fetch reads a streamed request body as fast as it can and holds it all: a 256 MB upload grew RSS by 270 MB,
 * node:http by 39 MB.) An injected fetch is used instead when the client was given one.
 */
/**
 * Writes a file to the request from two reused 256 KiB buffers: a buffer is read into again only once the
 * socket has taken its last chunk (the write callback), so memory stays flat however large the file. (A read
 * stream allocates a fresh buffer per chunk; on a 256 MB upload the garbage grew RSS by 70 MB before V8 ran.)
 */
async function pumpFile(path: string, request: ClientRequest, onBytes: (n: number) => void): Promise<void> {
  const handle = await open(path, 'r');
  const buffers = [Buffer.allocUnsafe(PUMP_CHUNK), Buffer.allocUnsafe(PUMP_CHUNK)];
  const flushed: Array<Promise<void>> = [Promise.resolve(), Promise.resolve()];
  try {
    for (let i = 0; ; i++) {
      const k = i % 2;
      const buffer = buffers[k] as Buffer;
      await flushed[k];
      const { bytesRead } = await handle.read(buffer, 0, PUMP_CHUNK, null);
      if (bytesRead === 0) break;
      onBytes(bytesRead);
      flushed[k] = new Promise((resolve, reject) =>
        request.write(buffer.subarray(0, bytesRead), (error?: Error | null) =>
          error ? reject(error) : resolve(),
        ),
      );
    }
    await Promise.all(flushed);
    await new Promise<void>((resolve) => request.end(resolve));
  } finally {
    await handle.close();
  }
}

async function put(
  t: Transport,
  url: string,
  headers: Record<string, string>,
  source: UploadSource,
  onBytes: (n: number) => void,
  signal: AbortSignal | undefined,
): Promise<{ status: number; text: string }> {
  if (t.fetch) {
    const body = source.open().pipe(counter(onBytes));
    const iterator = body[Symbol.asyncIterator]();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { value, done } = await iterator.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        body.destroy();
      },
    });
    const init: RequestInit & { duplex: 'half' } = { method: 'PUT', headers, body: stream, duplex: 'half' };
    if (signal) init.signal = signal;
    const response = await t.fetch(new Request(url, init));
    return { status: response.status, text: await response.text() };
  }
  const send = url.startsWith('https:') ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(url, { method: 'PUT', headers, ...(signal ? { signal } : {}) }, (response) => {
      let text = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => {
        if (text.length < 65_536) text += chunk;
      });
      response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      response.on('error', reject);
    });
    request.setTimeout(t.idleTimeoutMs, () => request.destroy(idleError(t, url)));
    request.on('error', reject);
    if (source.file !== undefined) {
      pumpFile(source.file, request, onBytes).catch((error: unknown) => {
        request.destroy(error instanceof Error ? error : new Error(String(error)));
        reject(error);
      });
    } else {
      pipeline(source.open().pipe(counter(onBytes)), request).catch(reject);
    }
  });
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
  const headers = await requestHeaders(t, { 'content-type': 'application/octet-stream' });
  if (source.size !== undefined) headers['content-length'] = String(source.size);
  for (let attempt = 1; ; attempt++) {
    if (options.signal?.aborted) throw abortErrorOf(options.signal, `Uploading ${path}`);
    let sent = 0;
    const onBytes = (n: number) => {
      sent += n;
      options.onBytes?.(n);
    };
    let failure: MlopsError;
    try {
      const { status, text } = await put(t, url, headers, source, onBytes, options.signal);
      if (status >= 200 && status < 300) return;
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      failure = classifyMlflowError({
        status,
        service: 'mlflow',
        method: 'PUT',
        url,
        body: parsed,
        attempts: attempt,
      });
      if (status < 500) throw failure;
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
