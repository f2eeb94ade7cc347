import { AbortError, TimeoutError } from '@mlops/core';
import { describe, expect, it } from 'vitest';
import { type DeadlineTarget, withDeadline } from '../../src/online/deadline';

const never = () => new Promise<never>(() => {});

describe('withDeadline', () => {
  it('asks for its target once, and only when the deadline passes', async () => {
    let calls = 0;
    const target = (): DeadlineTarget => {
      calls += 1;
      return { service: 'redis', method: 'getOnlineFeatures', url: `redis #${calls}` };
    };

    // In time: no error is built, so the target is never asked for.
    await expect(withDeadline(() => Promise.resolve(7), 1_000, undefined, target, 'timeoutMs')).resolves.toBe(
      7,
    );
    expect(calls).toBe(0);

    // Late: one call, and the error's fields and its message name the same server (a target whose answer changes
    // between calls used to give a context saying 'redis #1' and a message saying 'redis #3').
    const error = await withDeadline(never, 5, undefined, target, 'timeoutMs').catch((e: unknown) => e);
    expect(calls).toBe(1);
    expect(error).toBeInstanceOf(TimeoutError);
    const timeout = error as TimeoutError;
    expect(timeout).toMatchObject({
      service: 'redis',
      method: 'getOnlineFeatures',
      url: 'redis #1',
      scope: 'total',
      timeoutMs: 5,
    });
    expect(timeout.message).toBe(
      'getOnlineFeatures got no answer from redis #1 within 5 ms: the server is slow, paused or unreachable. Raise timeoutMs if the request is just large; the call was not retried.',
    );
  });

  it('rejects with an AbortError without asking for its target when the signal aborts first', async () => {
    let calls = 0;
    const target = (): DeadlineTarget => {
      calls += 1;
      return { service: 'redis', method: 'getOnlineFeatures', url: 'redis' };
    };
    const controller = new AbortController();
    const pending = withDeadline(never, 1_000, controller.signal, target, 'timeoutMs');
    controller.abort(new Error('stop'));
    await expect(pending).rejects.toBeInstanceOf(AbortError);
    await expect(withDeadline(never, 1_000, controller.signal, target, 'timeoutMs')).rejects.toBeInstanceOf(
      AbortError,
    );
    expect(calls).toBe(0);
  });
});
