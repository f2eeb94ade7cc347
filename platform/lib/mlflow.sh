# MLflow (PyPI) in .state/venvs/mlflow: tracking server on MLFLOW_PORT with a sqlite backend store and served
# artifacts; optional basic-auth variant (component mlflow-auth) on MLFLOW_AUTH_PORT, not started by default.

MLFLOW_VENV="$VENVS/mlflow"
MLFLOW_DATA="$DATA/mlflow"

_mlflow_venv_install() {
  local venv=$1 lock="$PLATFORM_DIR/locks/mlflow.txt"
  if [[ -f $lock ]] && grep -qx "mlflow==$MLFLOW_VERSION" "$lock"; then
    # Exact transitive pins (see the lock's header for why mlflow-skinny is absent).
    "$UV" pip sync --python "$venv/bin/python" "$lock"
    return
  fi
  if ! uv_pip "$venv" "mlflow[$MLFLOW_EXTRAS]==$MLFLOW_VERSION"; then
    # Registry mirrors may carry mlflow X but not yet mlflow-skinny/mlflow-tracing X. The mlflow wheel itself ships
    # the whole mlflow package, so: resolve dependencies with the previous skinny/tracing, drop those two, and lay
    # mlflow X over them without dependencies.
    echo "mlflow-skinny==$MLFLOW_VERSION not resolvable; using the dependency set of the previous skinny release"
    local prev; prev=$("$UV" pip install --dry-run --python "$venv/bin/python" "mlflow-skinny<$MLFLOW_VERSION" 2>&1 | awk '/mlflow-skinny==/{sub(/.*==/,"");print;exit}')
    [[ -n $prev ]] || return 1
    printf 'mlflow-skinny==%s\nmlflow-tracing==%s\n' "$prev" "$prev" >"$venv/overrides.txt"
    uv_pip "$venv" "mlflow[$MLFLOW_EXTRAS]==$MLFLOW_VERSION" --override "$venv/overrides.txt" || return 1
    "$UV" pip uninstall --python "$venv/bin/python" mlflow mlflow-skinny mlflow-tracing || return 1
    uv_pip "$venv" --no-deps "mlflow==$MLFLOW_VERSION" || return 1
  fi
}
mlflow_install() {
  ensure_venv mlflow "mlflow[$MLFLOW_EXTRAS]==$MLFLOW_VERSION lock=$(sha_of "$PLATFORM_DIR/locks/mlflow.txt")" _mlflow_venv_install mlflow_all_stop
}

mlflow_healthy() { [[ $(curl -fsS --max-time 3 "http://127.0.0.1:$MLFLOW_PORT/health" 2>/dev/null) == OK ]]; }

# The server's environment. Webhooks may be delivered over http to loopback receivers (tests run their own on
# 127.0.0.1): MLflow refuses both by default (https only, public addresses only), which a local platform on
# loopback must allow so that nothing is ever sent off the machine.
MLFLOW_SERVER_ENV=(MLFLOW_ENABLE_TELEMETRY=false MLFLOW_DISABLE_TELEMETRY=true DO_NOT_TRACK=true
  MLFLOW_SERVER_ENABLE_JOB_EXECUTION=false MLFLOW_WEBHOOK_ALLOWED_SCHEMES=http,https MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS=true)

# mlflow_restart_if_env_changed name : a server started with another environment is stopped, so it starts anew.
mlflow_restart_if_env_changed() {
  local name=$1 want; want=$(printf '%s\n' "${MLFLOW_SERVER_ENV[@]}")
  if pid_alive "$name" && [[ $(cat "$RUN/$name.env" 2>/dev/null) != "$want" ]]; then
    log "$name runs with an older environment; restarting it"
    stop_proc "$name"
  fi
  printf '%s' "$want" >"$RUN/$name.env"
}

mlflow_start() {
  mlflow_install
  training_install  # the training client venv (platform/lib/training.sh) comes with the tracking server
  mlflow_restart_if_env_changed mlflow
  running_healthy mlflow 90 mlflow_healthy && return 0
  require_free_port mlflow "$MLFLOW_PORT"
  mkdir -p "$MLFLOW_DATA/artifacts"
  (
    export "${MLFLOW_SERVER_ENV[@]}"
    start_bg mlflow "$MLFLOW_VENV/bin/mlflow" server --host 127.0.0.1 --port "$MLFLOW_PORT" --workers 1 \
      --backend-store-uri "sqlite:///$MLFLOW_DATA/mlflow.db" \
      --serve-artifacts --artifacts-destination "$MLFLOW_DATA/artifacts"
  )
  wait_for mlflow 180 mlflow_healthy
}
mlflow_stop() { stop_proc mlflow; }
mlflow_version() { [[ -x $MLFLOW_VENV/bin/python ]] && "$MLFLOW_VENV/bin/python" -c 'import mlflow;print(mlflow.__version__)' 2>/dev/null; }
mlflow_url() { echo "http://127.0.0.1:$MLFLOW_PORT"; }

# ---- mlflow-auth: the basic-auth app, admin user created with fixed test credentials on first start.

mlflow_auth_healthy() { [[ $(curl -fsS --max-time 3 "http://127.0.0.1:$MLFLOW_AUTH_PORT/health" 2>/dev/null) == OK ]]; }

mlflow_auth_start() {
  mlflow_install
  mlflow_restart_if_env_changed mlflow-auth
  running_healthy mlflow-auth 90 mlflow_auth_healthy && return 0
  require_free_port mlflow-auth "$MLFLOW_AUTH_PORT"
  mkdir -p "$DATA/mlflow-auth/artifacts" "$CONF"
  cat >"$CONF/mlflow-basic-auth.ini" <<INI
[mlflow]
default_permission = READ
database_uri = sqlite:///$DATA/mlflow-auth/basic_auth.db
admin_username = $MLFLOW_AUTH_ADMIN_USER
admin_password = $MLFLOW_AUTH_ADMIN_PASSWORD
authorization_function = mlflow.server.auth:authenticate_request_basic_auth
INI
  (
    export "${MLFLOW_SERVER_ENV[@]}" MLFLOW_AUTH_CONFIG_PATH="$CONF/mlflow-basic-auth.ini" \
      MLFLOW_FLASK_SERVER_SECRET_KEY=platform-local-test-secret
    start_bg mlflow-auth "$MLFLOW_VENV/bin/mlflow" server --app-name basic-auth --host 127.0.0.1 \
      --port "$MLFLOW_AUTH_PORT" --workers 1 --backend-store-uri "sqlite:///$DATA/mlflow-auth/mlflow.db" \
      --serve-artifacts --artifacts-destination "$DATA/mlflow-auth/artifacts"
  )
  wait_for mlflow-auth 180 mlflow_auth_healthy
}
mlflow_auth_stop() { stop_proc mlflow-auth; }
mlflow_auth_version() { mlflow_version; }
mlflow_auth_url() { echo "http://127.0.0.1:$MLFLOW_AUTH_PORT (basic auth $MLFLOW_AUTH_ADMIN_USER/$MLFLOW_AUTH_ADMIN_PASSWORD)"; }

mlflow_status() { row mlflow "$(mlflow_version)" "$(mlflow_url)" mlflow_healthy; }
mlflow_auth_status() { row mlflow-auth "$(mlflow_auth_version)" "$(mlflow_auth_url)" mlflow_auth_healthy; }
mlflow_all_stop() { mlflow_auth_stop; mlflow_stop; }
