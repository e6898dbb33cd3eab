package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/demo"
	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

// upload posts a workbook to path as the raw body and returns the answer.
func (e *env) upload(path string, file []byte) (*http.Response, []byte) {
	e.t.Helper()
	req, _ := http.NewRequest("POST", e.url+path, bytes.NewReader(file))
	req.Header.Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	if e.token != "" {
		req.Header.Set("Authorization", "Bearer "+e.token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res, b
}

// importResult posts file to path and decodes the import's result,
// checking the status.
func (e *env) importResult(path string, file []byte, status int) imports.Result {
	e.t.Helper()
	res, body := e.upload(path, file)
	if res.StatusCode != status {
		e.t.Fatalf("POST %s: %d, want %d: %s", path, res.StatusCode, status, body)
	}
	var out imports.Result
	if err := json.Unmarshal(body, &out); err != nil {
		e.t.Fatalf("POST %s: %v: %s", path, err, body)
	}
	return out
}

// filledTemplate downloads the caller's template of kind and writes rows
// under its example row (row 2, left in), returning the file.
func filledTemplate(t *testing.T, e *env, kind string, rows [][]any) []byte {
	t.Helper()
	status, _, body := e.download("/templates/" + kind + ".xlsx")
	if status != 200 {
		t.Fatalf("template %s: %d %s", kind, status, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for i, r := range rows {
		if err := f.SetSheetRow("Data", fmt.Sprintf("A%d", i+3), &r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestImportDonations: a file with errors in 10 chosen rows — the dry run
// lists exactly those 10 with row and column, and nothing is written; a
// real import of it is refused whole; fixed, it imports every row once,
// audited with the file's hash; the same file again creates nothing; an
// edited row is a conflict, never applied.
func TestImportDonations(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	day := func(m time.Month, d int) time.Time { return time.Date(2015, m, d, 0, 0, 0, 0, time.UTC) }
	var good [][]any
	for i := range 30 {
		row := []any{"BALI-BADUNG", day(time.Month(1+i%6), 1+i), "INDIVIDUAL", "MONEY", 100_000 + 1_000*i, "", fmt.Sprintf("IMP-%03d", i), ""}
		switch i % 5 {
		case 1:
			row[0], row[2], row[5] = "bali", "CSR", "PT Samudra Dewata Energi" // any case; CSR names its partner
		case 2:
			row[2], row[6] = "Perorangan", "" // the ledger's label; no reference: its content is its key
		case 3:
			row[3], row[7] = "GOODS", "Beras 50 kg"
		case 4:
			row[4] = "Rp 1.250.000" // typed as text, Indonesian grouping
		}
		good = append(good, row)
	}
	// Ten rows, each wrong in one cell.
	type wrong struct {
		col    int // 0-based in the template
		value  any
		header string
		reason string
		says   string
	}
	wrongs := map[int]wrong{ // index into good
		0:  {0, "BALI-BADUG", "Kode organisasi", "UNKNOWN", "did you mean BALI-BADUNG"},
		3:  {1, day(time.January, 1).AddDate(20, 0, 0), "Tanggal diterima", "FUTURE_DATE", ""},
		5:  {1, "kemarin", "Tanggal diterima", "INVALID", "day/month/year"},
		8:  {2, "ZAKAT", "Sumber", "INVALID", "is not a source"},
		11: {4, "1.500.000,50", "Jumlah (Rp)", "INVALID", "without cents"},
		14: {4, -5000, "Jumlah (Rp)", "INVALID", ""},
		16: {5, "PT Samudra Dewata Enrgi", "Mitra", "UNKNOWN", "did you mean PT Samudra Dewata Energi"},
		19: {3, "CASH", "Jenis", "INVALID", "MONEY or GOODS"},
		20: {6, "IMP-010", "Nomor referensi", "DUPLICATE", "twice"},
		25: {7, strings.Repeat("x", 2001), "Catatan", "TOO_LONG", ""},
	}
	bad := make([][]any, len(good))
	for i, r := range good {
		bad[i] = slices.Clone(r)
		if w, ok := wrongs[i]; ok {
			bad[i][w.col] = w.value
		}
	}
	// Row 20 repeats row 10's reference: the second is refused.
	bad[20][0], bad[20][2], bad[20][5] = good[10][0], good[10][2], good[10][5]
	before := admin.written()
	file := filledTemplate(t, admin, "donations", bad)

	dry := admin.importResult("/imports/donations.xlsx?dryRun=true", file, 200)
	if dry.Committed || dry.Rows != 31 || len(dry.Skipped) != 1 || dry.Skipped[0].Row != 2 {
		t.Fatalf("dry run: %+v", dry)
	}
	if !maps.Equal(admin.written(), before) {
		t.Fatalf("the dry run wrote: %v → %v", before, admin.written())
	}
	if len(dry.Errors) != len(wrongs) {
		t.Fatalf("dry run errors: %d, want %d: %+v", len(dry.Errors), len(wrongs), dry.Errors)
	}
	for _, p := range dry.Errors {
		i := p.Row - 3
		w, ok := wrongs[i]
		if !ok {
			t.Errorf("row %d refused but not wrong: %+v", p.Row, p)
			continue
		}
		col, _ := excelize.ColumnNumberToName(w.col + 1)
		if p.Sheet != "Data" || p.Column != w.header || p.Cell != fmt.Sprintf("%s%d", col, p.Row) || p.Reason != w.reason || !strings.Contains(p.Message, w.says) {
			t.Errorf("row %d: %+v, want %s in %s (%s) %q", p.Row, p, w.reason, w.header, col, w.says)
		}
	}
	if dry.Created != 30-len(wrongs) {
		t.Errorf("dry run would create %d, want %d", dry.Created, 30-len(wrongs))
	}

	// A real import of the same file is refused whole.
	refused := admin.importResult("/imports/donations.xlsx?dryRun=false", file, 422)
	if refused.Committed || len(refused.Errors) != len(wrongs) || !maps.Equal(admin.written(), before) {
		t.Fatalf("a refused import wrote or lost its errors: %+v", refused)
	}

	// Fixed, it imports every row once.
	fixed := filledTemplate(t, admin, "donations", good)
	done := admin.importResult("/imports/donations.xlsx?dryRun=false", fixed, 200)
	if !done.Committed || done.Created != 30 || len(done.Errors) != 0 || done.ImportID == "" {
		t.Fatalf("import: %+v", done)
	}
	after := admin.written()
	if got := after["donations"] - before["donations"]; got != 30 {
		t.Errorf("%d donations written, want 30", got)
	}
	var want int64
	for _, r := range good {
		switch v := r[4].(type) {
		case int:
			want += int64(v)
		case string:
			want += 1_250_000
		}
	}
	sum := admin.count(`SELECT coalesce(sum(d.amount), 0) FROM donations d JOIN import_rows r ON r.record_id = d.id WHERE r.import_id = $1`, done.ImportID)
	if sum != want {
		t.Errorf("imported amounts add to %d, want %d", sum, want)
	}
	// Each became a donation with its receipt, audited row by row and once
	// as the import, with the file's hash.
	if n := admin.count(`SELECT count(*) FROM receipts WHERE donation_id IN (SELECT record_id FROM import_rows WHERE import_id = $1)`, done.ImportID); n != 30 {
		t.Errorf("%d receipts, want 30", n)
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE action = 'import' AND entity_id = $1 AND after->>'fileSha256' = $2`, done.ImportID, done.FileSHA256); n != 1 {
		t.Errorf("%d audit entries of the import, want 1", n)
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE action = 'create' AND entity = 'donation' AND entity_id IN (SELECT record_id FROM import_rows WHERE import_id = $1)`, done.ImportID); n != 30 {
		t.Errorf("%d donations audited, want 30", n)
	}

	// The same file again creates nothing.
	again := admin.importResult("/imports/donations.xlsx?dryRun=false", fixed, 200)
	if again.Created != 0 || len(again.Skipped) != 31 || len(again.Errors) != 0 {
		t.Fatalf("second import: %+v", again)
	}
	if got := admin.written()["donations"]; got != after["donations"] {
		t.Errorf("the second import wrote %d donations", got-after["donations"])
	}

	// An edited file: one amount changed, one row added. The changed row
	// is a conflict and nothing is written; the added row would be created.
	edited := slices.Clone(good)
	edited[0] = slices.Clone(good[0])
	edited[0][4] = 999_000
	edited = append(edited, []any{"BALI-GIANYAR", day(time.June, 30), "COMMUNITY", "MONEY", 75_000, "Komunitas Peduli Lansia", "IMP-NEW", ""})
	editedFile := filledTemplate(t, admin, "donations", edited)
	conflict := admin.importResult("/imports/donations.xlsx?dryRun=false", editedFile, 422)
	if len(conflict.Errors) != 1 || conflict.Errors[0].Row != 3 || conflict.Errors[0].Reason != imports.Conflict || conflict.Created != 1 {
		t.Fatalf("edited import: %+v", conflict)
	}
	if got := admin.written()["donations"]; got != after["donations"] {
		t.Errorf("the refused edited import wrote %d donations", got-after["donations"])
	}
}

// TestImportDonationsUnderAPermit: the donation template carries the
// appeal permit and the exception a gift is kept under, as the form does:
// a gift inside the permit comes in under it, one after it ended is refused
// at its date unless the row gives the exception.
func TestImportDonationsUnderAPermit(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	admin.query(`mutation { createPermit(input: {number: "APPEAL-IMP", authority: "Dinas Sosial Provinsi Bali", organizationId: "BALI",
		purpose: "Bantuan lansia", methods: [APPEAL], regencyIds: ["BALI-BADUNG"], validFrom: "2015-01-01", validTo: "2015-03-31"}) { id } }`, nil, &struct{}{})
	inside := []any{"BALI-BADUNG", "02/02/2015", "INDIVIDUAL", "MONEY", 100_000, "", "IMP-1", "", "APPEAL-IMP", ""}
	late := []any{"BALI-BADUNG", "04/05/2015", "INDIVIDUAL", "MONEY", 40_000, "", "IMP-2", "", "APPEAL-IMP", ""}
	file := filledTemplate(t, admin, "donations", [][]any{inside, late})
	dry := admin.importResult("/imports/donations.xlsx?dryRun=true", file, 200)
	if len(dry.Errors) != 1 || dry.Errors[0].Row != 4 || dry.Errors[0].Column != "Tanggal diterima" || dry.Errors[0].Reason != "OUTSIDE_PERMIT" {
		t.Fatalf("a gift after the permit's end, no exception: %+v", dry.Errors)
	}
	late[9] = "diterima setelah izin berakhir"
	done := admin.importResult("/imports/donations.xlsx?dryRun=false", filledTemplate(t, admin, "donations", [][]any{inside, late}), 200)
	if len(done.Errors) != 0 || done.Created != 2 {
		t.Fatalf("with the exception: %d created, errors %+v", done.Created, done.Errors)
	}
	var got []string
	if err := admin.db.Select(&got, `SELECT d.reference || ' ' || p.number || ' ' || COALESCE(d.permit_exception, '-')
		FROM donations d JOIN permits p ON p.id = d.permit_id WHERE d.reference LIKE 'IMP-%' ORDER BY d.reference`); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, "; ") != "IMP-1 APPEAL-IMP -; IMP-2 APPEAL-IMP diterima setelah izin berakhir" {
		t.Errorf("imported under the permit: %v", got)
	}
}

// TestReferenceTakenMeanwhile: a council's reference names one gift. Sent
// twice through the API, the second is refused at input.reference; taken
// by another writer while an import runs (after the import looked for the
// file's references), the import refuses that one row and writes nothing,
// instead of failing whole with an aborted transaction.
func TestReferenceTakenMeanwhile(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	gift := `mutation { recordDonation(input: {organizationId: "BALI-BADUNG", source: INDIVIDUAL, kind: MONEY, receivedOn: "2015-02-02",
		amount: 10000, reference: "API-1"}) { id } }`
	admin.query(gift, nil, &struct{}{})
	before := admin.written()
	r := admin.post(gift, nil)
	if len(r.Errors) != 1 || r.Errors[0].Extensions["field"] != "input.reference" || r.Errors[0].Extensions["reason"] != "DUPLICATE" {
		t.Errorf("the same reference again: %+v", r.Errors)
	}
	if after := admin.written(); !maps.Equal(before, after) {
		t.Errorf("a refused gift wrote: %v -> %v", before, after)
	}

	// Another writer holds an uncommitted gift with RACE-2 when the import
	// reaches its row; it commits; the import's row is then a duplicate.
	other, err := admin.db.Beginx()
	if err != nil {
		t.Fatal(err)
	}
	defer other.Rollback()
	if _, err := other.Exec(`INSERT INTO donations (organization_id, source, kind, received_on, amount, reference)
		SELECT id, 'INDIVIDUAL', 'MONEY', '2015-02-03', 20000, 'RACE-2' FROM organizations WHERE code = 'BALI-BADUNG'`); err != nil {
		t.Fatal(err)
	}
	file := filledTemplate(t, admin, "donations", [][]any{
		{"BALI-BADUNG", "03/02/2015", "INDIVIDUAL", "MONEY", 30_000, "", "RACE-1", ""},
		{"BALI-BADUNG", "03/02/2015", "INDIVIDUAL", "MONEY", 20_000, "", "RACE-2", ""},
		{"BALI-BADUNG", "03/02/2015", "INDIVIDUAL", "MONEY", 40_000, "", "RACE-3", ""},
	})
	before = admin.written()
	type answer struct {
		status int
		body   []byte
	}
	done := make(chan answer, 1)
	go func() {
		res, body := admin.upload("/imports/donations.xlsx?dryRun=false", file)
		done <- answer{res.StatusCode, body}
	}()
	waiting := false
	for range 100 {
		if admin.count(`SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO donations%'`) > 0 {
			waiting = true
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if !waiting {
		t.Fatal("the import never waited for the other writer's gift")
	}
	if err := other.Commit(); err != nil {
		t.Fatal(err)
	}
	a := <-done
	var res imports.Result
	if err := json.Unmarshal(a.body, &res); err != nil || a.status != 422 {
		t.Fatalf("the import after RACE-2 was taken: %d %s", a.status, a.body)
	}
	if len(res.Errors) != 1 || res.Errors[0].Row != 4 || res.Errors[0].Column != "Nomor referensi" || res.Errors[0].Reason != "DUPLICATE" || res.Committed {
		t.Errorf("the import after RACE-2 was taken: committed %v, errors %+v", res.Committed, res.Errors)
	}
	if after := admin.written(); after["donations"] != before["donations"]+1 || after["receipts"] != before["receipts"] {
		t.Errorf("written: %v -> %v; want only the other writer's gift", before, after)
	}
}

// TestImportRefusals: who may import, and what is refused before a row is
// read.
func TestImportRefusals(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	file := filledTemplate(t, admin, "donations", [][]any{{"BALI", "01/02/2015", "INDIVIDUAL", "MONEY", 50_000, "", "R-1", ""}})
	for _, c := range []struct {
		who    *env
		path   string
		body   []byte
		status int
		says   string
	}{
		{admin.as(auth.Auditor, ""), "/imports/donations.xlsx?dryRun=true", file, 403, "may not import"},
		{admin.as(auth.Partner, samudra), "/imports/donations.xlsx?dryRun=true", file, 403, "may not import"},
		{admin, "/imports/donations.xlsx", file, 400, "dryRun must be"},
		{admin, "/imports/donations.xlsx?dryRun=true&org=BALI", file, 400, "unknown parameter"},
		{admin, "/imports/pledges.xlsx?dryRun=true", file, 404, ""},
		{admin, "/imports/donations.xlsx?dryRun=true", []byte("kode,tanggal\nBALI,2015-01-01\n"), 400, "not an .xlsx workbook"},
		{admin, "/imports/donations.xlsx?dryRun=true", nil, 400, "no workbook"},
	} {
		res, body := c.who.upload(c.path, c.body)
		if res.StatusCode != c.status || !strings.Contains(string(body), c.says) {
			t.Errorf("POST %s: %d %s, want %d %q", c.path, res.StatusCode, body, c.status, c.says)
		}
	}
	// A closed period refuses imported rows as it refuses typed ones.
	admin.query(`mutation { closePeriod(input: {organizationId: "`+admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)+`",
		through: "2014-12-31", reason: "Raker 2014"}) { id } }`, nil, &struct{}{})
	old := filledTemplate(t, admin, "donations", [][]any{{"BALI-BANGLI", "30/12/2014", "INDIVIDUAL", "MONEY", 50_000, "", "R-2014", ""}})
	if res := admin.importResult("/imports/donations.xlsx?dryRun=true", old, 200); len(res.Errors) != 1 ||
		res.Errors[0].Cell != "B3" || res.Errors[0].Reason != "CLOSED_PERIOD" {
		t.Errorf("a row in a closed period: %+v", res.Errors)
	}
	// An operator imports only within its subtree: another regency's row
	// is refused at its organization cell.
	badung := admin.as(auth.Operator, "BALI-BADUNG")
	other := filledTemplate(t, badung, "donations", [][]any{{"BALI-GIANYAR", "01/02/2015", "INDIVIDUAL", "MONEY", 50_000, "", "R-1", ""}})
	res := badung.importResult("/imports/donations.xlsx?dryRun=true", other, 200)
	if len(res.Errors) != 1 || res.Errors[0].Cell != "A3" {
		t.Errorf("operator outside its subtree: %+v", res)
	}
	// Multipart, as a browser form sends it.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	part, _ := mw.CreateFormFile("file", "donasi-2015.xlsx")
	part.Write(file)
	mw.Close()
	req, _ := http.NewRequest("POST", admin.url+"/imports/donations.xlsx?dryRun=true", &form)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Authorization", "Bearer "+admin.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var out imports.Result
	json.NewDecoder(resp.Body).Decode(&out)
	resp.Body.Close()
	if resp.StatusCode != 200 || out.Created != 1 || out.Rows != 2 {
		t.Errorf("multipart: %d %+v", resp.StatusCode, out)
	}
}

// TestImportLedgers: the demo's own exported ledgers, imported into a
// database holding only what they refer to (the council tree, partners,
// aid types and boxes), reproduce the same totals, reversals included;
// importing them again creates nothing.
func TestImportLedgers(t *testing.T) {
	t.Parallel()
	from := newEnv(t)
	empty := pgtest.Empty(t)
	if _, err := demo.LoadReference(context.Background(), empty); err != nil {
		t.Fatal(err)
	}
	to := newEnvOn(t, empty)
	// Corrections travel too: one entry of each ledger reversed.
	for _, m := range []struct{ mutation, field, sql string }{
		{"reverseDonation", "donationId", `SELECT id FROM donations d WHERE source = 'INDIVIDUAL' AND NOT EXISTS (SELECT 1 FROM allocations a WHERE a.donation_id = d.id) ORDER BY seq LIMIT 1`},
		{"reverseBoxCollection", "collectionId", `SELECT c.id FROM box_collections c WHERE NOT EXISTS (SELECT 1 FROM allocations a WHERE a.donation_id = c.donation_id) ORDER BY seq DESC LIMIT 1`},
		{"reverseAidOutput", "outputId", `SELECT id FROM aid_outputs ORDER BY seq LIMIT 1`},
	} {
		id := from.id(m.sql)
		if m.mutation == "reverseAidOutput" {
			from.unallocate(id)
		}
		res := from.post(`mutation($id: ID!) { `+m.mutation+`(input: {`+m.field+`: $id, reason: "salah catat"}) { id } }`,
			map[string]any{"id": id})
		if len(res.Errors) > 0 {
			t.Fatalf("%s: %v", m.mutation, res.Errors)
		}
	}
	ledgers := []string{"box-collections.xlsx", "donations.xlsx?lang=en", "aid-outputs.xlsx"}
	files := map[string][]byte{}
	for _, l := range ledgers {
		status, _, body := from.download("/exports/" + l)
		if status != 200 {
			t.Fatalf("%s: %d %s", l, status, body)
		}
		files[l] = body
	}
	kind := func(l string) string { k, _, _ := strings.Cut(l, "."); return k }
	for _, l := range ledgers {
		dry := to.importResult("/imports/"+kind(l)+".xlsx?dryRun=true", files[l], 200)
		if len(dry.Errors) > 0 {
			t.Fatalf("%s dry run: %d errors, first %+v", l, len(dry.Errors), dry.Errors[0])
		}
		done := to.importResult("/imports/"+kind(l)+".xlsx?dryRun=false", files[l], 200)
		if !done.Committed || done.Created != dry.Created || done.Created == 0 {
			t.Fatalf("%s: %+v after a dry run that would create %d", l, done, dry.Created)
		}
		t.Logf("%s: %d rows, %d created, %d skipped", l, done.Rows, done.Created, len(done.Skipped))
	}
	totals := map[string]string{
		"donations": `SELECT o.code, d.source, d.kind, extract(year FROM d.received_on), count(*), sum(d.amount),
				count(*) FILTER (WHERE d.reverses_id IS NOT NULL)
			FROM donations d JOIN organizations o ON o.id = d.organization_id GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
		"box collections": `SELECT b.code, count(*), sum(c.amount), max(c.number), string_agg(c.seal_removed || '>' || coalesce(c.seal_applied, ''), ',' ORDER BY c.number)
			FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id GROUP BY 1 ORDER BY 1`,
		"aid outputs": `SELECT o.code, t.code, r.code, a.beneficiary_group, a.pmks_category, count(*), sum(a.quantity), sum(a.cost)
			FROM aid_outputs a JOIN organizations o ON o.id = a.organization_id JOIN aid_types t ON t.id = a.aid_type_id
			JOIN organizations r ON r.id = a.regency_id GROUP BY 1, 2, 3, 4, 5 ORDER BY 1, 2, 3, 4, 5`,
		// Box money under its permit, and the one opening kept under a
		// permit exception, come back as they were.
		"permits": `SELECT p.number, count(*), sum(d.amount), string_agg(d.permit_exception, ',')
			FROM donations d JOIN permits p ON p.id = d.permit_id GROUP BY 1 ORDER BY 1`,
	}
	for what, q := range totals {
		want, got := rowsOf(t, from.db, q), rowsOf(t, to.db, q)
		if len(want) == 0 || !slices.Equal(want, got) {
			t.Errorf("%s: imported totals differ:\n got %v\nwant %v", what, got, want)
		}
	}
	// The monthly sums the reports read were kept through the import.
	sums := `SELECT organization_id, month, source, kind, entries, amount FROM donation_months WHERE entries <> 0 ORDER BY 1, 2, 3, 4`
	ledger := `SELECT organization_id, date_trunc('month', received_on)::date, source, kind, count(*), sum(amount)::bigint FROM donations
		GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`
	if got, want := rowsOf(t, to.db, sums), rowsOf(t, to.db, ledger); !slices.Equal(got, want) {
		t.Errorf("monthly sums after the import:\n got %v\nwant %v", got, want)
	}
	// Receipt numbers of each council's year run from 1 without a gap,
	// and the counters stand at the last.
	if n := to.count(`SELECT count(*) FROM (SELECT organization_id, year FROM receipts GROUP BY 1, 2
		HAVING max(number) <> count(*) OR min(number) <> 1) g`); n != 0 {
		t.Errorf("%d council years with gaps in their receipt numbers", n)
	}
	if n := to.count(`SELECT count(*) FROM receipt_counters c WHERE c.last <> (SELECT max(number) FROM receipts r
		WHERE r.organization_id = c.organization_id AND r.year = c.year)`); n != 0 {
		t.Errorf("%d receipt counters not at their last number", n)
	}
	before := to.written()
	for _, l := range ledgers {
		again := to.importResult("/imports/"+kind(l)+".xlsx?dryRun=false", files[l], 200)
		if again.Created != 0 || len(again.Errors) != 0 {
			t.Errorf("%s again: %+v", l, again)
		}
	}
	after := to.written()
	for _, table := range []string{"donations", "box_collections", "aid_outputs", "receipts"} {
		if after[table] != before[table] {
			t.Errorf("importing again wrote %d %s", after[table]-before[table], table)
		}
	}
}

// rowsOf runs q and returns its rows as text.
func rowsOf(t *testing.T, db *sqlx.DB, q string) []string {
	t.Helper()
	rows, err := db.Queryx(q)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		cols, err := rows.SliceScan()
		if err != nil {
			t.Fatal(err)
		}
		for i, c := range cols {
			if b, ok := c.([]byte); ok {
				cols[i] = string(b)
			}
		}
		out = append(out, fmt.Sprint(cols...))
	}
	return out
}

// TestImportErrorsBackInFile: the dry run can answer the uploaded workbook
// itself, with an error column saying what is wrong on each refused row
// and the refused cells red, everything else as it was; corrected and
// uploaded again, it imports.
func TestImportErrorsBackInFile(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	rows := [][]any{
		{"BALI", "03/02/2015", "INDIVIDUAL", "MONEY", 120_000, "", "E-1", ""},
		{"BALI", "04/02/2015", "CSR", "MONEY", "seratus ribu", "PT Samudra Dewata Enrgi", "E-2", ""},
		{"BALI-BADUG", "05/02/2015", "INDIVIDUAL", "MONEY", 80_000, "", "E-3", ""},
	}
	file := filledTemplate(t, admin, "donations", rows)
	res, body := admin.upload("/imports/donations.xlsx?dryRun=true&format=xlsx", file)
	if res.StatusCode != 200 || res.Header.Get("X-Import-Errors") != "3" ||
		!strings.Contains(res.Header.Get("Content-Disposition"), "-kesalahan.xlsx") {
		t.Fatalf("%d %v %.200s", res.StatusCode, res.Header, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	got, _ := f.GetRows("Data")
	if len(got[0]) != 11 || got[0][10] != imports.ErrorHeader {
		t.Fatalf("headers: %q", got[0])
	}
	want := map[int][]string{ // row → what its error cell says
		4: {"Jumlah (Rp): is not a number", "Mitra: no such partner; did you mean PT Samudra Dewata Energi?"},
		5: {"Kode organisasi: no such organization; did you mean BALI-BADUNG"},
	}
	for n := 2; n <= 5; n++ {
		msg := ""
		if len(got[n-1]) > 10 {
			msg = got[n-1][10]
		}
		for _, w := range want[n] {
			if !strings.Contains(msg, w) {
				t.Errorf("row %d says %q, want %q", n, msg, w)
			}
		}
		if len(want[n]) == 0 && msg != "" {
			t.Errorf("row %d says %q, want nothing", n, msg)
		}
	}
	red := func(cell string) bool {
		id, _ := f.GetCellStyle("Data", cell)
		st, _ := f.GetStyle(id)
		return len(st.Fill.Color) == 1 && st.Fill.Color[0] == "FFC7CE"
	}
	for cell, refused := range map[string]bool{"E4": true, "F4": true, "A5": true, "K4": true, "E3": false, "A4": false, "A3": false, "E5": false} {
		if red(cell) != refused {
			t.Errorf("%s red: %v, want %v", cell, red(cell), refused)
		}
	}
	// The refused amount keeps its rupiah format; the template's
	// drop-downs are still there.
	id, _ := f.GetCellStyle("Data", "E4")
	if st, _ := f.GetStyle(id); st.CustomNumFmt == nil {
		t.Error("the red amount cell lost its rupiah format")
	}
	if dvs, _ := f.GetDataValidations("Data"); len(dvs) == 0 {
		t.Error("the drop-downs are gone")
	}

	// Row 4 corrected, row 5 not, and sent back: the answer shows only
	// what is still wrong — row 4 neither red nor blamed, one error column.
	f.SetCellInt("Data", "E4", 100_000)
	f.SetCellStr("Data", "F4", "PT Samudra Dewata Energi")
	var partly bytes.Buffer
	f.Write(&partly)
	res, body = admin.upload("/imports/donations.xlsx?dryRun=true&format=xlsx", partly.Bytes())
	again, err := excelize.OpenReader(bytes.NewReader(body))
	if res.StatusCode != 200 || res.Header.Get("X-Import-Errors") != "1" || err != nil {
		t.Fatalf("sent back: %d %v %.200s", res.StatusCode, res.Header, body)
	}
	redAgain := func(cell string) bool {
		id, _ := again.GetCellStyle("Data", cell)
		st, _ := again.GetStyle(id)
		return len(st.Fill.Color) == 1 && st.Fill.Color[0] == "FFC7CE"
	}
	for cell, refused := range map[string]bool{"E4": false, "F4": false, "K4": false, "A5": true, "K5": true, "A4": false} {
		if redAgain(cell) != refused {
			t.Errorf("sent back, %s red: %v, want %v", cell, redAgain(cell), refused)
		}
	}
	headers, _ := again.GetRows("Data")
	row4, _ := again.GetCellValue("Data", "K4")
	row5, _ := again.GetCellValue("Data", "K5")
	if len(headers[0]) != 11 || headers[0][10] != imports.ErrorHeader || row4 != "" || !strings.Contains(row5, "no such organization") {
		t.Errorf("sent back: headers %q, row 4 says %q, row 5 %q", headers[0], row4, row5)
	}
	if id, _ := again.GetCellStyle("Data", "E4"); true {
		if st, _ := again.GetStyle(id); st.CustomNumFmt == nil {
			t.Error("the corrected amount cell lost its rupiah format")
		}
	}

	// Corrected in the file sent back, it imports.
	f.SetCellStr("Data", "A5", "BALI-BADUNG")
	var buf bytes.Buffer
	f.Write(&buf)
	done := admin.importResult("/imports/donations.xlsx?dryRun=false", buf.Bytes(), 200)
	if done.Created != 3 || len(done.Errors) != 0 {
		t.Fatalf("%+v", done)
	}
	if os.Getenv("SINERGI_ARTIFACTS") != "" {
		os.WriteFile(filepath.Join(os.Getenv("SINERGI_ARTIFACTS"), "import-kesalahan.xlsx"), body, 0o644)
	}
}

// TestImportJob: with async=true the import answers at once with a job;
// polling importJob shows rows done of rows read and, once done, what it
// did. Only whoever started it (and admins) see it; a refused workbook
// ends the job FAILED with the reason; a job whose server went away shows
// as LOST.
func TestImportJob(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.as(auth.Operator, "BALI-BADUNG")
	var rows [][]any
	for i := range 40 {
		rows = append(rows, []any{"BALI-BADUNG", fmt.Sprintf("%02d/03/2015", 1+i%28), "INDIVIDUAL", "MONEY", 25_000 + i, "", fmt.Sprintf("J-%03d", i), ""})
	}
	file := filledTemplate(t, badung, "donations", rows)
	start := func(e *env, file []byte) string {
		t.Helper()
		res, body := e.upload("/imports/donations.xlsx?dryRun=false&async=true", file)
		var out struct{ JobID, Poll string }
		if res.StatusCode != 202 || json.Unmarshal(body, &out) != nil || out.JobID == "" || !strings.Contains(out.Poll, out.JobID) {
			t.Fatalf("%d %s", res.StatusCode, body)
		}
		return out.JobID
	}
	type job struct {
		State, Error, FileSha256 string
		RowsDone, RowsTotal      int
		Result                   *struct {
			Committed bool
			Created   int
			Skipped   []struct{ Row int }
		}
	}
	poll := func(e *env, id string) *job {
		t.Helper()
		var out struct{ ImportJob *job }
		for range 600 { // a poll every 50 ms, as a page would every second
			e.query(`query($id: ID!) { importJob(id: $id) { state error fileSha256 rowsDone rowsTotal result { committed created skipped { row } } } }`,
				map[string]any{"id": id}, &out)
			if out.ImportJob == nil || out.ImportJob.State != "RUNNING" {
				return out.ImportJob
			}
			time.Sleep(50 * time.Millisecond)
		}
		t.Fatal("the job did not end")
		return nil
	}
	id := start(badung, file)
	j := poll(badung, id)
	if j == nil || j.State != "DONE" || j.RowsDone != 41 || j.RowsTotal != 41 || j.Result == nil || !j.Result.Committed ||
		j.Result.Created != 40 || len(j.Result.Skipped) != 1 || j.FileSha256 == "" {
		t.Fatalf("job: %+v %+v", j, j.Result)
	}
	if n := admin.count(`SELECT count(*) FROM donations WHERE reference LIKE 'J-%'`); n != 40 {
		t.Errorf("%d donations imported, want 40", n)
	}
	if got := poll(admin, id); got == nil || got.State != "DONE" {
		t.Errorf("the admin sees %+v", got)
	}
	if got := poll(admin.as(auth.Operator, "BALI-GIANYAR"), id); got != nil {
		t.Errorf("another operator sees the job: %+v", got)
	}

	failed := poll(badung, start(badung, []byte("not a workbook")))
	if failed == nil || failed.State != "FAILED" || !strings.Contains(failed.Error, "not an .xlsx workbook") || failed.Result != nil {
		t.Errorf("refused workbook: %+v", failed)
	}

	lost := admin.id(`INSERT INTO import_jobs (kind, file_name, file_sha256, dry_run, started_by, updated_at)
		VALUES ('donations', 'x.xlsx', '', false, 'test-admin', now() - interval '5 minutes') RETURNING id`)
	if got := poll(admin, lost); got == nil || got.State != "LOST" {
		t.Errorf("a job that stopped reporting: %+v", got)
	}
}

// TestImportJobsCanBeAwaited: an import answered 202 is counted in
// Config.ImportJobs until it has recorded its result, so that serve, when
// it stops, lets it finish instead of cutting it short (LOST, nothing
// written, the workbook to upload again).
func TestImportJobsCanBeAwaited(t *testing.T) {
	t.Parallel()
	cfg := testConfig()
	var jobs sync.WaitGroup
	cfg.ImportJobs = &jobs
	e := newEnvWith(t, pgtest.DB(t), cfg)
	badung := e.as(auth.Operator, "BALI-BADUNG")
	var rows [][]any
	for i := range 300 {
		rows = append(rows, []any{"BALI-BADUNG", fmt.Sprintf("%02d/04/2015", 1+i%28), "INDIVIDUAL", "MONEY", 10_000 + i, "", fmt.Sprintf("W-%03d", i), ""})
	}
	res, body := badung.upload("/imports/donations.xlsx?dryRun=false&async=true", filledTemplate(t, badung, "donations", rows))
	var out struct{ JobID string }
	if res.StatusCode != 202 || json.Unmarshal(body, &out) != nil || out.JobID == "" {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	jobs.Wait() // what serve does once it takes no more requests
	if state := e.id(`SELECT state FROM import_jobs WHERE id = $1`, out.JobID); state != "DONE" {
		t.Errorf("the job is %s when the wait for it ends, want DONE", state)
	}
	if n := e.count(`SELECT count(*) FROM donations WHERE reference LIKE 'W-%'`); n != 300 {
		t.Errorf("%d donations imported when the wait ends, want 300", n)
	}
}
