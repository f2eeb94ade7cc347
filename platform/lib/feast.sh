# Feast (PyPI) in .state/venvs/feast: repo platform/feast (file registry under .state/data/feast, Redis online
# store, PostgreSQL offline store), seeded and materialized once; a second apply into the SQL registry
# (database feast_registry), and a materialization into the Redis Cluster (redis-cluster/feature_store.yaml).
# Processes: feature server (FEAST_SERVER_PORT) and registry server (gRPC FEAST_REGISTRY_GRPC_PORT, REST
# FEAST_REGISTRY_REST_PORT).

FEAST_VENV="$VENVS/feast"
FEAST_REPO="$PLATFORM_DIR/feast"
FEAST_DATA="$DATA/feast"
FEAST_MATERIALIZE_START=2025-12-01T00:00:00
FEAST_MATERIALIZE_END=2026-01-02T00:00:00
FEAST_PROJECT=mlops_demo  # as in feast/feature_store.yaml
FEAST_DSN="host=127.0.0.1 port=$POSTGRES_PORT dbname=feast user=postgres"

feast_cli() { (cd "$FEAST_REPO" && "$FEAST_VENV/bin/feast" "$@"); }

_feast_venv_install() {
  local venv=$1 lock="$PLATFORM_DIR/locks/feast.txt"
  if [[ -f $lock ]] && grep -qx "feast==$FEAST_VERSION" "$lock"; then "$UV" pip sync --python "$venv/bin/python" "$lock"; return; fi
  uv_pip "$venv" "feast[$FEAST_EXTRAS]==$FEAST_VERSION" $FEAST_EXTRA_PINS
}
feast_install() {
  ensure_venv feast "feast[$FEAST_EXTRAS]==$FEAST_VERSION $FEAST_EXTRA_PINS lock=$(sha_of "$PLATFORM_DIR/locks/feast.txt")" _feast_venv_install feast_stop
}

feast_setup_hash() {
  sha_of "$FEAST_REPO"/*.py "$FEAST_REPO"/feature_store.yaml "$FEAST_REPO"/sql-registry/feature_store.yaml \
    "$FEAST_REPO"/redis-cluster/feature_store.yaml \
    "$PLATFORM_DIR/lib/feast_seed.py" <(echo "$FEAST_VERSION $FEAST_MATERIALIZE_START $FEAST_MATERIALIZE_END")
}

# Seed the offline store, apply both registries, materialize: only when the repo or seed changed, or when Redis
# or the cluster holds no keys of the project.
feast_setup() {
  mkdir -p "$FEAST_DATA"
  local want; want=$(feast_setup_hash)
  local lf="$LOGS/feast-setup.log"
  if [[ ! -f $FEAST_DATA/setup.done ]] || [[ $(cat "$FEAST_DATA/setup.done") != "$want" ]] || [[ ! -f $FEAST_DATA/registry.db ]]; then
    log "feast: seeding PostgreSQL, feast apply (file + SQL registry) — log: .state/logs/feast-setup.log"
    {
      echo "===== $(date -u +%FT%TZ) setup"
      "$FEAST_VENV/bin/python" "$PLATFORM_DIR/lib/feast_seed.py" --dsn "$FEAST_DSN" &&
        feast_cli apply &&
        feast_cli -f "$FEAST_REPO/sql-registry/feature_store.yaml" apply
    } >>"$lf" 2>&1 || { tail -n 40 "$lf" >&2; return 1; }
    rm -f "$FEAST_DATA/setup.done"
    feast_delete_project_keys
  fi
  if [[ $(feast_redis_keys) == 0 ]]; then
    log "feast: materialize $FEAST_MATERIALIZE_START .. $FEAST_MATERIALIZE_END into redis"
    feast_cli materialize "$FEAST_MATERIALIZE_START" "$FEAST_MATERIALIZE_END" >>"$lf" 2>&1 || { tail -n 40 "$lf" >&2; return 1; }
    log "feast: redis now holds $(feast_redis_keys) $FEAST_PROJECT keys"
  fi
  if [[ $(feast_cluster_keys) == 0 ]]; then
    log "feast: materialize $FEAST_MATERIALIZE_START .. $FEAST_MATERIALIZE_END into redis-cluster"
    feast_cli -f "$FEAST_REPO/redis-cluster/feature_store.yaml" materialize "$FEAST_MATERIALIZE_START" "$FEAST_MATERIALIZE_END" \
      >>"$lf" 2>&1 || { tail -n 40 "$lf" >&2; return 1; }
    log "feast: redis-cluster now holds $(feast_cluster_keys) $FEAST_PROJECT keys"
  fi
  echo "$want" >"$FEAST_DATA/setup.done"
}

# Feast's Redis keys are <serialized entity key><project name>: count/delete only this project's keys, so other
# projects sharing the same Redis (e.g. bench/'s mlops_bench) are left alone.
_feast_keys_on() { redis-cli -h 127.0.0.1 -p "$1" --scan --pattern "*$FEAST_PROJECT" 2>/dev/null; }
feast_redis_keys() { _feast_keys_on "$REDIS_PORT" | wc -l; }
feast_cluster_keys() {
  local p n total=0
  for p in $REDIS_CLUSTER_PORTS; do n=$(_feast_keys_on "$p" | wc -l); total=$((total + ${n:-0})); done
  echo "$total"
}
feast_delete_project_keys() {
  local p
  for p in "$REDIS_PORT" $REDIS_CLUSTER_PORTS; do
    # Keys are binary (not safe through a shell pipe): SCAN + UNLINK inside the server, one node at a time.
    redis-cli -h 127.0.0.1 -p "$p" --eval /dev/stdin , "*$FEAST_PROJECT" >/dev/null <<'LUA'
local cursor = "0"
repeat
  local r = redis.call("SCAN", cursor, "MATCH", ARGV[1], "COUNT", 1000)
  cursor = r[1]
  for _, k in ipairs(r[2]) do redis.call("UNLINK", k) end
until cursor == "0"
LUA
  done
}

feast_server_healthy() { http_ok "http://127.0.0.1:$FEAST_SERVER_PORT/health"; }
feast_registry_healthy() {
  port_in_use "$FEAST_REGISTRY_GRPC_PORT" && http_ok "http://127.0.0.1:$FEAST_REGISTRY_REST_PORT/api/v1/projects"
}

feast_start() {
  feast_install
  feast_setup || return 1
  if ! running_healthy feast-server 60 feast_server_healthy; then
    require_free_port feast-server "$FEAST_SERVER_PORT"
    start_bg feast-server bash -c "cd '$FEAST_REPO' && exec '$FEAST_VENV/bin/feast' serve -h 127.0.0.1 -p $FEAST_SERVER_PORT --no-access-log -r 5"
  fi
  if ! running_healthy feast-registry 60 feast_registry_healthy; then
    require_free_port feast-registry "$FEAST_REGISTRY_GRPC_PORT"
    require_free_port feast-registry "$FEAST_REGISTRY_REST_PORT"
    start_bg feast-registry bash -c "cd '$FEAST_REPO' && exec '$FEAST_VENV/bin/feast' serve_registry -p $FEAST_REGISTRY_GRPC_PORT --rest-api --rest-port $FEAST_REGISTRY_REST_PORT -h 127.0.0.1"
  fi
  wait_for feast-server 120 feast_server_healthy || return 1
  wait_for feast-registry 120 feast_registry_healthy
}
feast_stop() { stop_proc feast-registry; stop_proc feast-server; }
feast_version() { [[ -f $FEAST_VENV/.platform-installed ]] && echo "$FEAST_VERSION"; }
feast_status() {
  row feast-server "$(feast_version)" "http://127.0.0.1:$FEAST_SERVER_PORT" feast_server_healthy
  row feast-registry "$(feast_version)" "grpc 127.0.0.1:$FEAST_REGISTRY_GRPC_PORT, http://127.0.0.1:$FEAST_REGISTRY_REST_PORT/api/v1" feast_registry_healthy
  row feast-online "$(feast_version)" "$FEAST_PROJECT keys: redis $(feast_redis_keys), redis-cluster $(feast_cluster_keys)" _feast_online_ok
}
_feast_online_ok() {
  [[ -f $FEAST_DATA/setup.done ]] && [[ $(feast_redis_keys) -gt 0 ]] && [[ $(feast_cluster_keys) -gt 0 ]]
}
