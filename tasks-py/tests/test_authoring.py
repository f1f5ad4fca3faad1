"""Unit tests for the SDK's authoring helpers: type hints as schemas, binding a
function's parameters, @task/@workflow building, plugin discovery with engines.

Run with: ``python3 -m unittest discover -s tasks-py/tests``.
"""

from __future__ import annotations

import sys
import tempfile
import textwrap
import unittest
from pathlib import Path
from typing import Literal, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from orch import Outputs, Ref, task, workflow  # noqa: E402
from orch._authoring import MissingArgumentError, bind_arguments, outputs_of  # noqa: E402
from orch._plugins import discover  # noqa: E402
from orch._schemas import schema_of, signature_schemas  # noqa: E402
from orch._validate import check_task_kind  # noqa: E402


class SchemaOfTest(unittest.TestCase):
    def test_simple_and_nested_hints(self) -> None:
        self.assertEqual(schema_of(int), {"type": "integer"})
        self.assertEqual(schema_of(list[dict]), {"type": "array", "items": {"type": "object"}})
        self.assertEqual(schema_of(dict[str, float]), {"type": "object", "additionalProperties": {"type": "number"}})
        self.assertEqual(schema_of(Optional[str]), {"anyOf": [{"type": "string"}, {"type": "null"}]})
        self.assertEqual(schema_of(Literal["a", "b"]), {"enum": ["a", "b"]})
        self.assertEqual(schema_of(object), {})

    def test_signature_schemas_skip_outputs_and_missing_hints(self) -> None:
        def f(a: int, b, c: list[str]) -> Outputs:  # type: ignore[no-untyped-def]
            return Outputs()

        inputs, returned = signature_schemas(f)
        self.assertEqual(inputs, {"a": {"type": "integer"}, "c": {"type": "array", "items": {"type": "string"}}})
        self.assertIsNone(returned)


class BindingTest(unittest.TestCase):
    def test_inputs_win_over_params_then_defaults(self) -> None:
        def f(x: int, y: int, z: int = 3) -> int:
            return x + y + z

        self.assertEqual(bind_arguments(f, {"x": 1}, {"x": 9, "y": 2}), {"x": 1, "y": 2})

    def test_missing_parameter_is_named(self) -> None:
        def f(needed: int) -> int:
            return needed

        with self.assertRaisesRegex(MissingArgumentError, "parameter 'needed' has no value"):
            bind_arguments(f, {}, {"other": 1})

    def test_outputs(self) -> None:
        self.assertEqual(outputs_of(5), {"result": 5})
        self.assertEqual(outputs_of(Outputs(a=1, b=2)), {"a": 1, "b": 2})


@task
def extract() -> list[int]:
    return [1, 2]


@task(retries=2, timeout=30)
def combine(rows: list[int], factor: int) -> int:
    return sum(rows) * factor


class WorkflowBuildTest(unittest.TestCase):
    def test_references_make_inputs_and_edges_and_literals_params(self) -> None:
        @workflow
        def flow() -> None:
            rows = extract()
            combine(rows, factor=3)
            combine(rows, 4)
            task.promise(scope="*", nodes=False)

        built = flow.build()
        self.assertEqual(built["name"], "flow")
        ids = [n["id"] for n in built["nodes"]]
        self.assertEqual(ids, ["extract", "combine", "combine-2"])
        second = built["nodes"][1]
        self.assertEqual(second["call"], f"{__name__}:combine")
        self.assertEqual(second["inputs"]["rows"]["node"], "extract")
        self.assertEqual(second["inputs"]["rows"]["output"], "result")
        self.assertEqual(second["depends_on"], ["extract"])
        self.assertEqual(second["params"], {"factor": 3})
        self.assertEqual(second["retries"], 2)
        self.assertEqual(second["outputs"], {"result": {"type": "integer"}})
        self.assertEqual(built["nodes"][2]["params"], {"factor": 4})
        self.assertEqual(built["promises"], [{"scope": "*", "nodes": False}])

    def test_a_reference_to_one_key_of_outputs(self) -> None:
        self.assertEqual(Ref("a")["rows"].binding(), {"node": "a", "output": "rows"})

    def test_outside_a_build_a_task_function_is_a_function(self) -> None:
        self.assertEqual(combine([1, 2], 2), 6)

    def test_unknown_option_and_bad_arguments(self) -> None:
        with self.assertRaisesRegex(TypeError, "unknown option"):
            task(retry=3)(lambda: None)

        @workflow
        def wrong() -> None:
            combine(1, 2, 3)

        with self.assertRaisesRegex(TypeError, "combine"):
            wrong.build()


class TaskKindTest(unittest.TestCase):
    def test_exactly_one(self) -> None:
        self.assertEqual(check_task_kind(None, "a.b:c", None), {"call": "a.b:c"})
        with self.assertRaisesRegex(TypeError, "exactly one"):
            check_task_kind("x.py", None, "print")
        with self.assertRaisesRegex(ValueError, "module:function"):
            check_task_kind(None, "no-colon", None)


class DiscoveryTest(unittest.TestCase):
    def test_modules_classes_engines_and_import_errors(self) -> None:
        with tempfile.TemporaryDirectory() as folder:
            Path(folder, "plain.py").write_text('TASK_TYPE = "plain"\nVERSION = "3"\ndef run(task):\n    return True\n')
            Path(folder, "db.py").write_text(
                textwrap.dedent(
                    """
                    from orch.plugins import Engine, Task

                    @Task("snap")
                    class Snap:
                        REQUIRED_FIELDS = ["engine"]

                    @Engine("pg")
                    class Pg(Snap):
                        def run(self, task):
                            task["output"] = "pg"
                    """
                )
            )
            Path(folder, "broken.py").write_text("raise RuntimeError('nope')\n")
            catalog = discover([folder])
        self.assertIn("print", catalog.types)
        self.assertEqual(catalog.types["plain"].version, "3")
        snap = catalog.types["snap"]
        self.assertEqual(sorted(snap.engines), ["pg"])
        node: dict[str, object] = {"engine": "pg"}
        snap.runner("pg")(node)
        self.assertEqual(node["output"], "pg")
        with self.assertRaisesRegex(LookupError, "known engines: pg"):
            snap.runner("oracle")
        self.assertEqual(len(catalog.errors), 1)
        self.assertIn("broken.py", catalog.errors[0]["file"])
        self.assertIn("RuntimeError: nope", catalog.errors[0]["error"])


if __name__ == "__main__":
    unittest.main()
