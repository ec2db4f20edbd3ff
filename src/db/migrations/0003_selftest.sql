-- Effects of the self-test task (nebula admin selftest, the crash tests): one row per task,
-- so "exactly once" can be checked by counting.
CREATE TABLE nebula_selftest_effects (
  task_id    bigint PRIMARY KEY,
  batch      text        NOT NULL,
  attempt    integer     NOT NULL,
  worker     text        NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
