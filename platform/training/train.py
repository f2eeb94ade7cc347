"""Train the platform's demo classifier on a training set file and log it to MLflow as an ONNX model.

Runs in the platform's `training` venv (platform/lib/training.sh):

    platform/.state/venvs/training/bin/python platform/training/train.py --input train.arrow \
        --experiment driver-demo --register driver-ranker --alias champion

Input: an Arrow IPC file (.arrow/.ipc/.feather, file or stream format) or a Parquet file, as written by
@mlops/platform's buildTrainingSet / `mlops train-set` from Feast historical features (entity columns, event
timestamp, feature columns). Features: --features (default: the demo feature repo's driver features
conv_rate, acc_rate, avg_daily_trips from driver_hourly_stats). Label: the --label column (default `label`); when
the file has none, --derive-label makes one from the features (1 when conv_rate + acc_rate is above the median of
the set) so the demo has a target without a labelled data set. Rows with a missing feature are dropped (counted).

Model: a scikit-learn pipeline (StandardScaler + LogisticRegression, or --model random_forest), exported with
skl2onnx as ONE float32 input tensor `input` [N, n_features] in --features order and outputs `label` (int64 [N])
and `probabilities` (float32 [N, classes], no ZipMap). Its MLflow signature is column-based (one column per
feature, in the same order; types of the training set), so a client assembles the tensor from named columns.

Logged with mlflow.onnx.log_model under `--name` (default "model") in --run-id (an existing run, e.g. the one
buildTrainingSet logged the dataset and drift profile into) or a new run of --experiment; params (model kind,
hyper-parameters, features, label, rows) and metrics (train/test accuracy, log loss, ROC AUC) on the run.
--register NAME creates a model version from it (and --alias moves that alias to it).

Prints ONE JSON line on stdout: {"run_id", "experiment_id", "model_id", "model_uri", "artifact_path",
"features", "label", "rows", "metrics", "registered": {"name", "version", "alias"} | null}.
Everything else (MLflow's own logging) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

DEFAULT_FEATURES = ["conv_rate", "acc_rate", "avg_daily_trips"]


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--input", required=True, help="training set: Arrow IPC (.arrow/.ipc/.feather) or Parquet file")
    p.add_argument("--features", default=",".join(DEFAULT_FEATURES), help="comma-separated feature columns, in model input order")
    p.add_argument("--label", default="label", help="label column (default: label)")
    p.add_argument("--derive-label", action="store_true", help="no label column: 1 when conv_rate + acc_rate > median")
    p.add_argument("--model", choices=["logistic_regression", "random_forest"], default="logistic_regression")
    p.add_argument("--c", type=float, default=1.0, help="logistic regression: inverse regularisation strength")
    p.add_argument("--n-estimators", type=int, default=50, help="random forest: trees")
    p.add_argument("--max-depth", type=int, default=4, help="random forest: depth")
    p.add_argument("--test-fraction", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=20260101)
    p.add_argument("--tracking-uri", default=os.environ.get("MLFLOW_TRACKING_URI", "http://127.0.0.1:5000"))
    p.add_argument("--experiment", default="mlops-demo-training", help="experiment of a new run (ignored with --run-id)")
    p.add_argument("--run-id", help="log into this existing run instead of starting a new one")
    p.add_argument("--run-name", help="name of a new run")
    p.add_argument("--name", default="model", help="the logged model's name (artifact path), default: model")
    p.add_argument("--register", metavar="NAME", help="register the model under this name")
    p.add_argument("--alias", help="with --register: point this alias at the new version")
    return p.parse_args(argv)


def read_table(path: str):
    import pyarrow as pa
    import pyarrow.ipc as ipc
    import pyarrow.parquet as pq

    if not os.path.isfile(path):
        raise SystemExit(f"train.py: no such file: {path}")
    with open(path, "rb") as f:
        head = f.read(8)
    if head[:4] == b"PAR1":
        return pq.read_table(path)
    if head[:6] == b"ARROW1":
        with pa.memory_map(path) as source:
            return ipc.open_file(source).read_all()
    try:
        with pa.memory_map(path) as source:
            return ipc.open_stream(source).read_all()
    except pa.ArrowInvalid as e:
        raise SystemExit(f"train.py: {path} is neither Parquet nor Arrow IPC (file or stream): {e}") from e


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    # Libraries' chatter goes to stderr; stdout carries the one JSON line.
    real_stdout = sys.stdout
    sys.stdout = sys.stderr
    warnings.filterwarnings("ignore")
    os.environ.setdefault("MLFLOW_ENABLE_TELEMETRY", "false")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("DO_NOT_TRACK", "true")

    import mlflow
    import mlflow.onnx
    import numpy as np
    import pandas as pd
    from mlflow.models import infer_signature
    from mlflow.types.schema import ColSpec, Schema
    from skl2onnx import to_onnx
    from skl2onnx.common.data_types import FloatTensorType
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import accuracy_score, log_loss, roc_auc_score
    from sklearn.model_selection import train_test_split
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    features = [f.strip() for f in args.features.split(",") if f.strip()]
    if not features:
        raise SystemExit("train.py: --features is empty")
    table = read_table(args.input)
    df = table.to_pandas()
    missing = [c for c in features if c not in df.columns]
    if missing:
        raise SystemExit(f"train.py: feature column(s) {missing} not in {args.input} (columns: {list(df.columns)})")
    rows_in = len(df)
    df = df.dropna(subset=features)
    dropped = rows_in - len(df)
    if args.label in df.columns:
        y = df[args.label].astype("int64").to_numpy()
        label = args.label
    elif args.derive_label:
        for c in ("conv_rate", "acc_rate"):
            if c not in df.columns:
                raise SystemExit(f"train.py: --derive-label needs column {c}")
        score = df["conv_rate"].astype("float64") + df["acc_rate"].astype("float64")
        y = (score > score.median()).astype("int64").to_numpy()
        label = "derived:conv_rate+acc_rate>median"
    else:
        raise SystemExit(f"train.py: no label column '{args.label}' in {args.input}; pass --label COLUMN or --derive-label")
    if len(df) < 8:
        raise SystemExit(f"train.py: {len(df)} usable rows (of {rows_in}); need at least 8")
    if len(np.unique(y)) < 2:
        raise SystemExit("train.py: the label has a single class; a classifier needs two")

    x_frame = df[features]
    x = x_frame.to_numpy(dtype=np.float32)
    x_train, x_test, y_train, y_test = train_test_split(
        x, y, test_size=args.test_fraction, random_state=args.seed, stratify=y
    )
    if args.model == "logistic_regression":
        clf = make_pipeline(StandardScaler(), LogisticRegression(C=args.c, max_iter=1000, random_state=args.seed))
        params = {"model": args.model, "C": args.c}
    else:
        clf = make_pipeline(
            StandardScaler(),
            RandomForestClassifier(n_estimators=args.n_estimators, max_depth=args.max_depth, random_state=args.seed),
        )
        params = {"model": args.model, "n_estimators": args.n_estimators, "max_depth": args.max_depth}
    clf.fit(x_train, y_train)
    proba_test = clf.predict_proba(x_test)
    metrics = {
        "train_accuracy": float(accuracy_score(y_train, clf.predict(x_train))),
        "test_accuracy": float(accuracy_score(y_test, clf.predict(x_test))),
        "test_log_loss": float(log_loss(y_test, proba_test, labels=clf.classes_)),
    }
    if len(np.unique(y_test)) == 2:
        metrics["test_roc_auc"] = float(roc_auc_score(y_test, proba_test[:, 1]))

    onx = to_onnx(
        clf,
        initial_types=[("input", FloatTensorType([None, len(features)]))],
        options={id(clf.steps[-1][1]): {"zipmap": False}},
        target_opset={"": 17, "ai.onnx.ml": 3},
    )

    # Column signature in feature order, with the training set's own column types (int64 stays long).
    def col_type(series: pd.Series) -> str:
        k = series.dtype.kind
        if k in "iu":
            return "long" if series.dtype.itemsize > 4 else "integer"
        if k == "f":
            return "double" if series.dtype.itemsize > 4 else "float"
        if k == "b":
            return "boolean"
        raise SystemExit(f"train.py: feature column {series.name} has dtype {series.dtype}; a numeric column is needed")

    input_schema = Schema([ColSpec(col_type(x_frame[c]), c) for c in features])
    sample = x[: min(5, len(x))]
    out_sig = infer_signature(sample, {"label": clf.predict(sample).astype("int64"), "probabilities": clf.predict_proba(sample).astype("float32")})
    signature = mlflow.models.ModelSignature(inputs=input_schema, outputs=out_sig.outputs)

    mlflow.set_tracking_uri(args.tracking_uri)
    if args.run_id:
        run_ctx = mlflow.start_run(run_id=args.run_id)
    else:
        mlflow.set_experiment(args.experiment)
        run_ctx = mlflow.start_run(run_name=args.run_name)
    with run_ctx as run:
        mlflow.log_params(
            {
                **params,
                "features": ",".join(features),
                "label": label,
                "rows": len(df),
                "rows_dropped_missing_features": dropped,
                "test_fraction": args.test_fraction,
                "seed": args.seed,
                "training_set": os.path.basename(args.input),
            }
        )
        mlflow.log_metrics(metrics)
        info = mlflow.onnx.log_model(
            onx,
            name=args.name,
            signature=signature,
            params={k: str(v) for k, v in params.items()},
        )
        run_id = run.info.run_id
        experiment_id = run.info.experiment_id

    registered = None
    if args.register:
        mv = mlflow.register_model(info.model_uri, args.register)
        client = mlflow.MlflowClient()
        if args.alias:
            client.set_registered_model_alias(args.register, args.alias, mv.version)
        registered = {"name": args.register, "version": str(mv.version), "alias": args.alias}

    out = {
        "run_id": run_id,
        "experiment_id": experiment_id,
        "model_id": info.model_id,
        "model_uri": info.model_uri,
        "artifact_path": args.name,
        "features": features,
        "label": label,
        "rows": len(df),
        "metrics": metrics,
        "registered": registered,
    }
    real_stdout.write(json.dumps(out) + "\n")
    real_stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
