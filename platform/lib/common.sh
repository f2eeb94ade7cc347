# Shared helpers for platform/bin/platform. Sourced, never executed.
# Every path is computed from this file's location: nothing names an absolute machine path.

PLATFORM_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=../versions.env
source "$PLATFORM_DIR/versions.env"

STATE="$PLATFORM_DIR/.state"
# A worktree may link .state to another checkout's: resolve it, so venvs (whose scripts carry absolute #! paths)
# and config files name the real place, not a worktree that may be removed.
if [[ -d "$STATE" ]]; then STATE="$(cd "$STATE" && pwd -P)"; fi
RUN="$STATE/run"        # pid files
LOGS="$STATE/logs"      # one log per process
DATA="$STATE/data"      # databases, stores, artifacts (deleted by reset)
CONF="$STATE/conf"      # generated configuration (deleted by reset)
VENVS="$STATE/venvs"    # python venvs (kept by reset)
TOOLS="$STATE/tools"    # uv (kept by reset)
UV="$TOOLS/uv/bin/uv"
export UV_CACHE_DIR="$STATE/cache/uv"
export UV_PYTHON_DOWNLOADS=never
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}"
export no_proxy="$NO_PROXY"

mkdir -p "$RUN" "$LOGS" "$DATA" "$CONF" "$VENVS" "$TOOLS"

if [[ -t 1 ]]; then C_RED=$'\e[31m'; C_GRN=$'\e[32m'; C_YEL=$'\e[33m'; C_DIM=$'\e[2m'; C_OFF=$'\e[0m'
else C_RED=; C_GRN=; C_YEL=; C_DIM=; C_OFF=; fi

log()  { printf '%s[platform]%s %s\n' "$C_DIM" "$C_OFF" "$*" >&2; }
warn() { printf '%s[platform] %s%s\n' "$C_YEL" "$*" "$C_OFF" >&2; }
die()  { printf '%s[platform] error: %s%s\n' "$C_RED" "$*" "$C_OFF" >&2; exit 1; }

# ---------------------------------------------------------------- installs

apt_updated=0
apt_install() {  # apt_install pkg... : installs the Debian packages that are missing
  local missing=() p
  for p in "$@"; do
    [[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == "install ok installed" ]] || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [[ $(id -u) == 0 ]] || die "need root to apt-get install ${missing[*]}"
  log "apt-get install ${missing[*]}"
  if ((!apt_updated)); then apt-get update -qq >>"$LOGS/install-apt.log" 2>&1 || true; apt_updated=1; fi
  # policy-rc.d 101 keeps Debian from starting its own services during install.
  local had_policy=0
  [[ -e /usr/sbin/policy-rc.d ]] && had_policy=1
  if ((!had_policy)); then printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >>"$LOGS/install-apt.log" 2>&1
  local rc=$?
  ((had_policy)) || rm -f /usr/sbin/policy-rc.d
  ((rc == 0)) || { tail -n 20 "$LOGS/install-apt.log" >&2; die "apt-get install ${missing[*]} failed"; }
}

# Debian's own services must not hold our ports (we run our own processes).
stop_debian_service() {  # stop_debian_service name
  local svc=$1
  [[ -x /etc/init.d/$svc ]] || return 0
  if service "$svc" status >/dev/null 2>&1; then
    warn "stopping Debian's own '$svc' service (the platform runs its own)"
    service "$svc" stop >/dev/null 2>&1 || true
  fi
}

uv_current() { [[ -x $UV ]] && [[ $("$UV" --version 2>/dev/null | awk '{print $2}') == "$UV_VERSION" ]]; }
ensure_uv() {
  uv_current && return 0
  local lockfd
  exec {lockfd}>"$TOOLS/.uv.lock"
  flock "$lockfd"
  if uv_current; then exec {lockfd}>&-; return 0; fi
  log "installing uv $UV_VERSION into .state/tools"
  rm -rf "$TOOLS/uv"
  "$PYTHON" -m pip install --quiet --disable-pip-version-check --target "$TOOLS/uv" "uv==$UV_VERSION" \
    >>"$LOGS/install-uv.log" 2>&1 || { tail -n 20 "$LOGS/install-uv.log" >&2; die "pip install uv failed"; }
  exec {lockfd}>&-
}

# ensure_venv name marker-string install-function [stop-function]
# Builds .state/venvs/<name> with the given function unless the venv's marker equals marker-string.
# A rebuild first stops the component's running processes (stop-function) so no process runs from a half venv.
ensure_venv() {
  local name=$1 want=$2 fn=$3 stopfn=${4:-} venv="$VENVS/$1"
  if [[ -f $venv/.platform-installed ]] && [[ $(cat "$venv/.platform-installed") == "$want" ]]; then return 0; fi
  # Concurrent 'up' phases may ask for the same venv (mlflow + mlflow-auth): one builds, the other waits.
  local lockfd
  exec {lockfd}>"$VENVS/.$name.lock"
  flock "$lockfd"
  if [[ -f $venv/.platform-installed ]] && [[ $(cat "$venv/.platform-installed") == "$want" ]]; then exec {lockfd}>&-; return 0; fi
  [[ -n $stopfn ]] && "$stopfn"
  ensure_uv
  log "building venv '$name' ($want) — log: .state/logs/install-$name.log"
  rm -rf "$venv"
  "$UV" venv -q --python "$PYTHON" "$venv" >>"$LOGS/install-$name.log" 2>&1 || die "uv venv $name failed"
  if ! "$fn" "$venv" >>"$LOGS/install-$name.log" 2>&1; then
    tail -n 30 "$LOGS/install-$name.log" >&2
    die "installing venv '$name' failed"
  fi
  echo "$want" >"$venv/.platform-installed"
  exec {lockfd}>&-
}

uv_pip() { local venv=$1; shift; "$UV" pip install --python "$venv/bin/python" "$@"; }

# Install from our lock file when it exists (exact transitive pins), plus the top-level requirement.
uv_pip_locked() {  # uv_pip_locked venv lockname requirement...
  local venv=$1 lock="$PLATFORM_DIR/locks/$2.txt"; shift 2
  if [[ -f $lock ]]; then uv_pip "$venv" -c "$lock" "$@"; else uv_pip "$venv" "$@"; fi
}

# ---------------------------------------------------------------- processes

pidfile() { echo "$RUN/$1.pid"; }

pid_alive() {  # pid_alive name : true when the pid file names a live (non-zombie) process
  local f; f=$(pidfile "$1")
  [[ -f $f ]] || return 1
  local pid; pid=$(cat "$f" 2>/dev/null)
  [[ -n $pid ]] && proc_live "$pid"
}

# running_healthy name timeout health-cmd... : true when our process is alive and healthy (waiting up to timeout
# for one that is still starting). A live process that stays unhealthy is stopped, so the caller starts it anew.
running_healthy() {
  local name=$1 timeout=$2; shift 2
  pid_alive "$name" || return 1
  "$@" && return 0
  local deadline=$((SECONDS + timeout))
  while ((SECONDS < deadline)); do
    sleep 1
    pid_alive "$name" || return 1
    "$@" && return 0
  done
  warn "$name is running but unhealthy; restarting it"
  stop_proc "$name"
  return 1
}

# without_lock cmd... : run cmd without the fd of the 'platform up' lock, so a long-lived service never holds it.
without_lock() {
  if [[ -n ${PLATFORM_LOCK_FD:-} ]]; then "$@" {PLATFORM_LOCK_FD}>&-; else "$@"; fi
}

# start_bg name cmd... : runs cmd detached in its own session/process group, logs to .state/logs/<name>.log
start_bg() {
  local name=$1; shift
  local lf="$LOGS/$name.log"
  printf '\n===== %s start: %s\n' "$(date -u +%FT%TZ)" "$*" >>"$lf"
  # A plain command in the background (no function or subshell around it), so $! is setsid's pid, which execs
  # the service: the pid file names the service itself, leader of its own process group. It must not inherit
  # (and so keep holding) the lock fd of 'platform up'.
  if [[ -n ${PLATFORM_LOCK_FD:-} ]]; then
    setsid "$@" >>"$lf" 2>&1 </dev/null {PLATFORM_LOCK_FD}>&- &
  else
    setsid "$@" >>"$lf" 2>&1 </dev/null &
  fi
  echo $! >"$(pidfile "$name")"
}

# Live = exists and is not a zombie (PID 1 here reaps orphans only every few seconds).
proc_live() { local st; st=$(ps -o stat= -p "$1" 2>/dev/null) && [[ -n $st && $st != Z* ]]; }
group_live() { ps -e -o pgid=,stat= 2>/dev/null | awk -v g="$1" '$1 == g && $2 !~ /^Z/ {found = 1} END {exit !found}'; }

# stop_proc name : TERM the process group recorded in the pid file, wait, KILL if needed, verify gone.
stop_proc() {
  local name=$1 f pid i
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if [[ -n $pid ]] && { proc_live "$pid" || group_live "$pid"; }; then
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null
    kill -CONT -- "-$pid" 2>/dev/null || true  # a stopped (SIGSTOP) process only sees TERM once continued
    for ((i = 0; i < 100; i++)); do
      group_live "$pid" || proc_live "$pid" || break
      sleep 0.2
    done
    if group_live "$pid" || proc_live "$pid"; then
      warn "$name (pgid $pid) did not stop in 20s; sending KILL"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null
      for ((i = 0; i < 25; i++)); do group_live "$pid" || proc_live "$pid" || break; sleep 0.2; done
    fi
    if group_live "$pid" || proc_live "$pid"; then warn "$name (pgid $pid) is still alive"; return 1; fi
    log "stopped $name"
  fi
  rm -f "$f"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

http_ok() {  # http_ok url [curl args...] : 2xx within 3s
  curl -fsS -o /dev/null --max-time 3 "$@" 2>/dev/null
}

# wait_for component timeout-seconds check-command... : polls the check until it passes or the deadline.
wait_for() {
  local comp=$1 timeout=$2; shift 2
  local deadline=$((SECONDS + timeout))
  local dead=""
  until "$@"; do
    local pf pfs; dead=""
    # The component's own pid file, or (multi-process components: airflow, redis-cluster) its <comp>-*.pid files.
    if [[ -f $RUN/$comp.pid ]]; then pfs=("$RUN/$comp.pid"); else pfs=("$RUN/$comp"-*.pid); fi
    for pf in "${pfs[@]}"; do
      [[ -f $pf ]] && ! proc_live "$(cat "$pf")" && dead=$(basename "$pf" .pid)
    done
    if [[ -n $dead ]] || ((SECONDS >= deadline)); then
      [[ -n $dead ]] && warn "$dead exited while starting"
      warn "$comp did not become healthy within ${timeout}s; last lines of its log:"
      local lf
      for lf in "$LOGS/$comp"*.log; do [[ -f $lf ]] && { echo "--- $lf" >&2; tail -n 40 "$lf" >&2; }; done
      return 1
    fi
    sleep 1
  done
}

# Guard: refuse to start when a foreign process holds a port we need.
require_free_port() {  # require_free_port component port
  if port_in_use "$2"; then
    die "$1: port $2 is already in use by a process the platform did not start (see: ss -ltnp 'sport = :$2')"
  fi
}

sha_of() { cat "$@" 2>/dev/null | sha256sum | cut -c1-16; }
