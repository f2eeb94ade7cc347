"""Training pipeline scheduled on an Asset: runs whenever feature_pipeline materializes driver features."""

from datetime import datetime, timezone

from airflow.sdk import DAG, Asset, task

from _platform_paths import DRIVER_FEATURES_URI

with DAG(
    dag_id="train_on_fresh_features",
    schedule=[Asset(DRIVER_FEATURES_URI)],
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["training", "platform"],
    doc_md=__doc__,
) as dag:

    @task
    def train(**context) -> dict:
        events = context.get("triggering_asset_events") or {}
        return {"model": "driver_ranker", "triggered_by": [str(k) for k in events.keys()]}

    train()
