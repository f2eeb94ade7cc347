import { createServer, type Server, type Socket } from 'node:net';
import { ConnectionError } from '@mlops/core';
import { afterEach, describe, expect, it } from 'vitest';
import type { RedisOnlineStoreConfig } from '../../src/config/repo-config';
import type { CallDeadline } from '../../src/online/deadline';
import { RedisOnlineStore } from '../../src/online/redis-online-store';

// What the read path does when Redis stops answering, against a scripted server that speaks just enough RESP:
// it answers the connection's ready check (INFO), then answers HMGETs only when the test says so. A paused or
// unreachable Redis must not collect the commands of every call made meanwhile (they would all come back at
// once and stall the process); calls that could not be answered in time are refused without being sent.

const INFO = '# Server\r\nloading:0';

/** A Redis that answers INFO at once and HMGETs on demand; counts the HMGETs it was sent. */
async function scriptedRedis() {
  const sockets = new Set<Socket>();
  let received = 0;
  let unanswered = 0;
  let answering = false;
  let delayMs = 0;
  let current: Socket | undefined;
  const answer = (socket: Socket, n: number) => {
    if (n > 0) socket.write('*1\r\n$-1\r\n'.repeat(n));
  };
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    current = socket;
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      // Commands by name (the test's keys and fields hold no RESP markers): INFO (the ready check) and the rest
      // of the connection's setup (CLIENT SETINFO) are answered at once, HMGETs when the test says.
      for (const [, name] of chunk.toString('latin1').matchAll(/\*\d+\r\n\$\d+\r\n([A-Za-z]+)\r\n/g)) {
        const command = name!.toUpperCase();
        if (command === 'HMGET') {
          received++;
          if (answering && unanswered === 0) {
            if (delayMs > 0) setTimeout(() => answer(socket, 1), delayMs);
            else answer(socket, 1);
          } else unanswered++;
        } else if (command === 'INFO') socket.write(`$${INFO.length}\r\n${INFO}\r\n`);
        else socket.write('+OK\r\n');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    get received() {
      return received;
    },
    /** From now on, answer every HMGET (and the ones waiting) at once. */
    resume() {
      answering = true;
      if (current) answer(current, unanswered);
      unanswered = 0;
    },
    /** Answer each HMGET `ms` after it came (an overloaded Redis, a slow network). */
    slow(ms: number) {
      delayMs = ms;
    },
    /** Stop answering (a paused Redis). */
    pause() {
      answering = false;
    },
    /** Drop every connection (a killed Redis); the server keeps accepting new ones unless `close`. */
    async drop(close = false) {
      if (close) server.close();
      for (const socket of sockets) socket.destroy();
      unanswered = 0;
    },
    async close() {
      server.close();
      for (const socket of sockets) socket.destroy();
    },
  };
}

function storeFor(port: number): RedisOnlineStore {
  const config: RedisOnlineStoreConfig = {
    type: 'redis',
    redisType: 'redis',
    connectionString: `127.0.0.1:${port}`,
    nodes: [{ host: '127.0.0.1', port }],
    params: {},
    sentinelMaster: 'mymaster',
    keyTtlSeconds: undefined,
    skipDedup: false,
  };
  return new RedisOnlineStore(config);
}

const groups = [{ fields: [Buffer.from('f1'), Buffer.from('f2')] }];
const keysOf = (n: number) => [Array.from({ length: n }, (_, i) => Buffer.from(`key-${i}`))];
const callOf = (timeoutMs: number): CallDeadline => ({ timeoutMs, settled: false });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A read like getOnlineFeatures makes: the call is settled when its deadline passes, as withDeadline does. */
function read(store: RedisOnlineStore, timeoutMs: number, keys = 3) {
  const call = callOf(timeoutMs);
  const timer = setTimeout(() => {
    call.settled = true;
  }, timeoutMs);
  const started = performance.now();
  const outcome = store.hmgetGroups(groups, keysOf(keys), call).then(
    (replies) => ({ replies, error: undefined, ms: performance.now() - started }),
    (error: unknown) => ({ replies: undefined, error, ms: performance.now() - started }),
  );
  void outcome.finally(() => clearTimeout(timer));
  return { call, outcome };
}

let cleanup: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function setUp() {
  const redis = await scriptedRedis();
  const store = storeFor(redis.port);
  cleanup.push(
    () => redis.close(),
    () => store.close().catch(() => {}),
  );
  redis.resume();
  await store.client();
  // Warm: one answered read, so the connection is followed from here on.
  expect((await read(store, 1000).outcome).replies).toHaveLength(3);
  return { redis, store };
}

describe('the Redis read path when Redis stops answering', () => {
  it('refuses a call at once, unsent, once Redis has been silent for longer than its deadline; sends again when Redis answers', async () => {
    const { redis, store } = await setUp();
    redis.pause();
    const before = redis.received;
    const first = read(store, 40);
    await sleep(80);
    expect(redis.received).toBe(before + 3);

    const refused = await read(store, 40).outcome;
    expect(refused.ms).toBeLessThan(20);
    expect(refused.error).toBeInstanceOf(ConnectionError);
    expect((refused.error as Error).message).toMatch(
      /^Redis redis 127\.0\.0\.1:\d+ has answered nothing for \d+ ms while 1 calls wait for it, longer than this call's 40 ms deadline: .* the call was not sent/,
    );
    // Not sent: the server saw the first call's three commands only.
    expect(redis.received).toBe(before + 3);

    // A call with a longer deadline is still sent: it could be answered in time.
    const patient = read(store, 5000);
    await sleep(10);
    expect(redis.received).toBe(before + 6);

    // Redis answers again: the waiting commands are answered, and calls are sent once more.
    redis.resume();
    expect((await patient.outcome).replies).toHaveLength(3);
    expect((await first.outcome).replies).toHaveLength(3);
    expect((await read(store, 40).outcome).replies).toHaveLength(3);
  });

  it('refuses a call at once when Redis answers, but later than its deadline', async () => {
    const { redis, store } = await setUp();
    redis.slow(200);
    const first = read(store, 5000, 1);
    await sleep(100);
    const second = read(store, 5000, 1);
    // The first answer comes at ~200 ms: Redis is not silent, but the second call, sent at ~100 ms, still waits.
    expect((await first.outcome).replies).toHaveLength(1);
    const before = redis.received;
    const refused = await read(store, 50).outcome;
    expect(refused.ms).toBeLessThan(20);
    expect(refused.error).toBeInstanceOf(ConnectionError);
    expect((refused.error as Error).message).toMatch(
      /is answering late: the oldest of the 1 calls waiting for it was sent \d+ ms ago, longer than this call's 50 ms deadline/,
    );
    expect(redis.received).toBe(before);
    expect((await second.outcome).replies).toHaveLength(1);
  });

  it('waits for a reconnect itself and never sends a call whose deadline passed meanwhile', async () => {
    const { redis, store } = await setUp();
    const before = redis.received;
    await redis.drop();
    const client = await store.client();
    while (client.status === 'ready') await sleep(1);
    // The connection is being re-established (ioredis retries 50 ms after the loss): both calls wait here, not
    // in ioredis' offline queue (it has been down for less than either deadline).
    const late = read(store, 25);
    const inTime = read(store, 2000);
    const answer = await inTime.outcome;
    expect(answer.error).toBeUndefined();
    expect(answer.replies).toHaveLength(3);
    expect(answer.ms).toBeGreaterThan(25);
    // The call whose deadline passed while waiting was never sent.
    expect(late.call.settled).toBe(true);
    expect((await late.outcome).error).toBeDefined();
    expect(redis.received).toBe(before + 3);
  });

  it('refuses a call at once when the connection has been down for longer than its deadline', async () => {
    const { redis, store } = await setUp();
    await redis.drop(true);
    await sleep(120);
    const refused = await read(store, 50).outcome;
    expect(refused.ms).toBeLessThan(20);
    expect(refused.error).toBeInstanceOf(ConnectionError);
    expect((refused.error as Error).message).toMatch(
      /^Redis redis 127\.0\.0\.1:\d+ has been unreachable for \d+ ms \(ioredis is \w+\), longer than this call's 50 ms deadline: the call was not sent/,
    );
  });
});
