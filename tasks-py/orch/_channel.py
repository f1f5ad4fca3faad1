"""The protocol channel: a private copy of the task's original stdout.

The orchestrator reads the task's stdout as newline-delimited JSON messages
(docs/protocol.md). So that ``print()`` in a task, or anything a child process of the
task writes to fd 1, cannot corrupt that stream, :func:`install` runs once when
the SDK is imported and

1. duplicates fd 1 (the pipe to the orchestrator) to a private, non-inheritable
   file descriptor that only the SDK writes to;
2. points fd 1 at fd 2 (stderr), so every later write to fd 1 - by Python code,
   C extensions or child processes - lands in the task's log instead;
3. rebinds ``sys.stdout`` to a line-buffered text stream on the new fd 1.

Protocol messages are then written to the private descriptor under a lock,
whole lines only, so threads of one task may call the SDK concurrently. A burst
of messages shares its writes: a message waits at most ``FLUSH_DELAY`` seconds
for others to join it (a daemon thread writes them), 64 KiB are written at
once, and whatever is left is written when the interpreter exits or forks, or
when :func:`flush` is called. A task that ends with ``os._exit()`` must call
:func:`flush` first. One write per message made a task adding 100,000 nodes
spend more time waking the orchestrator than building its messages.
"""

from __future__ import annotations

import atexit
import io
import json
import os
import sys
import threading
import time
from typing import Any, Mapping

__all__ = ["install", "send", "flush", "encode", "protocol_fd", "ChannelError", "FLUSH_DELAY"]


class ChannelError(RuntimeError):
    """The protocol channel to the orchestrator is not available."""


#: Longest a message waits in the buffer for others to share its write, in seconds.
FLUSH_DELAY = 0.005
#: A buffer this large is written at once.
_FLUSH_BYTES = 64 * 1024

_lock = threading.Lock()
_buffer = bytearray()
_flush_due = threading.Condition(_lock)
_flusher: threading.Thread | None = None
_install_lock = threading.Lock()
_installed = False
_fd: int | None = None
_install_error: str | None = None


def install() -> None:
    """Divert fd 1 to stderr and keep a private descriptor for protocol messages.

    Idempotent. Never raises: if the descriptors cannot be set up (for example
    fd 1 is closed), the reason is remembered and reported by :func:`send`.
    """
    global _installed, _fd, _install_error
    with _install_lock:
        if _installed:
            return
        _installed = True
        try:
            fd = os.dup(1)
        except OSError as exc:
            _install_error = f"stdout (fd 1) is not open: {exc}"
            return
        os.set_inheritable(fd, False)
        try:
            os.dup2(2, 1)  # fd 1 now writes to stderr; dup2 leaves it inheritable
        except OSError as exc:
            # No usable stderr: keep fd 1 as it is, protocol still works, but
            # print() output would reach the protocol stream. Refuse instead.
            os.close(fd)
            _install_error = f"cannot redirect stdout to stderr (fd 2): {exc}"
            return
        _fd = fd
        _enlarge_pipe(fd)
        _rebind_sys_stdout()


#: Linux's fcntl command to resize a pipe (not exported by the fcntl module).
_F_SETPIPE_SZ = 1031
#: What an unprivileged process may ask for (/proc/sys/fs/pipe-max-size's default).
_PIPE_SIZE = 1 << 20


def _enlarge_pipe(fd: int) -> None:
    """Give the pipe to the orchestrator room for ~10,000 messages.

    A task adding many nodes writes faster than the orchestrator can check and
    store them in bursts; with the default 64 KiB the task would stall every
    time the orchestrator writes a batch to its database. Best effort: not a
    pipe, not Linux, or over the limit leaves it as it is.
    """
    try:
        import fcntl

        fcntl.fcntl(fd, _F_SETPIPE_SZ, _PIPE_SIZE)
    except (ImportError, OSError):
        pass


def _rebind_sys_stdout() -> None:
    """Point ``sys.stdout`` at the (redirected) fd 1 with line buffering.

    Text buffered before the SDK was imported is flushed *after* the redirect,
    so it goes to stderr as well. A ``sys.stdout`` that is not on fd 1 (some
    test harness captured it) is left alone.
    """
    old = sys.stdout
    if old is None:
        return
    try:
        old_fd = old.fileno()
    except (AttributeError, OSError, ValueError):
        return
    if old_fd != 1:
        return
    try:
        old.flush()
    except (OSError, ValueError):
        pass
    encoding = getattr(old, "encoding", None) or "utf-8"
    errors = getattr(old, "errors", None) or "backslashreplace"
    raw = io.FileIO(1, "w", closefd=False)
    sys.stdout = io.TextIOWrapper(
        io.BufferedWriter(raw),
        encoding=encoding,
        errors=errors,
        line_buffering=True,
    )


def protocol_fd() -> int | None:
    """The private descriptor protocol messages go to (``None`` if unavailable)."""
    return _fd


def encode(message: Mapping[str, Any]) -> bytes:
    """One message as a compact JSON line (ASCII-only, so it is valid UTF-8)."""
    text = json.dumps(message, separators=(",", ":"), ensure_ascii=True, allow_nan=False)
    return (text + "\n").encode("ascii")


def send(message: Mapping[str, Any]) -> None:
    """Queue one message for the orchestrator: written within ``FLUSH_DELAY`` seconds."""
    data = encode(message)
    with _lock:
        if _fd is None:
            raise ChannelError(
                "orch: cannot send a protocol message: "
                + (_install_error or "the protocol channel is not installed")
            )
        was_empty = not _buffer
        _buffer.extend(data)
        if len(_buffer) >= _FLUSH_BYTES:
            _write_buffer()
        elif was_empty:
            _start_flusher()
            _flush_due.notify()


def flush() -> None:
    """Write every queued message now."""
    with _lock:
        _write_buffer()


def _write_buffer() -> None:
    """Write the whole buffer to the orchestrator; the caller holds ``_lock``."""
    if _fd is None or not _buffer:
        return
    view = memoryview(_buffer)
    try:
        while view:
            written = os.write(_fd, view)
            view = view[written:]
    finally:
        view.release()
        _buffer.clear()


def _start_flusher() -> None:
    """Start the daemon thread that writes a message ``FLUSH_DELAY`` after it was queued."""
    global _flusher
    if _flusher is not None and _flusher.is_alive():
        return
    _flusher = threading.Thread(target=_flush_soon, name="orch-protocol-flusher", daemon=True)
    _flusher.start()


def _flush_soon() -> None:
    while True:
        with _lock:
            while not _buffer:
                _flush_due.wait()
        time.sleep(FLUSH_DELAY)
        try:
            flush()
        except OSError:
            return  # the orchestrator is gone; send() in the task reports it


def _forget_in_child() -> None:
    """A forked child starts with no queue and no flusher (the parent flushed before forking)."""
    global _flusher, _lock, _flush_due
    _lock = threading.Lock()
    _flush_due = threading.Condition(_lock)
    _buffer.clear()
    _flusher = None


def reinstall_in_child() -> None:
    """Start over on this process's own fd 1.

    For a task forked from orch's warm starter, which imported the SDK (and so set
    up the channel on the starter's stdout) before the task's stdio existed.
    """
    global _installed, _fd, _install_error
    if _fd is not None:
        try:
            os.close(_fd)
        except OSError:
            pass
    _installed = False
    _fd = None
    _install_error = None
    install()


atexit.register(flush)
os.register_at_fork(before=flush, after_in_child=_forget_in_child)
