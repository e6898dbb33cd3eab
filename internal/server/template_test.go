package server_test

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestImportTemplates: each template downloads under a name that says what
// it is, with the headers, an example row, drop-downs whose choices are the
// caller's own organizations, partners, aid types or boxes, and a sheet
// explaining each column; only accounts that record anything get one.
func TestImportTemplates(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.as(auth.Operator, "BALI-BADUNG")
	open := func(e *env, path string) (*excelize.File, string) {
		t.Helper()
		status, ctype, body := e.download(path)
		if status != 200 || !strings.HasPrefix(ctype, "application/vnd.openxmlformats") {
			t.Fatalf("%s: %d %s %s", path, status, ctype, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { f.Close() })
		return f, ""
	}
	// choices returns the drop-down list of the column headed header.
	choices := func(f *excelize.File, header string) []string {
		t.Helper()
		rows, _ := f.GetRows("Data")
		col := slices.Index(rows[0], header)
		if col < 0 {
			t.Fatalf("no column %q in %v", header, rows[0])
		}
		name, _ := excelize.ColumnNumberToName(col + 1)
		dvs, err := f.GetDataValidations("Data")
		if err != nil {
			t.Fatal(err)
		}
		for _, dv := range dvs {
			if strings.HasPrefix(dv.Sqref, name+"2:") {
				ref := strings.TrimPrefix(dv.Formula1, "'Pilihan'!")
				parts := strings.Split(strings.ReplaceAll(ref, "$", ""), ":")
				cells, _ := f.GetRows("Pilihan")
				c1, r1, _ := excelize.CellNameToCoordinates(parts[0])
				_, r2, _ := excelize.CellNameToCoordinates(parts[1])
				var out []string
				for r := r1; r <= r2; r++ {
					out = append(out, cells[r-1][c1-1])
				}
				return out
			}
		}
		t.Fatalf("no drop-down on %s (%s)", header, name)
		return nil
	}

	var allCodes, badungCodes, partners, boxes []string
	admin.db.Select(&allCodes, `SELECT code FROM organizations ORDER BY code`)
	admin.db.Select(&badungCodes, `SELECT o.code FROM organizations o JOIN organizations b ON b.code = 'BALI-BADUNG' AND o.path <@ b.path ORDER BY o.code`)
	admin.db.Select(&partners, `SELECT name FROM partners ORDER BY name`)
	admin.db.Select(&boxes, `SELECT b.code FROM donation_boxes b JOIN organizations o ON o.id = b.organization_id
		JOIN organizations r ON r.code = 'BALI-BADUNG' AND o.path <@ r.path WHERE b.retired_on IS NULL ORDER BY b.code`)

	f, _ := open(admin, "/templates/donations.xlsx")
	if got := f.GetSheetList(); strings.Join(got, ",") != "Data,Pilihan,Petunjuk" {
		t.Errorf("sheets %v", got)
	}
	if visible, _ := f.GetSheetVisible("Pilihan"); visible {
		t.Error("the choices sheet is visible")
	}
	rows, _ := f.GetRows("Data")
	if len(rows) != 2 || rows[0][0] != "Kode organisasi" || rows[0][1] != "Tanggal diterima" || rows[1][1] != "03/03/2014" {
		t.Errorf("data sheet %v", rows)
	}
	if got := choices(f, "Kode organisasi"); strings.Join(got, ",") != strings.Join(allCodes, ",") {
		t.Errorf("the admin's organizations: %d of %d", len(got), len(allCodes))
	}
	if got := choices(f, "Mitra"); strings.Join(got, ",") != strings.Join(partners, ",") {
		t.Errorf("partners: %v", got)
	}
	// Box money comes in as box openings, never as a donation row.
	if got := choices(f, "Sumber"); len(got) != 6 || got[0] != "CSR" || slices.Contains(got, "DONATION_BOX") {
		t.Errorf("sources: %v", got)
	}
	help, _ := f.GetRows("Petunjuk")
	if len(help) != len(rows[0])+1 || !strings.Contains(help[3][2], "GOVERNMENT = Pemerintah (SKPD)") || !strings.Contains(help[3][2], "pembukaan kotak") {
		t.Errorf("help sheet: %d rows for %d columns; Sumber: %v", len(help), len(rows[0]), help[3])
	}

	// An operator's choices are its own subtree's.
	f, _ = open(badung, "/templates/aid-outputs.xlsx")
	if got := choices(f, "Kode organisasi"); strings.Join(got, ",") != strings.Join(badungCodes, ",") || slices.Contains(got, "BALI") {
		t.Errorf("Badung's operator chooses among %v, want %v", got, badungCodes)
	}
	f, _ = open(badung, "/templates/box-collections.xlsx")
	if got := choices(f, "Kode kotak"); strings.Join(got, ",") != strings.Join(boxes, ",") || len(boxes) == 0 {
		t.Errorf("Badung's boxes %v, want %v", got, boxes)
	}
	f, _ = open(admin, "/templates/programme-targets.xlsx?lang=en")
	if rows, _ := f.GetRows("Data"); rows[0][0] != "Organization code" || rows[0][4] != "Budget (Rp)" {
		t.Errorf("English headers %v", rows[0])
	}

	// Names, refusals.
	if res, _ := admin.get("/templates/donations.xlsx"); !strings.Contains(res.Header.Get("Content-Disposition"), "templat-donasi-id.xlsx") {
		t.Errorf("download name %q", res.Header.Get("Content-Disposition"))
	}
	for _, tc := range []struct {
		who    *env
		path   string
		status int
	}{
		{admin.as(auth.Auditor, ""), "/templates/donations.xlsx", 403},
		{admin.as(auth.Partner, samudra), "/templates/donations.xlsx", 403},
		{admin, "/templates/donations.xlsx?lang=jv", 400},
		{admin, "/templates/pledges.xlsx", 404},
	} {
		if status, _, body := tc.who.download(tc.path); status != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.path, status, body, tc.status)
		}
	}
}
