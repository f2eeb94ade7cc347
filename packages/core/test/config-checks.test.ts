import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type ConfigField, configField } from '../src/config';

// The ready-made fields validate without zod (so importing an SDK does not load it); their rules and messages
// must stay exactly those of the zod schemas they replaced.
const schemas: Record<string, [ConfigField<unknown>, z.ZodType]> = {
  url: [
    configField.url({}),
    z
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
  ],
  string: [configField.string({}), z.string().min(1, 'must not be empty')],
  secret: [configField.secret({}), z.string().min(1, 'must not be empty')],
  positiveNumber: [
    configField.positiveNumber({}),
    z.number({ error: 'not a number' }).refine((n) => !Number.isNaN(n) && n > 0, 'must be a positive number'),
  ],
  count: [
    configField.count({}),
    z.number({ error: 'not a number' }).int('must be a whole number').min(0, 'must be 0 or more'),
  ],
  boolean: [configField.boolean({}), z.boolean({ error: 'not true or false' })],
  oneOf: [configField.oneOf(['redis', 'http'], {}), z.enum(['redis', 'http'])],
};
const values: unknown[] = [
  undefined,
  null,
  '',
  ' ',
  'x',
  'redis',
  'http',
  'REDIS',
  'http://127.0.0.1:5000/',
  ' https://a.b/c// ',
  'localhost:5000',
  'ftp://x',
  'http://',
  0,
  -0,
  1,
  1.5,
  -1,
  -1.5,
  2 ** 53,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  Number.NEGATIVE_INFINITY,
  true,
  false,
  [],
  ['x'],
  {},
  1n,
  new Date(0),
];

describe('the ready-made config fields', () => {
  for (const [name, [field, schema]] of Object.entries(schemas)) {
    it(`${name}: the same answers as its zod schema`, () => {
      for (const value of values) {
        const expected = schema.safeParse(value);
        const got = field.check!(value);
        const what = `${name}(${String(value)})`;
        expect(got.ok, what).toBe(expected.success);
        if (got.ok && expected.success) expect(got.value, what).toEqual(expected.data);
        if (!got.ok && !expected.success) expect(got.message, what).toBe(expected.error.issues[0]!.message);
      }
    });
  }
});
