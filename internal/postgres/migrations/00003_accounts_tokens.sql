-- +goose Up
-- Who may call the API. An operator is bound to an organization's subtree,
-- a partner account to one partner.
CREATE TABLE accounts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name            text NOT NULL CONSTRAINT accounts_name_key UNIQUE CHECK (length(name) BETWEEN 1 AND 200),
  role            text NOT NULL CHECK (role IN ('ADMIN', 'OPERATOR', 'AUDITOR', 'PARTNER')),
  organization_id uuid REFERENCES organizations (id),
  partner_id      uuid REFERENCES partners (id),
  created_at      timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT accounts_operator_scope CHECK ((role = 'OPERATOR') = (organization_id IS NOT NULL)),
  CONSTRAINT accounts_partner_scope CHECK ((role = 'PARTNER') = (partner_id IS NOT NULL))
);

-- API tokens: only a SHA-256 hash of each is kept; the token itself is shown
-- once, when it is made.
CREATE TABLE api_tokens (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  account_id   uuid NOT NULL REFERENCES accounts (id),
  name         text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  token_hash   bytea NOT NULL CONSTRAINT api_tokens_hash_key UNIQUE CHECK (length(token_hash) = 32),
  expires_at   timestamptz,
  last_used_at timestamptz,
  revoked_at   timestamptz,
  created_at   timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT api_tokens_name_key UNIQUE (account_id, name)
);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);

-- Idempotency keys are stored per account ("<account id>:<key>").
ALTER TABLE idempotency_keys DROP CONSTRAINT idempotency_keys_key_check,
  ADD CONSTRAINT idempotency_keys_key_check CHECK (length(key) BETWEEN 1 AND 300);
