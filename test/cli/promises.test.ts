import { describe, expect, it } from "vitest";
import { fixture, nodeStatus, type Status, sandbox, status } from "./helpers.js";

type Dag = { nodes: string[]; edges: string[] };

const dagOf = (s: Status): Dag => ({
  nodes: s.nodes.map((n) => n.id).sort(),
  edges: s.edges.map((e) => `${e.from}->${e.to}`).sort(),
});

const sameDag = (a: Dag, b: Dag): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Run a fixture `times` times, two at a time, and return every final DAG read back from the database. */
const runMany = async (name: string, times: number): Promise<Status[]> => {
  const { orch } = sandbox();
  const finals: Status[] = [];
  const one = async (i: number) => {
    const id = `${name}-${i}`;
    const result = await orch("start", fixture(name), "--run-id", id);
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    finals.push(await status(orch, id));
  };
  for (let i = 0; i < times; i += 2) await Promise.all([one(i), one(i + 1)]);
  return finals;
};

// Ninety real runs: generous timeouts, as the suite shares two cores with other files.
describe("the three must-have use cases of seed 004, 30 runs each", { timeout: 240_000 }, () => {
  it("pre-determined: the same final DAG on every run", async () => {
    const finals = await runMany("static", 30);
    const expected: Dag = {
      nodes: ["prepare", "report", "x", "y"],
      edges: ["prepare->x", "prepare->y", "x->report", "y->report"],
    };
    for (const s of finals) {
      expect(s.run.status).toBe("succeeded");
      expect(dagOf(s)).toEqual(expected);
    }
  });

  it("random branch: the final DAG is always A or B, and both occur", async () => {
    const finals = await runMany("branch", 30);
    const common = ["choose->end", "start->choose"];
    const a: Dag = {
      nodes: ["a", "choose", "end", "start"],
      edges: [...common, "a->end", "choose->a"].sort(),
    };
    const b: Dag = {
      nodes: ["b1", "b2", "choose", "end", "start"],
      edges: [...common, "b1->b2", "b2->end", "choose->b1"].sort(),
    };
    const seen = new Set<string>();
    for (const s of finals) {
      const dag = dagOf(s);
      const which = sameDag(dag, a) ? "a" : sameDag(dag, b) ? "b" : null;
      expect(which, JSON.stringify(dag)).not.toBeNull();
      seen.add(which!);
    }
    expect([...seen].sort()).toEqual(["a", "b"]);
  });

  it("random map: the final DAG is always A -> M* -> B, with several widths, 0 among them", async () => {
    const finals = await runMany("map", 30);
    const widths = new Set<number>();
    for (const s of finals) {
      const dag = dagOf(s);
      const ms = dag.nodes.filter((id) => id.startsWith("M-"));
      const expected: Dag = {
        nodes: ["A", "B", ...ms].sort(),
        edges: ["A->B", ...ms.flatMap((m) => [`A->${m}`, `${m}->B`])].sort(),
      };
      expect(dag).toEqual(expected);
      expect(ms.sort()).toEqual(ms.map((_, i) => `M-${i + 1}`).sort());
      widths.add(ms.length);
    }
    expect(widths.has(0)).toBe(true);
    expect(widths.size).toBeGreaterThanOrEqual(3);
  });
});

const BREAKERS: Record<string, RegExp> = {
  "nodes-false": /rule nodes broken by breaker added node/,
  "edges-false": /rule edges broken by breaker added edge x -> y/,
  "nodes-ids": /rule nodes\.ids broken by breaker added node bad-1/,
  "nodes-run": /rule nodes\.run broken by breaker added node m-2/,
  "nodes-max": /rule nodes\.max broken by breaker added node n3/,
  "edges-patterns": /rule edges broken by breaker added edge n1 -> after/,
  "no-edges-from": /rule no_edges_from broken by breaker added edge x -> y/,
  "no-edges-to": /rule no_edges_to broken by breaker added edge n1 -> after/,
  shape: /rule shape broken by breaker added node b1/,
  "shape-final": /rule shape broken/,
  "runtime-promise":
    /made by breaker \(message line \d+\).* rule nodes broken by breaker added node/,
  "already-broken": /made by breaker \(message line \d+\).* rule nodes\.max broken/,
  "slot-promise":
    /promises\[0\]\.shape\.one_of\[0\]\.nodes\[0\]\.promises\[0\], scope b\) rule shape broken by breaker added node b .*edge b -> first needs 1 edge\(s\).*first has already started/,
};

describe("a broken promise terminates the run", () => {
  for (const [name, reason] of Object.entries(BREAKERS)) {
    it(`${name}: terminated, exit 3, the reason names the rule, the breaker killed, nothing after it ran`, async () => {
      const { orch } = sandbox();
      const result = await orch("start", fixture(`breakers/${name}`), "--run-id", "b");
      expect(result.exitCode, result.stdout + result.stderr).toBe(3);
      const s = await status(orch, "b");
      expect(s.run.status).toBe("terminated");
      expect(s.run.reason).toMatch(reason);
      expect(result.stdout).toMatch(reason);
      const st = nodeStatus(s);
      expect(st.after).toBe("cancelled");
      expect(s.nodes.find((n) => n.id === "after")?.attempts).toBe(0);
      if (name !== "shape-final") {
        expect(st.breaker).toBe("failed");
        expect(s.nodes.find((n) => n.id === "breaker")?.reason).toMatch(/^killed: promise #\d+/);
        // The breaker sleeps after breaking: it was killed, not awaited.
        const raw = JSON.parse((await orch("status", "b", "--json")).stdout) as {
          nodes: { id: string; history: { signal: string | null }[] }[];
        };
        expect(raw.nodes.find((n) => n.id === "breaker")!.history[0]!.signal).toBe("SIGKILL");
        // Nothing the breaker added was committed.
        expect(s.nodes.every((n) => n.created_by === null)).toBe(true);
        expect(s.edges.every((e) => e.created_by === null)).toBe(true);
      }
    });
  }
});

describe("a shape promise that requires edges into a node holds that node back", () => {
  it("forgotten edges: `after` never starts, the run is terminated (exit 3) naming the missing edges", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("breakers/forgotten-edge"), "--run-id", "f");
    expect(result.exitCode, result.stdout + result.stderr).toBe(3);
    const s = await status(orch, "f");
    expect(s.run.status).toBe("terminated");
    for (let i = 0; i < 7; i++) expect(s.run.reason).toContain(`process-${i} -> after`);
    expect(s.run.reason).toMatch(/edge process-\* -> after: the scope added 0 of the 7 edge\(s\)/);
    const st = nodeStatus(s);
    expect(st.breaker).toBe("succeeded");
    for (let i = 0; i < 7; i++) expect(st[`process-${i}`]).toBe("succeeded");
    expect(st.after).toBe("cancelled");
    expect(s.nodes.find((n) => n.id === "after")?.attempts).toBe(0);
  });

  it("a correct map still runs: B starts only after every M-i has succeeded", async () => {
    const { orch } = sandbox();
    const result = await orch("start", fixture("map"), "--run-id", "m");
    expect(result.exitCode, result.stdout + result.stderr).toBe(0);
    const st = nodeStatus(await status(orch, "m"));
    expect(Object.values(st).every((v) => v === "succeeded")).toBe(true);
    const order = [...result.stdout.matchAll(/ succeeded\s+(\S+) {2}\(attempt/g)].map((m) => m[1]);
    expect(order.at(-1), result.stdout).toBe("B");
  });
});

describe("nested and recursive shapes, promised once in the file", () => {
  for (const [name, last] of [
    ["nested-map", "B"],
    ["recursive-split", "join"],
  ] as const) {
    it(`${name}: runs under its slot promises, ${last} last`, async () => {
      const { orch } = sandbox();
      const result = await orch("start", fixture(name), "--run-id", "n");
      expect(result.exitCode, result.stdout + result.stderr).toBe(0);
      const st = nodeStatus(await status(orch, "n"));
      expect(Object.values(st).every((v) => v === "succeeded")).toBe(true);
      const order = [...result.stdout.matchAll(/ succeeded\s+(\S+) {2}\(attempt/g)].map(
        (m) => m[1],
      );
      expect(order.at(-1), result.stdout).toBe(last);
    });
  }
});
