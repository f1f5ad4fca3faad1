import { request } from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { fixture, writeFiles } from "../cli/helpers.js";
import { type TestDaemon, testDaemon, waitFor } from "./helpers.js";

let t: TestDaemon;
beforeAll(async () => {
  t = await testDaemon();
});
afterAll(async () => {
  await t.daemon.stop("the test ended");
});

const RunsSchema = z.array(
  z.object({ id: z.string(), status: z.string(), counts: z.record(z.string(), z.number()) }),
);

const submit = (body: unknown) =>
  t.call("/api/runs", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  });

const finished = (runId: string) =>
  waitFor(async () => {
    const doc = z
      .object({ run: z.object({ status: z.string() }) })
      .parse(await (await t.call(`/api/runs/${runId}`)).json());
    return doc.run.status === "running" ? undefined : doc.run.status;
  });

/** A raw GET with a chosen Host header (fetch does not let one set it). */
const withHost = (host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    const req = request(
      `${t.url}/api/runs`,
      { headers: { host, authorization: `Bearer ${t.daemon.token}` } },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });

describe("the daemon's HTTP API", () => {
  it("runs a submitted workflow and answers as orch runs/status/graph do", async () => {
    const created = await submit({ workflow: fixture("diamond"), run_id: "api-1" });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ run_id: "api-1", name: "diamond" });
    expect(await finished("api-1")).toBe("succeeded");

    const runs = RunsSchema.parse(await (await t.call("/api/runs")).json());
    expect(runs.find((r) => r.id === "api-1")).toMatchObject({
      status: "succeeded",
      counts: { succeeded: 4 },
    });

    const doc = z
      .object({ nodes: z.array(z.object({ id: z.string(), status: z.string() })) })
      .parse(await (await t.call("/api/runs/api-1")).json());
    expect(doc.nodes.map((n) => `${n.id}:${n.status}`)).toEqual([
      "start:succeeded",
      "left:succeeded",
      "right:succeeded",
      "end:succeeded",
    ]);

    const envelope = z
      .object({ format: z.string(), stats: z.object({ nodes: z.number() }) })
      .parse(await (await t.call("/api/runs/api-1/envelope")).json());
    expect(envelope).toMatchObject({ format: "orch-envelope/1", stats: { nodes: 4 } });
    const before = z
      .object({ stats: z.object({ nodes: z.number() }) })
      .parse(await (await t.call("/api/runs/api-1/envelope?at=1")).json());
    expect(before.stats.nodes).toBe(1);
    const svg = await t.call("/api/runs/api-1/envelope?format=svg");
    expect(svg.headers.get("content-type")).toContain("image/svg+xml");
    expect(await svg.text()).toContain("<title>left</title>");

    const log = await (await t.call("/api/runs/api-1/nodes/left/log")).text();
    expect(log).toContain("== left attempt 1 (succeeded) ==");
    expect(log).toContain("left: done");
  });

  it("streams a run's events from Last-Event-ID on", async () => {
    const created = await submit({ workflow: fixture("diamond"), run_id: "api-sse" });
    expect(created.status).toBe(201);
    await finished("api-sse");
    const controller = new AbortController();
    const response = await t.call("/api/runs/api-sse/events", {
      headers: { "last-event-id": "0" },
      signal: controller.signal,
    });
    expect(response.headers.get("content-type")).toContain("text/event-stream");
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes('event: run_status\ndata: {"type":"run_status","status":"succeeded"')) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
    }
    controller.abort();
    const frames = text.split("\n\n").filter((f) => f.trim() !== "");
    const ids = frames.map((f) => Number(/^id: (\d+)$/m.exec(f)?.[1]));
    expect(ids.every((id, i) => i === 0 || id > ids[i - 1]!)).toBe(true);
    expect(frames[0]).toMatch(/^event: node_added$/m);
    const data = JSON.parse(/^data: (.*)$/m.exec(frames[0]!)![1]!);
    expect(data).toMatchObject({ type: "node_added", id: "start" });

    // From an id on: only the later events.
    const later = new AbortController();
    const resumed = await t.call("/api/runs/api-sse/events", {
      headers: { "last-event-id": String(ids[ids.length - 2]) },
      signal: later.signal,
    });
    const reader2 = resumed.body!.pipeThrough(new TextDecoderStream()).getReader();
    let tail = "";
    while (!tail.includes("run_status")) tail += (await reader2.read()).value ?? "";
    later.abort();
    expect(tail.match(/^id: /gm)).toHaveLength(1);
    expect(tail).toContain(`id: ${ids[ids.length - 1]}`);
  });

  it("wants the token on every API request, not on the page shell", async () => {
    expect((await t.call("/api/runs", { auth: false })).status).toBe(401);
    expect(
      (await t.call("/api/runs", { headers: { authorization: "Bearer nope" }, auth: false }))
        .status,
    ).toBe(401);
    const shell = await t.call("/", { auth: false });
    expect(shell.status).toBe(200);
    expect(await shell.text()).toContain("/assets/app.js");
    expect((await t.call("/assets/app.js", { auth: false })).status).toBe(200);
  });

  it("sets an HttpOnly, SameSite=Strict cookie from the printed address, which then works", async () => {
    const opened = await t.call(`/?token=${t.daemon.token}`, { auth: false, redirect: "manual" });
    const cookie = opened.headers.get("set-cookie") ?? "";
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Strict/i);
    const pair = cookie.split(";")[0]!;
    expect((await t.call("/api/runs", { auth: false, headers: { cookie: pair } })).status).toBe(
      200,
    );
  });

  it("refuses a Host that is not its own address (DNS rebinding)", async () => {
    const port = new URL(t.url).port;
    expect(await withHost(`evil.example:${port}`)).toBe(403);
    expect(await withHost(`127.0.0.1:${port}`)).toBe(200);
    expect(await withHost(`localhost:${port}`)).toBe(200);
  });

  it("says 400, 404 and 409 where it should, with the reason", async () => {
    const missing = await t.call("/api/runs/nope");
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: "no run nope" });
    expect((await t.call("/api/runs/api-1/nodes/nope/log")).status).toBe(404);
    expect((await t.call("/api/runs/api-1/envelope?at=yesterday-ish")).status).toBe(400);

    const bad = await submit({ workflwo: "x.json" });
    expect(bad.status).toBe(400);
    expect(JSON.stringify(await bad.json())).toContain("workflwo");
    const invalid = writeFiles(t.dir, { "bad.json": '{"name": "x", "nodes": []}' });
    const refused = await submit({ workflow: invalid });
    expect(refused.status).toBe(400);
    expect(JSON.stringify(await refused.json())).toContain("bad.json");
    const notJson = await t.call("/api/runs", { method: "POST", body: "{" });
    expect(notJson.status).toBe(400);

    const twice = await submit({ workflow: fixture("diamond"), run_id: "api-1" });
    expect(twice.status).toBe(409);
    const ended = await t.call("/api/runs/api-1/resume", { method: "POST" });
    expect(ended.status).toBe(409);
    expect(JSON.stringify(await ended.json())).toContain("has ended (succeeded)");
    const noAnswer = await t.call("/api/runs/api-1/nodes/left/answer", {
      method: "POST",
      body: "[]",
    });
    expect(noAnswer.status).toBe(400);
  });
});
