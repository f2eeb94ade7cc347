#!/usr/bin/env bash
# Checks the GitHub Actions workflows (.github/workflows/ and the examples under examples/ci/) with actionlint,
# built once from the Go module proxy into the gitignored .toolchain/ (about 30 s; Go is on our machines).
# Usage: bash scripts/actionlint.sh [actionlint args...]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=toolchain.env
source "$ROOT/scripts/toolchain.env"
DIR="$ROOT/.toolchain/actionlint"
BIN="$DIR/bin/actionlint"

if ! [[ -x $BIN ]] || ! "$BIN" -version 2>/dev/null | head -1 | grep -qx "v$ACTIONLINT_VERSION"; then
  command -v go >/dev/null 2>&1 || { echo "actionlint: Go is needed to build actionlint $ACTIONLINT_VERSION (go install)" >&2; exit 1; }
  echo "[actionlint] building actionlint $ACTIONLINT_VERSION with go install into .toolchain/actionlint" >&2
  mkdir -p "$DIR"
  GOPATH="$DIR/go" GOBIN="$DIR/bin" GOFLAGS=-modcacherw \
    go install "github.com/rhysd/actionlint/cmd/actionlint@v$ACTIONLINT_VERSION" >&2
fi

cd "$ROOT"
files=()
for f in .github/workflows/*.yml .github/workflows/*.yaml examples/ci/*.yml examples/ci/*.yaml; do
  [[ -f $f ]] && files+=("$f")
done
((${#files[@]})) || { echo "actionlint: no workflow files found" >&2; exit 1; }
# shellcheck and pyflakes integrations off: the result must not depend on what else a machine has installed.
"$BIN" -no-color -shellcheck= -pyflakes= "$@" "${files[@]}"
echo "actionlint $ACTIONLINT_VERSION: ${#files[@]} workflow files, no problems"
