/**
 * The commit mark of run `@run`, as SQL: its events at or below it are its
 * history; above it sit the mutations a running task has staged (see
 * `historyQueries`). A run from before marks existed has every event committed.
 */
export const COMMIT_MARK =
  "COALESCE((SELECT committed_seq FROM runs WHERE id = @run), 9223372036854775807)";

/** Projection rows (nodes, edges) that are committed; rows from before the mark existed have no event_seq. */
export const COMMITTED_ROW = `(event_seq IS NULL OR event_seq <= ${COMMIT_MARK})`;

/** Projection rows a running task has staged: shown as provisional until its commit. */
export const STAGED_ROW = `(NOT ${COMMITTED_ROW})`;
