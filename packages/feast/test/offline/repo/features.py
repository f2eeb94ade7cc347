"""Feast repo of the offline-retrieval interop tests (project mlops_offline).

The tables behind it (all prefixed off_) are created and filled by seedOfflineTables in ../support.ts, which
also copies this file next to a generated feature_store.yaml in a temporary directory and runs `feast apply`.

What each view is for:
- driver_stats: the plain case. Table source with a created column (tie-break), TTL 2 hours, a Float32, a Float64,
  an Int64 and a String feature (some nulls).
- driver_stats_no_ttl: the same table read through a query source (which leaves out rows with a negative or
  null trips) and no TTL.
- pair_stats: keyed by two string entities, so that ("1", "23") and ("12", "3") concatenate to the same text.
- mapped_stats: source columns named differently from the view (drv -> driver_id, src_rating -> rating), a
  timestamp column named ts of type `timestamp without time zone`, no created column, TTL 1 day.
- global_stats: no entities at all.
"""

from datetime import timedelta

from feast import Entity, FeatureService, FeatureView, Field, ValueType
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource
from feast.types import Float32, Float64, Int64, String

# ---------------------------------------------------------------- entities

driver = Entity(name="driver", join_keys=["driver_id"], value_type=ValueType.INT64)
k1_entity = Entity(name="k1_entity", join_keys=["k1"], value_type=ValueType.STRING)
k2_entity = Entity(name="k2_entity", join_keys=["k2"], value_type=ValueType.STRING)

_driver_fields = [
    Field(name="driver_id", dtype=Int64),
    Field(name="conv_rate", dtype=Float32),
    Field(name="acc_rate", dtype=Float64),
    Field(name="trips", dtype=Int64),
    Field(name="note", dtype=String),
]

# ---------------------------------------------------------------- driver_stats (table source, TTL 2 hours)

driver_stats = FeatureView(
    name="driver_stats",
    entities=[driver],
    ttl=timedelta(hours=2),
    schema=list(_driver_fields),
    online=True,
    source=PostgreSQLSource(
        name="off_driver_stats_table",
        table="off_driver_stats",
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    ),
)

# ---------------------------------------------------------------- driver_stats_no_ttl (query source, no TTL)

driver_stats_no_ttl = FeatureView(
    name="driver_stats_no_ttl",
    entities=[driver],
    ttl=timedelta(seconds=0),
    schema=list(_driver_fields),
    online=True,
    source=PostgreSQLSource(
        name="off_driver_stats_query",
        query="SELECT * FROM off_driver_stats WHERE trips >= 0",
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    ),
)

# ---------------------------------------------------------------- pair_stats (two string keys, no TTL)

pair_stats = FeatureView(
    name="pair_stats",
    entities=[k1_entity, k2_entity],
    ttl=timedelta(seconds=0),
    schema=[
        Field(name="k1", dtype=String),
        Field(name="k2", dtype=String),
        Field(name="score", dtype=Float64),
        Field(name="label", dtype=String),
    ],
    online=True,
    source=PostgreSQLSource(
        name="off_pair_stats_table",
        table="off_pair_stats",
        timestamp_field="event_timestamp",
    ),
)

# ---------------------------------------------------------------- mapped_stats (field mapping, naive timestamps)
# timestamp_field names the source column itself; field_mapping renames the join key and the feature only.

mapped_stats = FeatureView(
    name="mapped_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="rating", dtype=Float64),
    ],
    online=True,
    source=PostgreSQLSource(
        name="off_mapped_stats_table",
        table="off_mapped_stats",
        timestamp_field="ts",
        field_mapping={"drv": "driver_id", "src_rating": "rating"},
    ),
)

# ---------------------------------------------------------------- global_stats (no entities, no TTL)

global_stats = FeatureView(
    name="global_stats",
    entities=[],
    ttl=timedelta(seconds=0),
    schema=[Field(name="total_rides", dtype=Int64)],
    online=True,
    source=PostgreSQLSource(
        name="off_global_stats_table",
        table="off_global_stats",
        timestamp_field="event_timestamp",
    ),
)

# ---------------------------------------------------------------- feature services

training_v1 = FeatureService(
    name="training_v1",
    features=[driver_stats[["conv_rate", "trips"]], pair_stats],
)

aliased = FeatureService(
    name="aliased",
    features=[driver_stats.with_name("drv_alias")[["conv_rate"]]],
)

join_mapped = FeatureService(
    name="join_mapped",
    features=[driver_stats.with_join_key_map({"driver_id": "other_driver_id"})[["acc_rate"]]],
)
