# Toxiproxy (optional component toxiproxy): a TCP proxy whose faults (latency, jitter, bandwidth, resets, half-open
# connections, timeouts) the reliability tests in tests/faults set through its HTTP API on TOXIPROXY_PORT. The tests
# create their own proxies, in front of their own private servers, and delete them; the shared platform's
# components are never behind it. Built once with `go install` from the Go module proxy (~1 min cold) into
# .state/tools/toxiproxy-<version>/, which a warm `platform up` reuses.

TOXIPROXY_BIN="$TOOLS/toxiproxy-$TOXIPROXY_VERSION/toxiproxy-server"

toxiproxy_install() {
  [[ -x $TOXIPROXY_BIN ]] && return 0
  command -v go >/dev/null || die "toxiproxy needs Go to build Toxiproxy $TOXIPROXY_VERSION: install it from https://go.dev/dl/"
  local lf="$LOGS/install-toxiproxy.log" t0=$SECONDS dir
  dir="$(dirname "$TOXIPROXY_BIN")"
  log "toxiproxy: building Toxiproxy $TOXIPROXY_VERSION with go install (once)"
  mkdir -p "$dir"
  if ! GOBIN="$dir" GOTOOLCHAIN=local go install -ldflags "-X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" >>"$lf" 2>&1; then
    tail -n 20 "$lf" >&2
    die "go install of Toxiproxy v$TOXIPROXY_VERSION failed"
  fi
  mv "$dir/server" "$TOXIPROXY_BIN"
  echo "built in $((SECONDS - t0))s" >>"$lf"
  log "toxiproxy: built in $((SECONDS - t0))s"
}
toxiproxy_healthy() { http_ok "http://127.0.0.1:$TOXIPROXY_PORT/version"; }
toxiproxy_start() {
  toxiproxy_install
  running_healthy toxiproxy 10 toxiproxy_healthy && return 0
  require_free_port toxiproxy "$TOXIPROXY_PORT"
  start_bg toxiproxy "$TOXIPROXY_BIN" -host 127.0.0.1 -port "$TOXIPROXY_PORT"
  wait_for toxiproxy 20 toxiproxy_healthy
}
toxiproxy_stop() { stop_proc toxiproxy; }
toxiproxy_version() { curl -fsS --max-time 3 "http://127.0.0.1:$TOXIPROXY_PORT/version" 2>/dev/null | sed -n 's/.*"version": *"\([^"]*\)".*/\1/p;t;p' | head -1; }
toxiproxy_status() { row toxiproxy "$(toxiproxy_version)" "http://127.0.0.1:$TOXIPROXY_PORT" toxiproxy_healthy; }
