/**
 * Tokens for the Airflow API. With a username and password the client exchanges them for a JWT at
 * `POST /auth/token` (the simple auth manager's and the FAB auth manager's endpoint: both take
 * `{ username, password }` and answer 201 `{ access_token }`), keeps it, and gets a new one before its
 * `exp` (a tenth of its lifetime before, at most a minute) and once more when the server answers 401.
 * Airflow has no refresh endpoint: renewing is logging in again. Concurrent calls share one login.
 *
 * A token Airflow can no longer verify (signed with a secret it does not have: an api-server restarted without
 * a fixed `[api_auth] jwt_secret` makes a new one, and every token it issued before is void) is answered 403
 * `{"detail": "Invalid JWT token"}`, not 401, by both auth managers in 3.3.2. That 403 also gets one login
 * and one replay (`isStaleTokenRejection`); any other 403 is a permission answer and is raised at once.
 */
import {
  AuthenticationError,
  type AuthRejection,
  createHttpClient,
  type HttpClient,
  type Logger,
} from '@mlops/core';
import type { AirflowCredentials } from './config';
import type { paths as authPaths } from './generated/simple-auth';
import { PACKAGE_NAME, PACKAGE_VERSION } from './version';

/** A clock in ms since the epoch; injectable so that token expiry can be tested without waiting. */
export type Clock = () => number;

interface Cached {
  readonly token: string;
  /** When to stop using it (ms since the epoch), before its exp; Infinity when it has no exp. */
  readonly renewAt: number;
}

export class TokenSource {
  readonly #credentials: AirflowCredentials;
  readonly #http: HttpClient<authPaths> | undefined;
  readonly #now: Clock;
  #cached: Cached | undefined;
  #inFlight: Promise<Cached> | undefined;
  /** How many tokens were fetched from /auth/token: for tests and the benchmark's request counts. */
  logins = 0;

  constructor(
    credentials: AirflowCredentials,
    init: {
      baseUrl: string;
      now: Clock;
      fetch?: typeof fetch | undefined;
      logger?: Logger | undefined;
      headers?: Record<string, string> | undefined;
      attemptTimeoutMs: number;
      maxRetries: number;
    },
  ) {
    this.#credentials = credentials;
    this.#now = init.now;
    if (credentials.type === 'password') {
      this.#http = createHttpClient<authPaths>({
        service: 'airflow',
        baseUrl: init.baseUrl,
        sdk: { name: PACKAGE_NAME, version: PACKAGE_VERSION },
        retry: { maxRetries: init.maxRetries },
        attemptTimeoutMs: init.attemptTimeoutMs,
        // The password travels in the login body: a server that echoes it back must not put it in our errors.
        secrets: [credentials.password],
        ...(init.fetch ? { fetch: init.fetch } : {}),
        ...(init.logger ? { logger: init.logger } : {}),
        ...(init.headers ? { headers: init.headers } : {}),
      });
    }
  }

  /** The bearer token for the next request; a fresh one when `forceRefresh` (after a 401) or near its exp. */
  async token(request: { forceRefresh: boolean; signal?: AbortSignal | undefined }): Promise<string> {
    const credentials = this.#credentials;
    if (credentials.type === 'token') return credentials.token;
    const cached = this.#cached;
    if (!request.forceRefresh && cached !== undefined && this.#now() < cached.renewAt) return cached.token;
    // One login for every call that needs a token now (a login under way is newer than any rejected token).
    if (this.#inFlight === undefined) {
      const login = this.#login(credentials, request.signal).finally(() => {
        if (this.#inFlight === login) this.#inFlight = undefined;
      });
      this.#inFlight = login;
    }
    return (await this.#inFlight).token;
  }

  async #login(
    credentials: Extract<AirflowCredentials, { type: 'password' }>,
    signal: AbortSignal | undefined,
  ): Promise<Cached> {
    const http = this.#http;
    if (http === undefined) throw new Error('unreachable: a password login without an auth client');
    this.#cached = undefined;
    let body: authPaths['/auth/token']['post']['responses'][201]['content']['application/json'];
    try {
      body = await http.post('/auth/token', {
        body: { username: credentials.username, password: credentials.password },
        // Logging in twice is harmless: retried like a GET.
        idempotent: true,
        signal,
      });
    } catch (error) {
      if (AuthenticationError.isInstance(error)) {
        throw new AuthenticationError(
          { ...errorInit(error) },
          `Airflow rejected the username and password of user ${JSON.stringify(credentials.username)} at POST /auth/token (401). Check the username and password options (or AIRFLOW_USERNAME / AIRFLOW_PASSWORD), or pass a token.`,
        );
      }
      throw error;
    }
    this.logins++;
    const token = body.access_token;
    const claims = jwtClaims(token);
    const now = this.#now();
    let renewAt = Number.POSITIVE_INFINITY;
    if (typeof claims.exp === 'number') {
      const expMs = claims.exp * 1000;
      const issuedMs = typeof claims.iat === 'number' ? claims.iat * 1000 : now;
      const margin = Math.min(60_000, Math.max(0, (expMs - issuedMs) / 10));
      renewAt = expMs - margin;
    }
    const cached = { token, renewAt };
    this.#cached = cached;
    return cached;
  }

  toJSON(): Record<string, unknown> {
    return { type: this.#credentials.type };
  }
}

function errorInit(error: AuthenticationError) {
  return {
    status: error.status,
    service: error.service,
    method: error.method,
    url: error.url,
    body: error.body,
    requestId: error.requestId,
    attempts: error.attempts,
  };
}

/** A rejection that means "log in again", besides 401: Airflow's 403 for a JWT it cannot verify. */
export function isStaleTokenRejection(rejection: AuthRejection): boolean {
  if (rejection.status !== 403) return false;
  const body = rejection.body;
  return typeof body === 'object' && body !== null && 'detail' in body && body.detail === 'Invalid JWT token';
}

/** The claims of a JWT, read without verifying it (only exp and iat are used, to schedule renewal). */
export function jwtClaims(token: string): { exp?: unknown; iat?: unknown } {
  const payload = token.split('.')[1];
  if (payload === undefined) return {};
  try {
    const base64 = payload.replace(/-/g, '+').replace(/_/g, '/');
    const json = new TextDecoder().decode(Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? claims : {};
  } catch {
    return {};
  }
}
