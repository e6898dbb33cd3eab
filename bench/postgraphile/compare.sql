-- The functions PostGraphile needs to answer Sinergi's load workloads
-- (cmd/sinergi-load -compare): a council's subtree is not a foreign key, so
-- a reflected schema cannot select it without them. Written as a
-- PostGraphile user would: plain aggregates over the ledgers, with the
-- names joined in. Kept in a schema of its own; drop it when done:
--   DROP SCHEMA compare CASCADE;

CREATE SCHEMA IF NOT EXISTS compare;

-- W1, by aid type × regency.
CREATE OR REPLACE FUNCTION compare.outputs_by_type_and_regency(root uuid, from_date date, to_date date)
RETURNS TABLE (aid_type text, regency text, quantity bigint, cost bigint)
LANGUAGE sql STABLE AS $$
  SELECT t.name, r.name, SUM(a.quantity)::bigint, SUM(a.cost)::bigint
  FROM aid_outputs a
  JOIN organizations o ON o.id = a.organization_id
  JOIN aid_types t ON t.id = a.aid_type_id
  JOIN organizations r ON r.id = a.regency_id
  WHERE o.path <@ (SELECT path FROM organizations WHERE id = root)
    AND a.delivered_on BETWEEN from_date AND to_date
  GROUP BY t.name, r.name ORDER BY t.name, r.name
$$;

-- W1, money by source × month.
CREATE OR REPLACE FUNCTION compare.donations_by_source_and_month(root uuid, from_date date, to_date date)
RETURNS TABLE (source text, month date, amount bigint)
LANGUAGE sql STABLE AS $$
  SELECT d.source, date_trunc('month', d.received_on)::date, SUM(d.amount)::bigint
  FROM donations d
  JOIN organizations o ON o.id = d.organization_id
  WHERE o.path <@ (SELECT path FROM organizations WHERE id = root)
    AND d.received_on BETWEEN from_date AND to_date
  GROUP BY 1, 2 ORDER BY 1, 2
$$;

-- W1, by aid type.
CREATE OR REPLACE FUNCTION compare.outputs_by_type(root uuid, from_date date, to_date date)
RETURNS TABLE (aid_type text, quantity bigint, cost bigint)
LANGUAGE sql STABLE AS $$
  SELECT t.name, SUM(a.quantity)::bigint, SUM(a.cost)::bigint
  FROM aid_outputs a
  JOIN organizations o ON o.id = a.organization_id
  JOIN aid_types t ON t.id = a.aid_type_id
  WHERE o.path <@ (SELECT path FROM organizations WHERE id = root)
    AND a.delivered_on BETWEEN from_date AND to_date
  GROUP BY t.name ORDER BY t.name
$$;

-- W2: the subtree's donations in date order (as Sinergi's list); PostGraphile pages it and
-- follows the foreign keys to the council, its parent and the partner.
CREATE OR REPLACE FUNCTION compare.donations_in(root uuid)
RETURNS SETOF donations
LANGUAGE sql STABLE AS $$
  SELECT d.* FROM donations d
  JOIN organizations o ON o.id = d.organization_id
  WHERE o.path <@ (SELECT path FROM organizations WHERE id = root)
  ORDER BY d.received_on, d.seq
$$;
