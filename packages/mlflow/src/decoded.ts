import { DecodeError, MlopsError } from '@mlops/core';

/**
 * Reads an MLflow answer into our types. The generated types say what MLflow sends; an answer of another
 * shape (a list where an object belongs, a number for a list) would otherwise surface as a TypeError from
 * deep inside the reading: it is a DecodeError naming what was being read instead. Our own errors pass.
 */
export function decoded<T>(what: string, read: () => T): T {
  try {
    return read();
  } catch (cause) {
    if (MlopsError.isInstance(cause)) throw cause;
    throw new DecodeError(
      { what: `MLflow ${what}`, source: 'MLflow', cause },
      `MLflow answered with a ${what} of an unexpected shape (${cause instanceof Error ? cause.message : String(cause)}); is the tracking URI an MLflow server of a supported version?`,
    );
  }
}

/** A next_page_token as MLflow sends it: text, or none (absent, null or empty). Anything else is a DecodeError. */
export function wireToken(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') return value;
  throw new DecodeError(
    { what: 'MLflow page token', source: 'MLflow', field: 'next_page_token' },
    `MLflow answered a next_page_token that is not text (${typeof value}).`,
  );
}
