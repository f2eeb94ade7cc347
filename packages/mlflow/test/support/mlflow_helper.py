"""A long-lived Python MLflow process for the interop tests: imports mlflow once, then answers one JSON
request per stdin line ({"fn": name, "args": {...}}) with one JSON line ({"ok": value} or {"error": text}).
Everything it reads is turned into the camelCase shape @mlops/mlflow answers with, field by field, so a test
compares the two with one toEqual."""
import json
import os
import sys
import traceback

import mlflow
from mlflow import MlflowClient
from mlflow.entities import LoggedModelStatus
from mlflow.protos.service_pb2 import LoggedModelStatus as LoggedModelStatusProto

client = MlflowClient()


def mv_dict(v):
    return {
        "name": v.name,
        "version": str(v.version),
        "creationTimestamp": v.creation_timestamp,
        "lastUpdatedTimestamp": v.last_updated_timestamp,
        "description": v.description,
        "userId": v.user_id,
        "currentStage": v.current_stage,
        "source": v.source,
        "runId": v.run_id,
        "runLink": v.run_link,
        "status": v.status,
        "statusMessage": v.status_message,
        "tags": dict(v.tags),
        "aliases": list(v.aliases),
        "modelId": v.model_id,
    }


def rm_dict(m):
    return {
        "name": m.name,
        "creationTimestamp": m.creation_timestamp,
        "lastUpdatedTimestamp": m.last_updated_timestamp,
        "description": m.description,
        "latestVersions": [mv_dict(v) for v in (m.latest_versions or [])],
        "tags": dict(m.tags),
        "aliases": dict(m.aliases),
    }


def lm_dict(m):
    status = m.status
    return {
        "modelId": m.model_id,
        "experimentId": m.experiment_id,
        "name": m.name,
        "artifactLocation": m.artifact_location,
        "creationTimestamp": m.creation_timestamp,
        "lastUpdatedTimestamp": m.last_updated_timestamp,
        "modelType": m.model_type,
        "sourceRunId": m.source_run_id,
        # The wire name (LOGGED_MODEL_READY), which is what the TypeScript client keeps.
        "status": LoggedModelStatusProto.Name(status.to_proto()),
        "statusMessage": m.status_message,
        "tags": dict(m.tags),
        "params": dict(m.params),
    }


def read_registered_model(name):
    return rm_dict(client.get_registered_model(name))


def read_model_version(name, version):
    return mv_dict(client.get_model_version(name, version))


def read_alias(name, alias):
    return mv_dict(client.get_model_version_by_alias(name, alias))


def read_logged_model(model_id):
    return lm_dict(client.get_logged_model(model_id))


def search_versions(name):
    return [mv_dict(v) for v in client.search_model_versions(f"name = '{name}'", order_by=["version_number ASC"])]


def list_artifacts(run_id, path=None):
    return [{"path": f.path, "isDir": f.is_dir, "fileSize": f.file_size} for f in client.list_artifacts(run_id, path)]


def download(uri, dst):
    return mlflow.artifacts.download_artifacts(artifact_uri=uri, dst_path=dst)


def write_registry(name, experiment_id):
    """What Python registers, for the TypeScript client to read."""
    lm = client.create_logged_model(experiment_id, name="py-model", tags={"by": "python"}, params={"alpha": "0.1"})
    client.finalize_logged_model(lm.model_id, LoggedModelStatus.READY)
    client.create_registered_model(name, tags={"team": "py", "a/b: c": "v ?#%ü"}, description="from python")
    client.create_model_version(name, f"models:/{lm.model_id}", model_id=lm.model_id, tags={"q": "1"}, description="v1")
    client.create_model_version(name, f"models:/{lm.model_id}", model_id=lm.model_id)
    client.set_registered_model_alias(name, "champion", "2")
    client.transition_model_version_stage(name, "1", "Staging")
    client.set_model_version_tag(name, "2", "validated", "true")
    return {"modelId": lm.model_id}


def log_sklearn_model(experiment_name, model_name):
    """A scikit-learn model logged with a signature and an input example, registered, alias champion."""
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(7)
    X = pd.DataFrame(
        {
            "sepal_length": rng.normal(5.8, 0.8, 120),
            "sepal_width": rng.normal(3.0, 0.4, 120),
            "petal_count": rng.integers(1, 9, 120).astype("int64"),
            "region": rng.choice(["north", "south"], 120),
        }
    )
    y = (X["sepal_length"] > 5.8).astype(int)
    model = LogisticRegression(max_iter=200).fit(X[["sepal_length", "sepal_width", "petal_count"]], y)

    mlflow.set_experiment(experiment_name)
    with mlflow.start_run() as run:
        example = X.head(3)
        signature = infer_signature(example, model.predict(example[["sepal_length", "sepal_width", "petal_count"]]))
        info = mlflow.sklearn.log_model(
            model,
            name="model",
            signature=signature,
            input_example=example,
            registered_model_name=model_name,
        )
    version = info.registered_model_version
    client.set_registered_model_alias(model_name, "champion", str(version))
    return {
        "runId": run.info.run_id,
        "experimentId": run.info.experiment_id,
        "modelId": info.model_id,
        "version": str(version),
        "artifactUri": client.get_model_version_download_uri(model_name, str(version)),
    }


FUNCTIONS = {
    f.__name__: f
    for f in [
        read_registered_model,
        read_model_version,
        read_alias,
        read_logged_model,
        search_versions,
        list_artifacts,
        download,
        write_registry,
        log_sklearn_model,
    ]
}

# MLflow prints to stdout (run links, progress bars): the answers get the real stdout to themselves.
answers = sys.stdout
sys.stdout = sys.stderr
print(json.dumps({"ready": mlflow.__version__}), file=answers, flush=True)
for line in sys.stdin:
    if not line.strip():
        continue
    request = json.loads(line)
    try:
        answer = {"ok": FUNCTIONS[request["fn"]](**request.get("args", {}))}
    except Exception as error:  # noqa: BLE001 - every failure goes back to the test as text
        answer = {"error": f"{type(error).__name__}: {error}\n{traceback.format_exc()}"}
    print(json.dumps(answer), file=answers, flush=True)
