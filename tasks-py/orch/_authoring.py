"""Functions as tasks: ``@task`` and ``@workflow``, references between calls, and
the binding of a function's parameters when its node runs.

While a ``@workflow`` function is being built, calling a ``@task`` function adds
a node that calls it and returns a :class:`Ref` to that node's output; passing a
``Ref`` to another call binds that input to it (which implies the edge).
Outside a build, a ``@task`` function is an ordinary function, and inside a
running task ``fn.add(...)`` adds a node that calls it.
"""

from __future__ import annotations

import functools
from typing import Any, Callable, Mapping

from ._schemas import signature_schemas
from ._validate import check_json_object, check_node_id

__all__ = [
    "Outputs",
    "Ref",
    "TaskFunction",
    "Workflow",
    "workflow",
    "call_target",
    "bind_arguments",
    "outputs_of",
    "MissingArgumentError",
    "active_build",
]

#: The node policy options ``@task(...)`` accepts, as in a workflow file.
TASK_OPTIONS = ("retries", "timeout", "retry_delay", "backoff", "retry_delay_max", "jitter")


class Outputs(dict[str, Any]):
    """Several named outputs: ``return Outputs(rows=rows, count=3)`` outputs ``rows`` and ``count``."""


class MissingArgumentError(TypeError):
    """A parameter of a called function has no input and no param of its name."""


class Ref:
    """The output of a node added while building a workflow: ``result``, or one key of it."""

    __slots__ = ("node", "output")

    def __init__(self, node: str, output: str | None = "result") -> None:
        self.node = node
        self.output = output

    def __getitem__(self, key: str) -> Ref:
        """The output ``key`` of the same node (for a function returning :class:`Outputs`)."""
        return Ref(self.node, key)

    def binding(self) -> dict[str, Any]:
        return {"node": self.node} if self.output is None else {"node": self.node, "output": self.output}

    def __repr__(self) -> str:
        return f"<orch.Ref {self.node}.{self.output}>"


def call_target(fn: Callable[..., Any]) -> str:
    """``"module:function"``: how a node names the function it calls."""
    return f"{fn.__module__}:{fn.__qualname__}"


class _Build:
    """The workflow being built by a ``@workflow`` function."""

    def __init__(self) -> None:
        self.nodes: list[dict[str, Any]] = []
        self.promises: list[dict[str, Any]] = []
        self._ids: set[str] = set()

    def fresh_id(self, base: str) -> str:
        candidate, n = base, 1
        while candidate in self._ids:
            n += 1
            candidate = f"{base}-{n}"
        self._ids.add(candidate)
        return candidate


_build: _Build | None = None


def active_build() -> _Build | None:
    """The workflow being built, or None outside a ``@workflow`` call."""
    return _build


def _node_for(fn: TaskFunction, node_id: str, bound: Mapping[str, Any]) -> dict[str, Any]:
    input_schemas, output_schema = signature_schemas(fn.fn)
    inputs: dict[str, Any] = {}
    params: dict[str, Any] = {}
    for name, value in bound.items():
        if isinstance(value, Ref):
            binding = value.binding()
            if name in input_schemas and input_schemas[name]:
                binding["schema"] = input_schemas[name]
            inputs[name] = binding
        else:
            params[name] = value
    node: dict[str, Any] = {"id": node_id, "call": call_target(fn.fn)}
    if params:
        node["params"] = check_json_object(params, f"{fn.__name__}(): arguments that are not references")
    if inputs:
        node["inputs"] = inputs
        node["depends_on"] = sorted({b["node"] for b in inputs.values()})
    if output_schema is not None:
        node["outputs"] = {"result": output_schema}
    node.update(fn.options)
    return node


class TaskFunction:
    """A function marked with ``@task``: a task type whose nodes call it."""

    def __init__(self, fn: Callable[..., Any], options: Mapping[str, Any]) -> None:
        unknown = sorted(set(options) - set(TASK_OPTIONS) - {"id"})
        if unknown:
            raise TypeError(f"@task: unknown option(s) {', '.join(unknown)}; expected {', '.join(TASK_OPTIONS)} or id")
        self.fn = fn
        self.options = {k: v for k, v in options.items() if k != "id"}
        self.node_id: str = options.get("id", fn.__name__)
        functools.update_wrapper(self, fn)

    def _bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        import inspect  # here, not at the top: every task imports the SDK, few bind

        try:
            return dict(inspect.signature(self.fn).bind_partial(*args, **kwargs).arguments)
        except TypeError as exc:
            raise TypeError(f"{self.fn.__name__}(): {exc}") from None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        build = _build
        if build is None:
            return self.fn(*args, **kwargs)
        node_id = build.fresh_id(self.node_id)
        build.nodes.append(_node_for(self, node_id, self._bind(args, kwargs)))
        return Ref(node_id)

    def add(self, *args: Any, id: str | None = None, **kwargs: Any) -> Ref:
        """Inside a running task: add a node that calls this function; returns a reference to it.

        Plain arguments become the node's params; a :class:`Ref` (say, to the
        running node's own output) becomes an input binding.
        """
        from . import task

        node = _node_for(self, check_node_id(id or self.node_id, "add: id"), self._bind(args, kwargs))
        del node["id"]
        node.pop("depends_on", None)
        task.add_node(
            id or self.node_id,
            call=node.pop("call"),
            params=node.pop("params", None),
            **node,
        )
        return Ref(id or self.node_id)


class Workflow:
    """A function marked with ``@workflow``: called at registration, it builds the graph."""

    def __init__(self, fn: Callable[[], Any], name: str | None) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        functools.update_wrapper(self, fn)

    def build(self) -> dict[str, Any]:
        """The workflow file this function describes, as a dict."""
        global _build
        if _build is not None:
            raise RuntimeError("a @workflow function cannot call another one while it builds")
        _build = _Build()
        try:
            self.fn()
            built = _build
        finally:
            _build = None
        workflow: dict[str, Any] = {"name": self.name, "nodes": built.nodes}
        if built.promises:
            workflow["promises"] = built.promises
        return workflow

    def __call__(self) -> dict[str, Any]:
        return self.build()


def workflow(fn: Callable[[], Any] | None = None, *, name: str | None = None) -> Any:
    """Mark a function that builds a workflow: ``@workflow`` or ``@workflow(name="etl")``."""
    if fn is None:
        return lambda f: Workflow(f, name)
    return Workflow(fn, name)


def bind_arguments(
    fn: Callable[..., Any], inputs: Mapping[str, Any], params: Mapping[str, Any]
) -> dict[str, Any]:
    """``fn``'s keyword arguments: each parameter from the inputs, else the params, else its default."""
    import inspect

    arguments: dict[str, Any] = {}
    for name, parameter in inspect.signature(fn).parameters.items():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if name in inputs:
            arguments[name] = inputs[name]
        elif name in params:
            arguments[name] = params[name]
        elif parameter.default is parameter.empty:
            raise MissingArgumentError(
                f"{call_target(fn)}: parameter {name!r} has no value: no input and no param named {name!r} "
                f"(inputs: {', '.join(sorted(inputs)) or 'none'}; params: {', '.join(sorted(params)) or 'none'})"
            )
    return arguments


def outputs_of(returned: Any) -> dict[str, Any]:
    """What a called function's return value outputs: the keys of an Outputs, else ``result``."""
    if isinstance(returned, Outputs):
        return dict(returned)
    return {"result": returned}
