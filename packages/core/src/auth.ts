import type { Redactor } from './redact';

/** What a token provider is told: `forceRefresh` after the server rejected the last token with 401. */
export interface TokenRequest {
  forceRefresh: boolean;
  signal?: AbortSignal | undefined;
}

export type TokenProvider = (request: TokenRequest) => string | Promise<string>;

/** A rejection other than 401 that a token provider's service may give a stale token (see `refreshOn`). */
export interface AuthRejection {
  /** The HTTP status (401 always refreshes and is never passed here). */
  readonly status: number;
  /** The response body as read for the error: parsed JSON, text, or undefined. */
  readonly body: unknown;
}

/**
 * - `{ type: 'bearer', token: 'abc' }`: a static token.
 * - `{ type: 'bearer', token: async ({ forceRefresh }) => ... }`: a provider, asked once per call (cache in it
 *   if fetching is costly) and once more with `forceRefresh: true` when the server answers 401; the call is
 *   then replayed once with the new token.
 *   `refreshOn` names other rejections that mean "this token is no longer good" (Airflow answers 403
 *   "Invalid JWT token" to a token signed with a secret it no longer has): they get the same single refresh
 *   and replay. Only for a provider; a 401 always qualifies.
 * - `{ type: 'basic', username, password }`: HTTP basic auth.
 */
export type AuthOption =
  | { type: 'bearer'; token: string | TokenProvider; refreshOn?: (rejection: AuthRejection) => boolean }
  | { type: 'basic'; username: string; password: string };

/** Applies credentials to requests. Holds them privately: they never reach errors, logs or JSON. */
export class Authenticator {
  readonly #auth: AuthOption | undefined;
  readonly #redactor: Redactor;

  constructor(auth: AuthOption | undefined, redactor: Redactor) {
    this.#auth = auth;
    this.#redactor = redactor;
    if (auth?.type === 'bearer' && typeof auth.token === 'string') redactor.addSecret(auth.token);
    if (auth?.type === 'basic') {
      redactor.addSecret(auth.password);
      redactor.addSecret(encodeBasic(auth.username, auth.password));
    }
  }

  /** True when a 401 can be answered by asking the provider for a fresh token. */
  get canRefresh(): boolean {
    return this.#auth?.type === 'bearer' && typeof this.#auth.token === 'function';
  }

  /**
   * The Authorization value when it never changes (basic credentials, a static token), so a client can
   * merge it into its default headers once; undefined for a token provider or no auth.
   */
  get staticHeader(): string | undefined {
    const auth = this.#auth;
    if (auth?.type === 'basic') return `Basic ${encodeBasic(auth.username, auth.password)}`;
    if (auth?.type === 'bearer' && typeof auth.token === 'string') return `Bearer ${auth.token}`;
    return undefined;
  }

  /** True when this non-401 rejection should be answered like a 401: one fresh token and one replay. */
  refreshesOn(rejection: AuthRejection): boolean {
    const auth = this.#auth;
    if (auth?.type !== 'bearer' || typeof auth.token !== 'function' || auth.refreshOn === undefined)
      return false;
    try {
      return auth.refreshOn(rejection) === true;
    } catch {
      return false;
    }
  }

  /** Sets the Authorization header, unless the caller set one on this request. */
  async apply(headers: Headers, request: TokenRequest): Promise<void> {
    const auth = this.#auth;
    if (!auth || headers.has('authorization')) return;
    if (auth.type === 'basic') {
      headers.set('authorization', `Basic ${encodeBasic(auth.username, auth.password)}`);
      return;
    }
    const token = typeof auth.token === 'function' ? await auth.token(request) : auth.token;
    this.#redactor.addSecret(token);
    headers.set('authorization', `Bearer ${token}`);
  }

  toJSON(): Record<string, unknown> {
    return { type: this.#auth?.type ?? 'none' };
  }

  toString(): string {
    return `Authenticator(${this.#auth?.type ?? 'none'})`;
  }
}

function encodeBasic(username: string, password: string): string {
  const bytes = new TextEncoder().encode(`${username}:${password}`);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}
