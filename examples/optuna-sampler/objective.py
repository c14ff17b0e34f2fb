"""The function the search minimises (Branin's, plus a penalty for one optimizer), as a job would train."""
import argparse
import math

parser = argparse.ArgumentParser()
parser.add_argument("--x", type=float, required=True)
parser.add_argument("--y", type=float, required=True)
parser.add_argument("--opt", choices=["sgd", "adam"], required=True)
args = parser.parse_args()
b = 5.1 / (4 * math.pi**2)
loss = (args.y - b * args.x**2 + 5 / math.pi * args.x - 6) ** 2 + 10 * (1 - 1 / (8 * math.pi)) * math.cos(args.x) + 10
loss += 0.5 if args.opt == "sgd" else 0.0
print('hyperctl:metrics {"loss": %.6f}' % loss)
