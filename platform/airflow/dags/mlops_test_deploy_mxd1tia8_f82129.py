"""Temporary DAG of @mlops/airflow's tests (removed by them)."""
import time
from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(dag_id="mlops_test_deploy_mxd1tia8_f82129", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test", "v2"]) as dag:

    @task
    def tick() -> dict:
        for i in range(1):
            print(f"tick {i}", flush=True)
            time.sleep(1)
        return {"ticks": 1}

    tick()
