import { resolve } from "node:path";
import type { LoadedWorkflow } from "./load.js";

/** The workflow's plugin folders as absolute paths. */
export const pluginFolders = (loaded: LoadedWorkflow): string[] =>
  loaded.workflow.plugins.map((folder) => resolve(loaded.dir, folder));
