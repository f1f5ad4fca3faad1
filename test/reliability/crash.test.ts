/**
 * Crash test: nothing is lost when the orchestrator dies.
 *
 * A dynamic workflow (a root that adds children under a promise, children that add
 * grandchildren, every task sleeping a random 0–80 ms between messages so kills land
 * at varied moments, commits included) is started and SIGKILLed after a random
 * delay, resumed and killed again up to 3 times, then resumed to completion. The
 * database is then checked directly: the run succeeded, every node succeeded exactly
 * once, every committed mutation is there exactly once, the tables agree with a fold
 * of the event history, the promise held, SQLite is intact and nothing provisional
 * is left.
 *
 * CRASH_RUNS (default 24; `make crash-test` runs 200), CRASH_SEED (default: random,
 * printed) and CRASH_CONCURRENCY (default 3) tune it.
 */
import { existsSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type RunEvent, RunEventSchema } from "../../src/state/events.js";
import { RunState } from "../../src/state/run-state.js";
import { type OrchChild, openReadOnly, type Sandbox, sandbox, seededRandom } from "./helpers.js";

const RUNS = Number(process.env.CRASH_RUNS ?? 24);
const CONCURRENCY = Number(process.env.CRASH_CONCURRENCY ?? 3);
const SEED = Number(process.env.CRASH_SEED ?? Math.floor(Math.random() * 2 ** 31));
/** Most kills land 0–START_WINDOW ms after the run started executing (a whole run takes about 2 s). */
const START_WINDOW_MS = 2_000;
const RESUME_WINDOW_MS = 1_200;
/** The others land 0–STARTUP_WINDOW ms after the process was spawned: maybe before it did anything. */
const EARLY_KILLS = 0.15;
const STARTUP_WINDOW_MS = 1_200;

const CHILDREN = 2;
const GRANDCHILDREN = 2;

const FILES: Record<string, string> = {
  "crash/workflow.json": JSON.stringify(
    {
      name: "crash",
      nodes: [
        { id: "R", run: "root.py", params: { children: CHILDREN } },
        { id: "Z", run: "leaf.py", depends_on: ["R"] },
      ],
      promises: [
        {
          scope: "R",
          nodes: {
            ids: ["C-*", "G-*"],
            run: ["child.py", "leaf.py"],
            max: CHILDREN * (1 + GRANDCHILDREN),
          },
          edges: [
            { from: "$self", to: "$new" },
            { from: "$new", to: "Z" },
          ],
        },
        { scope: "Z", nodes: false, edges: false },
      ],
    },
    null,
    1,
  ),
  "crash/nap.py": "import random, time\n\ndef nap():\n    time.sleep(random.uniform(0, 0.08))\n",
  "crash/root.py": `from orch import task
from nap import nap
nap()
for i in range(task.params["children"]):
    task.add_node(f"C-{i}", run="child.py", params={"i": i})
    nap()
    task.add_edge(task.node_id, f"C-{i}")
    task.add_edge(f"C-{i}", "Z")
    nap()
task.output(children=task.params["children"])
`,
  "crash/child.py": `from orch import task
from nap import nap
nap()
i = task.params["i"]
for j in range(${GRANDCHILDREN}):
    task.add_node(f"G-{i}-{j}", run="leaf.py")
    task.add_edge(task.node_id, f"G-{i}-{j}")
    nap()
    task.add_edge(f"G-{i}-{j}", "Z")
task.output(i=i)
`,
  "crash/leaf.py": "from orch import task\nfrom nap import nap\nnap()\ntask.output(ok=True)\n",
};

/** The graph every run must end with: node → creator, and edges `from>to` → creator. */
const expectedGraph = () => {
  const nodes = new Map<string, string | null>([
    ["R", null],
    ["Z", null],
  ]);
  const edges = new Map<string, string | null>([["R>Z", null]]);
  for (let i = 0; i < CHILDREN; i++) {
    nodes.set(`C-${i}`, "R");
    edges.set(`R>C-${i}`, "R");
    edges.set(`C-${i}>Z`, "R");
    for (let j = 0; j < GRANDCHILDREN; j++) {
      nodes.set(`G-${i}-${j}`, `C-${i}`);
      edges.set(`C-${i}>G-${i}-${j}`, `C-${i}`);
      edges.set(`G-${i}-${j}>Z`, `C-${i}`);
    }
  }
  return { nodes, edges };
};

interface Iteration {
  readonly index: number;
  /** Processes SIGKILLed in this iteration. */
  kills: number;
  /** Kills that landed before the run was registered (start was simply run again). */
  killedBeforeRegistration: number;
  /** Commands that ran to the end on their own before their kill was due. */
  completedEarly: number;
  /** Attempts recorded as lost, summed over nodes. */
  lostAttempts: number;
  readonly log: string[];
}

/**
 * SIGKILL `child` at a random moment unless it ends first: usually `ms` after it
 * printed `marker` (the run is registered and executing), sometimes (`early`) `ms`
 * after it was spawned, which may be before it got anywhere. Says whether the
 * kill is what ended it.
 */
const killAt = async (
  child: OrchChild,
  marker: RegExp,
  ms: number,
  early: boolean,
): Promise<{ killed: boolean; exitCode: number; stderr: string }> => {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    timer ??= setTimeout(() => child.kill("SIGKILL"), ms);
  };
  if (early) arm();
  else {
    let seen = "";
    child.stdout?.on("data", (chunk: Buffer) => {
      seen += chunk.toString();
      if (marker.test(seen)) arm();
    });
  }
  const result = await child;
  clearTimeout(timer);
  return {
    killed: result.signal === "SIGKILL",
    exitCode: result.exitCode ?? -1,
    stderr: String(result.stderr),
  };
};

const runRow = (
  db: string,
  runId: string,
): { status: string; owner_pid: number | null } | undefined => {
  if (!existsSync(db)) return undefined;
  const conn = openReadOnly(db);
  try {
    const hasRuns = conn
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'runs'")
      .get();
    if (!hasRuns) return undefined;
    return conn.prepare("SELECT status, owner_pid FROM runs WHERE id = ?").get(runId) as
      | { status: string; owner_pid: number | null }
      | undefined;
  } finally {
    conn.close();
  }
};

/** One start → kill → (resume → kill)* → resume cycle. */
const crashIteration = async (
  workflowFile: string,
  index: number,
  random: () => number,
): Promise<Iteration> => {
  const sb: Sandbox = sandbox("orch-crash-");
  const rec: Iteration = {
    index,
    kills: 0,
    killedBeforeRegistration: 0,
    completedEarly: 0,
    lostAttempts: 0,
    log: [],
  };
  const runId = `crash-${index}`;
  try {
    let done = false;
    // orch start, killed at a random moment; killed before it registered the run: start again.
    for (;;) {
      const early = random() < EARLY_KILLS;
      const delay = Math.floor(random() * (early ? STARTUP_WINDOW_MS : START_WINDOW_MS));
      const child = sb.spawn("start", workflowFile, "--run-id", runId);
      const result = await killAt(child, /run \S+ started/, delay, early);
      rec.log.push(
        `start kill@${early ? "spawn" : "started"}+${delay}ms: ${result.killed ? "killed" : `exit ${result.exitCode}`}`,
      );
      if (!result.killed) {
        expect(result.exitCode, `start ended on its own: ${result.stderr}`).toBe(0);
        rec.completedEarly += 1;
        done = true;
        break;
      }
      rec.kills += 1;
      if (runRow(sb.db, runId) !== undefined) break;
      rec.killedBeforeRegistration += 1;
    }
    // orch resume, itself killed 0–3 times.
    const resumeKills = Math.floor(random() * 4);
    for (let k = 0; k < resumeKills && !done; k++) {
      if (runRow(sb.db, runId)?.status === "succeeded") {
        done = true; // the kill landed after the run's end was committed
        break;
      }
      const early = random() < EARLY_KILLS;
      const delay = Math.floor(random() * (early ? STARTUP_WINDOW_MS : RESUME_WINDOW_MS));
      const result = await killAt(sb.spawn("resume", runId), /run \S+ resumed/, delay, early);
      rec.log.push(
        `resume kill@${early ? "spawn" : "resumed"}+${delay}ms: ${result.killed ? "killed" : `exit ${result.exitCode}`}`,
      );
      if (result.killed) {
        rec.kills += 1;
      } else {
        expect(result.exitCode, `resume ended on its own: ${result.stderr}`).toBe(0);
        rec.completedEarly += 1;
        done = true;
      }
    }
    if (!done && runRow(sb.db, runId)?.status !== "succeeded") {
      const result = await sb.orch("resume", runId);
      rec.log.push(`final resume: exit ${result.exitCode}`);
      expect(result.exitCode, `final resume: ${result.stderr}`).toBe(0);
      expect(result.stderr).toBe("");
    }
    rec.lostAttempts = verifyRun(sb.db, runId);
    sb.remove();
    return rec;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(
      `crash run ${index} (CRASH_SEED=${SEED}; database kept at ${sb.db}): ${message}\n  ${rec.log.join("\n  ")}`,
    );
  }
};

interface NodeRow {
  id: string;
  status: string;
  attempts: number;
  created_by: string | null;
  run: string;
  outputs: string | null;
}
interface EdgeRow {
  from_id: string;
  to_id: string;
  created_by: string | null;
}
interface AttemptRow {
  node_id: string;
  attempt: number;
  status: string;
  started_at: string;
  finished_at: string | null;
  reason: string | null;
}

/** Every check made straight against SQLite once the run is over; returns the number of lost attempts. */
const verifyRun = (db: string, runId: string): number => {
  const conn = openReadOnly(db);
  try {
    expect(conn.pragma("integrity_check", { simple: true })).toBe("ok");

    const run = conn
      .prepare("SELECT status, reason, heartbeat_at FROM runs WHERE id = ?")
      .get(runId) as {
      status: string;
      reason: string | null;
      heartbeat_at: string | null;
    };
    expect(run.status).toBe("succeeded");
    // Released: no process claims to be executing it (the last owner's pid is kept).
    expect(run.heartbeat_at).toBeNull();

    expect(conn.prepare("SELECT COUNT(*) AS n FROM staged").get()).toEqual({ n: 0 });

    const nodes = conn
      .prepare("SELECT id, status, attempts, created_by, run, outputs FROM nodes WHERE run_id = ?")
      .all(runId) as NodeRow[];
    const edges = conn
      .prepare("SELECT from_id, to_id, created_by FROM edges WHERE run_id = ?")
      .all(runId) as EdgeRow[];
    const attempts = conn
      .prepare(
        "SELECT node_id, attempt, status, started_at, finished_at, reason FROM attempts WHERE run_id = ? ORDER BY node_id, attempt",
      )
      .all(runId) as AttemptRow[];
    const events = (
      conn.prepare("SELECT payload FROM events WHERE run_id = ? ORDER BY seq").all(runId) as {
        payload: string;
      }[]
    ).map((row) => RunEventSchema.parse(JSON.parse(row.payload)) as RunEvent);

    // The final graph is exactly the one the tasks build, each mutation by its author.
    const expected = expectedGraph();
    expect(new Map(nodes.map((n) => [n.id, n.created_by]))).toEqual(expected.nodes);
    expect(new Map(edges.map((e) => [`${e.from_id}>${e.to_id}`, e.created_by]))).toEqual(
      expected.edges,
    );
    for (const node of nodes) {
      expect(node.status, node.id).toBe("succeeded");
      expect(node.outputs, `${node.id} has its outputs`).not.toBeNull();
    }

    // Every committed mutation is in the history exactly once; every node succeeded once.
    const count = (key: (e: RunEvent) => string | null) => {
      const counts = new Map<string, number>();
      for (const event of events) {
        const k = key(event);
        if (k !== null) counts.set(k, (counts.get(k) ?? 0) + 1);
      }
      return counts;
    };
    const once = (counts: Map<string, number>, what: string) => {
      for (const [k, n] of counts)
        expect(n, `${what} ${k} appears ${n} times in the history`).toBe(1);
    };
    const nodeAdds = count((e) => (e.type === "node_added" ? e.id : null));
    const edgeAdds = count((e) => (e.type === "edge_added" ? `${e.from}>${e.to}` : null));
    once(nodeAdds, "node_added");
    once(edgeAdds, "edge_added");
    expect(nodeAdds.size).toBe(expected.nodes.size);
    expect(edgeAdds.size).toBe(expected.edges.size);
    once(
      count((e) => (e.type === "node_status" && e.status === "succeeded" ? e.id : null)),
      "success of",
    );
    once(
      count((e) => (e.type === "output" ? e.id : null)),
      "output of",
    );
    const promisesMade = events.filter((e) => e.type === "promise_made");
    expect(promisesMade).toHaveLength(2);

    // The projections are the fold of the history.
    const state = RunState.replay(events);
    expect(state.status).toBe("succeeded");
    const folded = [...state.graph.nodes()].map((n) => ({
      id: n.id,
      status: n.status,
      attempts: n.attempts,
      created_by: n.createdBy,
      run: n.run,
      provisional: n.provisional,
    }));
    expect(folded.every((n) => !n.provisional)).toBe(true);
    expect(new Map(folded.map(({ provisional: _, ...n }) => [n.id, n]))).toEqual(
      new Map(nodes.map(({ outputs: _, ...n }) => [n.id, n])),
    );
    expect(
      new Set([...state.graph.edges()].map((e) => `${e.from}>${e.to}>${e.createdBy}`)),
    ).toEqual(new Set(edges.map((e) => `${e.from_id}>${e.to_id}>${e.created_by}`)));
    for (const node of nodes) {
      expect(state.outputs.get(node.id), `${node.id}'s folded outputs`).toEqual(
        JSON.parse(node.outputs!),
      );
    }

    // Attempts: numbered 1..n per node, exactly one succeeded (the last), the others lost
    // to the orchestrator's death, none left running; the node's attempt count agrees.
    const byNode = new Map<string, AttemptRow[]>();
    for (const a of attempts) byNode.set(a.node_id, [...(byNode.get(a.node_id) ?? []), a]);
    let lost = 0;
    for (const node of nodes) {
      const rows = byNode.get(node.id) ?? [];
      expect(
        rows.map((a) => a.attempt),
        node.id,
      ).toEqual(rows.map((_, i) => i + 1));
      expect(
        rows.filter((a) => a.status === "succeeded"),
        `${node.id}: succeeded attempts`,
      ).toHaveLength(1);
      expect(rows.at(-1)?.status, node.id).toBe("succeeded");
      expect(node.attempts, node.id).toBe(rows.length);
      for (const a of rows.slice(0, -1)) {
        expect(a.status, `${node.id} attempt ${a.attempt}`).toBe("lost");
        expect(a.reason, `${node.id} attempt ${a.attempt}`).toMatch(
          /^lost: the orchestrator stopped while it ran$/,
        );
        expect(a.finished_at, `${node.id} attempt ${a.attempt}`).not.toBeNull();
        lost += 1;
      }
    }
    expect([...byNode.keys()].every((id) => expected.nodes.has(id))).toBe(true);

    // Order held across restarts: no attempt of a node started before every
    // predecessor had succeeded.
    const succeededAt = new Map(
      attempts.filter((a) => a.status === "succeeded").map((a) => [a.node_id, a.finished_at!]),
    );
    for (const edge of edges) {
      for (const a of byNode.get(edge.to_id) ?? []) {
        expect(
          a.started_at >= succeededAt.get(edge.from_id)!,
          `${edge.to_id} attempt ${a.attempt} started before ${edge.from_id} succeeded`,
        ).toBe(true);
      }
    }

    // The promise held, checked on the final graph itself: R's scope (R and what it
    // created, transitively) added only C-*/G-* nodes running child.py/leaf.py, at
    // most the max, and only edges $self -> $new or $new -> Z; Z added nothing.
    const scope = new Set(["R"]);
    for (let grew = true; grew; ) {
      grew = false;
      for (const n of nodes) {
        if (n.created_by !== null && scope.has(n.created_by) && !scope.has(n.id)) {
          scope.add(n.id);
          grew = true;
        }
      }
    }
    const added = nodes.filter((n) => n.created_by !== null && scope.has(n.created_by));
    expect(added.length).toBeLessThanOrEqual(CHILDREN * (1 + GRANDCHILDREN));
    for (const n of added) {
      expect(n.id).toMatch(/^(C|G)-/);
      expect(["child.py", "leaf.py"]).toContain(n.run);
    }
    const isNew = (id: string) => added.some((n) => n.id === id);
    for (const e of edges.filter((e) => e.created_by !== null && scope.has(e.created_by))) {
      const selfToNew = e.from_id === e.created_by && isNew(e.to_id);
      const newToZ = isNew(e.from_id) && e.to_id === "Z";
      expect(selfToNew || newToZ, `edge ${e.from_id} -> ${e.to_id} by ${e.created_by}`).toBe(true);
    }
    expect(nodes.filter((n) => n.created_by === "Z")).toEqual([]);
    expect(edges.filter((e) => e.created_by === "Z")).toEqual([]);
    return lost;
  } finally {
    conn.close();
  }
};

describe("crash test: SIGKILL orch at random moments, then resume", () => {
  let fixture: Sandbox;
  let workflowFile: string;
  beforeAll(() => {
    fixture = sandbox("orch-crash-fixture-");
    workflowFile = fixture.write(FILES);
  });
  afterAll(() => fixture.remove());

  it(
    `${RUNS} runs end with every committed mutation exactly once and every node succeeded once`,
    async () => {
      const random = seededRandom(SEED);
      // Draw every iteration's seed up front, so each run's kills replay from CRASH_SEED.
      const seeds = Array.from({ length: RUNS }, () => Math.floor(random() * 2 ** 31));
      const results: Iteration[] = [];
      let next = 0;
      const worker = async () => {
        while (next < RUNS) {
          const index = next++;
          results.push(await crashIteration(workflowFile, index, seededRandom(seeds[index]!)));
          await sleep(0);
        }
      };
      await Promise.all(Array.from({ length: Math.max(1, CONCURRENCY) }, worker));
      const total = (
        key: "kills" | "killedBeforeRegistration" | "completedEarly" | "lostAttempts",
      ) => results.reduce((n, r) => n + r[key], 0);
      console.log(
        `crash test (CRASH_SEED=${SEED}): ${results.length} runs, ${total("kills")} SIGKILLs ` +
          `(${total("killedBeforeRegistration")} before registration), ${total("lostAttempts")} lost attempts re-run, ` +
          `${total("completedEarly")} commands finished before their kill`,
      );
      expect(results).toHaveLength(RUNS);
      expect(total("kills")).toBeGreaterThan(0);
    },
    Math.max(170_000, RUNS * 12_000),
  );
});
