"""orch's task spawner: starts task processes for the orchestrator and relays their stdout.

Node 20 starts a child process by forking the whole orchestrator (libuv uses fork on
Linux), and a fork costs more the larger the parent is: ~1 ms more per task than this
small process takes with posix_spawn (bench/README.md). orch starts one spawner per run,
with the tasks' own interpreter, and asks it to start each task.

Standard library only, like the SDK. Run as `python -I -S spawner.py`.

orch -> spawner, on stdin, one JSON object per line:
    {"op": "spawn", "id": N, "argv": [...], "cwd": DIR, "env": {...}, "stdin": TEXT, "stderr": PATH}
    {"op": "close", "id": N}        stop reading task N's stdout (a leftover process holds it)

spawner -> orch, on stdout, one JSON header per line, "out" followed by SIZE raw bytes:
    {"event": "started", "id": N, "pid": PID}   in a new session (its own process group)
    {"event": "failed", "id": N, "error": TEXT} could not be started; nothing more comes for N
    {"event": "out", "id": N, "size": SIZE}     bytes the task wrote to its stdout
    {"event": "eof", "id": N}                   its stdout is closed, by every process holding it
    {"event": "exited", "id": N, "code": CODE, "signal": NAME}   CODE or NAME is null

When a task exits, whatever is left of its process group is killed, and what its stdout
pipe holds is relayed, before orch hears of the exit: later output is another process's.
Every process of its session that outlived it is killed too: the spawner is a child
subreaper, so those processes are its children once the task has exited. When stdin closes, whether orch ended or died, every task still running is
killed with its process group, so a task never outlives the orchestrator reading it.
"""

import errno
import json
import os
import selectors
import signal
import sys

READ_SIZE = 65536


def main():
    if sys.version_info < (3, 8):
        sys.exit("orch runs tasks with Python 3.8 or later; this is %s" % sys.version.split()[0])
    spawner = Spawner()
    try:
        spawner.serve()
    finally:
        spawner.kill_all()


class Task:
    def __init__(self, task_id, pid, stdout_fd, stdin_fd, stdin_bytes):
        self.id = task_id
        self.pid = pid
        self.stdout_fd = stdout_fd
        self.stdin_fd = stdin_fd
        self.stdin_bytes = stdin_bytes
        self.exited = False


class Spawner:
    def __init__(self, out_fd=1):
        # Where frames go: stdout, unless a subclass keeps fd 1 for something else.
        self.out_fd = out_fd
        # A terminal's Ctrl-C is orch's to handle: it stops the tasks itself.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        # Dispositions a task must not inherit: ignored signals survive exec.
        self.ignored = [
            s for s in signal.valid_signals()
            if s not in (signal.SIGKILL, signal.SIGSTOP) and signal.getsignal(s) == signal.SIG_IGN
        ]
        become_subreaper()
        self.selector = selectors.DefaultSelector()
        self.tasks = {}
        self.by_pid = {}
        # The pieces of the request line not ended yet: joined once its newline
        # arrives, so a request of any size (a node's params) costs its size.
        self.requests = []
        self.output = bytearray()
        self.wake_read, wake_write = os.pipe()
        os.set_blocking(self.wake_read, False)
        os.set_blocking(wake_write, False)
        signal.set_wakeup_fd(wake_write)
        signal.signal(signal.SIGCHLD, lambda _signum, _frame: None)
        os.set_blocking(0, False)
        os.set_blocking(out_fd, True)
        self.selector.register(0, selectors.EVENT_READ, self.read_requests)
        self.selector.register(self.wake_read, selectors.EVENT_READ, self.reap)

    def serve(self):
        # Frames are written once nothing more is ready: a task's exit follows the
        # end of its stdout by microseconds, and one write of both wakes orch once.
        timeout = None
        while True:
            ready = self.selector.select(timeout)
            for key, _events in ready:
                if key.data(key.fd) is False:
                    return
            if ready and len(self.output) < READ_SIZE:
                timeout = 0
                continue
            self.flush()
            timeout = None

    def send(self, header, payload=b""):
        self.output += json.dumps(header, separators=(",", ":")).encode() + b"\n" + payload

    def flush(self):
        view = memoryview(self.output)
        while view:
            view = view[os.write(self.out_fd, view):]
        view.release()
        self.output.clear()

    def read_requests(self, fd):
        chunk = os.read(fd, READ_SIZE)
        if not chunk:
            return False
        if b"\n" not in chunk:
            self.requests.append(chunk)
            return True
        *lines, rest = chunk.split(b"\n")
        lines[0] = b"".join(self.requests + [lines[0]])
        self.requests = [rest] if rest else []
        for line in lines:
            request = json.loads(line)
            if request["op"] == "spawn":
                self.spawn(request)
            elif request["op"] == "close":
                task = self.tasks.get(request["id"])
                if task is not None and task.stdout_fd is not None:
                    self.close_stdout(task)
        return True

    def spawn(self, request):
        task_id = request["id"]
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        try:
            stderr = os.open(request["stderr"], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as error:
            close_all(stdin_read, stdin_write, stdout_read, stdout_write)
            self.send({"event": "failed", "id": task_id, "error": "cannot open %s: %s" % (request["stderr"], error.strerror)})
            return
        argv = request["argv"]
        try:
            pid = self.start(request, stdin_read, stdout_write, stderr)
        except OSError as error:
            close_all(stdin_read, stdin_write, stdout_read, stdout_write)
            code = errno.errorcode.get(error.errno, str(error.errno))
            self.send({"event": "failed", "id": task_id, "error": "spawn %s %s" % (argv[0], code)})
            return
        finally:
            os.close(stderr)
        close_all(stdin_read, stdout_write)
        os.set_blocking(stdin_write, False)
        os.set_blocking(stdout_read, False)
        task = Task(task_id, pid, stdout_read, stdin_write, memoryview(request["stdin"].encode()))
        self.tasks[task_id] = task
        self.by_pid[pid] = task
        self.send({"event": "started", "id": task_id, "pid": pid})
        self.selector.register(stdout_read, selectors.EVENT_READ, lambda fd: self.relay(task))
        self.feed_stdin(task)

    def start(self, request, stdin_read, stdout_write, stderr):
        """Start the process in a session of its own with these as its stdio; its pid."""
        argv = request["argv"]
        # posix_spawn has no working directory of its own; this process is
        # single-threaded and every path it is given is absolute.
        os.chdir(request["cwd"])
        return os.posix_spawnp(
            argv[0],
            argv,
            request["env"],
            file_actions=[
                (os.POSIX_SPAWN_DUP2, stdin_read, 0),
                (os.POSIX_SPAWN_DUP2, stdout_write, 1),
                (os.POSIX_SPAWN_DUP2, stderr, 2),
            ],
            setsid=True,
            setsigdef=self.ignored,
        )

    def feed_stdin(self, task, _fd=None):
        # A stale event: an earlier callback of the same select() closed the pipe.
        if task.stdin_fd is None:
            return
        try:
            # A memoryview: slicing it copies nothing, however large the start message.
            while task.stdin_bytes:
                task.stdin_bytes = task.stdin_bytes[os.write(task.stdin_fd, task.stdin_bytes):]
        except BlockingIOError:
            if _fd is None:
                self.selector.register(task.stdin_fd, selectors.EVENT_WRITE, lambda fd: self.feed_stdin(task, fd))
            return
        except OSError:
            # The task exited, or closed its stdin, without reading it all: not an error.
            pass
        if _fd is not None:
            self.selector.unregister(task.stdin_fd)
        os.close(task.stdin_fd)
        task.stdin_fd = None

    def relay(self, task):
        # A stale event: an earlier callback of the same select() (the task's exit
        # drained and closed its stdout, or orch closed it) left nothing to read.
        if task.stdout_fd is not None:
            self.relay_once(task)

    def relay_once(self, task):
        """Relay one read of the task's stdout; False once nothing more is there now."""
        try:
            data = os.read(task.stdout_fd, READ_SIZE)
        except BlockingIOError:
            return False
        if data:
            self.send({"event": "out", "id": task.id, "size": len(data)}, data)
            return True
        self.close_stdout(task)
        self.send({"event": "eof", "id": task.id})
        return False

    def drain(self, task):
        """Relay what the pipe holds now (at most its largest capacity, 1 MiB), so that
        what a task wrote before it exited comes before its exit, and what comes after
        is known to be another process's."""
        for _ in range(1 + (1 << 20) // READ_SIZE):
            if task.stdout_fd is None or not self.relay_once(task):
                return

    def close_stdout(self, task):
        self.selector.unregister(task.stdout_fd)
        os.close(task.stdout_fd)
        task.stdout_fd = None
        self.forget_if_done(task)

    def reap(self, fd):
        try:
            while os.read(fd, READ_SIZE):
                pass
        except BlockingIOError:
            pass
        # Orphans of tasks are the spawner's children too: reaped here, and ignored.
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            task = self.by_pid.pop(pid, None)
            if task is None:
                continue
            task.exited = True
            # Children it left in its group would hold its stdout open: they end with it.
            kill_group(pid)
            self.drain(task)
            # Processes that left its group but not its session end with it too.
            kill_session_orphans(pid, self.by_pid)
            if os.WIFSIGNALED(status):
                number = os.WTERMSIG(status)
                try:
                    name = signal.Signals(number).name
                except ValueError:
                    name = "SIG%d" % number
                self.send({"event": "exited", "id": task.id, "code": None, "signal": name})
            else:
                code = os.WEXITSTATUS(status)
                self.send({"event": "exited", "id": task.id, "code": code, "signal": None})
            if task.stdin_fd is not None:
                self.selector.unregister(task.stdin_fd)
                os.close(task.stdin_fd)
                task.stdin_fd = None
            self.forget_if_done(task)

    def forget_if_done(self, task):
        if task.exited and task.stdout_fd is None:
            self.tasks.pop(task.id, None)

    def kill_all(self):
        for pid in self.by_pid:
            kill_group(pid)


def close_all(*fds):
    for fd in fds:
        os.close(fd)


def become_subreaper():
    """Orphans of a task are reparented to the spawner, not to init: they can be found
    among its children (a cheap read, not a scan of every process)."""
    try:
        import ctypes
        PR_SET_CHILD_SUBREAPER = 36
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):
        pass  # Not Linux: only the task's process group is killed at its end.


def children(pid):
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(child) for child in f.read().split()]
    except (OSError, ValueError):
        return []


def session_of(pid):
    try:
        with open("/proc/%d/stat" % pid, "rb") as stat:
            return int(stat.read().rsplit(b")", 1)[1].split()[3])
    except (OSError, IndexError, ValueError):
        return None


def kill_session_orphans(sid, tasks):
    """SIGKILL what is left of session `sid` (an exited task's): its processes that are
    now the spawner's children, and their descendants in that session."""
    pending = [child for child in children(os.getpid()) if child not in tasks]
    while pending:
        pid = pending.pop()
        if session_of(pid) != sid:
            continue
        pending.extend(children(pid))
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass  # Gone meanwhile.


def kill_group(pid):
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass  # Already gone.


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:
        # orch is gone; its tasks were killed on the way out.
        sys.exit(0)
