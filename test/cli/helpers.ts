import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { setTimeout } from "node:timers/promises";
import { execa, type ResultPromise } from "execa";
import { z } from "zod";

export const ROOT = resolve(import.meta.dirname, "../..");
/** The CLI as users run it: the bundle `npm run build` writes (package.json `bin`). */
export const MAIN = join(ROOT, "dist/cli/orch.js");

export interface CliResult {
  readonly exitCode: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Write files (path → content) under `dir`; returns the absolute path of the first. */
export const writeFiles = (dir: string, files: Record<string, string>): string => {
  const paths = Object.entries(files).map(([path, content]) => {
    const full = join(dir, path);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
    return full;
  });
  return paths[0]!;
};

/** A scratch directory with its own database, for one test. */
export const sandbox = () => {
  const dir = mkdtempSync(join(tmpdir(), "orch-cli-"));
  const db = join(dir, "orch.db");
  const orch = async (...args: string[]): Promise<CliResult> => {
    const result = await execa("node", [MAIN, ...args, "--db", db], {
      cwd: ROOT,
      reject: false,
      timeout: 120_000,
    });
    return {
      exitCode: result.exitCode ?? -1,
      stdout: String(result.stdout),
      stderr: String(result.stderr),
    };
  };
  const spawnOrch = (...args: string[]): ResultPromise =>
    execa("node", [MAIN, ...args, "--db", db], { cwd: ROOT, reject: false });
  const write = (files: Record<string, string>): string => writeFiles(dir, files);
  return { dir, db, orch, spawnOrch, write };
};

export const fixture = (name: string): string => join(ROOT, "fixtures", name, "workflow.json");

export const StatusSchema = z.object({
  run: z.object({
    id: z.string(),
    workflow: z.string(),
    status: z.string(),
    reason: z.string().nullable(),
    parallel: z.number(),
  }),
  nodes: z.array(
    z.object({
      id: z.string(),
      status: z.string(),
      created_by: z.string().nullable(),
      attempts: z.number(),
      reason: z.string().nullable(),
      started_at: z.string().nullable(),
      outputs: z.unknown(),
      provisional: z.boolean(),
    }),
  ),
  edges: z.array(
    z.object({
      from: z.string(),
      to: z.string(),
      created_by: z.string().nullable(),
      provisional: z.boolean(),
    }),
  ),
});
export type Status = z.infer<typeof StatusSchema>;

export const status = async (
  orch: ReturnType<typeof sandbox>["orch"],
  run?: string,
): Promise<Status> => {
  const result = await orch("status", ...(run ? [run] : []), "--json");
  if (result.exitCode !== 0) throw new Error(`orch status failed: ${result.stderr}`);
  return StatusSchema.parse(JSON.parse(result.stdout));
};

export const nodeStatus = (s: Status): Record<string, string> =>
  Object.fromEntries(s.nodes.map((n) => [n.id, n.status]));

/** A tiny Python task, written in a test's sandbox. */
export const pyTask = (body: string): string => `from orch import task\n${body}\n`;

/** Poll `check` until it holds (the test's own timeout bounds the wait). */
export const until = async (check: () => Promise<boolean>): Promise<void> => {
  while (!(await check())) await setTimeout(100);
};
