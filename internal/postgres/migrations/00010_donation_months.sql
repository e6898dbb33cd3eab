-- +goose Up
-- Monthly sums of the donation ledger per council, source and kind: the
-- rollups of a report read these instead of every entry. They are kept in
-- the transaction of each insert (a statement-level trigger sums what the
-- statement inserted), never by a later job, so they are never stale; a
-- reversal is an entry of its own and nets out here as in the ledger.
CREATE TABLE donation_months (
  organization_id uuid NOT NULL REFERENCES organizations (id),
  month           date NOT NULL CHECK (month = date_trunc('month', month)::date),
  source          text NOT NULL,
  kind            text NOT NULL,
  entries         bigint NOT NULL,
  amount          bigint NOT NULL,
  PRIMARY KEY (organization_id, month, source, kind)
);

-- +goose StatementBegin
CREATE FUNCTION donation_months_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO donation_months (organization_id, month, source, kind, entries, amount)
  SELECT organization_id, date_trunc('month', received_on)::date, source, kind, count(*), SUM(amount)
  FROM new_entries GROUP BY 1, 2, 3, 4
  -- a stable order, so concurrent statements lock the rows they share in turn
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (organization_id, month, source, kind) DO UPDATE
    SET entries = donation_months.entries + EXCLUDED.entries, amount = donation_months.amount + EXCLUDED.amount;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER donations_months AFTER INSERT ON donations
  REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT EXECUTE FUNCTION donation_months_add();

INSERT INTO donation_months (organization_id, month, source, kind, entries, amount)
SELECT organization_id, date_trunc('month', received_on)::date, source, kind, count(*), SUM(amount)
FROM donations GROUP BY 1, 2, 3, 4;

-- Only the trigger writes the sums.
CREATE TRIGGER donation_months_truncate BEFORE TRUNCATE ON donation_months
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
