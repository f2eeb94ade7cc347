"""Deterministic seed data for the platform's Feast repo, written into the PostgreSQL offline store.

Fixed seed, fixed timestamps relative to ANCHOR (2026-01-01T00:00:00Z): every run writes exactly the same rows.
Tables are dropped and recreated. Run with the feast venv's python (it has psycopg):

    python feast_seed.py --dsn "host=127.0.0.1 port=5432 dbname=feast user=postgres"

Rows per table (event_timestamp in [ANCHOR - 7 days, ANCHOR], materialize window covers 2025-12-01..2026-01-02):
- driver_hourly_stats: drivers 1001..1010, one row every 6 hours over 7 days (29 rows each).
- driver_all_types: drivers 1001..1010, one row a day over 7 days; driver 1009's latest row has every feature
  NULL, driver 1010's latest row has NULL scalars and empty lists.
- driver_extended_types: drivers 1001..1010, one row a day; driver 1009's latest row is all NULL.
- customer_profile: customers C001..C010 (string key), 3 versions each; C010's latest row has NULLs.
- driver_customer_stats: (driver, customer) pairs, composite key.
"""

import argparse
import random
from datetime import datetime, timedelta, timezone

import psycopg

ANCHOR = datetime(2026, 1, 1, tzinfo=timezone.utc)
SEED = 20260101
DRIVERS = list(range(1001, 1011))
CUSTOMERS = [f"C{i:03d}" for i in range(1, 11)]

DDL = """
DROP TABLE IF EXISTS driver_hourly_stats, driver_all_types, driver_extended_types, customer_profile, driver_customer_stats;
CREATE TABLE driver_hourly_stats (
  driver_id bigint NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz NOT NULL,
  conv_rate real,
  acc_rate real,
  avg_daily_trips bigint
);
CREATE TABLE driver_all_types (
  driver_id bigint NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz NOT NULL,
  int32_val integer,
  int64_val bigint,
  float32_val real,
  float64_val double precision,
  string_val text,
  bytes_val bytea,
  bool_val boolean,
  unix_timestamp_val timestamptz,
  int32_list_val integer[],
  int64_list_val bigint[],
  float32_list_val real[],
  float64_list_val double precision[],
  string_list_val text[],
  bytes_list_val bytea[],
  bool_list_val boolean[],
  unix_timestamp_list_val timestamptz[]
);
-- Newer Feast types. Json/Map/Uuid/TimeUuid/Decimal travel as text: Feast 0.67's PostgreSQL offline store
-- cannot materialize them from jsonb/uuid/numeric columns (arrow cast errors, or uuid bytes stored as garbage).
CREATE TABLE driver_extended_types (
  driver_id bigint NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz NOT NULL,
  json_val text,
  map_val text,
  uuid_val text,
  time_uuid_val text,
  decimal_val text,
  json_list_val text[],
  uuid_list_val text[],
  time_uuid_list_val text[],
  decimal_list_val text[],
  int32_set_val integer[],
  int64_set_val bigint[],
  float32_set_val real[],
  float64_set_val double precision[],
  string_set_val text[],
  bytes_set_val bytea[],
  bool_set_val boolean[],
  unix_timestamp_set_val timestamptz[],
  uuid_set_val text[],
  time_uuid_set_val text[],
  decimal_set_val text[]
);
CREATE TABLE customer_profile (
  customer_id text NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz NOT NULL,
  name text,
  age integer,
  lifetime_value double precision,
  segment text,
  is_premium boolean
);
CREATE TABLE driver_customer_stats (
  driver_id bigint NOT NULL,
  customer_id text NOT NULL,
  event_timestamp timestamptz NOT NULL,
  created timestamptz NOT NULL,
  trips_together bigint,
  avg_rating real
);
CREATE INDEX ON driver_hourly_stats (driver_id, event_timestamp);
CREATE INDEX ON driver_all_types (driver_id, event_timestamp);
CREATE INDEX ON customer_profile (customer_id, event_timestamp);
CREATE INDEX ON driver_customer_stats (driver_id, customer_id, event_timestamp);
"""


def f32(x: float) -> float:
    """Round to a value that float32 represents exactly-ish (6 decimals) for stable comparisons."""
    return round(x, 4)


def driver_hourly_rows(rng):
    for d in DRIVERS:
        for step in range(29):  # every 6h from ANCHOR-7d to ANCHOR inclusive
            ts = ANCHOR - timedelta(days=7) + timedelta(hours=6 * step)
            yield (
                d,
                ts,
                ts + timedelta(minutes=5),
                f32(rng.random()),
                f32(rng.random()),
                rng.randint(0, 1000),
            )


def driver_all_types_rows(rng):
    for d in DRIVERS:
        for day in range(8):  # ANCHOR-7d .. ANCHOR
            ts = ANCHOR - timedelta(days=7 - day)
            latest = day == 7
            if latest and d == 1009:
                yield (d, ts, ts) + (None,) * 16
                continue
            n = rng.randint(1, 4)
            lists = (
                [rng.randint(-(2**31), 2**31 - 1) for _ in range(n)],
                [rng.randint(-(2**63), 2**63 - 1) for _ in range(n)],
                [f32(rng.uniform(-1000, 1000)) for _ in range(n)],
                [rng.uniform(-1e6, 1e6) for _ in range(n)],
                [f"s{d}-{day}-{i}-ü✓" for i in range(n)],
                [bytes([d % 256, day, i, 0, 255]) for i in range(n)],
                [bool((d + day + i) % 2) for i in range(n)],
                [ANCHOR - timedelta(days=i, seconds=d) for i in range(n)],
            )
            if latest and d == 1010:
                yield (d, ts, ts) + (None,) * 8 + ([],) * 8
                continue
            scalars = (
                rng.randint(-(2**31), 2**31 - 1),
                rng.randint(-(2**63), 2**63 - 1),
                f32(rng.uniform(-1000, 1000)),
                rng.uniform(-1e6, 1e6),
                f"driver {d} day {day} — ünïcødé",
                bytes([d % 256, day, 0, 1, 2, 255]),
                bool((d + day) % 2),
                ANCHOR - timedelta(hours=d - 1000 + day),
            )
            yield (d, ts, ts) + scalars + lists


def driver_extended_rows(rng):
    import json
    import uuid

    for d in DRIVERS:
        for day in range(8):
            ts = ANCHOR - timedelta(days=7 - day)
            if day == 7 and d == 1009:
                yield (d, ts, ts) + (None,) * 20
                continue
            u = str(uuid.UUID(int=rng.getrandbits(128), version=4))
            tu = str(uuid.UUID(fields=(rng.getrandbits(32), rng.getrandbits(16), 0x1000 | rng.getrandbits(12), 0x80, rng.getrandbits(8), rng.getrandbits(48))))
            dec = f"{rng.randint(-10**6, 10**6)}.{rng.randint(0, 9999):04d}"
            yield (
                d, ts, ts,
                json.dumps({"driver": d, "day": day, "tags": ["a", "b"], "nested": {"ok": True, "none": None}}),
                json.dumps({"city": "Paris", "rank": d - 1000, "score": 0.5, "active": bool(day % 2)}),
                u,
                tu,
                dec,
                [json.dumps({"i": i}) for i in range(2)] + [json.dumps([1, 2, 3])],
                [u, str(uuid.UUID(int=d, version=4))],
                [tu],
                [dec, "0.0001", "-42"],
                [1, 2, 2, d],
                [2**40, 2**40, -(2**40)],
                [0.5, 0.25, 0.5],
                [1.5, -2.25],
                ["x", "y", "x", f"d{d}"],
                [b"\x00\x01", b"\xff"],
                [True, False, True],
                [ANCHOR, ANCHOR - timedelta(days=1), ANCHOR],
                [u, u],
                [tu],
                [dec, dec, "1"],
            )


def customer_rows(rng):
    segments = ["gold", "silver", "bronze"]
    for i, c in enumerate(CUSTOMERS):
        for v in range(3):
            ts = ANCHOR - timedelta(days=3 - v)
            if c == "C010" and v == 2:
                yield (c, ts, ts, None, None, None, None, None)
                continue
            yield (
                c,
                ts,
                ts,
                f"Customer {c}",
                20 + i + v,
                round(rng.uniform(0, 10000), 2),
                segments[(i + v) % 3],
                (i + v) % 2 == 0,
            )


def driver_customer_rows(rng):
    for d in DRIVERS[:5]:
        for c in CUSTOMERS[:4]:
            for v in range(2):
                ts = ANCHOR - timedelta(days=2 - v)
                yield (d, c, ts, ts, rng.randint(0, 50), f32(rng.uniform(1, 5)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--dsn", default="host=127.0.0.1 port=5432 dbname=feast user=postgres")
    args = ap.parse_args()
    rng = random.Random(SEED)
    with psycopg.connect(args.dsn, autocommit=False) as conn, conn.cursor() as cur:
        cur.execute(DDL)
        counts = {}
        for table, rows in (
            ("driver_hourly_stats", list(driver_hourly_rows(rng))),
            ("driver_all_types", list(driver_all_types_rows(rng))),
            ("driver_extended_types", list(driver_extended_rows(random.Random(SEED + 1)))),
            ("customer_profile", list(customer_rows(rng))),
            ("driver_customer_stats", list(driver_customer_rows(rng))),
        ):
            ph = ",".join(["%s"] * len(rows[0]))
            cur.executemany(f"INSERT INTO {table} VALUES ({ph})", rows)
            counts[table] = len(rows)
        conn.commit()
    print("seeded", ", ".join(f"{t}={n}" for t, n in counts.items()))


if __name__ == "__main__":
    main()
