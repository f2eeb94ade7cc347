/**
 * A fetch over node:http(s) with keep-alive, for the feature server. Two reasons: the fetch standard refuses
 * port 6566, Feast's default (a "bad port"), and a kept-alive agent saves a connection per call. Works on
 * Node, Bun and Deno (their node:http). The body is buffered; the signal aborts the request.
 */
export function nodeHttpFetch(options: { maxSockets?: number } = {}): typeof fetch {
  let agents: Promise<{ http: import('node:http').Agent; https: import('node:https').Agent }> | undefined;
  const getAgents = () => {
    agents ??= Promise.all([import('node:http'), import('node:https')]).then(([http, https]) => ({
      http: new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 }),
      https: new https.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 16 }),
    }));
    return agents;
  };
  const fetchImpl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const request = new Request(input, init);
    const body = request.body ? Buffer.from(await request.arrayBuffer()) : undefined;
    const url = new URL(request.url);
    const secure = url.protocol === 'https:';
    const [{ http, https }, module] = await Promise.all([
      getAgents(),
      secure ? import('node:https') : import('node:http'),
    ]);
    return await new Promise<Response>((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [name, value] of request.headers) headers[name] = value;
      if (body) headers['content-length'] = String(body.length);
      const outgoing = module.request(
        url,
        { method: request.method, headers, agent: secure ? https : http, signal: request.signal },
        (incoming) => {
          const chunks: Buffer[] = [];
          incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
          incoming.on('error', reject);
          incoming.on('end', () => {
            const responseHeaders = new Headers();
            for (const [name, value] of Object.entries(incoming.headers)) {
              if (value !== undefined)
                responseHeaders.set(name, Array.isArray(value) ? value.join(', ') : value);
            }
            const status = incoming.statusCode ?? 0;
            const nullBody = status === 204 || status === 205 || status === 304;
            resolve(
              new Response(nullBody ? null : Buffer.concat(chunks), {
                status,
                statusText: incoming.statusMessage ?? '',
                headers: responseHeaders,
              }),
            );
          });
        },
      );
      outgoing.on('error', (error: Error) =>
        reject(
          request.signal.aborted ? request.signal.reason : new TypeError('fetch failed', { cause: error }),
        ),
      );
      outgoing.end(body);
    });
  };
  return fetchImpl as typeof fetch;
}
