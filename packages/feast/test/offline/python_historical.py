"""Reference harness: runs Feast Python against a repo and hands the answer back to the TypeScript tests.

Importing feast takes seconds, so the tests start this once per process with --serve: one JSON request per stdin
line, each answered by a line `@@RESULT@@<json>` (or `@@ERROR@@{"error", "traceback"}`) on stdout. For a one-off
run, give the request as a file (argv[1]) or on stdin. Modes:

  {"mode": "historical", "repo": "/path/to/repo", "output": "/path/to/result.arrow",
   "entity_df": {"columns": [{"name": "driver_id", "type": "int64", "values": ["1", "2"]},
                              {"name": "event_timestamp", "type": "timestamp", "tz": true,
                               "values": ["2026-02-01T12:00:00.000000Z", ...]}]},
     -- or "entity_sql": "SELECT ... FROM ..." instead of entity_df --
   "features": ["driver_stats:conv_rate", ...],   -- or "feature_service": "training_v1"
   "full_feature_names": false,
   "filter_by_created_timestamp": false,
   "with_sql": false}
     -- with neither entity_df nor entity_sql: Feast's range mode, "start_date" / "end_date" (ISO) --
  -> writes the Arrow IPC file of get_historical_features(...).to_arrow() to "output" and prints
     {"rows": n, "columns": [{"name", "type"}], "sql": "..." (only with with_sql)}

  {"mode": "online", "repo": ..., "output": ..., "entity_df": {...same column encoding...},
   "features": [...] | "feature_service": ..., "full_feature_names": false}
  -> writes get_online_features(...).to_arrow() to "output", prints {"rows", "columns"}

  {"mode": "materialize", "repo": ..., "start": ISO, "end": ISO, "views": ["driver_stats"] | null}
  {"mode": "materialize", "repo": ..., "incremental": true, "end": ISO, "views": [...] | null}
  -> prints {"ok": true}

Column types of the entity encoding: int64 / int32 (values as decimal strings or numbers, null allowed),
float64, string, bool, timestamp (ISO-8601 strings; "tz": true gives datetime64[ns, UTC], "tz": false gives
naive datetime64[ns] holding the UTC wall-clock time).
"""

import json
import sys
import traceback
from datetime import datetime, timezone

import pandas as pd
import pyarrow as pa

from feast import FeatureStore

RESULT = "@@RESULT@@"
ERROR = "@@ERROR@@"


def _column(spec):
    kind = spec["type"]
    values = spec["values"]
    if kind in ("int64", "int32"):
        ints = [None if v is None else int(v) for v in values]
        if any(v is None for v in ints):
            return pd.array(ints, dtype="Int64" if kind == "int64" else "Int32")
        return pd.Series(ints, dtype=kind)
    if kind == "float64":
        return pd.Series([None if v is None else float(v) for v in values], dtype="float64")
    if kind == "string":
        return pd.Series(values, dtype="object")
    if kind == "bool":
        return pd.Series(values, dtype="object" if None in values else "bool")
    if kind == "timestamp":
        parsed = pd.to_datetime(pd.Series(values, dtype="object"), utc=True, format="ISO8601")
        parsed = parsed.astype("datetime64[ns, UTC]")
        if not spec.get("tz", True):
            parsed = parsed.dt.tz_localize(None)
        return parsed
    raise ValueError(f"unknown entity column type {kind!r}")


def _entity_df(encoded):
    return pd.DataFrame({spec["name"]: _column(spec) for spec in encoded["columns"]})


def _features(store, request):
    if request.get("feature_service"):
        return store.get_feature_service(request["feature_service"])
    return request["features"]


def _write_arrow(table, path):
    with pa.OSFile(path, "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _describe(table):
    return [{"name": f.name, "type": str(f.type)} for f in table.schema]


def _instant(text):
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def historical(store, request):
    if request.get("entity_sql"):
        entity = request["entity_sql"]
    elif request.get("entity_df"):
        entity = _entity_df(request["entity_df"])
    else:
        entity = None  # Feast's range mode: start_date / end_date instead of entity rows
    extra = {}
    if request.get("start_date"):
        extra["start_date"] = _instant(request["start_date"])
    if request.get("end_date"):
        extra["end_date"] = _instant(request["end_date"])
    job = store.get_historical_features(
        entity_df=entity,
        features=_features(store, request),
        full_feature_names=request.get("full_feature_names", False),
        filter_by_created_timestamp=request.get("filter_by_created_timestamp", False),
        **extra,
    )
    table = job.to_arrow()
    _write_arrow(table, request["output"])
    out = {"rows": table.num_rows, "columns": _describe(table)}
    if request.get("with_sql"):
        # to_sql renders the query again (uploading, then dropping, the entity table a second time).
        out["sql"] = job.to_sql()
    return out


def online(store, request):
    frame = _entity_df(request["entity_df"])
    rows = {name: frame[name].tolist() for name in frame.columns}
    response = store.get_online_features(
        features=_features(store, request),
        entity_rows=rows,
        full_feature_names=request.get("full_feature_names", False),
    )
    table = response.to_arrow()
    _write_arrow(table, request["output"])
    return {"rows": table.num_rows, "columns": _describe(table)}


def materialize(store, request):
    views = request.get("views")
    if request.get("incremental"):
        store.materialize_incremental(end_date=_instant(request["end"]), feature_views=views)
    else:
        store.materialize(
            start_date=_instant(request["start"]),
            end_date=_instant(request["end"]),
            feature_views=views,
        )
    return {"ok": True}


HANDLERS = {"historical": historical, "online": online, "materialize": materialize}


def answer(request):
    mode = request.get("mode", "historical")
    if mode not in HANDLERS:
        raise ValueError(f"unknown mode {mode!r}")
    # A new FeatureStore per request, as a fresh process would have (it is cheap; importing feast is not).
    return HANDLERS[mode](FeatureStore(repo_path=request["repo"]), request)


def reply(marker, payload):
    # Feast prints notices on stdout (e.g. which column it took as the event timestamp), so the answer goes on
    # a line of its own behind a marker.
    sys.stdout.write("\n" + marker + json.dumps(payload) + "\n")
    sys.stdout.flush()


def serve():
    """One request per stdin line, one marked answer (or error) per request, until stdin closes."""
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            reply(RESULT, answer(json.loads(line)))
        except Exception as error:  # noqa: BLE001 - every failure goes back to the caller
            reply(ERROR, {"error": repr(error), "traceback": traceback.format_exc()})


def main():
    if sys.argv[1:] == ["--serve"]:
        serve()
        return
    raw = open(sys.argv[1], encoding="utf8").read() if len(sys.argv) > 1 else sys.stdin.read()
    reply(RESULT, answer(json.loads(raw)))


if __name__ == "__main__":
    main()
