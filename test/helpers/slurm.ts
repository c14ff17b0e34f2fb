import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, closeSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { waitFor } from './processes.js';
import { createNetwork, type TestNetwork } from './netns.js';
import { ensureCommand, rootUnavailable } from './system.js';

/** A one-node Slurm cluster of the tests' own. */
export interface TestSlurm {
  /** What Slurm's commands need: `SLURM_CONF`. */
  readonly env: Readonly<Record<string, string>>;
  /** This host's address on the node's network: where a daemon must listen for jobs to reach it. */
  readonly gateway: string;
  readonly cpus: number;
  stop(): Promise<void>;
}

/**
 * Why Slurm tests cannot run here, or undefined when they can: they need root (network
 * namespaces, the daemons) and Debian's Slurm and munge, installed when missing. Under `CI=true`
 * a missing piece fails instead of skipping.
 */
export function slurmUnavailable(): string | undefined {
  return (
    rootUnavailable('Slurm tests need root (they start munged, slurmctld and slurmd in a network namespace)') ??
    ensureCommand('munged', 'munge') ??
    ensureCommand('slurmctld', 'slurmctld') ??
    ensureCommand('slurmd', 'slurmd') ??
    ensureCommand('sbatch', 'slurm-client')
  );
}

/**
 * Starts munged (own key and socket; every folder above `dir` must be open to all users, as munged
 * checks its socket can be reached) and, in a network namespace of their own because Slurm binds
 * every interface, slurmctld and slurmd with a config in `dir`. Resolves once the node is idle.
 */
export async function startSlurm(dir: string): Promise<TestSlurm> {
  const cpus = Math.max(2, availableParallelism());
  const paths = Object.fromEntries(['etc', 'munge', 'state', 'spool', 'log', 'run'].map((d) => [d, join(dir, d)])) as Record<string, string>;
  for (const path of Object.values(paths)) mkdirSync(path, { recursive: true });
  chmodSync(dir, 0o755);
  const network: TestNetwork = createNetwork(1);
  const node = network.hosts[0]!;
  const children: number[] = [];
  // What each daemon says on its way up goes to log/NAME.out, for when one does not come up.
  const start = (command: string[], name: string) => {
    const out = openSync(join(paths.log!, `${name}.out`), 'a');
    const child = spawn(command[0]!, command.slice(1), { stdio: ['ignore', out, out], detached: true });
    closeSync(out);
    child.unref();
    children.push(child.pid!);
  };
  try {
    const key = join(paths.munge!, 'munge.key');
    writeFileSync(key, execFileSync('head', ['-c', '1024', '/dev/urandom']), { mode: 0o400 });
    const socket = join(paths.munge!, 'munge.sock');
    start(
      [
        'munged',
        '-F',
        `--key-file=${key}`,
        `--socket=${socket}`,
        `--pid-file=${join(paths.munge!, 'munged.pid')}`,
        `--log-file=${join(paths.munge!, 'munged.log')}`,
        `--seed-file=${join(paths.munge!, 'munged.seed')}`,
      ],
      'munged',
    );
    await waitFor(() => spawnSync('munge', ['-S', socket, '-n'], { stdio: 'ignore' }).status === 0, 'munged', 10_000);
    const conf = join(paths.etc!, 'slurm.conf');
    writeFileSync(join(paths.etc!, 'plugstack.conf'), '');
    mkdirSync(join(paths.spool!, node.namespace), { recursive: true });
    writeFileSync(
      conf,
      [
        'ClusterName=hyperctl-test',
        `SlurmctldHost=${node.namespace}(${node.address})`,
        'SlurmUser=root',
        'SlurmdUser=root',
        'AuthType=auth/munge',
        `AuthInfo=socket=${socket}`,
        'CredType=cred/munge',
        `StateSaveLocation=${paths.state}`,
        `SlurmdSpoolDir=${paths.spool}/%n`,
        `SlurmctldPidFile=${paths.run}/slurmctld.pid`,
        `SlurmdPidFile=${paths.run}/slurmd.pid`,
        `SlurmctldLogFile=${paths.log}/slurmctld.log`,
        `SlurmdLogFile=${paths.log}/slurmd.log`,
        'ProctrackType=proctrack/pgid',
        'TaskPlugin=task/none',
        'JobAcctGatherType=jobacct_gather/none',
        'AccountingStorageType=accounting_storage/none',
        'JobCompType=jobcomp/none',
        'SwitchType=switch/none',
        'MpiDefault=none',
        'MailProg=/bin/true',
        'SchedulerType=sched/backfill',
        // Without these a trivial job waits up to seconds for the scheduler.
        'SchedulerParameters=batch_sched_delay=0,sched_min_interval=0',
        'SelectType=select/cons_tres',
        'SelectTypeParameters=CR_Core_Memory',
        'ReturnToService=2',
        'MinJobAge=300',
        'KillWait=2',
        // A job asks for all of the node's memory unless told otherwise: give each CPU a share.
        'DefMemPerCPU=100',
        'InactiveLimit=0',
        'Waittime=0',
        'MaxArraySize=1001',
        `PlugStackConfig=${paths.etc}/plugstack.conf`,
        `NodeName=${node.namespace} NodeAddr=${node.address} CPUs=${cpus} Sockets=1 CoresPerSocket=${cpus} ThreadsPerCore=1 RealMemory=4000 State=UNKNOWN`,
        'PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP',
        '',
      ].join('\n'),
    );
    const env = { SLURM_CONF: conf };
    // nsenter, not `ip netns exec`: that remounts /sys, and slurmd then finds no cgroup file system.
    for (const daemon of ['slurmctld', 'slurmd']) {
      start(
        [
          'nsenter',
          `--net=/run/netns/${node.namespace}`,
          'unshare',
          '--uts',
          'sh',
          '-c',
          'hostname "$1" && exec "$2" -D -f "$3"',
          'sh',
          node.namespace,
          daemon,
          conf,
        ],
        daemon,
      );
    }
    const query = (args: string[]) => spawnSync(args[0]!, args.slice(1), { env: { ...process.env, ...env }, encoding: 'utf8' }).stdout ?? '';
    await waitFor(() => /^(idle|mixed|allocated)/.test(query(['sinfo', '-h', '-o', '%T']).trim()), 'the Slurm node to be idle', 30_000);
    return {
      env,
      gateway: network.gateway,
      cpus,
      async stop() {
        for (const name of ['slurmd', 'slurmctld']) {
          try {
            process.kill(Number(readFileSync(join(paths.run!, `${name}.pid`), 'utf8')), 'SIGKILL');
          } catch {
            // not running
          }
        }
        for (const pid of children) {
          try {
            process.kill(pid, 'SIGKILL');
          } catch {
            // gone
          }
        }
        await network.remove();
      },
    };
  } catch (error) {
    for (const pid of children) spawnSync('kill', ['-9', String(pid)]);
    await network.remove();
    throw error;
  }
}
