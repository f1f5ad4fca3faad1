#!/usr/bin/env node
import { errorMessage } from "../util/error-message.js";
import { EXIT } from "./errors.js";

// Not a top-level await: the bundle is CommonJS (rolldown.config.mjs says why).
import("./cli.js")
  .then(({ runCli }) => runCli())
  .catch((error: unknown) => {
    console.error(`orch: ${errorMessage(error)}`);
    process.exit(EXIT.usage);
  });
