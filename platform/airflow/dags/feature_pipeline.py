"""Data pipeline (interaction 1): write fresh driver features to the offline store, then materialize them.

Writes one row per pipeline driver (ids 2001..2003, outside the deterministic seed range 1001..1010, so the seed
data stays untouched) into driver_hourly_stats in PostgreSQL, then runs `feast materialize` of the feast venv
(Airflow's venv has no feast) for driver_hourly_stats over [now - 1h, now + 1min]. The materialize task updates
the asset the training DAG is scheduled on. Triggered manually (schedule=None).
"""

import random
from datetime import datetime, timezone

from airflow.providers.standard.operators.bash import BashOperator
from airflow.sdk import DAG, Asset, task

from _platform_paths import DRIVER_FEATURES_URI, FEAST_BIN, FEAST_REPO, OFFLINE_DSN

PIPELINE_DRIVERS = [2001, 2002, 2003]

with DAG(
    dag_id="feature_pipeline",
    schedule=None,
    start_date=datetime(2026, 1, 1, tzinfo=timezone.utc),
    catchup=False,
    tags=["feast", "platform"],
    doc_md=__doc__,
) as dag:

    @task
    def write_offline_features() -> dict:
        import psycopg2

        now = datetime.now(timezone.utc)
        rng = random.Random(int(now.timestamp()))
        rows = [
            (d, now, now, round(rng.random(), 4), round(rng.random(), 4), rng.randint(0, 1000))
            for d in PIPELINE_DRIVERS
        ]
        with psycopg2.connect(OFFLINE_DSN) as conn, conn.cursor() as cur:
            cur.executemany(
                "INSERT INTO driver_hourly_stats (driver_id, event_timestamp, created, conv_rate, acc_rate, avg_daily_trips)"
                " VALUES (%s, %s, %s, %s, %s, %s)",
                rows,
            )
        return {"rows": len(rows), "event_timestamp": now.isoformat(), "driver_ids": PIPELINE_DRIVERS}

    materialize = BashOperator(
        task_id="materialize",
        bash_command=(
            f"cd {FEAST_REPO} && {FEAST_BIN} materialize -v driver_hourly_stats "
            '"$(date -u -d "-1 hour" +%Y-%m-%dT%H:%M:%S)" "$(date -u -d "+1 minute" +%Y-%m-%dT%H:%M:%S)"'
        ),
        outlets=[Asset(DRIVER_FEATURES_URI)],
    )

    write_offline_features() >> materialize
