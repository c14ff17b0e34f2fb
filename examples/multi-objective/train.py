"""A stand-in for training a model: its error falls epoch by epoch, reported as it goes; its
latency is measured once at the end. Both go on hyperctl:metrics lines."""
import argparse
import json
import math
import time

parser = argparse.ArgumentParser()
parser.add_argument("--width", type=int, required=True)
parser.add_argument("--layers", type=int, required=True)
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--quantize", choices=["none", "int8"], default="none")
args = parser.parse_args()

size = args.width * args.layers
# Capacity lowers the error floor; a learning rate far from 3e-3 slows learning; int8 costs a little accuracy.
floor = 0.02 + 0.5 / math.sqrt(size) + (0.01 if args.quantize == "int8" else 0.0)
speed = 0.6 / (1 + (math.log10(args.lr) + 2.5) ** 2)
for epoch in range(1, 6):
    error = floor + (0.9 - floor) * math.exp(-speed * epoch)
    print("hyperctl:metrics " + json.dumps({"error": round(error, 6), "_step": epoch}), flush=True)
    time.sleep(0.1)  # an epoch's work: early stopping reads each report while the trial runs

latency = 0.05 * size ** 0.8 * (0.45 if args.quantize == "int8" else 1.0)
print("hyperctl:metrics " + json.dumps({"latency_ms": round(latency, 4)}))
