from datetime import datetime, timezone
from airflow.sdk import DAG, Asset, task

with DAG(dag_id="mlops_test_assets_mxd1hxq7_c0ab0f", schedule=(Asset("mlops-test://assets_mxd1hxq7_ba0444/a") & Asset("mlops-test://assets_mxd1hxq7_ba0444/b")), start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test"]) as dag:

    @task
    def consume(**context) -> list:
        return sorted(k.uri for k in (context.get("triggering_asset_events") or {}).keys())

    consume()
