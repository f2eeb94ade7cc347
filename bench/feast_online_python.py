"""Python side of bench/feast-online.mjs. Run with the feast venv's python (platform/.state/venvs/feast/bin/python).

    python bench/feast_online_python.py setup    # feast apply bench/feast-repo, seed PostgreSQL, write Redis
    python bench/feast_online_python.py worker   # long-lived: JSON lines on stdin, JSON lines on stdout

setup is idempotent and quick to re-run: it does nothing when bench/.state/setup.done holds the hash of the repo,
this script and the row count, and Redis still holds every view of the first and last entity (the platform's
`feast` setup flushes Redis, so that is checked each time).

Rows: entities 1..ENTITIES, one row per entity and view, deterministic (seeded), event time 2026-01-01T00:00Z.
They go to PostgreSQL (tables mlops_bench_a/_b/_c, the views' offline sources) and to Redis through Feast's own
FeatureStore.write_to_online_store, so the bytes in Redis are the ones Feast writes.

worker protocol, one JSON object per line:
  {"op": "get", "ids": [1, 2, ...]}    -> {"ms": <float>, "rows": <int>}
      ms = time.perf_counter() around store.get_online_features(features=<30 refs>, entity_rows=[...],
      full_feature_names=True), i.e. Feast's in-process online read (registry lookup from the cache, Redis
      pipeline, Value protos into the response proto). Not to_dict(), not the JSON line.
  {"op": "check", "ids": [...]}       -> {"values": to_dict() of the same call} (correctness check, not timed)
  {"op": "info"}                      -> {"feast": <version>, "python": <version>}
  {"op": "quit"}
"""

import argparse
import hashlib
import json
import random
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH / "feast-repo"
STATE = BENCH / ".state"
STAMP = STATE / "setup.done"
ENTITIES = 2000
SEED = 20261126
EVENT_TS = datetime(2026, 1, 1, tzinfo=timezone.utc)
VIEWS = ["bench_a", "bench_b", "bench_c"]
FEATURES = [
    "f_float_0",
    "f_float_1",
    "f_double_0",
    "f_double_1",
    "f_int64_0",
    "f_int64_1",
    "f_int32",
    "f_string",
    "f_bool",
    "f_list",
]
REFS = [f"{view}:{feature}" for view in VIEWS for feature in FEATURES]
LIST_SQL = {"bench_a": "real[]", "bench_b": "bigint[]", "bench_c": "text[]"}
DSN = "host=127.0.0.1 port=5432 dbname=feast user=postgres"


def setup_hash() -> str:
    h = hashlib.sha256()
    for path in sorted(REPO.glob("*.py")) + [REPO / "feature_store.yaml", Path(__file__).resolve()]:
        h.update(path.name.encode())
        h.update(path.read_bytes())
    h.update(f"{ENTITIES} {SEED}".encode())
    return h.hexdigest()


def rows_of(view: str) -> list[dict]:
    rng = random.Random(f"{SEED}:{view}")
    words = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"]
    rows = []
    for entity in range(1, ENTITIES + 1):
        if view == "bench_a":
            lst = [round(rng.uniform(-1, 1), 4) for _ in range(8)]
        elif view == "bench_b":
            lst = [rng.randrange(-(2**40), 2**40) for _ in range(8)]
        else:
            lst = [rng.choice(words) for _ in range(4)]
        rows.append(
            {
                "entity_id": entity,
                "event_timestamp": EVENT_TS,
                "f_float_0": rng.uniform(0, 1),
                "f_float_1": rng.uniform(-100, 100),
                "f_double_0": rng.uniform(0, 1),
                "f_double_1": rng.gauss(0, 1000),
                "f_int64_0": rng.randrange(0, 10**6),
                "f_int64_1": rng.randrange(-(2**62), 2**62),
                "f_int32": rng.randrange(-(2**31), 2**31),
                "f_string": f"{rng.choice(words)}-{entity}",
                "f_bool": rng.random() < 0.5,
                "f_list": lst,
            }
        )
    return rows


def online_complete(store) -> bool:
    """True when Redis holds every view of the first and the last entity (Feast's own read)."""
    try:
        response = store.get_online_features(
            features=REFS, entity_rows=[{"entity_id": 1}, {"entity_id": ENTITIES}], full_feature_names=True
        ).to_dict()
    except Exception:  # noqa: BLE001 - e.g. a registry that does not know the views yet
        return False
    return all(value is not None for name, values in response.items() if name != "entity_id" for value in values)


def seed_postgres() -> None:
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as conn:
        for view in VIEWS:
            table = f"mlops_{view}"
            conn.execute(f"DROP TABLE IF EXISTS {table}")
            conn.execute(
                f"""CREATE TABLE {table} (
                  entity_id bigint NOT NULL, event_timestamp timestamptz NOT NULL,
                  f_float_0 real, f_float_1 real, f_double_0 double precision, f_double_1 double precision,
                  f_int64_0 bigint, f_int64_1 bigint, f_int32 integer, f_string text, f_bool boolean,
                  f_list {LIST_SQL[view]})"""
            )
            columns = ["entity_id", "event_timestamp", *FEATURES]
            with conn.cursor().copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows_of(view):
                    copy.write_row([row[c] for c in columns])


def setup() -> None:
    import pandas as pd

    from feast import FeatureStore

    STATE.mkdir(parents=True, exist_ok=True)
    want = setup_hash()
    stamp_ok = STAMP.exists() and STAMP.read_text().strip() == want and (STATE / "registry.db").exists()
    if stamp_ok and online_complete(FeatureStore(repo_path=str(REPO))):
        print(f"feast bench data up to date ({ENTITIES} entities x {len(VIEWS)} views, project mlops_bench)")
        return
    STAMP.unlink(missing_ok=True)
    started = time.perf_counter()
    if not stamp_ok:
        feast_cli = Path(sys.executable).parent / "feast"
        subprocess.run([str(feast_cli), "-c", str(REPO), "apply", "--skip-source-validation"], check=True)
        seed_postgres()
    store = FeatureStore(repo_path=str(REPO))
    for view in VIEWS:
        frame = pd.DataFrame(rows_of(view))
        frame["f_float_0"] = frame["f_float_0"].astype("float32")
        frame["f_float_1"] = frame["f_float_1"].astype("float32")
        frame["f_int32"] = frame["f_int32"].astype("int32")
        store.write_to_online_store(view, frame)
    if not online_complete(store):
        sys.exit("setup: Feast wrote the rows but cannot read them back")
    STAMP.write_text(want + "\n")
    print(f"feast bench data written in {time.perf_counter() - started:.1f} s ({ENTITIES} entities x {len(VIEWS)} views)")


def worker() -> None:
    from feast import FeatureStore

    store = FeatureStore(repo_path=str(REPO))
    out = sys.stdout
    for line in sys.stdin:
        request = json.loads(line)
        op = request["op"]
        if op == "quit":
            break
        if op == "info":
            import feast

            out.write(json.dumps({"feast": feast.__version__, "python": sys.version.split()[0]}) + "\n")
            out.flush()
            continue
        rows = [{"entity_id": i} for i in request["ids"]]
        if op == "get":
            started = time.perf_counter()
            response = store.get_online_features(features=REFS, entity_rows=rows, full_feature_names=True)
            elapsed = time.perf_counter() - started
            del response
            out.write(json.dumps({"ms": elapsed * 1000, "rows": len(rows)}) + "\n")
        elif op == "check":
            values = store.get_online_features(features=REFS, entity_rows=rows, full_feature_names=True).to_dict()
            out.write(json.dumps({"values": values}) + "\n")
        else:
            out.write(json.dumps({"error": f"unknown op {op}"}) + "\n")
        out.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["setup", "worker"])
    args = parser.parse_args()
    setup() if args.command == "setup" else worker()


if __name__ == "__main__":
    main()
