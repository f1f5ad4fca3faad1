// The daemon's web page: runs, a run's live envelope (SVG drawn by the daemon
// with the renderer of `orch graph`), node details, run control, and a time
// slider replaying the envelope after any event.
import { z } from "zod";

const RunSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  created_at: z.string(),
  updated_at: z.string(),
  counts: z.record(z.string(), z.number()),
});
type RunSummary = z.infer<typeof RunSummarySchema>;

const AttemptSchema = z.object({
  attempt: z.number(),
  status: z.string(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  reason: z.string().nullable().optional(),
});
const AskSchema = z.object({ prompt: z.string(), schema: z.record(z.string(), z.unknown()) });
const NodeSchema = z.object({
  id: z.string(),
  status: z.string(),
  attempts: z.number(),
  run: z.string(),
  reason: z.string().nullable(),
  started_at: z.string().nullable(),
  finished_at: z.string().nullable(),
  inputs: z.unknown().optional(),
  outputs: z.unknown(),
  history: z.array(AttemptSchema),
  ask: AskSchema.nullish(),
});
type NodeState = z.infer<typeof NodeSchema>;
const StatusSchema = z.object({
  run: z.object({ id: z.string(), name: z.string(), status: z.string() }),
  nodes: z.array(NodeSchema),
});
type Status = z.infer<typeof StatusSchema>;
const ReplySchema = z.object({ message: z.string().optional(), error: z.string().optional() });

const element = <T extends HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`the page has no #${id}`);
  return found as T;
};

const ui = {
  runs: element<HTMLTableSectionElement>("runs"),
  login: element("login"),
  title: element("run-title"),
  controls: element("controls"),
  sliderRow: element("slider-row"),
  slider: element<HTMLInputElement>("slider"),
  sliderLabel: element("slider-label"),
  message: element("message"),
  graph: element("graph"),
  nodeTitle: element("node-title"),
  nodeActions: element("node-actions"),
  restart: element<HTMLButtonElement>("restart"),
  ask: element<HTMLFormElement>("ask"),
  nodeDetails: element<HTMLTableElement>("node-details"),
  nodeLog: element("node-log"),
};

let selectedRun: string | null = null;
let selectedNode: string | null = null;
let status: Status | null = null;
let lastSeq = 0;
let events: EventSource | null = null;
let redraw: ReturnType<typeof setTimeout> | null = null;

class Unauthorized extends Error {}

const api = async (path: string, init?: RequestInit): Promise<Response> => {
  const response = await fetch(path, { credentials: "same-origin", ...init });
  if (response.status === 401) {
    ui.login.hidden = false;
    throw new Unauthorized("no token");
  }
  return response;
};

const seconds = (from: string, to: string | null): string => {
  const end = to === null ? Date.now() : Date.parse(to);
  return `${Math.max(0, Math.round((end - Date.parse(from)) / 1000))} s`;
};

const cell = (row: HTMLTableRowElement, text: string, className?: string): void => {
  const td = row.insertCell();
  td.textContent = text;
  if (className) td.className = className;
};

const showRuns = (runs: readonly RunSummary[]): void => {
  ui.runs.replaceChildren();
  for (const run of runs) {
    const row = ui.runs.insertRow();
    row.className = run.id === selectedRun ? "run selected" : "run";
    row.dataset.run = run.id;
    cell(row, `${run.id} ${run.name}`);
    cell(row, run.status, "status");
    cell(row, run.created_at.replace("T", " ").slice(0, 19));
    const ended = run.status === "running" || run.status === "paused" ? null : run.updated_at;
    cell(row, seconds(run.created_at, ended));
    cell(
      row,
      Object.entries(run.counts)
        .map(([state, n]) => `${n} ${state}`)
        .join(", "),
    );
    row.addEventListener("click", () => selectRun(run.id));
  }
};

const refreshRuns = async (): Promise<void> => {
  const response = await api("/api/runs");
  showRuns(z.array(RunSummarySchema).parse(await response.json()));
};

/** The envelope now (`at` null) or after event `at`, drawn by the daemon. */
const drawEnvelope = async (runId: string, at: number | null): Promise<void> => {
  const query = at === null ? "" : `&at=${at}`;
  const response = await api(`/api/runs/${encodeURIComponent(runId)}/envelope?format=svg${query}`);
  if (runId !== selectedRun) return;
  ui.graph.innerHTML = await response.text();
  ui.graph.dataset.at = at === null ? "live" : String(at);
};

const refreshStatus = async (runId: string): Promise<void> => {
  const response = await api(`/api/runs/${encodeURIComponent(runId)}`);
  const parsed = StatusSchema.parse(await response.json());
  if (runId !== selectedRun) return;
  status = parsed;
  ui.title.textContent = `${parsed.run.name} — run ${parsed.run.id} (${parsed.run.status})`;
  ui.title.dataset.status = parsed.run.status;
  if (selectedNode !== null) await showNode(selectedNode);
};

const isLive = (): boolean => ui.slider.value === ui.slider.max;

/** After an event: redraw within a second, at most every 150 ms. */
const scheduleRedraw = (): void => {
  if (redraw !== null || selectedRun === null) return;
  const runId = selectedRun;
  redraw = setTimeout(() => {
    redraw = null;
    void Promise.all([
      isLive() ? drawEnvelope(runId, null) : Promise.resolve(),
      refreshStatus(runId),
      refreshRuns(),
    ]).catch(report);
  }, 150);
};

const follow = (runId: string): void => {
  events?.close();
  lastSeq = 0;
  const source = new EventSource(`/api/runs/${encodeURIComponent(runId)}/events`);
  events = source;
  const onEvent = (message: MessageEvent<string>): void => {
    const seq = Number(message.lastEventId);
    if (!Number.isFinite(seq) || seq <= lastSeq) return;
    const wasLive = isLive();
    lastSeq = seq;
    ui.slider.max = String(seq);
    if (wasLive) ui.slider.value = String(seq);
    ui.sliderLabel.textContent = wasLive ? "live" : `event ${ui.slider.value} of ${seq}`;
    scheduleRedraw();
  };
  for (const type of [
    "node_added",
    "edge_added",
    "node_status",
    "output",
    "run_status",
    "promise_made",
    "defaults",
    "message",
  ])
    source.addEventListener(type, onEvent);
};

const selectRun = (runId: string): void => {
  selectedRun = runId;
  selectedNode = null;
  history.replaceState(null, "", `#run=${encodeURIComponent(runId)}`);
  for (const row of ui.runs.rows) row.classList.toggle("selected", row.dataset.run === runId);
  ui.controls.hidden = false;
  ui.sliderRow.hidden = false;
  ui.slider.max = "0";
  ui.slider.value = "0";
  ui.sliderLabel.textContent = "live";
  ui.nodeTitle.textContent = "click a node";
  ui.nodeDetails.replaceChildren();
  ui.nodeLog.textContent = "";
  follow(runId);
  void Promise.all([drawEnvelope(runId, null), refreshStatus(runId)]).catch(report);
};

const detail = (name: string, value: string): void => {
  const row = ui.nodeDetails.insertRow();
  cell(row, name);
  cell(row, value);
};

const json = (value: unknown): string => JSON.stringify(value, null, 1) ?? "null";

const showNode = async (nodeId: string): Promise<void> => {
  const node = status?.nodes.find((n) => n.id === nodeId);
  selectedNode = nodeId;
  ui.nodeTitle.textContent = node === undefined ? `${nodeId} (a stack or a wildcard)` : nodeId;
  ui.nodeDetails.replaceChildren();
  ui.nodeActions.hidden = node === undefined;
  if (node === undefined || selectedRun === null) return;
  detail("state", node.reason ? `${node.status} (${node.reason})` : node.status);
  detail("script", node.run);
  detail("attempts", String(node.attempts));
  for (const a of node.history)
    detail(
      `attempt ${a.attempt}`,
      `${a.status}, ${a.started_at.slice(11, 19)}, ${seconds(a.started_at, a.finished_at)}${a.reason ? `: ${a.reason}` : ""}`,
    );
  if (node.started_at) detail("started", node.started_at);
  if (node.finished_at) detail("finished", node.finished_at);
  if (node.inputs !== undefined) detail("inputs", json(node.inputs));
  detail("outputs", json(node.outputs));
  showAsk(node);
  const log = await api(
    `/api/runs/${encodeURIComponent(selectedRun)}/nodes/${encodeURIComponent(nodeId)}/log`,
  );
  ui.nodeLog.textContent = log.ok ? (await log.text()).split("\n").slice(-40).join("\n") : "";
};

/** A form from the JSON Schema of a waiting node's question: one field per property. */
const showAsk = (node: NodeState): void => {
  ui.ask.replaceChildren();
  ui.ask.hidden = node.status !== "waiting" || node.ask == null;
  if (ui.ask.hidden || node.ask == null) return;
  const prompt = document.createElement("p");
  prompt.textContent = node.ask.prompt;
  ui.ask.append(prompt);
  const properties = z
    .record(z.string(), z.object({ type: z.string().optional() }))
    .safeParse(node.ask.schema.properties);
  const fields = properties.success
    ? Object.entries(properties.data)
    : [["value", node.ask.schema]];
  const inputs: [string, string, HTMLInputElement][] = [];
  for (const [name, schema] of fields) {
    const type = z.object({ type: z.string().optional() }).parse(schema).type ?? "string";
    const label = document.createElement("label");
    label.textContent = `${String(name)} `;
    const input = document.createElement("input");
    input.name = String(name);
    input.type =
      type === "boolean" ? "checkbox" : type === "number" || type === "integer" ? "number" : "text";
    label.append(input);
    ui.ask.append(label, document.createElement("br"));
    inputs.push([String(name), type, input]);
  }
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = "answer";
  ui.ask.append(submit);
  ui.ask.onsubmit = (event) => {
    event.preventDefault();
    const read = ([, type, input]: [string, string, HTMLInputElement]): unknown =>
      type === "boolean"
        ? input.checked
        : type === "number" || type === "integer"
          ? Number(input.value)
          : input.value;
    const value = properties.success
      ? Object.fromEntries(inputs.map((field) => [field[0], read(field)]))
      : read(inputs[0]!);
    void command(`nodes/${encodeURIComponent(node.id)}/answer`, { value });
  };
};

const command = async (path: string, body?: unknown): Promise<void> => {
  if (selectedRun === null) return;
  const response = await api(`/api/runs/${encodeURIComponent(selectedRun)}/${path}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body ?? {}),
  });
  const reply = ReplySchema.parse(await response.json());
  ui.message.textContent = reply.error ?? reply.message ?? "";
  scheduleRedraw();
};

const report = (error: unknown): void => {
  if (error instanceof Unauthorized) return;
  ui.message.textContent = error instanceof Error ? error.message : String(error);
};

for (const button of ui.controls.querySelectorAll<HTMLButtonElement>("button[data-command]"))
  button.addEventListener("click", () => void command(button.dataset.command ?? "").catch(report));
ui.restart.addEventListener("click", () => {
  if (selectedNode !== null)
    void command(`nodes/${encodeURIComponent(selectedNode)}/restart`).catch(report);
});
ui.graph.addEventListener("click", (event) => {
  const target = event.target instanceof Element ? event.target.closest("g.node") : null;
  const title = target?.querySelector("title")?.textContent;
  if (title) void showNode(title).catch(report);
});
ui.slider.addEventListener("input", () => {
  if (selectedRun === null) return;
  const live = isLive();
  ui.sliderLabel.textContent = live ? "live" : `event ${ui.slider.value} of ${ui.slider.max}`;
  void drawEnvelope(selectedRun, live ? null : Number(ui.slider.value)).catch(report);
});

const start = async (): Promise<void> => {
  await refreshRuns();
  const wanted = new URLSearchParams(location.hash.slice(1)).get("run");
  if (wanted !== null) selectRun(wanted);
  setInterval(() => void refreshRuns().catch(report), 2000);
};
void start().catch(report);
