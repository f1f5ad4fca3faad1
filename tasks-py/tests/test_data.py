"""The SDK's data helpers (inputs, run parameters, map, set_attrs), and its own
checks held against the JSON Schemas orch generates in ``schemas/``, so the two
cannot drift apart.

Run with: ``python3 -m unittest discover -s tasks-py/tests`` (standard library only).
"""

from __future__ import annotations

import json
import re
import sys
import unittest
from pathlib import Path
from typing import Any

from test_sdk import START, SdkTestCase

TASKS_PY = Path(__file__).resolve().parent.parent
SCHEMAS = TASKS_PY.parent / "schemas"
sys.path.insert(0, str(TASKS_PY))

from orch import _validate  # noqa: E402


def node_schema() -> dict[str, Any]:
    workflow = json.loads((SCHEMAS / "workflow.schema.json").read_text())
    return workflow["properties"]["nodes"]["items"]["properties"]


def python_pattern(pattern: str) -> re.Pattern[str]:
    """A schema pattern for Python's ``re``: ``\\p{Cc}`` (control characters) spelled out."""
    return re.compile(pattern.replace("\\p{Cc}", "\\x00-\\x1f\\x7f-\\x9f"))


class SchemaAgreementTests(unittest.TestCase):
    """The SDK accepts exactly what orch's schemas accept."""

    def setUp(self) -> None:
        self.attrs = node_schema()["attrs"]

    def test_attr_keys_and_styles(self) -> None:
        self.assertEqual(set(_validate.ATTR_KEYS), set(self.attrs["properties"]))
        self.assertEqual(list(_validate.ATTR_STYLES), self.attrs["properties"]["style"]["enum"])
        self.assertFalse(self.attrs["additionalProperties"])

    def test_text_and_colour_rules(self) -> None:
        label = self.attrs["properties"]["label"]
        self.assertEqual(_validate.MAX_TEXT, label["maxLength"])
        text = python_pattern(label["pattern"])
        for code in range(0x250):
            sample = f"a{chr(code)}b"
            with self.subTest(char=hex(code)):
                self.assertEqual(
                    text.search(sample) is not None,
                    _validate.PLAIN_TEXT_PATTERN.fullmatch(sample) is not None,
                )
        colour = python_pattern(self.attrs["properties"]["color"]["pattern"])
        for sample in ["red", "lightblue2", "#ff0000", "#ff000080", "#fff", "1red", "red;", "a" * 33, ""]:
            with self.subTest(colour=sample):
                self.assertEqual(
                    colour.search(sample) is not None,
                    _validate.COLOR_PATTERN.fullmatch(sample) is not None,
                )

    def test_triggers(self) -> None:
        self.assertEqual(list(_validate.TRIGGERS), node_schema()["trigger"]["enum"])

    def test_penwidth_bounds(self) -> None:
        penwidth = self.attrs["properties"]["penwidth"]
        self.assertEqual(_validate.MAX_PENWIDTH, penwidth["maximum"])
        self.assertEqual(0, penwidth["exclusiveMinimum"])

    def test_binding_forms(self) -> None:
        forms = node_schema()["inputs"]["additionalProperties"]["anyOf"]
        sources = sorted(
            tuple(sorted(set(form["properties"]) - {"schema", "default"})) for form in forms
        )
        self.assertEqual(sources, [("node", "output"), ("param",), ("value",)])
        for form in forms:
            extras = set(form["properties"]) - {"node", "output", "param", "value"}
            self.assertEqual(extras, set(_validate._BINDING_EXTRAS))  # pyright: ignore[reportPrivateUsage]
        _validate.check_bindings({"a": {"node": "x"}, "b": {"node": "x", "output": "y", "default": 1}})
        with self.assertRaises(ValueError):
            _validate.check_bindings({"a": {"node": "x", "param": "y"}})
        with self.assertRaises(ValueError):
            _validate.check_bindings({"a": {"output": "y"}})


class DataTaskTests(SdkTestCase):
    def test_inputs_and_run_params(self) -> None:
        start = {**START, "inputs": {"rows": [1, 2]}, "run": {"params": {"n": 5}}}
        result = self.run_task(
            """
            from orch import task
            task.output(rows=task.inputs["rows"], n=task.run_params["n"])
            """,
            start=start,
        )
        self.assertOk(result)
        self.assertEqual(result.messages, [{"type": "output", "values": {"rows": [1, 2], "n": 5}}])

    def test_upstream_and_add_node_trigger(self) -> None:
        upstream = {"ship": {"status": "failed", "reason": "exit code 1"}}
        result = self.run_task(
            """
            from orch import task
            task.add_node("undo", "undo.py", trigger="any_failed", depends_on=["ship"])
            task.output(upstream=task.upstream)
            """,
            start={**START, "upstream": upstream},
        )
        self.assertOk(result)
        self.assertEqual(
            result.messages,
            [
                {"type": "add_node", "id": "undo", "run": "undo.py", "args": [], "params": {},
                 "depends_on": ["ship"], "trigger": "any_failed"},
                {"type": "output", "values": {"upstream": upstream}},
            ],
        )

    def test_upstream_defaults_to_empty_and_bad_trigger_is_refused(self) -> None:
        result = self.run_task(
            """
            from orch import task
            task.output(upstream=task.upstream)
            task.add_node("undo", "undo.py", trigger="any_faild")
            """
        )
        self.assertEqual(result.messages, [{"type": "output", "values": {"upstream": {}}}])
        self.assertIn("trigger must be one of all_succeeded, all_done, any_failed, all_failed", result.stderr)

    def test_inputs_default_to_empty(self) -> None:
        result = self.run_task(
            """
            from orch import task
            task.output(inputs=task.inputs, params=task.run_params)
            """
        )
        self.assertOk(result)
        self.assertEqual(result.messages, [{"type": "output", "values": {"inputs": {}, "params": {}}}])

    def test_map_emits_ordinary_messages(self) -> None:
        result = self.run_task(
            """
            from orch import task
            print(task.map([10, {"k": 1}], "m.py", prefix="M", input="x", then="B"))
            """
        )
        self.assertOk(result)
        messages = [m for m in result.messages if m["type"] != "log"]
        self.assertEqual(
            messages,
            [
                {"type": "add_node", "id": "M-0", "run": "m.py", "args": [], "params": {}, "inputs": {"x": {"value": 10}}},
                {"type": "add_edge", "from": "A", "to": "M-0"},
                {"type": "add_edge", "from": "M-0", "to": "B"},
                {"type": "add_node", "id": "M-1", "run": "m.py", "args": [], "params": {}, "inputs": {"x": {"value": {"k": 1}}}},
                {"type": "add_edge", "from": "A", "to": "M-1"},
                {"type": "add_edge", "from": "M-1", "to": "B"},
            ],
        )

    def test_set_attrs(self) -> None:
        result = self.run_task(
            """
            from orch import task
            task.set_attrs(color="red", label="done")
            task.set_attrs("B", style="dashed")
            task.set_attrs(edge=("A", "B"), penwidth=2)
            for bad in ({"shape": "box"}, {"label": "<b>x</b>"}, {"style": "wavy"}, {"color": "red; x"}):
                try:
                    task.set_attrs(**bad)
                except (TypeError, ValueError) as exc:
                    task.log(f"refused: {exc}")
            """
        )
        self.assertOk(result)
        sets = [m for m in result.messages if m["type"] == "set_attrs"]
        self.assertEqual(
            sets,
            [
                {"type": "set_attrs", "node": "A", "attrs": {"color": "red", "label": "done"}},
                {"type": "set_attrs", "node": "B", "attrs": {"style": "dashed"}},
                {"type": "set_attrs", "edge": {"from": "A", "to": "B"}, "attrs": {"penwidth": 2}},
            ],
        )
        refused = [m for m in result.messages if m["type"] == "log"]
        self.assertEqual(len(refused), 4, refused)


if __name__ == "__main__":
    unittest.main()
