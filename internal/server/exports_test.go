package server_test

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/token"
)

// download GETs path with the env's token and returns status, content type
// and body.
func (e *env) download(path string) (int, string, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("GET", e.url+path, nil)
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

func TestAuditLogWorkbook(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	// A user whose name looks like a formula writes something.
	evil := `=HYPERLINK("http://example.invalid","klik")`
	secret := admin.newToken(token.NewToken{Account: evil, Role: auth.Admin, Name: "+62 811 000"})
	writer := *admin
	writer.token = secret
	var made struct{ CreatePartner struct{ ID string } }
	writer.query(`mutation { createPartner(input: {kind: BUSINESS, name: "@SUM(A1:A9)"}) { id } }`, nil, &made)

	for _, who := range []*env{admin, admin.as(auth.Auditor, "")} {
		status, ctype, body := who.download("/exports/audit-log.xlsx")
		if status != 200 || ctype != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
			t.Fatalf("audit log: %d %s %s", status, ctype, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("the workbook does not open: %v", err)
		}
		rows, err := f.GetRows("Jejak Audit")
		if err != nil {
			t.Fatal(err)
		}
		entries := admin.count(`SELECT count(*) FROM audit_log`)
		if int64(len(rows)) != entries+2 || rows[0][1] != "Pelaku" || rows[len(rows)-1][0] != fmt.Sprintf("Jumlah entri: %d", entries) {
			t.Fatalf("%d rows for %d entries; header %v, last %v", len(rows), entries, rows[0], rows[len(rows)-1])
		}
		// The formula-looking actor is text, not a formula.
		found := false
		for i, row := range rows {
			if len(row) > 1 && strings.HasPrefix(row[1], evil) {
				found = true
				cell, _ := excelize.CoordinatesToCellName(2, i+1)
				if formula, _ := f.GetCellFormula("Jejak Audit", cell); formula != "" {
					t.Errorf("%s became the formula %q", cell, formula)
				}
				if typ, _ := f.GetCellType("Jejak Audit", cell); typ != excelize.CellTypeInlineString && typ != excelize.CellTypeSharedString {
					t.Errorf("%s is of type %v, want text", cell, typ)
				}
				if row[1] != evil+"/+62 811 000" || !strings.Contains(row[7], "@SUM(A1:A9)") {
					t.Errorf("text changed on the way: %q, %q", row[1], row[7])
				}
			}
		}
		if !found {
			t.Error("the write of the formula-named account is not in the workbook")
		}
		f.Close()
	}

	status, _, body := admin.download("/exports/audit-log.xlsx?lang=en&entity=partner")
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if status != 200 || err != nil {
		t.Fatalf("English workbook: %d %v", status, err)
	}
	rows, _ := f.GetRows("Audit Trail")
	if want := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'partner'`); int64(len(rows)) != want+2 || rows[0][1] != "Actor" {
		t.Errorf("English, partners only: %d rows for %d entries, header %v", len(rows), want, rows[0])
	}

	for _, tc := range []struct {
		who    *env
		path   string
		status int
	}{
		{admin.as(auth.Partner, samudra), "/exports/audit-log.xlsx", 403},
		{admin.as(auth.Operator, "BALI"), "/exports/audit-log.xlsx", 403},
		{&env{t: t, url: admin.url}, "/exports/audit-log.xlsx", 401},
		{admin, "/exports/audit-log.xlsx?lang=fr", 400},
		{admin, "/exports/audit-log.xlsx?from=yesterday", 400},
		{admin, "/exports/audit-log.xlsx?from=2015-01-02&to=2015-01-01", 400},
	} {
		status, ctype, body := tc.who.download(tc.path)
		if status != tc.status || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("%s: %d %s %s, want %d with a JSON error", tc.path, status, ctype, body, tc.status)
		}
	}
}
