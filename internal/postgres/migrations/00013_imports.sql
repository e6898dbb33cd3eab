-- +goose Up
-- An import: one uploaded workbook applied in one transaction, each row
-- through the same write as GraphQL, the whole audited with the file's hash.
-- Dry runs write nothing, so they are not here.
CREATE TABLE imports (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  seq         bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
  kind        text NOT NULL CHECK (kind IN ('donations', 'box-collections', 'aid-outputs', 'programme-targets')),
  file_name   text NOT NULL CHECK (length(file_name) <= 255),
  file_sha256 text NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
  rows        integer NOT NULL CHECK (rows >= 0),
  created     integer NOT NULL CHECK (created >= 0),
  skipped     integer NOT NULL CHECK (skipped >= 0),
  imported_by text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

-- What each imported row became, by the row's natural key: the council's
-- own reference, the ledger entry it was exported as, or the hash of its
-- content with its occurrence in the file. A second import of the same or
-- an edited file finds its rows here and creates only the new ones; a key
-- whose content changed is a conflict, resolved by reversal.
CREATE TABLE import_rows (
  kind           text NOT NULL,
  natural_key    text NOT NULL CHECK (length(natural_key) <= 600),
  content_sha256 text NOT NULL CHECK (content_sha256 ~ '^[0-9a-f]{64}$'),
  record_id      uuid NOT NULL,
  import_id      uuid NOT NULL REFERENCES imports (id),
  PRIMARY KEY (kind, natural_key)
);
CREATE INDEX import_rows_import_idx ON import_rows (import_id);

CREATE TRIGGER imports_append_only BEFORE UPDATE OR DELETE ON imports
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER imports_no_truncate BEFORE TRUNCATE ON imports
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER import_rows_append_only BEFORE UPDATE OR DELETE ON import_rows
  FOR EACH ROW EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER import_rows_no_truncate BEFORE TRUNCATE ON import_rows
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();

-- +goose Down
DROP TABLE import_rows;
DROP TABLE imports;
