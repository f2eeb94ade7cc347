import { type AirflowConfig, type AirflowOptions, resolveAirflowConfig } from '@mlops/airflow';
import type { FeatureStoreOptions } from '@mlops/feast';
import { type FeastConfig, resolveFeastConfig } from '@mlops/feast/registry';
import { type MetricsConfig, type MetricsOptions, resolveMetricsConfig } from '@mlops/metrics';
import { type MlflowConfig, type MlflowOptions, resolveMlflowConfig } from '@mlops/mlflow';

/** One options object: a namespace per component. */
export interface PlatformOptions {
  feast?: FeatureStoreOptions;
  mlflow?: MlflowOptions;
  airflow?: AirflowOptions;
  metrics?: MetricsOptions;
}

/** The settings of every component, each resolved once (option → environment → default) and validated. */
export interface Platform {
  readonly config: {
    readonly feast: FeastConfig;
    readonly mlflow: MlflowConfig;
    readonly airflow: AirflowConfig;
    readonly metrics: MetricsConfig;
  };
}

/**
 * The whole platform from one place. Today it resolves and validates every component's settings, so a
 * misconfigured environment fails at start-up with an error naming the variable; the component clients
 * join it as their packages grow.
 */
export function createPlatform(options: PlatformOptions = {}): Platform {
  const config = Object.freeze({
    feast: resolveFeastConfig(options.feast),
    mlflow: resolveMlflowConfig(options.mlflow),
    airflow: resolveAirflowConfig(options.airflow),
    metrics: resolveMetricsConfig(options.metrics),
  });
  return Object.freeze({ config });
}
