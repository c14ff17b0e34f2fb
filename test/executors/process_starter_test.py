"""The process starter (src/executors/process_starter.py) tested as the program it is: started as
the runner starts it, spoken to through its protocol on stdin and stdout."""
import json
import os
import py_compile
import subprocess
import sys
import tempfile
import time
import unittest

PROGRAM = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'executors', 'process_starter.py')


class ProcessStarterTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.TemporaryDirectory()
        with open(PROGRAM) as source:
            text = source.read()
        # As the runner starts it: isolated, without site packages, its text on the command line.
        self.starter = subprocess.Popen([sys.executable, '-I', '-S', '-X', 'utf8', '-c', text], stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        self.send({'PATH': os.environ.get('PATH', '/usr/bin:/bin')})
        self.assertEqual(self.answer(), ['ready'])

    def tearDown(self):
        self.starter.stdin.close()
        self.assertEqual(self.starter.wait(timeout=10), 0)
        self.starter.stdout.close()
        self.dir.cleanup()

    def send(self, message):
        self.starter.stdin.write(json.dumps(message).encode() + b'\n')
        self.starter.stdin.flush()

    def job(self, id, command, **fields):
        request = {'id': id, 'command': command, 'cwd': self.dir.name, 'env': {},
                   'stdout': os.path.join(self.dir.name, 'out%d' % id), 'stderr': os.path.join(self.dir.name, 'err%d' % id),
                   'late': time.time() * 1000 + 60000}
        request.update(fields)
        self.send(request)

    def answer(self):
        return json.loads(self.starter.stdout.readline())

    def test_is_valid_python(self):
        # Compiled where it leaves nothing behind in the source tree.
        py_compile.compile(PROGRAM, cfile=os.path.join(self.dir.name, 'starter.pyc'), doraise=True)

    def test_starts_a_job_in_a_session_of_its_own_and_reports_its_exit_code(self):
        # The session is the sixth field of /proc/PID/stat (the command name, sh, has no space).
        self.job(1, 'echo "$GREETING"; read -r stat < /proc/$$/stat; set -- $stat; echo "$6"; exit 3', env={'GREETING': 'hello'})
        kind, key, pid, ticks = self.answer()
        self.assertEqual((kind, key), ('started', 1))
        self.assertEqual(self.answer(), ['ended', 1, 3, None])
        with open(os.path.join(self.dir.name, 'out1')) as out:
            greeting, session = out.read().split()
        self.assertEqual(greeting, 'hello')
        # The job leads a session of its own: a kill of its group reaches all it starts.
        self.assertEqual(int(session), pid)
        self.assertTrue(ticks is None or (isinstance(ticks, int) and ticks > 0))

    def test_reports_a_job_ended_by_a_signal(self):
        self.job(2, 'kill -s TERM $$')
        self.assertEqual(self.answer()[:2], ['started', 2])
        self.assertEqual(self.answer(), ['ended', 2, None, 15])

    def test_says_why_a_job_could_not_start(self):
        self.job(3, 'true', cwd='/nonexistent/folder')
        self.assertEqual(self.answer(), ['failed', 3, 'working directory /nonexistent/folder: No such file or directory'])

    def test_does_not_start_a_request_that_came_too_late(self):
        self.job(4, 'touch started', late=time.time() * 1000 - 1)
        self.assertEqual(self.answer(), ['late', 4])
        self.assertFalse(os.path.exists(os.path.join(self.dir.name, 'started')))

    def test_answers_a_ping(self):
        self.send({'ping': 1})
        self.assertEqual(self.answer(), ['pong'])


if __name__ == '__main__':
    unittest.main()
