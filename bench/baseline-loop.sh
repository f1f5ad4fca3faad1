#!/usr/bin/env bash
# The baseline for the task benchmarks: run SCRIPT N times, one after another,
# with the interpreter orch uses, each fed the start message in START on stdin.
# Run from the workflow directory with PYTHONPATH set to the SDK, as orch does.
# Usage: baseline-loop.sh PYTHON N SCRIPT START_FILE LOG_FILE
set -euo pipefail
py="$1" n="$2" script="$3" start="$4" log="$5"
for ((i = 0; i < n; i++)); do
  "$py" "$script" <"$start" >/dev/null 2>>"$log"
done
