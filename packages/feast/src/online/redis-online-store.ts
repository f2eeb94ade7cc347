import { ConnectionError, DecodeError, MlopsError } from '@mlops/core';
import { Redactor } from '@mlops/core/sdk';
import type { ChainableCommander, Cluster, Command, Redis, RedisOptions } from 'ioredis';
import type { RedisOnlineStoreConfig } from '../config/repo-config';
import { ABANDONED, type CallDeadline } from './deadline';

/** A Redis command of a read: HMGET key field... (all binary). */
export interface HmgetCommand {
  key: Uint8Array;
  fields: readonly Uint8Array[];
}

type Reply = Array<Buffer | null>;

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Redis as Feast's online store: standalone, Redis Cluster (commands grouped by the node that owns their
 * slot, one pipeline per node, all nodes at once) or Sentinel. Binary keys and fields, Buffer replies only.
 */
export class RedisOnlineStore {
  readonly config: RedisOnlineStoreConfig;
  #client: Redis | Cluster | undefined;
  /** ioredis' Command, with our encoding of HMGET (loaded with ioredis). */
  #Hmget: HmgetClass | undefined;
  #connecting: Promise<Redis | Cluster> | undefined;
  /** Where the connection settings come from, for errors: "online_store.connection_string in …/feature_store.yaml". */
  readonly #configSource: string | undefined;
  /** Pipelines in flight: the sockets hold the process open only while this is above 0. */
  #inFlight = 0;
  /** ioredis auto-pipelining: reads of concurrent calls share one pipeline per event-loop tick. */
  readonly #autoPipelining: boolean;
  /** The connection string's password: never in an error, even when a hostile server echoes AUTH back. */
  readonly #redactor = new Redactor();

  constructor(
    config: RedisOnlineStoreConfig,
    client?: Redis | Cluster,
    options: { configSource?: string; autoPipelining?: boolean } = {},
  ) {
    this.config = config;
    this.#client = client;
    this.#configSource = options.configSource;
    this.#autoPipelining = options.autoPipelining === true;
    const password = config.params.password;
    if (password !== undefined && password !== null) this.#redactor.addSecret(String(password));
  }

  /**
   * An ioredis error as a cause we can keep: its message scrubbed of the password, and nothing else (a
   * ReplyError carries the command and its arguments: AUTH's is the password).
   */
  #scrubbed(error: unknown): Error | undefined {
    if (!(error instanceof Error)) return undefined;
    const copy = new Error(this.#redactor.text(error.message));
    copy.name = error.name;
    return copy;
  }

  /**
   * Lets the process exit while no command is in flight (a script that forgets close() still ends), and keeps
   * it alive while one is: sockets are unref'd when idle and ref'd around each pipeline.
   */
  #hold(client: Redis | Cluster, hold: boolean): void {
    const nodes: Redis[] =
      'isCluster' in client && client.isCluster ? (client as Cluster).nodes('all') : [client as Redis];
    for (const node of nodes) {
      const stream = node.stream as { ref?: () => void; unref?: () => void } | undefined;
      if (hold) stream?.ref?.();
      else stream?.unref?.();
    }
  }

  get description(): string {
    return `Redis ${this.config.redisType} ${this.config.nodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }

  async client(): Promise<Redis | Cluster> {
    if (this.#client) return this.#client;
    this.#connecting ??= this.#connect().catch((error: unknown) => {
      this.#connecting = undefined;
      throw error;
    });
    this.#client = await this.#connecting;
    return this.#client;
  }

  async #connect(): Promise<Redis | Cluster> {
    const { Cluster: ClusterClass, Command, Redis: RedisClass } = await import('ioredis');
    this.#Hmget = hmgetClass(Command);
    const { params } = this.config;
    const base: RedisOptions = {
      lazyConnect: true,
      maxRetriesPerRequest: 2,
      enableOfflineQueue: true,
      // Reconnect quickly after a restart or failover (ioredis waits up to 2 s between attempts by default):
      // a serving process must be back within a second of Redis. Every call has its own deadline anyway.
      retryStrategy: (times: number) => Math.min(times * 50, 250),
      ...(params.password !== undefined ? { password: String(params.password) } : {}),
      ...(params.username !== undefined ? { username: String(params.username) } : {}),
      ...(params.db !== undefined ? { db: Number(params.db) } : {}),
      ...(params.ssl === true ? { tls: {} } : {}),
    };
    let client: Redis | Cluster;
    if (this.config.redisType === 'redis_cluster') {
      client = new ClusterClass(this.config.nodes, {
        lazyConnect: true,
        redisOptions: base,
        enableReadyCheck: true,
        // A failover moves slots without telling clients that only read a dead master's slots (their commands
        // time out rather than being redirected): ask the cluster for its slot map every second, not every 5 s.
        slotsRefreshInterval: 1000,
      });
    } else if (this.config.redisType === 'redis_sentinel') {
      client = new RedisClass({ ...base, sentinels: this.config.nodes, name: this.config.sentinelMaster });
    } else {
      client = new RedisClass({
        ...base,
        host: this.config.nodes[0]!.host,
        port: this.config.nodes[0]!.port,
      });
    }
    // Errors surface on the commands; without a listener ioredis would print each reconnection attempt.
    // The socket's own error (ECONNREFUSED, ...) says more than connect()'s "Connection is closed".
    let socketError: Error | undefined;
    client.on('error', (error: Error) => {
      socketError = error;
    });
    try {
      await client.connect();
    } catch (cause) {
      client.disconnect();
      const where = this.config.nodes.map((n) => `${n.host}:${n.port}`).join(', ');
      const message = this.#redactor.text(
        socketError?.message || (cause instanceof Error ? cause.message : ''),
      );
      const reason = message ? ` (${message})` : '';
      throw new ConnectionError(
        { service: 'redis', method: 'CONNECT', url: this.description, cause: this.#scrubbed(cause) },
        `Could not connect to the Redis online store at ${where}${reason}: the ${this.config.redisType === 'redis' ? 'server' : this.config.redisType} that ${this.#configSource ?? 'online_store.connection_string'} names. Start Redis there, or correct online_store.connection_string.`,
      );
    }
    this.#hold(client, false);
    // A reconnect makes new sockets: once ready (its ready check answered), idle ones must not hold the
    // process either.
    client.on('ready', () => {
      if (this.#inFlight === 0) this.#hold(client, false);
    });
    return client;
  }

  /** HMGET of every command, in one pipeline per node; replies in command order. */
  async hmget(commands: readonly HmgetCommand[]): Promise<Reply[]> {
    // Commands of one view share their fields array: wrap its fields as Buffers once, not once per command.
    const buffers = new Map<readonly Uint8Array[], Buffer[]>();
    const fieldsOf = (fields: readonly Uint8Array[]): Buffer[] => {
      let out = buffers.get(fields);
      if (!out) {
        out = fields.map(asBuffer);
        buffers.set(fields, out);
      }
      return out;
    };
    const replies = await this.pipelined(
      commands.map((c) => ({
        key: c.key,
        add: (p: ChainableCommander) => p.hmgetBuffer(asBuffer(c.key), ...fieldsOf(c.fields)),
      })),
      'HMGET',
    );
    return replies.map((reply, i) => {
      if (!Array.isArray(reply))
        throw new DecodeError({ what: 'HMGET reply', source: `redis key 0x${hex(commands[i]!.key)}` });
      return reply as Reply;
    });
  }

  /**
   * HMGET of each key of each group with the group's fields: the read path of getOnlineFeatures. Replies in
   * group order, then key order. Standalone and Sentinel: each HMGET is encoded once into one Buffer (the
   * fields' part of it once per request shape) and sent with the socket corked, so a call's commands leave in
   * one write — a pipeline without ioredis' per-argument encoding. With autoPipelining the socket stays corked
   * until the end of the tick: the commands of every call made in that tick leave together. Cluster: one
   * pipeline per owning node.
   */
  hmgetGroups(
    groups: ReadonlyArray<{ fields: readonly Buffer[] }>,
    keys: ReadonlyArray<readonly Buffer[]>,
    call?: CallDeadline,
  ): Promise<Reply[]> {
    const client = this.#client;
    if (client && this.#Hmget) return this.#hmgetGroups(client, this.#Hmget, groups, keys, call);
    return this.client().then(async (connected) => {
      // A client given to the constructor: ioredis' Command is loaded here.
      this.#Hmget ??= hmgetClass((await import('ioredis')).Command);
      return this.#hmgetGroups(connected, this.#Hmget, groups, keys, call);
    });
  }

  #hmgetGroups(
    client: Redis | Cluster,
    Hmget: HmgetClass,
    groups: ReadonlyArray<{ fields: readonly Buffer[] }>,
    keys: ReadonlyArray<readonly Buffer[]>,
    call: CallDeadline | undefined,
  ): Promise<Reply[]> {
    let count = 0;
    for (const k of keys) count += k.length;
    if (count === 0) return Promise.resolve([]);
    if ('isCluster' in client && client.isCluster) {
      const flat: Array<{ key: Buffer; fields: EncodedFields }> = new Array(count);
      let i = 0;
      for (let g = 0; g < groups.length; g++) {
        const fields = this.#encodedFields(groups[g]!.fields);
        for (const key of keys[g]!) flat[i++] = { key, fields };
      }
      this.#begin(client);
      return this.#clusterHmget(client as Cluster, Hmget, flat, call).finally(() => this.#end(client));
    }
    const redis = client as Redis;
    if (call) {
      this.#watch(redis);
      const refused = this.#admit(redis, call);
      if (refused) return Promise.reject(refused);
      if (redis.status !== 'ready') {
        // Reconnecting, for less than the call's deadline: wait for the connection here rather than in ioredis'
        // offline queue, which would send the commands of calls long abandoned one write each when it is back.
        return new Promise<Reply[]>((resolve, reject) => {
          this.#whenReady(redis, call, () => {
            if (call.settled) reject(ABANDONED);
            else this.#sendHmgets(redis, Hmget, groups, keys, count).then(resolve, reject);
          });
        });
      }
    }
    return this.#sendHmgets(redis, Hmget, groups, keys, count);
  }

  /** The HMGETs of a read on a standalone or Sentinel connection, corked into one write. */
  #sendHmgets(
    redis: Redis,
    Hmget: HmgetClass,
    groups: ReadonlyArray<{ fields: readonly Buffer[] }>,
    keys: ReadonlyArray<readonly Buffer[]>,
    count: number,
  ): Promise<Reply[]> {
    this.#begin(redis);
    const sent: Array<Promise<unknown>> = new Array(count);
    const stream = redis.stream as { cork?: () => void; uncork?: () => void } | undefined;
    // Corked here, or already (by another call of this tick, or by #flushReadyWaiters for all waiting calls).
    const corkedHere = !this.#corked && stream?.cork !== undefined;
    if (corkedHere) {
      stream!.cork!();
      this.#corked = stream;
      if (this.#autoPipelining) process.nextTick(this.#uncork);
    }
    let i = 0;
    for (let g = 0; g < groups.length; g++) {
      const fields = this.#encodedFields(groups[g]!.fields);
      for (const key of keys[g]!) {
        const command = new Hmget(key, encodeHmget(key, fields));
        redis.sendCommand(command);
        sent[i++] = command.promise;
      }
    }
    if (corkedHere && !this.#autoPipelining) this.#uncork();
    this.#sentAt.push(performance.now());
    return Promise.all(sent).then(
      (replies) => {
        this.#sentAt.shift();
        if (--this.#inFlight === 0) this.#hold(redis, false);
        for (let r = 0; r < replies.length; r++) {
          if (!Array.isArray(replies[r]))
            throw new DecodeError({ what: 'HMGET reply', source: `redis key 0x${hex(keyAt(keys, r))}` });
        }
        return replies as Reply[];
      },
      (cause: unknown) => {
        this.#sentAt.shift();
        if (--this.#inFlight === 0) this.#hold(redis, false);
        // ioredis rejects a refused command with a ReplyError (which key: the first command that failed);
        // anything else is the connection's.
        if (cause instanceof Error && cause.name === 'ReplyError') {
          return Promise.allSettled(sent).then((settled) => {
            const key = keyAt(
              keys,
              Math.max(
                0,
                settled.findIndex((s) => s.status === 'rejected'),
              ),
            );
            throw new MlopsError(
              `Redis refused HMGET of key 0x${hex(key)} on ${this.description}: ${this.#redactor.text(cause.message)}`,
              { cause: this.#scrubbed(cause) },
            );
          });
        }
        throw new ConnectionError({
          service: 'redis',
          method: 'HMGET pipeline',
          url: this.description,
          cause: this.#scrubbed(cause),
        });
      },
    );
  }

  // Admission. A Redis that is paused, cut off or down answers nothing, while calls keep coming: each call's
  // deadline answers its caller, but its commands stay queued, and when Redis is back the process must send,
  // parse and settle all of them at once (seconds of abandoned work that stall the event loop, so calls that
  // are still in time end late). So once Redis has been silent for longer than a call's whole deadline, the call
  // is refused at once with a ConnectionError instead of being queued: it could not have been answered in time.
  // The same when Redis answers, but later than the deadline (the oldest read in flight is older than it: an
  // overloaded server, a slow network). What is queued is then at most a deadline's worth of calls.

  /** performance.now() when the connection last received bytes. */
  #heardAt = 0;
  /**
   * performance.now() when each read in flight was sent, oldest first: one connection answers in order, so the
   * first is the read Redis is answering now (or not).
   */
  readonly #sentAt: number[] = [];
  /** performance.now() when the connection was lost; undefined while it is ready. */
  #downSince: number | undefined;
  /** The client whose connection events are followed (#watch). */
  #watched: Redis | undefined;
  /** Calls waiting for the connection to be ready again, with what sends them (or drops them, once settled). */
  #readyWaiters: Array<{ call: CallDeadline; run: () => void }> = [];

  /** Follows the connection: when it receives bytes, when it is lost, when it is ready again. */
  #watch(redis: Redis): void {
    if (this.#watched === redis) return;
    this.#watched = redis;
    const heard = () => {
      this.#heardAt = performance.now();
    };
    const listen = () =>
      (redis.stream as { on?: (event: 'data', listener: () => void) => void } | undefined)?.on?.(
        'data',
        heard,
      );
    listen();
    redis.on('close', () => {
      this.#downSince ??= performance.now();
    });
    redis.on('ready', () => {
      this.#downSince = undefined;
      heard();
      listen();
      this.#flushReadyWaiters(redis);
    });
  }

  /** A pipeline or a read is sent: sockets hold the process while any is in flight. */
  #begin(client: Redis | Cluster): void {
    if (this.#inFlight++ === 0) this.#hold(client, true);
  }

  #end(client: Redis | Cluster): void {
    if (--this.#inFlight === 0) this.#hold(client, false);
  }

  /**
   * The read path on Redis Cluster: each HMGET, encoded once, goes straight to the connection of the master that
   * owns its slot (corked: one write per node), not through an ioredis cluster pipeline, whose queues (a node's
   * offline queue, the cluster's retry queue) would keep the commands of calls long abandoned and send them all
   * when the node or its replica is back. A command whose node is not connected is not sent; it and the
   * redirected ones (MOVED, ASK, a closed connection) are sent again after a slot map refresh, for as long as
   * the caller still waits.
   */
  async #clusterHmget(
    cluster: Cluster,
    Hmget: HmgetClass,
    commands: ReadonlyArray<{ key: Buffer; fields: EncodedFields }>,
    call: CallDeadline | undefined,
  ): Promise<Reply[]> {
    const replies: Reply[] = new Array(commands.length);
    await this.#withSlotRetries(
      cluster,
      commands.length,
      call,
      async (pending) => {
        const byNode = new Map<Redis, number[]>();
        const retry: number[] = [];
        let lastError: Error | undefined;
        for (const i of pending) {
          const node = this.#clusterNode(cluster, cluster.slots[keySlot(commands[i]!.key)]?.[0]);
          // The cluster connects to a node on its first command ('wait' until then): that first read waits in
          // the node's queue; later ones go only to connected nodes.
          const first = node?.status === 'wait';
          if (first) node!.connect().catch(() => {});
          if (node === undefined || (node.status !== 'ready' && !first)) retry.push(i);
          else {
            const group = byNode.get(node);
            if (group) group.push(i);
            else byNode.set(node, [i]);
          }
        }
        const sent: Array<Promise<unknown>> = [];
        const order: number[] = [];
        for (const [node, group] of byNode) {
          const stream = node.stream as { cork?: () => void; uncork?: () => void } | undefined;
          stream?.cork?.();
          for (const i of group) {
            const { key, fields } = commands[i]!;
            const command = new Hmget(key, encodeHmget(key, fields));
            node.sendCommand(command);
            sent.push(command.promise);
            order.push(i);
          }
          stream?.uncork?.();
        }
        const settled = await Promise.allSettled(sent);
        for (let j = 0; j < settled.length; j++) {
          const outcome = settled[j]!;
          const i = order[j]!;
          if (outcome.status === 'fulfilled') {
            if (!Array.isArray(outcome.value))
              throw new DecodeError({ what: 'HMGET reply', source: `redis key 0x${hex(commands[i]!.key)}` });
            replies[i] = outcome.value as Reply;
          } else if (isRedirect(outcome.reason as Error)) {
            retry.push(i);
            lastError = outcome.reason as Error;
          } else throw this.#refused('HMGET', commands[i]!.key, outcome.reason as Error);
        }
        return { retry, lastError };
      },
      (i, lastError, attempts) => {
        const key = commands[i]!.key;
        if (lastError) return this.#refused('HMGET', key, lastError);
        return new ConnectionError(
          { service: 'redis', method: 'HMGET pipeline', url: this.description },
          `The Redis Cluster node that owns the slot of key 0x${hex(key)} (${cluster.slots[keySlot(key)]?.[0] ?? 'none'}) stayed unreachable over ${attempts} attempts with slot map refreshes on ${this.description}: a master is down and no replica has taken over yet.`,
        );
      },
    );
    return replies;
  }

  /** The connection to the cluster node `key` ('host:port', as the slot map names it), if there is one. */
  #clusterNode(cluster: Cluster, key: string | undefined): Redis | undefined {
    if (key === undefined) return undefined;
    let node = this.#clusterNodes.get(key);
    if (node === undefined || node.status === 'end') {
      this.#clusterNodes = new Map(
        cluster.nodes('all').map((n) => [`${n.options.host}:${n.options.port}`, n] as const),
      );
      node = this.#clusterNodes.get(key);
    }
    return node;
  }
  #clusterNodes = new Map<string, Redis>();
  /** performance.now() of the last slot map refresh the read path asked for. */
  #slotsRefreshedAt = Number.NEGATIVE_INFINITY;

  /** Why `call` must not be sent now (a ConnectionError), or undefined. */
  #admit(redis: Redis, call: CallDeadline): ConnectionError | undefined {
    const now = performance.now();
    if (redis.status !== 'ready') {
      const down = this.#downSince === undefined ? 0 : now - this.#downSince;
      if (down <= call.timeoutMs) return undefined;
      return this.#refusal(
        `${this.description} has been unreachable for ${Math.round(down)} ms (ioredis is ${redis.status}), longer than this call's ${call.timeoutMs} ms deadline: the call was not sent. Calls are sent again as soon as the connection is back; check that Redis is running.`,
      );
    }
    const oldest = this.#sentAt[0];
    if (oldest === undefined || now - oldest <= call.timeoutMs) return undefined;
    // Redis answers a connection's reads in order: this call would be answered after the oldest one, which has
    // already waited longer than this call's whole deadline.
    const waiting = this.#sentAt.length;
    const silent = now - Math.max(this.#heardAt, oldest);
    const state =
      silent > call.timeoutMs
        ? `has answered nothing for ${Math.round(silent)} ms while ${waiting} calls wait for it`
        : `is answering late: the oldest of the ${waiting} calls waiting for it was sent ${Math.round(now - oldest)} ms ago`;
    return this.#refusal(
      `${this.description} ${state}, longer than this call's ${call.timeoutMs} ms deadline: it is paused, overloaded or cut off, and the call was not sent (queued commands would all come back at once). Calls are sent again as soon as Redis catches up.`,
    );
  }

  #refusal(message: string): ConnectionError {
    return new ConnectionError(
      { service: 'redis', method: 'HMGET pipeline', url: this.description },
      message,
    );
  }

  /**
   * Runs `run` once the connection is ready (all waiting calls in one write), or earlier once `call` has settled
   * (`run` then sends nothing).
   */
  #whenReady(redis: Redis, call: CallDeadline, run: () => void): void {
    const waiters = this.#readyWaiters;
    // Calls abandoned while waiting are dropped (their callers have their answer); the list stays as short as a
    // deadline's worth of calls.
    while (waiters.length > 0 && waiters[0]!.call.settled) waiters.shift()!.run();
    waiters.push({ call, run });
    if (redis.status === 'ready') this.#flushReadyWaiters(redis);
  }

  #flushReadyWaiters(redis: Redis): void {
    const waiters = this.#readyWaiters;
    if (waiters.length === 0) return;
    this.#readyWaiters = [];
    const stream = redis.stream as { cork?: () => void; uncork?: () => void } | undefined;
    const corkedHere = !this.#corked && stream?.cork !== undefined;
    if (corkedHere) {
      stream!.cork!();
      this.#corked = stream;
    }
    try {
      for (const waiter of waiters) waiter.run();
    } finally {
      if (corkedHere) this.#uncork();
    }
  }

  /** The socket corked for the commands of this tick, if any. */
  #corked: { uncork?: () => void } | undefined;
  readonly #uncork = (): void => {
    const stream = this.#corked;
    this.#corked = undefined;
    stream?.uncork?.();
  };

  /** The RESP bulk strings of a group's fields, made once per fields array (once per request shape). */
  #encodedFields(fields: readonly Buffer[]): EncodedFields {
    let encoded = this.#fieldsCache.get(fields);
    if (!encoded) {
      const parts: Buffer[] = [];
      for (const field of fields) parts.push(Buffer.from(`$${field.length}\r\n`, 'latin1'), field, CRLF);
      encoded = { count: fields.length, bytes: Buffer.concat(parts) };
      this.#fieldsCache.set(fields, encoded);
    }
    return encoded;
  }
  readonly #fieldsCache = new WeakMap<readonly Buffer[], EncodedFields>();

  /** HSET of each hash (and EXPIRE when `expireSeconds`), in one pipeline per node. */
  async hset(
    writes: ReadonlyArray<{ key: Uint8Array; fields: ReadonlyArray<[Uint8Array, Uint8Array]> }>,
    expireSeconds?: number,
  ): Promise<void> {
    await this.pipelined(
      writes.map((w) => ({
        key: w.key,
        add: (p: ChainableCommander) => {
          const args: Buffer[] = [];
          for (const [field, value] of w.fields) args.push(asBuffer(field), asBuffer(value));
          p.hset(asBuffer(w.key), ...args);
          if (expireSeconds) p.expire(asBuffer(w.key), expireSeconds);
        },
      })),
      'HSET',
    );
  }

  /**
   * Runs commands in one pipeline (standalone, Sentinel) or one pipeline per owning node (Cluster), all nodes
   * at once; returns the first reply of each command in command order.
   */
  async pipelined(
    commands: ReadonlyArray<{ key: Uint8Array; add(pipeline: ChainableCommander): void }>,
    what: string,
  ): Promise<unknown[]> {
    const client = await this.client();
    if (commands.length === 0) return [];
    this.#begin(client);
    try {
      return await this.#pipelinedOn(client, commands, what);
    } finally {
      this.#end(client);
    }
  }

  async #pipelinedOn(
    client: Redis | Cluster,
    commands: ReadonlyArray<{ key: Uint8Array; add(pipeline: ChainableCommander): void }>,
    what: string,
  ): Promise<unknown[]> {
    if (!('isCluster' in client && client.isCluster)) return this.#pipeline(client as Redis, commands, what);
    const cluster = client as Cluster;
    const replies: unknown[] = new Array(commands.length);
    // The cluster moved slots (a failover, a resharding): ioredis retries a pipeline by itself only when every
    // error in it is the same, so a pipeline over several slots would keep failing on its stale slot map. What
    // was redirected is sent again after a refresh (reads, and writes of the same values: idempotent).
    await this.#withSlotRetries(
      cluster,
      commands.length,
      undefined,
      async (pending) => {
        const groups = new Map<string, number[]>();
        for (const i of pending) {
          const owner = cluster.slots[keySlot(commands[i]!.key)]?.[0] ?? 'unknown';
          const group = groups.get(owner);
          if (group) group.push(i);
          else groups.set(owner, [i]);
        }
        const retry: number[] = [];
        let lastError: Error | undefined;
        await Promise.all(
          [...groups.values()].map(async (indexes) => {
            const part = await this.#exec(
              cluster,
              indexes.map((i) => commands[i]!),
              what,
            );
            for (const [j, i] of indexes.entries()) {
              const [error, reply] = part[j]!;
              if (!error) replies[i] = reply;
              else if (isRedirect(error)) {
                retry.push(i);
                lastError = error;
              } else throw this.#refused(what, commands[i]!.key, error);
            }
          }),
        );
        return { retry, lastError };
      },
      (i, lastError) => this.#refused(what, commands[i]!.key, lastError!),
    );
    return replies;
  }

  /**
   * The retry loop of every Redis Cluster request. `send` sends the commands at `pending` (all of them at first)
   * and answers which must go again (redirected, or their master not connected) and the last redirect seen; those
   * are sent again after a slot map refresh and a backoff, up to CLUSTER_ATTEMPTS times (then `giveUp` makes the
   * error, from the first of them), and only while `call`, when there is one, still waits.
   */
  async #withSlotRetries(
    cluster: Cluster,
    count: number,
    call: CallDeadline | undefined,
    send: (pending: readonly number[]) => Promise<{ retry: number[]; lastError: Error | undefined }>,
    giveUp: (first: number, lastError: Error | undefined, attempts: number) => Error,
  ): Promise<void> {
    let pending: readonly number[] = Array.from({ length: count }, (_, i) => i);
    for (let attempt = 1; ; attempt++) {
      const { retry, lastError } = await send(pending);
      if (retry.length === 0) return;
      // The caller already has its answer (its deadline passed): sending again would only add to the queues.
      if (call?.settled) throw ABANDONED;
      if (attempt >= CLUSTER_ATTEMPTS) throw giveUp(retry[0]!, lastError, attempt);
      // One slot map refresh per 100 ms at most, for all requests: each parses the whole map (16384 slots), and
      // during a failover every request waiting on the dead master asks for one.
      const now = performance.now();
      if (now - this.#slotsRefreshedAt >= 100) {
        this.#slotsRefreshedAt = now;
        await refreshSlots(cluster);
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(20 * 2 ** attempt, 250)));
      if (call?.settled) throw ABANDONED;
      pending = retry;
    }
  }

  #refused(what: string, key: Uint8Array, error: Error): MlopsError {
    return new MlopsError(
      `Redis refused ${what} of key 0x${hex(key)} on ${this.description}: ${this.#redactor.text(error.message)}`,
      {
        cause: this.#scrubbed(error),
      },
    );
  }

  /** One pipeline of the commands; [error, first reply] of each command, in order. */
  async #exec(
    client: Redis | Cluster,
    commands: ReadonlyArray<{ key: Uint8Array; add(pipeline: ChainableCommander): void }>,
    what: string,
  ): Promise<Array<[Error | null, unknown]>> {
    const pipeline = client.pipeline();
    const firstReply: number[] = [];
    for (const command of commands) {
      firstReply.push(pipeline.length);
      command.add(pipeline);
    }
    let results: Array<[Error | null, unknown]> | null;
    try {
      results = await pipeline.exec();
    } catch (cause) {
      throw new ConnectionError({
        service: 'redis',
        method: `${what} pipeline`,
        url: this.description,
        cause: this.#scrubbed(cause),
      });
    }
    if (!results)
      throw new ConnectionError({ service: 'redis', method: `${what} pipeline`, url: this.description });
    // A command's error is the first error among its replies (HSET then EXPIRE).
    return firstReply.map((start, c) => {
      const end = firstReply[c + 1] ?? results.length;
      for (let i = start; i < end; i++) if (results[i]![0]) return [results[i]![0], undefined];
      return results[start]!;
    });
  }

  async #pipeline(
    client: Redis | Cluster,
    commands: ReadonlyArray<{ key: Uint8Array; add(pipeline: ChainableCommander): void }>,
    what: string,
  ): Promise<unknown[]> {
    const results = await this.#exec(client, commands, what);
    return results.map(([error, reply], i) => {
      if (error) throw this.#refused(what, commands[i]!.key, error);
      return reply;
    });
  }

  async close(): Promise<void> {
    const client = this.#client;
    this.#client = undefined;
    if (!client) return;
    // QUIT waits for its answer: the idle (unref'd) sockets must hold the process until it comes.
    this.#hold(client, true);
    await client.quit().catch(() => client.disconnect());
  }
}

const CRLF = Buffer.from('\r\n', 'latin1');

interface EncodedFields {
  count: number;
  bytes: Buffer;
}

type HmgetClass = new (key: Buffer, bytes: Buffer) => Command;

/**
 * ioredis' Command for an HMGET whose RESP bytes we wrote (encodeHmget): ioredis queues it, matches its reply
 * and resolves its promise as for any command (Buffer replies), but sends our bytes instead of encoding each
 * argument again. Its args hold the key only (what ioredis reads of them: the key, for slots and debugging).
 */
function hmgetClass(CommandClass: typeof Command): HmgetClass {
  return class EncodedHmget extends CommandClass {
    readonly #bytes: Buffer;
    constructor(key: Buffer, bytes: Buffer) {
      super('hmget', [key], { replyEncoding: null });
      this.#bytes = bytes;
    }
    override toWritable(): Buffer {
      return this.#bytes;
    }
  };
}

/** `HMGET key field...` in RESP: `*<n+2>`, `$5 HMGET`, the key, then the fields' bulk strings. */
function encodeHmget(key: Buffer, fields: EncodedFields): Buffer {
  const head = `*${fields.count + 2}\r\n$5\r\nHMGET\r\n$${key.length}\r\n`;
  const out = Buffer.allocUnsafe(head.length + key.length + 2 + fields.bytes.length);
  let at = out.write(head, 0, 'latin1');
  at += key.copy(out, at);
  out[at++] = 0x0d;
  out[at++] = 0x0a;
  fields.bytes.copy(out, at);
  return out;
}

/** The i-th key across groups. */
function keyAt(keys: ReadonlyArray<readonly Buffer[]>, i: number): Buffer {
  let at = i;
  for (const group of keys) {
    if (at < group.length) return group[at]!;
    at -= group.length;
  }
  return Buffer.alloc(0);
}

/** How many times a cluster pipeline is sent when slots keep moving under it (each after a slot map refresh). */
const CLUSTER_ATTEMPTS = 6;

/** Errors that mean "this key is served elsewhere now, or soon": worth a slot map refresh and another try. */
function isRedirect(error: Error): boolean {
  return (
    /^(MOVED|ASK|TRYAGAIN|CLUSTERDOWN)\b/.test(error.message) ||
    /Connection is closed|ECONNREFUSED|ECONNRESET|max retries per request|Stream isn't writeable/.test(
      error.message,
    )
  );
}

/** Asks the cluster for its slot map again (ioredis coalesces concurrent refreshes into one). */
function refreshSlots(cluster: Cluster): Promise<void> {
  return new Promise((resolve) => {
    cluster.refreshSlotsCache(() => resolve());
  });
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/**
 * The Redis Cluster slot of a binary key: CRC16-XMODEM of the key (or its {hash tag}) mod 16384, exactly as
 * Redis's keyHashSlot: the tag is what stands between the first `{` and the first `}` after it, and an empty
 * tag (`{}`) means the whole key. Not the `cluster-key-slot` package: it is archived, and its 1.1.x hashes
 * what follows an empty tag (ioredis 6 vendors a patched copy instead of depending on it). Feast's keys are
 * binary, so any pair of bytes 0x7b 0x7d can occur; the test compares with the cluster's CLUSTER KEYSLOT.
 */
export function keySlot(key: Uint8Array): number {
  let start = 0;
  let end = key.length;
  const open = key.indexOf(0x7b);
  if (open >= 0) {
    const close = key.indexOf(0x7d, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++) {
    crc = ((crc << 8) ^ CRC16_TABLE[((crc >> 8) ^ key[i]!) & 0xff]!) & 0xffff;
  }
  return crc & 0x3fff;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i << 8;
    for (let j = 0; j < 8; j++) c = c & 0x8000 ? (c << 1) ^ 0x1021 : c << 1;
    table[i] = c & 0xffff;
  }
  return table;
})();
