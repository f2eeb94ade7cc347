import { type ICreateToxicBody, Toxiproxy } from 'toxiproxy-node-client';
import { readPins } from '../../../scripts/pins.mjs';

const pins: Record<string, string> = readPins();
export const toxiproxyUrl = `http://127.0.0.1:${pins.TOXIPROXY_PORT}`;

export type ToxicType =
  | 'latency'
  | 'bandwidth'
  | 'slow_close'
  | 'timeout'
  | 'reset_peer'
  | 'slicer'
  | 'limit_data';

/**
 * A Toxiproxy proxy in front of one upstream, on a port Toxiproxy picks: `port` is where clients connect.
 * Faults: `toxic(...)` (removed with its returned function), `disable()`/`enable()` (the upstream is
 * unreachable: connections are refused and open ones closed). `remove()` deletes the proxy.
 */
export interface FaultProxy {
  readonly port: number;
  toxic(
    type: ToxicType,
    attributes: Record<string, number>,
    stream?: 'upstream' | 'downstream',
  ): Promise<() => Promise<void>>;
  disable(): Promise<void>;
  enable(): Promise<void>;
  remove(): Promise<void>;
}

export async function faultProxy(name: string, upstreamPort: number): Promise<FaultProxy> {
  const toxiproxy = new Toxiproxy(toxiproxyUrl);
  const unique = `${name}-${process.pid}-${Date.now().toString(36)}`;
  let proxy = await toxiproxy
    .createProxy({ name: unique, listen: '127.0.0.1:0', upstream: `127.0.0.1:${upstreamPort}` })
    .catch((error: unknown) => {
      throw new Error(
        `Toxiproxy is not reachable at ${toxiproxyUrl}: start it with \`pnpm platform up toxiproxy\` (${String(error)})`,
      );
    });
  const port = Number(proxy.listen.split(':').pop());
  let toxics = 0;
  return {
    port,
    async toxic(type, attributes, stream = 'downstream') {
      const body: ICreateToxicBody<Record<string, number>> = {
        name: `${type}-${++toxics}`,
        type,
        stream,
        toxicity: 1,
        attributes,
      };
      const toxic = await proxy.addToxic(body);
      return () => toxic.remove();
    },
    async disable() {
      proxy = await proxy.update({ enabled: false, listen: proxy.listen, upstream: proxy.upstream });
    },
    async enable() {
      proxy = await proxy.update({ enabled: true, listen: proxy.listen, upstream: proxy.upstream });
    },
    remove: () => proxy.remove(),
  };
}
