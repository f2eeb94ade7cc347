import { spawnSync } from 'node:child_process';
import { Redis } from 'ioredis';
import { freePort, ServerProcess, waitUntil } from './processes';

/** A private standalone Redis on a free port, for tests that fault it (`persist`: survives SIGKILL). */
export async function privateRedis(
  options: { persist?: boolean } = {},
): Promise<ServerProcess & { port: number }> {
  const port = await freePort();
  const ping = async () => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  };
  const server = new ServerProcess(
    `redis-${port}`,
    'redis-server',
    (dir) => [
      ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''],
      // persist: every write in the append-only file before it is acknowledged, so a SIGKILL loses nothing.
      ...(options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no']),
    ],
    ping,
  );
  await server.start().catch((error: unknown) => {
    throw new Error(
      `could not start a private redis-server (Debian package redis-server, installed by \`pnpm platform up redis\`): ${String(error)}`,
    );
  });
  return Object.assign(server, { port });
}

/**
 * A private Redis Cluster of `masters` masters with one replica each (cluster-node-timeout 1 s, so a killed
 * master's replica takes over within a few seconds), every node persisted like privateRedis({ persist: true }).
 * `master(slotOwnerOf)` finds the node serving a key's slot.
 */
export async function privateCluster(masters = 3): Promise<{
  nodes: Array<ServerProcess & { port: number }>;
  connectionString: string;
  /** The node process that is master of `slot` right now (asked of the cluster). */
  masterOf(slot: number): Promise<ServerProcess & { port: number }>;
  /** Resolves when every slot is served and the cluster says ok. */
  healthy(): Promise<boolean>;
  stop(): Promise<void>;
}> {
  const nodes: Array<ServerProcess & { port: number }> = [];
  const ask = async (port: number, ...command: string[]): Promise<unknown> => {
    const client = new Redis({
      host: '127.0.0.1',
      port,
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    client.on('error', () => {});
    try {
      await client.connect();
      return await client.call(command[0]!, ...command.slice(1));
    } finally {
      client.disconnect();
    }
  };
  try {
    for (let i = 0; i < masters * 2; i++) {
      const port = await freePort();
      const server = new ServerProcess(
        `redis-cluster-${port}`,
        'redis-server',
        (dir) => [
          ...['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, '--save', ''],
          ...['--appendonly', 'yes', '--appendfsync', 'always'],
          ...[
            '--cluster-enabled',
            'yes',
            '--cluster-config-file',
            'nodes.conf',
            '--cluster-node-timeout',
            '1000',
          ],
        ],
        async () => (await ask(port, 'PING')) === 'PONG',
      );
      await server.start();
      nodes.push(Object.assign(server, { port }));
    }
    const create = spawnSync(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...nodes.map((n) => `127.0.0.1:${n.port}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    if (create.status !== 0)
      throw new Error(`redis-cli --cluster create failed: ${create.stdout}${create.stderr}`);
  } catch (error) {
    await Promise.all(nodes.map((n) => n.stop()));
    throw error;
  }
  const alive = async (): Promise<number> => {
    for (const node of nodes) {
      if (await ask(node.port, 'PING').catch(() => false)) return node.port;
    }
    throw new Error('no node of the private cluster answers');
  };
  const healthy = async () => {
    const info = String(await ask(await alive(), 'CLUSTER', 'INFO'));
    return /cluster_state:ok/.test(info) && /cluster_slots_ok:16384/.test(info);
  };
  // A replica can take over only once it has synced with its master: wait for every link to be up.
  const synced = async () => {
    let replicas = 0;
    for (const node of nodes) {
      const info = String(await ask(node.port, 'INFO', 'replication'));
      if (!/role:slave/.test(info)) continue;
      if (!/master_link_status:up/.test(info)) return false;
      replicas++;
    }
    return replicas === masters;
  };
  await waitUntil('private redis cluster', async () => (await healthy()) && (await synced()), 30_000);
  return {
    nodes,
    connectionString: nodes.map((n) => `127.0.0.1:${n.port}`).join(','),
    async masterOf(slot) {
      const slots = (await ask(await alive(), 'CLUSTER', 'SLOTS')) as Array<
        [number, number, [string, number]]
      >;
      const range = slots.find(([from, to]) => slot >= from && slot <= to);
      const node = nodes.find((n) => n.port === range?.[2][1]);
      if (!node) throw new Error(`no master serves slot ${slot}`);
      return node;
    },
    healthy,
    stop: async () => {
      await Promise.all(nodes.map((n) => n.stop()));
    },
  };
}
