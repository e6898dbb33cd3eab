package export_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

// benchRows is the ledger size of the export benchmarks: 1,000,000 unless
// SINERGI_BENCH_ROWS says otherwise.
func benchRows(b *testing.B) int {
	if s := os.Getenv("SINERGI_BENCH_ROWS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			b.Fatal(err)
		}
		return n
	}
	return 1_000_000
}

// peakRSS returns the process's peak resident memory in MB (VmHWM). Run one
// benchmark per process to read it for that benchmark alone.
func peakRSS(b *testing.B) float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}

// BenchmarkDonationLedger exports a ledger of benchRows donations from
// PostgreSQL through the real workbook code.
func BenchmarkDonationLedger(b *testing.B) {
	n := benchRows(b)
	ctx := context.Background()
	db := pgtest.DB(b)
	var org, partner string
	if err := db.Get(&org, `INSERT INTO organizations (kind, code, name, time_zone) VALUES ('PROVINCE_COUNCIL', 'B', 'BKKKS Contoh', 'Asia/Makassar') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	if err := db.Get(&partner, `INSERT INTO partners (kind, name) VALUES ('CSR_COMPANY', 'PT Contoh Sejahtera') RETURNING id`); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	if _, err := db.Exec(`
		INSERT INTO donations (organization_id, source, partner_id, kind, received_on, amount, reference, notes)
		SELECT $1, 'CSR', $2, 'MONEY', date '2014-01-01' + (g % 365), 1000 + g, 'REF-' || g, 'catatan ' || g
		FROM generate_series(1, $3) g`, org, partner, n); err != nil {
		b.Fatal(err)
	}
	b.Logf("inserted %d donations in %v", n, time.Since(start).Round(time.Millisecond))
	store := donation.NewStore(db)
	b.ResetTimer()
	for b.Loop() {
		if err := export.Donations(ctx, auth.System("bench"), store, donation.Filter{}, export.Indonesian, time.Now(), io.Discard); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peakRSS(b), "peak-RSS-MB")
}

// BenchmarkBareStreamWriter is the baseline: the same rows and columns,
// made in memory and written with a bare excelize StreamWriter, no database
// and no styles.
func BenchmarkBareStreamWriter(b *testing.B) {
	n := benchRows(b)
	created := time.Now().UTC()
	for b.Loop() {
		f := excelize.NewFile()
		sw, err := f.NewStreamWriter("Sheet1")
		if err != nil {
			b.Fatal(err)
		}
		header := make([]any, 15)
		for i := range header {
			header[i] = fmt.Sprintf("Kolom %d", i+1)
		}
		if err := sw.SetRow("A1", header); err != nil {
			b.Fatal(err)
		}
		base := time.Date(2014, 1, 1, 0, 0, 0, 0, time.UTC)
		row := make([]any, 15)
		for g := 1; g <= n; g++ {
			cell, _ := excelize.CoordinatesToCellName(1, g+1)
			row[0] = "7d0f5f6e-0000-4000-8000-" + fmt.Sprintf("%012d", g)
			row[1] = base.AddDate(0, 0, g%365)
			row[2], row[3], row[4], row[5], row[6] = "B", "BKKKS Contoh", "CSR perusahaan", "Uang", "PT Contoh Sejahtera"
			row[7] = int64(1000 + g)
			row[8] = "REF-" + strconv.Itoa(g)
			row[9], row[10], row[11], row[12] = nil, nil, nil, nil
			row[13] = "catatan " + strconv.Itoa(g)
			row[14] = created
			if err := sw.SetRow(cell, row); err != nil {
				b.Fatal(err)
			}
		}
		if err := sw.Flush(); err != nil {
			b.Fatal(err)
		}
		if _, err := f.WriteTo(io.Discard); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	b.ReportMetric(peakRSS(b), "peak-RSS-MB")
}
