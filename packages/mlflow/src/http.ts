import type { HttpClient } from '@mlops/core';
import type { paths } from './generated/mlflow';

/** The HTTP client every resource of the MLflow client shares: typed by the generated MLflow spec. */
export type MlflowHttp = HttpClient<paths>;
