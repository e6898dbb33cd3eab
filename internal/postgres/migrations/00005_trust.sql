-- +goose Up
-- The audit trail keeps the server's own request id; what the client sent
-- as X-Request-ID is kept apart, to correlate with its logs.
ALTER TABLE audit_log ADD COLUMN correlation_id text NOT NULL DEFAULT '';

-- A box collection recorded wrongly is corrected by a reversal entry that
-- points at it, carries the opposite amount and is dated when the
-- correction is made, with the reversal of its donation beside it. A
-- reversal is no opening: it has no number, counters or seals.
ALTER TABLE box_collections
  ADD COLUMN reverses_id uuid CONSTRAINT box_collections_reverses_id_key UNIQUE REFERENCES box_collections (id),
  ADD COLUMN reversal_reason text CHECK (length(reversal_reason) BETWEEN 1 AND 500),
  -- An opening whose removed seal is not the one the previous opening
  -- applied records what was found and who found it.
  ADD COLUMN seal_incident text CHECK (length(seal_incident) BETWEEN 1 AND 1000),
  ADD COLUMN seal_incident_by text CHECK (length(seal_incident_by) BETWEEN 1 AND 200),
  ALTER COLUMN number DROP NOT NULL,
  ALTER COLUMN counted_by_1 DROP NOT NULL,
  ALTER COLUMN counted_by_2 DROP NOT NULL,
  ALTER COLUMN seal_removed DROP NOT NULL,
  DROP CONSTRAINT box_collections_amount_check,
  -- A reversed opening's seal may be recorded again by the opening that
  -- replaces it; the seal chain is checked under the box's row lock.
  DROP CONSTRAINT box_collections_seal_key,
  ADD CONSTRAINT box_collections_sign CHECK (
    (reverses_id IS NULL AND amount > 0 AND amount <= 5000000000000 AND number IS NOT NULL
      AND counted_by_1 IS NOT NULL AND counted_by_2 IS NOT NULL AND seal_removed IS NOT NULL
      AND reversal_reason IS NULL AND (seal_incident IS NULL) = (seal_incident_by IS NULL)) OR
    (reverses_id IS NOT NULL AND amount < 0 AND amount >= -5000000000000 AND number IS NULL
      AND counted_by_1 IS NULL AND counted_by_2 IS NULL AND seal_removed IS NULL AND seal_applied IS NULL
      AND seal_incident IS NULL AND reversal_reason IS NOT NULL));
CREATE INDEX box_collections_box_idx ON box_collections (box_id, collected_on);

-- Closed periods: once a Raker has reported a period, a council closes its
-- subtree through a date, and writes dated on or before it are refused. A
-- close is reopened (by an admin, with a reason) by a row of its own; both
-- are kept.
CREATE TABLE period_closes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  through         date NOT NULL,
  reason          text NOT NULL DEFAULT '' CHECK (length(reason) <= 500),
  closed_by       text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX period_closes_organization_idx ON period_closes (organization_id, through);
CREATE TRIGGER period_closes_append_only BEFORE UPDATE OR DELETE ON period_closes
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE period_reopenings (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  close_id    uuid NOT NULL CONSTRAINT period_reopenings_close_key UNIQUE REFERENCES period_closes (id),
  reason      text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  reopened_by text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER period_reopenings_append_only BEFORE UPDATE OR DELETE ON period_reopenings
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER period_closes_no_truncate BEFORE TRUNCATE ON period_closes
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER period_reopenings_no_truncate BEFORE TRUNCATE ON period_reopenings
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
