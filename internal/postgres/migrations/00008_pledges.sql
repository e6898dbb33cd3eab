-- +goose Up
-- Pledges: a partner's commitment to give a council an amount within a
-- period for a purpose, fulfilled by the donations that name it. A pledge is
-- money promised, not money received: no balance counts it.
CREATE TABLE pledges (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  partner_id      uuid NOT NULL REFERENCES partners (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  amount          bigint NOT NULL CHECK (amount > 0 AND amount <= 5000000000000),
  pledged_on      date NOT NULL,
  period_from     date NOT NULL,
  period_to       date NOT NULL CHECK (period_to >= period_from),
  purpose         text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 500),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX pledges_partner_idx ON pledges (partner_id, pledged_on);
CREATE TRIGGER pledges_append_only BEFORE UPDATE OR DELETE ON pledges
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER pledges_no_truncate BEFORE TRUNCATE ON pledges
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- Writing off what is left of a pledge is an event of its own.
CREATE TABLE pledge_writeoffs (
  pledge_id      uuid PRIMARY KEY REFERENCES pledges (id),
  amount         bigint NOT NULL CHECK (amount > 0),
  written_off_on date NOT NULL,
  reason         text NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
  written_off_by text NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER pledge_writeoffs_append_only BEFORE UPDATE OR DELETE ON pledge_writeoffs
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER pledge_writeoffs_no_truncate BEFORE TRUNCATE ON pledge_writeoffs
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- A donation names the pledge it fulfils; its reversal carries the name too,
-- so fulfilment is net of reversals.
ALTER TABLE donations ADD COLUMN pledge_id uuid REFERENCES pledges (id);
CREATE INDEX donations_pledge_idx ON donations (pledge_id) WHERE pledge_id IS NOT NULL;
