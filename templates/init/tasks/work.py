"""work: one item of the plan; replace the body with real work."""

from orch import task

item = task.params.get("item")
print(f"working on {item!r}")  # print() goes to the task's log: see `orch logs RUN work-1`
task.output(item=item, length=len(str(item)))
