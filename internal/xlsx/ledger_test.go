package xlsx

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/money"
)

// TestLedgerContinuesOnNextSheet: a ledger longer than a sheet goes on
// under the same header on the next sheets, every row once, in order, and
// the last sheet carries the totals of all of them.
func TestLedgerContinuesOnNextSheet(t *testing.T) {
	for _, rows := range []int{0, 1, 4, 5, 8, 9} {
		l, err := NewLedger("Donasi", Properties{Created: time.Now()}, []Column{{Header: "No", Kind: Ordinal}, {Header: "Jumlah", Kind: Money}})
		if err != nil {
			t.Fatal(err)
		}
		l.perSheet = 5 // header and 4 rows
		err = l.Fill(context.Background(), func(emit func(...any) error) error {
			for i := 1; i <= rows; i++ {
				if err := emit(i, money.Rupiah(i*1000)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f := finished(t, l, "Jumlah")
		var seen []string
		var last [][]string
		for i, name := range f.GetSheetList() {
			want := "Donasi"
			if i > 0 {
				want = fmt.Sprintf("Donasi (%d)", i+1)
			}
			if name != want {
				t.Errorf("%d rows: sheet %d is %q, want %q", rows, i+1, name, want)
			}
			got, err := f.GetRows(name, excelize.Options{RawCellValue: true})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 || len(got) > 5 || !slices.Equal(got[0], []string{"No", "Jumlah"}) {
				t.Fatalf("%d rows: sheet %q holds %v", rows, name, got)
			}
			for _, r := range got[1:] {
				seen = append(seen, r[0])
			}
			last = got
		}
		total := last[len(last)-1]
		seen = seen[:len(seen)-1] // the totals row
		want := make([]string, rows)
		sum := 0
		for i := range rows {
			want[i] = fmt.Sprint(i + 1)
			sum += (i + 1) * 1000
		}
		if !slices.Equal(seen, want) || total[0] != "Jumlah" || total[1] != fmt.Sprint(sum) {
			t.Errorf("%d rows: read %v, totals %v; want %v and %d", rows, seen, total, want, sum)
		}
		// 4 rows a sheet, and a row for the totals.
		if sheets := f.SheetCount; sheets != l.Sheets() || sheets != rows/4+1 {
			t.Errorf("%d rows on %d sheets", rows, sheets)
		}
		f.Close()
	}
}

// TestNumbersPrintTheIndonesianWay: money and counts carry the Indonesian
// locale in their format, so a spreadsheet program in any language prints
// Rp 65.650.000, not Rp 65,650,000 (checked with LibreOffice's PDF export;
// excelize's own text rendering ignores the locale's separators).
func TestNumbersPrintTheIndonesianWay(t *testing.T) {
	l, err := NewLedger("Donasi", Properties{Created: time.Now()}, []Column{{Header: "Jumlah", Kind: Money}, {Header: "Banyak", Kind: Integer}})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if err := l.Add(money.Rupiah(65_650_000), 1_234_567); err != nil {
		t.Fatal(err)
	}
	if err := l.Finish("Jumlah"); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for cell, want := range map[string]string{"A2": RupiahFormat, "B2": IntegerFormat} {
		id, err := f.GetCellStyle("Donasi", cell)
		if err != nil {
			t.Fatal(err)
		}
		st, err := f.GetStyle(id)
		if err != nil || st.CustomNumFmt == nil || *st.CustomNumFmt != want {
			t.Errorf("%s: format %v, want %s (%v)", cell, st.CustomNumFmt, want, err)
		}
	}
}

// TestQuantitiesTotalOnlyInOneUnit: a quantity column counted in a unit
// gets a total when every row names the same unit, and none when the rows
// mix units; the money beside it is totalled either way.
func TestQuantitiesTotalOnlyInOneUnit(t *testing.T) {
	for _, tc := range []struct {
		units []string
		want  string // the quantity's total
	}{
		{[]string{"kg", "kg", "kg"}, "6"},
		{[]string{"kg", "paket", "kg"}, ""},
		{[]string{"paket"}, "1"},
	} {
		l, err := NewLedger("Penyaluran", Properties{Created: time.Now()}, []Column{
			{Header: "No", Kind: Ordinal}, {Header: "Satuan", Kind: Text},
			{Header: "Jumlah", Kind: Integer, UnitIn: 1}, {Header: "Biaya", Kind: Money}})
		if err != nil {
			t.Fatal(err)
		}
		err = l.Fill(context.Background(), func(emit func(...any) error) error {
			for i, u := range tc.units {
				if err := emit(i+1, &u, i+1, money.Rupiah(1000)); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		f := finished(t, l, "Jumlah")
		rows, err := f.GetRows("Penyaluran", excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		total := append(rows[len(rows)-1], "", "", "", "")
		if total[0] != "Jumlah" || total[2] != tc.want || total[3] != fmt.Sprint(1000*len(tc.units)) {
			t.Errorf("units %v: totals row %q, want quantity %q and cost %d", tc.units, rows[len(rows)-1], tc.want, 1000*len(tc.units))
		}
	}
}

// finished ends l with a totals row labelled label and opens what it wrote.
func finished(t *testing.T, l *Ledger, label string) *excelize.File {
	t.Helper()
	if err := l.Finish(label); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := l.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	l.Close()
	f, err := excelize.OpenReader(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return f
}
