// Small helpers of PrometheusClient's requests: form bodies, defined-only query objects, listings, durations.
import { AbortError, ConnectionError, TimeoutError } from '@mlops/core';
import { redactUrl } from '@mlops/core/sdk';
import type { PrometheusCallOptions } from './options';
import type { Listing } from './types';

export type Form = Record<string, string | number | string[] | undefined>;
export const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };
// Not 503: Prometheus answers it for a query that timed out (and, in 2.42, was canceled); repeating such a query
// multiplies the load it was too heavy for.
export const RETRY_STATUSES = [408, 425, 429, 500, 502, 504];

/** Repeats array values as `name=a&name=b` (what `match[]` needs) and leaves out undefined ones. */
export function formBody(body: unknown): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(body as Form)) {
    if (Array.isArray(value)) for (const item of value) params.append(name, item);
    else if (value !== undefined) params.append(name, String(value));
  }
  return params.toString();
}

/** Keeps the defined values, as the generated query types want them. */
export function defined<V extends object>(values: V): V {
  return Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as V;
}

export function signal(options: PrometheusCallOptions): { signal?: AbortSignal } {
  return options.signal ? { signal: options.signal } : {};
}

export function listing<D>(answer: { data: D; warnings?: string[]; infos?: string[] }): Listing<D> {
  return { data: answer.data, warnings: answer.warnings ?? [], infos: answer.infos ?? [] };
}

const UNIT_MS: Record<string, number> = {
  ms: 1,
  s: 1e3,
  m: 6e4,
  h: 3.6e6,
  d: 8.64e7,
  w: 6.048e8,
  y: 3.1536e10,
};
/** "1m30s" → 90 000 (durationParam has validated it; a bare number is seconds). */
export function durationMs(text: string): number {
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text) * 1000;
  let ms = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)(ms|[smhdwy])/g)) ms += Number(n) * UNIT_MS[unit!]!;
  return ms;
}

/**
 * The body of a response core handed over at its headers (`stream: true`), read as text under `timeoutMs`: the
 * buffered path copies a large answer twice more (bench/prometheus-query.mjs). `signal` is the request's (the
 * caller's and `controller`'s): aborting it ends the read, also with a fetch that does not tie the body to the
 * signal. The deadline gives core's TimeoutError, the caller's abort its AbortError.
 */
export async function readText(
  response: Response,
  signal: AbortSignal,
  controller: AbortController,
  caller: AbortSignal | undefined,
  timeoutMs: number,
): Promise<string> {
  const timer = setTimeout(() => controller.abort(new Error('deadline')), timeoutMs);
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  const text = response.text();
  text.catch(() => {}); // settles after an abort, if ever: nobody waits for it then
  try {
    return await Promise.race([text, aborted]);
  } catch (cause) {
    const url = redactUrl(response.url);
    if (caller?.aborted)
      throw new AbortError(`POST ${url} to Prometheus was aborted by the caller.`, {
        reason: caller.reason,
        cause,
      });
    if (controller.signal.aborted)
      throw new TimeoutError({
        service: 'prometheus',
        method: 'POST',
        url,
        scope: 'attempt',
        timeoutMs,
        cause,
      });
    throw new ConnectionError({ service: 'prometheus', method: 'POST', url, cause });
  } finally {
    clearTimeout(timer);
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}
