import { isAbsolute, relative, resolve } from "node:path";
import {
  CONTAINER_SDK_DIR,
  CONTAINER_WORKDIR,
  type ContainerSpec,
} from "../workflow/executor-spec.js";

export type ContainerEngine = "podman" | "docker";

export interface ContainerRunRequest {
  readonly engine: ContainerEngine;
  readonly spec: ContainerSpec;
  /** The container's name (see `attemptName`). */
  readonly name: string;
  /** The workflow folder, absolute: mounted read-write as the working directory. */
  readonly workflowDir: string;
  /** orch's Python SDK folder, absolute: mounted read-only on PYTHONPATH. */
  readonly sdkDir: string;
  /** The task's script, absolute; it must lie in the workflow folder. */
  readonly script: string;
  readonly args: readonly string[];
  /** The variables orch gives every task (ORCH_*). */
  readonly orchEnv: Readonly<Record<string, string>>;
  /** Who the task runs as, so files it writes in the workflow folder are the user's. */
  readonly user: { readonly uid: number; readonly gid: number } | null;
}

export type Built =
  | { readonly ok: true; readonly argv: readonly [string, ...string[]] }
  | { readonly ok: false; readonly reason: string };

const UNSAFE_IN_MOUNT = /[,\n\r\0]/;

/**
 * `ENGINE run -i --rm --init --name NAME --network … ` for one attempt, as an
 * argument vector (no shell). Refuses, with the reason, what a bind mount
 * cannot carry or a script outside the mounted folder.
 */
export const containerRunArgv = (request: ContainerRunRequest): Built => {
  const { engine, spec, name, workflowDir, sdkDir, script } = request;
  const inside = relative(workflowDir, script);
  if (inside.startsWith("..") || isAbsolute(inside))
    return refuse(
      `the script ${script} is outside the workflow folder ${workflowDir}, the only folder the container sees`,
    );
  const mounts = [
    bind(workflowDir, CONTAINER_WORKDIR, false),
    bind(sdkDir, CONTAINER_SDK_DIR, true),
    ...spec.mounts.map((mount) =>
      bind(resolve(workflowDir, mount.source), mount.target, mount.readonly),
    ),
  ];
  const unsafe = mounts.find((mount) => mount.unsafe !== null);
  if (unsafe?.unsafe) return refuse(unsafe.unsafe);
  const env: Record<string, string> = {
    ...spec.env,
    ...request.orchEnv,
    PYTHONPATH: CONTAINER_SDK_DIR,
    PYTHONUNBUFFERED: "1",
  };
  const argv: [string, ...string[]] = [
    engine,
    "run",
    "-i",
    "--rm",
    "--init",
    "--name",
    name,
    "--network",
    spec.network,
    "--workdir",
    CONTAINER_WORKDIR,
    ...(request.user === null ? [] : ["--user", `${request.user.uid}:${request.user.gid}`]),
    ...(spec.memory === undefined ? [] : ["--memory", spec.memory]),
    ...(spec.cpus === undefined ? [] : ["--cpus", String(spec.cpus)]),
    ...mounts.flatMap((mount) => ["--mount", mount.option]),
    ...Object.entries(env).flatMap(([key, value]) => ["--env", `${key}=${value}`]),
    spec.image,
    "python3",
    "-u",
    inside.split("\\").join("/"),
    ...request.args,
  ];
  return { ok: true, argv };
};

/** Ask the container's task to stop: SIGTERM to its process (through `--init`). */
export const containerTerminateArgv = (
  engine: ContainerEngine,
  name: string,
): [string, ...string[]] => [engine, "kill", "--signal", "TERM", name];

/** Remove containers at once, running or not. */
export const containerRemoveArgv = (
  engine: ContainerEngine,
  names: readonly string[],
): [string, ...string[]] =>
  engine === "podman" ? [engine, "rm", "-f", "-t", "0", ...names] : [engine, "rm", "-f", ...names];

const bind = (source: string, target: string, readonly: boolean) => ({
  option: `type=bind,source=${source},target=${target}${readonly ? ",readonly" : ""}`,
  unsafe: UNSAFE_IN_MOUNT.test(source)
    ? `the folder ${JSON.stringify(source)} cannot be mounted: its path contains a comma, a newline or a NUL character`
    : null,
});

const refuse = (reason: string): Built => ({ ok: false, reason });
