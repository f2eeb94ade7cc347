"""A long-lived Python MlflowClient for the interop tests and the benchmark: imports mlflow once, then
answers one JSON request per stdin line with one JSON line on stdout: {"id", "result"} or {"id", "error"}.
Floats are sent as JSON numbers, non-finite ones as "NaN" / "Infinity" / "-Infinity", the strings MLflow
itself uses, so nothing is lost either way."""
import json
import math
import sys
import time
import traceback

from mlflow import MlflowClient
from mlflow.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag


def f(value):
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    return value


def unf(value):
    return float(value) if isinstance(value, str) else value


def run_json(run):
    return {
        "info": {
            "run_id": run.info.run_id,
            "run_name": run.info.run_name,
            "experiment_id": run.info.experiment_id,
            "user_id": run.info.user_id,
            "status": run.info.status,
            "start_time": run.info.start_time,
            "end_time": run.info.end_time,
            "lifecycle_stage": run.info.lifecycle_stage,
            "artifact_uri": run.info.artifact_uri,
        },
        "data": {
            "metrics": {k: f(v) for k, v in run.data.metrics.items()},
            "params": run.data.params,
            "tags": run.data.tags,
        },
        "inputs": {
            "dataset_inputs": [
                {
                    "dataset": {
                        "name": d.dataset.name,
                        "digest": d.dataset.digest,
                        "source_type": d.dataset.source_type,
                        "source": d.dataset.source,
                        "schema": d.dataset.schema,
                        "profile": d.dataset.profile,
                    },
                    "tags": {t.key: t.value for t in d.tags},
                }
                for d in run.inputs.dataset_inputs
            ]
        },
    }


def metric_json(m):
    return {"key": m.key, "value": f(m.value), "timestamp": m.timestamp, "step": m.step}


def handle(client, op, a):
    if op == "ping":
        return "pong"
    if op == "get_run":
        return run_json(client.get_run(a["run_id"]))
    if op == "metric_history":
        return [metric_json(m) for m in client.get_metric_history(a["run_id"], a["key"])]
    if op == "metric_steps_text":
        return [str(m.step) for m in client.get_metric_history(a["run_id"], a["key"])]
    if op == "search_runs":
        out, token = [], None
        started = time.perf_counter()
        while True:
            page = client.search_runs(
                a["experiment_ids"],
                filter_string=a.get("filter", ""),
                order_by=a.get("order_by"),
                max_results=a.get("max_results", 1000),
                page_token=token,
            )
            out.extend(page)
            token = page.token
            if not token:
                break
        seconds = time.perf_counter() - started
        if a.get("count_only"):
            return {"count": len(out), "seconds": seconds}
        return [run_json(r) for r in out]
    if op == "create_experiment":
        return client.create_experiment(a["name"], tags=a.get("tags"))
    if op == "log_run":
        # A run logged the way a Python training script would, for the TypeScript side to read.
        run = client.create_run(a["experiment_id"], run_name=a.get("run_name"), tags=a.get("tags"))
        rid = run.info.run_id
        for p in a.get("params", []):
            client.log_param(rid, p["key"], p["value"])
        for m in a.get("metrics", []):
            # Steps may come as strings: JSON numbers past 2^53 do not survive JavaScript.
            client.log_metric(rid, m["key"], unf(m["value"]), timestamp=m["timestamp"], step=int(m.get("step", 0)))
        for k, v in (a.get("set_tags") or {}).items():
            client.set_tag(rid, k, v)
        datasets = [
            DatasetInput(
                Dataset(d["name"], d["digest"], d["source_type"], d["source"], d.get("schema"), d.get("profile")),
                [InputTag(k, v) for k, v in d.get("tags", {}).items()],
            )
            for d in a.get("datasets", [])
        ]
        if datasets:
            client.log_inputs(rid, datasets=datasets)
        if a.get("terminate"):
            client.set_terminated(rid)
        return rid
    if op == "log_batch_timed":
        # The benchmark's reference: MlflowClient.log_batch of n metrics into a fresh run (the run's creation untimed).
        rid = client.create_run(a["experiment_id"]).info.run_id
        n, base = a["n"], a["timestamp"]
        metrics = [Metric(f"m{i % 10}", i * 0.5, base + i, i) for i in range(n)]
        started = time.perf_counter()
        client.log_batch(rid, metrics=metrics)
        return {"run_id": rid, "seconds": time.perf_counter() - started}
    raise ValueError(f"unknown op {op}")


def main():
    # MLflow prints to stdout ("View run ... at: ..."): the answers get the real stdout, prints go to stderr.
    out_stream = sys.stdout
    sys.stdout = sys.stderr
    client = MlflowClient(tracking_uri=sys.argv[1])
    out_stream.write(json.dumps({"ready": True}) + "\n")
    out_stream.flush()
    for line in sys.stdin:
        if not line.strip():
            continue
        req = json.loads(line)
        try:
            out = {"id": req["id"], "result": handle(client, req["op"], req.get("args") or {})}
        except Exception as e:  # noqa: BLE001 - every failure goes back to the caller
            out = {"id": req["id"], "error": f"{type(e).__name__}: {e}", "trace": traceback.format_exc()}
        out_stream.write(json.dumps(out, allow_nan=False) + "\n")
        out_stream.flush()


if __name__ == "__main__":
    main()
