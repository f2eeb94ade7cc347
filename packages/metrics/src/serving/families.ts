/**
 * prom-client's Counter, Gauge and Histogram with a fast path beside their own: `cell(...labelValues)`
 * finds a label set's cell through nested Maps (no label object to build, hash or validate per call, which
 * is most of prom-client's ~1 µs an observation) and the caller adds to its numbers directly. The cells
 * are merged into what prom-client exports (`get`, and `getForPromString`, which its registry prefers for
 * histograms), so they scrape, push and `getMetricsAsJSON` like any prom-client metric, and the classes'
 * own methods (`inc`, `observe`, `labels`, ...) still work beside the cells. `reset()` zeroes the cells
 * (prom-client's own label sets are dropped, the cells' stay, at 0).
 * bench/metrics-serving.mjs measures what this buys.
 */
import { Counter, Gauge, Histogram } from 'prom-client';
import { MetricsInputError } from './errors';

interface Config<L extends string> {
  name: string;
  help: string;
  labelNames: readonly L[];
  registers: NonNullable<ConstructorParameters<typeof Counter>[0]['registers']>;
}

/** A label set's numbers: a counter's or gauge's value, or a histogram's bucket counts, sum and count. */
export interface ValueCell<L extends string = string> {
  readonly labels: Partial<Record<L, string>>;
  value: number;
}
export interface HistogramCell<L extends string = string> {
  readonly labels: Partial<Record<L, string>>;
  /** Per bucket (not cumulative); the last one is +Inf. */
  readonly counts: Float64Array;
  sum: number;
  count: number;
}

function child(map: Map<string, unknown>, key: string): Map<string, unknown> {
  let next = map.get(key) as Map<string, unknown> | undefined;
  if (next === undefined) {
    next = new Map();
    map.set(key, next);
  }
  return next;
}

/** A histogram line as prom-client's own histogram hands it to its registry: `le` apart from the shared labels. */
function entry<L extends string>(
  own: { le?: number | string },
  sharedLabels: Partial<Record<L, string>>,
  value: number,
  metricName: string,
) {
  // Typed as the label set it sits beside (prom-client's types have no place for `le`).
  const none: Partial<Record<L, string>> = {};
  return Object.assign({ value, metricName, sharedLabels }, { labels: Object.assign({}, own, none) });
}

/** Cells by label values, in nested Maps: one Map lookup per label, on strings that keep their hash. */
class Cells<L extends string, C> {
  readonly all: C[] = [];
  readonly #root = new Map<string, unknown>();
  readonly #names: readonly L[];
  readonly #make: (labels: Partial<Record<L, string>>) => C;

  constructor(names: readonly L[], make: (labels: Partial<Record<L, string>>) => C) {
    this.#names = names;
    this.#make = make;
  }

  get(a: string, b?: string, c?: string): C {
    const depth = this.#names.length;
    let map = this.#root;
    if (depth > 1) map = child(map, a);
    if (depth > 2) map = child(map, b as string);
    const last = depth === 1 ? a : depth === 2 ? b : c;
    let cell = map.get(last as string) as C | undefined;
    if (cell === undefined) {
      cell = this.#make(this.#labels([a, b, c]));
      map.set(last as string, cell);
      this.all.push(cell);
    }
    return cell;
  }

  #labels(values: Array<string | undefined>): Partial<Record<L, string>> {
    const labels: Partial<Record<L, string>> = {};
    this.#names.forEach((name, i) => {
      const value = values[i];
      if (typeof value !== 'string')
        throw new MetricsInputError(
          name,
          `${name}: a label value must be a string, got ${typeof value} (labels ${this.#names.join(', ')}).`,
        );
      labels[name] = value;
    });
    return labels;
  }

  /** Zeroes every cell. Their label sets stay: callers hold cells (forModel), which must keep counting. */
  zero(reset: (cell: C) => void): void {
    for (const cell of this.all) reset(cell);
  }
}

export class CounterFamily<L extends string> extends Counter<L> {
  readonly cells: Cells<L, ValueCell<L>>;
  constructor(config: Config<L>) {
    super(config);
    this.cells = new Cells(config.labelNames, (labels) => ({ labels, value: 0 }));
  }
  override async get(): ReturnType<Counter<L>['get']> {
    const base = await super.get();
    return {
      ...base,
      values: [...base.values, ...this.cells.all.map((c) => ({ labels: c.labels, value: c.value }))],
    };
  }
  override reset(): void {
    this.cells?.zero((c) => {
      c.value = 0;
    });
    super.reset();
  }
}

export class GaugeFamily<L extends string> extends Gauge<L> {
  readonly cells: Cells<L, ValueCell<L>>;
  constructor(config: Config<L>) {
    super(config);
    this.cells = new Cells(config.labelNames, (labels) => ({ labels, value: 0 }));
  }
  override async get(): ReturnType<Gauge<L>['get']> {
    const base = await super.get();
    return {
      ...base,
      values: [...base.values, ...this.cells.all.map((c) => ({ labels: c.labels, value: c.value }))],
    };
  }
  override reset(): void {
    this.cells?.zero((c) => {
      c.value = 0;
    });
    super.reset();
  }
}

export class HistogramFamily<L extends string> extends Histogram<L> {
  readonly cells: Cells<L, HistogramCell<L>>;
  /** Upper bounds, +Inf excluded. */
  readonly bounds: Float64Array;
  readonly #name: string;

  constructor(config: Config<L> & { buckets: number[] }) {
    super(config);
    this.#name = config.name;
    this.bounds = Float64Array.from(config.buckets);
    const size = config.buckets.length + 1;
    this.cells = new Cells(config.labelNames, (labels) => ({
      labels,
      counts: new Float64Array(size),
      sum: 0,
      count: 0,
    }));
  }

  /** Adds one value to a cell: its bucket (the first bound ≥ value), the sum and the count. */
  add(cell: HistogramCell, value: number): void {
    const bounds = this.bounds;
    let i = 0;
    while (i < bounds.length && value > bounds[i]!) i++;
    cell.counts[i]!++;
    cell.sum += value;
    cell.count++;
  }

  /**
   * What prom-client's registry reads to write a histogram, and what its `get()` splays into JSON: its own
   * label sets, then the cells'. (Not in prom-client's types; its registry calls it when present.)
   */
  async getForPromString(): Promise<Awaited<ReturnType<Histogram<L>['get']>>> {
    const own: (this: Histogram<L>) => ReturnType<Histogram<L>['get']> = Reflect.get(
      Histogram.prototype,
      'getForPromString',
    );
    const base = await own.call(this);
    return { ...base, values: [...base.values, ...this.#export()] };
  }

  #export() {
    const out: Array<Awaited<ReturnType<Histogram<L>['get']>>['values'][number]> = [];
    const bucket = `${this.#name}_bucket`;
    for (const cell of this.cells.all) {
      let acc = 0;
      this.bounds.forEach((le, i) => {
        acc += cell.counts[i]!;
        out.push(entry({ le }, cell.labels, acc, bucket));
      });
      out.push(entry({ le: '+Inf' }, cell.labels, cell.count, bucket));
      out.push(entry({}, cell.labels, cell.sum, `${this.#name}_sum`));
      out.push(entry({}, cell.labels, cell.count, `${this.#name}_count`));
    }
    return out;
  }

  override reset(): void {
    this.cells?.zero((c) => {
      c.counts.fill(0);
      c.sum = 0;
      c.count = 0;
    });
    super.reset();
  }
}
