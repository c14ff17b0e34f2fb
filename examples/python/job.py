# A job in any language reads its params without a library:
# HYPERCTL_JOB_PARAMS holds them as JSON, HYPERCTL_JOB_PARAMS_FILE names a JSON file with them.
import json
import os

with open(os.environ["HYPERCTL_JOB_PARAMS_FILE"]) as f:
    params = json.load(f)
assert params == json.loads(os.environ["HYPERCTL_JOB_PARAMS"])
print(params)
