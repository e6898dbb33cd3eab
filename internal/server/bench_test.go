package server_test

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// BenchmarkDonationPage is the list resolver end to end over HTTP: a page
// of 50 donations with organization, its parent and partner, as a
// dashboard asks for it (demo data; the national figures are in
// docs/PERFORMANCE.md, from cmd/sinergi-load).
func BenchmarkDonationPage(b *testing.B) {
	e := newEnvOn(b, pgtest.DB(b))
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	const q = `query($o: ID!) { donations(first: 50, filter: {organizationId: $o}) { edges { node {
		id receivedOn amount source organization { name parent { name } } partner { name } } } } }`
	vars := map[string]any{"o": bali}
	for b.Loop() {
		if r := e.post(q, vars); len(r.Errors) > 0 {
			b.Fatal(r.Errors)
		}
	}
}

// BenchmarkImportDonations imports (dry run) a workbook of 2,000 donation
// rows through the HTTP endpoint; rows/s is the figure (docs/PERFORMANCE.md
// has the 100,000-row run from the command line).
func BenchmarkImportDonations(b *testing.B) {
	e := newEnvOn(b, pgtest.DB(b))
	const rows = 2000
	book := excelize.NewFile()
	book.SetSheetRow("Sheet1", "A1", &[]any{"Kode organisasi", "Tanggal diterima", "Sumber", "Jenis", "Jumlah (Rp)", "Mitra", "Nomor referensi", "Catatan"})
	for i := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		book.SetSheetRow("Sheet1", cell, &[]any{"BALI-BADUNG", fmt.Sprintf("%02d/%02d/2015", 1+i%28, 1+i%12), "INDIVIDUAL", "MONEY", 10_000 + i, "", fmt.Sprintf("B-%06d", i), ""})
	}
	var buf bytes.Buffer
	if err := book.Write(&buf); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		res := e.importResult("/imports/donations.xlsx?dryRun=true", buf.Bytes(), 200)
		if res.Created != rows {
			b.Fatalf("%+v", res.Errors[:1])
		}
	}
	b.ReportMetric(float64(rows*b.N)/b.Elapsed().Seconds(), "rows/s")
}
