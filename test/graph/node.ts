/** A node as `Graph.addNode` takes it, running `t.py`. */
export const node = (id: string, createdBy: string | null = null) => ({
  id,
  run: "t.py",
  args: [],
  params: {},
  createdBy,
});
