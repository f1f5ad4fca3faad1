import { execaSync } from "execa";

/**
 * The interpreter tasks run with: `--python`, else `$ORCH_PYTHON`, else `python3`
 * from PATH — resolved once to the real executable, because on pyenv machines
 * `python3` is a shell shim that costs ~200 ms per task.
 */
export const resolvePython = (flag: string | undefined, env = process.env): string => {
  const requested = flag ?? env.ORCH_PYTHON ?? "python3";
  let result: ReturnType<typeof execaSync>;
  try {
    result = execaSync(requested, ["-c", "import sys; print(sys.executable)"], {
      reject: false,
      timeout: 30_000,
    });
  } catch {
    throw new Error(`cannot run the Python interpreter "${requested}"`);
  }
  const executable = String(result.stdout ?? "").trim();
  if (result.exitCode !== 0 || executable === "") {
    throw new Error(
      `cannot run the Python interpreter "${requested}" (exit ${result.exitCode ?? "?"}); set --python or $ORCH_PYTHON`,
    );
  }
  return executable;
};
