"""Python type hints as JSON Schemas: a function's parameters become its node's
input schemas and its return hint the schema of its output ``result``."""

from __future__ import annotations

import types
import typing
from typing import Any, Callable

__all__ = ["schema_of", "signature_schemas"]

_SIMPLE: dict[object, dict[str, Any]] = {
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    list: {"type": "array"},
    tuple: {"type": "array"},
    dict: {"type": "object"},
}


def schema_of(hint: object) -> dict[str, Any]:
    """The JSON Schema a value of type ``hint`` satisfies; ``{}`` (anything) when unknown."""
    if hint is None:
        return {"type": "null"}
    simple = _SIMPLE.get(hint)
    if simple is not None:
        return dict(simple)
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (list, tuple, set, frozenset) and args:
        if origin is tuple and not (len(args) == 2 and args[1] is Ellipsis):
            return {"type": "array", "prefixItems": [schema_of(a) for a in args], "minItems": len(args), "maxItems": len(args)}
        return {"type": "array", "items": schema_of(args[0])}
    if origin is dict:
        value = args[1] if len(args) == 2 else Any
        return {"type": "object"} if value is Any else {"type": "object", "additionalProperties": schema_of(value)}
    if origin in (typing.Union, types.UnionType):
        return {"anyOf": [schema_of(a) for a in args]}
    if origin is typing.Literal:
        return {"enum": list(args)}
    return {}


def signature_schemas(fn: Callable[..., Any]) -> tuple[dict[str, dict[str, Any]], dict[str, Any] | None]:
    """``(input schemas by parameter, schema of the return value or None)`` from ``fn``'s hints.

    A return hint of :class:`orch.Outputs` (several named outputs) or no return
    hint gives ``None``: the outputs are not declared.
    """
    import inspect  # here, not at the top: every task imports the SDK

    try:
        hints = typing.get_type_hints(fn)
    except (NameError, TypeError):
        hints = {}
    inputs = {
        name: schema_of(hints[name])
        for name in inspect.signature(fn).parameters
        if name in hints
    }
    returned = hints.get("return", inspect.Signature.empty)
    from ._authoring import Outputs

    if returned is inspect.Signature.empty or (isinstance(returned, type) and issubclass(returned, Outputs)):
        return inputs, None
    return inputs, schema_of(returned)
