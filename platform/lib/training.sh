# The model-training Python (PyPI) in .state/venvs/training: the MLflow client at the server's exact version, with
# scikit-learn, skl2onnx, onnx and onnxruntime. platform/training/train.py runs in it (the demo's model, the serving
# tests' models); onnxruntime is also the Python reference the serving tests compare @mlops/platform's predictor with.
# Built on every 'platform up' that starts mlflow (a no-op when the marker matches), so a fresh machine has it.

TRAINING_VENV="$VENVS/training"

_training_venv_install() {
  local venv=$1 lock="$PLATFORM_DIR/locks/mlflow.txt"
  if [[ -f $lock ]] && grep -qx "mlflow==$MLFLOW_VERSION" "$lock"; then
    # The MLflow server's exact transitive pins (numpy, pandas, pyarrow, scikit-learn included; installed without
    # resolving, as mlflow.sh does: mirrors may lack mlflow-skinny/mlflow-tracing at mlflow's version), then the
    # ONNX tooling resolved against them.
    "$UV" pip sync --python "$venv/bin/python" "$lock" || return 1
    uv_pip "$venv" -c "$lock" "skl2onnx==$SKL2ONNX_VERSION" "onnx==$ONNX_VERSION" "onnxruntime==$ONNXRUNTIME_PY_VERSION"
    return
  fi
  uv_pip "$venv" "mlflow==$MLFLOW_VERSION" "scikit-learn==$SKLEARN_VERSION" "pyarrow==$TRAINING_PYARROW_VERSION" \
    "pandas==$TRAINING_PANDAS_VERSION" "skl2onnx==$SKL2ONNX_VERSION" "onnx==$ONNX_VERSION" "onnxruntime==$ONNXRUNTIME_PY_VERSION"
}
training_install() {
  ensure_venv training "mlflow==$MLFLOW_VERSION scikit-learn==$SKLEARN_VERSION skl2onnx==$SKL2ONNX_VERSION onnx==$ONNX_VERSION onnxruntime==$ONNXRUNTIME_PY_VERSION lock=$(sha_of "$PLATFORM_DIR/locks/mlflow.txt")" _training_venv_install
}

# training_python : the venv's python (built when missing), for scripts: "$(training_python)" platform/training/train.py
training_python() { training_install >&2 && echo "$TRAINING_VENV/bin/python"; }
