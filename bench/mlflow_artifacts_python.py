"""Python side of bench/mlflow-artifacts.mjs: MLflow's own artifact client (MlflowClient.log_artifact(s) up,
mlflow.artifacts.download_artifacts down) in one long-lived process, so mlflow's import is paid once and not
timed. One JSON request per stdin line; one JSON answer per line on the real stdout:
  {"op": "roundtrip", "run_id", "local", "artifact_path", "dst", "tree": bool} -> {"ms", "maxRssKb"}"""
import json
import os
import resource
import sys
import time

import mlflow
from mlflow import MlflowClient

client = MlflowClient()
answers = sys.stdout
sys.stdout = sys.stderr
print(json.dumps({"ready": mlflow.__version__}), file=answers, flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    r = json.loads(line)
    started = time.perf_counter()
    if r["tree"]:
        client.log_artifacts(r["run_id"], r["local"], r["artifact_path"])
    else:
        client.log_artifact(r["run_id"], r["local"], r["artifact_path"])
    mlflow.artifacts.download_artifacts(run_id=r["run_id"], artifact_path=r["artifact_path"], dst_path=r["dst"])
    ms = (time.perf_counter() - started) * 1000
    print(json.dumps({"ms": ms, "maxRssKb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), file=answers, flush=True)
