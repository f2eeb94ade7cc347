# Redis 7 (Debian redis-server): standalone on REDIS_PORT and a 3-master cluster (no replicas) on REDIS_CLUSTER_PORTS.

redis_install() { apt_install $REDIS_DEB_PACKAGES; stop_debian_service redis-server; }

redis_healthy() { [[ $(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null) == PONG ]]; }

redis_start() {
  redis_install
  running_healthy redis 10 redis_healthy && return 0
  require_free_port redis "$REDIS_PORT"
  mkdir -p "$DATA/redis"
  # RDB snapshot on shutdown keeps materialized features across a warm restart.
  start_bg redis redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --dir "$DATA/redis" \
    --daemonize no --protected-mode yes --save "60 1" --appendonly no --logfile ""
  wait_for redis 20 redis_healthy
}
redis_stop() { stop_proc redis; }
redis_version() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" info server 2>/dev/null | awk -F: '/^redis_version/{gsub("\r","");print $2}'; }
redis_url() { echo "redis://127.0.0.1:$REDIS_PORT"; }

# ---- cluster

redis_cluster_node_up() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }
redis_cluster_healthy() {
  local p; p=${REDIS_CLUSTER_PORTS%% *}
  redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | grep -q '^cluster_state:ok' || return 1
  [[ $(redis-cli -h 127.0.0.1 -p "$p" cluster info 2>/dev/null | awk -F: '/^cluster_known_nodes/{gsub("\r","");print $2}') == 3 ]]
}
redis_cluster_all_nodes_up() { local p; for p in $REDIS_CLUSTER_PORTS; do redis_cluster_node_up "$p" || return 1; done; }

redis_cluster_start() {
  redis_install
  local p
  for p in $REDIS_CLUSTER_PORTS; do
    running_healthy "redis-cluster-$p" 10 redis_cluster_node_up "$p" && continue
    require_free_port redis-cluster "$p"
    mkdir -p "$DATA/redis-cluster/$p"
    start_bg "redis-cluster-$p" redis-server --bind 127.0.0.1 --port "$p" --dir "$DATA/redis-cluster/$p" \
      --daemonize no --cluster-enabled yes --cluster-config-file nodes.conf --cluster-node-timeout 5000 \
      --save "60 1" --appendonly no --logfile ""
  done
  wait_for redis-cluster 20 redis_cluster_all_nodes_up || return 1
  if ! redis_cluster_healthy; then
    # A fresh set of nodes (no slots assigned anywhere) is joined into a cluster; existing nodes.conf re-forms by itself.
    local first=${REDIS_CLUSTER_PORTS%% *}
    if [[ $(redis-cli -h 127.0.0.1 -p "$first" cluster info | awk -F: '/^cluster_slots_assigned/{gsub("\r","");print $2}') == 0 ]]; then
      local addrs=(); for p in $REDIS_CLUSTER_PORTS; do addrs+=("127.0.0.1:$p"); done
      log "creating redis cluster ${addrs[*]}"
      redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 --cluster-yes >>"$LOGS/redis-cluster-create.log" 2>&1 \
        || { tail -n 20 "$LOGS/redis-cluster-create.log" >&2; return 1; }
    fi
    wait_for redis-cluster 30 redis_cluster_healthy
  fi
}
redis_cluster_stop() { local p; for p in $REDIS_CLUSTER_PORTS; do stop_proc "redis-cluster-$p"; done; }
redis_cluster_version() { redis-cli -h 127.0.0.1 -p "${REDIS_CLUSTER_PORTS%% *}" info server 2>/dev/null | awk -F: '/^redis_version/{gsub("\r","");print $2}'; }
redis_cluster_url() { local u=""; local p; for p in $REDIS_CLUSTER_PORTS; do u+="${u:+,}127.0.0.1:$p"; done; echo "redis-cluster://$u"; }
redis_cluster_pidnames() { local p; for p in $REDIS_CLUSTER_PORTS; do echo "redis-cluster-$p"; done; }

redis_status() { row redis "$(redis_version)" "$(redis_url)" redis_healthy; }
redis_cluster_status() { row redis-cluster "$(redis_cluster_version)" "$(redis_cluster_url)" redis_cluster_healthy; }
