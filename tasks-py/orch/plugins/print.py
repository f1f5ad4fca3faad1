"""Built-in ``print``: write a message to the node's log."""

import logging

TASK_TYPE = "print"
DESCRIPTION = "Prints a message to the log"
VERSION = "1.0"
REQUIRED_FIELDS = ["message"]
PARAM_SCHEMA = {"type": "object", "properties": {"message": {"type": "string"}}}


def run(task):
    logging.info("[PRINT] %s", task["message"])
    return True
