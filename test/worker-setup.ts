import { join } from 'node:path';

// GPU leases are this machine's: test files running at once would hold each other's GPUs. Each
// worker takes a lock folder of its own below the suite's (made by the global set-up, open to every
// user as on a real machine: jobs on the SSH test machines run as the test user). Tests that need
// another set theirs.
const suiteLocks = process.env.HYPERCTL_TEST_LOCKS;
if (suiteLocks) process.env.HYPERCTL_LOCK_DIR = join(suiteLocks, `worker-${process.env.VITEST_POOL_ID ?? process.pid}`);
