import { closeSync, openSync, readSync } from "node:fs";
import { isAbsolute } from "node:path";
import { execaSync } from "execa";

/**
 * The interpreter tasks run with: `--python`, else `$ORCH_PYTHON`, else `python3`
 * from PATH — resolved once to the real executable, because on pyenv machines
 * `python3` is a shell shim that costs ~200 ms per task. An absolute path to a
 * native executable is already real and is used as it is, without paying a
 * Python start-up to ask it.
 */
export const resolvePython = (flag: string | undefined, env = process.env): string => {
  const requested = flag ?? env.ORCH_PYTHON ?? "python3";
  if (isAbsolute(requested) && isElfExecutable(requested)) return requested;
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

const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Whether `path` is a native (ELF) executable rather than a script such as a shim. */
const isElfExecutable = (path: string): boolean => {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch {
    return false;
  }
  try {
    const head = Buffer.alloc(ELF_MAGIC.length);
    return readSync(fd, head, 0, head.length, 0) === head.length && head.equals(ELF_MAGIC);
  } catch {
    return false;
  } finally {
    closeSync(fd);
  }
};
