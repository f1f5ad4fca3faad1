"""``task.ask``: the n-th call returns the n-th answer, else it sends ``ask`` and ends the task."""

from __future__ import annotations

import unittest

from test_sdk import START, SdkTestCase

ASK_TWICE = """
from orch import task
first = task.ask("first?", {"type": "boolean"})
task.log(f"first={first}")
second = task.ask("second?", {"type": "string"})
task.log(f"second={second}")
"""


class AskTest(SdkTestCase):
    def test_no_answer_yet_sends_ask_and_exits_0(self) -> None:
        result = self.run_task(ASK_TWICE)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.messages,
            [{"type": "ask", "prompt": "first?", "schema": {"type": "boolean"}}],
        )

    def test_answers_are_returned_in_order_then_the_next_ask_is_sent(self) -> None:
        result = self.run_task(ASK_TWICE, {**START, "answers": [True]})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.messages,
            [
                {"type": "log", "level": "info", "message": "first=True"},
                {"type": "ask", "prompt": "second?", "schema": {"type": "string"}},
            ],
        )

    def test_every_answer_given_runs_the_task_to_its_end(self) -> None:
        result = self.run_task(ASK_TWICE, {**START, "answers": [False, "yes"]})
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual([m["message"] for m in result.messages], ["first=False", "second=yes"])

    def test_a_prompt_that_is_not_a_string_is_refused(self) -> None:
        result = self.run_task('from orch import task\ntask.ask(3, {})\n')
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ask: prompt must be a string", result.stderr)


if __name__ == "__main__":
    unittest.main()
