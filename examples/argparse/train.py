"""An ordinary argparse script: it knows nothing of hyperctl. Placeholders in the command feed it."""
import argparse
import json

parser = argparse.ArgumentParser()
parser.add_argument("--lr", type=float, required=True)
parser.add_argument("--depth", type=int, default=3)
parser.add_argument("--optimizer", choices=["sgd", "adam"], default="sgd")
parser.add_argument("--note", default="")
parser.add_argument("--out", default="result.json")
args = parser.parse_args()

loss = abs(args.lr - 0.05) * 10 + 1 / args.depth + (0.1 if args.optimizer == "sgd" else 0)
with open(args.out, "w") as f:
    json.dump({"lr": args.lr, "depth": args.depth, "optimizer": args.optimizer, "note": args.note, "loss": round(loss, 6)}, f)
print(f"lr={args.lr} depth={args.depth} optimizer={args.optimizer} loss={loss:.4f}")
