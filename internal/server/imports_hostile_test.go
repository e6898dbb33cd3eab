package server_test

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"runtime"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// replacePart rewrites the zip file with its part name holding content,
// declaring declared as its unpacked size (a lie when it differs).
func replacePart(t *testing.T, file []byte, name string, content func(w io.Writer), declared int64) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	for _, f := range zr.File {
		if f.Name != name {
			if err := zw.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		var packed bytes.Buffer
		crc := crc32.NewIEEE()
		fw, _ := flate.NewWriter(&packed, flate.BestSpeed)
		n := &countingWriter{}
		content(io.MultiWriter(fw, crc, n))
		fw.Close()
		size := n.n
		if declared >= 0 {
			size = declared
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: zip.Deflate, CRC32: crc.Sum32(),
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: uint64(size)})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(packed.Bytes())
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) { c.n += int64(len(p)); return len(p), nil }

// sheetXML writes a data sheet: the donation headers, then rows.
func sheetXML(w io.Writer, rows func(w io.Writer)) {
	io.WriteString(w, `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>`+
		`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1">`)
	for i, h := range []string{"Kode organisasi", "Tanggal diterima", "Sumber", "Jenis", "Jumlah (Rp)"} {
		fmt.Fprintf(w, `<c r="%c1" t="inlineStr"><is><t>%s</t></is></c>`, 'A'+i, h)
	}
	io.WriteString(w, `</row>`)
	rows(w)
	io.WriteString(w, `</sheetData></worksheet>`)
}

// TestImportHostileFiles: a zip bomb, a part that unpacks to more than it
// declares, and a sheet of a million empty rows are refused with a clear
// message before they cost memory; formulas are read as their cached
// values, never evaluated, and text that looks like a formula stays text
// in the ledgers it later appears in.
func TestImportHostileFiles(t *testing.T) {
	// Not parallel: what the server allocates is measured, alone.
	admin := newEnv(t)
	plain := filledTemplate(t, admin, "donations", nil)
	zeros := func(n int64) func(w io.Writer) {
		return func(w io.Writer) {
			sheetXML(w, func(w io.Writer) {
				chunk := bytes.Repeat([]byte(" "), 1<<20)
				for range n {
					w.Write(chunk)
				}
			})
		}
	}
	bomb := replacePart(t, plain, "xl/worksheets/sheet1.xml", zeros(300), -1)
	liar := replacePart(t, plain, "xl/worksheets/sheet1.xml", zeros(40), 4096)
	empty := replacePart(t, plain, "xl/worksheets/sheet1.xml", func(w io.Writer) {
		sheetXML(w, func(w io.Writer) {
			for r := 2; r <= 1_000_001; r++ {
				fmt.Fprintf(w, `<row r="%d"/>`, r)
			}
		})
	}, -1)
	before := admin.written()
	for _, c := range []struct {
		name string
		file []byte
		says string
		mb   uint64 // what refusing it may allocate
	}{
		{"zip bomb", bomb, "unpacks to more than the 256 MB accepted", 20},
		{"size lie", liar, "cannot be read", 60},
		// Rows are read one at a time up to the limit: what that
		// allocates is garbage as it goes, not memory held.
		{"a million empty rows", empty, "more than 200000 rows", 400},
	} {
		var m0, m1 runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&m0)
		res, body := admin.upload("/imports/donations.xlsx?dryRun=true", c.file)
		runtime.ReadMemStats(&m1)
		if res.StatusCode != 400 || !strings.Contains(string(body), "WORKBOOK_REFUSED") || !strings.Contains(string(body), c.says) {
			t.Errorf("%s (%d KB): %d %s, want 400 saying %q", c.name, len(c.file)>>10, res.StatusCode, body, c.says)
		}
		// The server runs in this process: what it allocated for the
		// request is bounded by what the limits let through, not by what
		// the file unpacks to.
		if grew := (m1.TotalAlloc - m0.TotalAlloc) >> 20; grew > c.mb {
			t.Errorf("%s: %d MB allocated to refuse it", c.name, grew)
		}
		t.Logf("%s: %d KB file refused after allocating %d MB", c.name, len(c.file)>>10, (m1.TotalAlloc-m0.TotalAlloc)>>20)
	}
	if !maps.Equal(admin.written(), before) {
		t.Error("a refused workbook wrote something")
	}

	// Formulas: the cached value is what is imported; one without a cached
	// value is an empty cell, refused as such. Text that looks like a
	// formula is stored as the text it is.
	evil := `=HYPERLINK("http://example.invalid","klik")`
	file := filledTemplate(t, admin, "donations", [][]any{
		{"BALI", "02/02/2015", "INDIVIDUAL", "MONEY", nil, "", "F-1", evil},
		{"BALI", "02/02/2015", "INDIVIDUAL", "MONEY", nil, "", "F-2", "+62 811 000"},
	})
	f, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	f.SetCellFormula("Data", "E3", "1000*50")
	f.SetCellFormula("Data", "E4", "1000*70")
	var buf bytes.Buffer
	f.Write(&buf)
	withCache := replacePart(t, buf.Bytes(), "xl/worksheets/sheet1.xml", func(w io.Writer) {
		zr, _ := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		for _, p := range zr.File {
			if p.Name == "xl/worksheets/sheet1.xml" {
				r, _ := p.Open()
				b, _ := io.ReadAll(r)
				// Excel stores the value it computed beside the formula;
				// the second formula has none.
				io.WriteString(w, strings.Replace(string(b), "<f>1000*50</f>", "<f>1000*50</f><v>50000</v>", 1))
			}
		}
	}, -1)
	res := admin.importResult("/imports/donations.xlsx?dryRun=false", withCache, 422)
	if len(res.Errors) != 1 || res.Errors[0].Cell != "E4" || res.Errors[0].Reason != "REQUIRED" {
		t.Fatalf("formula without a cached value: %+v", res.Errors)
	}
	fixed := filledTemplate(t, admin, "donations", [][]any{
		{"BALI", "02/02/2015", "INDIVIDUAL", "MONEY", 50_000, "", "F-1", evil},
		{"BALI", "02/02/2015", "INDIVIDUAL", "MONEY", 70_000, "", "F-2", "+62 811 000"},
	})
	res = admin.importResult("/imports/donations.xlsx?dryRun=false", fixed, 200)
	if res.Created != 2 {
		t.Fatalf("%+v", res)
	}
	if got := admin.count(`SELECT count(*) FROM donations WHERE notes = $1`, evil); got != 1 {
		t.Errorf("the formula-like note stored %d times as text", got)
	}
	_, _, ledger := admin.download("/exports/donations.xlsx?year=2015&source=INDIVIDUAL")
	lf, err := excelize.OpenReader(bytes.NewReader(ledger))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := lf.GetRows(lf.GetSheetList()[0])
	found := false
	for i, r := range rows {
		for j, v := range r {
			if v == evil {
				cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
				if formula, _ := lf.GetCellFormula(lf.GetSheetList()[0], cell); formula != "" {
					t.Errorf("%s became a formula in the ledger", cell)
				}
				found = true
			}
		}
	}
	if !found {
		t.Error("the imported note is not in the ledger")
	}
}

// FuzzImport: workbooks generated from arbitrary cell texts are imported
// in a dry run: every answer is a result (rows, skipped, errors), never a
// server error, and nothing is written.
func FuzzImport(f *testing.F) {
	f.Add("BALI", "03/03/2014", "INDIVIDUAL", "MONEY", "150000", "", "R-1", "")
	f.Add("bali-badung", "41701", "CSR", "GOODS", "Rp 1.500.000", "PT Samudra Dewata Energi", "", "=1+1")
	f.Add("\x00", "31/02/2014", "ZAKAT", "uang", "-1", "\xff", strings.Repeat("r", 300), "@")
	admin := newEnvOn(f, pgtest.DB(f))
	f.Fuzz(func(t *testing.T, org, day, source, kind, amount, partner, reference, notes string) {
		book := excelize.NewFile()
		defer book.Close()
		book.SetSheetRow("Sheet1", "A1", &[]any{"Kode organisasi", "Tanggal diterima", "Sumber", "Jenis", "Jumlah (Rp)", "Mitra", "Nomor referensi", "Catatan"})
		for i, v := range []string{org, day, source, kind, amount, partner, reference, notes} {
			cell, _ := excelize.CoordinatesToCellName(i+1, 2)
			if err := book.SetCellStr("Sheet1", cell, v); err != nil {
				return // excelize refuses to write it: nothing to upload
			}
		}
		var buf bytes.Buffer
		if err := book.Write(&buf); err != nil {
			return
		}
		e := *admin
		e.t = t
		res, body := e.upload("/imports/donations.xlsx?dryRun=true", buf.Bytes())
		if res.StatusCode == 400 && strings.Contains(string(body), "WORKBOOK_REFUSED") {
			return
		}
		if res.StatusCode != 200 {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		var out imports.Result
		if err := json.Unmarshal(body, &out); err != nil || out.Committed || out.Created+len(out.Skipped)+len(out.Errors) == 0 && out.Rows > 0 {
			t.Fatalf("%v %+v", err, out)
		}
	})
}
