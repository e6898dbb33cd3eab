-- +goose Up
-- An aid output recorded wrongly is corrected like a donation: by a reversal
-- entry with the opposite quantity and cost, pointing at it, at most once.
ALTER TABLE aid_outputs
  ADD COLUMN reverses_id uuid CONSTRAINT aid_outputs_reverses_id_key UNIQUE REFERENCES aid_outputs (id),
  ADD COLUMN reversal_reason text CHECK (length(reversal_reason) <= 500),
  DROP CONSTRAINT aid_outputs_quantity_check,
  DROP CONSTRAINT aid_outputs_cost_check,
  ADD CONSTRAINT aid_outputs_sign CHECK (
    (reverses_id IS NULL AND quantity > 0 AND cost >= 0 AND cost <= 5000000000000 AND reversal_reason IS NULL) OR
    (reverses_id IS NOT NULL AND quantity < 0 AND cost <= 0 AND cost >= -5000000000000 AND reversal_reason IS NOT NULL));
