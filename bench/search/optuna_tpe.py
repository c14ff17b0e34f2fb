"""Optuna's TPE on the benchmark problems, for bench/search/search-vs-optuna.ts.

usage: optuna_tpe.py quality PROBLEM SLOTS SEEDS TRIALS   -> JSON list of the best value per seed
       optuna_tpe.py latency N                            -> JSON {"ms": median ask time with N finished trials}
"""
import json
import math
import sys
import time
import warnings

import optuna
from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
with open(__file__.rsplit("/", 1)[0] + "/problems.json") as f:
    PROBLEMS = json.load(f)

A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]
ALPHA = [1.0, 1.2, 3.0, 3.2]


def objective(problem, p):
    if problem == "branin":
        x, y = p["x"], p["y"]
        b = 5.1 / (4 * math.pi**2)
        return (y - b * x * x + 5 / math.pi * x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(x) + 10
    if problem == "hartmann6":
        xs = [p[f"x{i}"] for i in range(1, 7)]
        return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (xs[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))
    penalty = {"sgd": 0.5, "adam": 0.0, "rmsprop": 0.2}[p["opt"]]
    return (math.log10(p["lr"]) + 3) ** 2 + 0.1 * (p["layers"] - 4) ** 2 + 0.2 * (math.log2(p["width"]) - 7) ** 2 + penalty + 4 * (p["dropout"] - 0.1) ** 2


def distributions(problem):
    out = {}
    for name, spec in PROBLEMS[problem].items():
        if "uniform" in spec:
            out[name] = FloatDistribution(*spec["uniform"])
        elif "loguniform" in spec:
            out[name] = FloatDistribution(*spec["loguniform"], log=True)
        elif "int" in spec:
            out[name] = IntDistribution(*spec["int"], log=spec.get("log", False))
        else:
            out[name] = CategoricalDistribution(spec["choice"])
    return out


def quality(problem, slots, seeds, trials):
    dists = distributions(problem)
    bests = []
    for seed in range(1, seeds + 1):
        sampler = optuna.samplers.TPESampler(seed=seed, n_startup_trials=10, constant_liar=slots > 1)
        study = optuna.create_study(sampler=sampler)
        done = 0
        while done < trials:
            batch = [study.ask(dists) for _ in range(min(slots, trials - done))]
            for trial in batch:
                study.tell(trial, objective(problem, trial.params))
            done += len(batch)
        bests.append(study.best_value)
    return bests


def latency(n):
    dists = distributions("hartmann6")
    rng = __import__("random").Random(1)
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1, n_startup_trials=10))
    for _ in range(n):
        params = {k: rng.random() for k in dists}
        study.add_trial(optuna.trial.create_trial(params=params, distributions=dists, value=objective("hartmann6", params)))
    times = []
    for _ in range(5):
        start = time.perf_counter()
        trial = study.ask(dists)
        times.append((time.perf_counter() - start) * 1000)
        study.tell(trial, state=optuna.trial.TrialState.FAIL)
    times.sort()
    return {"ms": times[2]}


if __name__ == "__main__":
    if sys.argv[1] == "quality":
        print(json.dumps(quality(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]))))
    else:
        print(json.dumps(latency(int(sys.argv[2]))))
