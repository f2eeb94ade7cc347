"""Feature definitions of the online-read benchmark (project mlops_bench).

Three feature views of 10 features each on one int64 entity, with a mix of types (float, double, int64, int32,
string, bool, a list). Rows: bench/feast_online_python.py setup (PostgreSQL tables mlops_bench_<view> as the
offline source, and Feast's own write_to_online_store into Redis).
"""

from datetime import timedelta

from feast import Entity, FeatureView, Field, ValueType
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource
from feast.types import Array, Bool, Float32, Float64, Int32, Int64, String

bench_entity = Entity(
    name="bench_entity",
    join_keys=["entity_id"],
    value_type=ValueType.INT64,
    description="Entity of the online-read benchmark (int64 key)",
)

LIST_TYPES = {"bench_a": Array(Float32), "bench_b": Array(Int64), "bench_c": Array(String)}


def _schema(view: str) -> list[Field]:
    return [
        Field(name="f_float_0", dtype=Float32),
        Field(name="f_float_1", dtype=Float32),
        Field(name="f_double_0", dtype=Float64),
        Field(name="f_double_1", dtype=Float64),
        Field(name="f_int64_0", dtype=Int64),
        Field(name="f_int64_1", dtype=Int64),
        Field(name="f_int32", dtype=Int32),
        Field(name="f_string", dtype=String),
        Field(name="f_bool", dtype=Bool),
        Field(name="f_list", dtype=LIST_TYPES[view]),
    ]


def _view(name: str) -> FeatureView:
    return FeatureView(
        name=name,
        entities=[bench_entity],
        ttl=timedelta(0),
        schema=_schema(name),
        online=True,
        source=PostgreSQLSource(
            name=f"mlops_{name}_source",
            query=f"SELECT * FROM mlops_{name}",
            timestamp_field="event_timestamp",
        ),
    )


bench_a = _view("bench_a")
bench_b = _view("bench_b")
bench_c = _view("bench_c")
