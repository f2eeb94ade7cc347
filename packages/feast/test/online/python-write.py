# Feast Python's write_to_online_store for rows given as JSON (argv[1]): {repo, view, rows}; timestamps ISO-8601.
import json
import sys

import pandas as pd
from feast import FeatureStore

request = json.loads(sys.argv[1])
store = FeatureStore(repo_path=request["repo"])
df = pd.DataFrame(request["rows"])
for column in request.get("timestamp_columns", []):
    df[column] = pd.to_datetime(df[column], utc=True)
store.write_to_online_store(request["view"], df)
print(json.dumps({"ok": True}))
