"""The Python reference of bench/airflow-*.mjs: apache-airflow-client 3.3.2 (PyPI) on the same Airflow.

  python airflow_python.py list <base_url> <token> <dag_id> <mode>   -> {"ms": ..., "count": ...}

Lists every task instance of every run of <dag_id> the way a user of the Python client pages them:
mode "offset" (GET, limit=100 — the server's cap —, offset += 100 until total_entries), mode "cursor" (GET
with 3.3's keyset cursor) or mode "batch" (POST .../taskInstances/list, page_limit=1000, as @mlops/airflow).
The time is measured inside Python around the paging only (interpreter start and imports excluded)."""

import json
import sys
import time

import airflow_client.client as ac
from airflow_client.client.api import task_instance_api
from airflow_client.client.models import TaskInstancesBatchBody


def main() -> None:
    op, base_url, token, dag_id, mode = sys.argv[1:6]
    if op != "list":
        raise SystemExit(f"unknown op {op}")
    with ac.ApiClient(ac.Configuration(host=base_url, access_token=token)) as api:
        tis = task_instance_api.TaskInstanceApi(api)
        # One warm-up call: connection set up and first-call costs stay out of the timing, as for ours.
        tis.get_task_instances(dag_id=dag_id, dag_run_id="~", limit=1)
        started = time.perf_counter()
        count = 0
        if mode == "offset":
            offset = 0
            while True:
                page = tis.get_task_instances(dag_id=dag_id, dag_run_id="~", limit=100, offset=offset)
                count += len(page.task_instances)
                offset += len(page.task_instances)
                if not page.task_instances or offset >= (page.total_entries or 0):
                    break
        elif mode == "batch":
            # The batch endpoint @mlops/airflow lists through, with the same page size.
            offset = 0
            while True:
                body = TaskInstancesBatchBody(dag_ids=[dag_id], page_limit=1000, page_offset=offset, order_by="id")
                page = tis.get_task_instances_batch(dag_id="~", dag_run_id="~", task_instances_batch_body=body)
                count += len(page.task_instances)
                offset += len(page.task_instances)
                if not page.task_instances or offset >= (page.total_entries or 0):
                    break
        else:
            cursor = ""
            while True:
                page = tis.get_task_instances(dag_id=dag_id, dag_run_id="~", limit=100, cursor=cursor)
                count += len(page.task_instances)
                if not page.next_cursor:
                    break
                cursor = page.next_cursor
        elapsed = (time.perf_counter() - started) * 1000
    print(json.dumps({"ms": elapsed, "count": count}))


if __name__ == "__main__":
    main()
