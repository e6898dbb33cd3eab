-- +goose Up
-- Receipts (tanda terima): every donation gets a number, gap-free per
-- receiving organization and year. The counter row is taken under a row
-- lock in the donation's own transaction, so a number is used only when the
-- donation is, and concurrent donations take numbers in turn.
CREATE TABLE receipt_counters (
  organization_id uuid NOT NULL REFERENCES organizations (id),
  year            int NOT NULL CHECK (year BETWEEN 1 AND 9999),
  last            int NOT NULL CHECK (last >= 1),
  PRIMARY KEY (organization_id, year)
);

-- A receipt once issued is never changed: voiding it is a row of its own,
-- and a reissue is a copy (SALINAN) with the same number.
CREATE TABLE receipts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  donation_id     uuid NOT NULL REFERENCES donations (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  year            int NOT NULL,
  number          int NOT NULL CHECK (number >= 1),
  copy_of         uuid REFERENCES receipts (id),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX receipts_number_key ON receipts (organization_id, year, number) WHERE copy_of IS NULL;
CREATE INDEX receipts_donation_idx ON receipts (donation_id, seq);
CREATE TRIGGER receipts_append_only BEFORE UPDATE OR DELETE ON receipts
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER receipts_no_truncate BEFORE TRUNCATE ON receipts
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE receipt_voids (
  receipt_id uuid PRIMARY KEY REFERENCES receipts (id),
  reason     text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  voided_by  text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER receipt_voids_append_only BEFORE UPDATE OR DELETE ON receipt_voids
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER receipt_voids_no_truncate BEFORE TRUNCATE ON receipt_voids
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- The donations recorded before receipts existed get theirs, in the order
-- they were recorded.
INSERT INTO receipts (donation_id, organization_id, year, number, created_at)
SELECT id, organization_id, extract(year FROM received_on)::int,
  row_number() OVER (PARTITION BY organization_id, extract(year FROM received_on) ORDER BY seq), created_at
FROM donations WHERE reverses_id IS NULL;
INSERT INTO receipt_counters (organization_id, year, last)
SELECT organization_id, year, max(number) FROM receipts GROUP BY organization_id, year;
