"""Temporary DAG of @mlops/airflow's tests (removed by them)."""
import time
from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(dag_id="mlops_test_faults_ticking_mxd7gxo2_39128e", schedule=None, start_date=datetime(2026, 1, 1, tzinfo=timezone.utc), catchup=False, tags=["mlops-test"]) as dag:

    @task
    def tick() -> dict:
        for i in range(20):
            print(f"tick {i}", flush=True)
            time.sleep(1)
        return {"ticks": 20}

    tick()
