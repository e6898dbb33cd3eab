package imports

import (
	"bytes"
	"errors"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/fault"
)

// FuzzReadWorkbook: whatever bytes are uploaded, reading them either
// yields rows or refuses the file as a whole; it never panics or fails
// otherwise.
func FuzzReadWorkbook(f *testing.F) {
	book := excelize.NewFile()
	book.SetSheetRow("Sheet1", "A1", &[]any{"Kode organisasi", "Tanggal diterima", "Sumber", "Jenis", "Jumlah (Rp)"})
	book.SetSheetRow("Sheet1", "A2", &[]any{"BALI", 41701, "INDIVIDUAL", "MONEY", 150000})
	var buf bytes.Buffer
	if err := book.Write(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte("PK\x03\x04"))
	f.Add([]byte{})
	columns := specs["donations"].columns
	f.Fuzz(func(t *testing.T, file []byte) {
		_, rows, err := readFile(file, columns, DefaultLimits)
		var refused *Refused
		if err != nil && !errors.As(err, &refused) {
			t.Fatalf("not refused as a file: %v", err)
		}
		for _, r := range rows {
			if r.n < 2 || len(r.cells) == 0 {
				t.Fatalf("row %d read with %d cells", r.n, len(r.cells))
			}
		}
	})
}

// TestParseCells: numbers and dates as cells hold them and as people type
// them in Indonesian.
func TestParseCells(t *testing.T) {
	for s, want := range map[string]int64{"1500000": 1_500_000, "1.5E6": 1_500_000, "Rp 1.500.000": 1_500_000, "rp1.500.000,00": 1_500_000,
		"1.500": 1500, "-5000": -5000, "250000.0": 250_000} {
		var v faultInput
		if got, ok := parseInteger(&v.in, "x", s); !ok || got != want {
			t.Errorf("parseInteger(%q) = %d %v %v, want %d", s, got, ok, v.in.Fields, want)
		}
	}
	for _, s := range []string{"1.500.000,50", "1,5", "abc", "1500000.5", "", "Rp"} {
		var v faultInput
		if got, ok := parseInteger(&v.in, "x", s); ok {
			t.Errorf("parseInteger(%q) = %d, want refused", s, got)
		}
	}
	for s, want := range map[string]string{"41701": "2014-03-03", "03/03/2014": "2014-03-03", "3/3/2014": "2014-03-03", "2014-03-03": "2014-03-03", "03-03-2014": "2014-03-03"} {
		var v faultInput
		if got := parseDate(&v.in, "x", s); got.String() != want || len(v.in.Fields) > 0 {
			t.Errorf("parseDate(%q) = %s %v, want %s", s, got, v.in.Fields, want)
		}
	}
	for _, s := range []string{"41701.5", "0", "31/02/2014", "kemarin", "2014/03/03"} {
		var v faultInput
		if parseDate(&v.in, "x", s); len(v.in.Fields) == 0 {
			t.Errorf("parseDate(%q) accepted", s)
		}
	}
}

type faultInput struct{ in fault.InvalidInput }
