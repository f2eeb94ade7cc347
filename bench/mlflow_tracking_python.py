"""Python's MlflowClient for bench/mlflow-tracking.mjs: one process, mlflow imported once; one JSON request per
stdin line, one JSON answer per stdout line. Times are measured here, in-process, around the client call only."""
import json
import sys
import time

from mlflow import MlflowClient
from mlflow.entities import Metric


def main():
    out = sys.stdout
    sys.stdout = sys.stderr  # MLflow's own prints must not mix with the answers
    client = MlflowClient(tracking_uri=sys.argv[1])
    out.write(json.dumps({"ready": True}) + "\n")
    out.flush()
    for line in sys.stdin:
        req = json.loads(line)
        a = req.get("args") or {}
        if req["op"] == "log_batch":
            # The same metrics as the TypeScript contenders; the run is created untimed.
            rid = client.create_run(a["experiment_id"]).info.run_id
            n, base = a["n"], a["timestamp"]
            metrics = [Metric(f"m{i % 10}", i * 0.5, base + i, i) for i in range(n)]
            started = time.perf_counter()
            client.log_batch(rid, metrics=metrics)
            result = {"run_id": rid, "ms": (time.perf_counter() - started) * 1000}
        elif req["op"] == "search_runs":
            started = time.perf_counter()
            count, token = 0, None
            while True:
                page = client.search_runs([a["experiment_id"]], max_results=a["page_size"], page_token=token)
                count += len(page)
                token = page.token
                if not token:
                    break
            result = {"count": count, "ms": (time.perf_counter() - started) * 1000}
        else:
            result = {"error": f"unknown op {req['op']}"}
        out.write(json.dumps(result) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
