-- +goose Up
-- A permit's operating costs stay within its cap of what it collected net
-- of reversals (00016) — also when a gift is reversed after the costs were
-- booked: a reversal that would leave the costs above the cap of the
-- smaller collection is refused, until costs are released. The donation's
-- row is locked first and the permit's second, in the order an allocation
-- takes them.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION reversal_unallocated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  live bigint;
  ids text;
  p permits%ROWTYPE;
  collected bigint;
  costs bigint;
BEGIN
  IF NEW.reverses_id IS NULL THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'donations' THEN
    PERFORM 1 FROM donations WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE donation_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.donation_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  ELSE
    PERFORM 1 FROM aid_outputs WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE aid_output_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.aid_output_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  END IF;
  IF live > 0 THEN
    -- The message names the allocations to release; the API passes it on.
    RAISE EXCEPTION 'allocations %', ids USING ERRCODE = '23514', CONSTRAINT = TG_TABLE_NAME || '_allocated';
  END IF;
  -- Nested: an aid output's row has no permit_id to read.
  IF TG_TABLE_NAME = 'donations' THEN
    IF NEW.permit_id IS NOT NULL THEN
      SELECT * INTO p FROM permits WHERE id = NEW.permit_id FOR NO KEY UPDATE;
      IF p.cost_cap_bp IS NOT NULL THEN
        SELECT COALESCE(sum(amount), 0) + NEW.amount INTO collected FROM donations WHERE permit_id = p.id;
        SELECT COALESCE(sum(x.amount), 0) INTO costs FROM allocations x JOIN donations d ON d.id = x.donation_id
          WHERE d.permit_id = p.id AND x.aid_output_id IS NULL;
        IF costs > collected * p.cost_cap_bp / 10000 THEN
          -- The message gives the figures; the API passes it on.
          RAISE EXCEPTION 'permit % would collect %, which allows % of costs; % are booked', p.number, collected,
            collected * p.cost_cap_bp / 10000, costs USING ERRCODE = '23514', CONSTRAINT = 'donations_permit_cost_cap';
        END IF;
      END IF;
    END IF;
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION reversal_unallocated() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  live bigint;
  ids text;
BEGIN
  IF NEW.reverses_id IS NULL THEN
    RETURN NEW;
  END IF;
  IF TG_TABLE_NAME = 'donations' THEN
    PERFORM 1 FROM donations WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE donation_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.donation_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  ELSE
    PERFORM 1 FROM aid_outputs WHERE id = NEW.reverses_id FOR NO KEY UPDATE;
    SELECT COALESCE(sum(amount), 0) INTO live FROM allocations WHERE aid_output_id = NEW.reverses_id;
    SELECT string_agg(a.id::text, ', ' ORDER BY a.seq) INTO ids FROM allocations a
      WHERE a.aid_output_id = NEW.reverses_id AND a.releases_id IS NULL
        AND NOT EXISTS (SELECT 1 FROM allocations r WHERE r.releases_id = a.id);
  END IF;
  IF live > 0 THEN
    RAISE EXCEPTION 'allocations %', ids USING ERRCODE = '23514', CONSTRAINT = TG_TABLE_NAME || '_allocated';
  END IF;
  RETURN NEW;
END;
$$;
-- +goose StatementEnd
