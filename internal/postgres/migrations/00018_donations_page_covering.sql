-- +goose Up
-- A page of a subtree's donations walks the ledger in date order and keeps
-- the rows of the subtree's councils: on the national data a province's
-- first page passes 1,596 donations to keep 51. With each donation's
-- council in the index that walk is read from the index alone (an
-- index-only scan) and only the page's own rows from the table; the page
-- statement took 1.5–2.0 ms and now 1.2 ms (pgbench, one client), and
-- 650 → 1,050 pages/s with ten clients.
DROP INDEX donations_received_idx;
CREATE INDEX donations_received_idx ON donations (received_on, seq) INCLUDE (organization_id);

-- Index-only scans need the visibility map, which vacuum keeps. Donations
-- and outputs are only inserted; by default autovacuum visits an
-- insert-only table after a fifth of its rows are new (two million on the
-- national ledger), so recent rows would be read from the table. Visit
-- after one in a hundred instead.
ALTER TABLE donations SET (autovacuum_vacuum_insert_scale_factor = 0.01);
ALTER TABLE aid_outputs SET (autovacuum_vacuum_insert_scale_factor = 0.01);

-- +goose Down
ALTER TABLE aid_outputs RESET (autovacuum_vacuum_insert_scale_factor);
ALTER TABLE donations RESET (autovacuum_vacuum_insert_scale_factor);
DROP INDEX donations_received_idx;
CREATE INDEX donations_received_idx ON donations (received_on, seq);
