import { z } from "zod";

/** Paths inside a container that orch itself mounts: a user mount may not hide them. */
export const CONTAINER_WORKDIR = "/work";
export const CONTAINER_SDK_DIR = "/opt/orch/sdk";

/** Characters that would split or end a `--mount type=bind,source=…` option. */
const UNSAFE_IN_MOUNT = /[,\n\r\0]/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

const mountPath = (what: string) =>
  z
    .string()
    .min(1, `a mount's ${what} is a path`)
    .refine((path) => !UNSAFE_IN_MOUNT.test(path), {
      message: `a mount's ${what} may not contain a comma, a newline or a NUL character`,
    });

export const ContainerMountSchema = z.strictObject({
  source: mountPath("source").describe("a host path, absolute or relative to the workflow folder"),
  target: mountPath("target")
    .refine((path) => path.startsWith("/"), { message: "a mount's target is an absolute path" })
    .refine((path) => ![CONTAINER_WORKDIR, CONTAINER_SDK_DIR].includes(path.replace(/\/+$/, "")), {
      message: `${CONTAINER_WORKDIR} and ${CONTAINER_SDK_DIR} are mounted by orch`,
    }),
  readonly: z.boolean().default(false),
});

export const ContainerSpecSchema = z.strictObject({
  image: z
    .string()
    .regex(/^[^\s]+$/, "an image is a name such as python:3.11-slim, without spaces"),
  engine: z
    .enum(["podman", "docker"])
    .describe("the container engine's command line; podman, or docker when podman is absent")
    .optional(),
  network: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, "a network is none, host, bridge or a network's name")
    .default("none"),
  memory: z
    .string()
    .regex(/^\d+(\.\d+)?[bkmg]?$/i, "memory is a size such as 512m or 2g")
    .optional(),
  cpus: z.number().positive().describe("CPUs the container may use, fractions allowed").optional(),
  env: z
    .record(
      z.string().regex(ENV_NAME, "an environment variable's name is letters, digits and _"),
      z.string(),
    )
    .default({}),
  mounts: z.array(ContainerMountSchema).default([]),
});

export const SlurmSpecSchema = z.strictObject({
  partition: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, "a partition is a name of letters, digits and _.-")
    .optional(),
  time: z
    .string()
    .regex(
      /^(\d+-)?\d+(:\d{1,2}){0,2}$|^UNLIMITED$/,
      "time is a Slurm time limit such as 00:10:00, 30 or 1-00:00:00",
    )
    .optional(),
  cpus: z.number().int().positive().describe("--cpus-per-task").optional(),
  mem: z
    .string()
    .regex(/^\d+[KMGT]?$/i, "mem is a Slurm size such as 1G or 512M")
    .optional(),
  extra: z
    .array(
      z
        .string()
        .regex(/^-/, "each extra item is one srun option, such as --constraint=gpu")
        .refine((option) => !/^(-J|--job-name)/.test(option), {
          message: "orch names the job itself (orch-RUN-NODE-ATTEMPT)",
        }),
    )
    .default([]),
});

/** Where a node's task runs: this machine (the default), a container, or a Slurm cluster. */
export const ExecutorSpecSchema = z.union([
  z.literal("local"),
  z.strictObject({ container: ContainerSpecSchema }),
  z.strictObject({ slurm: SlurmSpecSchema }),
]);

export type ContainerMount = z.infer<typeof ContainerMountSchema>;
export type ContainerSpec = z.infer<typeof ContainerSpecSchema>;
export type SlurmSpec = z.infer<typeof SlurmSpecSchema>;
export type ExecutorSpec = z.infer<typeof ExecutorSpecSchema>;

/** Two executor specs that run a task the same way. */
export const sameExecutor = (a: ExecutorSpec, b: ExecutorSpec): boolean =>
  JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(
      Object.entries(value)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([key, inner]) => [key, canonical(inner)]),
    );
  return value;
};

/** An executor as progress lines and messages name it: `local`, `container(podman:IMAGE)`, `slurm`. */
export const describeExecutor = (spec: ExecutorSpec, engine?: string): string => {
  if (spec === "local") return "local";
  if ("container" in spec)
    return `container(${engine ?? spec.container.engine ?? "podman"}:${spec.container.image})`;
  return "slurm";
};
