"""report: runs once every work node has finished."""

from orch import task

task.log("every work node has finished")
task.output(done=True)
