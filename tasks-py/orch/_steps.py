"""What orch's own Python steps share: where the workflow's modules are found,
and how a step hands its JSON result back on the original stdout."""

from __future__ import annotations

import importlib
import json
import os
import sys
from typing import Any, Callable

from . import _channel
from ._authoring import TaskFunction


def import_from(folder: str) -> None:
    """Let ``import pkg.module`` find modules of ``folder`` (the workflow's folder) first."""
    path = os.path.abspath(folder)
    if path not in sys.path:
        sys.path.insert(0, path)


def emit(result: Any) -> None:
    """Write ``result`` as one JSON line to the step's original stdout."""
    fd = _channel.protocol_fd()
    data = (json.dumps(result) + "\n").encode("utf-8")
    target = fd if fd is not None else 1
    while data:
        data = data[os.write(target, data) :]


def resolve_function(target: str) -> Callable[..., Any]:
    """The function ``"module:qualname"`` names (a ``@task`` function's own function)."""
    module_name, _, qualname = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if isinstance(found, TaskFunction):
        return found.fn
    if not callable(found):
        raise TypeError(f"{target} is not a function")
    return found
