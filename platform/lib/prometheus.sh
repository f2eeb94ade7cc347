# Prometheus 2.42 and Pushgateway 1.5.1 (Debian packages), run as our own processes on loopback.

pushgateway_install() { apt_install $PUSHGATEWAY_DEB_PACKAGES; stop_debian_service prometheus-pushgateway; }
pushgateway_healthy() { http_ok "http://127.0.0.1:$PUSHGATEWAY_PORT/-/ready"; }
pushgateway_start() {
  pushgateway_install
  running_healthy pushgateway 15 pushgateway_healthy && return 0
  require_free_port pushgateway "$PUSHGATEWAY_PORT"
  mkdir -p "$DATA/pushgateway"
  start_bg pushgateway prometheus-pushgateway --web.listen-address="127.0.0.1:$PUSHGATEWAY_PORT" \
    --web.enable-admin-api --persistence.file="$DATA/pushgateway/metrics.store" --persistence.interval=30s
  wait_for pushgateway 30 pushgateway_healthy
}
pushgateway_stop() { stop_proc pushgateway; }
pushgateway_version() { curl -fsS --max-time 3 "http://127.0.0.1:$PUSHGATEWAY_PORT/api/v1/status" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
pushgateway_status() { row pushgateway "$(pushgateway_version)" "http://127.0.0.1:$PUSHGATEWAY_PORT" pushgateway_healthy; }

prometheus_install() { apt_install $PROMETHEUS_DEB_PACKAGES; stop_debian_service prometheus; }
prometheus_healthy() { http_ok "http://127.0.0.1:$PROMETHEUS_PORT/-/ready"; }
prometheus_render_config() {
  sed -e "s/@PUSHGATEWAY_PORT@/$PUSHGATEWAY_PORT/g" -e "s/@SERVING_METRICS_PORT@/$SERVING_METRICS_PORT/g" \
    -e "s/@PROMETHEUS_PORT@/$PROMETHEUS_PORT/g" "$PLATFORM_DIR/prometheus/prometheus.yml" >"$CONF/prometheus.yml"
}
prometheus_start() {
  prometheus_install
  prometheus_render_config
  if running_healthy prometheus 30 prometheus_healthy; then
    # Pick up config changes without a restart.
    curl -fsS -X POST --max-time 5 "http://127.0.0.1:$PROMETHEUS_PORT/-/reload" >/dev/null 2>&1 || true
    return 0
  fi
  require_free_port prometheus "$PROMETHEUS_PORT"
  mkdir -p "$DATA/prometheus"
  start_bg prometheus prometheus --config.file="$CONF/prometheus.yml" --storage.tsdb.path="$DATA/prometheus" \
    --web.listen-address="127.0.0.1:$PROMETHEUS_PORT" --web.enable-lifecycle --web.enable-admin-api \
    --storage.tsdb.retention.time=7d
  wait_for prometheus 60 prometheus_healthy
}
prometheus_stop() { stop_proc prometheus; }
prometheus_version() { curl -fsS --max-time 3 "http://127.0.0.1:$PROMETHEUS_PORT/api/v1/status/buildinfo" 2>/dev/null | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'; }
prometheus_status() { row prometheus "$(prometheus_version)" "http://127.0.0.1:$PROMETHEUS_PORT" prometheus_healthy; }
