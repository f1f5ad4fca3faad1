#!/usr/bin/env bash
# The baseline for the executor benchmarks: run COMMAND (e.g. `podman run -i … python3
# -u tasks/hello.py` or `srun … python3 -u tasks/hello.py`) N times, one after another,
# each fed the start message in START on stdin, as a person would by hand.
# Usage: baseline-command-loop.sh N START_FILE LOG_FILE COMMAND...
set -euo pipefail
n="$1" start="$2" log="$3"
shift 3
for ((i = 0; i < n; i++)); do
  "$@" <"$start" >/dev/null 2>>"$log"
done
