"""orch's warm starter: starts Python tasks by forking an interpreter that is already warm.

A task's cold start pays for the interpreter and its imports every time: tens of
milliseconds before the first line of the task runs. The warm starter imports the SDK
and the workflow's `preload` modules once, then starts each task by forking itself: the
child is a process of its own (own pid, its own session and process group, its own
stdio, environment, working directory and exit code) that runs the task's script or
module as `__main__`, exactly as `python SCRIPT ARGS` would, and nothing the task does
reaches the starter or the next task.

It speaks the spawner's protocol (see spawner.py) and reuses its relay of stdout, exits
and kills; only how a process starts differs. A request whose argv is not
`PYTHON SCRIPT ARGS…` or `PYTHON -m MODULE ARGS…` starts cold, as the spawner would.

Run as `python warm_starter.py [MODULE…]` (not isolated: the tasks see the same
`sys.path` a cold start would), with the workflow's folder as its working directory.
Standard library only.
"""

import atexit
import os
import runpy
import signal
import sys
import threading
import traceback

from spawner import Spawner

WARNING_THREADS = (
    b"[orch] warning: the preloaded modules left %d thread(s) running, and forking a process"
    b" with threads is unsafe: this task started cold\n"
)

#: Signals a fresh interpreter ignores (CPython sets these at start-up).
PYTHON_IGNORES = (signal.SIGPIPE, signal.SIGXFSZ)


def main():
    # Frames go to a private copy of stdout: importing the SDK points fd 1 at stderr.
    out_fd = os.dup(1)
    sys.path[0] = os.getcwd()
    for module in ["orch", *sys.argv[1:]]:
        try:
            __import__(module)
        except Exception as error:  # noqa: BLE001 - any failure of a preload is reported the same way
            sys.exit("cannot preload module %r: %s: %s" % (module, type(error).__name__, error))
    starter = WarmStarter(out_fd)
    try:
        starter.serve()
    finally:
        starter.kill_all()


class WarmStarter(Spawner):
    def __init__(self, out_fd):
        # Descriptors the preloaded modules hold stay open in a task, as in a cold start
        # that imported them; everything the starter opens to serve is closed.
        self.inherited_fds = open_fds() - {out_fd}
        super().__init__(out_fd)

    def start(self, request, stdin_read, stdout_write, stderr):
        target = warm_target(request["argv"])
        threads = threading.active_count()
        if target is None or threads > 1:
            if threads > 1:
                # Forking a process with threads can leave a lock held forever in the child.
                os.write(stderr, WARNING_THREADS % (threads - 1))
            return super().start(request, stdin_read, stdout_write, stderr)
        pid = os.fork()
        if pid == 0:
            try:
                self.become_task(request, stdin_read, stdout_write, stderr)
                code = run_as_main(*target, request["argv"][2 if target[0] == "path" else 3:])
            except BaseException:  # noqa: BLE001 - the task process must never return here
                traceback.print_exc()
                code = 1
            os._exit(code)
        return pid

    def become_task(self, request, stdin_read, stdout_write, stderr):
        os.setsid()
        os.dup2(stdin_read, 0)
        os.dup2(stdout_write, 1)
        os.dup2(stderr, 2)
        for fd in open_fds() - self.inherited_fds:
            if fd > 2:
                try:
                    os.close(fd)
                except OSError:
                    pass
        signal.set_wakeup_fd(-1)
        for number in signal.valid_signals():
            if number in (signal.SIGKILL, signal.SIGSTOP):
                continue
            try:
                signal.signal(number, signal.SIG_IGN if number in PYTHON_IGNORES else signal.SIG_DFL)
            except (OSError, ValueError):
                pass
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.pthread_sigmask(signal.SIG_SETMASK, [])
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        from orch import _channel

        _channel.reinstall_in_child()


def warm_target(argv):
    """("path", SCRIPT) or ("module", NAME) for a Python invocation that can start warm."""
    if len(argv) >= 2 and not argv[1].startswith("-"):
        return ("path", argv[1])
    if len(argv) >= 3 and argv[1] == "-m":
        return ("module", argv[2])
    return None


def run_as_main(kind, target, args):
    """Run the script or module as `__main__`; the exit code a cold interpreter would give."""
    if kind == "path":
        sys.argv = [target, *args]
        sys.path[0] = os.path.dirname(os.path.abspath(target))
    else:
        sys.argv = [target, *args]
        sys.path[0] = os.getcwd()
    code = 0
    try:
        if kind == "path":
            runpy.run_path(target, run_name="__main__")
        else:
            runpy.run_module(target, run_name="__main__", alter_sys=True)
    except SystemExit as exit_:
        code = exit_code(exit_.code)
    except KeyboardInterrupt:
        traceback.print_exc()
        finish()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
    except BaseException:  # noqa: BLE001 - reported as a cold interpreter would
        traceback.print_exc()
        code = 1
    finish()
    return code


def exit_code(code):
    if code is None:
        return 0
    if isinstance(code, int):
        return code & 0xFF
    print(code, file=sys.stderr)
    return 1


def finish():
    """What a cold interpreter does on its way out: wait for threads, run atexit, flush."""
    shutdown = getattr(threading, "_shutdown", None)
    if shutdown is not None:
        shutdown()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (AttributeError, OSError, ValueError):
            pass


def open_fds():
    return {int(name) for name in os.listdir("/proc/self/fd")}


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        sys.exit(0)
