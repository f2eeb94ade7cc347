// Types only: the ready-made fields validate without zod, so importing the SDKs never loads it (cold start).
import type { z } from 'zod';
import { type EnvSource, readEnv } from './env';
import { ConfigError } from './errors';

/**
 * One setting of a component's client: resolved from the option passed in code, else the component's own
 * environment variable(s), else the default; then validated. A bad value raises a ConfigError naming the
 * option, the environment variable and where the value came from.
 */
export interface ConfigField<T> {
  /**
   * Validates (and may transform) the value, whichever source it came from: a zod schema (an SDK's own
   * fields), used when there is no `check`.
   */
  schema?: z.ZodType<T>;
  /**
   * Validates (and may transform) the value without zod: the ready-made fields of configField use it, so
   * resolving a config loads no validation library. Give this or `schema`.
   */
  check?: (value: unknown) => ConfigCheck<T>;
  /** Environment variables that can set it, first set one wins (e.g. ['MLFLOW_TRACKING_URI']). */
  env?: readonly string[];
  /** Turns an environment variable's text into the value the schema expects (numbers, booleans). */
  fromEnv?: (text: string) => unknown;
  /** The value when neither option nor environment sets it. Absent: the setting is optional. */
  default?: T;
  /** Required: a missing value is a ConfigError. */
  required?: boolean;
  /** Credentials: their values never appear in errors. */
  secret?: boolean;
  /** What a valid value looks like, for error messages: "a URL such as http://127.0.0.1:5000". */
  expected?: string;
}

/** What a field's `check` says of a value: the value to use, or what is wrong with it. */
export type ConfigCheck<T> = { ok: true; value: T } | { ok: false; message: string };

type FieldValue<F> =
  F extends ConfigField<infer T>
    ? F extends { default: unknown } | { required: true }
      ? T
      : T | undefined
    : never;

/** The resolved settings of a spec. */
export type ConfigValues<S extends Record<string, ConfigField<unknown>>> = {
  [K in keyof S]: FieldValue<S[K]>;
};

/** The options object a spec accepts: every setting optional, typed as the schema's input. */
export type ConfigOptions<S extends Record<string, ConfigField<unknown>>> = {
  [K in keyof S]?: S[K] extends ConfigField<infer T> ? T : never;
};

export interface ResolveConfigContext {
  /** Who is being configured, for messages: '@mlops/mlflow'. */
  service: string;
  /** Where environment variables come from; the process environment by default. */
  env?: EnvSource;
}

/**
 * Resolves every field of `spec`: option → environment variable → default.
 *
 * ```ts
 * const spec = {
 *   trackingUri: configField.url({ env: ['MLFLOW_TRACKING_URI'], default: 'http://127.0.0.1:5000' }),
 *   token: configField.secret({ env: ['MLFLOW_TRACKING_TOKEN'] }),
 * };
 * const config = resolveConfig(spec, options, { service: '@mlops/mlflow' });
 * ```
 */
export function resolveConfig<S extends Record<string, ConfigField<unknown>>>(
  spec: S,
  options: ConfigOptions<S> | undefined,
  context: ResolveConfigContext,
): ConfigValues<S> {
  const env = context.env ?? readEnv;
  const out: Record<string, unknown> = {};
  for (const [option, field] of Object.entries(spec)) {
    const envVars = field.env ?? [];
    let raw: unknown;
    let source: 'option' | 'env' | 'default' | undefined;
    let envVar: string | undefined;
    const given = (options as Record<string, unknown> | undefined)?.[option];
    if (given !== undefined) {
      raw = given;
      source = 'option';
    } else {
      for (const name of envVars) {
        const text = env(name);
        if (text !== undefined) {
          raw = field.fromEnv ? field.fromEnv(text) : text;
          source = 'env';
          envVar = name;
          break;
        }
      }
      if (source === undefined && field.default !== undefined) {
        raw = field.default;
        source = 'default';
      }
    }
    if (raw === undefined) {
      if (field.required) {
        throw new ConfigError(
          `${context.service}: "${option}" is required${field.expected ? ` (${field.expected})` : ''}. Pass the ${option} option${envVars.length ? ` or set ${listOr(envVars)}` : ''}.`,
          { option, envVars },
        );
      }
      out[option] = undefined;
      continue;
    }
    const parsed = checkValue(field, raw, option);
    if (!parsed.ok) {
      const issue = parsed.message;
      const shown = field.secret ? '' : ` (${JSON.stringify(typeof raw === 'string' ? raw : String(raw))})`;
      const from =
        source === 'env'
          ? `the environment variable ${envVar}${shown}`
          : source === 'option'
            ? `the option "${option}"${shown}`
            : `the default of "${option}"${shown}`;
      const fix =
        source === 'env'
          ? `Fix or unset ${envVar}, or pass the ${option} option.`
          : `Pass a valid ${option} option${envVars.length ? ` (or set ${listOr(envVars)})` : ''}.`;
      throw new ConfigError(
        `${context.service}: ${from} is not valid for "${option}": ${issue}${field.expected ? `; expected ${field.expected}` : ''}. ${fix}`,
        { option, envVars, source, envVar },
      );
    }
    out[option] = parsed.value;
  }
  return out as ConfigValues<S>;
}

function checkValue<T>(field: ConfigField<T>, raw: unknown, option: string): ConfigCheck<T> {
  if (field.check) return field.check(raw);
  if (!field.schema) {
    throw new ConfigError(`The config field "${option}" has neither a check nor a schema.`, { option });
  }
  const parsed = field.schema.safeParse(raw);
  return parsed.success
    ? { ok: true, value: parsed.data }
    : { ok: false, message: parsed.error.issues[0]?.message ?? 'invalid value' };
}

// The checks of the ready-made fields: the same rules and messages as the zod schemas they replace
// (z.string(), z.number() — which refuses NaN and ±Infinity —, .int(), .min(), z.boolean(), z.enum()).
const ok = <T>(value: T): ConfigCheck<T> => ({ ok: true, value });
const fail = <T>(message: string): ConfigCheck<T> => ({ ok: false, message });

/** The type zod names in "expected string, received …". */
function receivedType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (typeof value === 'object') {
    const name = Object.getPrototypeOf(value)?.constructor?.name;
    return typeof name === 'string' && name !== 'Object' && name !== '' ? name : 'object';
  }
  return typeof value;
}

function checkString(value: unknown): ConfigCheck<string> {
  if (typeof value !== 'string')
    return fail(`Invalid input: expected string, received ${receivedType(value)}`);
  return value.length >= 1 ? ok(value) : fail('must not be empty');
}

function checkUrl(value: unknown): ConfigCheck<string> {
  if (typeof value !== 'string')
    return fail(`Invalid input: expected string, received ${receivedType(value)}`);
  const text = value.trim();
  let http = false;
  try {
    const url = new URL(text);
    http = url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    http = false;
  }
  return http ? ok(text.replace(/\/+$/, '')) : fail('not an http(s) URL');
}

function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function listOr(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;
}

type FieldInit<T> = Omit<ConfigField<T>, 'schema'>;

const BOOLEAN_TEXT: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  on: true,
  false: false,
  '0': false,
  no: false,
  off: false,
};

/** Ready-made fields for the usual kinds of setting. */
export const configField = {
  /** An http(s) URL; trailing slashes removed. */
  url<const F extends FieldInit<string>>(init: F): F & ConfigField<string> {
    return {
      expected: 'an http(s) URL such as http://127.0.0.1:5000',
      ...init,
      check: checkUrl,
    };
  },
  /** A non-empty string. */
  string<const F extends FieldInit<string>>(init: F): F & ConfigField<string> {
    return { ...init, check: checkString };
  },
  /** A credential: a non-empty string whose value never appears in errors. */
  secret<const F extends FieldInit<string>>(init: F): F & ConfigField<string> {
    return { ...init, secret: true, check: checkString };
  },
  /** A positive number (milliseconds, counts); from the environment as decimal text. Infinity allowed. */
  positiveNumber<const F extends FieldInit<number>>(init: F): F & ConfigField<number> {
    return {
      expected: 'a positive number',
      fromEnv: (text) => (/^\s*(inf|infinity)\s*$/i.test(text) ? Number.POSITIVE_INFINITY : Number(text)),
      ...init,
      check: (n: unknown): ConfigCheck<number> =>
        !isFiniteNumber(n) ? fail('not a number') : n > 0 ? ok(n) : fail('must be a positive number'),
    };
  },
  /** A whole number ≥ 0 (retry counts). */
  count<const F extends FieldInit<number>>(init: F): F & ConfigField<number> {
    return {
      expected: 'a whole number, 0 or more',
      fromEnv: (text) => Number(text),
      ...init,
      check: (n: unknown): ConfigCheck<number> =>
        !isFiniteNumber(n)
          ? fail('not a number')
          : !Number.isSafeInteger(n)
            ? fail('must be a whole number')
            : n < 0
              ? fail('must be 0 or more')
              : ok(n),
    };
  },
  /** true/false; from the environment as true/false, 1/0, yes/no, on/off. */
  boolean<const F extends FieldInit<boolean>>(init: F): F & ConfigField<boolean> {
    return {
      expected: 'true or false',
      fromEnv: (text) => BOOLEAN_TEXT[text.toLowerCase()] ?? text,
      ...init,
      check: (b: unknown): ConfigCheck<boolean> =>
        typeof b === 'boolean' ? ok(b) : fail('not true or false'),
    };
  },
  /** One of a fixed set of strings. */
  oneOf<const V extends readonly [string, ...string[]], const F extends FieldInit<V[number]>>(
    values: V,
    init: F,
  ): F & ConfigField<V[number]> {
    return {
      expected: `one of ${values.join(', ')}`,
      ...init,
      check: (value: unknown): ConfigCheck<V[number]> =>
        typeof value === 'string' && values.includes(value)
          ? ok(value)
          : fail(`Invalid option: expected one of ${values.map((v) => JSON.stringify(v)).join('|')}`),
    };
  },
};
