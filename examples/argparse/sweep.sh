#!/bin/sh
# A grid sweep with no config file: 3 × 2 jobs, each value put into the command quoted; it returns when they end.
# Running the same line again in this folder resumes the same batch.
cd "$(dirname "$0")" && exec hyperctl run -p 2 --batch-name argparse-sweep \
  --param lr=0.01,0.05,0.1 --param optimizer=sgd,adam \
  -- python3 train.py --lr {lr} --optimizer {optimizer} --out {data_dir}/result.json
