"""A search sampler for hyperctl's `algorithm: command`, driving Optuna's TPE.

hyperctl starts it once per run and talks JSON lines: it writes {"ask": {...}} and reads one line
back, {"params": {...}} (or {"stop": "why"}), and writes {"tell": {...}} when a trial ends, wanting
no answer. Every ask carries the whole history, so this sampler keeps nothing between asks: it
rebuilds an Optuna study from the history each time, which also makes a resumed search exact.
Handles flat spaces of uniform, loguniform, int and choice params.
"""
import json
import sys
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def distributions(space):
    out = {}
    for name, spec in space.items():
        if isinstance(spec, list):
            continue  # a grid axis: hyperctl crosses it with every trial itself
        if "uniform" in spec:
            out[name] = FloatDistribution(*spec["uniform"], step=spec.get("step"))
        elif "loguniform" in spec:
            out[name] = FloatDistribution(*spec["loguniform"], log=True)
        elif "int" in spec:
            out[name] = IntDistribution(*spec["int"], log=spec.get("log", False), step=spec.get("step", 1))
        elif "choice" in spec:
            out[name] = CategoricalDistribution(spec["choice"])
        else:
            raise ValueError(f"{name}: this sampler handles uniform, loguniform, int and choice")
    return out


def propose(ask):
    dists = distributions(ask["space"])
    direction = "maximize" if ask["goal"] == "max" else "minimize"
    sampler = optuna.samplers.TPESampler(seed=ask["seed"] + ask["trial"], n_startup_trials=5, constant_liar=True)
    study = optuna.create_study(direction=direction, sampler=sampler)
    for past in ask["history"]:
        if past["status"] == "succeed" and past["value"] is not None:
            study.add_trial(optuna.trial.create_trial(params=past["params"], distributions=dists, value=past["value"]))
        elif past["status"] == "failed":
            study.add_trial(optuna.trial.create_trial(params=past["params"], distributions=dists, state=optuna.trial.TrialState.FAIL))
    return study.ask(dists).params


for line in sys.stdin:
    message = json.loads(line)
    if "ask" in message:
        print(json.dumps({"params": propose(message["ask"])}), flush=True)
    # {"tell": …}: nothing to keep, the next ask brings the history.
