"""A DAG whose tasks return XComs: a dict (return_value), a scalar, and an explicitly keyed XCom.

Takes an optional run conf {"n": int}; sums 0..n-1.
"""

from datetime import datetime, timezone

from airflow.sdk import DAG, task

with DAG(
    dag_id="xcom_example",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    params={"n": 5},
    tags=["platform", "test"],
    doc_md=__doc__,
) as dag:

    @task
    def produce(**context) -> dict:
        n = int(context["params"]["n"])
        context["ti"].xcom_push(key="greeting", value="hello from produce")
        return {"n": n, "values": list(range(n))}

    @task
    def total(payload: dict) -> int:
        return sum(payload["values"])

    total(produce())
