"""A DAG that fails on purpose (for error-path tests: failed run state, task logs, retries exhausted)."""

from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(
    dag_id="always_fails",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    default_args={"retries": 0},
    tags=["platform", "test"],
    doc_md=__doc__,
) as dag:

    @task
    def fail():
        print("about to fail on purpose")
        raise RuntimeError("this task fails on purpose")

    fail()
