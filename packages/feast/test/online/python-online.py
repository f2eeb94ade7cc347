# Feast Python's get_online_features for a request given as JSON (argv[1]); prints the raw response:
# feature names, and per column the Value bytes (base64), statuses and event timestamps (seconds, nanos).
import base64
import json
import sys

from feast import FeatureStore
from feast.protos.feast.serving.ServingService_pb2 import FieldStatus

request = json.loads(sys.argv[1])
store = FeatureStore(repo_path=request["repo"])
response = store.get_online_features(
    features=request["features"],
    entity_rows=request["entity_rows"],
    full_feature_names=request.get("full_feature_names", False),
)
proto = response.proto
out = {"feature_names": list(proto.metadata.feature_names.val), "results": []}
for vector in proto.results:
    out["results"].append(
        {
            "values": [base64.b64encode(v.SerializeToString()).decode() for v in vector.values],
            "statuses": [FieldStatus.Name(s) for s in vector.statuses],
            "timestamps": [[t.seconds, t.nanos] for t in vector.event_timestamps],
        }
    )
print(json.dumps(out))
