// The daemon's web page: runs, a run's live envelope (SVG drawn by the daemon
// with the renderer of `orch graph`), node details, run control, and a time
// slider replaying the envelope after any event.
import { z } from "zod";
import { RUN_EVENT_TYPES } from "./run-event-types.js";

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
  for (const type of RUN_EVENT_TYPES) source.addEventListener(type, onEvent);
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
  ui.nodeActions.hidden = true;
  showAsk(undefined);
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
  showAsk(node);
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
  const log = await api(
    `/api/runs/${encodeURIComponent(selectedRun)}/nodes/${encodeURIComponent(nodeId)}/log`,
  );
  ui.nodeLog.textContent = log.ok ? (await log.text()).split("\n").slice(-40).join("\n") : "";
};

/** How a field of the answer form reads what is typed, from its property's schema. */
type FieldKind = "boolean" | "number" | "string" | "json";

const fieldKind = (schema: unknown): FieldKind => {
  const typed = z.object({ type: z.string() }).safeParse(schema);
  switch (typed.success ? typed.data.type : undefined) {
    case "boolean":
      return "boolean";
    case "number":
    case "integer":
      return "number";
    case "string":
      return "string";
    default:
      return "json";
  }
};

/** A field's value; undefined when left empty (a number, or JSON), so the schema's rules say what is missing. */
const readField = (kind: FieldKind, input: HTMLInputElement): unknown => {
  if (kind === "boolean") return input.checked;
  if (kind === "string") return input.value;
  if (input.value.trim() === "") return undefined;
  if (kind === "number") return Number(input.value);
  try {
    return JSON.parse(input.value);
  } catch {
    return input.value;
  }
};

/** The waiting question the form shows now: kept while it is the same, so what is typed survives redraws. */
let askShown: string | null = null;

/**
 * A form from the JSON Schema of a waiting node's question: one field per
 * property (a checkbox, a number, text, or JSON for anything else), or one
 * field for a schema that is not an object's.
 */
const showAsk = (node: NodeState | undefined): void => {
  const ask = node?.status === "waiting" ? node.ask : null;
  const shown = ask == null ? null : JSON.stringify([node?.id, node?.attempts, ask]);
  if (shown !== null && shown === askShown) return;
  askShown = shown;
  ui.ask.replaceChildren();
  ui.ask.hidden = ask == null;
  if (ask == null || node === undefined) return;
  const prompt = document.createElement("p");
  prompt.textContent = ask.prompt;
  ui.ask.append(prompt);
  const properties = z.record(z.string(), z.unknown()).safeParse(ask.schema.properties);
  const fields = properties.success ? Object.entries(properties.data) : [["value", ask.schema]];
  const inputs: [string, FieldKind, HTMLInputElement][] = [];
  for (const [name, schema] of fields) {
    const kind = fieldKind(schema);
    const label = document.createElement("label");
    label.textContent = `${String(name)} `;
    const input = document.createElement("input");
    input.name = String(name);
    input.type = kind === "boolean" ? "checkbox" : kind === "number" ? "number" : "text";
    if (kind === "json") input.placeholder = "JSON";
    label.append(input);
    ui.ask.append(label, document.createElement("br"));
    inputs.push([String(name), kind, input]);
  }
  const submit = document.createElement("button");
  submit.type = "submit";
  submit.textContent = "answer";
  ui.ask.append(submit);
  ui.ask.onsubmit = (event) => {
    event.preventDefault();
    const value = properties.success
      ? Object.fromEntries(inputs.map(([name, kind, input]) => [name, readField(kind, input)]))
      : (readField(inputs[0]![1], inputs[0]![2]) ?? null);
    void command(`nodes/${encodeURIComponent(node.id)}/answer`, { value }).catch(report);
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
