"""Loops in the SDK: ``task.again()``, ``task.iteration`` and loop edges."""

from __future__ import annotations

import unittest

from test_sdk import START, SdkTestCase

AGAIN_WHILE_LOW = """
from orch import task
task.output(score=task.iteration * 10)
if task.iteration < 3:
    task.again()
"""


class LoopTest(SdkTestCase):
    def test_iteration_comes_from_the_start_message_and_again_is_a_message(self) -> None:
        result = self.run_task(AGAIN_WHILE_LOW, {**START, "iteration": 2})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.messages,
            [{"type": "output", "values": {"score": 20}}, {"type": "again"}],
        )

    def test_outside_a_loop_the_iteration_is_1(self) -> None:
        result = self.run_task(AGAIN_WHILE_LOW)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(result.messages[0], {"type": "output", "values": {"score": 10}})

    def test_a_loop_edge_carries_its_bound(self) -> None:
        result = self.run_task(
            "from orch import task\ntask.add_edge('b', 'a', loop=True, max=5)\n"
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.messages,
            [{"type": "add_edge", "from": "b", "to": "a", "loop": True, "max": 5}],
        )

    def test_max_without_loop_is_refused(self) -> None:
        result = self.run_task("from orch import task\ntask.add_edge('b', 'a', max=5)\n")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("max bounds a loop edge", result.stderr)
        self.assertEqual(result.messages, [])


if __name__ == "__main__":
    unittest.main()
