package donation

import (
	"context"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// wholeMonths is the part of a period [from, to] made of whole calendar
// months: from the month starting first to the month starting last (nil: no
// bound). ok is false when the period holds no whole month.
func wholeMonths(from, to *calendar.Date) (first, last *calendar.Date, ok bool) {
	if from != nil {
		f := *from
		if f.Day != 1 {
			f = calendar.New(f.Year, f.Month+1, 1)
		}
		first = &f
	}
	if to != nil {
		l := calendar.New(to.Year, to.Month, 1)
		if to.AddDays(1).Day != 1 { // not the month's last day
			l = calendar.New(to.Year, to.Month-1, 1)
		}
		last = &l
	}
	return first, last, first == nil || last == nil || !first.After(*last)
}

// fromMonths answers a sum by source or kind (and month) from the monthly
// sums for the whole months of the period and from the ledger for the days
// at either end. It serves callers that see whole councils and filters the
// monthly sums keep (not a partner); ok is false when it cannot serve.
func (s *Store) fromMonths(ctx context.Context, sc auth.Scope, f Filter, key string, byMonth bool, order string) (out []Group, ok bool, err error) {
	if sc.IsPartner() || f.PartnerID != nil || (key != "source" && key != "kind" && key != "organization_id") {
		return nil, false, nil
	}
	first, last, whole := wholeMonths(f.From, f.To)
	if !whole {
		return nil, false, nil
	}
	under, err := organization.SubtreePath(ctx, s.db, sc, "filter.organizationId", f.OrganizationID)
	if err != nil {
		return nil, true, err
	}
	var srcs any
	if f.Sources != nil {
		srcs = pq.Array(f.Sources)
	}
	var args postgres.Args
	lo, hi := args.Add(first), args.Add(last)
	u, src, kind := args.Add(under), args.Add(srcs), args.Add(f.Kind)
	month, monthOf, outer, group := `NULL::date`, `NULL::date`, `NULL::date`, `1`
	if byMonth {
		month, monthOf, outer, group = `r.month`, `date_trunc('month', d.received_on)::date`, `month`, `1, 2`
	}
	parts := []string{`SELECT r.` + key + `::text AS key, ` + month + ` AS month, r.entries, r.amount
			FROM donation_months r JOIN organizations o ON o.id = r.organization_id
			WHERE (` + lo + `::date IS NULL OR r.month >= ` + lo + `) AND (` + hi + `::date IS NULL OR r.month <= ` + hi + `)
				AND (` + u + `::ltree IS NULL OR o.path <@ ` + u + `::ltree)
				AND (` + src + `::text[] IS NULL OR r.source = ANY(` + src + `))
				AND (` + kind + `::text IS NULL OR r.kind = ` + kind + `)
				AND ` + sc.Gifts(&args, "o.path", "NULL")}
	// The days before the first whole month and after the last come from
	// the ledger, each a range its date index reads alone.
	var edges [][2]calendar.Date
	if f.From != nil && f.From.Before(*first) {
		edges = append(edges, [2]calendar.Date{*f.From, first.AddDays(-1)})
	}
	if f.To != nil && last != nil {
		if after := calendar.New(last.Year, last.Month+1, 1); !f.To.Before(after) {
			edges = append(edges, [2]calendar.Date{after, *f.To})
		}
	}
	for _, e := range edges {
		ef := f
		ef.From, ef.To = &e[0], &e[1]
		sub := ""
		if under != nil {
			sub = u + "::ltree"
		}
		parts = append(parts, `SELECT d.`+key+`::text, `+monthOf+`, 1, d.amount FROM `+scopedFrom+` WHERE `+condition(sc, ef, sub, &args))
	}
	query := `SELECT key, ` + outer + ` AS month, SUM(entries)::int AS count, SUM(amount)::bigint AS amount FROM (
			` + strings.Join(parts, "\n\t\t\tUNION ALL\n\t\t\t") + `
		) x GROUP BY ` + group + ` ORDER BY ` + order
	if err := s.db.SelectContext(ctx, &out, query, args...); err != nil {
		return nil, true, fmt.Errorf("sum donations by %s from monthly sums: %w", key, err)
	}
	return out, true, nil
}

// DeferMonths makes the donations an import inserts reach the monthly
// sums (donation_months) once, just before the import commits, instead
// of statement by statement: thousands of updates of the same few sums in
// one transaction would each walk past every earlier version of the row
// (migration 00014). Readers outside the import see the sums and the
// entries change together, at its commit.
func DeferMonths(ctx context.Context, im *change.Import) error {
	// Every entry the import inserts comes after the last one now: its
	// own are those after it that its transaction wrote.
	var last int64
	if err := im.Tx.GetContext(ctx, &last, `SELECT coalesce(max(seq), 0) FROM donations`); err != nil {
		return fmt.Errorf("defer monthly sums: %w", err)
	}
	if _, err := im.Tx.ExecContext(ctx, `SELECT set_config('sinergi.defer_months', 'on', true)`); err != nil {
		return fmt.Errorf("defer monthly sums: %w", err)
	}
	im.OnCommit(func(ctx context.Context) error {
		if _, err := im.Tx.ExecContext(ctx, `SELECT set_config('sinergi.defer_months', 'off', true)`); err != nil {
			return fmt.Errorf("add deferred monthly sums: %w", err)
		}
		_, err := im.Tx.ExecContext(ctx, `
			INSERT INTO donation_months (organization_id, month, source, kind, entries, amount)
			SELECT organization_id, date_trunc('month', received_on)::date, source, kind, count(*), sum(amount)
			FROM donations WHERE seq > $1 AND xmin = pg_current_xact_id()::xid
			GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4
			ON CONFLICT (organization_id, month, source, kind) DO UPDATE
				SET entries = donation_months.entries + EXCLUDED.entries, amount = donation_months.amount + EXCLUDED.amount`, last)
		if err != nil {
			return fmt.Errorf("add deferred monthly sums: %w", err)
		}
		return nil
	})
	return nil
}
