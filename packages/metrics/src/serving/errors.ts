import { MlopsError } from '@mlops/core';
import { hasErrorMarker } from '@mlops/core/sdk';

const MARKER: symbol = Symbol.for('@mlops/metrics.MetricsInputError');

/**
 * A metrics call was given something it cannot turn into valid series: a label name Prometheus refuses, a
 * Pushgateway grouping it could not address, a registry in the wrong format, a profile that does not parse,
 * an option out of range. Thrown before anything is sent or recorded; the message names the input and says
 * what a valid one looks like.
 */
export class MetricsInputError extends MlopsError {
  static override readonly marker: symbol = MARKER;
  static override isInstance(value: unknown): value is MetricsInputError {
    return hasErrorMarker(value, MARKER);
  }

  /** The argument or option at fault: 'groupings.path', 'prefix', 'profile.features[2]', ... */
  readonly input: string;

  constructor(input: string, message: string) {
    super(message);
    this.input = input;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), input: this.input };
  }
}

/** Prometheus's label name rule; names starting with `__` are reserved for Prometheus itself. */
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Prometheus's metric name rule (the colon is for recording rules, allowed in names). */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

/** Throws unless `name` is a label name Prometheus and the Pushgateway accept. */
export function checkLabelName(name: string, input: string): void {
  if (!LABEL_NAME.test(name) || name.startsWith('__'))
    throw new MetricsInputError(
      input,
      `${input}: ${JSON.stringify(name)} is not a valid Prometheus label name. Use letters, digits and underscores, not starting with a digit or with "__" (e.g. "model_name").`,
    );
}

/** Throws unless `name` is a valid metric name (or prefix of one, when `prefix` is set). */
export function checkMetricName(name: string, input: string, prefix = false): void {
  if (prefix && name === '') return;
  if (!METRIC_NAME.test(name))
    throw new MetricsInputError(
      input,
      `${input}: ${JSON.stringify(name)} is not a valid Prometheus metric name${prefix ? ' prefix' : ''}. Use letters, digits, underscores and colons, not starting with a digit (e.g. "mlops_").`,
    );
}
