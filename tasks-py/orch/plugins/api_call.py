"""Built-in ``api_call``: an HTTP request whose 2xx JSON response becomes the output."""

import json
import logging
import urllib.error
import urllib.request

TASK_TYPE = "api_call"
DESCRIPTION = "Makes an HTTP request; a 2xx JSON response becomes the output"
VERSION = "1.0"
REQUIRED_FIELDS = ["url"]
PARAM_SCHEMA = {
    "type": "object",
    "properties": {
        "method": {"type": "string", "enum": ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"]},
        "url": {"type": "string", "pattern": "^https?://"},
        "headers": {"type": "object", "additionalProperties": {"type": "string"}},
        "json": {},
        "timeout": {"type": "number", "exclusiveMinimum": 0},
    },
}

#: How much of a failed response's body the error shows.
EXCERPT = 500


def run(task):
    method = task.get("method", "GET").upper()
    headers = dict(task.get("headers", {}))
    body = None
    if "json" in task:
        body = json.dumps(task["json"]).encode("utf-8")
        headers.setdefault("Content-Type", "application/json")
    request = urllib.request.Request(task["url"], data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=task.get("timeout", 30)) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    text = raw.decode("utf-8", "replace")
    if not 200 <= status < 300:
        raise RuntimeError(f"{method} {task['url']} answered {status}: {text[:EXCERPT]}")
    try:
        task["output"] = json.loads(text) if text.strip() else None
    except ValueError:
        raise RuntimeError(f"{method} {task['url']} answered {status} with a body that is not JSON: {text[:EXCERPT]}") from None
    logging.info("%s %s answered %d", method, task["url"], status)
    return True
