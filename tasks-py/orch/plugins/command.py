"""Built-in ``command``: run an argument list without a shell; its stdout is the output."""

import logging
import subprocess

TASK_TYPE = "command"
DESCRIPTION = "Runs a command (an argument list, no shell); its stdout becomes the output"
VERSION = "1.0"
REQUIRED_FIELDS = ["argv"]
PARAM_SCHEMA = {
    "type": "object",
    "properties": {
        "argv": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    },
}


def run(task):
    completed = subprocess.run(
        task["argv"], capture_output=True, text=True, timeout=task.get("timeout"), check=False
    )
    if completed.stderr:
        logging.info("%s", completed.stderr.rstrip("\n"))
    if completed.returncode != 0:
        logging.error("%s exited with status %d", task["argv"][0], completed.returncode)
        return False
    task["output"] = completed.stdout
    return True
