#!/usr/bin/env node
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { errorMessage } from "../util/error-message.js";
import { enableCodeCache } from "./code-cache.js";
import { EXIT } from "./errors.js";

// First, so that everything else (yargs, zod, the commands: chunks of the
// bundle) is compiled through the code cache. Unbundled, there is no chunks
// directory and nothing changes.
const codeCache = enableCodeCache(join(dirname(fileURLToPath(import.meta.url)), "chunks"));
process.once("exit", () => codeCache.save());

// Not a top-level await: the bundle is CommonJS (rolldown.config.mjs says why).
import("./cli.js")
  .then(({ runCli }) => runCli())
  .catch((error: unknown) => {
    console.error(`orch: ${errorMessage(error)}`);
    process.exit(EXIT.usage);
  });
