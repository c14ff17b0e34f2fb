import json
import os

params = json.loads(os.environ["HYPERCTL_JOB_PARAMS"])
score = params["learning_rate"] * params["max_depth"]
print(f"learning_rate={params['learning_rate']} max_depth={params['max_depth']} score={score:.2f}")
