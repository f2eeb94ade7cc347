# Trino (Maven Central's io.trino:trino-server tar.gz, fetched with mvn), one node on loopback that is both
# coordinator and worker: the engine of Feast's Trino offline store. Optional component (`platform up trino`).
# Catalogs: `postgresql` (the platform's feast database, read-only through file access control), `memory` (entity
# uploads that are lost when the node restarts) and `iceberg` (entity uploads that survive it: Iceberg tables whose
# catalog is a JDBC catalog in the platform's PostgreSQL, database trino_iceberg, and whose files are on the local
# file system under .state/data/trino-iceberg — no metastore or object store to run). Needs Java 22+ (Trino 476).
TRINO_HOME="$TOOLS/trino-server-$TRINO_VERSION"
TRINO_ETC="$CONF/trino"
TRINO_DATA="$DATA/trino"
TRINO_M2="$STATE/cache/m2"
TRINO_TARBALL="$TRINO_M2/io/trino/trino-server/$TRINO_VERSION/trino-server-$TRINO_VERSION.tar.gz"
# The iceberg catalog: its JDBC catalog's database in the platform's PostgreSQL, and its warehouse's root.
TRINO_ICEBERG_DB=trino_iceberg
TRINO_ICEBERG_DIR="$DATA/trino-iceberg"

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

trino_installed_as() { echo "$TRINO_VERSION plugins=$TRINO_PLUGINS"; }

trino_install() {
  [[ -x $TRINO_HOME/bin/launcher && $(cat "$TRINO_HOME/.platform-installed" 2>/dev/null) == "$(trino_installed_as)" ]] && return 0
  command -v mvn >/dev/null 2>&1 || apt_install maven
  local lockfd
  exec {lockfd}>"$TOOLS/.trino.lock"
  flock "$lockfd"
  if [[ $(cat "$TRINO_HOME/.platform-installed" 2>/dev/null) == "$(trino_installed_as)" ]]; then exec {lockfd}>&-; return 0; fi
  # mvn's local repository keeps the tarball: a warm (re)install, or a changed plugin list, does not download again.
  if [[ ! -f $TRINO_TARBALL ]]; then
    log "fetching io.trino:trino-server:$TRINO_VERSION:tar.gz with mvn (~820 MB) — log: .state/logs/install-trino.log"
    mkdir -p "$TRINO_M2"
    if ! mvn -B -q -Dmaven.repo.local="$TRINO_M2" dependency:get -Dtransitive=false \
      -Dartifact="io.trino:trino-server:$TRINO_VERSION:tar.gz" >>"$LOGS/install-trino.log" 2>&1 || [[ ! -f $TRINO_TARBALL ]]; then
      tail -n 20 "$LOGS/install-trino.log" >&2
      die "mvn could not fetch io.trino:trino-server:$TRINO_VERSION:tar.gz"
    fi
  fi
  local p keep=" $TRINO_PLUGINS " missing=()
  if [[ -x $TRINO_HOME/bin/launcher && -f $TRINO_HOME/.platform-installed ]]; then
    # Installed with other plugins: unpack only the ones missing (a running node keeps what it loaded at start).
    # The tarball hard-links jars shared between plugins, so a plugin cannot be unpacked alone: unpack the whole
    # tarball aside and move the missing plugins in (whole directories, so a plugin is there entirely or not at all).
    for p in $TRINO_PLUGINS; do [[ -d $TRINO_HOME/plugin/$p ]] || missing+=("$p"); done
    if ((${#missing[@]})); then
      log "trino: adding plugins ${missing[*]} from the cached tarball"
      local aside="$TOOLS/.trino-unpack.$$"
      rm -rf "$aside" && mkdir -p "$aside"
      tar -xzf "$TRINO_TARBALL" -C "$aside" || { rm -rf "$aside"; die "unpacking trino-server failed"; }
      for p in "${missing[@]}"; do
        [[ -d $aside/trino-server-$TRINO_VERSION/plugin/$p ]] || { rm -rf "$aside"; die "trino-server $TRINO_VERSION has no plugin $p"; }
        mv "$aside/trino-server-$TRINO_VERSION/plugin/$p" "$TRINO_HOME/plugin/$p"
      done
      rm -rf "$aside"
    fi
  else
    rm -rf "$TRINO_HOME" && mkdir -p "$TOOLS"
    tar -xzf "$TRINO_TARBALL" -C "$TOOLS" || die "unpacking trino-server failed"
  fi
  # Only the plugins the platform uses (the postgresql connector needs geospatial's types): smaller and faster to start.
  for p in "$TRINO_HOME"/plugin/*/; do
    p=$(basename "$p")
    [[ $keep == *" $p "* ]] || rm -rf "${TRINO_HOME:?}/plugin/$p"
  done
  trino_installed_as >"$TRINO_HOME/.platform-installed"
  exec {lockfd}>&-
}

# The iceberg catalog's JDBC catalog: its own database and the two tables of Iceberg's JDBC catalog schema (V1),
# which Trino expects to exist (it does not create them).
trino_iceberg_db() {
  if [[ -z $(psql_q -d postgres -tAc "select 1 from pg_database where datname='$TRINO_ICEBERG_DB'") ]]; then
    psql_q -d postgres -c "create database $TRINO_ICEBERG_DB" || return 1
  fi
  psql_q -d "$TRINO_ICEBERG_DB" <<'SQL'
create table if not exists iceberg_tables (
  catalog_name varchar(255) not null,
  table_namespace varchar(255) not null,
  table_name varchar(255) not null,
  metadata_location varchar(1000),
  previous_metadata_location varchar(1000),
  iceberg_type varchar(5),
  primary key (catalog_name, table_namespace, table_name));
create table if not exists iceberg_namespace_properties (
  catalog_name varchar(255) not null,
  namespace varchar(255) not null,
  property_key varchar(255),
  property_value varchar(1000),
  primary key (catalog_name, namespace, property_key));
SQL
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
query.max-memory=2GB
query.max-memory-per-node=1GB
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
  # Iceberg with a JDBC catalog on the platform's PostgreSQL and the warehouse on the local file system
  # (local:///x is TRINO_ICEBERG_DIR/x): tables outlive the node, nothing else to run.
  mkdir -p "$TRINO_ICEBERG_DIR"
  cat >"$TRINO_ETC/catalog/iceberg.properties" <<PROPS
connector.name=iceberg
iceberg.catalog.type=jdbc
iceberg.jdbc-catalog.catalog-name=mlops_platform
iceberg.jdbc-catalog.driver-class=org.postgresql.Driver
iceberg.jdbc-catalog.connection-url=jdbc:postgresql://127.0.0.1:$POSTGRES_PORT/$TRINO_ICEBERG_DB
iceberg.jdbc-catalog.connection-user=postgres
iceberg.jdbc-catalog.default-warehouse-dir=local:///warehouse
iceberg.file-format=PARQUET
fs.native-local.enabled=true
local.location=$TRINO_ICEBERG_DIR
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
  trino_iceberg_db || die "could not create the iceberg catalog's database $TRINO_ICEBERG_DB in PostgreSQL"
  running_healthy trino 60 trino_healthy && return 0
  require_free_port trino "$TRINO_PORT"
  # The launcher refuses to start ("already running as <pid>") while its own pid file names a live process: wait
  # for a Trino of this data directory that is still shutting down; a pid reused by anything else is stale.
  local launcher_pid i
  launcher_pid=$(cat "$TRINO_DATA/var/run/launcher.pid" 2>/dev/null)
  if [[ -n $launcher_pid ]]; then
    for ((i = 0; i < 60; i++)); do
      tr '\0' ' ' <"/proc/$launcher_pid/cmdline" 2>/dev/null | grep -q -- trino-server || break
      sleep 0.5
    done
    rm -f "$TRINO_DATA/var/run/launcher.pid"
  fi
  local java_home
  java_home=$(trino_java_home) || die "trino $TRINO_VERSION needs Java $TRINO_JAVA_MIN+: none found (set TRINO_JAVA_HOME to a JDK $TRINO_JAVA_MIN+)"
  JAVA_HOME="$java_home" PATH="$java_home/bin:$PATH" \
    start_bg trino "$TRINO_HOME/bin/launcher" run --etc-dir="$TRINO_ETC" --data-dir="$TRINO_DATA"
  wait_for trino 180 trino_healthy
}
trino_stop() { stop_proc trino; }
trino_version() { curl -fsS --max-time 3 "http://127.0.0.1:$TRINO_PORT/v1/info" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
trino_status() { row trino "$(trino_version)" "http://127.0.0.1:$TRINO_PORT (catalogs postgresql read-only, memory, iceberg)" trino_healthy; }
