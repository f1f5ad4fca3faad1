import { z } from "zod";

/** A JSON Schema (2020-12): an object or a boolean. Compiled by ajv where it is used. */
export const JsonSchemaSchema = z.union([z.boolean(), z.record(z.string(), z.unknown())]);
export type JsonSchema = z.infer<typeof JsonSchemaSchema>;

/** Characters that could end a quoted string or start markup in DOT, SVG or a terminal. */
const PLAIN_TEXT = /^[^\p{Cc}<>"\\&]*$/u;
const plainText = z
  .string()
  .max(500)
  .regex(PLAIN_TEXT, 'expected plain text without control characters, <, >, ", \\ or &');
/** A Graphviz colour: a name (`red`, `lightblue2`) or `#rrggbb`/`#rrggbbaa`. */
const color = z
  .string()
  .regex(
    /^(?:[A-Za-z][A-Za-z0-9]{0,31}|#[0-9A-Fa-f]{6}(?:[0-9A-Fa-f]{2})?)$/,
    "expected a colour name (red, lightblue2) or #rrggbb",
  );

export const ATTR_STYLES = ["solid", "dashed", "dotted", "bold"] as const;

/** Cosmetic attributes of a node or an edge: these keys and nothing else. */
export const AttrsSchema = z.strictObject({
  label: plainText.optional(),
  tooltip: plainText.optional(),
  color: color.optional(),
  fillcolor: color.optional(),
  fontcolor: color.optional(),
  penwidth: z.number().positive().max(20).optional(),
  style: z.enum(ATTR_STYLES).optional(),
});
export type Attrs = z.infer<typeof AttrsSchema>;
export const ATTR_KEYS = AttrsSchema.keyof().options;

const bindingExtras = {
  /** The value must validate against it, or the attempt fails naming the binding. */
  schema: JsonSchemaSchema.optional(),
  /** Used when there is nothing to bind. */
  default: z.unknown().optional(),
};

/** Node ids cannot contain these: a `node` naming one is a glob over direct predecessors. */
export const GLOB_CHARS = /[*?[]/;
const NodeOrGlobSchema = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[A-Za-z0-9._:*?[\]!-]+$/, "expected a node id or a glob over node ids");

/** Where one input of a node comes from. */
export const BindingSchema = z.union([
  z.strictObject({
    node: NodeOrGlobSchema,
    output: z.string().min(1).optional(),
    ...bindingExtras,
  }),
  z.strictObject({ param: z.string().min(1), ...bindingExtras }),
  z.strictObject({ value: z.unknown(), ...bindingExtras }),
]);
export type Binding = z.infer<typeof BindingSchema>;

/** The data fields of a node, in the workflow file and in `add_node` alike. */
export const NodeDataShape = {
  /** Declared outputs: the task must give exactly these keys, each valid against its schema. */
  outputs: z.record(z.string(), JsonSchemaSchema).optional(),
  inputs: z.record(z.string(), BindingSchema).optional(),
  attrs: AttrsSchema.optional(),
};

export const NodeDataSchema = z.strictObject(NodeDataShape);
export type NodeData = z.infer<typeof NodeDataSchema>;

/** A run parameter the workflow declares: `orch start --param NAME=VALUE` sets it. */
export const ParamDeclSchema = z.strictObject({
  schema: JsonSchemaSchema.optional(),
  default: z.unknown().optional(),
});
export const ParamDeclsSchema = z.record(z.string().min(1), ParamDeclSchema);
export type ParamDecls = z.infer<typeof ParamDeclsSchema>;

/** The node a binding names, unless it is a glob: that node is an implied predecessor. */
export const namedProducer = (binding: Binding): string | null =>
  "node" in binding && !GLOB_CHARS.test(binding.node) ? binding.node : null;

/** Only the data fields a node actually carries, for events and messages. */
export const nodeDataOf = (node: NodeData): NodeData => {
  const data: NodeData = {};
  if (node.outputs !== undefined) data.outputs = node.outputs;
  if (node.inputs !== undefined) data.inputs = node.inputs;
  if (node.attrs !== undefined) data.attrs = node.attrs;
  return data;
};
