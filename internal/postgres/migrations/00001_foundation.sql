-- +goose Up
CREATE EXTENSION IF NOT EXISTS ltree;

-- Refuses UPDATE and DELETE: ledger rows are corrected by reversal entries,
-- never rewritten. A trigger binds every role, owner included.
-- +goose StatementBegin
CREATE FUNCTION refuse_rewrite() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'append-only: % on % is not allowed; record a reversal instead', TG_OP, TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
-- +goose StatementEnd

-- The council tree. path is the chain of seq numbers from the root, so a
-- subtree is one indexed query: path <@ (the root's path).
CREATE TABLE organizations (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  parent_id  uuid REFERENCES organizations (id),
  path       ltree NOT NULL,
  kind       text NOT NULL CHECK (kind IN ('NATIONAL', 'PROVINCE_COUNCIL', 'REGENCY_COUNCIL', 'INSTITUTION')),
  code       text NOT NULL CONSTRAINT organizations_code_key UNIQUE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  time_zone  text NOT NULL,
  address    text NOT NULL DEFAULT '' CHECK (length(address) <= 500),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX organizations_path_idx ON organizations USING gist (path);
CREATE INDEX organizations_parent_idx ON organizations (parent_id);

-- +goose StatementBegin
CREATE FUNCTION organizations_set_path() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF NEW.parent_id IS NULL THEN
    NEW.path := text2ltree(NEW.seq::text);
  ELSE
    SELECT path || NEW.seq::text INTO NEW.path FROM organizations WHERE id = NEW.parent_id;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER organizations_path BEFORE INSERT ON organizations
  FOR EACH ROW EXECUTE FUNCTION organizations_set_path();

CREATE TABLE partners (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  kind       text NOT NULL CHECK (kind IN ('CSR_COMPANY', 'RETAIL', 'GOVERNMENT_UNIT', 'INDIVIDUAL', 'BUSINESS', 'COMMUNITY')),
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  notes      text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE aid_types (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  code       text NOT NULL CONSTRAINT aid_types_code_key UNIQUE,
  name       text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  name_en    text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
  unit       text NOT NULL CHECK (length(unit) BETWEEN 1 AND 40),
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO aid_types (code, name, name_en, unit) VALUES
  ('PMT',             'Paket Pemberian Makanan Tambahan (PMT)', 'Supplementary food package (PMT)', 'paket'),
  ('KURSI_RODA',      'Kursi roda',                             'Wheelchair',                       'unit'),
  ('TRIPOD',          'Tongkat kaki tiga (tripod)',             'Tripod walking aid',               'unit'),
  ('PAKAIAN_OLAHRAGA','Pakaian olahraga',                       'Sports clothing set',              'stel'),
  ('BEDAH_RUMAH',     'Bedah rumah',                            'House renovation',                 'unit'),
  ('SEMBAKO',         'Paket sembako',                          'Staple food package',              'paket'),
  ('ALAT_BANTU_DENGAR','Alat bantu dengar',                     'Hearing aid',                      'unit'),
  ('KRUK',            'Kruk',                                   'Crutches',                         'pasang'),
  ('BEASISWA',        'Beasiswa',                               'Scholarship',                      'orang');

CREATE TABLE donations (
  id                  uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                 bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  organization_id     uuid NOT NULL REFERENCES organizations (id),
  source              text NOT NULL CHECK (source IN ('CSR', 'DONATION_BOX', 'GOVERNMENT', 'INDIVIDUAL', 'BUSINESS', 'COMMUNITY', 'OTHER')),
  partner_id          uuid REFERENCES partners (id),
  kind                text NOT NULL CHECK (kind IN ('MONEY', 'GOODS')),
  received_on         date NOT NULL,
  amount              bigint NOT NULL CHECK (amount BETWEEN -5000000000000 AND 5000000000000),
  reference           text CHECK (length(reference) BETWEEN 1 AND 100),
  earmark_programme   text CHECK (length(earmark_programme) <= 200),
  earmark_aid_type_id uuid REFERENCES aid_types (id),
  earmark_regency_id  uuid REFERENCES organizations (id),
  notes               text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  reverses_id         uuid CONSTRAINT donations_reverses_id_key UNIQUE REFERENCES donations (id),
  reversal_reason     text CHECK (length(reversal_reason) <= 500),
  created_at          timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT donations_reference_key UNIQUE (organization_id, reference),
  CONSTRAINT donations_sign CHECK (
    (reverses_id IS NULL AND amount > 0 AND reversal_reason IS NULL) OR
    (reverses_id IS NOT NULL AND amount < 0 AND reversal_reason IS NOT NULL))
);
CREATE INDEX donations_received_idx ON donations (received_on, seq);
CREATE INDEX donations_organization_idx ON donations (organization_id, received_on);
CREATE INDEX donations_partner_idx ON donations (partner_id, received_on);
CREATE TRIGGER donations_append_only BEFORE UPDATE OR DELETE ON donations
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE donation_items (
  donation_id     uuid NOT NULL REFERENCES donations (id),
  line            int NOT NULL CHECK (line >= 1),
  description     text NOT NULL CHECK (length(description) BETWEEN 1 AND 200),
  quantity        int NOT NULL CHECK (quantity > 0),
  unit            text NOT NULL CHECK (length(unit) BETWEEN 1 AND 40),
  estimated_value bigint NOT NULL CHECK (estimated_value > 0 AND estimated_value <= 5000000000000),
  PRIMARY KEY (donation_id, line)
);
CREATE TRIGGER donation_items_append_only BEFORE UPDATE OR DELETE ON donation_items
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE donation_boxes (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  code            text NOT NULL CONSTRAINT donation_boxes_code_key UNIQUE,
  host_partner_id uuid NOT NULL REFERENCES partners (id),
  organization_id uuid NOT NULL REFERENCES organizations (id),
  regency_id      uuid NOT NULL REFERENCES organizations (id),
  address         text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
  placed_on       date NOT NULL,
  retired_on      date CHECK (retired_on >= placed_on),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX donation_boxes_organization_idx ON donation_boxes (organization_id);
CREATE INDEX donation_boxes_host_idx ON donation_boxes (host_partner_id);

CREATE TABLE box_collections (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq           bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  box_id        uuid NOT NULL REFERENCES donation_boxes (id),
  number        int NOT NULL CHECK (number >= 1),
  collected_on  date NOT NULL,
  amount        bigint NOT NULL CHECK (amount > 0 AND amount <= 5000000000000),
  denominations jsonb,
  counted_by_1  text NOT NULL CHECK (length(counted_by_1) BETWEEN 1 AND 200),
  counted_by_2  text NOT NULL CHECK (length(counted_by_2) BETWEEN 1 AND 200),
  seal_removed  text NOT NULL CHECK (length(seal_removed) BETWEEN 1 AND 100),
  seal_applied  text CHECK (length(seal_applied) BETWEEN 1 AND 100),
  donation_id   uuid NOT NULL CONSTRAINT box_collections_donation_key UNIQUE REFERENCES donations (id),
  created_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT box_collections_number_key UNIQUE (box_id, number),
  CONSTRAINT box_collections_seal_key UNIQUE (box_id, seal_removed),
  CONSTRAINT box_collections_two_counters CHECK (lower(btrim(counted_by_1)) <> lower(btrim(counted_by_2)))
);
CREATE INDEX box_collections_collected_idx ON box_collections (collected_on, seq);
CREATE TRIGGER box_collections_append_only BEFORE UPDATE OR DELETE ON box_collections
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE aid_outputs (
  id                       uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq                      bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  organization_id          uuid NOT NULL REFERENCES organizations (id),
  aid_type_id              uuid NOT NULL REFERENCES aid_types (id),
  quantity                 int NOT NULL CHECK (quantity > 0),
  cost                     bigint NOT NULL CHECK (cost >= 0 AND cost <= 5000000000000),
  delivered_on             date NOT NULL,
  beneficiary_group        text NOT NULL CHECK (beneficiary_group IN ('ELDERLY', 'DISABLED', 'INSTITUTION', 'POOR_HOUSEHOLD', 'DISASTER_VICTIMS', 'CHILDREN', 'OTHER')),
  pmks_category            text NOT NULL CHECK (pmks_category IN ('POVERTY', 'NEGLECT', 'DISABILITY', 'SOCIAL_DEVIANCE', 'DISASTER')),
  regency_id               uuid NOT NULL REFERENCES organizations (id),
  recipient_institution_id uuid REFERENCES organizations (id),
  notes                    text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aid_outputs_delivered_idx ON aid_outputs (delivered_on, seq);
CREATE INDEX aid_outputs_organization_idx ON aid_outputs (organization_id, delivered_on);
CREATE TRIGGER aid_outputs_append_only BEFORE UPDATE OR DELETE ON aid_outputs
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

CREATE TABLE programme_targets (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  year            int NOT NULL CHECK (year BETWEEN 2000 AND 2100),
  aid_type_id     uuid NOT NULL REFERENCES aid_types (id),
  target_quantity int NOT NULL CHECK (target_quantity >= 0),
  budget          bigint NOT NULL CHECK (budget >= 0 AND budget <= 5000000000000),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT programme_targets_key UNIQUE (organization_id, year, aid_type_id)
);

CREATE TABLE work_meetings (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  organization_id uuid NOT NULL REFERENCES organizations (id),
  title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
  held_on         date NOT NULL,
  place           text NOT NULL CHECK (length(place) BETWEEN 1 AND 200),
  period_from     date NOT NULL,
  period_to       date NOT NULL CHECK (period_to >= period_from),
  created_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meeting_attendance (
  meeting_id        uuid NOT NULL REFERENCES work_meetings (id),
  participant_group text NOT NULL CHECK (participant_group IN ('REGENCY_SOCIAL_OFFICE', 'REGENCY_PLANNING_BOARD', 'REGENCY_COUNCIL', 'PROVINCE_COUNCIL', 'PROVINCE_GOVERNMENT_UNIT', 'INSTITUTION', 'OTHER')),
  attendees         int NOT NULL CHECK (attendees >= 0),
  PRIMARY KEY (meeting_id, participant_group)
);

-- A create mutation's idempotency key: the same key and input give back the
-- first result; result_id is filled in by the same transaction as the write.
CREATE TABLE idempotency_keys (
  key          text PRIMARY KEY CHECK (length(key) BETWEEN 1 AND 200),
  operation    text NOT NULL,
  request_hash bytea NOT NULL,
  result_id    uuid,
  created_at   timestamptz NOT NULL DEFAULT now()
);

-- Who did what, when, with the values before and after.
CREATE TABLE audit_log (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at         timestamptz NOT NULL DEFAULT now(),
  actor      text NOT NULL,
  request_id text NOT NULL DEFAULT '',
  action     text NOT NULL,
  entity     text NOT NULL,
  entity_id  uuid NOT NULL,
  before     jsonb,
  after      jsonb
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
