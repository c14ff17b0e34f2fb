/**
 * The top-level commands' names and descriptions, in the order the usage lists them: read by the
 * root usage without loading any command (or the SDK), and by each command's own definition.
 */
export const commandMeta = {
  run: {
    name: 'run',
    description:
      'run a batch (resumes it when run again), from a config or as a grid of --param values: hyperctl run --param lr=0.1,0.2 -- python3 train.py --lr {lr}',
  },
  generate: { name: 'generate', description: 'expand a job template (params: lists of values) into a batch config' },
  batch: { name: 'batch', description: 'inspect, compare and control batches' },
  job: { name: 'job', description: "inspect and control a batch's jobs" },
  gpus: { name: 'gpus', description: "each machine's GPUs: the leases runs hold on them, and processes of others" },
} as const;
