"""Paths of the local platform, computed from this file's location (platform/airflow/dags)."""

from pathlib import Path

PLATFORM_DIR = Path(__file__).resolve().parents[2]
FEAST_REPO = PLATFORM_DIR / "feast"
FEAST_BIN = PLATFORM_DIR / ".state" / "venvs" / "feast" / "bin" / "feast"
OFFLINE_DSN = "host=127.0.0.1 port=5432 dbname=feast user=postgres"
# The asset the feature pipeline updates and the training DAG is scheduled on.
DRIVER_FEATURES_URI = "feast://mlops_demo/driver_hourly_stats"
