#!/usr/bin/env bash
# The test command. On a fresh Debian machine and a fresh clone it installs whatever is missing
# (Node 24, Node 22, Deno, Bun, pnpm, the workspace's dependencies, and the local platform's Debian
# packages and Python venvs), starts the platform the integration tests talk to, then runs the whole
# quality gate.
# Its last line is the test runner's own count: "N passed, N failed" (", N skipped" when any were).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=bootstrap.sh
source scripts/bootstrap.sh
pnpm install --frozen-lockfile --reporter=append-only 2>&1 | tail -n 5
# The real components the integration tests need (idempotent: running, healthy ones are left alone).
bash platform/bin/platform up
# The basic-auth MLflow (:5001) the @mlops/mlflow auth tests need; optional, so named here.
bash platform/bin/platform up mlflow-auth
# Optional components the metrics tests need (Elasticsearch 8 and 9 from Maven Central, ~25 s warm).
bash platform/bin/platform up elasticsearch elasticsearch9
# Prometheus 3.x next to Debian's 2.42 (@mlops/metrics tests both): built once with go install, then cached.
bash platform/bin/platform up prometheus3
exec node scripts/gate.mjs "$@"
