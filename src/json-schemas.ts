import { z } from "zod";
import { EnvelopeJsonSchema } from "./envelope/model.js";
import { StartMessageSchema, TaskMessageSchema } from "./protocol/messages.js";
import { StatusDocumentSchema } from "./store/rows.js";
import { WorkflowSchema } from "./workflow/schema.js";

const BASE = "https://orch.dev/schemas";

const toJsonSchema = (schema: z.ZodType, id: string, title: string, io: "input" | "output") => ({
  ...z.toJSONSchema(schema, { io, target: "draft-2020-12", unrepresentable: "any" }),
  $id: `${BASE}/${id}`,
  title,
});

/** The JSON Schemas in `schemas/`, generated from the zod schemas the code validates with. */
export const jsonSchemas = (): Record<string, object> => ({
  "workflow.schema.json": toJsonSchema(
    WorkflowSchema,
    "workflow.schema.json",
    "orch workflow file",
    "input",
  ),
  "message.schema.json": toJsonSchema(
    TaskMessageSchema,
    "message.schema.json",
    "orch task message (one stdout line)",
    "input",
  ),
  "start-message.schema.json": toJsonSchema(
    StartMessageSchema,
    "start-message.schema.json",
    "orch start message (task stdin)",
    "output",
  ),
  "envelope.schema.json": toJsonSchema(
    EnvelopeJsonSchema,
    "envelope.schema.json",
    "orch graph --out FILE.json",
    "output",
  ),
  "status.schema.json": toJsonSchema(
    StatusDocumentSchema,
    "status.schema.json",
    "orch status --json",
    "output",
  ),
});

export const renderJsonSchema = (schema: object): string => `${JSON.stringify(schema, null, 2)}\n`;
