import { z } from "zod";
import { readToken } from "../daemon/state-file.js";
import type { SubmitRequest } from "../daemon/submit.js";
import { resolveDbPath } from "../store/db.js";
import { errorMessage } from "../util/error-message.js";
import { runningDaemon } from "./commands/daemon.js";
import type { GlobalArgs } from "./context.js";
import { UsageError } from "./errors.js";

const SubmittedSchema = z.object({ run_id: z.string() });
const RefusedSchema = z.object({ error: z.string() });

/** Submit a run to the daemon of the database (`orch start --detach`). */
export const submitToDaemon = async (
  args: GlobalArgs,
  request: SubmitRequest,
): Promise<z.infer<typeof SubmittedSchema>> => {
  const db = resolveDbPath(args.db);
  const daemon = runningDaemon(db);
  let response: Response;
  try {
    response = await fetch(`${daemon.url}/api/runs`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${readToken(daemon.db)}`,
        "content-type": "application/json",
      },
      body: JSON.stringify(request),
    });
  } catch (error) {
    throw new UsageError(`the daemon at ${daemon.url} did not answer: ${errorMessage(error)}`);
  }
  const body: unknown = await response.json();
  if (response.status !== 201) {
    const refused = RefusedSchema.safeParse(body);
    throw new UsageError(
      `the daemon refused the run: ${refused.success ? refused.data.error : `HTTP ${response.status}`}`,
    );
  }
  return SubmittedSchema.parse(body);
};
