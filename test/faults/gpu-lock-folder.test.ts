import { spawnSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type GpuLease, leaseBusyStatus, leaseScript } from '../../src/executors/gpu-lease.js';
import { gpuProbe, parseGpus } from '../../src/executors/gpu-probe.js';
import { ensureCommand } from '../helpers/system.js';
import { tempDir } from '../helpers/tmp.js';
import { ensureTestUser, testUser } from '../helpers/users.js';

// A second user on one machine, in a mount namespace of the test's own with a fresh /run/lock (a
// tmpfs, as after a boot): whoever comes first may make the shared lock folder, and plant in it.

/** What a scenario needs: root, the test user, util-linux's unshare and setpriv. */
function unavailable(): string | undefined {
  const user = ensureTestUser();
  if (typeof user === 'string') return user;
  return ensureCommand('unshare', 'util-linux') ?? ensureCommand('setpriv', 'util-linux') ?? ensureCommand('bash', 'bash');
}

interface Scenario {
  /** The folder the scenario runs in (readable by the test user): `$T` in its script. */
  readonly dir: string;
  /** Writes a lease script taking `lease` and running `command` as `dir/NAME`; `ACQ` once taken. */
  lease(name: string, lease: Pick<GpuLease, 'keys'> & Partial<GpuLease>, command: string): void;
  /** Runs `script` with bash as root in a fresh namespace; `as_user CMD…` runs a command as the test user. */
  run(script: string): { code: number | null; out: string };
}

function scenario(): Scenario {
  const dir = tempDir();
  chmodSync(dir, 0o777);
  return {
    dir,
    lease(name, lease, command) {
      writeFileSync(join(dir, name), leaseScript({ holder: 'batch b · job j', share: 1000, ...lease }, 'echo ACQ', command), { mode: 0o644 });
    },
    run(script) {
      const prelude = [
        'set -u; exec 2>&1',
        `T=${dir}; cd "$T"`,
        'mkdir -p /run/lock && mount -t tmpfs -o mode=1777 tmpfs /run/lock',
        `as_user() { setpriv --reuid=${testUser.name} --regid=${testUser.name} --init-groups -- "$@"; }`,
      ].join('\n');
      const result = spawnSync('unshare', ['-m', '--propagation', 'private', 'bash', '-c', `${prelude}\n${script}`], { encoding: 'utf8', timeout: 60_000 });
      return { code: result.status, out: `${result.stdout}${result.stderr}` };
    },
  };
}

describe('the shared GPU lock folder, with another user on the machine', () => {
  it("follows none of the links another user planted, and root makes the folder the user made root's", ({ skip }) => {
    const why = unavailable();
    if (why) return skip(why);
    const s = scenario();
    s.lease('whole.sh', { keys: ['index-0'] }, 'echo ran-whole');
    s.lease('half.sh', { keys: ['index-0'], share: 500 }, 'echo ran-half');
    const { code, out } = s.run(
      [
        'mkdir -p "$T/victim-dir"',
        // The user comes first: its folder, its links under every name a lease has used or uses.
        "as_user sh -c 'd=/run/lock/hyperctl; mkdir -m 1777 $d && cd $d &&",
        '  ln -s "$0/victim-dir" gpu-index-0 && ln -s "$0/ledger-target" gpu-index-0.ledger &&',
        '  ln -s "$0/claim-target" claim.1000.index-0.AAAAAA && ln -s "$0/victim-dir" mark.index-0\' "$T"',
        'sh whole.sh; echo "exit $?"',
        'sh half.sh; echo "exit $?"',
        'echo "folder $(stat -c %u-%a /run/lock/hyperctl)"',
        'echo "victims $(ls -A "$T/victim-dir" | wc -l) $(ls "$T" | grep -c target)"',
      ].join('\n'),
    );
    expect(code, out).toBe(0);
    expect(out).toContain('ACQ\nran-whole\nexit 0');
    expect(out).toContain('ACQ\nran-half\nexit 0');
    expect(out).toContain('the GPU lock folder /run/lock/hyperctl was not root');
    expect(out).toContain('folder 0-1777');
    // Nothing made at a link's target, nothing written into a linked folder.
    expect(out).toContain('victims 0 0');
  });

  it('reads a share only from a claim name, as a plain number: nothing in a name or a file is run, under bash as /bin/sh', ({ skip }) => {
    const why = unavailable();
    if (why) return skip(why);
    const s = scenario();
    s.lease('half.sh', { keys: ['index-0'], share: 500 }, 'echo ran-half');
    s.lease('more.sh', { keys: ['index-0'], share: 600 }, 'echo ran-more');
    writeFileSync(join(s.dir, 'probe.sh'), gpuProbe(undefined), { mode: 0o644 });
    const hostile = [
      'claim.$(touch pwned-name).index-0.a1',
      'claim.500.index-0,$(touch pwned-key).a2',
      'claim.0500.index-0.a3',
      'claim.1e3.index-0.a4',
      'gpu-index-0.share.a5',
    ];
    writeFileSync(join(s.dir, 'names'), `${hostile.join('\n')}\n`);
    writeFileSync(join(s.dir, 'content'), `x[$(touch ${s.dir}/pwned-content)]\n`);
    const { code, out } = s.run(
      [
        'mount --bind /bin/bash /bin/sh',
        'mkdir -m 1777 /run/lock/hyperctl',
        // The user's claims, held as a job holds its own, holding shell code where a number would be.
        `as_user sh -c 'cd /run/lock/hyperctl && while IFS= read -r f; do cat "$0/content" > "$f"; flock -n "$f" sleep 30.17 & done < "$0/names"; wait' "$T" &`,
        'while IFS= read -r f; do until grep -q ":$(stat -c %i "/run/lock/hyperctl/$f" 2>/dev/null) " /proc/locks; do sleep 0.05; done; done < names',
        'sh half.sh; echo "exit $?"',
        'sh more.sh; echo "exit $?"',
        'sh probe.sh | grep "^lease,"',
        'echo "pwned $(ls "$T" | grep -c pwned)"',
        // Only this scenario's sleeps: other tests run jobs as the same user meanwhile.
        `pkill -u ${testUser.name} -xf 'sleep 30.17'; wait`,
      ].join('\n'),
    );
    expect(code, out).toBe(0);
    expect(out).toContain('pwned 0');
    // Only the well-formed share of the user's (500) counts: 500 + 500 fits, 500 + 600 does not.
    expect(out).toContain('ACQ\nran-half\nexit 0');
    expect(out).toContain(`exit ${leaseBusyStatus}`);
    expect(out).toMatch(/ignored \/run\/lock\/hyperctl\/claim\.\$\(touch pwned-name\)\.index-0\.a1 in the GPU lock folder: not a claim/);
    expect(parseGpus(out, [])).toEqual([{ index: 0, leases: [{ share: 500, holder: `x[$(touch ${s.dir}/pwned-content)]` }], foreign: [] }]);
  });

  it('moves a file at the folder path aside as root; another user takes its leases in a private folder and is told', ({ skip }) => {
    const why = unavailable();
    if (why) return skip(why);
    const s = scenario();
    s.lease('whole.sh', { keys: ['index-0'] }, 'echo ran-whole');
    const { code, out } = s.run(
      [
        'as_user sh -c "echo x > /run/lock/hyperctl"',
        'sh whole.sh; echo "exit $?"',
        'echo "folder $(stat -c %u-%a-%F /run/lock/hyperctl)"',
        'rm -rf /run/lock/hyperctl; echo x > /run/lock/hyperctl',
        'as_user sh whole.sh; echo "exit $?"',
        'echo "private $(stat -c %U-%a /run/lock/hyperctl.uid-*)"',
        // A folder others may write in without the sticky bit is no shared folder either.
        'rm -f /run/lock/hyperctl; mkdir -m 777 /run/lock/hyperctl; chmod 777 /run/lock/hyperctl',
        'as_user sh whole.sh; echo "exit $?"',
      ].join('\n'),
    );
    expect(code, out).toBe(0);
    expect(out).toMatch(/\/run\/lock\/hyperctl was not a folder root can trust: moved aside to \/run\/lock\/hyperctl\.untrusted\.\w+\nACQ\nran-whole\nexit 0/);
    expect(out).toContain('folder 0-1777-directory');
    expect(
      out.match(
        /warning: the GPU lock folder \/run\/lock\/hyperctl is not a folder owned by root or you with the sticky bit: this job's GPU lease is taken in \/run\/lock\/hyperctl\.uid-\d+, which other users' runs do not see/g,
      ),
    ).toHaveLength(2);
    expect(out).toContain(`private ${testUser.name}-700`);
    expect(out.match(/ACQ\nran-whole\nexit 0/g)).toHaveLength(3);
  });
});
