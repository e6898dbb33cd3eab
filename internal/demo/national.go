package demo

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/postgres"
)

// NationalSize is the shape of the synthetic national dataset.
type NationalSize struct {
	Regencies, Institutions, Partners, Boxes int
	Donations, Outputs                       int // donations include the boxes' monthly collections
	FirstYear, Years                         int
}

// National is the size the national scale issue measures: a national
// council, 38 provinces, 514 regencies and cities, 5,000 institutions, 1,000
// partners, 20,000 boxes opened monthly, 10,000,000 donations and 500,000
// aid outputs over five years.
var National = NationalSize{Regencies: 514, Institutions: 5_000, Partners: 1_000, Boxes: 20_000,
	Donations: 10_000_000, Outputs: 500_000, FirstYear: 2010, Years: 5}

// provinces are Indonesia's 38 provinces with their time zones.
var provinces = []struct{ Code, Name, Zone string }{
	{"ACEH", "Aceh", "Asia/Jakarta"}, {"SUMUT", "Sumatera Utara", "Asia/Jakarta"}, {"SUMBAR", "Sumatera Barat", "Asia/Jakarta"},
	{"RIAU", "Riau", "Asia/Jakarta"}, {"JAMBI", "Jambi", "Asia/Jakarta"}, {"SUMSEL", "Sumatera Selatan", "Asia/Jakarta"},
	{"BENGKULU", "Bengkulu", "Asia/Jakarta"}, {"LAMPUNG", "Lampung", "Asia/Jakarta"}, {"BABEL", "Kepulauan Bangka Belitung", "Asia/Jakarta"},
	{"KEPRI", "Kepulauan Riau", "Asia/Jakarta"}, {"DKI", "DKI Jakarta", "Asia/Jakarta"}, {"JABAR", "Jawa Barat", "Asia/Jakarta"},
	{"JATENG", "Jawa Tengah", "Asia/Jakarta"}, {"DIY", "DI Yogyakarta", "Asia/Jakarta"}, {"JATIM", "Jawa Timur", "Asia/Jakarta"},
	{"BANTEN", "Banten", "Asia/Jakarta"}, {"BALI", "Bali", "Asia/Makassar"}, {"NTB", "Nusa Tenggara Barat", "Asia/Makassar"},
	{"NTT", "Nusa Tenggara Timur", "Asia/Makassar"}, {"KALBAR", "Kalimantan Barat", "Asia/Pontianak"},
	{"KALTENG", "Kalimantan Tengah", "Asia/Pontianak"}, {"KALSEL", "Kalimantan Selatan", "Asia/Makassar"},
	{"KALTIM", "Kalimantan Timur", "Asia/Makassar"}, {"KALTARA", "Kalimantan Utara", "Asia/Makassar"},
	{"SULUT", "Sulawesi Utara", "Asia/Makassar"}, {"SULTENG", "Sulawesi Tengah", "Asia/Makassar"},
	{"SULSEL", "Sulawesi Selatan", "Asia/Makassar"}, {"SULTRA", "Sulawesi Tenggara", "Asia/Makassar"},
	{"GORONTALO", "Gorontalo", "Asia/Makassar"}, {"SULBAR", "Sulawesi Barat", "Asia/Makassar"}, {"MALUKU", "Maluku", "Asia/Jayapura"},
	{"MALUT", "Maluku Utara", "Asia/Jayapura"}, {"PAPUA", "Papua", "Asia/Jayapura"}, {"PAPBAR", "Papua Barat", "Asia/Jayapura"},
	{"PAPSEL", "Papua Selatan", "Asia/Jayapura"}, {"PAPTENG", "Papua Tengah", "Asia/Jayapura"},
	{"PAPPEG", "Papua Pegunungan", "Asia/Jayapura"}, {"PAPBD", "Papua Barat Daya", "Asia/Jayapura"},
}

// LoadNational builds the synthetic national dataset in an empty database
// with set-based SQL, in one transaction. It is deterministic: every
// "random" choice is a hash of the row's number, so two loads of one size
// hold the same figures. People and companies are invented; the dataset
// has no receipts, requests or allocations (it is for measuring the
// ledgers and rollups at scale).
//
// Skew as in life: cities (every fifth regency) receive three times as many
// gifts as regencies; box collections are monthly; CSR gifts are larger.
func LoadNational(ctx context.Context, db *sqlx.DB, size NationalSize, progress func(step string, took time.Duration)) (Summary, error) {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM organizations)`); err != nil {
		return Summary{}, fmt.Errorf("check for data: %w", err)
	}
	if exists {
		return Summary{}, ErrNotEmpty
	}
	boxMonths := size.Years * 12
	collections := size.Boxes * boxMonths
	if collections > size.Donations {
		return Summary{}, fmt.Errorf("%d box collections (%d boxes, monthly for %d years) exceed %d donations", collections, size.Boxes, size.Years, size.Donations)
	}
	codes, names, zones := make([]string, len(provinces)), make([]string, len(provinces)), make([]string, len(provinces))
	for i, p := range provinces {
		codes[i], names[i], zones[i] = p.Code, "BKKKS Provinsi "+p.Name, p.Zone
	}
	first := fmt.Sprintf("%04d-01-01", size.FirstYear)
	days := fmt.Sprintf("(date '%04d-01-01' - date '%s')", size.FirstYear+size.Years, first)
	// u(x, k) is a uniform number in [0, 1) from the hash of x salted with k.
	const u = `((hashint8((%s)::bigint * 7919 + %d)::float8 + 2147483648) / 4294967296)`
	uf := func(x string, k int) string { return fmt.Sprintf(u, x, k) }
	r := fmt.Sprint(size.Regencies)
	steps := []struct {
		name string
		sql  []string
		args []any
	}{
		{"national council", []string{`INSERT INTO organizations (kind, code, name, time_zone)
			VALUES ('NATIONAL', 'NAS', 'Dewan Nasional Indonesia untuk Kesejahteraan Sosial', 'Asia/Jakarta')`}, nil},
		{"province councils", []string{`INSERT INTO organizations (parent_id, kind, code, name, time_zone)
			SELECT (SELECT id FROM organizations WHERE code = 'NAS'), 'PROVINCE_COUNCIL', c, n, z
			FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS p(c, n, z, i) ORDER BY i`},
			[]any{pq.Array(codes), pq.Array(names), pq.Array(zones)}},
		{"regency councils and institutions", []string{`
			INSERT INTO organizations (parent_id, kind, code, name, time_zone)
			SELECT p.id, 'REGENCY_COUNCIL', p.code || '-' || lpad(g::text, 3, '0'),
				CASE WHEN g % 5 = 1 THEN 'KKKS Kota ' ELSE 'KKKS Kabupaten ' END || initcap(lower(p.code)) || ' ' || g, p.time_zone
			FROM generate_series(1, ` + r + `) g
			JOIN (SELECT row_number() OVER (ORDER BY seq) - 1 AS i, id, code, time_zone FROM organizations WHERE kind = 'PROVINCE_COUNCIL') p
				ON p.i = (g - 1) % 38
			ORDER BY g`, `
			CREATE TEMP TABLE regency_no ON COMMIT DROP AS
				SELECT row_number() OVER (ORDER BY seq) - 1 AS n, id, parent_id, name LIKE 'KKKS Kota %' AS city
				FROM organizations WHERE kind = 'REGENCY_COUNCIL'`,
			`CREATE UNIQUE INDEX ON regency_no (n)`,
			`CREATE TEMP TABLE city_no ON COMMIT DROP AS SELECT row_number() OVER (ORDER BY n) - 1 AS k, n FROM regency_no WHERE city`,
			`CREATE UNIQUE INDEX ON city_no (k)`, `
			INSERT INTO organizations (parent_id, kind, code, name, time_zone)
			SELECT r.id, 'INSTITUTION', o.code || '-I' || lpad(g::text, 5, '0'),
				(ARRAY['Panti Sosial Tresna Werdha', 'Yayasan Peduli Sesama', 'Panti Asuhan Kasih', 'LKS Disabilitas Mandiri', 'Yayasan Bina Insani'])[1 + g % 5] || ' ' || g,
				o.time_zone
			FROM generate_series(1, ` + fmt.Sprint(size.Institutions) + `) g
			JOIN regency_no r ON r.n = (g - 1) % ` + r + `
			JOIN organizations o ON o.id = r.id ORDER BY g`}, nil},
		{"partners", []string{`
			INSERT INTO partners (kind, name)
			SELECT k, CASE k WHEN 'CSR_COMPANY' THEN 'PT Nusantara ' WHEN 'RETAIL' THEN 'Swalayan ' WHEN 'GOVERNMENT_UNIT' THEN 'Dinas Sosial '
				WHEN 'INDIVIDUAL' THEN 'Donatur ' WHEN 'BUSINESS' THEN 'CV Usaha ' ELSE 'Paguyuban ' END || g
			FROM generate_series(1, ` + fmt.Sprint(size.Partners) + `) g,
				LATERAL (SELECT CASE WHEN g % 20 < 4 THEN 'CSR_COMPANY' WHEN g % 20 < 6 THEN 'RETAIL' WHEN g % 20 < 8 THEN 'GOVERNMENT_UNIT'
					WHEN g % 20 < 16 THEN 'INDIVIDUAL' WHEN g % 20 < 19 THEN 'BUSINESS' ELSE 'COMMUNITY' END AS k) kind
			ORDER BY g`, `
			CREATE TEMP TABLE partner_no ON COMMIT DROP AS
				SELECT kind, row_number() OVER (PARTITION BY kind ORDER BY seq) - 1 AS n, id FROM partners`,
			`CREATE UNIQUE INDEX ON partner_no (kind, n)`,
			`CREATE TEMP TABLE partner_kind ON COMMIT DROP AS SELECT kind, count(*) AS of FROM partners GROUP BY kind`}, nil},
		{"donation boxes", []string{`
			INSERT INTO donation_boxes (code, host_partner_id, organization_id, regency_id, address, placed_on)
			SELECT 'K-' || lpad(g::text, 6, '0'), p.id, r.id, r.id, 'Gerai ' || g, date '` + first + `'
			FROM generate_series(1, ` + fmt.Sprint(size.Boxes) + `) g
			JOIN regency_no r ON r.n = (g - 1) % ` + r + `
			JOIN partner_no p ON p.kind = 'RETAIL' AND p.n = (g - 1) % (SELECT of FROM partner_kind WHERE kind = 'RETAIL')
			ORDER BY g`, `
			CREATE TEMP TABLE box_no ON COMMIT DROP AS
				SELECT row_number() OVER (ORDER BY seq) - 1 AS n, id, code, organization_id, host_partner_id FROM donation_boxes`}, nil},
		// Each opening and its donation in one statement: the donation's
		// reference (box code / opening number) leads back to the box.
		{"box collections", []string{`
			WITH d AS (
				INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference)
				SELECT b.organization_id, 'DONATION_BOX', b.host_partner_id, 'MONEY',
					(date '` + first + `' + make_interval(months => m))::date + 24 + (b.n % 4)::int,
					1000 * (50 + floor(` + uf("b.n * 1000 + m", 1) + ` * 2000)::bigint), b.code || '/' || (m + 1)
				FROM box_no b, generate_series(0, ` + fmt.Sprint(boxMonths-1) + `) m
				ORDER BY m, b.n
				RETURNING id, received_on, amount, reference)
			INSERT INTO box_collections (box_id, number, collected_on, amount, counted_by_1, counted_by_2, seal_removed, seal_applied, donation_id)
			SELECT b.id, x.m, d.received_on, d.amount, 'Petugas ' || (1 + b.n % 7), 'Pengurus ' || (1 + b.n % 5),
				b.code || '-S' || (x.m - 1), b.code || '-S' || x.m, d.id
			FROM d CROSS JOIN LATERAL (SELECT split_part(d.reference, '/', 1) AS code, split_part(d.reference, '/', 2)::int AS m) x
			JOIN box_no b ON b.code = x.code`}, nil},
		// Every choice is an array look-up by a hash of the row's number:
		// no join, so the rows stream straight into the table.
		{"other donations", []string{`
			WITH a AS (SELECT
				(SELECT array_agg(id ORDER BY n) FROM regency_no) AS regencies,
				(SELECT array_agg(r.id ORDER BY c.k) FROM city_no c JOIN regency_no r ON r.n = c.n) AS cities,
				(SELECT array_agg(id ORDER BY n) FROM partner_no WHERE kind = 'CSR_COMPANY') AS csr,
				(SELECT array_agg(id ORDER BY n) FROM partner_no WHERE kind = 'GOVERNMENT_UNIT') AS government,
				(SELECT array_agg(id ORDER BY n) FROM partner_no WHERE kind = 'INDIVIDUAL') AS individual,
				(SELECT array_agg(id ORDER BY n) FROM partner_no WHERE kind = 'BUSINESS') AS business,
				(SELECT array_agg(id ORDER BY n) FROM partner_no WHERE kind = 'COMMUNITY') AS community)
			INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference)
			SELECT
				-- a slot past the regencies picks a city: cities get three times their share
				CASE WHEN x.slot < cardinality(a.regencies) THEN a.regencies[1 + x.slot]
					ELSE a.cities[1 + (x.slot - cardinality(a.regencies)) / 2] END,
				s.source,
				CASE s.source WHEN 'CSR' THEN a.csr[1 + floor(x.p * cardinality(a.csr))::int]
					WHEN 'GOVERNMENT' THEN a.government[1 + floor(x.p * cardinality(a.government))::int]
					WHEN 'INDIVIDUAL' THEN a.individual[1 + floor(x.p * cardinality(a.individual))::int]
					WHEN 'BUSINESS' THEN a.business[1 + floor(x.p * cardinality(a.business))::int]
					WHEN 'COMMUNITY' THEN a.community[1 + floor(x.p * cardinality(a.community))::int] END,
				'MONEY', date '` + first + `' + floor(x.day * ` + days + `)::int,
				1000 * (10 + floor(power(x.size, 3) * CASE s.source WHEN 'CSR' THEN 50000 ELSE 5000 END)::bigint),
				'N-' || g
			FROM a, generate_series(1, ` + fmt.Sprint(size.Donations-collections) + `) g,
				LATERAL (SELECT floor(` + uf("g", 2) + ` * (cardinality(a.regencies) + 2 * cardinality(a.cities)))::int AS slot,
					` + uf("g", 3) + ` AS day, ` + uf("g", 4) + ` AS size, ` + uf("g", 5) + ` AS roll, ` + uf("g", 6) + ` AS p) x,
				LATERAL (SELECT CASE WHEN x.roll < 0.15 THEN 'CSR' WHEN x.roll < 0.25 THEN 'GOVERNMENT' WHEN x.roll < 0.70 THEN 'INDIVIDUAL'
					WHEN x.roll < 0.90 THEN 'BUSINESS' WHEN x.roll < 0.97 THEN 'COMMUNITY' ELSE 'OTHER' END AS source) s`}, nil},
		{"aid outputs", []string{`
			INSERT INTO aid_outputs (organization_id, aid_type_id, quantity, cost, delivered_on, beneficiary_group, pmks_category, regency_id)
			SELECT CASE WHEN g % 5 = 0 THEN r.parent_id ELSE r.id END, t.id, q.qty,
				q.qty * (ARRAY[250000, 1500000, 750000, 150000, 15000000, 200000, 2000000, 300000, 3000000])[t.seq],
				date '` + first + `' + floor(` + uf("g", 8) + ` * ` + days + `)::int,
				(ARRAY['ELDERLY', 'DISABLED', 'INSTITUTION', 'POOR_HOUSEHOLD', 'DISASTER_VICTIMS', 'CHILDREN', 'OTHER'])[1 + floor(` + uf("g", 9) + ` * 7)::int],
				(ARRAY['POVERTY', 'NEGLECT', 'DISABILITY', 'SOCIAL_DEVIANCE', 'DISASTER'])[1 + floor(` + uf("g", 10) + ` * 5)::int],
				r.id
			FROM generate_series(1, ` + fmt.Sprint(size.Outputs) + `) g
			JOIN regency_no r ON r.n = floor(` + uf("g", 7) + ` * ` + r + `)::int
			JOIN aid_types t ON t.seq = 1 + floor(` + uf("g", 11) + ` * 9)::int
			CROSS JOIN LATERAL (SELECT 1 + floor(` + uf("g", 12) + ` * 20)::int AS qty) q`}, nil},
	}
	sum := Summary{Organizations: 1 + len(provinces) + size.Regencies + size.Institutions, Partners: size.Partners,
		Donations: size.Donations, Boxes: size.Boxes, Collections: collections, AidOutputs: size.Outputs}
	err := postgres.InTx(ctx, db, func(tx *sqlx.Tx) error {
		// The load is one long transaction of bulk inserts: no statement
		// timeout, and no synchronous commit wait for each of them.
		if _, err := tx.ExecContext(ctx, `SET LOCAL statement_timeout = 0; SET LOCAL synchronous_commit = off`); err != nil {
			return err
		}
		for _, st := range steps {
			start := time.Now()
			for _, q := range st.sql {
				if _, err := tx.ExecContext(ctx, q, st.args...); err != nil {
					return fmt.Errorf("%s: %w", st.name, err)
				}
			}
			if progress != nil {
				progress(st.name, time.Since(start))
			}
		}
		return nil
	})
	if err != nil {
		return Summary{}, fmt.Errorf("load national data: %w", err)
	}
	start := time.Now()
	// After a bulk load: statistics for the planner, and the visibility
	// map, so index-only scans need not visit the table.
	if _, err := db.ExecContext(ctx, `VACUUM (ANALYZE)`); err != nil {
		return sum, fmt.Errorf("vacuum: %w", err)
	}
	if progress != nil {
		progress("vacuum", time.Since(start))
	}
	return sum, nil
}
