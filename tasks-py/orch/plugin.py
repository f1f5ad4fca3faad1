"""``python -m orch.plugin TYPE [FOLDER...]``: run a node of a plugin task type.

``run(task)`` gets the node's params at the top level plus ``"id"`` and
``"inputs"``; returning False or raising fails the attempt; ``task["output"]``
becomes output ``result``; ``logging`` goes to the node's log.
"""

from __future__ import annotations

import logging
import sys

from . import task
from ._plugins import discover


def main(type_name: str, folders: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(levelname)s %(message)s", force=True)
    catalog = discover(folders)
    for error in catalog.errors:
        logging.warning("plugin %s: %s", error["file"], error["error"])
    plugin = catalog.types.get(type_name)
    if plugin is None:
        logging.error("unknown task type %r; known types: %s", type_name, ", ".join(sorted(catalog.types)))
        return 1
    engine = task.params.get("engine")
    try:
        run = plugin.runner(engine if isinstance(engine, str) else None)
    except LookupError as error:
        logging.error("%s", error)
        return 1
    node = {**task.params, "id": task.node_id, "inputs": task.inputs}
    if run(node) is False:
        logging.error("task type %r returned False", type_name)
        return 1
    if "output" in node:
        task.output(result=node["output"])
    return 0


sys.exit(main(sys.argv[1], sys.argv[2:]))
