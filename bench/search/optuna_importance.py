"""Optuna's parameter importances (fANOVA, its default evaluator) of trials read as JSON on stdin.

Input: {"distributions": {name: {"float": [low, high], "log": bool} | {"int": [low, high]} |
{"categorical": [choices]}}, "trials": [{"params": {...}, "value": number}], "seed": n}.
Output: {name: importance} as Optuna's get_param_importances returns it (normalised to sum 1).
"""
import json
import sys
import time

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution
from optuna.importance import FanovaImportanceEvaluator, get_param_importances

optuna.logging.set_verbosity(optuna.logging.WARNING)


def distribution(spec):
    if "float" in spec:
        return FloatDistribution(spec["float"][0], spec["float"][1], log=spec.get("log", False))
    if "int" in spec:
        return IntDistribution(spec["int"][0], spec["int"][1])
    return CategoricalDistribution(spec["categorical"])


def main():
    data = json.load(sys.stdin)
    distributions = {name: distribution(spec) for name, spec in data["distributions"].items()}
    study = optuna.create_study()
    study.add_trials(
        [optuna.trial.create_trial(params=t["params"], distributions=distributions, value=t["value"]) for t in data["trials"]]
    )
    start = time.perf_counter()
    importances = get_param_importances(study, evaluator=FanovaImportanceEvaluator(seed=data["seed"]))
    ms = (time.perf_counter() - start) * 1000
    print(json.dumps({"importances": dict(importances), "ms": ms, "version": optuna.__version__}))


main()
