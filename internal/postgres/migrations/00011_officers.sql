-- +goose Up
-- The chair and secretary who sign a council's books, from a date: a new
-- record takes over from its date on, and the books of an earlier meeting
-- keep the names that were in office then. seat is the town the council
-- sits in, where its documents are signed ("Denpasar, 17 Juli 2014").
CREATE TABLE organization_officers (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  effective_from  date NOT NULL,
  chair_name      text NOT NULL CHECK (length(chair_name) BETWEEN 1 AND 200),
  secretary_name  text NOT NULL CHECK (length(secretary_name) BETWEEN 1 AND 200),
  seat            text NOT NULL CHECK (length(seat) BETWEEN 1 AND 100),
  recorded_by     text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organization_officers_idx ON organization_officers (organization_id, effective_from, seq);
CREATE TRIGGER organization_officers_append_only BEFORE UPDATE OR DELETE ON organization_officers
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER organization_officers_no_truncate BEFORE TRUNCATE ON organization_officers
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
