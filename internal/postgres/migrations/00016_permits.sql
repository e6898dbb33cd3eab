-- +goose Up
-- Public fundraising permits (izin Pengumpulan Uang atau Barang, PUB): a
-- council collects from the public (boxes, appeals) only under a permit
-- issued for an area and a period, with a cap on its operating costs. A
-- permit is a document: kept as issued, extended by a row of its own.
CREATE TABLE permits (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  number          text NOT NULL CONSTRAINT permits_number_key UNIQUE CHECK (length(number) BETWEEN 1 AND 100),
  authority       text NOT NULL CHECK (length(authority) BETWEEN 1 AND 200),
  organization_id uuid NOT NULL REFERENCES organizations (id), -- the organiser, a council
  purpose         text NOT NULL CHECK (length(purpose) BETWEEN 1 AND 1000),
  methods         text[] NOT NULL CHECK (cardinality(methods) >= 1 AND methods <@ ARRAY['DONATION_BOX', 'APPEAL']),
  disaster        boolean NOT NULL DEFAULT false,
  valid_from      date NOT NULL,
  valid_to        date NOT NULL CHECK (valid_to >= valid_from),
  -- Operating costs at most this many hundredths of a percent of what was
  -- collected; NULL: no cap (disaster appeals).
  cost_cap_bp     integer CHECK (cost_cap_bp BETWEEN 0 AND 10000),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX permits_organization_idx ON permits (organization_id);

-- The regencies/cities a permit lets its organiser collect in.
CREATE TABLE permit_regencies (
  permit_id  uuid NOT NULL REFERENCES permits (id),
  regency_id uuid NOT NULL REFERENCES organizations (id),
  PRIMARY KEY (permit_id, regency_id)
);

-- An extension: a new end date under a number of its own.
CREATE TABLE permit_extensions (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  permit_id  uuid NOT NULL REFERENCES permits (id),
  number     text NOT NULL CONSTRAINT permit_extensions_number_key UNIQUE CHECK (length(number) BETWEEN 1 AND 100),
  valid_to   date NOT NULL,
  granted_on date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX permit_extensions_permit_idx ON permit_extensions (permit_id);

-- A box collects under a permit from a date on, until it is placed under
-- the next one: the permit an opening falls under is the latest placement
-- on or before its date.
CREATE TABLE box_permits (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  box_id     uuid NOT NULL REFERENCES donation_boxes (id),
  permit_id  uuid NOT NULL REFERENCES permits (id),
  placed_on  date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT box_permits_box_date_key UNIQUE (box_id, placed_on)
);
CREATE INDEX box_permits_permit_idx ON box_permits (permit_id);

-- The permit a donation was collected under (a box opening's, or an
-- appeal's), and, when it fell outside that permit's period or area (or
-- under none while its box is under permits), why the council recorded it
-- anyway. A reversal carries its original's permit, so sums by permit net.
ALTER TABLE donations ADD COLUMN permit_id uuid REFERENCES permits (id);
ALTER TABLE donations ADD COLUMN permit_exception text CHECK (length(permit_exception) BETWEEN 1 AND 500);
CREATE INDEX donations_permit_idx ON donations (permit_id) WHERE permit_id IS NOT NULL;

CREATE TRIGGER permits_append_only BEFORE UPDATE OR DELETE ON permits
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER permit_regencies_append_only BEFORE UPDATE OR DELETE ON permit_regencies
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER permit_extensions_append_only BEFORE UPDATE OR DELETE ON permit_extensions
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER box_permits_append_only BEFORE UPDATE OR DELETE ON box_permits
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER permits_no_truncate BEFORE TRUNCATE ON permits
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER permit_regencies_no_truncate BEFORE TRUNCATE ON permit_regencies
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER permit_extensions_no_truncate BEFORE TRUNCATE ON permit_extensions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER box_permits_no_truncate BEFORE TRUNCATE ON box_permits
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- The cost cap, held here whatever path writes: operational costs paid
-- from a permit's collections stay within its cap of what it collected
-- (net of reversals). The permit's row is locked first, so allocations
-- from different donations of one permit take turns.
-- +goose StatementBegin
CREATE FUNCTION allocations_permit_cap() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  p permits%ROWTYPE;
  collected bigint;
  costs bigint;
BEGIN
  IF NEW.aid_output_id IS NOT NULL OR NEW.releases_id IS NOT NULL THEN
    RETURN NEW;
  END IF;
  SELECT pm.* INTO p FROM permits pm JOIN donations d ON d.permit_id = pm.id
    WHERE d.id = NEW.donation_id FOR NO KEY UPDATE OF pm;
  IF p.id IS NULL OR p.cost_cap_bp IS NULL THEN
    RETURN NEW;
  END IF;
  SELECT COALESCE(sum(amount), 0) INTO collected FROM donations WHERE permit_id = p.id;
  SELECT COALESCE(sum(x.amount), 0) INTO costs FROM allocations x JOIN donations d ON d.id = x.donation_id
    WHERE d.permit_id = p.id AND x.aid_output_id IS NULL;
  IF costs + NEW.amount > collected * p.cost_cap_bp / 10000 THEN
    RAISE EXCEPTION 'permit % allows % of costs, % are booked; not %', p.number, collected * p.cost_cap_bp / 10000, costs, NEW.amount
      USING ERRCODE = '23514', CONSTRAINT = 'allocations_permit_cost_cap';
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER allocations_permit_cap BEFORE INSERT ON allocations
  FOR EACH ROW EXECUTE FUNCTION allocations_permit_cap();

-- +goose Down
DROP TRIGGER allocations_permit_cap ON allocations;
DROP FUNCTION allocations_permit_cap();
DROP INDEX donations_permit_idx;
ALTER TABLE donations DROP COLUMN permit_exception;
ALTER TABLE donations DROP COLUMN permit_id;
DROP TABLE box_permits;
DROP TABLE permit_extensions;
DROP TABLE permit_regencies;
DROP TABLE permits;
