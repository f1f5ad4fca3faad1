"""``python -m orch.build FILE [NAME]``: the workflow a ``@workflow`` function of FILE
builds, as one JSON line (``{"workflow": {...}}``, or ``{"error": "..."}``)."""

from __future__ import annotations

import importlib
import os
import sys
import traceback
from typing import Any

from ._authoring import Workflow
from ._steps import emit, import_from


def build(file: str, name: str | None) -> dict[str, Any]:
    folder, base = os.path.split(os.path.abspath(file))
    import_from(folder)
    try:
        module = importlib.import_module(os.path.splitext(base)[0])
    except BaseException:  # noqa: BLE001 - whatever the file raises is reported, not thrown
        return {"error": f"importing {file} failed:\n{traceback.format_exc()}"}
    workflows = {w.name: w for w in vars(module).values() if isinstance(w, Workflow)}
    if not workflows:
        return {"error": f"{file} defines no @workflow function"}
    if name is None and len(workflows) > 1:
        return {"error": f"{file} defines several workflows ({', '.join(sorted(workflows))}); name one as {file}:NAME"}
    if name is not None and name not in workflows:
        return {"error": f"{file} has no workflow {name!r}; it has {', '.join(sorted(workflows))}"}
    chosen = workflows[name] if name is not None else next(iter(workflows.values()))
    try:
        return {"workflow": chosen.build()}
    except BaseException:  # noqa: BLE001
        return {"error": f"building workflow {chosen.name!r} of {file} failed:\n{traceback.format_exc()}"}


emit(build(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
