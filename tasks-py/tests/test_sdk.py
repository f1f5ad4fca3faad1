"""Self-check for the orch Python SDK: run small task scripts as subprocesses,
feed them a start message and check exactly what they write to stdout/stderr.

Run with: ``python3 -m unittest discover -s tasks-py/tests`` (standard library only).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import unittest
from pathlib import Path
from typing import Any

TASKS_PY = Path(__file__).resolve().parent.parent
START: dict[str, Any] = {
    "type": "start",
    "run_id": "run-1",
    "node": {"id": "A", "params": {"k": 3, "name": "x"}},
    "attempt": 2,
}


class Result:
    def __init__(self, proc: subprocess.CompletedProcess[bytes]) -> None:
        self.returncode = proc.returncode
        self.raw_stdout = proc.stdout.decode("utf-8")
        self.stderr = proc.stderr.decode("utf-8", "replace")
        self.lines = [line for line in self.raw_stdout.split("\n") if line != ""]

    @property
    def messages(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for i, line in enumerate(self.lines, 1):
            try:
                out.append(json.loads(line))
            except ValueError as exc:  # pragma: no cover - reported as a failure
                raise AssertionError(f"stdout line {i} is not JSON: {line!r}\nstderr:\n{self.stderr}") from exc
        return out


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ORCH_") and k != "PYTHONUNBUFFERED"}
    env["PYTHONPATH"] = str(TASKS_PY)
    env.update(extra)
    return env


class SdkTestCase(unittest.TestCase):
    def setUp(self) -> None:
        self._tmp = tempfile.TemporaryDirectory()
        self.tmp = Path(self._tmp.name)

    def tearDown(self) -> None:
        self._tmp.cleanup()

    def script(self, code: str, name: str = "task.py") -> Path:
        path = self.tmp / name
        path.write_text(textwrap.dedent(code))
        return path

    def run_task(
        self,
        code: str,
        start: dict[str, Any] | str | None = START,
        env: dict[str, str] | None = None,
        name: str = "task.py",
        timeout: float = 20,
    ) -> Result:
        path = self.script(code, name)
        if env is None:
            env = base_env(ORCH_RUN_ID="run-1", ORCH_NODE_ID="A", ORCH_ATTEMPT="2")
        if start is None:
            stdin_data = b""
        elif isinstance(start, str):
            stdin_data = start.encode()
        else:
            stdin_data = (json.dumps(start) + "\n").encode()
        proc = subprocess.run(
            [sys.executable, str(path)],
            input=stdin_data,
            capture_output=True,
            env=env,
            cwd=self.tmp,
            timeout=timeout,
        )
        return Result(proc)

    def spawn(
        self, path: Path, env: dict[str, str], stderr: int = subprocess.PIPE
    ) -> subprocess.Popen[bytes]:
        """Start a task script with pipes on stdin and stdout, for a test to drive."""
        return subprocess.Popen(
            [sys.executable, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
        )

    def assertOk(self, result: Result) -> None:
        self.assertEqual(result.returncode, 0, f"task failed; stderr:\n{result.stderr}")


class StartMessageTests(SdkTestCase):
    def test_fields_from_start_message(self) -> None:
        r = self.run_task(
            """
            from orch import task
            task.output(node=task.node_id, run=task.run_id, attempt=task.attempt,
                        params=task.params, local=task.local)
            """
        )
        self.assertOk(r)
        self.assertEqual(
            r.messages,
            [
                {
                    "type": "output",
                    "values": {"node": "A", "run": "run-1", "attempt": 2, "params": {"k": 3, "name": "x"}, "local": False},
                }
            ],
        )

    def test_import_alone_reads_nothing(self) -> None:
        # No start message and stdin left open would block a reader: importing must not read.
        path = self.script("import orch\nprint('imported')\n")
        proc = self.spawn(path, base_env(ORCH_NODE_ID="A"))
        try:
            out, err = proc.communicate(timeout=10)
        finally:
            if proc.poll() is None:
                proc.kill()
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(out, b"")
        self.assertIn(b"imported", err)

    def test_empty_stdin_is_a_clear_error(self) -> None:
        r = self.run_task("from orch import task\ntask.log('x')\n", start=None)
        self.assertNotEqual(r.returncode, 0)
        self.assertEqual(r.lines, [])
        self.assertIn("StartMessageError", r.stderr)
        self.assertIn("orch start", r.stderr)
        self.assertIn("stdin is empty", r.stderr)

    def test_invalid_json_start_is_a_clear_error(self) -> None:
        r = self.run_task("from orch import task\nprint(task.node_id)\n", start="hello there\n")
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("not JSON", r.stderr)
        self.assertIn("orch start", r.stderr)

    def test_wrong_start_message_is_a_clear_error(self) -> None:
        cases: list[tuple[object, str]] = [
            ({"type": "go"}, "'type'"),
            ({"type": "start", "run_id": "r", "attempt": 1}, "'node'"),
            ({"type": "start", "run_id": "r", "node": {"id": "A", "params": []}, "attempt": 1}, "params"),
            ({"type": "start", "run_id": "r", "node": {"id": "A", "params": {}}, "attempt": 0}, "attempt"),
            ([1, 2], "not a JSON object"),
        ]
        for bad, problem in cases:
            with self.subTest(bad=bad):
                r = self.run_task("from orch import task\nprint(task.node_id)\n", start=json.dumps(bad) + "\n")
                self.assertNotEqual(r.returncode, 0)
                self.assertIn("not a valid start message", r.stderr)
                self.assertIn(problem, r.stderr)

    def test_local_mode_with_orch_local(self) -> None:
        env = base_env(ORCH_LOCAL="1", ORCH_PARAMS='{"i": 7}')
        r = self.run_task(
            """
            from orch import task
            task.output(node=task.node_id, run=task.run_id, attempt=task.attempt, params=task.params, local=task.local)
            """,
            start=None,
            env=env,
            name="my fetch.py",
        )
        self.assertOk(r)
        self.assertEqual(
            r.messages,
            [{"type": "output", "values": {"node": "my-fetch", "run": "local", "attempt": 1, "params": {"i": 7}, "local": True}}],
        )
        self.assertIn("running locally", r.stderr)

    @unittest.skipUnless(sys.platform.startswith("linux") or sys.platform == "darwin", "needs a pty")
    def test_local_mode_when_stdin_is_a_tty(self) -> None:
        import pty

        path = self.script("from orch import task\ntask.output(node=task.node_id, local=task.local)\n", "by_hand.py")
        master, slave = pty.openpty()
        try:
            proc = subprocess.run(
                [sys.executable, str(path)], stdin=slave, capture_output=True, env=base_env(), timeout=20
            )
        finally:
            os.close(slave)
            os.close(master)
        self.assertEqual(proc.returncode, 0, proc.stderr.decode())
        self.assertEqual(
            [json.loads(line) for line in proc.stdout.decode().splitlines()],
            [{"type": "output", "values": {"node": "by_hand", "local": True}}],
        )

    @unittest.skipUnless(sys.platform.startswith("linux") or sys.platform == "darwin", "needs a pty")
    def test_tty_with_orch_node_id_is_an_error(self) -> None:
        import pty

        path = self.script("from orch import task\nprint(task.node_id)\n")
        master, slave = pty.openpty()
        try:
            proc = subprocess.run(
                [sys.executable, str(path)], stdin=slave, capture_output=True, env=base_env(ORCH_NODE_ID="A"), timeout=20
            )
        finally:
            os.close(slave)
            os.close(master)
        self.assertNotEqual(proc.returncode, 0)
        self.assertIn(b"orch start", proc.stderr)

    def test_rng_is_reproducible_with_orch_seed(self) -> None:
        code = "from orch import task\ntask.output(x=[task.rng.random() for _ in range(3)])\n"
        env = base_env(ORCH_NODE_ID="A", ORCH_SEED="42")
        a = self.run_task(code, env=env).messages
        b = self.run_task(code, env=env).messages
        self.assertEqual(a, b)
        other = dict(START, node={"id": "B", "params": {}})
        c = self.run_task(code, env=env, start=other).messages
        self.assertNotEqual(a, c)


class MessageTests(SdkTestCase):
    def test_each_call_emits_exactly_one_message(self) -> None:
        r = self.run_task(
            """
            from orch import task
            task.add_node("M-1", run="m.py")
            task.add_node("M-2", run="m.py", args=["--n", "2"], params={"i": 2, "nested": {"a": [1, 2.5, None, True]}},
                          promises=[{"nodes": False}, {"scope": "$self", "edges": [{"from": "$self", "to": "$new"}]}])
            task.add_node(id="M-3", run="m.py", args=(), params={}, promises=[])
            task.add_edge("A", "M-1")
            task.add_edge(from_="M-1", to="M-2")
            task.promise(scope="$self", nodes={"ids": ["M-*"]})
            task.promise(nodes=False)
            task.promise(scope="*", no_edges_to=["end"], shape={"one_of": [{"nodes": [], "edges": []}]})
            task.output(answer=42)
            task.output({"answer": 43, "list": [1, "two"]})
            task.output()
            task.log("fetched 3 pages", level="info")
            task.log("just a line")
            task.log("careful", level="warning")
            task.log("details", level="debug")
            task.log("bad", level="error")
            task.log("unicode é ☃ \\u2028 \\n newline")
            """
        )
        self.assertOk(r)
        self.assertEqual(
            r.messages,
            [
                {"type": "add_node", "id": "M-1", "run": "m.py", "args": [], "params": {}},
                {
                    "type": "add_node",
                    "id": "M-2",
                    "run": "m.py",
                    "args": ["--n", "2"],
                    "params": {"i": 2, "nested": {"a": [1, 2.5, None, True]}},
                    "promises": [{"nodes": False}, {"scope": "$self", "edges": [{"from": "$self", "to": "$new"}]}],
                },
                {"type": "add_node", "id": "M-3", "run": "m.py", "args": [], "params": {}},
                {"type": "add_edge", "from": "A", "to": "M-1"},
                {"type": "add_edge", "from": "M-1", "to": "M-2"},
                {"type": "promise", "scope": "$self", "nodes": {"ids": ["M-*"]}},
                {"type": "promise", "scope": "$self", "nodes": False},
                {"type": "promise", "scope": "*", "no_edges_to": ["end"], "shape": {"one_of": [{"nodes": [], "edges": []}]}},
                {"type": "output", "values": {"answer": 42}},
                {"type": "output", "values": {"answer": 43, "list": [1, "two"]}},
                {"type": "output", "values": {}},
                {"type": "log", "level": "info", "message": "fetched 3 pages"},
                {"type": "log", "level": "info", "message": "just a line"},
                {"type": "log", "level": "warning", "message": "careful"},
                {"type": "log", "level": "debug", "message": "details"},
                {"type": "log", "level": "error", "message": "bad"},
                {"type": "log", "level": "info", "message": "unicode é ☃ \u2028 \n newline"},
            ],
        )

    def test_add_node_carries_a_task_policy(self) -> None:
        r = self.run_task(
            """
            from orch import task
            task.add_node("M-1", run="m.py", timeout=2.5, retries=3, retry_delay=0.5, backoff=2, jitter=0)
            for bad in ({"retries": 1.5}, {"timeout": -1}, {"backoff": True}, {"jitter": "x"}):
                try:
                    task.add_node("M-2", run="m.py", **bad)
                except ValueError as error:
                    print(error)
                else:
                    raise SystemExit(f"accepted {bad}")
            """
        )
        self.assertOk(r)
        self.assertEqual(
            r.messages,
            [
                {
                    "type": "add_node",
                    "id": "M-1",
                    "run": "m.py",
                    "args": [],
                    "params": {},
                    "timeout": 2.5,
                    "retries": 3,
                    "retry_delay": 0.5,
                    "backoff": 2,
                    "jitter": 0,
                }
            ],
        )

    def test_lines_are_compact_ascii_json(self) -> None:
        r = self.run_task(
            """
            from orch import task
            task.add_edge("A", "B")
            task.log("é")
            """
        )
        self.assertOk(r)
        self.assertEqual(
            r.raw_stdout,
            '{"type":"add_edge","from":"A","to":"B"}\n{"type":"log","level":"info","message":"\\u00e9"}\n',
        )

    def test_large_message_is_one_intact_line(self) -> None:
        r = self.run_task(
            """
            from orch import task
            task.add_node("big", run="m.py", params={"blob": "x" * 1_000_000})
            task.log("after")
            """
        )
        self.assertOk(r)
        self.assertEqual(len(r.lines), 2)
        self.assertEqual(len(r.messages[0]["params"]["blob"]), 1_000_000)

    def test_a_message_arrives_while_the_task_still_runs(self) -> None:
        path = self.script(
            """
            import time
            from orch import task
            task.add_node("M-1", run="m.py")
            time.sleep(30)
            """
        )
        proc = self.spawn(
            path,
            base_env(ORCH_RUN_ID="run-1", ORCH_NODE_ID="A", ORCH_ATTEMPT="1"),
            stderr=subprocess.DEVNULL,
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None
            proc.stdin.write((json.dumps(START) + "\n").encode())
            proc.stdin.close()
            started = time.monotonic()
            line = proc.stdout.readline()
            waited = time.monotonic() - started
        finally:
            proc.kill()
            proc.wait()
        self.assertEqual(json.loads(line)["id"], "M-1")
        self.assertLess(waited, 10)

    def test_queued_messages_are_written_by_flush_and_at_fork(self) -> None:
        r = self.run_task(
            """
            import os
            import orch
            from orch import task
            task.log("before fork")
            pid = os.fork()
            if pid == 0:
                task.log("from the child")
                orch.flush()
                os._exit(0)
            os.waitpid(pid, 0)
            task.log("after fork")
            orch.flush()
            os._exit(0)
            """
        )
        self.assertOk(r)
        self.assertEqual(
            [m["message"] for m in r.messages],
            ["before fork", "from the child", "after fork"],
        )

    @unittest.skipUnless(sys.platform.startswith("linux"), "pipe sizes are a Linux feature")
    def test_pipe_to_the_orchestrator_is_enlarged(self) -> None:
        r = self.run_task(
            """
            import fcntl, sys
            from orch import task
            from orch import _channel
            F_GETPIPE_SZ = 1032
            size = fcntl.fcntl(_channel.protocol_fd(), F_GETPIPE_SZ)
            task.output(size=size)
            """
        )
        self.assertOk(r)
        self.assertGreaterEqual(r.messages[0]["values"]["size"], 1 << 20)

    def test_threads_do_not_interleave_lines(self) -> None:
        r = self.run_task(
            """
            import threading
            from orch import task
            def work(n):
                for i in range(200):
                    task.log(f"thread {n} line {i} " + "y" * 3000)
            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for t in threads: t.start()
            for t in threads: t.join()
            """
        )
        self.assertOk(r)
        self.assertEqual(len(r.messages), 1600)
        self.assertTrue(all(m["type"] == "log" for m in r.messages))


class StdoutIsolationTests(SdkTestCase):
    def test_print_and_children_go_to_stderr(self) -> None:
        r = self.run_task(
            """
            import os, subprocess, sys
            print("printed before import")
            from orch import task
            print("printed after import")
            print('{"type": "add_node"}')
            sys.stdout.write("sys.stdout.write\\n")
            sys.__stdout__.write("sys.__stdout__.write\\n")
            sys.__stdout__.flush()
            os.write(1, b"os.write to fd 1\\n")
            subprocess.run(["echo", "child echo"], check=True)
            subprocess.run([sys.executable, "-c", "print('child python print')"], check=True)
            os.system("echo os.system echo")
            task.output(done=True)
            print("printed at the end", end="")
            """
        )
        self.assertOk(r)
        self.assertEqual(r.messages, [{"type": "output", "values": {"done": True}}])
        for marker in [
            "printed before import",
            "printed after import",
            '{"type": "add_node"}',
            "sys.stdout.write",
            "sys.__stdout__.write",
            "os.write to fd 1",
            "child echo",
            "child python print",
            "os.system echo",
            "printed at the end",
        ]:
            self.assertIn(marker, r.stderr)

    def test_protocol_fd_is_not_inherited(self) -> None:
        # A child that outlives the task must not keep the protocol pipe open,
        # or the orchestrator would not see EOF when the task exits.
        path = self.script(
            """
            import subprocess, sys
            from orch import task
            task.log("spawning")
            subprocess.Popen([sys.executable, "-c", "import time; time.sleep(4)"], close_fds=False)
            """
        )
        t0 = time.monotonic()
        proc = self.spawn(path, base_env(ORCH_NODE_ID="A"), stderr=subprocess.DEVNULL)
        out, _ = proc.communicate((json.dumps(START) + "\n").encode(), timeout=20)
        elapsed = time.monotonic() - t0
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(json.loads(out), {"type": "log", "level": "info", "message": "spawning"})
        self.assertLess(elapsed, 3.0, "stdout stayed open: the child inherited the protocol fd")


class ValidationTests(SdkTestCase):
    def test_invalid_arguments_raise_before_sending(self) -> None:
        r = self.run_task(
            """
            import math
            from orch import task
            cases = {
                "id-bad-char": lambda: task.add_node("a b", run="m.py"),
                "id-empty": lambda: task.add_node("", run="m.py"),
                "id-too-long": lambda: task.add_node("x" * 129, run="m.py"),
                "id-newline": lambda: task.add_node("abc\\n", run="m.py"),
                "id-not-str": lambda: task.add_node(5, run="m.py"),
                "run-empty": lambda: task.add_node("ok", run=""),
                "run-not-str": lambda: task.add_node("ok", run=None),
                "args-str": lambda: task.add_node("ok", run="m.py", args="--x"),
                "args-int": lambda: task.add_node("ok", run="m.py", args=["--n", 2]),
                "params-list": lambda: task.add_node("ok", run="m.py", params=[1]),
                "params-set": lambda: task.add_node("ok", run="m.py", params={"s": {1, 2}}),
                "params-nan": lambda: task.add_node("ok", run="m.py", params={"x": math.nan}),
                "params-int-key": lambda: task.add_node("ok", run="m.py", params={1: 2}),
                "promises-dict": lambda: task.add_node("ok", run="m.py", promises={"nodes": False}),
                "promises-item": lambda: task.add_node("ok", run="m.py", promises=["nodes"]),
                "promises-scope": lambda: task.add_node("ok", run="m.py", promises=[{"scope": "a b"}]),
                "edge-from": lambda: task.add_edge("A!", "B"),
                "edge-to": lambda: task.add_edge("A", None),
                "promise-scope": lambda: task.promise(scope="not a node", nodes=False),
                "promise-scope-type": lambda: task.promise(scope=3, nodes=False),
                "promise-type-key": lambda: task.promise(type="x"),
                "promise-value": lambda: task.promise(nodes=object()),
                "output-both": lambda: task.output({"a": 1}, b=2),
                "output-list": lambda: task.output([1, 2]),
                "output-bytes": lambda: task.output(b=b"bytes"),
                "level": lambda: task.log("x", level="fatal"),
                "level-type": lambda: task.log("x", level=3),
            }
            raised = {}
            for name, call in cases.items():
                try:
                    call()
                except (TypeError, ValueError) as exc:
                    raised[name] = [type(exc).__name__, str(exc)]
                else:
                    raised[name] = None
            circular = {}
            circular["self"] = circular
            try:
                task.output(c=circular)
            except (TypeError, ValueError) as exc:
                raised["circular"] = [type(exc).__name__, str(exc)]
            task.output(raised=raised)
            """
        )
        self.assertOk(r)
        self.assertEqual(len(r.messages), 1, "a rejected call must send nothing")
        raised = r.messages[0]["values"]["raised"]
        not_raised = [name for name, exc in raised.items() if exc is None]
        self.assertEqual(not_raised, [])
        expect_type_error = {"id-not-str", "run-not-str", "args-str", "args-int", "params-list", "params-set",
                             "params-int-key", "promises-dict", "promises-item", "edge-to", "promise-scope-type",
                             "promise-value", "output-both", "output-list", "output-bytes", "level-type"}
        for name, (exc_type, message) in raised.items():
            with self.subTest(case=name):
                self.assertEqual(exc_type, "TypeError" if name in expect_type_error else "ValueError", message)
        self.assertIn("node id", raised["id-bad-char"][1])
        self.assertIn("._:-", raised["id-bad-char"][1])
        self.assertIn("params['s']", raised["params-set"][1])
        self.assertIn("not one of debug, info, warning, error", raised["level"][1])
        self.assertIn("not both", raised["output-both"][1])


if __name__ == "__main__":
    unittest.main()
