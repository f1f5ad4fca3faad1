"""bench: add `n` nodes M-0..M-(n-1), each with an edge from this node (and,
when `params.collector` names a node, an edge from it to that node), inside the
random-map `shape` promise the workflow makes for this node's scope.

Run with stdout on /dev/null it measures the emission cost alone.
"""

from orch import task

n = int(task.params["n"])
run = task.params.get("run", "tasks/hello.py")
collector = task.params.get("collector")
me = task.node_id
for i in range(n):
    node = f"M-{i}"
    task.add_node(node, run=run, params={"i": i})
    task.add_edge(me, node)
    if collector:
        task.add_edge(node, collector)
task.output(added=n)
