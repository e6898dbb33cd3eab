package imports

import (
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// BenchmarkReadRows reads a workbook of 10,000 donation rows: the part of
// an import before the database.
func BenchmarkReadRows(b *testing.B) {
	f := excelize.NewFile()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"Kode organisasi", "Tanggal diterima", "Sumber", "Jenis", "Jumlah (Rp)", "Mitra", "Nomor referensi", "Catatan"})
	start := time.Date(2015, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 10_000 {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		sw.SetRow(cell, []any{"BALI-BADUNG", start.AddDate(0, 0, i%600), "INDIVIDUAL", "MONEY", 10_000 + i, "", fmt.Sprintf("B-%06d", i), ""})
	}
	sw.Flush()
	path := b.TempDir() + "/10k.xlsx"
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
	file, _ := os.ReadFile(path)
	columns := specs["donations"].columns
	b.ReportAllocs()
	for b.Loop() {
		_, rows, err := readFile(file, columns, DefaultLimits)
		if err != nil || len(rows) != 10_000 {
			b.Fatal(err, len(rows))
		}
	}
}
