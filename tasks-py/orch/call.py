"""``python -m orch.call module:function``: run a node that calls a function.

Its parameters are bound by name from the node's inputs, then its params; its
return value becomes output ``result`` (or the keys of an :class:`orch.Outputs`).
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any, Callable

from . import task
from ._authoring import TaskFunction, bind_arguments, outputs_of
from ._steps import import_from


def resolve(target: str) -> Callable[..., Any]:
    module_name, _, qualname = target.partition(":")
    found: Any = importlib.import_module(module_name)
    for part in qualname.split("."):
        found = getattr(found, part)
    if isinstance(found, TaskFunction):
        return found.fn
    if not callable(found):
        raise TypeError(f"{target} is not a function")
    return found


def main(target: str) -> None:
    import_from(os.getcwd())
    fn = resolve(target)
    returned = fn(**bind_arguments(fn, task.inputs, task.params))
    task.output(outputs_of(returned))


main(sys.argv[1])
