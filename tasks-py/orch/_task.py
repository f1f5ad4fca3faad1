"""The ``task`` object: the start message in, protocol messages out."""

from __future__ import annotations

import json
import os
import re
import sys
import threading
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence, cast

from ._authoring import TaskFunction, active_build
from ._channel import send as send_message
from ._validate import (
    check_args,
    check_attrs,
    check_bindings,
    check_json_object,
    check_level,
    check_node_id,
    check_promises,
    check_rule_keys,
    check_scope,
    check_task_kind,
    TRIGGERS,
)

if TYPE_CHECKING:
    import random

__all__ = ["Task", "StartMessageError", "StartInfo"]

_RUN_HINT = (
    "A task script is meant to be run by orch (`npx orch start WORKFLOW.json`), which writes "
    "a start message to its stdin. To run one by hand for debugging, run it from a terminal "
    "or set ORCH_LOCAL=1, with ORCH_NODE_ID unset (optionally ORCH_PARAMS='{\"k\": 1}')."
)


class StartMessageError(RuntimeError):
    """The task has no valid start message: it was not run by orch."""


class StartInfo:
    """What the start message said (or what local mode made up)."""

    __slots__ = ("run_id", "node_id", "params", "attempt", "local", "raw")

    def __init__(
        self,
        run_id: str,
        node_id: str,
        params: dict[str, Any],
        attempt: int,
        local: bool,
        raw: dict[str, Any],
    ) -> None:
        self.run_id = run_id
        self.node_id = node_id
        self.params = params
        self.attempt = attempt
        self.local = local
        self.raw = raw


def _stdin_is_tty() -> bool:
    stdin = sys.stdin
    if stdin is None:
        return False
    try:
        return stdin.isatty()
    except (OSError, ValueError):
        return False


def _read_start_line() -> bytes:
    stdin = sys.stdin
    if stdin is None:
        raise StartMessageError(f"orch: there is no stdin to read the start message from. {_RUN_HINT}")
    try:
        buffer = getattr(stdin, "buffer", None)
        if buffer is not None:
            line: bytes = buffer.readline()
            return line
        text: str = stdin.readline()
        return text.encode("utf-8")
    except (OSError, ValueError) as exc:
        raise StartMessageError(f"orch: cannot read the start message from stdin: {exc}. {_RUN_HINT}") from exc


def _parse_start(line: bytes) -> StartInfo:
    if not line.strip():
        raise StartMessageError(f"orch: stdin is empty, expected a start message. {_RUN_HINT}")
    shown = line.strip()[:200].decode("utf-8", "replace")
    try:
        loaded: object = json.loads(line)
    except ValueError as exc:
        raise StartMessageError(
            f"orch: the first line on stdin is not JSON ({exc}): {shown!r}. {_RUN_HINT}"
        ) from exc

    def bad(problem: str) -> StartMessageError:
        return StartMessageError(
            f"orch: the first line on stdin is not a valid start message: {problem}. "
            f'Expected {{"type": "start", "run_id", "node": {{"id", "params"}}, "attempt"}}, '
            f"got {shown!r}. {_RUN_HINT}"
        )

    if not isinstance(loaded, dict):
        raise bad("it is not a JSON object")
    msg = cast("dict[str, Any]", loaded)
    if msg.get("type") != "start":
        raise bad(f"'type' is {msg.get('type')!r}, expected 'start'")
    run_id = msg.get("run_id")
    if not isinstance(run_id, str):
        raise bad("'run_id' is missing or not a string")
    node_obj = msg.get("node")
    if not isinstance(node_obj, dict):
        raise bad("'node' is missing or not an object")
    node = cast("dict[str, Any]", node_obj)
    node_id = node.get("id")
    if not isinstance(node_id, str) or not node_id:
        raise bad("'node.id' is missing or not a string")
    params_obj = node.get("params", {})
    if not isinstance(params_obj, dict):
        raise bad("'node.params' is not an object")
    params = cast("dict[str, Any]", params_obj)
    if not isinstance(msg.get("inputs", {}), dict):
        raise bad("'inputs' is not an object")
    run_obj = msg.get("run", {})
    if not isinstance(run_obj, dict) or not isinstance(cast("dict[str, Any]", run_obj).get("params", {}), dict):
        raise bad("'run' is not an object with 'params' an object")
    attempt: object = msg.get("attempt", 1)
    if isinstance(attempt, bool) or not isinstance(attempt, int) or attempt < 1:
        raise bad("'attempt' is not a positive integer")
    return StartInfo(run_id, node_id, params, attempt, False, msg)


def _local_start() -> StartInfo:
    """Local (by hand) mode: make the start message up from the script name and env."""
    script = os.path.basename(sys.argv[0]) if sys.argv and sys.argv[0] else ""
    stem = script[:-3] if script.endswith(".py") else script
    node_id = re.sub(r"[^A-Za-z0-9._:-]", "-", stem)[:128] or "local"
    params: dict[str, Any] = {}
    raw_params = os.environ.get("ORCH_PARAMS")
    if raw_params:
        try:
            loaded: object = json.loads(raw_params)
        except ValueError as exc:
            raise StartMessageError(f"orch: ORCH_PARAMS is not JSON: {exc}") from exc
        if not isinstance(loaded, dict):
            raise StartMessageError("orch: ORCH_PARAMS must be a JSON object")
        params = cast("dict[str, Any]", loaded)
    attempt = 1
    raw_attempt = os.environ.get("ORCH_ATTEMPT")
    if raw_attempt:
        try:
            attempt = max(1, int(raw_attempt))
        except ValueError:
            attempt = 1
    run_id = os.environ.get("ORCH_RUN_ID") or "local"
    raw = {"type": "start", "run_id": run_id, "node": {"id": node_id, "params": params}, "attempt": attempt}
    sys.stderr.write(
        f"orch: no start message (run by hand): running locally as node {node_id!r}, "
        f"run {run_id!r}, attempt {attempt}, params {json.dumps(params)}; "
        "protocol messages follow on stdout\n"
    )
    sys.stderr.flush()
    return StartInfo(run_id, node_id, params, attempt, True, raw)


def _load_start() -> StartInfo:
    local_flag = os.environ.get("ORCH_LOCAL", "") not in ("", "0")
    if not os.environ.get("ORCH_NODE_ID") and (local_flag or _stdin_is_tty()):
        return _local_start()
    if _stdin_is_tty():
        raise StartMessageError(
            "orch: stdin is a terminal but ORCH_NODE_ID is set: expected a start message "
            f"from the orchestrator. {_RUN_HINT}"
        )
    return _parse_start(_read_start_line())


_PROMISE_RESERVED = ("type", "scope")


class Task:
    """The running task, as seen from inside its script.

    Use the module-level singleton: ``from orch import task``. Nothing is read
    until first use: the first attribute access or method call reads the one
    start message the orchestrator writes to stdin::

        {"type": "start", "run_id": "...", "node": {"id": "...", "params": {...}}, "attempt": 1}

    and raises :class:`StartMessageError` (mentioning ``orch start``) if stdin
    is empty or not a start message.

    **Running a task by hand.** When ``ORCH_NODE_ID`` is not set (orch always
    sets it) and stdin is a terminal, or ``ORCH_LOCAL=1`` is set, no start
    message is read. The task runs in *local mode* instead: its node id is the
    script's file name without ``.py`` (invalid characters replaced by ``-``),
    ``params`` come from ``$ORCH_PARAMS`` (a JSON object, default ``{}``),
    ``attempt`` from ``$ORCH_ATTEMPT`` (default 1) and ``run_id`` from
    ``$ORCH_RUN_ID`` (default ``"local"``). A note saying so goes to stderr,
    and protocol messages are printed on the original stdout as usual.

    All methods validate their arguments cheaply and raise ``TypeError`` or
    ``ValueError`` before anything is sent. Messages are written as one compact
    JSON line each, written within 5 ms (a burst shares its writes) and at exit;
    methods are thread-safe.
    """

    def __init__(self) -> None:
        self._start: StartInfo | None = None
        self._load_lock = threading.Lock()
        self._rng: random.Random | None = None
        self._asks = 0

    # -- start message ------------------------------------------------------

    def _info(self) -> StartInfo:
        start = self._start
        if start is None:
            with self._load_lock:
                if self._start is None:
                    self._start = _load_start()
                start = self._start
        return start

    @property
    def node_id(self) -> str:
        """This node's id."""
        return self._info().node_id

    @property
    def run_id(self) -> str:
        """The run's id (``"local"`` in local mode unless ``ORCH_RUN_ID`` is set)."""
        return self._info().run_id

    @property
    def attempt(self) -> int:
        """Which attempt this is, from 1."""
        return self._info().attempt

    @property
    def params(self) -> dict[str, Any]:
        """The node's parameters (a JSON object; ``{}`` when it has none)."""
        return self._info().params

    @property
    def inputs(self) -> dict[str, Any]:
        """The node's inputs, resolved from its bindings when it started (``{}`` when it has none)."""
        return cast("dict[str, Any]", self._info().raw.get("inputs", {}))

    @property
    def run_params(self) -> dict[str, Any]:
        """The run's parameters (``orch start --param NAME=VALUE``, else their defaults)."""
        run = cast("dict[str, Any]", self._info().raw.get("run", {}))
        return cast("dict[str, Any]", run.get("params", {}))

    @property
    def upstream(self) -> dict[str, dict[str, Any]]:
        """How each predecessor ended, for a node with a ``trigger`` other than ``all_succeeded``.

        ``{ID: {"status": "failed", "reason": "exit code 1"}, ...}``: what a
        compensating task reads to know what to undo (``{}`` for other nodes).
        """
        return cast("dict[str, dict[str, Any]]", self._info().raw.get("upstream", {}))

    @property
    def iteration(self) -> int:
        """For a node in a loop's body, the iteration it runs in (1, 2, ...); 1 elsewhere."""
        iteration = self._info().raw.get("iteration", 1)
        return iteration if isinstance(iteration, int) else 1

    @property
    def local(self) -> bool:
        """True when running by hand (local mode), not under orch."""
        return self._info().local

    @property
    def start_message(self) -> dict[str, Any]:
        """The start message as received (made up in local mode)."""
        return self._info().raw

    @property
    def rng(self) -> random.Random:
        """A ``random.Random`` for this task, created on first use.

        If ``$ORCH_SEED`` is set (non-empty) it is seeded from that seed and the node id
        (so each node of a run draws differently but reproducibly); otherwise
        it is seeded from system randomness.
        """
        if self._rng is None:
            import random

            seed = os.environ.get("ORCH_SEED")
            self._rng = random.Random(f"{seed}:{self.node_id}") if seed else random.Random()
        return self._rng

    # -- messages -------------------------------------------------------------

    def _send(self, message: dict[str, Any]) -> None:
        self._info()  # fail early, with a clear error, when not run by orch
        send_message(message)

    def add_node(
        self,
        id: str,
        run: str | None = None,
        args: Sequence[str] | None = None,
        params: Mapping[str, Any] | None = None,
        promises: Sequence[Mapping[str, Any]] | None = None,
        *,
        call: str | None = None,
        uses: str | None = None,
        depends_on: Sequence[str] | None = None,
        inputs: Mapping[str, Mapping[str, Any]] | None = None,
        outputs: Mapping[str, Any] | None = None,
        attrs: Mapping[str, Any] | None = None,
        timeout: float | None = None,
        retries: int | None = None,
        retry_delay: float | None = None,
        backoff: float | None = None,
        retry_delay_max: float | None = None,
        jitter: float | None = None,
        trigger: str | None = None,
    ) -> str:
        """Add node ``id`` running script ``run`` (relative to the workflow file),
        or calling function ``call`` (``"module:function"``), or of task type ``uses``
        (a plugin): exactly one of the three.

        ``args`` are command-line arguments for the script, ``params`` its start
        message's params, ``promises`` promises for the new node's own scope
        (a promise without ``scope`` is about the new node). ``depends_on``
        adds edges from those nodes into it. ``inputs`` binds
        its inputs (a binding from a named node also adds that node's edge to it),
        ``outputs`` declares its outputs (JSON Schemas), ``attrs`` its cosmetic
        attributes (docs/data.md). ``timeout`` and the
        retry settings override the workflow's ``defaults`` for the new node
        (docs/reliability.md). ``trigger`` says which outcomes of its
        predecessors let it run: ``all_succeeded`` (the default), ``all_done``,
        ``any_failed`` or ``all_failed`` (docs/failure-handling.md). Returns ``id``.
        """
        node_id = check_node_id(id, "add_node: id")
        message: dict[str, Any] = {"type": "add_node", "id": node_id, **check_task_kind(run, call, uses)}
        if "run" in message or args:
            message["args"] = check_args(args, "add_node: args")
        message["params"] = check_json_object(params, "add_node: params")
        checked_promises = check_promises(promises, "add_node: promises")
        if checked_promises:
            message["promises"] = checked_promises
        if depends_on:
            message["depends_on"] = [check_node_id(d, "add_node: depends_on") for d in depends_on]
        if inputs is not None:
            message["inputs"] = check_bindings(inputs, "add_node: inputs")
        if outputs is not None:
            message["outputs"] = check_json_object(outputs, "add_node: outputs")
        if attrs is not None:
            message["attrs"] = check_attrs(attrs, "add_node: attrs")
        if trigger is not None:
            if trigger not in TRIGGERS:
                raise ValueError(f"add_node: trigger must be one of {', '.join(TRIGGERS)}, got {trigger!r}")
            message["trigger"] = trigger
        policy = {
            "timeout": timeout,
            "retries": retries,
            "retry_delay": retry_delay,
            "backoff": backoff,
            "retry_delay_max": retry_delay_max,
            "jitter": jitter,
        }
        for key, value in policy.items():
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ValueError(f"add_node: {key} must be a number >= 0, got {value!r}")
            if key == "retries" and not isinstance(value, int):
                raise ValueError(f"add_node: retries must be a whole number, got {value!r}")
            message[key] = value
        self._send(message)
        return node_id

    def add_edge(
        self,
        from_: str,
        to: str,
        *,
        attrs: Mapping[str, Any] | None = None,
        loop: bool = False,
        max: int | None = None,
    ) -> None:
        """Add edge ``from_ -> to``: ``to`` runs after ``from_``; ``attrs`` are its cosmetic attributes.

        With ``loop=True`` it is a loop edge back to ``to``, an ancestor of
        ``from_``: when ``from_`` calls :meth:`again`, the nodes between them run
        once more, at most ``max`` times in all (default 100).
        """
        message: dict[str, Any] = {
            "type": "add_edge",
            "from": check_node_id(from_, "add_edge: from"),
            "to": check_node_id(to, "add_edge: to"),
        }
        if attrs is not None:
            message["attrs"] = check_attrs(attrs, "add_edge: attrs")
        if loop:
            message["loop"] = True
        if max is not None:
            if not loop:
                raise ValueError("add_edge: max bounds a loop edge; pass loop=True with it")
            if isinstance(max, bool) or not isinstance(max, int) or max < 1:  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ValueError(f"add_edge: max must be a positive integer, got {max!r}")
            message["max"] = max
        self._send(message)

    def set_attrs(
        self,
        node: str | None = None,
        *,
        edge: tuple[str, str] | None = None,
        **attrs: Any,
    ) -> None:
        """Set cosmetic attributes of an existing node, or of an edge ``(from, to)``.

        ``task.set_attrs("load", color="green", label="loaded 3 rows")``; with
        neither ``node`` nor ``edge``, the task's own node. Attributes change
        nothing in execution; they are drawn by ``orch graph``.
        """
        message: dict[str, Any] = {"type": "set_attrs"}
        if edge is not None:
            if node is not None:
                raise TypeError("set_attrs() takes a node or an edge, not both")
            message["edge"] = {
                "from": check_node_id(edge[0], "set_attrs: edge from"),
                "to": check_node_id(edge[1], "set_attrs: edge to"),
            }
        else:
            message["node"] = check_node_id(node if node is not None else self.node_id, "set_attrs: node")
        message["attrs"] = check_attrs(attrs, "set_attrs: attrs")
        self._send(message)

    def map(
        self,
        items: Sequence[Any],
        run: str,
        *,
        prefix: str,
        input: str = "item",
        then: str | None = None,
        params: Mapping[str, Any] | None = None,
        outputs: Mapping[str, Any] | None = None,
    ) -> list[str]:
        """One node per element of ``items``: a map over a collection.

        Node ``f"{prefix}-{i}"`` runs ``run`` with the element as its input
        ``input`` (a ``{"value": element}`` binding), after this node, and before
        ``then`` when given (which may gather their outputs through a glob
        binding such as ``{"node": "PREFIX-*", "output": "y"}``). Only ordinary
        ``add_node`` and ``add_edge`` messages are sent. Returns the new ids.
        """
        if isinstance(items, (str, bytes)) or not isinstance(items, Sequence):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"map() takes a list of items, got {type(items).__name__}: {items!r}")
        ids: list[str] = []
        for i, item in enumerate(items):
            node_id = self.add_node(
                f"{prefix}-{i}", run, params=params, inputs={input: {"value": item}}, outputs=outputs
            )
            self.add_edge(self.node_id, node_id)
            if then is not None:
                self.add_edge(node_id, then)
            ids.append(node_id)
        return ids

    def promise(self, scope: str = "$self", **rules: Any) -> None:
        """Promise ``rules`` for ``scope`` (``"$self"``, a node id or ``"*"``).

        Called while a ``@workflow`` function builds, it adds a promise of the
        workflow (scope a node id or ``"*"``).

        The rules are sent as given (docs/promises.md), e.g.
        ``task.promise(nodes={"ids": ["M-*"], "max": 5}, no_edges_to=["end"])``.
        """
        check_rule_keys(rules, _PROMISE_RESERVED, "promise()")
        build = active_build()
        if build is not None:
            build.promises.append({"scope": scope, **check_json_object(rules, "promise: rules")})
            return
        body = check_json_object(rules, "promise: rules")
        message: dict[str, Any] = {"type": "promise", "scope": check_scope(scope, "promise: scope")}
        message.update(body)
        self._send(message)

    def output(self, values: Mapping[str, Any] | None = None, /, **kwargs: Any) -> None:
        """Record the task's outputs: ``task.output(answer=42)`` or ``task.output({"answer": 42})``."""
        if values is not None and kwargs:
            raise TypeError("output() takes either a dict or keyword arguments, not both")
        if values is not None and not isinstance(values, Mapping):  # pyright: ignore[reportUnnecessaryIsInstance]
            raise TypeError(f"output() takes a dict, got {type(values).__name__}: {values!r}")
        chosen: Mapping[str, Any] = values if values is not None else kwargs
        self._send({"type": "output", "values": check_json_object(chosen, "output: values")})

    def ask(self, prompt: str, schema: Mapping[str, Any] | None = None) -> Any:
        """Ask a person for input and get the answer.

        The n-th call returns the n-th answer given so far (``orch answer``).
        When there is none yet, the ``ask`` message is sent and the task ends
        here (exit 0): the node waits, with no process, and its next attempt
        runs the task again from the top with the answer available.
        """
        if not isinstance(prompt, str):
            raise TypeError(f"ask: prompt must be a string, not {type(prompt).__name__}")
        chosen = check_json_object(schema, "ask: schema")
        answers = cast("list[Any]", self._info().raw.get("answers", []))
        index = self._asks
        self._asks += 1
        if index < len(answers):
            return answers[index]
        self._send({"type": "ask", "prompt": prompt, "schema": chosen})
        sys.exit(0)

    def again(self) -> None:
        """Ask for this node's loop to go round once more when the task succeeds.

        The node must be the source of a loop edge: its body (the nodes from the
        edge's target to this one) runs again, its earlier additions taken back,
        as iteration :attr:`iteration` + 1. Without it the run goes on past
        this node. The task carries on after the call; what it outputs is what
        the loop's target can bind in the next iteration.
        """
        self._send({"type": "again"})

    def log(self, message: object, level: str = "info") -> None:
        """A log line for ``orch logs``; ``level`` is debug, info, warning or error."""
        checked_level = check_level(level)
        text = message if isinstance(message, str) else str(message)
        self._send({"type": "log", "level": checked_level, "message": text})

    def __call__(self, fn: Callable[..., Any] | None = None, /, **options: Any) -> Any:
        """``@task`` or ``@task(retries=2, timeout=60)``: mark a function as a task type."""
        if fn is None:
            return lambda f: TaskFunction(f, options)
        return TaskFunction(fn, options)

    def __repr__(self) -> str:
        start = self._start
        if start is None:
            return "<orch.Task (start message not read yet)>"
        mode = " local" if start.local else ""
        return f"<orch.Task{mode} node={start.node_id!r} run={start.run_id!r} attempt={start.attempt}>"
