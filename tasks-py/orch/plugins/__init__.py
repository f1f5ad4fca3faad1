"""orch's built-in task types (``api_call``, ``print``, ``command``), and the
decorators for class-based plugins: ``from orch.plugins import Task, Engine``."""

from .._plugins import Engine, Task

__all__ = ["Task", "Engine"]
