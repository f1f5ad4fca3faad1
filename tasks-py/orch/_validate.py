"""Cheap client-side checks, so a mistake raises in the task, at the call that
made it, instead of failing the task later with a protocol error.

The orchestrator validates every message again (and checks what the SDK
cannot: unknown nodes, cycles, promises); these checks only catch what can be
seen from the arguments alone.
"""

from __future__ import annotations

import math
import re
from typing import Any, Iterable, Mapping, Sequence, cast

__all__ = [
    "LOG_LEVELS",
    "NODE_ID_PATTERN",
    "check_node_id",
    "check_script",
    "check_task_kind",
    "check_args",
    "check_json_object",
    "check_promises",
    "check_scope",
    "check_level",
    "ATTR_KEYS",
    "ATTR_STYLES",
    "check_attrs",
    "check_bindings",
]

#: Node ids: 1-128 letters, digits and ``._:-``.
NODE_ID_PATTERN = re.compile(r"[A-Za-z0-9._:-]{1,128}")

#: The levels a ``log`` message may carry.
LOG_LEVELS = ("debug", "info", "warning", "error")

_SCOPE_KEYWORDS = ("*", "$self")


def _type_name(value: object) -> str:
    return type(value).__name__


def check_node_id(value: object, what: str = "node id") -> str:
    """Return ``value`` if it is a valid node id, else raise."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str, got {_type_name(value)}: {value!r}")
    if NODE_ID_PATTERN.fullmatch(value) is None:
        raise ValueError(
            f"{what} {value!r} is not a valid node id: "
            "expected 1-128 characters of letters, digits and ._:-"
        )
    return value


def check_script(value: object, what: str = "run") -> str:
    """``run``: a non-empty script path (relative to the workflow file)."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str (a Python script path), got {_type_name(value)}: {value!r}")
    if not value.strip():
        raise ValueError(f"{what} must be a non-empty Python script path")
    return value


def check_task_kind(run: object, call: object, uses: object, what: str = "add_node") -> dict[str, str]:
    """Exactly one of ``run`` (a script), ``call`` (``"module:function"``) or ``uses`` (a task type)."""
    given = {key: value for key, value in (("run", run), ("call", call), ("uses", uses)) if value is not None}
    if len(given) != 1:
        named = ", ".join(given) or "none"
        raise TypeError(f"{what}: give exactly one of run (a script), call (module:function) or uses (a task type); got {named}")
    (key, value), = given.items()
    if key == "run":
        return {"run": check_script(value, f"{what}: run")}
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"{what}: {key} must be a non-empty str, got {_type_name(value)}: {value!r}")
    if key == "call" and re.fullmatch(r"[\w.]+:[\w.]+", value) is None:
        raise ValueError(f"{what}: call {value!r} is not 'module:function' (for example 'etl.steps:fetch')")
    return {key: value}


def check_args(value: object, what: str = "args") -> list[str]:
    """``args``: a list (or tuple) of strings; ``None`` means no arguments."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list of str, got {_type_name(value)}: {value!r}")
    out: list[str] = []
    for i, item in enumerate(cast("Sequence[object]", value)):
        if not isinstance(item, str):
            raise TypeError(f"{what}[{i}] must be a str, got {_type_name(item)}: {item!r}")
        out.append(item)
    return out


def _to_json(value: object, path: str, active: set[int]) -> Any:
    """A plain-JSON copy of ``value`` (dict/list/str/int/float/bool/None), or raise."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{path} is {value!r}, which JSON cannot represent")
        return value
    if isinstance(value, Mapping):
        mapping = cast("Mapping[object, object]", value)
        if id(mapping) in active:
            raise ValueError(f"{path} contains itself (circular reference)")
        active.add(id(mapping))
        try:
            obj: dict[str, Any] = {}
            for key, item in mapping.items():
                if not isinstance(key, str):
                    raise TypeError(
                        f"{path} has a key {key!r} of type {_type_name(key)}: JSON object keys must be str"
                    )
                obj[key] = _to_json(item, f"{path}[{key!r}]", active)
            return obj
        finally:
            active.discard(id(mapping))
    if isinstance(value, (list, tuple)):
        items = cast("Sequence[object]", value)
        if id(items) in active:
            raise ValueError(f"{path} contains itself (circular reference)")
        active.add(id(items))
        try:
            return [_to_json(item, f"{path}[{i}]", active) for i, item in enumerate(items)]
        finally:
            active.discard(id(items))
    raise TypeError(f"{path} is a {_type_name(value)} ({value!r}), which is not JSON-serializable")


def check_json_object(value: object, what: str) -> dict[str, Any]:
    """A JSON object with str keys; ``None`` means ``{}``. Returns a plain copy."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"{what} must be a dict, got {_type_name(value)}: {value!r}")
    result = _to_json(cast("Mapping[object, object]", value), what, set())
    assert isinstance(result, dict)
    return cast("dict[str, Any]", result)


def check_scope(value: object, what: str = "scope") -> str:
    """A promise scope: ``"*"``, ``"$self"`` or a node id."""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be a str ('*', '$self' or a node id), got {_type_name(value)}: {value!r}")
    if value in _SCOPE_KEYWORDS:
        return value
    if NODE_ID_PATTERN.fullmatch(value) is None:
        raise ValueError(f"{what} {value!r} is not '*', '$self' or a valid node id")
    return value


def check_promises(value: object, what: str = "promises") -> list[dict[str, Any]]:
    """``promises`` of ``add_node``: a list of promise objects (rules are checked by orch)."""
    if value is None:
        return []
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{what} must be a list of dicts, got {_type_name(value)}: {value!r}")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(cast("Sequence[object]", value)):
        if not isinstance(item, Mapping):
            raise TypeError(f"{what}[{i}] must be a dict (a promise), got {_type_name(item)}: {item!r}")
        promise = check_json_object(cast("Mapping[object, object]", item), f"{what}[{i}]")
        if "scope" in promise:
            check_scope(promise["scope"], f"{what}[{i}]['scope']")
        if "type" in promise:
            raise ValueError(f"{what}[{i}] must not have a 'type' key: it is a promise, not a message")
        out.append(promise)
    return out


def check_level(value: object) -> str:
    """A log level: one of :data:`LOG_LEVELS`."""
    if not isinstance(value, str):
        raise TypeError(f"level must be a str, got {_type_name(value)}: {value!r}")
    if value not in LOG_LEVELS:
        raise ValueError(f"level {value!r} is not one of {', '.join(LOG_LEVELS)}")
    return value


def check_rule_keys(keys: Iterable[str], reserved: Iterable[str], what: str) -> None:
    """Reject keyword arguments that would clobber a message's own fields."""
    bad = sorted(set(keys) & set(reserved))
    if bad:
        raise ValueError(f"{what} cannot take {', '.join(repr(k) for k in bad)} as a rule")


#: The cosmetic attributes a node or an edge may carry, and nothing else.
ATTR_KEYS = ("label", "tooltip", "color", "fillcolor", "fontcolor", "penwidth", "style")
#: The values of ``style``.
ATTR_STYLES = ("solid", "dashed", "dotted", "bold")
#: A node's ``trigger``: which outcomes of its predecessors let it run.
TRIGGERS = ("all_succeeded", "all_done", "any_failed", "all_failed")
#: ``label`` and ``tooltip``: plain text, nothing that could start markup or end a string.
PLAIN_TEXT_PATTERN = re.compile(r'[^\x00-\x1f\x7f-\x9f<>"\\&]*')
#: Colours: a name (``red``, ``lightblue2``) or ``#rrggbb``/``#rrggbbaa``.
COLOR_PATTERN = re.compile(r"[A-Za-z][A-Za-z0-9]{0,31}|#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?")
#: The longest ``label`` or ``tooltip``.
MAX_TEXT = 500
#: The largest ``penwidth``.
MAX_PENWIDTH = 20


def _check_attr(key: str, value: object, what: str) -> object:
    if key in ("label", "tooltip"):
        if not isinstance(value, str):
            raise TypeError(f"{what}[{key!r}] must be a str, got {_type_name(value)}: {value!r}")
        if len(value) > MAX_TEXT or PLAIN_TEXT_PATTERN.fullmatch(value) is None:
            raise ValueError(
                f"{what}[{key!r}] {value!r}: expected plain text of at most {MAX_TEXT} characters "
                'without control characters, <, >, ", \\ or &'
            )
    elif key in ("color", "fillcolor", "fontcolor"):
        if not isinstance(value, str) or COLOR_PATTERN.fullmatch(value) is None:
            raise ValueError(f"{what}[{key!r}] {value!r}: expected a colour name (red, lightblue2) or #rrggbb")
    elif key == "penwidth":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= MAX_PENWIDTH:
            raise ValueError(f"{what}['penwidth'] {value!r}: expected a number > 0 and <= {MAX_PENWIDTH}")
    elif value not in ATTR_STYLES:
        raise ValueError(f"{what}['style'] {value!r}: expected one of {', '.join(ATTR_STYLES)}")
    return value


def check_attrs(value: object, what: str = "attrs") -> dict[str, Any]:
    """Cosmetic attributes: only :data:`ATTR_KEYS`, each value of its kind."""
    attrs = check_json_object(value, what)
    for key, item in attrs.items():
        if key not in ATTR_KEYS:
            raise ValueError(f"{what} has unknown key {key!r}: expected one of {', '.join(ATTR_KEYS)}")
        _check_attr(key, item, what)
    return attrs


#: What a binding may say beside its source.
_BINDING_EXTRAS = ("schema", "default")
#: A binding's source: exactly one of these shapes.
_BINDING_SOURCES = (("node",), ("node", "output"), ("param",), ("value",))


def check_bindings(value: object, what: str = "inputs") -> dict[str, Any]:
    """``inputs`` of ``add_node``: each binding one of the five forms, plus ``schema``/``default``."""
    bindings = check_json_object(value, what)
    for name, binding in bindings.items():
        if not isinstance(binding, dict):
            raise TypeError(f"{what}[{name!r}] must be a dict (a binding), got {_type_name(binding)}")
        source = tuple(k for k in ("node", "output", "param", "value") if k in binding)
        extra = sorted(set(cast("dict[str, Any]", binding)) - set(source) - set(_BINDING_EXTRAS))
        if source not in _BINDING_SOURCES or extra:
            raise ValueError(
                f"{what}[{name!r}] {binding!r}: expected one of {{'node', 'output'}}, {{'node'}}, "
                "{'param'}, {'value'}, each with optional 'schema' and 'default'"
            )
    return bindings
