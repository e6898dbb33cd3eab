-- +goose Up
-- Only a reversal can leave allocations behind; every other insert called
-- the check's function just to return at its first line. The trigger now
-- fires for reversals only, so a gift or an output inserts without a
-- PL/pgSQL call.
DROP TRIGGER donations_unallocated ON donations;
CREATE TRIGGER donations_unallocated BEFORE INSERT ON donations
  FOR EACH ROW WHEN (NEW.reverses_id IS NOT NULL) EXECUTE FUNCTION reversal_unallocated();
DROP TRIGGER aid_outputs_unallocated ON aid_outputs;
CREATE TRIGGER aid_outputs_unallocated BEFORE INSERT ON aid_outputs
  FOR EACH ROW WHEN (NEW.reverses_id IS NOT NULL) EXECUTE FUNCTION reversal_unallocated();

-- +goose Down
DROP TRIGGER donations_unallocated ON donations;
CREATE TRIGGER donations_unallocated BEFORE INSERT ON donations
  FOR EACH ROW EXECUTE FUNCTION reversal_unallocated();
DROP TRIGGER aid_outputs_unallocated ON aid_outputs;
CREATE TRIGGER aid_outputs_unallocated BEFORE INSERT ON aid_outputs
  FOR EACH ROW EXECUTE FUNCTION reversal_unallocated();
