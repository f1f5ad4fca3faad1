"""``python -m orch.call module:function``: run a node that calls a function.

Its parameters are bound by name from the node's inputs, then its params; its
return value becomes output ``result`` (or the keys of an :class:`orch.Outputs`).
"""

from __future__ import annotations

import os
import sys

from . import task
from ._authoring import bind_arguments, outputs_of
from ._steps import import_from, resolve_function


def main(target: str) -> None:
    import_from(os.getcwd())
    fn = resolve_function(target)
    returned = fn(**bind_arguments(fn, task.inputs, task.params))
    task.output(outputs_of(returned))


main(sys.argv[1])
