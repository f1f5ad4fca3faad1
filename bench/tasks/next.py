"""bench: one link of a dynamic chain. Node d-k adds d-(k+1) (running this
script) and the edge d-k -> d-(k+1), until `params.n` nodes exist."""

from orch import task

n = int(task.params["n"])
k = int(task.node_id.rsplit("-", 1)[1])
if k + 1 < n:
    nxt = f"d-{k + 1}"
    task.add_node(nxt, run="tasks/next.py", params={"n": n})
    task.add_edge(task.node_id, nxt)
task.output(k=k)
