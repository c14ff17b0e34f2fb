"""A stand-in for training: prints a loss curve, one hyperctl:metrics line per epoch, with no library.

The loss falls towards a floor set by the learning rate; early epochs already show which runs lose.
"""
import argparse
import json
import math
import time

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--epochs", type=int, default=12)
args = parser.parse_args()

floor = abs(math.log10(args.lr) + 2)  # best near lr = 0.01
for epoch in range(1, args.epochs + 1):
    loss = floor + 1 / epoch
    print("hyperctl:metrics " + json.dumps({"loss": round(loss, 4), "_step": epoch}), flush=True)
    time.sleep(0.1)
