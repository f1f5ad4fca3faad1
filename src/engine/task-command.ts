import { resolve } from "node:path";
import { parseTaskRef } from "../workflow/task-ref.js";

export interface CommandContext {
  readonly python: string;
  /** The workflow file's folder: scripts are relative to it, tasks run in it. */
  readonly dir: string;
  /** The run's plugin folders (absolute), searched after orch's built-ins. */
  readonly pluginFolders: readonly string[];
}

/**
 * The argv that runs a node: its script with its args, the SDK's function
 * runner for a `call` node, or its plugin runner for a `uses` node.
 */
export const taskCommand = (
  node: { readonly run: string; readonly args: readonly string[] },
  context: CommandContext,
): readonly [string, ...string[]] => {
  const kind = parseTaskRef(node.run);
  switch (kind.kind) {
    case "run":
      return [context.python, resolve(context.dir, kind.script), ...node.args];
    case "call":
      return [context.python, "-m", "orch.call", kind.target];
    case "uses":
      return [context.python, "-m", "orch.plugin", kind.type, ...context.pluginFolders];
  }
};

/** The script a node needs on disk before it can start, if any. */
export const scriptOf = (run: string, dir: string): string | null => {
  const kind = parseTaskRef(run);
  return kind.kind === "run" ? resolve(dir, kind.script) : null;
};
