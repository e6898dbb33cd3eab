-- +goose Up
-- An import inserts thousands of donations in one transaction. Adding each
-- statement's sums to donation_months at once would update the same few
-- rows thousands of times in that transaction, each update a new row
-- version the next must walk past: quadratic. Inside an import (the
-- transaction sets sinergi.defer_months) nothing is added here; the import
-- adds the sums of every entry it inserted once, in the same transaction,
-- before it commits (donation.DeferMonths).
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION donation_months_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF current_setting('sinergi.defer_months', true) = 'on' THEN
    RETURN NULL;
  END IF;
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

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION donation_months_add() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO donation_months (organization_id, month, source, kind, entries, amount)
  SELECT organization_id, date_trunc('month', received_on)::date, source, kind, count(*), SUM(amount)
  FROM new_entries GROUP BY 1, 2, 3, 4
  ORDER BY 1, 2, 3, 4
  ON CONFLICT (organization_id, month, source, kind) DO UPDATE
    SET entries = donation_months.entries + EXCLUDED.entries, amount = donation_months.amount + EXCLUDED.amount;
  RETURN NULL;
END;
$$;
-- +goose StatementEnd
