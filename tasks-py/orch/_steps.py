"""What orch's own Python steps share: where the workflow's modules are found,
and how a step hands its JSON result back on the original stdout."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

from . import _channel


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
