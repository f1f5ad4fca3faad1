"""orch: the Python SDK for tasks run by the orch workflow orchestrator.

A task is a Python script that orch runs as a subprocess::

    from orch import task                 # reads the start message on first use

    task.node_id, task.run_id, task.attempt, task.params
    task.add_node("M-1", run="m.py", args=[], params={"i": 1}, promises=[])
    task.add_edge("A", "M-1")
    task.promise(scope="$self", nodes={"ids": ["M-*"]})
    task.output(answer=42)                # or task.output({"answer": 42})
    task.log("fetched 3 pages", level="info")

``task`` is also the ``@task`` decorator, and ``@workflow`` builds a workflow from
calls of ``@task`` functions; ``orch.call``, ``orch.plugin``, ``orch.build`` and
``orch.discover`` are the steps orch runs for function nodes, plugin nodes,
Python workflows and plugin discovery (see the README's "Writing tasks").

Protocol messages are written to the task's original stdout, one compact JSON
object per line, written within 5 ms (a burst shares its writes) and at exit;
call ``orch.flush()`` before ``os._exit()``. Importing this package diverts fd 1 (and so
``print()``, ``sys.stdout`` and the stdout of child processes) to stderr, which
orch keeps as the task's log: nothing but protocol messages can reach the
protocol stream. See :class:`orch.Task` for running a task by hand.

Standard library only; Python 3.11+.
"""

from __future__ import annotations

from . import _channel
from ._authoring import MissingArgumentError, Outputs, Ref, workflow
from ._channel import ChannelError, flush
from ._task import StartMessageError, Task
from ._validate import LOG_LEVELS, NODE_ID_PATTERN

__all__ = [
    "task",
    "workflow",
    "Outputs",
    "Ref",
    "MissingArgumentError",
    "Task",
    "StartMessageError",
    "ChannelError",
    "flush",
    "LOG_LEVELS",
    "NODE_ID_PATTERN",
]

__version__ = "0.1.0"

for _public in (Task, StartMessageError, ChannelError, Outputs, Ref, MissingArgumentError):
    _public.__module__ = __name__  # tracebacks say orch.StartMessageError, not orch._task...

del _public

_channel.install()

#: The running task (a lazy singleton: nothing is read until first use).
task: Task = Task()
