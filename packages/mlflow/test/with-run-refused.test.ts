// Which failed sends withRun resends without reading back: only a connection refused (nothing went out), as each
// runtime reports it. The shapes are those Node 24 (undici), Bun 1 and Deno 2 throw for a refused fetch, taken from
// each runtime on this machine; everything else (a reset, a closed kept-alive socket, a timeout) may have landed.
import { ConnectionError, TimeoutError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { isRefused } from '../src/with-run';

const where = {
  service: 'mlflow' as const,
  method: 'POST',
  url: 'http://127.0.0.1:5000/api/2.0/mlflow/runs/log-batch',
};
const fetchFailed = (cause: unknown) => Object.assign(new TypeError('fetch failed'), { cause });

describe('isRefused', () => {
  it('knows a refused connection in Node, Bun and Deno', () => {
    const node = fetchFailed(
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5000'), { code: 'ECONNREFUSED' }),
    );
    const bun = Object.assign(
      new TypeError('ECONNREFUSED: Unable to connect. Is the computer able to access the url?'),
      {
        code: 'ECONNREFUSED',
      },
    );
    const deno = fetchFailed(
      new Error(
        'error sending request for url (http://127.0.0.1:5000/x): client error (Connect): tcp connect error: Connection refused (os error 111)',
      ),
    );
    for (const cause of [node, bun, deno])
      expect(isRefused(new ConnectionError({ ...where, cause }))).toBe(true);
  });

  it('counts anything else as possibly landed', () => {
    const closed = fetchFailed(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }));
    const reset = fetchFailed(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
    expect(isRefused(new ConnectionError({ ...where, cause: closed }))).toBe(false);
    expect(isRefused(new ConnectionError({ ...where, cause: reset }))).toBe(false);
    expect(isRefused(new ConnectionError({ ...where, cause: undefined }))).toBe(false);
    expect(isRefused(new TimeoutError({ ...where, scope: 'attempt', timeoutMs: 1000, cause: reset }))).toBe(
      false,
    );
    // A refusal's words in a non-connection error do not count.
    expect(isRefused(Object.assign(new Error('x'), { cause: { code: 'ECONNREFUSED' } }))).toBe(false);
  });
});
