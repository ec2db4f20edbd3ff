-- The durable task engine (src/tasks). Every piece of background work is a row here, written
-- in the same transaction as the state change that needs it.
CREATE TABLE nebula_tasks (
  id               bigserial PRIMARY KEY,
  queue            text        NOT NULL DEFAULT 'default',
  kind             text        NOT NULL,
  payload          jsonb       NOT NULL DEFAULT '{}',
  -- pending: waiting for run_at; running: under a lease; done, dead, cancelled: terminal.
  state            text        NOT NULL DEFAULT 'pending'
                   CHECK (state IN ('pending', 'running', 'done', 'dead', 'cancelled')),
  priority         integer     NOT NULL DEFAULT 0,
  run_at           timestamptz NOT NULL DEFAULT now(),
  -- Incremented at every claim and never reset: (id, attempt) fences a lease's writes.
  attempt          integer     NOT NULL DEFAULT 0,
  max_attempts     integer     NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  lease_owner      text,
  lease_expires_at timestamptz,
  -- A lease stops being extended past its deadline, so a task stuck forever is taken back.
  deadline         timestamptz,
  timeout_seconds  integer     NOT NULL DEFAULT 3600,
  unique_key       text,
  weight_cores     real        NOT NULL DEFAULT 0,
  weight_memory_mb integer     NOT NULL DEFAULT 0,
  weight_seconds   real        NOT NULL DEFAULT 0,
  checkpoint       jsonb,
  last_error       text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  finished_at      timestamptz
);

-- Claiming due work: SKIP LOCKED walks this partial index in order.
CREATE INDEX nebula_tasks_pending ON nebula_tasks (queue, priority DESC, run_at, id)
  INCLUDE (weight_cores, weight_memory_mb)
  WHERE state = 'pending';
-- Taking back expired leases.
CREATE INDEX nebula_tasks_running ON nebula_tasks (lease_expires_at)
  INCLUDE (queue, weight_cores, weight_memory_mb, lease_owner)
  WHERE state = 'running';
CREATE INDEX nebula_tasks_dead ON nebula_tasks (queue, finished_at) WHERE state = 'dead';
CREATE INDEX nebula_tasks_finished ON nebula_tasks (finished_at) WHERE state IN ('done', 'cancelled');
-- Deduplication holds among live tasks; a finished task frees its key.
CREATE UNIQUE INDEX nebula_tasks_unique_key ON nebula_tasks (unique_key)
  WHERE unique_key IS NOT NULL AND state IN ('pending', 'running');

-- Periodic schedules: the row's next_run_at is advanced by compare-and-set, so exactly one
-- replica enqueues each period's task.
CREATE TABLE nebula_periodic (
  name          text PRIMARY KEY,
  kind          text        NOT NULL,
  queue         text        NOT NULL DEFAULT 'default',
  every_seconds integer     NOT NULL CHECK (every_seconds > 0),
  payload       jsonb       NOT NULL DEFAULT '{}',
  next_run_at   timestamptz NOT NULL
);
