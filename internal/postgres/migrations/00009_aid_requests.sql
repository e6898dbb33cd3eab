-- +goose Up
-- Aid requests (permohonan): a citizen's or an institution's request for
-- aid, received by a regency/city council (or by the province directly),
-- handled there or forwarded to the province. The request row holds its
-- current state; every transition is an event of its own, never rewritten.
--
-- An applicant's national identity number (NIK) is personal data: it is
-- kept only sealed (AES-GCM under the server's key, nik_key_id naming the
-- key) and as a keyed hash for finding earlier requests of the same person.
CREATE TABLE aid_requests (
  id                uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq               bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  received_by_id    uuid NOT NULL REFERENCES organizations (id),
  handler_id        uuid NOT NULL REFERENCES organizations (id),
  received_on       date NOT NULL,
  applicant_kind    text NOT NULL CHECK (applicant_kind IN ('PERSON', 'INSTITUTION')),
  applicant_name    text NOT NULL CHECK (length(applicant_name) BETWEEN 1 AND 200),
  nik_sealed        bytea,
  nik_hash          bytea,
  nik_key_id        text,
  address           text NOT NULL CHECK (length(address) BETWEEN 1 AND 500),
  regency_id        uuid NOT NULL REFERENCES organizations (id),
  aid_type_id       uuid NOT NULL REFERENCES aid_types (id),
  quantity          int NOT NULL CHECK (quantity > 0),
  pmks_category     text NOT NULL CHECK (pmks_category IN ('POVERTY', 'NEGLECT', 'DISABILITY', 'SOCIAL_DEVIANCE', 'DISASTER')),
  beneficiary_group text NOT NULL CHECK (beneficiary_group IN ('ELDERLY', 'DISABLED', 'INSTITUTION', 'POOR_HOUSEHOLD', 'DISASTER_VICTIMS', 'CHILDREN', 'OTHER')),
  estimated_budget  bigint NOT NULL CHECK (estimated_budget >= 0 AND estimated_budget <= 5000000000000),
  notes             text NOT NULL DEFAULT '' CHECK (length(notes) <= 2000),
  state             text NOT NULL DEFAULT 'SUBMITTED' CHECK (state IN
                      ('SUBMITTED', 'VERIFIED', 'FORWARDED', 'APPROVED', 'REJECTED', 'FULFILLED', 'CANCELLED')),
  state_on          date NOT NULL,
  -- What an approval reserves, from approved_on until the request is
  -- fulfilled or cancelled (closed_on).
  approved_budget   bigint CHECK (approved_budget >= 0 AND approved_budget <= 5000000000000),
  approved_on       date,
  closed_on         date,
  created_at        timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT aid_requests_nik CHECK ((nik_sealed IS NULL) = (nik_hash IS NULL) AND (nik_hash IS NULL) = (nik_key_id IS NULL)),
  CONSTRAINT aid_requests_person_nik CHECK (applicant_kind = 'INSTITUTION' OR nik_sealed IS NOT NULL),
  CONSTRAINT aid_requests_approval CHECK ((approved_on IS NULL) = (approved_budget IS NULL)),
  CONSTRAINT aid_requests_closed CHECK ((closed_on IS NOT NULL) = (state IN ('REJECTED', 'FULFILLED', 'CANCELLED'))),
  CONSTRAINT aid_requests_dates CHECK (state_on >= received_on AND (approved_on IS NULL OR approved_on >= received_on)
    AND (closed_on IS NULL OR closed_on >= COALESCE(approved_on, received_on)))
);
CREATE INDEX aid_requests_received_idx ON aid_requests (received_on, seq);
CREATE INDEX aid_requests_handler_idx ON aid_requests (handler_id, state);
CREATE INDEX aid_requests_received_by_idx ON aid_requests (received_by_id);
CREATE INDEX aid_requests_nik_idx ON aid_requests (nik_hash) WHERE nik_hash IS NOT NULL;
CREATE TRIGGER aid_requests_no_truncate BEFORE TRUNCATE ON aid_requests
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
-- A request is never deleted; its state moves only through events.
CREATE TRIGGER aid_requests_no_delete BEFORE DELETE ON aid_requests
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();

-- The history of a request: one row per transition, with its date, actor
-- and note; submission is the first.
CREATE TABLE aid_request_events (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq             bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  request_id      uuid NOT NULL REFERENCES aid_requests (id),
  from_state      text,
  to_state        text NOT NULL,
  -- The council handling the request after the event.
  handler_id      uuid NOT NULL REFERENCES organizations (id),
  happened_on     date NOT NULL,
  actor           text NOT NULL,
  note            text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
  -- The earlier requests of the same person that an approver acknowledged.
  acknowledged_duplicates int NOT NULL DEFAULT 0 CHECK (acknowledged_duplicates >= 0),
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX aid_request_events_request_idx ON aid_request_events (request_id, seq);
CREATE TRIGGER aid_request_events_append_only BEFORE UPDATE OR DELETE ON aid_request_events
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER aid_request_events_no_truncate BEFORE TRUNCATE ON aid_request_events
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- The aid outputs that fulfilled a request.
CREATE TABLE aid_request_outputs (
  request_id    uuid NOT NULL REFERENCES aid_requests (id),
  aid_output_id uuid NOT NULL REFERENCES aid_outputs (id),
  PRIMARY KEY (request_id, aid_output_id)
);
CREATE INDEX aid_request_outputs_output_idx ON aid_request_outputs (aid_output_id);
CREATE TRIGGER aid_request_outputs_append_only BEFORE UPDATE OR DELETE ON aid_request_outputs
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER aid_request_outputs_no_truncate BEFORE TRUNCATE ON aid_request_outputs
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

