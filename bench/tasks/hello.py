"""bench: a trivial task that writes one protocol message (its output) and exits."""

from orch import task

task.output(node=task.node_id)
