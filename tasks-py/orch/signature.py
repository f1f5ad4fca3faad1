"""``python -m orch.signature module:function...``: each function's type hints as
JSON Schemas, as one JSON line ``{"module:function": {"inputs": {...}, "output":
SCHEMA | null} | {"error": "..."}}``. Run in the workflow file's folder."""

from __future__ import annotations

import os
import sys
import traceback
from typing import Any

from ._schemas import signature_schemas
from ._steps import emit, import_from, resolve_function


def describe(target: str) -> dict[str, Any]:
    try:
        inputs, output = signature_schemas(resolve_function(target))
    except BaseException:  # noqa: BLE001 - reported against the node, not raised
        return {"error": traceback.format_exc()}
    return {"inputs": inputs, "output": output}


import_from(os.getcwd())
emit({target: describe(target) for target in sys.argv[1:]})
