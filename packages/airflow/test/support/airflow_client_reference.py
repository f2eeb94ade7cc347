"""The Python reference: apache-airflow-client (PyPI, the same version as the server) answering what our
interop tests ask @mlops/airflow, on the same server. Usage: python airflow_client_reference.py '<json>'
with {"op": ..., ...}; prints JSON."""

import json
import sys

import airflow_client.client as ac
from airflow_client.client.api import dag_api, dag_run_api, pool_api, task_instance_api, variable_api, x_com_api


def client(base_url: str) -> ac.ApiClient:
    # A JWT from /auth/token, the endpoint our client logs in at.
    import urllib.request

    request = urllib.request.Request(
        f"{base_url}/auth/token",
        data=json.dumps({"username": "admin", "password": "admin"}).encode(),
        headers={"content-type": "application/json"},
    )
    with urllib.request.urlopen(request) as answer:
        access_token = json.load(answer)["access_token"]
    return ac.ApiClient(ac.Configuration(host=base_url, access_token=access_token))


def main() -> None:
    args = json.loads(sys.argv[1])
    op, base_url = args["op"], args["baseUrl"]
    with client(base_url) as api:
        if op == "dag_ids":
            dags, offset = [], 0
            while True:
                page = dag_api.DAGApi(api).get_dags(limit=100, offset=offset, tags=args.get("tags"))
                dags += [d.dag_id for d in page.dags]
                offset += len(page.dags)
                if not page.dags or offset >= page.total_entries:
                    break
            out = sorted(dags)
        elif op == "task_instances":
            tis, offset = [], 0
            api_ti = task_instance_api.TaskInstanceApi(api)
            while True:
                page = api_ti.get_task_instances(dag_id=args["dagId"], dag_run_id=args["runId"], limit=100, offset=offset)
                tis += [[t.task_id, t.map_index, t.state.value if t.state else None, t.try_number] for t in page.task_instances]
                offset += len(page.task_instances)
                if not page.task_instances or offset >= (page.total_entries or 0):
                    break
            out = sorted(tis)
        elif op == "dag_run":
            run = dag_run_api.DagRunApi(api).get_dag_run(dag_id=args["dagId"], dag_run_id=args["runId"])
            out = {"state": run.state.value, "conf": run.conf, "run_type": run.run_type.value}
        elif op == "xcom":
            entry = x_com_api.XComApi(api).get_xcom_entry(
                dag_id=args["dagId"], dag_run_id=args["runId"], task_id=args["taskId"], xcom_key=args["key"]
            )
            out = entry.actual_instance.value
        elif op == "variable":
            out = variable_api.VariableApi(api).get_variable(args["key"]).value
        elif op == "pool":
            pool = pool_api.PoolApi(api).get_pool(args["name"])
            out = {"name": pool.name, "slots": pool.slots, "description": pool.description}
        else:
            raise SystemExit(f"unknown op {op}")
    print(json.dumps(out))


if __name__ == "__main__":
    main()
