/**
 * Keeps credentials out of everything that leaves the client: error messages, error bodies, logs, JSON.
 * Two layers: URLs lose their userinfo and the values of sensitive query parameters, and every string
 * is scrubbed of the literal secrets the client knows (tokens, passwords), wherever they appear.
 */

export const REDACTED = '[REDACTED]';

/** Query parameters whose values are credentials. Compared case-insensitively. */
const SENSITIVE_PARAMS = new Set([
  'token',
  'access_token',
  'refresh_token',
  'id_token',
  'api_key',
  'apikey',
  'key',
  'password',
  'passwd',
  'secret',
  'client_secret',
  'signature',
  'sig',
  'x-amz-signature',
  'x-amz-credential',
  'x-amz-security-token',
  'auth',
  'authorization',
  'session',
]);

/** Header names whose values are credentials. */
export const SENSITIVE_HEADERS = new Set([
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api-key',
  'x-auth-token',
]);

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remembers a secret so that any string containing it is scrubbed. Short values are ignored. */
  addSecret(secret: string | undefined | null): void {
    if (typeof secret !== 'string') return;
    // A one or two character "secret" would shred every message; such values are not credentials.
    if (secret.length < 4) return;
    this.#secrets.add(secret);
    // Also the forms it takes on the wire.
    this.#secrets.add(encodeURIComponent(secret));
  }

  /**
   * Remembers the value of a credential header, and the credential inside it: the token of
   * "Bearer <token>", the password of "Basic <base64 user:password>".
   */
  addCredentialHeader(value: string): void {
    this.addSecret(value);
    const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(value);
    const scheme = match?.[1];
    const credential = match?.[2];
    if (scheme === undefined || credential === undefined) return;
    this.addSecret(credential);
    if (scheme.toLowerCase() === 'basic') {
      try {
        const decoded = new TextDecoder().decode(Uint8Array.from(atob(credential), (c) => c.charCodeAt(0)));
        const colon = decoded.indexOf(':');
        if (colon >= 0) this.addSecret(decoded.slice(colon + 1));
      } catch {
        // Not base64: the whole credential is remembered already.
      }
    }
  }

  /** Scrubs known secrets from a string. */
  text(value: string): string {
    let out = value;
    for (const secret of this.#secrets) {
      if (out.includes(secret)) out = out.split(secret).join(REDACTED);
    }
    return out;
  }

  /** A URL without userinfo or sensitive query values, then scrubbed of known secrets. */
  url(value: string | URL): string {
    return this.text(redactUrl(value));
  }

  /** Deep copy of a JSON-like value with every string scrubbed and sensitive keys blanked. */
  value<T>(input: T): T {
    return this.#value(input, 0) as T;
  }

  #value(input: unknown, depth: number): unknown {
    if (typeof input === 'string') return this.text(input);
    if (input === null || typeof input !== 'object' || depth > 32) return input;
    if (Array.isArray(input)) return input.map((item) => this.#value(item, depth + 1));
    if (input instanceof Uint8Array || input instanceof ArrayBuffer) return input;
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) {
      out[key] =
        isSensitiveKey(key) && item !== null && item !== undefined ? REDACTED : this.#value(item, depth + 1);
    }
    return out;
  }
}

function isSensitiveKey(key: string): boolean {
  const lower = key.toLowerCase();
  return (
    SENSITIVE_HEADERS.has(lower) ||
    lower === 'password' ||
    lower === 'token' ||
    lower === 'access_token' ||
    lower === 'refresh_token' ||
    lower === 'secret' ||
    lower === 'client_secret'
  );
}

/** Removes userinfo and the values of sensitive query parameters from a URL. Leaves non-URLs alone. */
export function redactUrl(value: string | URL): string {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    return String(value);
  }
  if (url.username || url.password) {
    url.username = url.username ? 'REDACTED' : '';
    url.password = url.password ? 'REDACTED' : '';
  }
  let changed = false;
  for (const name of [...url.searchParams.keys()]) {
    if (SENSITIVE_PARAMS.has(name.toLowerCase())) {
      url.searchParams.set(name, REDACTED);
      changed = true;
    }
  }
  const text = url.toString();
  // URLSearchParams re-encodes the placeholder; keep it readable.
  return changed ? text.replaceAll(encodeURIComponent(REDACTED), REDACTED) : text;
}
