import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './platform';

/** The running Airflow's `[api_auth] jwt_secret` (the platform's fixed test secret, from its airflow.cfg). */
export function platformJwtSecret(): string {
  const cfg = readFileSync(join(root, 'platform/.state/data/airflow/airflow.cfg'), 'utf8');
  const secret = /^jwt_secret\s*=\s*(.+)$/m.exec(cfg)?.[1]?.trim();
  if (!secret) throw new Error("no jwt_secret in the platform's airflow.cfg");
  return secret;
}

const b64url = (value: string | Buffer) => Buffer.from(value).toString('base64url');

/**
 * A JWT the real Airflow accepts (HS512 over its secret, the claims its /auth/token issues) that expires
 * `lifetimeSeconds` from now (negative: expired that long ago, beyond Airflow's 10 s leeway): a short-lived
 * token without reconfiguring the shared server.
 */
export function shortLivedToken(lifetimeSeconds: number, secret = platformJwtSecret()): string {
  const now = Math.floor(Date.now() / 1000);
  const header = b64url(JSON.stringify({ alg: 'HS512', kid: 'not-used', typ: 'JWT' }));
  const payload = b64url(
    JSON.stringify({
      sub: 'admin',
      role: 'admin',
      teams: [],
      jti: randomUUID().replaceAll('-', ''),
      aud: 'apache-airflow',
      // An already expired token (negative lifetime) was issued in the past.
      nbf: now - Math.max(0, -lifetimeSeconds) - 100,
      iat: now - Math.max(0, -lifetimeSeconds) - 100,
      exp: now + lifetimeSeconds,
    }),
  );
  const signature = createHmac('sha512', secret).update(`${header}.${payload}`).digest('base64url');
  return `${header}.${payload}.${signature}`;
}

/** A fetch that answers the first `n` POST /auth/token with `token` instead of asking Airflow, and counts logins. */
export function tokenSwappingFetch(tokens: string[]): typeof fetch & { logins: number; requests: string[] } {
  const queue = [...tokens];
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const path = new URL(request.url).pathname;
    wrapped.requests.push(`${request.method} ${path}`);
    if (request.method === 'POST' && path === '/auth/token') {
      wrapped.logins++;
      const token = queue.shift();
      if (token !== undefined) {
        return new Response(JSON.stringify({ access_token: token }), {
          status: 201,
          headers: { 'content-type': 'application/json' },
        });
      }
    }
    return fetch(request);
  };
  wrapped.logins = 0;
  wrapped.requests = [] as string[];
  return wrapped as typeof fetch & { logins: number; requests: string[] };
}
