/**
 * Schema migrations, applied in order; `PRAGMA user_version` records how many
 * have run. Never edit a released migration: append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE runs (
    id           TEXT PRIMARY KEY,
    workflow     TEXT NOT NULL,
    name         TEXT NOT NULL,
    status       TEXT NOT NULL,
    reason       TEXT,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    owner_pid    INTEGER,
    heartbeat_at TEXT
  );
  CREATE TABLE events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    run_id  TEXT NOT NULL REFERENCES runs(id),
    at      TEXT NOT NULL,
    type    TEXT NOT NULL,
    node_id TEXT,
    payload TEXT NOT NULL
  );
  CREATE INDEX events_by_run ON events(run_id, seq);
  CREATE TABLE nodes (
    run_id      TEXT NOT NULL REFERENCES runs(id),
    id          TEXT NOT NULL,
    seq         INTEGER NOT NULL,
    run         TEXT NOT NULL,
    args        TEXT NOT NULL,
    params      TEXT NOT NULL,
    created_by  TEXT,
    status      TEXT NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    reason      TEXT,
    outputs     TEXT,
    started_at  TEXT,
    finished_at TEXT,
    PRIMARY KEY (run_id, id)
  );
  CREATE UNIQUE INDEX nodes_by_seq ON nodes(run_id, seq);
  CREATE TABLE edges (
    run_id     TEXT NOT NULL REFERENCES runs(id),
    from_id    TEXT NOT NULL,
    to_id      TEXT NOT NULL,
    created_by TEXT,
    seq        INTEGER NOT NULL,
    PRIMARY KEY (run_id, from_id, to_id)
  );
  CREATE UNIQUE INDEX edges_by_seq ON edges(run_id, seq);
  CREATE TABLE attempts (
    run_id      TEXT NOT NULL REFERENCES runs(id),
    node_id     TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    status      TEXT NOT NULL,
    started_at  TEXT NOT NULL,
    finished_at TEXT,
    exit_code   INTEGER,
    signal      TEXT,
    reason      TEXT,
    log_path    TEXT NOT NULL,
    PRIMARY KEY (run_id, node_id, attempt)
  );
  CREATE TABLE provisional (
    run_id  TEXT NOT NULL REFERENCES runs(id),
    node_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    seq     INTEGER NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (run_id, node_id, attempt, seq)
  );
  `,
  `
  ALTER TABLE attempts ADD COLUMN pid INTEGER;
  `,
  // A running task's mutations are written where they will stay, as they arrive,
  // above the run's commit mark: committing is moving the mark, whatever the
  // task added. Rows of an old provisional table belonged to attempts that were
  // interrupted, which resume discards anyway.
  `
  ALTER TABLE runs ADD COLUMN committed_seq INTEGER;
  ALTER TABLE nodes ADD COLUMN event_seq INTEGER;
  ALTER TABLE edges ADD COLUMN event_seq INTEGER;
  DROP TABLE provisional;
  `,
  // The limits a run executes with (JSON), so that `orch resume` keeps them.
  `
  ALTER TABLE runs ADD COLUMN limits TEXT;
  `,
  // Many attempts run at once. Each one's mutations are staged in rows of
  // their own, tagged with the attempt, and copied into the events and the
  // projections when it succeeds, so a run's history is in commit order.
  // Events above an old commit mark belonged to attempts that resume discards.
  `
  DELETE FROM nodes WHERE event_seq > (SELECT committed_seq FROM runs r WHERE r.id = nodes.run_id);
  DELETE FROM edges WHERE event_seq > (SELECT committed_seq FROM runs r WHERE r.id = edges.run_id);
  DELETE FROM events WHERE seq > (SELECT committed_seq FROM runs r WHERE r.id = events.run_id);
  ALTER TABLE runs DROP COLUMN committed_seq;
  CREATE TABLE staged (
    id      INTEGER PRIMARY KEY,
    run_id  TEXT NOT NULL REFERENCES runs(id),
    node_id TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    payload TEXT NOT NULL
  );
  CREATE INDEX staged_by_run ON staged(run_id);
  CREATE INDEX staged_by_attempt ON staged(run_id, node_id, attempt);
  ALTER TABLE runs ADD COLUMN parallel INTEGER NOT NULL DEFAULT 1;
  ALTER TABLE nodes ADD COLUMN next_attempt_at TEXT;
  ALTER TABLE attempts ADD COLUMN executor TEXT;
  ALTER TABLE attempts ADD COLUMN handle TEXT;
  `,
  // Ownership is fenced: each claim of a run takes the next epoch, and every
  // write of the run's state checks it is still this process's. The owner's
  // start time (from /proc) tells it apart from a later process given its pid.
  `
  ALTER TABLE runs ADD COLUMN epoch INTEGER NOT NULL DEFAULT 0;
  ALTER TABLE runs ADD COLUMN owner_started INTEGER;
  `,
  // The inputs each node's latest attempt started with (JSON).
  `
  ALTER TABLE nodes ADD COLUMN inputs TEXT;
  `,
  // Schedules (cron, started by the daemon), each scheduled time taken once
  // (its primary key), the scheduled time a run was started for, and the runs
  // a daemon executes, so that a daemon started again resumes them.
  `
  CREATE TABLE schedules (
    name       TEXT PRIMARY KEY,
    workflow   TEXT NOT NULL,
    cron       TEXT NOT NULL,
    timezone   TEXT NOT NULL,
    catchup    INTEGER NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE scheduled_runs (
    schedule      TEXT NOT NULL,
    scheduled_for TEXT NOT NULL,
    run_id        TEXT NOT NULL REFERENCES runs(id),
    PRIMARY KEY (schedule, scheduled_for)
  );
  ALTER TABLE runs ADD COLUMN scheduled_for TEXT;
  CREATE TABLE daemon_runs (
    run_id TEXT PRIMARY KEY REFERENCES runs(id)
  );
  `,
  // Commands given to a run (`orch pause`, …) wait here for the process
  // executing it, which acknowledges or refuses each one. A waiting node's
  // question (JSON: prompt and schema) is projected onto its row.
  `
  CREATE TABLE commands (
    id          INTEGER PRIMARY KEY,
    run_id      TEXT NOT NULL REFERENCES runs(id),
    command     TEXT NOT NULL,
    node_id     TEXT,
    value       TEXT,
    given_by    TEXT NOT NULL,
    given_at    TEXT NOT NULL,
    state       TEXT NOT NULL DEFAULT 'pending',
    reason      TEXT,
    handled_at  TEXT
  );
  CREATE INDEX commands_pending ON commands(run_id, state);
  ALTER TABLE nodes ADD COLUMN ask TEXT;
  `,
  // A node's trigger, when it is not the default (all_succeeded).
  `
  ALTER TABLE nodes ADD COLUMN trigger TEXT;
  `,
  // Loop edges (their bound; null on an ordinary edge), and the iteration a
  // node in a loop's body last started in.
  `
  ALTER TABLE edges ADD COLUMN loop_max INTEGER;
  ALTER TABLE nodes ADD COLUMN iteration INTEGER;
  `,
];
