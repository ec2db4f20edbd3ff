-- Claiming from every queue at once walks this index in claim order and stops after LIMIT
-- rows; without it each claim sorted the whole due backlog (slow at 100,000 pending).
CREATE INDEX nebula_tasks_pending_any ON nebula_tasks (priority DESC, run_at, id) WHERE state = 'pending';
