-- +goose Up
-- A donation may be restricted to a beneficiary group too.
ALTER TABLE donations ADD COLUMN earmark_beneficiary_group text CHECK (earmark_beneficiary_group IN
  ('ELDERLY', 'DISABLED', 'INSTITUTION', 'POOR_HOUSEHOLD', 'DISASTER_VICTIMS', 'CHILDREN', 'OTHER'));

-- Allocations: which donation paid how much of which use, an aid output or
-- the council's operational costs (biaya operasional). An allocation is
-- released by a row of its own with the opposite amount, never rewritten.
CREATE TABLE allocations (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  donation_id     uuid NOT NULL REFERENCES donations (id),
  aid_output_id   uuid REFERENCES aid_outputs (id),
  -- For operational costs: the council bearing them, and what they were.
  organization_id uuid NOT NULL REFERENCES organizations (id),
  operational     text CHECK (length(operational) BETWEEN 1 AND 500),
  amount          bigint NOT NULL,
  -- How many of the output's units this allocation covers, when known: a
  -- gift of goods funds the output it became by quantity and value.
  quantity        int CHECK (quantity <> 0),
  allocated_on    date NOT NULL,
  releases_id     uuid CONSTRAINT allocations_releases_id_key UNIQUE REFERENCES allocations (id),
  release_reason  text CHECK (length(release_reason) BETWEEN 1 AND 500),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT allocations_use CHECK ((aid_output_id IS NULL) <> (operational IS NULL)),
  CONSTRAINT allocations_quantity CHECK (quantity IS NULL OR (aid_output_id IS NOT NULL AND (quantity > 0) = (amount > 0))),
  CONSTRAINT allocations_sign CHECK (
    (releases_id IS NULL AND amount > 0 AND amount <= 5000000000000 AND release_reason IS NULL) OR
    (releases_id IS NOT NULL AND amount < 0 AND release_reason IS NOT NULL))
);
CREATE INDEX allocations_donation_idx ON allocations (donation_id);
CREATE INDEX allocations_output_idx ON allocations (aid_output_id);
CREATE INDEX allocations_allocated_idx ON allocations (allocated_on, seq);
CREATE TRIGGER allocations_append_only BEFORE UPDATE OR DELETE ON allocations
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER allocations_no_truncate BEFORE TRUNCATE ON allocations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- The invariants, held here whatever path writes: a donation never gives
-- more than its value net of reversals, an output is never funded beyond
-- its cost net of reversals, and restricted money funds only what matches
-- its earmark. The donation's row (then the output's) is locked first, so
-- concurrent allocations take turns; each check below is a statement of its
-- own and so sees what the turns before it committed.
-- +goose StatementBegin
CREATE FUNCTION allocations_check() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  d donations%ROWTYPE;
  o aid_outputs%ROWTYPE;
  value bigint;
  given bigint;
  cost bigint;
  funded bigint;
  units bigint;
  covered bigint;
BEGIN
  SELECT * INTO d FROM donations WHERE id = NEW.donation_id FOR NO KEY UPDATE;
  IF NEW.aid_output_id IS NOT NULL THEN
    SELECT * INTO o FROM aid_outputs WHERE id = NEW.aid_output_id FOR NO KEY UPDATE;
  END IF;
  IF NEW.releases_id IS NOT NULL THEN
    RETURN NEW; -- a release only gives back
  END IF;
  IF d.reverses_id IS NOT NULL THEN
    RAISE EXCEPTION 'a reversal entry funds nothing' USING ERRCODE = '23514', CONSTRAINT = 'allocations_donation_value';
  END IF;
  SELECT d.amount + COALESCE(sum(r.amount), 0) INTO value FROM donations r WHERE r.reverses_id = d.id;
  SELECT COALESCE(sum(a.amount), 0) INTO given FROM allocations a WHERE a.donation_id = d.id;
  IF given + NEW.amount > value THEN
    RAISE EXCEPTION 'donation % has % left to give, not %', d.id, value - given, NEW.amount
      USING ERRCODE = '23514', CONSTRAINT = 'allocations_donation_value';
  END IF;
  IF NEW.aid_output_id IS NULL THEN
    IF d.earmark_aid_type_id IS NOT NULL OR d.earmark_regency_id IS NOT NULL OR d.earmark_beneficiary_group IS NOT NULL
       OR d.earmark_programme IS NOT NULL THEN
      RAISE EXCEPTION 'restricted money pays no operational costs' USING ERRCODE = '23514', CONSTRAINT = 'allocations_earmark';
    END IF;
    RETURN NEW;
  END IF;
  IF o.reverses_id IS NOT NULL THEN
    RAISE EXCEPTION 'a reversal entry is not funded' USING ERRCODE = '23514', CONSTRAINT = 'allocations_output_cost';
  END IF;
  SELECT o.cost + COALESCE(sum(r.cost), 0) INTO cost FROM aid_outputs r WHERE r.reverses_id = o.id;
  SELECT COALESCE(sum(a.amount), 0) INTO funded FROM allocations a WHERE a.aid_output_id = o.id;
  IF funded + NEW.amount > cost THEN
    RAISE EXCEPTION 'aid output % has % left to fund, not %', o.id, cost - funded, NEW.amount
      USING ERRCODE = '23514', CONSTRAINT = 'allocations_output_cost';
  END IF;
  IF NEW.quantity IS NOT NULL THEN
    SELECT o.quantity + COALESCE(sum(r.quantity), 0) INTO units FROM aid_outputs r WHERE r.reverses_id = o.id;
    SELECT COALESCE(sum(a.quantity), 0) INTO covered FROM allocations a WHERE a.aid_output_id = o.id;
    IF covered + NEW.quantity > units THEN
      RAISE EXCEPTION 'aid output % has % units left to cover, not %', o.id, units - covered, NEW.quantity
        USING ERRCODE = '23514', CONSTRAINT = 'allocations_output_quantity';
    END IF;
  END IF;
  IF (d.earmark_aid_type_id IS NOT NULL AND d.earmark_aid_type_id <> o.aid_type_id)
     OR (d.earmark_regency_id IS NOT NULL AND d.earmark_regency_id <> o.regency_id)
     OR (d.earmark_beneficiary_group IS NOT NULL AND d.earmark_beneficiary_group <> o.beneficiary_group) THEN
    RAISE EXCEPTION 'the donation is earmarked for another use' USING ERRCODE = '23514', CONSTRAINT = 'allocations_earmark';
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_check BEFORE INSERT ON allocations
  FOR EACH ROW EXECUTE FUNCTION allocations_check();

-- A donation or an output with live allocations is not reversed until they
-- are released.
-- +goose StatementBegin
CREATE FUNCTION reversal_unallocated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  live bigint;
  ids text;
BEGIN
  IF NEW.reverses_id IS NULL THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'donations' THEN
    PERFORM 1 FROM donations WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE donation_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.donation_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  ELSE
    PERFORM 1 FROM aid_outputs WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE aid_output_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.aid_output_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  END IF;
  IF live > 0 THEN
    -- The message names the allocations to release; the API passes it on.
    RAISE EXCEPTION 'allocations %', ids USING ERRCODE = '23514', CONSTRAINT = TG_TABLE_NAME || '_allocated';
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER donations_unallocated BEFORE INSERT ON donations
  FOR EACH ROW EXECUTE FUNCTION reversal_unallocated();
CREATE TRIGGER aid_outputs_unallocated BEFORE INSERT ON aid_outputs
  FOR EACH ROW EXECUTE FUNCTION reversal_unallocated();
