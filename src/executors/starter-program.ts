import program from './process_starter.py?inline-text';

/**
 * The process starter: a small Python program (`process_starter.py`, beside this file; its
 * protocol is written at its top) that starts the jobs of a local run with `posix_spawn` and
 * reports their ends. It is a Python file of its own, checked and tested as Python; the build
 * inlines its text into the package, as the tests do.
 *
 * Why Python: Node starts a child by forking itself, and a fork copies the page tables of the
 * whole runner, which on virtual machines costs several milliseconds — more than the job `true`
 * itself. `posix_spawn` (a vfork underneath) copies nothing, and Python's standard library is the
 * one everywhere-present way to call it without a compiler: the run falls back to Node's own
 * spawn where no Python 3.8 or later is found.
 */
export const starterProgram: string = program;
