#!/bin/sh
# A stand-in for a training script: sent to the machines with the rest of this folder (upload),
# it reads its learning rate and leaves a model in out/, which comes back (outputs).
lr=$1
mkdir -p out
echo "trained with lr $lr on $(hostname)" > out/model.txt
echo "training with $HYPERCTL_JOB_PARAMS on $(hostname)"
echo "hyperctl:metrics {\"loss\": $(awk -v lr="$lr" 'BEGIN { print (lr - 0.25) ^ 2 }')}"
