# Feast Python's write_to_online_store (or push, with push_source) for rows given as JSON (argv[1]):
# {repo, view | push_source, rows, timestamp_columns}; timestamps ISO-8601.
import json
import sys

import pandas as pd
from feast import FeatureStore

request = json.loads(sys.argv[1])
store = FeatureStore(repo_path=request["repo"])
df = pd.DataFrame(request["rows"])
for column in request.get("timestamp_columns", []):
    df[column] = pd.to_datetime(df[column], utc=True)
if "push_source" in request:
    from feast.data_source import PushMode

    store.push(request["push_source"], df, to=PushMode.ONLINE)
else:
    store.write_to_online_store(request["view"], df)
print(json.dumps({"ok": True}))
