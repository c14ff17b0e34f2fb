"""Optuna's multi-objective samplers on ZDT problems, for bench/search/multi-objective-vs-optuna.ts.

usage: optuna_multi.py PROBLEM SAMPLER SEEDS TRIALS -> JSON: per seed, every trial's [f1, f2]
PROBLEM: zdt1 or zdt2 (five params in [0, 1], both objectives minimised)
SAMPLER: nsga2 (NSGAIISampler), motpe (TPESampler, which is MOTPE with several objectives),
         or motpe-joint (the same with multivariate=True)
"""
import json
import math
import sys
import warnings

import optuna

optuna.logging.set_verbosity(optuna.logging.ERROR)
warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


def zdt(problem, x):
    f1 = x[0]
    g = 1 + 9 * sum(x[1:]) / (len(x) - 1)
    h = 1 - math.sqrt(f1 / g) if problem == "zdt1" else 1 - (f1 / g) ** 2
    return f1, g * h


def run(problem, sampler_name, seed, trials):
    if sampler_name == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(seed=seed)
    else:
        sampler = optuna.samplers.TPESampler(seed=seed, multivariate=sampler_name == "motpe-joint")
    study = optuna.create_study(directions=["minimize", "minimize"], sampler=sampler)
    study.optimize(lambda t: zdt(problem, [t.suggest_float(f"x{i}", 0, 1) for i in range(1, 6)]), n_trials=trials)
    return [list(t.values) for t in study.trials]


problem, sampler_name, seeds, trials = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
print(json.dumps([run(problem, sampler_name, seed, trials) for seed in range(1, seeds + 1)]))
