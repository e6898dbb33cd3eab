-- +goose Up
-- What a council writes about a programme target for its Raker, in a few
-- sentences: how the year went. The latest note stands; earlier ones stay.
CREATE TABLE programme_narratives (
  id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq        bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  target_id  uuid NOT NULL REFERENCES programme_targets (id),
  text       text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
  written_by text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX programme_narratives_target_idx ON programme_narratives (target_id, seq);
CREATE TRIGGER programme_narratives_append_only BEFORE UPDATE OR DELETE ON programme_narratives
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER programme_narratives_no_truncate BEFORE TRUNCATE ON programme_narratives
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- The decisions and recommendations of a work meeting, in the order the
-- meeting took them.
CREATE TABLE meeting_decisions (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  meeting_id  uuid NOT NULL REFERENCES work_meetings (id),
  kind        text NOT NULL CHECK (kind IN ('DECISION', 'RECOMMENDATION')),
  text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 2000),
  recorded_by text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meeting_decisions_meeting_idx ON meeting_decisions (meeting_id, seq);
CREATE TRIGGER meeting_decisions_append_only BEFORE UPDATE OR DELETE ON meeting_decisions
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER meeting_decisions_no_truncate BEFORE TRUNCATE ON meeting_decisions
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
