"""Python side of bench/feast-offline.mjs. Run with the feast venv's python (platform/.state/venvs/feast/bin/python).

    python bench/feast_offline_python.py setup          # feast apply bench/feast-offline-repo, generate the tables
    python bench/feast_offline_python.py run FILE.arrow # one timed get_historical_features(...).to_arrow()
    python bench/feast_offline_python.py info           # {"feast": ..., "python": ...}

setup is idempotent. `feast apply` runs only when bench/.state/offline-setup.done does not hold the hash of the
repo and this script. Each feature table is (re)generated only when it is missing, has another row count, or
its table comment does not name the current generator (DATA_TAG); after generating, it is VACUUM ANALYZEd.
Indexes are not made here: the benchmark creates them with @mlops/feast's createOfflineIndexes.

Tables bench_offline_a and bench_offline_b: 100k drivers x 10 versions = 1M rows each. Version v of driver d
happens on day v (2026-01-01 + v days) at a second of that day given by a hash of (d, v, table seed); created is
up to an hour later; the four features come from further hashes (f_float4 null for 1 row in 50, f_text for
1 in 20). All of it in SQL (generate_series, hashint8extended): the same bytes on every machine. Rows are
inserted in event time order, as an append-only event log would hold them.

run reads the entity rows from an Arrow IPC file that the benchmark wrote (driver_id int64, event_timestamp
timestamp[us, UTC]) into a pandas DataFrame (int64, datetime64[ns, UTC]), does one untimed warm-up call with its
first row (registry, imports, connection), then times store.get_historical_features(entity_df=df,
features=FEATURES, full_feature_names=True).to_arrow() with time.perf_counter: Feast's whole path, the entity
upload included. The answer is the last stdout line, after the marker @@RESULT@@ (Feast prints notices):
  {"ms", "rows", "nonNull": {column: count}, "maxRssBeforeKb", "maxRssAfterKb", "rssBeforeKb"}
ru_maxrss is the process's high-water mark (KB on Linux); the "before" value is taken after the warm-up.
"""

import argparse
import gc
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
# FEAST_BENCH_REPO: another repo over the same tables (bench/feast-trino.mjs points it at a Trino repo).
REPO = Path(os.environ["FEAST_BENCH_REPO"]) if os.environ.get("FEAST_BENCH_REPO") else BENCH / "feast-offline-repo"
STATE = BENCH / ".state"
STAMP = STATE / "offline-setup.done"
DSN = "host=127.0.0.1 port=5432 dbname=feast user=postgres"
DRIVERS = 100_000
VERSIONS = 10
TABLES = {"bench_offline_a": 11, "bench_offline_b": 29}  # table -> hash seed
VIEWS = {"offline_a": "bench_offline_a", "offline_b": "bench_offline_b"}
FEATURE_NAMES = ["f_float4", "f_float8", "f_int8", "f_text"]
FEATURES = [f"{view}:{name}" for view in VIEWS for name in FEATURE_NAMES]
OUTPUT_COLUMNS = [f"{view}__{name}" for view in VIEWS for name in FEATURE_NAMES]
DATA_TAG = f"mlops bench offline v1: {DRIVERS} drivers x {VERSIONS} versions"
MARKER = "@@RESULT@@"


def generate_sql(table: str, seed: int) -> str:
    # mod(mod(h, n) + n, n) keeps the remainder non-negative for negative hashes.
    def h(k: int) -> str:
        return f"hashint8extended(d::bigint * 16 + v, {seed * 10 + k})"

    return f"""
    CREATE TABLE {table} (
      driver_id bigint NOT NULL,
      event_timestamp timestamptz NOT NULL,
      created timestamptz NOT NULL,
      f_float4 real,
      f_float8 double precision,
      f_int8 bigint,
      f_text text
    );
    INSERT INTO {table}
    SELECT g.d, g.ts,
           g.ts + mod(mod(g.h1, 3600) + 3600, 3600) * interval '1 second',
           CASE WHEN mod(g.h2, 50) = 0 THEN NULL ELSE (mod(mod(g.h2, 100000) + 100000, 100000) / 1000.0)::real END,
           g.h3::double precision / 9223372036854775807.0,
           mod(g.h4, 1000000),
           CASE WHEN mod(g.h4, 20) = 0 THEN NULL ELSE 'status-' || mod(mod(g.h1, 7) + 7, 7) END
      FROM (SELECT d, v,
                   timestamptz '2026-01-01 00:00:00+00' + v * interval '1 day'
                     + mod(mod({h(0)}, 86400) + 86400, 86400) * interval '1 second' AS ts,
                   {h(1)} AS h1, {h(2)} AS h2, {h(3)} AS h3, {h(4)} AS h4
              FROM generate_series(1, {DRIVERS}) AS d, generate_series(0, {VERSIONS - 1}) AS v) AS g
     ORDER BY g.ts, g.d;
    COMMENT ON TABLE {table} IS '{DATA_TAG}, seed {seed}';
    """


def setup_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(REPO.glob("*.py")) + [REPO / "feature_store.yaml", Path(__file__).resolve()]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def ensure_tables() -> None:
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as conn:
        for table, seed in TABLES.items():
            tag = f"{DATA_TAG}, seed {seed}"
            row = conn.execute(
                "SELECT obj_description(to_regclass(%s), 'pg_class'), to_regclass(%s) IS NOT NULL",
                (table, table),
            ).fetchone()
            if row[1] and row[0] == tag:
                count = conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                if count == DRIVERS * VERSIONS:
                    print(f"{table}: {count} rows, up to date")
                    continue
            started = time.perf_counter()
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            with conn.transaction():
                conn.execute(generate_sql(table, seed))
            conn.execute(f"VACUUM ANALYZE {table}")
            print(f"{table}: generated {DRIVERS * VERSIONS} rows in {time.perf_counter() - started:.1f} s")


def setup() -> None:
    STATE.mkdir(parents=True, exist_ok=True)
    want = setup_hash()
    registry = STATE / "offline-registry.db"
    if not (STAMP.exists() and STAMP.read_text().strip() == want and registry.exists()):
        feast_cli = Path(sys.executable).parent / "feast"
        subprocess.run([str(feast_cli), "-c", str(REPO), "apply", "--skip-source-validation"], check=True)
        STAMP.write_text(want + "\n")
    ensure_tables()


def rss_kb() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return -1


def run(path: str) -> None:
    import pyarrow as pa

    from feast import FeatureStore

    with pa.memory_map(path) as source:
        frame = pa.ipc.open_file(source).read_all().to_pandas()
    frame["driver_id"] = frame["driver_id"].astype("int64")
    frame["event_timestamp"] = frame["event_timestamp"].astype("datetime64[ns, UTC]")
    store = FeatureStore(repo_path=str(REPO))
    store.get_historical_features(entity_df=frame.head(1), features=FEATURES, full_feature_names=True).to_arrow()
    gc.collect()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rss_before = rss_kb()
    started = time.perf_counter()
    table = store.get_historical_features(entity_df=frame, features=FEATURES, full_feature_names=True).to_arrow()
    elapsed = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "ms": elapsed * 1000,
        "rows": table.num_rows,
        "nonNull": {name: table.num_rows - table.column(name).null_count for name in OUTPUT_COLUMNS},
        "maxRssBeforeKb": before,
        "maxRssAfterKb": after,
        "rssBeforeKb": rss_before,
    }
    sys.stdout.write(f"\n{MARKER}{json.dumps(result)}\n")


def info() -> None:
    import feast

    sys.stdout.write(f"\n{MARKER}{json.dumps({'feast': feast.__version__, 'python': sys.version.split()[0]})}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "run", "info"])
    parser.add_argument("file", nargs="?")
    args = parser.parse_args()
    if args.command == "setup":
        setup()
    elif args.command == "run":
        if not args.file:
            parser.error("run needs the entity rows' Arrow IPC file")
        run(args.file)
    else:
        info()


if __name__ == "__main__":
    main()
