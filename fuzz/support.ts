/**
 * The fuzz harness: fast-check properties run FUZZ_RUNS times each, every case under a deadline, every
 * failure either one of our typed errors (an MlopsError subclass) or a test failure with fast-check's
 * shrunk counterexample and seed. Each property reports its rate (cases/s) to stdout and, when FUZZ_REPORT
 * names a file, as one JSON line there (scripts/fuzz.mjs prints the table).
 */
import { appendFileSync } from 'node:fs';
import { MlopsError } from '@mlops/core';
import fc from 'fast-check';

/** Cases per property: 10^4 in the test command (CI), 10^6 through `pnpm fuzz`. */
export const RUNS = Number(process.env.FUZZ_RUNS || 10_000);
/** The deadline of one case (ms): a decoder that takes longer on some input fails the run, naming it. */
export const CASE_DEADLINE_MS = Number(process.env.FUZZ_CASE_DEADLINE_MS || 2_000);
/** A fixed seed by default (the test command is reproducible); `pnpm fuzz` passes a new one each time. */
export const SEED = Number(process.env.FUZZ_SEED || 20261207);

/** An error a decoder may throw: ours, typed. Anything else (TypeError, RangeError, ...) is a defect. */
export function isTyped(error: unknown): boolean {
  return MlopsError.isInstance(error);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

function report(name: string, cases: number, ms: number): void {
  const rate = Math.round((cases / ms) * 1000);
  console.log(`fuzz ${name}: ${cases} cases in ${(ms / 1000).toFixed(2)} s = ${rate} cases/s`);
  const file = process.env.FUZZ_REPORT;
  if (file) appendFileSync(file, `${JSON.stringify({ name, cases, ms: Math.round(ms), rate })}\n`);
}

function overDeadline(ms: number): Error {
  return new Error(`a case took ${ms.toFixed(0)} ms, over the per-case deadline of ${CASE_DEADLINE_MS} ms`);
}

/**
 * Runs `check` on FUZZ_RUNS generated inputs. `check` either returns (the decoder's answer was right) or
 * throws; a thrown typed error passes, anything else fails the run. A case over the deadline fails too.
 */
export function fuzz<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => void,
  runs = RUNS,
): void {
  let cases = 0;
  const started = performance.now();
  fc.assert(
    fc.property(arbitrary, (input) => {
      const t0 = performance.now();
      try {
        check(input);
      } catch (error) {
        if (!isTyped(error)) throw new Error(`untyped error: ${describeError(error)}`);
      }
      const ms = performance.now() - t0;
      if (ms > CASE_DEADLINE_MS) throw overDeadline(ms);
      cases++;
    }),
    { numRuns: runs, seed: SEED, endOnFailure: false },
  );
  report(name, cases, performance.now() - started);
}

/** `fuzz` for async decoders (a client over a fetch that answers fuzzed bodies); the deadline interrupts a hang. */
export async function fuzzAsync<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T, signal: AbortSignal) => Promise<void>,
  runs = RUNS,
): Promise<void> {
  let cases = 0;
  const started = performance.now();
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      const t0 = performance.now();
      const deadline = AbortSignal.timeout(CASE_DEADLINE_MS);
      let timer: ReturnType<typeof setTimeout> | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(overDeadline(performance.now() - t0)), CASE_DEADLINE_MS + 50);
      });
      try {
        await Promise.race([check(input, deadline), hang]);
      } catch (error) {
        if (!isTyped(error)) throw new Error(`untyped error: ${describeError(error)}`);
      } finally {
        clearTimeout(timer);
      }
      const ms = performance.now() - t0;
      if (ms > CASE_DEADLINE_MS) throw overDeadline(ms);
      cases++;
    }),
    { numRuns: runs, seed: SEED },
  );
  report(name, cases, performance.now() - started);
}

// ------------------------------------------------------------------------------------------------ byte inputs

type Mutation =
  | { kind: 'flip'; at: number; bit: number }
  | { kind: 'set'; at: number; byte: number }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'delete'; at: number; length: number }
  | { kind: 'truncate'; at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    at: fc.nat(),
    byte: fc.constantFrom(0, 1, 0x7f, 0x80, 0xff, 0xfe, 8, 10, 0x12, 0x1a, 0x22),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 8 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(seed: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(seed);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % (bytes.length + (m.kind === 'insert' ? 1 : 0));
    switch (m.kind) {
      case 'flip':
        if (bytes.length > 0) bytes[at] = (bytes[at] ?? 0) ^ (1 << m.bit);
        break;
      case 'set':
        if (bytes.length > 0) bytes[at] = m.byte;
        break;
      case 'insert': {
        const out = new Uint8Array(bytes.length + m.bytes.length);
        out.set(bytes.subarray(0, at));
        out.set(m.bytes, at);
        out.set(bytes.subarray(at), at + m.bytes.length);
        bytes = out;
        break;
      }
      case 'delete':
        bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.length)]);
        break;
      case 'truncate':
        bytes = bytes.slice(0, at);
        break;
    }
  }
  return bytes;
}

/** Bytes a decoder may meet: random ones, and valid encodings (from `valid`) with a few corruptions. */
export function hostileBytes(valid: fc.Arbitrary<Uint8Array>, maxRandom = 96): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: maxRandom }) },
    { weight: 1, arbitrary: valid },
    {
      weight: 4,
      arbitrary: fc
        .tuple(valid, fc.array(mutation, { minLength: 1, maxLength: 4 }))
        .map(([v, m]) => mutate(v, m)),
    },
  );
}

/** Text a parser may meet: random strings, and valid texts with characters cut, doubled or replaced. */
export function hostileText(valid: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const edit = fc.record({
    at: fc.nat(),
    cut: fc.integer({ min: 0, max: 6 }),
    insert: fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.constantFrom(
        '{',
        '}',
        '[',
        ']',
        '"',
        ',',
        ':',
        '\\',
        '\n',
        '\r\n',
        '\u0000',
        '\uD800',
        '-',
        '1e999',
        'null',
        'NaN',
      ),
    ),
  });
  return fc.oneof(
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) },
    { weight: 1, arbitrary: valid },
    {
      weight: 4,
      arbitrary: fc.tuple(valid, fc.array(edit, { minLength: 1, maxLength: 4 })).map(([text, edits]) => {
        let out = text;
        for (const e of edits) {
          const at = out.length === 0 ? 0 : e.at % (out.length + 1);
          out = out.slice(0, at) + e.insert + out.slice(at + e.cut);
        }
        return out;
      }),
    },
  );
}

/** A JSON value of any shape: what a hostile server may put anywhere in a body. */
export const anyJson: fc.Arbitrary<unknown> = fc.jsonValue({ maxDepth: 3 });

/**
 * A fetch that answers every request with `answer(request)` (a status and a body), for clients under test:
 * no network, and the request is recorded for assertions.
 */
export function answeringFetch(
  answer: (request: Request) => {
    status?: number;
    body: string | Uint8Array;
    headers?: Record<string, string>;
  },
): typeof fetch & { requests: Request[] } {
  const requests: Request[] = [];
  const wrapped = async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    requests.push(request);
    const { status = 200, body, headers = { 'content-type': 'application/json' } } = answer(request);
    return new Response(typeof body === 'string' ? body : Uint8Array.from(body), { status, headers });
  };
  wrapped.requests = requests;
  return wrapped as typeof fetch & { requests: Request[] };
}
