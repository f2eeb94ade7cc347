import { Redis } from 'ioredis';
import { freePort, ServerProcess } from './processes';

/** A private standalone Redis on a free port, for tests that fault it (`persist`: survives SIGKILL). */
export async function privateRedis(
  options: { persist?: boolean } = {},
): Promise<ServerProcess & { port: number }> {
  const port = await freePort();
  const ping = async () => {
    const client = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
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
