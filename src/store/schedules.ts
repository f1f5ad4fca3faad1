import { z } from "zod";
import type { Db } from "./db.js";

export const ScheduleRowSchema = z.object({
  name: z.string(),
  workflow: z.string(),
  cron: z.string(),
  timezone: z.string(),
  catchup: z
    .number()
    .int()
    .transform((flag) => flag !== 0),
  created_at: z.string(),
});
export type ScheduleRow = z.infer<typeof ScheduleRowSchema>;

/** The schedules the daemon starts runs for (`orch schedule add`). */
export const scheduleQueries = (db: Db) => {
  const insert = db.prepare(
    `INSERT INTO schedules (name, workflow, cron, timezone, catchup, created_at)
     VALUES (@name, @workflow, @cron, @timezone, @catchup, @created_at)`,
  );
  const byName = db.prepare("SELECT * FROM schedules WHERE name = ?");
  const all = db.prepare("SELECT * FROM schedules ORDER BY name");
  const remove = db.prepare("DELETE FROM schedules WHERE name = ?");
  return {
    addSchedule: (row: ScheduleRow): void => {
      insert.run({ ...row, catchup: row.catchup ? 1 : 0 });
    },
    getSchedule: (name: string): ScheduleRow | undefined => {
      const row = byName.get(name);
      return row === undefined ? undefined : ScheduleRowSchema.parse(row);
    },
    listSchedules: (): ScheduleRow[] => all.all().map((row) => ScheduleRowSchema.parse(row)),
    /** Remove a schedule; false when there was none of that name. */
    removeSchedule: (name: string): boolean => remove.run(name).changes > 0,
  };
};
