# Trino (Maven Central's io.trino:trino-server tar.gz, fetched with mvn), one node on loopback that is both
# coordinator and worker: the engine of Feast's Trino offline store. Optional component (`platform up trino`).
# Catalogs: `postgresql` (the platform's feast database, read-only through file access control) and `memory`
# (where entity frames are uploaded, as Feast's Trino offline store does). Needs Java 22+ (Trino 476).

TRINO_HOME="$TOOLS/trino-server-$TRINO_VERSION"
TRINO_ETC="$CONF/trino"
TRINO_DATA="$DATA/trino"
TRINO_M2="$STATE/cache/m2"

# A Java of at least TRINO_JAVA_MIN: TRINO_JAVA_HOME when set, else the newest JDK found in the usual places.
trino_java_home() {
  local candidates=() c v
  [[ -n ${TRINO_JAVA_HOME:-} ]] && candidates+=("$TRINO_JAVA_HOME")
  for c in /usr/lib/jvm/*/; do candidates+=("${c%/}"); done
  for c in "${candidates[@]}"; do
    [[ -x $c/bin/java ]] || continue
    v=$("$c/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)
    [[ -n $v ]] && ((v >= TRINO_JAVA_MIN)) && { echo "$c"; return 0; }
  done
  return 1
}

trino_install() {
  [[ -x $TRINO_HOME/bin/launcher && -f $TRINO_HOME/.platform-installed ]] && return 0
  command -v mvn >/dev/null 2>&1 || apt_install maven
  local lockfd
  exec {lockfd}>"$TOOLS/.trino.lock"
  flock "$lockfd"
  if [[ -f $TRINO_HOME/.platform-installed ]]; then exec {lockfd}>&-; return 0; fi
  log "fetching io.trino:trino-server:$TRINO_VERSION:tar.gz with mvn (~820 MB) — log: .state/logs/install-trino.log"
  mkdir -p "$TRINO_M2" "$STATE/cache/trino"
  if ! mvn -B -q -Dmaven.repo.local="$TRINO_M2" dependency:copy \
    -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" -DoutputDirectory="$STATE/cache/trino" \
    >>"$LOGS/install-trino.log" 2>&1; then
    tail -n 20 "$LOGS/install-trino.log" >&2
    die "mvn could not fetch io.trino:trino-server:$TRINO_VERSION:tar.gz"
  fi
  rm -rf "$TRINO_HOME" && mkdir -p "$TOOLS"
  tar -xzf "$STATE/cache/trino/trino-server-$TRINO_VERSION.tar.gz" -C "$TOOLS" || die "unpacking trino-server failed"
  # Only the plugins the platform uses (the postgresql connector needs geospatial's types): smaller and faster to start.
  local p keep=" $TRINO_PLUGINS "
  for p in "$TRINO_HOME"/plugin/*/; do
    p=$(basename "$p")
    [[ $keep == *" $p "* ]] || rm -rf "${TRINO_HOME:?}/plugin/$p"
  done
  # The tarball is cached by mvn's local repository; the copy is not needed once unpacked.
  rm -f "$STATE/cache/trino/trino-server-$TRINO_VERSION.tar.gz"
  echo "$TRINO_VERSION plugins=$TRINO_PLUGINS" >"$TRINO_HOME/.platform-installed"
  exec {lockfd}>&-
}

trino_render_config() {
  mkdir -p "$TRINO_ETC/catalog" "$TRINO_DATA"
  cat >"$TRINO_ETC/node.properties" <<PROPS
node.environment=mlops_platform
node.id=mlops-platform-trino
node.data-dir=$TRINO_DATA
node.bind-ip=127.0.0.1
node.internal-address=127.0.0.1
PROPS
  cat >"$TRINO_ETC/jvm.config" <<JVM
-server
-Xmx$TRINO_HEAP
-XX:InitialRAMPercentage=10
-XX:+UseG1GC
-XX:G1HeapRegionSize=32M
-XX:+ExplicitGCInvokesConcurrent
-XX:+ExitOnOutOfMemoryError
-XX:+HeapDumpOnOutOfMemoryError
-XX:-OmitStackTraceInFastThrow
-XX:ReservedCodeCacheSize=256M
-XX:PerMethodRecompilationCutoff=10000
-XX:PerBytecodeRecompilationCutoff=10000
-Djdk.attach.allowAttachSelf=true
-Djdk.nio.maxCachedBufferSize=2000000
-XX:+EnableDynamicAgentLoading
-Dfile.encoding=UTF-8
JVM
  cat >"$TRINO_ETC/config.properties" <<PROPS
coordinator=true
node-scheduler.include-coordinator=true
http-server.http.port=$TRINO_PORT
discovery.uri=http://127.0.0.1:$TRINO_PORT
query.max-memory=1GB
query.max-memory-per-node=512MB
PROPS
  cat >"$TRINO_ETC/log.properties" <<PROPS
io.trino=INFO
PROPS
  cat >"$TRINO_ETC/catalog/postgresql.properties" <<PROPS
connector.name=postgresql
connection-url=jdbc:postgresql://127.0.0.1:$POSTGRES_PORT/feast
connection-user=postgres
PROPS
  cat >"$TRINO_ETC/catalog/memory.properties" <<PROPS
connector.name=memory
memory.max-data-per-node=512MB
PROPS
  # Trino may read the platform's PostgreSQL but never write it; everything else is open (loopback only).
  cat >"$TRINO_ETC/access-control.properties" <<PROPS
access-control.name=file
security.config-file=$TRINO_ETC/access-rules.json
PROPS
  cat >"$TRINO_ETC/access-rules.json" <<'JSON'
{"catalogs": [{"catalog": "postgresql", "allow": "read-only"}, {"allow": "all"}]}
JSON
}

# Healthy = the node has finished starting and answers a query.
trino_healthy() {
  local info; info=$(curl -fsS --max-time 3 "http://127.0.0.1:$TRINO_PORT/v1/info" 2>/dev/null) || return 1
  [[ $info == *'"starting":false'* ]] || return 1
  trino_select_1
}

# SELECT 1 through the REST protocol: POST /v1/statement, then follow nextUri until the query ends.
trino_select_1() {
  local body next state
  body=$(curl -fsS --max-time 5 -X POST -H 'X-Trino-User: platform' --data 'SELECT 1' \
    "http://127.0.0.1:$TRINO_PORT/v1/statement" 2>/dev/null) || return 1
  for _ in $(seq 1 50); do
    state=$(sed -n 's/.*"state":"\([A-Z_]*\)".*/\1/p' <<<"$body")
    [[ $state == FINISHED ]] && return 0
    [[ $state == FAILED ]] && return 1
    next=$(sed -n 's/.*"nextUri":"\([^"]*\)".*/\1/p' <<<"$body")
    [[ -n $next ]] || { [[ $body == *'"data":[[1]]'* ]]; return; }
    body=$(curl -fsS --max-time 5 -H 'X-Trino-User: platform' "$next" 2>/dev/null) || return 1
  done
  return 1
}

# Feast Python's Trino offline store (feast[trino]) in its own venv, the reference of the interop tests and the
# benchmark: the shared `feast` venv keeps its extras (changing them would rebuild it under everyone). Feast and
# what both venvs share are pinned by the feast lock; the trino client resolves freely within Feast's bounds.
FEAST_TRINO_EXTRAS="redis,postgres,trino"
_feast_trino_venv_install() {
  local venv=$1 lock="$PLATFORM_DIR/locks/feast.txt"
  if [[ -f $lock ]]; then
    uv_pip "$venv" -c "$lock" "feast[$FEAST_TRINO_EXTRAS]==$FEAST_VERSION" $FEAST_EXTRA_PINS
  else
    uv_pip "$venv" "feast[$FEAST_TRINO_EXTRAS]==$FEAST_VERSION" $FEAST_EXTRA_PINS
  fi
}
feast_trino_install() {
  ensure_venv feast-trino "feast[$FEAST_TRINO_EXTRAS]==$FEAST_VERSION $FEAST_EXTRA_PINS lock=$(sha_of "$PLATFORM_DIR/locks/feast.txt")" _feast_trino_venv_install
}

trino_start() {
  trino_install
  feast_trino_install
  trino_render_config
  running_healthy trino 60 trino_healthy && return 0
  require_free_port trino "$TRINO_PORT"
  local java_home
  java_home=$(trino_java_home) || die "trino $TRINO_VERSION needs Java $TRINO_JAVA_MIN+: none found (set TRINO_JAVA_HOME to a JDK $TRINO_JAVA_MIN+)"
  JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" \
    start_bg trino "$TRINO_HOME/bin/launcher" run --etc-dir="$TRINO_ETC" --data-dir="$TRINO_DATA"
  wait_for trino 180 trino_healthy
}
trino_stop() { stop_proc trino; }
trino_version() { curl -fsS --max-time 3 "http://127.0.0.1:$TRINO_PORT/v1/info" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
trino_status() { row trino "$(trino_version)" "http://127.0.0.1:$TRINO_PORT (catalogs postgresql read-only, memory)" trino_healthy; }
