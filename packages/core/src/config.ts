import { z } from 'zod';
import { type EnvSource, readEnv } from './env';
import { ConfigError } from './errors';

/**
 * One setting of a component's client: resolved from the option passed in code, else the component's own
 * environment variable(s), else the default; then validated. A bad value raises a ConfigError naming the
 * option, the environment variable and where the value came from.
 */
export interface ConfigField<T> {
  /** Validates (and may transform) the value, whichever source it came from. */
  schema: z.ZodType<T>;
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
    const parsed = field.schema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]?.message ?? 'invalid value';
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
    out[option] = parsed.data;
  }
  return out as ConfigValues<S>;
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
      schema: z
        .string()
        .trim()
        .refine((value) => {
          try {
            const url = new URL(value);
            return url.protocol === 'http:' || url.protocol === 'https:';
          } catch {
            return false;
          }
        }, 'not an http(s) URL')
        .transform((value) => value.replace(/\/+$/, '')),
    };
  },
  /** A non-empty string. */
  string<const F extends FieldInit<string>>(init: F): F & ConfigField<string> {
    return { ...init, schema: z.string().min(1, 'must not be empty') };
  },
  /** A credential: a non-empty string whose value never appears in errors. */
  secret<const F extends FieldInit<string>>(init: F): F & ConfigField<string> {
    return { ...init, secret: true, schema: z.string().min(1, 'must not be empty') };
  },
  /** A positive number (milliseconds, counts); from the environment as decimal text. Infinity allowed. */
  positiveNumber<const F extends FieldInit<number>>(init: F): F & ConfigField<number> {
    return {
      expected: 'a positive number',
      fromEnv: (text) => (/^\s*(inf|infinity)\s*$/i.test(text) ? Number.POSITIVE_INFINITY : Number(text)),
      ...init,
      schema: z
        .number({ error: 'not a number' })
        .refine((n) => !Number.isNaN(n) && n > 0, 'must be a positive number'),
    };
  },
  /** A whole number ≥ 0 (retry counts). */
  count<const F extends FieldInit<number>>(init: F): F & ConfigField<number> {
    return {
      expected: 'a whole number, 0 or more',
      fromEnv: (text) => Number(text),
      ...init,
      schema: z.number({ error: 'not a number' }).int('must be a whole number').min(0, 'must be 0 or more'),
    };
  },
  /** true/false; from the environment as true/false, 1/0, yes/no, on/off. */
  boolean<const F extends FieldInit<boolean>>(init: F): F & ConfigField<boolean> {
    return {
      expected: 'true or false',
      fromEnv: (text) => BOOLEAN_TEXT[text.toLowerCase()] ?? text,
      ...init,
      schema: z.boolean({ error: 'not true or false' }),
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
      schema: z.enum(values),
    };
  },
};
