-- +goose Up
-- A long import runs after its request has been answered; its progress and
-- result are kept here for whoever started it to poll (importJob). Not a
-- ledger: a job's row changes as it goes. Kept in the database, not in the
-- server, so any copy behind a load balancer answers the poll.
CREATE TABLE import_jobs (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind        text NOT NULL,
  file_name   text NOT NULL,
  file_sha256 text NOT NULL,
  dry_run     boolean NOT NULL,
  started_by  text NOT NULL,
  state       text NOT NULL DEFAULT 'RUNNING' CHECK (state IN ('RUNNING', 'DONE', 'FAILED')),
  rows_done   integer NOT NULL DEFAULT 0,
  rows_total  integer NOT NULL DEFAULT 0,
  result      jsonb,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE import_jobs;
