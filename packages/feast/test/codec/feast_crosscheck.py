"""Cross-check of @mlops/feast's codecs against Feast's own Python code (run with the feast venv's python).

Reads one JSON request on stdin, writes one JSON answer on stdout. Values travel tagged (see `untag`), and
come back as canonical tagged forms (see `canon`) so that the TypeScript side can compare them exactly.

Request: {"values": [{"type": "INT64_LIST", "input": <tagged>, "ours": <hex of our bytes>}],
          "keys": [{"parts": [{"joinKey", "type", "value": <tagged>}], "version": 3, "ours": <hex>}],
          "fields": ["fv:feature", ...], "project": "p"}
Answer:  {"values": [{"theirs": hex | null, "error": str | null, "theirsDecoded": canon, "oursDecoded": canon}],
          "keys": [{"theirs": hex | null, "error": str | null, "oursDecoded": [...] | null}],
          "fields": [hex, ...], "feast": version}
"""

import datetime as dt
import decimal
import importlib.metadata
import json
import math
import struct
import sys
import uuid
import warnings
from zoneinfo import ZoneInfo

warnings.simplefilter("ignore")

from feast.infra.key_encoding_utils import deserialize_entity_key, serialize_entity_key  # noqa: E402
from feast.infra.online_stores.helpers import _mmh3, _redis_key  # noqa: E402
from feast.protos.feast.types.EntityKey_pb2 import EntityKey as EntityKeyProto  # noqa: E402
from feast.protos.feast.types.Value_pb2 import Value as ValueProto  # noqa: E402
from feast.type_map import feast_value_type_to_python_type, python_values_to_proto_values  # noqa: E402
from feast.value_type import ValueType  # noqa: E402

UTC = dt.timezone.utc


def untag(v):
    """Tagged JSON → the Python value a Feast user would pass."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, list):
        return [untag(x) for x in v]
    (tag, x), *rest = v.items()
    if tag == "i":
        return int(x)
    if tag == "f":
        return struct.unpack(">d", bytes.fromhex(x))[0]
    if tag == "y":
        return bytes.fromhex(x)
    if tag == "t":
        return dt.datetime.fromtimestamp(int(x), tz=UTC)
    if tag == "zt":
        zone = v["zone"]
        if zone == "":
            return dt.datetime.fromtimestamp(int(x), tz=UTC).replace(tzinfo=None)
        return dt.datetime.fromtimestamp(int(x), tz=ZoneInfo(zone))
    if tag == "uuid":
        return uuid.UUID(x)
    if tag == "dec":
        return decimal.Decimal(x)
    if tag == "set":
        return set(untag(e) for e in x)
    if tag == "m":
        return {k: untag(e) for k, e in x.items()}
    if tag == "sm":
        return {untag(k): untag(e) for k, e in x}
    if tag == "json":
        return json.loads(x)
    raise ValueError(f"unknown tag {tag}")


def canon(v):
    """A Python value (as feast_value_type_to_python_type returns it) → tagged, exact, JSON-able."""
    if v is None:
        return None
    if isinstance(v, bool):
        return {"b": v}
    if isinstance(v, int):
        return {"i": str(v)}
    if isinstance(v, float):
        return {"f": "nan" if math.isnan(v) else struct.pack(">d", v).hex()}
    if isinstance(v, str):
        return {"s": v}
    if isinstance(v, (bytes, bytearray)):
        return {"y": bytes(v).hex()}
    if isinstance(v, dt.datetime):
        zone = v.tzinfo.key if hasattr(v.tzinfo, "key") else str(v.tzinfo)
        return {"t": str(int(v.timestamp())), "z": zone}
    if isinstance(v, uuid.UUID):
        return {"s": str(v)}
    if isinstance(v, decimal.Decimal):
        return {"s": str(v)}
    if isinstance(v, (set, frozenset)):
        return {"set": [canon(e) for e in v]}
    if isinstance(v, (list, tuple)):
        return [canon(e) for e in v]
    if isinstance(v, dict):
        if all(isinstance(k, str) for k in v):
            return {"m": {k: canon(e) for k, e in v.items()}}
        return {"sm": [[canon(k), canon(e)] for k, e in v.items()]}
    raise TypeError(f"cannot canonicalize {type(v)}")


def decode(hexbytes, value_type):
    proto = ValueProto()
    proto.ParseFromString(bytes.fromhex(hexbytes))
    return canon(feast_value_type_to_python_type(proto, value_type))


def entity_value(part):
    t, x = part["type"], untag(part["value"])
    if t == "STRING":
        return ValueProto(string_val=x)
    if t == "BYTES":
        return ValueProto(bytes_val=x)
    if t == "INT32":
        return ValueProto(int32_val=x)
    if t == "INT64":
        return ValueProto(int64_val=x)
    if t == "UNIX_TIMESTAMP":
        return ValueProto(unix_timestamp_val=int(x.timestamp()) if isinstance(x, dt.datetime) else x)
    raise ValueError(t)


def online(request):
    """get_online_features of the platform repo for each request, values canonical, timestamps exact."""
    from feast import FeatureStore

    store = FeatureStore(repo_path=request["repo"])
    out = []
    for r in request["requests"]:
        response = store.get_online_features(
            features=r["features"], entity_rows=r["entity_rows"], full_feature_names=True
        )
        columns = {}
        as_dict = response.to_dict()
        for name, result in zip(response.proto.metadata.feature_names.val, response.proto.results):
            columns[name] = {
                "values": [canon(v) for v in as_dict[name]],
                "timestamps": [[str(ts.seconds), ts.nanos] for ts in result.event_timestamps],
            }
        out.append(columns)
    json.dump({"feast": importlib.metadata.version("feast"), "responses": out}, sys.stdout)


def main():
    request = json.load(sys.stdin)
    if request.get("mode") == "online":
        return online(request)
    out = {"feast": importlib.metadata.version("feast"), "values": [], "keys": [], "fields": []}
    for case in request.get("values", []):
        value_type = ValueType[case["type"]]
        answer = {"theirs": None, "error": None, "theirsDecoded": None, "oursDecoded": None}
        try:
            proto = python_values_to_proto_values([untag(case["input"])], value_type)[0]
            answer["theirs"] = proto.SerializeToString().hex()
            answer["theirsDecoded"] = decode(answer["theirs"], value_type)
        except Exception as e:  # Feast refuses the value: the TypeScript side must refuse it too
            answer["error"] = f"{type(e).__name__}: {e}"
        if case.get("ours") is not None:
            answer["oursDecoded"] = decode(case["ours"], value_type)
        out["values"].append(answer)
    for case in request.get("keys", []):
        answer = {"theirs": None, "error": None, "oursDecoded": None}
        try:
            key = EntityKeyProto(
                join_keys=[p["joinKey"] for p in case["parts"]],
                entity_values=[entity_value(p) for p in case["parts"]],
            )
            answer["theirs"] = _redis_key(request["project"], key, case["version"]).hex()
        except Exception as e:
            answer["error"] = f"{type(e).__name__}: {e}"
        if case.get("ours") is not None and case["version"] == 3:
            project = request["project"].encode()
            ours = bytes.fromhex(case["ours"])
            assert ours.endswith(project)
            decoded = deserialize_entity_key(ours[: len(ours) - len(project)], 3)
            answer["oursDecoded"] = [
                [k, canon(feast_value_type_to_python_type(v))] for k, v in zip(decoded.join_keys, decoded.entity_values)
            ]
        out["keys"].append(answer)
    out["fields"] = [_mmh3(f).hex() for f in request.get("fields", [])]
    from google.protobuf.timestamp_pb2 import Timestamp

    out["timestamps"] = []
    for seconds, nanos, ours in request.get("timestamps", []):
        parsed = Timestamp()
        parsed.ParseFromString(bytes.fromhex(ours))
        out["timestamps"].append(
            [Timestamp(seconds=int(seconds), nanos=nanos).SerializeToString().hex(), [str(parsed.seconds), parsed.nanos]]
        )
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
