-- +goose Up
-- Row triggers do not fire on TRUNCATE: refuse it on the ledger too.
CREATE TRIGGER donations_no_truncate BEFORE TRUNCATE ON donations
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER donation_items_no_truncate BEFORE TRUNCATE ON donation_items
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER box_collections_no_truncate BEFORE TRUNCATE ON box_collections
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER aid_outputs_no_truncate BEFORE TRUNCATE ON aid_outputs
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewrite();
