# PostgreSQL 15 (Debian postgresql-15): our own cluster under .state/data/postgres, run as the postgres OS user,
# trust auth on 127.0.0.1 only. Databases: feast (offline store), feast_registry (Feast SQL registry), airflow.

PG_BIN="/usr/lib/postgresql/$POSTGRES_MAJOR/bin"
PG_DATA="$DATA/postgres"
PG_SOCK="$RUN/postgres"
PG_DATABASES="feast feast_registry airflow"

pg_as() { runuser -u postgres -- "$@"; }
psql_q() { "$PG_BIN/psql" -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres -X -q -v ON_ERROR_STOP=1 "$@"; }

postgres_install() {
  apt_install $POSTGRES_DEB_PACKAGES
  # Debian's own cluster (main) must not hold our port.
  if command -v pg_lsclusters >/dev/null && pg_lsclusters -h 2>/dev/null | awk '$4=="online" && $3=='"$POSTGRES_PORT"'' | grep -q .; then
    warn "stopping Debian's own PostgreSQL cluster on port $POSTGRES_PORT (the platform runs its own)"
    local v c; read -r v c _ < <(pg_lsclusters -h | awk '$4=="online" && $3=='"$POSTGRES_PORT"'' | head -1)
    pg_ctlcluster "$v" "$c" stop || service postgresql stop || true
  fi
}

postgres_healthy() { "$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$POSTGRES_PORT" -U postgres 2>/dev/null; }

postgres_running() { [[ -f $PG_DATA/postmaster.pid ]] && pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" status >/dev/null 2>&1; }

postgres_start() {
  postgres_install
  if postgres_running && postgres_healthy; then postgres_ensure_dbs; return; fi
  require_free_port postgres "$POSTGRES_PORT"
  # The postgres user must be able to reach .state (walk up and make each dir traversable).
  chmod o+x "$STATE" "$DATA" "$RUN" 2>/dev/null || true
  local d="$PLATFORM_DIR"; while [[ $d != / ]]; do chmod o+x "$d" 2>/dev/null || true; d=$(dirname "$d"); done
  mkdir -p "$PG_SOCK"; chown postgres:postgres "$PG_SOCK"
  touch "$LOGS/postgres.log"; chown postgres:postgres "$LOGS/postgres.log"
  if [[ ! -f $PG_DATA/PG_VERSION ]]; then
    log "initdb $PG_DATA"
    mkdir -p "$PG_DATA"; chown postgres:postgres "$PG_DATA"; chmod 700 "$PG_DATA"
    pg_as "$PG_BIN/initdb" -D "$PG_DATA" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >>"$LOGS/postgres.log" 2>&1 \
      || { tail -n 20 "$LOGS/postgres.log" >&2; return 1; }
    cat >"$PG_DATA/pg_hba.conf" <<HBA
# platform: trust on loopback only
local   all all                trust
host    all all 127.0.0.1/32   trust
HBA
    chown postgres:postgres "$PG_DATA/pg_hba.conf"
  fi
  without_lock pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -l "$LOGS/postgres.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $POSTGRES_PORT -k $PG_SOCK -c max_connections=200 -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { tail -n 30 "$LOGS/postgres.log" >&2; return 1; }
  wait_for postgres 30 postgres_healthy || return 1
  postgres_ensure_dbs
}

postgres_ensure_dbs() {
  local db
  for db in $PG_DATABASES; do
    if [[ -z $(psql_q -d postgres -tAc "select 1 from pg_database where datname='$db'") ]]; then
      psql_q -d postgres -c "create database $db" || return 1
    fi
  done
}

postgres_stop() {
  if postgres_running; then
    pg_as "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null && log "stopped postgres"
  fi
}
postgres_version() { psql_q -d postgres -tAc 'show server_version' 2>/dev/null | awk '{print $1}'; }
postgres_url() { echo "postgresql://postgres@127.0.0.1:$POSTGRES_PORT/feast"; }

postgres_status() { row postgres "$(postgres_version)" "$(postgres_url) (+feast_registry, airflow)" postgres_healthy; }
