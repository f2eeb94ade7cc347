# Prometheus 3.x (optional component prometheus3), next to the pinned Debian 2.42: what most users run, so the
# @mlops/metrics tests run against both. Debian has no 3.x package; it is built once with `go install` from the Go
# module proxy (Prometheus v3.MM.P is the module version v0.3MM.P) into .state/tools/prometheus-<version>/, which a
# warm `platform up` reuses (it never rebuilds a binary that is there). A cold build is not quick
# (~650 s of CPU, 3.3 GB RSS, 147 MB binary; 46 min wall on a loaded 2-core machine), about 30 s when Go's own
# module and build caches are warm (only the link). The web UI is not embedded
# (upstream embeds it only with its npm-built assets and the builtinassets tag): the HTTP API is all we use.
# Same scrape config as the 2.42 server, on PROMETHEUS3_PORT, with its own data directory.

PROMETHEUS3_BIN="$TOOLS/prometheus-$PROMETHEUS3_VERSION/prometheus"

prometheus3_install() {
  [[ -x $PROMETHEUS3_BIN ]] && return 0
  command -v go >/dev/null || die "prometheus3 needs Go (1.25+) to build Prometheus $PROMETHEUS3_VERSION: install it from https://go.dev/dl/"
  local lf="$LOGS/install-prometheus3.log" t0=$SECONDS
  log "prometheus3: building Prometheus $PROMETHEUS3_VERSION with go install (once; cold: ~11 CPU-minutes and 3.3 GB of RAM)"
  mkdir -p "$(dirname "$PROMETHEUS3_BIN")"
  # The version stamps upstream's Makefile sets: without them /api/v1/status/buildinfo answers version "".
  local v=github.com/prometheus/common/version
  local ldflags="-X $v.Version=$PROMETHEUS3_VERSION -X $v.Revision=$PROMETHEUS3_MODULE_VERSION -X $v.Branch=go-install"
  ldflags+=" -X $v.BuildUser=mlops-platform -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  if ! GOBIN="$(dirname "$PROMETHEUS3_BIN")" GOTOOLCHAIN=local go install -ldflags "$ldflags" \
    "github.com/prometheus/prometheus/cmd/prometheus@$PROMETHEUS3_MODULE_VERSION" >>"$lf" 2>&1; then
    tail -n 20 "$lf" >&2
    die "go install of Prometheus $PROMETHEUS3_MODULE_VERSION failed"
  fi
  echo "built in $((SECONDS - t0))s" >>"$lf"
  log "prometheus3: built in $((SECONDS - t0))s"
}
prometheus3_healthy() { http_ok "http://127.0.0.1:$PROMETHEUS3_PORT/-/ready"; }
prometheus3_start() {
  prometheus3_install
  sed -e "s/@PUSHGATEWAY_PORT@/$PUSHGATEWAY_PORT/g" -e "s/@SERVING_METRICS_PORT@/$SERVING_METRICS_PORT/g" \
    -e "s/@PROMETHEUS_PORT@/$PROMETHEUS3_PORT/g" "$PLATFORM_DIR/prometheus/prometheus.yml" >"$CONF/prometheus3.yml"
  running_healthy prometheus3 30 prometheus3_healthy && return 0
  require_free_port prometheus3 "$PROMETHEUS3_PORT"
  mkdir -p "$DATA/prometheus3"
  start_bg prometheus3 "$PROMETHEUS3_BIN" --config.file="$CONF/prometheus3.yml" --storage.tsdb.path="$DATA/prometheus3" \
    --web.listen-address="127.0.0.1:$PROMETHEUS3_PORT" --web.enable-lifecycle --storage.tsdb.retention.time=7d
  wait_for prometheus3 60 prometheus3_healthy
}
prometheus3_stop() { stop_proc prometheus3; }
prometheus3_version() { curl -fsS --max-time 3 "http://127.0.0.1:$PROMETHEUS3_PORT/api/v1/status/buildinfo" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
prometheus3_status() { row prometheus3 "$(prometheus3_version)" "http://127.0.0.1:$PROMETHEUS3_PORT" prometheus3_healthy; }
