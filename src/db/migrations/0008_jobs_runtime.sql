-- What a job needs to run anywhere without a shared disk (issue: jobs). A job runs as a series
-- of attempts; `attempt` fences everything an executor reports, exactly like task leases.
ALTER TABLE jobs
  ADD COLUMN uuid             uuid        NOT NULL DEFAULT gen_random_uuid(),
  ADD COLUMN attempt          integer     NOT NULL DEFAULT 0,
  ADD COLUMN max_attempts     integer     NOT NULL DEFAULT 3,
  -- The named destination chosen by the rules, and the runner plugin behind it.
  ADD COLUMN destination      text,
  ADD COLUMN runner           text,
  -- Identity of the attempt in its runner: a pid, a Slurm job id, a Kubernetes Job name.
  ADD COLUMN external_id      text,
  -- sha256 of the job-scoped token the executor presents; rotated at every attempt.
  ADD COLUMN token_hash       text,
  ADD COLUMN tool_bundle_key  text,
  ADD COLUMN tool_path        text,
  -- The built tool state (src/tools/parameters/values.ts ToolState), JSON.
  ADD COLUMN tool_state       jsonb,
  ADD COLUMN cores            real        NOT NULL DEFAULT 1,
  ADD COLUMN memory_mb        integer     NOT NULL DEFAULT 1024,
  ADD COLUMN walltime_seconds integer     NOT NULL DEFAULT 86400,
  ADD COLUMN container_image  text,
  -- Image pinned by digest (image@sha256:...), never a mutable tag.
  ADD COLUMN container_digest text,
  ADD COLUMN heartbeat_at     timestamptz,
  ADD COLUMN queued_at        timestamptz,
  ADD COLUMN started_at       timestamptz,
  ADD COLUMN finished_at      timestamptz,
  ADD COLUMN metrics          jsonb       NOT NULL DEFAULT '{}',
  ADD COLUMN paused_reason    text,
  ADD COLUMN rerun_of_job_id  bigint      REFERENCES jobs (id);
CREATE UNIQUE INDEX jobs_uuid ON jobs (uuid);
CREATE INDEX jobs_tool ON jobs (tool_id, create_time DESC);

-- An executor's report for one attempt, stored as received and applied by a job.finish task.
CREATE TABLE job_reports (
  job_id      bigint      NOT NULL REFERENCES jobs (id),
  attempt     integer     NOT NULL,
  report      jsonb       NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (job_id, attempt)
);

-- Collections a job fills (outputs of `<collection>`), and collection inputs.
CREATE TABLE job_output_collections (
  job_id  bigint NOT NULL REFERENCES jobs (id),
  name    text   NOT NULL,
  hdca_id bigint NOT NULL REFERENCES hdcas (id),
  PRIMARY KEY (job_id, name)
);
CREATE TABLE job_input_collections (
  job_id  bigint NOT NULL REFERENCES jobs (id),
  name    text   NOT NULL,
  hdca_id bigint NOT NULL REFERENCES hdcas (id)
);
CREATE INDEX job_input_collections_job ON job_input_collections (job_id);
