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
# The real components the tests need (idempotent: running, healthy ones are left alone), in one start so the
# services come up concurrently: the default set plus the optional components some tests use — the basic-auth
# MLflow (:5001, @mlops/mlflow's auth tests), a second Airflow api-server with the FAB auth manager (:8082,
# @mlops/airflow's FAB tests), Elasticsearch 8 and 9 from Maven Central (@mlops/metrics' log shipping),
# Prometheus 3 next to Debian's 2.42 (built once with go install, then cached), Toxiproxy (tests/faults), and
# Trino 476 with the feast-trino venv (@mlops/feast's Trino offline store).
bash platform/bin/platform up --and mlflow-auth airflow-fab elasticsearch elasticsearch9 prometheus3 toxiproxy trino
exec node scripts/gate.mjs "$@"
