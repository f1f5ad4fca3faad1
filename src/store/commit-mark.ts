/** The commit mark of a run from before marks existed: every event is committed. */
const NO_MARK = "9223372036854775807";

/**
 * The commit mark of run `@run`, as SQL: its events at or below it are its
 * history; above it sit the mutations a running task has staged (see
 * `historyQueries`).
 */
export const COMMIT_MARK = `COALESCE((SELECT committed_seq FROM runs WHERE id = @run), ${NO_MARK})`;

/** Projection rows (nodes, edges) that are committed; rows from before the mark existed have no event_seq. */
export const COMMITTED_ROW = `(event_seq IS NULL OR event_seq <= ${COMMIT_MARK})`;

/**
 * Whether projection row `row` is staged (above the mark), for a query that has
 * its run's row as `run` at hand: no lookup of the mark for every row.
 */
export const stagedRow = (row: string, run: string): string =>
  `(${row}.event_seq IS NOT NULL AND ${row}.event_seq > COALESCE(${run}.committed_seq, ${NO_MARK}))`;
