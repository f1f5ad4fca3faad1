"""plan: add one `work-N` node per item, each between plan and report.

The workflow promises that plan adds only `work-*` nodes running tasks/work.py,
so `orch graph workflow.json` can draw every graph the run may become.
"""

from orch import task

items = task.params.get("items", [])
for n, item in enumerate(items, start=1):
    task.add_node(f"work-{n}", run="tasks/work.py", params={"item": item})
    task.add_edge(task.node_id, f"work-{n}")
    task.add_edge(f"work-{n}", "report")
task.log(f"planned {len(items)} work node(s)")
task.output(planned=len(items))
