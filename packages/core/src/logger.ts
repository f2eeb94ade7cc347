/**
 * Logging is off unless a logger is passed. Anything with debug/info/warn/error methods works:
 * `console`, pino, winston. Records carry method, redacted URL, status, attempt and timings; never
 * headers, bodies or credentials.
 */
export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const noop = (): void => {};

/** The logger used when none is given: drops everything. */
export const silentLogger: Logger = Object.freeze({ debug: noop, info: noop, warn: noop, error: noop });
