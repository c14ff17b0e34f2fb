"""A stand-in for a training script: argparse flags in, a loss out, reported on a hyperctl:metrics line."""
import argparse
import json
import math

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--wd", type=float, default=0.0)
parser.add_argument("--layers", type=int, default=2)
parser.add_argument("--width", type=int, default=64)
parser.add_argument("--opt", choices=["sgd", "adam"], default="sgd")
parser.add_argument("--sched", type=json.loads, default={"name": "cosine"})
parser.add_argument("--seed", type=int, default=0)
args = parser.parse_args()

# Best near lr=1e-3, wd=0.02, 5 layers, width 256, adam, a step schedule with gamma 0.5.
loss = (
    (math.log10(args.lr) + 3) ** 2
    + 20 * (args.wd - 0.02) ** 2
    + 0.05 * (args.layers - 5) ** 2
    + 0.1 * (math.log2(args.width) - 8) ** 2
    + (0.0 if args.opt == "adam" else 0.3)
    + (0.2 * (args.sched.get("gamma", 0.0) - 0.5) ** 2 if args.sched["name"] == "step" else 0.1)
    + 0.01 * args.seed
)
print("hyperctl:metrics " + json.dumps({"loss": round(loss, 6)}))
