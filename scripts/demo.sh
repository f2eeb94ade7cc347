#!/usr/bin/env bash
# The README's first command: on a fresh Debian machine and a fresh clone, installs what is missing (Node, pnpm,
# the workspace, the platform's Debian packages and Python venvs), builds the packages, brings up the local
# platform with Elasticsearch, and runs `mlops demo` end to end. Warm, only the demo runs (about 2 minutes).
# Arguments go to `mlops demo` (e.g. --json, --name churn-demo).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 3
pnpm run build >/dev/null
bash platform/bin/platform up --and elasticsearch
exec node packages/platform/dist/cli.js demo "$@"
