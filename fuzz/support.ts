/**
 * The fuzz harness: fast-check properties run FUZZ_RUNS times each, every case under a deadline, every
 * failure either one of our typed errors (an MlopsError subclass) or a test failure with fast-check's
 * shrunk counterexample and seed. Each property reports its rate (cases/s) to stdout and, when FUZZ_REPORT
 * names a file, as one JSON line there (scripts/fuzz.mjs prints the table).
 */
import { accessSync, appendFileSync, constants, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MlopsError } from '@mlops/core';
import fc from 'fast-check';

/** Cases per property: 10^4 in the test command (CI), 10^6 through `pnpm fuzz`. */
export const RUNS = Number(process.env.FUZZ_RUNS || 10_000);
/** The deadline of one case (ms): a decoder that takes longer on some input fails the run, naming it. */
export const CASE_DEADLINE_MS = Number(process.env.FUZZ_CASE_DEADLINE_MS || 2_000);
/**
 * FUZZ_UNTIL (an ISO date or epoch ms): a time by which every property stops, passing with the cases it reached
 * (its report says so) — for a long run that must end by a given time. Unset: every property runs all its cases.
 */
export const UNTIL = process.env.FUZZ_UNTIL
  ? Number.isNaN(Number(process.env.FUZZ_UNTIL))
    ? Date.parse(process.env.FUZZ_UNTIL)
    : Number(process.env.FUZZ_UNTIL)
  : undefined;
/**
 * FUZZ_GENERATE_ONLY=1: generate every property's inputs and skip its check — what the arbitraries cost alone,
 * to compare with a normal run's rate (the rest is the decoder and its oracle). Never a test of anything.
 */
const GENERATE_ONLY = process.env.FUZZ_GENERATE_ONLY === '1';
/** A progress line every this many cases (FUZZ_PROGRESS; 10^5 by default), so a long run shows where it is. */
const PROGRESS_EVERY = Number(process.env.FUZZ_PROGRESS || 100_000);
/** Where progress lines go as they happen (FUZZ_PROGRESS_FILE; `pnpm fuzz` names one and prints it). */
const PROGRESS_FILE = process.env.FUZZ_PROGRESS_FILE;
/** A fixed seed by default (the test command is reproducible); `pnpm fuzz` passes a new one each time. */
export const SEED = Number(process.env.FUZZ_SEED || 20261207);

/**
 * A fresh directory for a property's files, in memory (`/dev/shm`, tmpfs) where the machine has it: on this
 * machine's disk a file written and read back costs 1.6–2.9 ms, on tmpfs 50–100 µs — the same syscalls and
 * the same code path, without the disk's latency swamping the decoder under test. The caller removes it.
 */
export function scratchDir(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync('/dev/shm', constants.W_OK);
    base = '/dev/shm';
  } catch {
    // No tmpfs: the OS temporary directory.
  }
  return mkdtempSync(join(base, prefix));
}

/** An error a decoder may throw: ours, typed. Anything else (TypeError, RangeError, ...) is a defect. */
export function isTyped(error: unknown): boolean {
  return MlopsError.isInstance(error);
}

function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ''}`;
  return String(error);
}

/**
 * Counts a property's cases and reports its rate when it ends: cases per wall-clock second, and per second of
 * this process's CPU time (user + system) — the figure a loaded machine hardly changes, to compare across runs.
 * Prints a progress line every FUZZ_PROGRESS cases, and one JSON line per property into FUZZ_REPORT.
 */
class Meter {
  cases = 0;
  readonly #name: string;
  readonly #runs: number;
  readonly #started = performance.now();
  readonly #cpu = process.cpuUsage();
  readonly #stopProfile: () => void;

  constructor(name: string, runs: number) {
    this.#name = name;
    this.#runs = runs;
    this.#stopProfile = startProfile(name);
  }

  /** fast-check's run parameters: the runs, the seed, and FUZZ_UNTIL's time limit. */
  parameters(): {
    numRuns: number;
    seed: number;
    path?: string;
    interruptAfterTimeLimit?: number;
    markInterruptAsFailure: false;
  } {
    const base = {
      numRuns: this.#runs,
      seed: SEED,
      markInterruptAsFailure: false as const,
      // FUZZ_PATH (fast-check's `path` of a failure) starts the run at that case of the seed; with
      // FUZZ_RUNS=1, that case alone (and its shrinking).
      ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
    };
    return UNTIL === undefined ? base : { ...base, interruptAfterTimeLimit: Math.max(1, UNTIL - Date.now()) };
  }

  count(): void {
    this.cases++;
    if (this.cases % PROGRESS_EVERY === 0) {
      const ms = performance.now() - this.#started;
      const line = `${new Date().toISOString()} fuzz ${this.#name}: ${this.cases} of ${this.#runs} cases, ${(ms / 1000).toFixed(0)} s, ${Math.round((this.cases / ms) * 1000)} cases/s\n`;
      // vitest shows a test's console output when the test ends; a file shows a long run where it is now.
      if (PROGRESS_FILE) appendFileSync(PROGRESS_FILE, line);
      else process.stdout.write(line);
    }
  }

  end(): void {
    const ms = performance.now() - this.#started;
    const usage = process.cpuUsage(this.#cpu);
    this.#stopProfile();
    const cpuMs = (usage.user + usage.system) / 1000;
    const rate = Math.round((this.cases / ms) * 1000);
    const cpuRate = Math.round((this.cases / Math.max(cpuMs, 1)) * 1000);
    const interrupted = this.cases < this.#runs;
    console.log(
      `fuzz ${this.#name}: ${this.cases} cases in ${(ms / 1000).toFixed(2)} s = ${rate} cases/s (${cpuRate} cases per CPU-second)${interrupted ? `, stopped at FUZZ_UNTIL before ${this.#runs}` : ''}`,
    );
    const file = process.env.FUZZ_REPORT;
    if (file) {
      const row = { name: this.#name, cases: this.cases, runs: this.#runs, ms: Math.round(ms), rate };
      appendFileSync(file, `${JSON.stringify({ ...row, cpuMs: Math.round(cpuMs), cpuRate, seed: SEED })}\n`);
    }
  }
}

/**
 * With FUZZ_PROFILE=<dir>, each property's run is CPU-profiled (V8 inspector, in the worker that runs it) into
 * `<dir>/<name>.cpuprofile`: where a property's milliseconds go (open in Chrome DevTools or speedscope).
 * Returns the function that stops the profile and writes it.
 */
function startProfile(name: string): () => void {
  const dir = process.env.FUZZ_PROFILE;
  if (!dir) return () => {};
  const session = new Session();
  session.connect();
  // An in-thread session answers synchronously: the profiler runs from here.
  session.post('Profiler.enable');
  session.post('Profiler.start');
  return () => {
    session.post('Profiler.stop', (error, result) => {
      if (!error) {
        mkdirSync(dir, { recursive: true });
        writeFileSync(
          join(dir, `${name.replace(/[^\w.-]+/g, '_')}.cpuprofile`),
          JSON.stringify(result.profile),
        );
      }
      session.disconnect();
    });
  };
}

/**
 * The per-case deadline counts time the process ran, not wall-clock time: on a loaded machine (a niced long run
 * above all) a process may be descheduled for seconds in the middle of a case, which says nothing of the decoder.
 * A case that returns is judged by the CPU time it used (user + system: a spinning decoder accrues it, a
 * descheduled one does not); an async case that has not settled is judged by the ticks of a 100 ms interval
 * that fired while it was pending (a hang lets them fire; a stall of the whole process fires one, late).
 */
const TICK_MS = 100;

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

function overDeadline(cpuMs: number): Error {
  return new Error(
    `a case used ${cpuMs.toFixed(0)} ms of CPU time, over the per-case deadline of ${CASE_DEADLINE_MS} ms`,
  );
}

function hung(): Error {
  return new Error(
    `a case did not settle within ${CASE_DEADLINE_MS} ms of the process running (${TICK_MS} ms ticks while it was pending)`,
  );
}

/** Watches the case in flight of an async property: fails it once it has been pending for the deadline's ticks. */
class HangWatch {
  #ticks = 0;
  #pending: { since: number; fail: () => void } | undefined;
  readonly #timer = setInterval(() => {
    this.#ticks++;
    const pending = this.#pending;
    if (pending !== undefined && (this.#ticks - pending.since) * TICK_MS > CASE_DEADLINE_MS) {
      this.#pending = undefined;
      pending.fail();
    }
  }, TICK_MS);

  /** Starts watching a case; the function returned stops it. */
  watch(fail: () => void): () => void {
    const pending = { since: this.#ticks, fail };
    this.#pending = pending;
    return () => {
      if (this.#pending === pending) this.#pending = undefined;
    };
  }

  stop(): void {
    clearInterval(this.#timer);
  }
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
  const meter = new Meter(name, runs);
  fc.assert(
    fc.property(arbitrary, (input) => {
      const cpu0 = process.cpuUsage();
      try {
        if (!GENERATE_ONLY) check(input);
      } catch (error) {
        if (!isTyped(error)) throw new Error(`untyped error: ${describeError(error)}`);
      }
      const cpuMs = cpuMsSince(cpu0);
      if (cpuMs > CASE_DEADLINE_MS) throw overDeadline(cpuMs);
      meter.count();
    }),
    { ...meter.parameters(), endOnFailure: false },
  );
  meter.end();
}

/**
 * `fuzz` for async decoders (a client over a fetch that answers fuzzed bodies). A case still pending at the
 * deadline (in ticks, see HangWatch) is failed as a hang, and its `deadline.signal` (made only when `check`
 * asks for it) aborted.
 */
export async function fuzzAsync<T>(
  name: string,
  arbitrary: fc.Arbitrary<T>,
  check: (input: T, deadline: CaseDeadline) => Promise<void>,
  runs = RUNS,
): Promise<void> {
  const meter = new Meter(name, runs);
  const watch = new HangWatch();
  try {
    await fc.assert(
      fc.asyncProperty(arbitrary, async (input) => {
        const cpu0 = process.cpuUsage();
        const deadline = new CaseDeadline();
        let unwatch = (): void => {};
        const hang = new Promise<never>((_, reject) => {
          unwatch = watch.watch(() => {
            deadline.abort();
            reject(hung());
          });
        });
        try {
          if (!GENERATE_ONLY) await Promise.race([check(input, deadline), hang]);
        } catch (error) {
          if (!isTyped(error)) throw new Error(`untyped error: ${describeError(error)}`);
        } finally {
          unwatch();
        }
        const cpuMs = cpuMsSince(cpu0);
        if (cpuMs > CASE_DEADLINE_MS) throw overDeadline(cpuMs);
        meter.count();
      }),
      meter.parameters(),
    );
  } finally {
    watch.stop();
  }
  meter.end();
}

/** A case's deadline, for a check that passes it on: its `signal` aborts when the case runs out of time. */
export class CaseDeadline {
  #controller: AbortController | undefined;
  #aborted = false;
  get signal(): AbortSignal {
    this.#controller ??= new AbortController();
    if (this.#aborted) this.#controller.abort(new Error('the case ran out of time'));
    return this.#controller.signal;
  }
  abort(): void {
    this.#aborted = true;
    this.#controller?.abort(new Error('the case ran out of time'));
  }
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
 * A fetch that answers every request with `answer(url)` (a status and a body), for clients under test: no
 * network, no socket — the client's whole decoding path (status, headers, body stream, JSON) runs on a real
 * `Response`. The clients hand an injected fetch one `Request`, used as it is.
 */
export function answeringFetch(
  answer: (url: string) => {
    status?: number;
    body: string | Uint8Array;
    headers?: Record<string, string>;
  },
): typeof fetch {
  return async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request && init === undefined ? input.url : new Request(input, init).url;
    const { status = 200, body, headers = JSON_HEADERS } = answer(url);
    return new Response(typeof body === 'string' ? body : Uint8Array.from(body), { status, headers });
  };
}

const JSON_HEADERS: Record<string, string> = { 'content-type': 'application/json' };
