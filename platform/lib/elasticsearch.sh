# Elasticsearch from Maven Central: the `integ-test-zip` distribution (the real launcher, no bundled JDK, only the
# modules Elastic publishes to Maven: transport-netty4, x-pack-core, x-pack-security, apm). Optional components:
#   elasticsearch   ELASTICSEARCH_VERSION (8.x) on ELASTICSEARCH_PORT, on the first JDK >= 17 on the machine
#   elasticsearch9  ELASTICSEARCH9_VERSION (9.x) on ELASTICSEARCH9_PORT, on the first JDK >= 21
# Missing for want of modules (see packages/metrics/README.md): `GET /` / `HEAD /` (rest-root: 405), the
# `_data_stream` REST API, painless, ingest pipelines, reindex, the match_only_text/wildcard/constant_keyword types.
# The zip is cached under .state/cache/maven and unpacked under .state/tools (both kept by reset): a warm start
# downloads nothing. Elasticsearch refuses to run as root, so as root it runs as the system user ELASTICSEARCH_USER.

es_var() { local v="$1"; echo "${!v}"; }  # es_var NAME -> value of $NAME
es_prefix() { [[ $1 == elasticsearch9 ]] && echo ELASTICSEARCH9 || echo ELASTICSEARCH; }
es_version() { es_var "$(es_prefix "$1")_VERSION"; }
es_port() { es_var "$(es_prefix "$1")_PORT"; }
es_transport_port() { es_var "$(es_prefix "$1")_TRANSPORT_PORT"; }
es_java_min() { es_var "$(es_prefix "$1")_JAVA_MIN"; }
es_home() { echo "$TOOLS/elasticsearch-$(es_version "$1")"; }

java_major() { "$1" -version 2>&1 | sed -n '1s/.*version "\([0-9]*\).*/\1/p'; }

# es_java_home min-major : ES_JAVA_HOME when set, else the first JDK under /usr/lib/jvm with at least that major.
es_java_home() {
  local min=$1 j m
  if [[ -n ${ES_JAVA_HOME:-} ]]; then echo "$ES_JAVA_HOME"; return 0; fi
  for j in /usr/lib/jvm/*/bin/java; do
    [[ -x $j ]] || continue
    m=$(java_major "$j")
    [[ -n $m ]] && ((m >= min)) && { dirname "$(dirname "$j")"; return 0; }
  done
  return 1
}

es_install() {  # es_install component : download (once) and unpack (once) the integ-test-zip
  local comp=$1 v home zip url sha
  v=$(es_version "$comp"); home=$(es_home "$comp")
  [[ -x $home/bin/elasticsearch && -f $home/.platform-installed ]] && return 0
  local lockfd
  exec {lockfd}>"$TOOLS/.elasticsearch-$v.lock"
  flock "$lockfd"
  if [[ -x $home/bin/elasticsearch && -f $home/.platform-installed ]]; then exec {lockfd}>&-; return 0; fi
  url="$ELASTICSEARCH_MAVEN_REPO/org/elasticsearch/distribution/integ-test-zip/elasticsearch/$v/elasticsearch-$v.zip"
  zip="$STATE/cache/maven/elasticsearch-$v.zip"
  mkdir -p "$STATE/cache/maven"
  local lf="$LOGS/install-$comp.log"
  printf "%s install Elasticsearch %s from %s\n" "$(date -u +%FT%TZ)" "$v" "$url" >>"$lf"
  if [[ ! -f $zip ]]; then
    log "downloading Elasticsearch $v (integ-test-zip) from Maven Central — log: .state/logs/install-$comp.log"
    curl -fsSL --retry 3 -o "$zip.part" "$url" >>"$lf" 2>&1 || { rm -f "$zip.part"; die "download of $url failed"; }
    sha=$(es_var "$(es_prefix "$comp")_ZIP_SHA256")
    [[ $(sha256sum "$zip.part" | cut -d' ' -f1) == "$sha" ]] || { rm -f "$zip.part"; die "sha256 mismatch for $url (versions.env pins $sha)"; }
    mv "$zip.part" "$zip"
  fi
  rm -rf "$home" "$home.part"
  mkdir -p "$home.part"
  unzip -q "$zip" -d "$home.part" >>"$lf" 2>&1 || die "unzip $zip failed"
  mv "$home.part/elasticsearch-$v" "$home" && rm -rf "$home.part"
  echo "$v" >"$home/.platform-installed"
  exec {lockfd}>&-
}

es_ensure_user() {
  [[ $(id -u) == 0 ]] || return 0
  id -u "$ELASTICSEARCH_USER" >/dev/null 2>&1 && return 0
  log "creating system user '$ELASTICSEARCH_USER' (Elasticsearch refuses to run as root)"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$ELASTICSEARCH_USER" || die "useradd $ELASTICSEARCH_USER failed"
}

es_url() { echo "http://127.0.0.1:$(es_port "$1")"; }
es_healthy_port() { http_ok "http://127.0.0.1:$1/_cluster/health"; }
es_node_version() {
  curl -fsS --max-time 3 "http://127.0.0.1:$1/_nodes/_local?filter_path=nodes.*.version" 2>/dev/null |
    sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
}

es_start() {  # es_start component
  local comp=$1 port tport home jhome data conf v
  v=$(es_version "$comp"); port=$(es_port "$comp"); tport=$(es_transport_port "$comp"); home=$(es_home "$comp")
  jhome=$(es_java_home "$(es_java_min "$comp")") ||
    die "$comp: Elasticsearch $v needs a JDK >= $(es_java_min "$comp") (none under /usr/lib/jvm; set ES_JAVA_HOME)"
  es_install "$comp"
  if pid_alive "$comp"; then
    running_healthy "$comp" 60 es_healthy_port "$port" && return 0
  fi
  require_free_port "$comp" "$port"
  require_free_port "$comp" "$tport"
  es_ensure_user
  data="$DATA/$comp"; conf="$CONF/$comp"
  mkdir -p "$data/data" "$data/logs" "$data/tmp" "$conf"
  cp "$home/config/jvm.options" "$home/config/log4j2.properties" "$conf/"
  [[ -d $home/config/jvm.options.d ]] && cp -r "$home/config/jvm.options.d" "$conf/"
  cat >"$conf/elasticsearch.yml" <<YML
# Written by platform/lib/elasticsearch.sh ($comp, Elasticsearch $v). Single node on loopback, no security.
cluster.name: mlops-platform-$comp
node.name: $comp
discovery.type: single-node
network.host: 127.0.0.1
http.port: $port
transport.port: $tport
path.data: $data/data
path.logs: $data/logs
xpack.security.enabled: false
action.destructive_requires_name: false
cluster.routing.allocation.disk.threshold_enabled: false
YML
  local java_opts="-Xms${ELASTICSEARCH_HEAP} -Xmx${ELASTICSEARCH_HEAP} -XX:-AlwaysPreTouch"
  local run=()
  if [[ $(id -u) == 0 ]]; then
    chown -R "$ELASTICSEARCH_USER:" "$data" "$conf"
    run=(runuser -u "$ELASTICSEARCH_USER" --)
  fi
  start_bg "$comp" "${run[@]}" env ES_JAVA_HOME="$jhome" ES_PATH_CONF="$conf" ES_TMPDIR="$data/tmp" \
    ES_JAVA_OPTS="$java_opts" "$home/bin/elasticsearch"
  wait_for "$comp" 120 es_healthy_port "$port"
}

es_status() { row "$1" "$(es_node_version "$(es_port "$1")")" "$(es_url "$1")" es_healthy_port "$(es_port "$1")"; }

elasticsearch_start() { es_start elasticsearch; }
elasticsearch_stop() { stop_proc elasticsearch; }
elasticsearch_status() { es_status elasticsearch; }
elasticsearch9_start() { es_start elasticsearch9; }
elasticsearch9_stop() { stop_proc elasticsearch9; }
elasticsearch9_status() { es_status elasticsearch9; }

# platform smoke: an index template makes a data stream on the first bulk `create`; the document is found again.
# (The data stream stays: without the data-streams module there is no `DELETE /_data_stream/<name>`.)
_smoke_elasticsearch() {
  local url tag="smoke-$$-$RANDOM"
  url=$(es_url "$1")
  curl -fsS --max-time 10 -X PUT -H 'content-type: application/json' "$url/_index_template/platform-smoke" \
    -d '{"index_patterns":["logs-platform.smoke-*"],"data_stream":{},"priority":500,"template":{"settings":{"number_of_replicas":0}}}' >/dev/null &&
    printf '{"create":{}}\n{"@timestamp":"2026-01-01T00:00:00Z","message":"%s"}\n' "$tag" |
    curl -fsS --max-time 10 -X POST -H 'content-type: application/x-ndjson' --data-binary @- \
      "$url/logs-platform.smoke-default/_bulk?refresh=true" | grep -q '"errors":false' &&
    curl -fsS --max-time 10 "$url/logs-platform.smoke-default/_count?q=message:$tag" | grep -q '"count":1,'
}
