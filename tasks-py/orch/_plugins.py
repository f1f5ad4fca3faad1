"""Plugin task types: discovery of plugin folders, the registry, and the
decorators for class-based plugins with engines.

A plugin is a module that defines ``TASK_TYPE`` and ``run(task)`` (optionally
``DESCRIPTION``, ``VERSION``, ``REQUIRED_FIELDS``, ``PARAM_SCHEMA``), or a class
registered with :func:`Task`; subclasses registered with :func:`Engine` are its
variants, picked by the node's ``params.engine``.
"""

from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from typing import Any, Callable

__all__ = ["Task", "Engine", "PluginType", "Catalog", "discover", "BUILTIN_FOLDER"]

#: orch's built-in plugins.
BUILTIN_FOLDER = Path(__file__).resolve().parent / "plugins"


class PluginType:
    """One task type: its metadata, its ``run``, and its engines."""

    def __init__(
        self,
        name: str,
        run: Callable[[dict[str, Any]], Any] | None,
        source: str,
        description: str = "",
        version: str = "",
        required_fields: list[str] | None = None,
        param_schema: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.run = run
        self.source = source
        self.description = description
        self.version = version
        self.required_fields = list(required_fields or [])
        self.param_schema = param_schema
        self.engines: dict[str, Callable[[dict[str, Any]], Any]] = {}

    def runner(self, engine: str | None) -> Callable[[dict[str, Any]], Any]:
        """The ``run`` for ``engine`` (or the type's own ``run`` when none is asked for)."""
        if engine is None and self.run is not None:
            return self.run
        if engine is not None and engine in self.engines:
            return self.engines[engine]
        known = ", ".join(sorted(self.engines)) or "none"
        if engine is None:
            raise LookupError(f"task type {self.name!r} needs params.engine, one of: {known}")
        raise LookupError(f"task type {self.name!r} has no engine {engine!r}; known engines: {known}")

    def describe(self) -> dict[str, Any]:
        return {
            "type": self.name,
            "description": self.description,
            "version": self.version,
            "required_fields": self.required_fields,
            "param_schema": self.param_schema,
            "engines": sorted(self.engines),
            "source": self.source,
        }


class Catalog:
    """Every task type found, and every plugin file that failed to import."""

    def __init__(self) -> None:
        self.types: dict[str, PluginType] = {}
        self.errors: list[dict[str, str]] = []

    def add(self, plugin: PluginType) -> None:
        existing = self.types.get(plugin.name)
        if existing is not None and existing.source != plugin.source:
            self.errors.append(
                {"file": plugin.source, "error": f"task type {plugin.name!r} is already defined in {existing.source}"}
            )
            return
        self.types[plugin.name] = plugin


#: Classes registered by the decorators while a plugin module is imported.
_registered: list[PluginType] = []


def _class_runner(cls: type) -> Callable[[dict[str, Any]], Any]:
    def run(task: dict[str, Any]) -> Any:
        return cls().run(task)

    return run


def Task(name: str) -> Callable[[type], type]:  # noqa: N802 - seed 002's spelling
    """Register a class as task type ``name``: its ``run(self, task)`` runs the node.

    Class attributes ``DESCRIPTION``, ``VERSION``, ``REQUIRED_FIELDS`` and
    ``PARAM_SCHEMA`` are its metadata. A class without a ``run`` of its own has
    engines only (see :func:`Engine`).
    """

    def register(cls: type) -> type:
        has_run = "run" in vars(cls)
        plugin = PluginType(
            name,
            _class_runner(cls) if has_run else None,
            _source_of(cls),
            getattr(cls, "DESCRIPTION", "") or (cls.__doc__ or "").strip(),
            str(getattr(cls, "VERSION", "")),
            list(getattr(cls, "REQUIRED_FIELDS", [])),
            getattr(cls, "PARAM_SCHEMA", None),
        )
        cls.__orch_plugin__ = plugin  # type: ignore[attr-defined]
        _registered.append(plugin)
        return cls

    return register


def Engine(name: str) -> Callable[[type], type]:  # noqa: N802 - seed 002's spelling
    """Register a subclass of a :func:`Task` class as that type's variant for engine ``name``."""

    def register(cls: type) -> type:
        plugin: PluginType | None = getattr(cls, "__orch_plugin__", None)
        if plugin is None:
            raise TypeError(f"@Engine({name!r}) on {cls.__name__}: it must subclass a class decorated with @Task(...)")
        plugin.engines[name] = _class_runner(cls)
        return cls

    return register


def _source_of(cls: type) -> str:
    module = sys.modules.get(cls.__module__)
    return str(getattr(module, "__file__", cls.__module__))


def _load_module(path: Path, catalog: Catalog) -> None:
    module_name = f"orch_plugin_{abs(hash(str(path)))}_{path.stem}"
    _registered.clear()
    try:
        spec = importlib.util.spec_from_file_location(module_name, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    except BaseException:  # noqa: BLE001 - a plugin's SystemExit is an import failure too
        catalog.errors.append({"file": str(path), "error": traceback.format_exc()})
        _registered.clear()
        return
    name = getattr(module, "TASK_TYPE", None)
    run = getattr(module, "run", None)
    if isinstance(name, str) and callable(run):
        catalog.add(
            PluginType(
                name,
                run,
                str(path),
                str(getattr(module, "DESCRIPTION", "")),
                str(getattr(module, "VERSION", "")),
                list(getattr(module, "REQUIRED_FIELDS", [])),
                getattr(module, "PARAM_SCHEMA", None),
            )
        )
    elif isinstance(name, str):
        catalog.errors.append({"file": str(path), "error": f"TASK_TYPE {name!r} is defined but there is no run(task) function"})
    for plugin in _registered:
        catalog.add(plugin)
    _registered.clear()


def discover(folders: list[str]) -> Catalog:
    """Import every module of orch's built-in plugins and of ``folders`` (in that order)."""
    catalog = Catalog()
    for folder in [BUILTIN_FOLDER, *(Path(f) for f in folders)]:
        if not folder.is_dir():
            catalog.errors.append({"file": str(folder), "error": "plugin folder not found"})
            continue
        for path in sorted(folder.glob("*.py")):
            if not path.name.startswith("_"):
                _load_module(path.resolve(), catalog)
    return catalog
