import { timingSafeEqual } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { type Context, Hono } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { streamSSE } from "hono/streaming";
import { envelopeOfRun, parseHistoryBound } from "../envelope/of-run.js";
import { attemptLogs, formatAttemptLogs } from "../log/node-log.js";
import { PACKAGE_ROOT } from "../package-root.js";
import { toEnvelopeJson } from "../render/json.js";
import { toSvg } from "../render/svg.js";
import { runListEntry } from "../store/runs.js";
import type { Store } from "../store/store.js";
import { errorMessage } from "../util/error-message.js";
import { pageShell } from "./page.js";
import type { ControlResult, RunControl } from "./run-control.js";
import type { RunPool } from "./run-pool.js";
import { SubmitRequestSchema, submitRun } from "./submit.js";

export interface ApiOptions {
  readonly store: Store;
  readonly pool: RunPool;
  readonly control: RunControl;
  readonly token: string;
  /** The `Host` values the daemon answers to (its own address); others are refused. */
  readonly hosts: () => readonly string[];
  /** How often the events stream looks for new events. */
  readonly pollMs?: number;
}

export const TOKEN_COOKIE = "orch_token";
/** The page's script, bundled from src/web by `npm run build`. */
const WEB_BUNDLE = join(PACKAGE_ROOT, "dist", "web", "app.js");

const sameToken = (given: string | undefined, token: string): boolean => {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(token);
  return a.length === b.length && timingSafeEqual(a, b);
};

const problem = (c: Context, status: 400 | 401 | 403 | 404 | 409, message: string) =>
  c.json({ error: message }, status);

/** The daemon's HTTP API and web page. */
export const createApi = (options: ApiOptions): Hono => {
  const { store, pool, control, token } = options;
  const pollMs = options.pollMs ?? 200;
  const app = new Hono();

  app.onError((error, c) => c.json({ error: `internal error: ${errorMessage(error)}` }, 500));

  // DNS rebinding: a page of another site whose name resolves here must not reach the API.
  app.use("*", async (c, next) => {
    const host = c.req.header("host");
    if (host === undefined || !options.hosts().includes(host.toLowerCase()))
      return problem(c, 403, `Host ${host ?? "(none)"} is not this daemon's address`);
    await next();
  });

  // The page shell and its script need no token; opening the printed address sets the cookie.
  app.get("/", (c) => {
    const given = c.req.query("token");
    if (given !== undefined && sameToken(given, token)) {
      setCookie(c, TOKEN_COOKIE, token, { httpOnly: true, sameSite: "Strict", path: "/" });
      return c.redirect("/");
    }
    return c.html(pageShell());
  });
  app.get("/assets/app.js", (c) => {
    if (!existsSync(WEB_BUNDLE)) return c.text("the page is not built: run `npm run build`", 404);
    c.header("content-type", "text/javascript; charset=utf-8");
    return c.body(readFileSync(WEB_BUNDLE, "utf8"));
  });

  app.use("/api/*", async (c, next) => {
    const bearer = c.req.header("authorization")?.match(/^Bearer\s+(\S+)$/i)?.[1];
    if (!sameToken(bearer ?? getCookie(c, TOKEN_COOKIE), token))
      return problem(c, 401, "a token is needed: open the address `orch daemon status` prints");
    await next();
  });

  const runOf = (c: Context) => store.runs.getRun(c.req.param("run") ?? "");
  const noRun = (c: Context) => problem(c, 404, `no run ${c.req.param("run")}`);
  const hasNode = (runId: string, node: string): boolean =>
    store.graph.listNodes(runId).some((n) => n.id === node);

  app.get("/api/runs", (c) =>
    c.json(
      store.runs.listRuns().map((run) => ({
        ...runListEntry(run),
        scheduled_for: run.scheduled_for,
        counts: Object.fromEntries(store.graph.statusCounts(run.id).map((s) => [s.status, s.n])),
      })),
    ),
  );

  app.get("/api/runs/:run", (c) => {
    const text = store.status.statusJson(c.req.param("run"));
    if (text === undefined) return noRun(c);
    return c.body(text, 200, { "content-type": "application/json" });
  });

  app.get("/api/runs/:run/envelope", async (c) => {
    const run = runOf(c);
    if (run === undefined) return noRun(c);
    const at = c.req.query("at");
    const bound = at === undefined ? undefined : parseHistoryBound(at);
    if (at !== undefined && bound === undefined)
      return problem(c, 400, `at=${at}: expected an event number or a timestamp`);
    const { envelope, title } = envelopeOfRun(
      store,
      run,
      bound === undefined ? {} : { bound, atLabel: at ?? "" },
    );
    const format = c.req.query("format") ?? "json";
    if (format === "svg") {
      c.header("content-type", "image/svg+xml");
      return c.body(await toSvg(envelope, { title }));
    }
    if (format !== "json") return problem(c, 400, `format=${format}: expected json or svg`);
    return c.json(toEnvelopeJson(envelope, { title }));
  });

  app.get("/api/runs/:run/events", (c) => {
    const run = runOf(c);
    if (run === undefined) return noRun(c);
    const from = c.req.header("last-event-id") ?? c.req.query("after") ?? "0";
    if (!/^\d+$/.test(from))
      return problem(c, 400, `Last-Event-ID ${from}: expected an event number`);
    return streamSSE(c, async (stream) => {
      let after = Number(from);
      let open = true;
      stream.onAbort(() => {
        open = false;
      });
      while (open) {
        for (const { seq, event } of store.history.readAfter(run.id, after)) {
          await stream.writeSSE({
            id: String(seq),
            event: event.type,
            data: JSON.stringify(event),
          });
          after = seq;
        }
        await stream.sleep(pollMs);
      }
    });
  });

  app.get("/api/runs/:run/nodes/:node/log", (c) => {
    const run = runOf(c);
    if (run === undefined) return noRun(c);
    const node = c.req.param("node");
    if (!hasNode(run.id, node)) return problem(c, 404, `run ${run.id} has no node ${node}`);
    return c.text(formatAttemptLogs(attemptLogs(store, run.id, node)));
  });

  app.post("/api/runs", async (c) => {
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      return problem(c, 400, `the body is not JSON: ${errorMessage(error)}`);
    }
    const request = SubmitRequestSchema.safeParse(body);
    if (!request.success) {
      const issues = request.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`);
      return problem(
        c,
        400,
        `expected {"workflow", "params"?, "run_id"?, "parallel"?}: ${issues.join("; ")}`,
      );
    }
    const submitted = submitRun(pool, request.data);
    if (!submitted.ok) return problem(c, submitted.status, submitted.message);
    return c.json({ run_id: submitted.runId, name: submitted.name }, 201);
  });

  const reply = (c: Context, result: ControlResult) =>
    result.ok ? c.json({ message: result.message }) : problem(c, 409, result.message);

  for (const command of ["pause", "resume", "cancel"] as const) {
    app.post(`/api/runs/:run/${command}`, async (c) => {
      const run = runOf(c);
      if (run === undefined) return noRun(c);
      return reply(c, await control[command](run.id));
    });
  }

  app.post("/api/runs/:run/nodes/:node/:command{restart|answer}", async (c) => {
    const run = runOf(c);
    if (run === undefined) return noRun(c);
    const node = c.req.param("node");
    if (!hasNode(run.id, node)) return problem(c, 404, `run ${run.id} has no node ${node}`);
    if (c.req.param("command") === "restart") return reply(c, await control.restart(run.id, node));
    let body: unknown;
    try {
      body = await c.req.json();
    } catch (error) {
      return problem(c, 400, `the body is not JSON: ${errorMessage(error)}`);
    }
    if (typeof body !== "object" || body === null || !("value" in body))
      return problem(c, 400, 'expected {"value": ANSWER}');
    return reply(c, await control.answer(run.id, node, body.value));
  });

  return app;
};
