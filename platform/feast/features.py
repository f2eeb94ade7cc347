"""Feature definitions of the local platform's Feast repo (project mlops_demo).

Seed data: platform/lib/feast_seed.py (deterministic, anchored at 2026-01-01T00:00:00Z).

Coverage:
- entities: driver (int64 key driver_id), customer (string key customer_id); driver_customer_stats is keyed by both
  (a composite key of two join keys).
- value types: driver_all_types holds every scalar type (Int32, Int64, Float32, Float64, String, Bytes, Bool,
  UnixTimestamp) and every list of those; driver_extended_types holds the newer types that round-trip through the
  PostgreSQL offline store into Redis (sets, Map, Json, Uuid, ...). Some rows carry nulls.
- TTL: driver_hourly_stats 1 day, customer_profile 3650 days, driver_all_types and driver_customer_stats 0 (no TTL).
- driver_stats_push: a PushSource over the driver_hourly_stats batch source.
- transformed_conv_rate: an on-demand feature view (request source + feature view inputs).
- feature services: driver_activity, customer_overview.
"""

from datetime import timedelta

import pandas as pd

from feast import (
    Entity,
    FeatureService,
    FeatureView,
    Field,
    PushSource,
    RequestSource,
    ValueType,
)
from feast.infra.offline_stores.contrib.postgres_offline_store.postgres_source import PostgreSQLSource
from feast.on_demand_feature_view import on_demand_feature_view
from feast.types import (
    Array,
    Bool,
    Bytes,
    Decimal,
    Float32,
    Float64,
    Int32,
    Int64,
    Json,
    Map,
    Set,
    String,
    TimeUuid,
    UnixTimestamp,
    Uuid,
)

# ---------------------------------------------------------------- entities

driver = Entity(
    name="driver",
    join_keys=["driver_id"],
    value_type=ValueType.INT64,
    description="A driver (int64 key)",
)
customer = Entity(
    name="customer",
    join_keys=["customer_id"],
    value_type=ValueType.STRING,
    description="A customer (string key)",
)


def _source(table: str) -> PostgreSQLSource:
    return PostgreSQLSource(
        name=f"{table}_source",
        query=f"SELECT * FROM {table}",
        timestamp_field="event_timestamp",
        created_timestamp_column="created",
    )


# ---------------------------------------------------------------- driver_hourly_stats (+ push source, TTL 1 day)

driver_hourly_stats_source = _source("driver_hourly_stats")

driver_stats_push = PushSource(
    name="driver_stats_push",
    batch_source=driver_hourly_stats_source,
)

driver_hourly_stats = FeatureView(
    name="driver_hourly_stats",
    entities=[driver],
    ttl=timedelta(days=1),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="conv_rate", dtype=Float32),
        Field(name="acc_rate", dtype=Float32),
        Field(name="avg_daily_trips", dtype=Int64),
    ],
    online=True,
    source=driver_stats_push,
    tags={"team": "driver_performance"},
)

# ---------------------------------------------------------------- every scalar and list type (TTL 0)

driver_all_types = FeatureView(
    name="driver_all_types",
    entities=[driver],
    ttl=timedelta(seconds=0),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="int32_val", dtype=Int32),
        Field(name="int64_val", dtype=Int64),
        Field(name="float32_val", dtype=Float32),
        Field(name="float64_val", dtype=Float64),
        Field(name="string_val", dtype=String),
        Field(name="bytes_val", dtype=Bytes),
        Field(name="bool_val", dtype=Bool),
        Field(name="unix_timestamp_val", dtype=UnixTimestamp),
        Field(name="int32_list_val", dtype=Array(Int32)),
        Field(name="int64_list_val", dtype=Array(Int64)),
        Field(name="float32_list_val", dtype=Array(Float32)),
        Field(name="float64_list_val", dtype=Array(Float64)),
        Field(name="string_list_val", dtype=Array(String)),
        Field(name="bytes_list_val", dtype=Array(Bytes)),
        Field(name="bool_list_val", dtype=Array(Bool)),
        Field(name="unix_timestamp_list_val", dtype=Array(UnixTimestamp)),
    ],
    online=True,
    source=_source("driver_all_types"),
    tags={"purpose": "value-type coverage"},
)

# ---------------------------------------------------------------- newer types (TTL 0)
# Everything Feast 0.67 can carry from the PostgreSQL offline store into Redis beyond the classic scalars/lists.
# Not covered because the PostgreSQL materialization path cannot produce them in 0.67: ScalarMap, ZonedTimestamp,
# Array(Map), Struct, nested lists/sets (VALUE_LIST/VALUE_SET); native jsonb/uuid/numeric columns (text works).

driver_extended_types = FeatureView(
    name="driver_extended_types",
    entities=[driver],
    ttl=timedelta(seconds=0),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="json_val", dtype=Json),
        Field(name="map_val", dtype=Map),
        Field(name="uuid_val", dtype=Uuid),
        Field(name="time_uuid_val", dtype=TimeUuid),
        Field(name="decimal_val", dtype=Decimal),
        Field(name="json_list_val", dtype=Array(Json)),
        Field(name="uuid_list_val", dtype=Array(Uuid)),
        Field(name="time_uuid_list_val", dtype=Array(TimeUuid)),
        Field(name="decimal_list_val", dtype=Array(Decimal)),
        Field(name="int32_set_val", dtype=Set(Int32)),
        Field(name="int64_set_val", dtype=Set(Int64)),
        Field(name="float32_set_val", dtype=Set(Float32)),
        Field(name="float64_set_val", dtype=Set(Float64)),
        Field(name="string_set_val", dtype=Set(String)),
        Field(name="bytes_set_val", dtype=Set(Bytes)),
        Field(name="bool_set_val", dtype=Set(Bool)),
        Field(name="unix_timestamp_set_val", dtype=Set(UnixTimestamp)),
        Field(name="uuid_set_val", dtype=Set(Uuid)),
        Field(name="time_uuid_set_val", dtype=Set(TimeUuid)),
        Field(name="decimal_set_val", dtype=Set(Decimal)),
    ],
    online=True,
    source=_source("driver_extended_types"),
    tags={"purpose": "value-type coverage (newer types)"},
)

# ---------------------------------------------------------------- customer (string key, TTL 3650 days)

customer_profile = FeatureView(
    name="customer_profile",
    entities=[customer],
    ttl=timedelta(days=3650),
    schema=[
        Field(name="customer_id", dtype=String),
        Field(name="name", dtype=String),
        Field(name="age", dtype=Int32),
        Field(name="lifetime_value", dtype=Float64),
        Field(name="segment", dtype=String),
        Field(name="is_premium", dtype=Bool),
    ],
    online=True,
    source=_source("customer_profile"),
)

# ---------------------------------------------------------------- composite key (driver_id, customer_id)

driver_customer_stats = FeatureView(
    name="driver_customer_stats",
    entities=[driver, customer],
    ttl=timedelta(seconds=0),
    schema=[
        Field(name="driver_id", dtype=Int64),
        Field(name="customer_id", dtype=String),
        Field(name="trips_together", dtype=Int64),
        Field(name="avg_rating", dtype=Float32),
    ],
    online=True,
    source=_source("driver_customer_stats"),
)

# ---------------------------------------------------------------- on-demand feature view

input_request = RequestSource(
    name="vals_to_add",
    schema=[
        Field(name="val_to_add", dtype=Int64),
        Field(name="val_to_add_2", dtype=Int64),
    ],
)


@on_demand_feature_view(
    sources=[driver_hourly_stats, input_request],
    schema=[
        Field(name="conv_rate_plus_val1", dtype=Float64),
        Field(name="conv_rate_plus_val2", dtype=Float64),
    ],
)
def transformed_conv_rate(inputs: pd.DataFrame) -> pd.DataFrame:
    df = pd.DataFrame()
    df["conv_rate_plus_val1"] = inputs["conv_rate"] + inputs["val_to_add"]
    df["conv_rate_plus_val2"] = inputs["conv_rate"] + inputs["val_to_add_2"]
    return df


# ---------------------------------------------------------------- feature services

driver_activity = FeatureService(
    name="driver_activity",
    features=[
        driver_hourly_stats[["conv_rate", "acc_rate"]],
        driver_all_types,
        transformed_conv_rate,
    ],
    description="Driver features for the ranking model",
)

customer_overview = FeatureService(
    name="customer_overview",
    features=[customer_profile, driver_customer_stats],
)
