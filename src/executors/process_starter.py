# The process starter of hyperctl's local runs: starts jobs with posix_spawn and reports their ends.
# Run as `python3 -I -S -X utf8 -c <this file's text>` by src/executors/process-starter.ts.
#
# Protocol: JSON lines both ways. In: the base environment as an object first, then one request per
# job, {"id", "command", "cwd", "env", "stdout", "stderr", "late"}, or {"ping": 1}. Out: ["ready"]
# once; ["started", ID, PID, TICKS] when a job started (TICKS: its start time from /proc, null where
# unknown), ["failed", ID, MESSAGE] when it could not start, ["late", ID] when its request came after
# `late` (epoch milliseconds: the runner may have given up on it) and it was not started, ["ended",
# ID, CODE, SIGNAL] when it ended (null for the one that does not apply), ["pong"] for a ping. It
# ends when its input does, leaving running jobs to run, and before it would start a job once the
# runner that started it is gone. It does not start at all (exit 3) where it cannot start a job as
# it must (no posix_spawn with a session of its own): the run uses Node's spawn there.
import json, os, selectors, signal, sys, time
if sys.version_info < (3, 8):
    sys.exit(3)
# Terminal signals are for the runner, which ends this by closing its input once its jobs are done.
for number in (signal.SIGINT, signal.SIGHUP, signal.SIGTERM, signal.SIGQUIT):
    signal.signal(number, signal.SIG_IGN)
# What this process ignores would stay ignored in its jobs: each starts with every signal's default.
defaults = tuple(s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP))
try:
    probe = os.posix_spawn('/bin/sh', ['/bin/sh', '-c', ':'], dict(os.environ), setsid=True, setsigdef=defaults, setsigmask=(),
        file_actions=[(os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0)])
    os.waitpid(probe, 0)
except Exception:
    sys.exit(3)
wake_in, wake_out = os.pipe()
os.set_blocking(wake_in, False)
os.set_blocking(wake_out, False)
signal.set_wakeup_fd(wake_out)
signal.signal(signal.SIGCHLD, lambda *_: None)
out = sys.stdout.buffer
running = {}
# The runner that started this; once it is gone (this is handed to another parent), nothing starts.
runner = os.getppid()

def tell(*answer):
    out.write(json.dumps(answer).encode() + b'\n')

def start_ticks(pid):
    try:
        with open('/proc/%d/stat' % pid, 'rb') as stat:
            return int(stat.read().rsplit(b')', 1)[1].split()[19])
    except (OSError, IndexError, ValueError):
        return None

def start(base, request):
    # Requests still in the pipe when the runner died have no start record: run, they would run twice.
    if os.getppid() != runner:
        os._exit(0)
    key = int(request['id'])
    if time.time() * 1000 > request['late']:
        tell('late', key)
        return
    try:
        cwd = request['cwd']
        try:
            os.chdir(cwd)
        except OSError as error:
            raise OSError(error.errno, 'working directory %s: %s' % (cwd, error.strerror)) from None
        created = os.O_WRONLY | os.O_CREAT | os.O_TRUNC
        pid = os.posix_spawn('/bin/sh', ['/bin/sh', '-c', request['command']], {**base, **request['env']},
            setsid=True, setsigdef=defaults, setsigmask=(), file_actions=[
                (os.POSIX_SPAWN_OPEN, 0, '/dev/null', os.O_RDONLY, 0),
                (os.POSIX_SPAWN_OPEN, 1, request['stdout'], created, 0o666),
                (os.POSIX_SPAWN_OPEN, 2, request['stderr'], created, 0o666)])
    except Exception as error:
        message = error.strerror if isinstance(error, OSError) and error.strerror else str(error) or type(error).__name__
        tell('failed', key, message)
        return
    running[pid] = key
    tell('started', key, pid, start_ticks(pid))

def reap():
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        key = running.pop(pid, None)
        if key is None:
            continue
        if os.WIFSIGNALED(status):
            tell('ended', key, None, os.WTERMSIG(status))
        else:
            tell('ended', key, os.WEXITSTATUS(status), None)

def main():
    base = None
    pending = b''
    selector = selectors.DefaultSelector()
    selector.register(0, selectors.EVENT_READ, 'input')
    selector.register(wake_in, selectors.EVENT_READ, 'child')
    tell('ready')
    out.flush()
    while True:
        for key, _ in selector.select():
            if key.data == 'child':
                while True:
                    try:
                        if not os.read(wake_in, 4096):
                            break
                    except BlockingIOError:
                        break
                reap()
                continue
            chunk = os.read(0, 1 << 16)
            if not chunk:
                out.flush()
                return
            *lines, pending = (pending + chunk).split(b'\n')
            for line in lines:
                if base is None:
                    base = json.loads(line)
                    continue
                request = json.loads(line)
                if 'ping' in request:
                    tell('pong')
                else:
                    start(base, request)
        out.flush()

try:
    main()
except (BrokenPipeError, KeyboardInterrupt):
    pass
os._exit(0)
