"""``python -m orch.discover FOLDER...``: the task types of orch's built-ins and of
FOLDERs, as one JSON line ``{"types": [...], "errors": [{"file", "error"}]}``."""

import sys

from ._plugins import discover
from ._steps import emit

catalog = discover(sys.argv[1:])
emit({"types": [plugin.describe() for plugin in catalog.types.values()], "errors": catalog.errors})
