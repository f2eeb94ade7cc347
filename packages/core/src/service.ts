/**
 * Which server an error is about: a closed set of identifiers, so callers can `switch (error.service)`.
 * Messages use `serviceLabel(id)`; the identifier itself never changes wording.
 */
export type ServiceId =
  | 'mlflow'
  | 'airflow'
  | 'prometheus'
  | 'pushgateway'
  | 'elasticsearch'
  | 'redis'
  | 'postgres'
  | 'feast-server'
  | 'feast-registry'
  | 'trino';

const SERVICE_LABELS: { readonly [K in ServiceId]: string } = {
  mlflow: 'MLflow',
  airflow: 'Airflow',
  prometheus: 'Prometheus',
  pushgateway: 'the Prometheus Pushgateway',
  elasticsearch: 'Elasticsearch',
  redis: 'Redis',
  postgres: 'PostgreSQL',
  'feast-server': 'the Feast feature server',
  'feast-registry': 'the Feast registry server',
  trino: 'Trino',
};

/** The name a message gives the service: "the Feast feature server", "PostgreSQL", "MLflow". */
export function serviceLabel(service: ServiceId): string {
  return SERVICE_LABELS[service];
}
