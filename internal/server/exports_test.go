package server_test

import (
	"archive/zip"
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
	res, b := e.get(path)
	return res.StatusCode, res.Header.Get("Content-Type"), b
}

// get sends a GET with the env's token and returns the answer, its body read.
func (e *env) get(path string) (*http.Response, []byte) {
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
	return res, b
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

func TestDonationLedgerWorkbook(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	// A reversal, and a partner whose name looks like a formula.
	orig := admin.id(`SELECT id FROM donations WHERE source = 'CSR' AND received_on >= '2014-01-01' ORDER BY seq LIMIT 1`)
	var rev struct{ ReverseDonation struct{ ID string } }
	admin.unallocate(orig)
	admin.query(`mutation($id: ID!) { reverseDonation(input: {donationId: $id, reason: "salah catat", reversedOn: "2014-12-30"}) { id } }`,
		map[string]any{"id": orig}, &rev)
	var p struct{ CreatePartner struct{ ID string } }
	admin.query(`mutation { createPartner(input: {kind: INDIVIDUAL, name: "=HYPERLINK(\"http://example.invalid\",\"x\")"}) { id } }`, nil, &p)
	admin.query(`mutation($p: ID!, $o: ID!) { recordDonation(input: {organizationId: $o, partnerId: $p, source: INDIVIDUAL, kind: MONEY,
		receivedOn: "2014-06-06", amount: 5000000000000, notes: "+62 811 0000"}) { id } }`,
		map[string]any{"p": p.CreatePartner.ID, "o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &struct{}{})

	status, _, body := admin.download("/exports/donations.xlsx?from=2014-01-01&to=2014-12-31&org=BALI")
	if status != 200 {
		t.Fatalf("donations: %d %s", status, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const sheet = "Buku Donasi"
	rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
	if err != nil {
		t.Fatal(err)
	}
	n := admin.count(`SELECT count(*) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	sum := admin.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if int64(len(rows)) != n+2 {
		t.Fatalf("%d rows for %d donations", len(rows), n)
	}
	last := rows[len(rows)-1]
	if last[0] != fmt.Sprintf("Jumlah bersih (%d entri)", n) || last[7] != fmt.Sprint(sum) {
		t.Errorf("totals row %v, want %d entries summing %d", last, n, sum)
	}
	byID := map[string][]string{}
	for _, r := range rows[1 : len(rows)-1] {
		byID[r[0]] = r
	}
	if byID[rev.ReverseDonation.ID][9] != orig || byID[orig][10] != rev.ReverseDonation.ID {
		t.Errorf("reversal not linked both ways: %v / %v", byID[rev.ReverseDonation.ID], byID[orig])
	}
	for i, r := range rows[1 : len(rows)-1] {
		row := i + 2
		date, _ := excelize.CoordinatesToCellName(2, row)
		amount, _ := excelize.CoordinatesToCellName(8, row)
		if typ, _ := f.GetCellType(sheet, amount); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
			t.Fatalf("%s is %v, not a number", amount, typ)
		}
		if shown, _ := f.GetCellValue(sheet, amount); !strings.HasPrefix(shown, "Rp ") && !strings.HasPrefix(shown, "-Rp ") {
			t.Fatalf("%s shows %q, not rupiah", amount, shown)
		}
		if shown, _ := f.GetCellValue(sheet, date); len(shown) != 10 || shown[2] != '/' || r[1] == shown {
			t.Fatalf("%s: raw %q shown %q; want a date cell", date, r[1], shown)
		}
		if strings.HasPrefix(r[6], "=HYPERLINK") {
			partner, _ := excelize.CoordinatesToCellName(7, row)
			if formula, _ := f.GetCellFormula(sheet, partner); formula != "" || r[7] != "5000000000000" || r[13] != "+62 811 0000" {
				t.Errorf("row %d: formula %q, amount %s, notes %q", row, formula, r[7], r[13])
			}
		}
	}

	// A partner's ledger holds its own gifts only.
	status, _, body = admin.as(auth.Partner, samudra).download("/exports/donations.xlsx")
	pf, err := excelize.OpenReader(bytes.NewReader(body))
	if status != 200 || err != nil {
		t.Fatalf("partner ledger: %d %v", status, err)
	}
	prow, _ := pf.GetRows(sheet)
	own := admin.count(`SELECT count(*) FROM donations d JOIN partners p ON p.id = d.partner_id WHERE p.name = $1`, samudra)
	if int64(len(prow)) != own+2 {
		t.Errorf("partner ledger: %d rows for its %d donations", len(prow), own)
	}
	for _, r := range prow[1 : len(prow)-1] {
		if r[6] != samudra {
			t.Errorf("partner ledger holds a gift of %q", r[6])
		}
	}

	for _, path := range []string{"/exports/donations.xlsx?org=NOWHERE", "/exports/donations.xlsx?from=2014-02-01&to=2014-01-01",
		"/exports/donations.xlsx?lang=fr", "/exports/donations.xlsx?source=LOTTERY", "/exports/donations.xlsx?from=2014-02-30"} {
		if status, ctype, body := admin.download(path); status != 400 || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("%s: %d %s %s, want 400 JSON", path, status, ctype, body)
		}
	}
	// An operator asking for another regency's ledger is refused, not given an empty file.
	if status, _, _ := admin.as(auth.Operator, "BALI-BADUNG").download("/exports/donations.xlsx?org=BALI-GIANYAR"); status != 400 {
		t.Errorf("operator of Badung asking for Gianyar: %d, want 400 (unknown organization)", status)
	}
}

func TestBoxAndOutputLedgerWorkbooks(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	read := func(who *env, path, sheet string) [][]string {
		t.Helper()
		status, _, body := who.download(path)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatalf("%s does not open: %v", path, err)
		}
		defer f.Close()
		rows, err := f.GetRows(sheet, excelize.Options{RawCellValue: true})
		if err != nil {
			t.Fatal(err)
		}
		return rows
	}

	rows := read(admin, "/exports/box-collections.xlsx?from=2014-01-01&to=2014-12-31&org=BALI", "Kotak Amal")
	n := admin.count(`SELECT count(*) FROM box_collections WHERE collected_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	sum := admin.count(`SELECT SUM(amount) FROM box_collections WHERE collected_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	last := rows[len(rows)-1]
	if int64(len(rows)) != n+2 || last[7] != fmt.Sprint(sum) || last[0] != fmt.Sprintf("Jumlah (%d entri)", n) || last[6] != "" {
		t.Errorf("box collections: %d rows for %d, totals %v, want sum %d", len(rows), n, last, sum)
	}
	// The retail chain sees the openings of the boxes it hosts, and only those.
	hosted := read(admin.as(auth.Partner, sinarJaya), "/exports/box-collections.xlsx", "Kotak Amal")
	want := admin.count(`SELECT count(*) FROM box_collections c JOIN donation_boxes b ON b.id = c.box_id JOIN partners p ON p.id = b.host_partner_id WHERE p.name = $1`, sinarJaya)
	if int64(len(hosted)) != want+2 {
		t.Errorf("%s: %d rows for its %d openings", sinarJaya, len(hosted), want)
	}
	for _, r := range hosted[1 : len(hosted)-1] {
		if r[3] != sinarJaya {
			t.Fatalf("%s sees an opening of a box at %q", sinarJaya, r[3])
		}
	}

	rows = read(admin, "/exports/aid-outputs.xlsx?from=2014-01-01&to=2014-12-31&lang=en", "Aid Outputs")
	last = rows[len(rows)-1]
	cost := admin.count(`SELECT SUM(cost) FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	// The year's outputs are counted in several units (paket, kg, …): their
	// quantities add up to nothing, so the ledger gives no total for them.
	units := admin.count(`SELECT count(DISTINCT t.unit) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
		WHERE a.delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if units < 2 || last[5] != "" || last[6] != fmt.Sprint(cost) || rows[0][3] != "Aid type" {
		t.Errorf("2014 outputs in %d units: totals %v, want no quantity and a cost of %d", units, last, cost)
	}
	pmt := read(admin, "/exports/aid-outputs.xlsx?from=2014-01-01&to=2014-12-31&type=PMT&group=ELDERLY", "Penyaluran Bantuan")
	if got := pmt[len(pmt)-1][5]; got != "100" {
		t.Errorf("2014 PMT for the elderly: %s, want 100", got)
	}

	for _, tc := range []struct {
		who    *env
		path   string
		status int
	}{
		{admin.as(auth.Partner, samudra), "/exports/aid-outputs.xlsx", 403},
		{admin, "/exports/aid-outputs.xlsx?type=ROCKET", 400},
		{admin, "/exports/aid-outputs.xlsx?group=ALIENS", 400},
		{admin, "/exports/box-collections.xlsx?regency=NOWHERE", 400},
		{admin, "/exports/box-collections.xlsx?to=2014-02-30", 400},
		{&env{t: t, url: admin.url}, "/exports/box-collections.xlsx", 401},
	} {
		if status, ctype, body := tc.who.download(tc.path); status != tc.status || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("%s: %d %s %s, want %d JSON", tc.path, status, ctype, body, tc.status)
		}
	}
}

func TestRakerBook(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	evil := `=HYPERLINK("http://example.invalid","x")`
	var p struct{ CreatePartner struct{ ID string } }
	admin.query(`mutation($n: String!) { createPartner(input: {kind: BUSINESS, name: $n}) { id } }`, map[string]any{"n": evil}, &p)
	admin.query(`mutation($p: ID!, $o: ID!) { recordDonation(input: {organizationId: $o, partnerId: $p, source: BUSINESS, kind: MONEY,
		receivedOn: "2014-03-03", amount: 1000}) { id } }`, map[string]any{"p": p.CreatePartner.ID, "o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &struct{}{})
	status, ctype, body := admin.download("/exports/raker.xlsx?org=BALI&year=2014")
	if status != 200 || !strings.HasPrefix(ctype, "application/vnd.openxmlformats") {
		t.Fatalf("raker: %d %s %s", status, ctype, body)
	}
	f, err := excelize.OpenReader(bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := []string{"Ringkasan", "Grafik", "Bantuan", "Bantuan per Wilayah", "Dana Masuk", "Dana per Wilayah", "Kotak Amal", "Mitra", "Dana", "Jejak Dana", "Target",
		"Permohonan", "Perbandingan", "Kehadiran", "Keputusan Rapat", "Keterangan"}
	if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("sheets %v, want %v", got, want)
	}
	// Outputs: each type's total and cost equal the ledger's.
	rows, _ := f.GetRows("Bantuan", excelize.Options{RawCellValue: true})
	header := rows[0]
	total, cost := len(header)-2, len(header)-1
	for _, r := range rows[1 : len(rows)-1] {
		q := admin.count(`SELECT SUM(quantity) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			WHERE t.name = $1 AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`, r[0])
		c := admin.count(`SELECT SUM(cost) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			WHERE t.name = $1 AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`, r[0])
		if r[total] != fmt.Sprint(q) || r[cost] != fmt.Sprint(c) {
			t.Errorf("%s: %s units costing %s; the ledger says %d costing %d", r[0], r[total], r[cost], q, c)
		}
	}
	byName := map[string]string{}
	units := map[string]bool{}
	for _, r := range rows[1 : len(rows)-1] {
		byName[r[0]] = r[total]
		units[r[1]] = true
	}
	// 2014's types count in several units: no quantity total, the cost's
	// the ledger's; the summary says how many types were delivered.
	totalRow := rows[len(rows)-1]
	if len(units) < 2 || totalRow[0] != "Jumlah" || totalRow[total] != "" ||
		totalRow[cost] != fmt.Sprint(admin.count(`SELECT SUM(cost) FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`)) {
		t.Errorf("outputs total row %v over units %v; want no quantity and the ledger's cost", totalRow, units)
	}
	delivered := admin.count(`SELECT count(*) FROM (SELECT aid_type_id FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-12-31'
		GROUP BY 1 HAVING SUM(quantity) <> 0) t`)
	var summarised []string
	summaryRows, _ := f.GetRows("Ringkasan", excelize.Options{RawCellValue: true})
	for _, r := range summaryRows {
		if len(r) > 1 && (strings.HasPrefix(r[0], "Bantuan tersalur") || r[0] == "Jenis bantuan tersalur") {
			summarised = append(summarised, r[0]+" "+r[1])
		}
	}
	if want := fmt.Sprintf("Jenis bantuan tersalur %d", delivered); len(summarised) != 1 || summarised[0] != want || delivered < 2 {
		t.Errorf("summary says %v, want %q", summarised, want)
	}
	if byName["Paket Pemberian Makanan Tambahan (PMT)"] != "190" || byName["Tongkat kaki tiga (tripod)"] != "1" || byName["Kursi roda"] != "1" ||
		byName["Pakaian olahraga"] != "106" || byName["Bedah rumah"] != "4" {
		t.Errorf("outputs sheet: %v, want 190 / 1 / 1 / 106 / 4", byName)
	}
	// Outputs by regency: every regency of Bali in code order, each row's
	// cost the ledger's, the totals row the per-type sheet's.
	regRows, _ := f.GetRows("Bantuan per Wilayah", excelize.Options{RawCellValue: true})
	var regencies []string
	for _, r := range regRows[1 : len(regRows)-1] {
		regencies = append(regencies, r[0])
		c := admin.count(`SELECT COALESCE(SUM(cost), 0) FROM aid_outputs a JOIN organizations o ON o.id = a.regency_id
			WHERE o.name = $1 AND delivered_on BETWEEN '2014-01-01' AND '2014-12-31'`, r[0])
		if r[len(r)-1] != fmt.Sprint(c) {
			t.Errorf("%s: cost %s, the ledger says %d", r[0], r[len(r)-1], c)
		}
	}
	var inCodeOrder []string
	admin.db.Select(&inCodeOrder, `SELECT name FROM organizations WHERE kind = 'REGENCY_COUNCIL' AND code LIKE 'BALI-%' ORDER BY code`)
	if strings.Join(regencies, ",") != strings.Join(inCodeOrder, ",") {
		t.Errorf("regencies %v, want every one in code order %v", regencies, inCodeOrder)
	}
	if last, types := regRows[len(regRows)-1], rows[len(rows)-1]; last[len(last)-1] != types[cost] {
		t.Errorf("outputs by regency cost %s, by type %s", last[len(last)-1], types[cost])
	}
	// Money in: a row per month, a column per source; the grand total is
	// the ledger's net sum.
	money, _ := f.GetRows("Dana Masuk", excelize.Options{RawCellValue: true})
	last := money[len(money)-1]
	if net := admin.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`); last[len(last)-1] != fmt.Sprint(net) || len(money) != 14 || len(money[0]) != 9 {
		t.Errorf("money in: total %s over %d rows and %d columns; the ledger says %d over 12 months and 7 sources", last[len(last)-1], len(money), len(money[0]), net)
	}
	// Money by regency: every regency in code order, then the province's
	// own; the total is the ledger's.
	byReg, _ := f.GetRows("Dana per Wilayah", excelize.Options{RawCellValue: true})
	if len(byReg) != 1+9+1+1 || byReg[10][0] != "Dicatat di luar kabupaten/kota" || byReg[11][2] != last[len(last)-1] {
		t.Errorf("money by regency: %d rows, last %v; the ledger's total %s", len(byReg), byReg[len(byReg)-1], last[len(last)-1])
	}
	// The title block names the council and the meeting; the book ends with
	// the officers' signatures, where and when the meeting was.
	summary, _ := f.GetRows("Ringkasan")
	if summary[0][0] != "BKKKS Provinsi Bali" || summary[1][0] != "Rapat Kerja BKKKS Provinsi Bali 2014" ||
		summary[2][0] != "Periode evaluasi: 1 Januari 2014 – 31 Desember 2014" || summary[3][0] != "Rapat: 17 Juli 2014, Ruang Dekranasda, Denpasar" {
		t.Errorf("title block %v", summary[:4])
	}
	about, _ := f.GetRows("Keterangan")
	signed := fmt.Sprint(about[len(about)-7:])
	for _, want := range []string{"Denpasar, 17 Juli 2014", "Ketua BKKKS Provinsi Bali", "Sekretaris BKKKS Provinsi Bali", "Dr. I Made Wirata, M.Si.", "Ni Ketut Sriani, S.Sos."} {
		if !strings.Contains(signed, want) {
			t.Errorf("signature block %v lacks %q", signed, want)
		}
	}
	// Boxes, partners, targets, attendance.
	boxes, _ := f.GetRows("Kotak Amal", excelize.Options{RawCellValue: true})
	collected := admin.count(`SELECT SUM(amount) FROM box_collections WHERE collected_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	openings := admin.count(`SELECT count(*) FROM box_collections WHERE collected_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	if boxes[33][4] != fmt.Sprint(collected) || boxes[33][3] != fmt.Sprint(openings) || openings != 32*12-1 { // one December opening came in January
		t.Errorf("boxes total row %v; the ledger says %d openings, %d", boxes[33], openings, collected)
	}
	targets, _ := f.GetRows("Target", excelize.Options{RawCellValue: true})
	if targets[1][0] != "Paket Pemberian Makanan Tambahan (PMT)" || targets[1][2] != "200" || targets[1][3] != "190" || !strings.HasPrefix(targets[1][4], "0.95") {
		t.Errorf("PMT target row %v, want 200 / 190 / 0.95", targets[1])
	}
	if note := admin.id(`SELECT n.text FROM programme_narratives n JOIN programme_targets t ON t.id = n.target_id
		JOIN aid_types a ON a.id = t.aid_type_id WHERE a.code = 'PMT' AND t.year = 2014 ORDER BY n.seq DESC LIMIT 1`); targets[2][0] != "Catatan: "+note {
		t.Errorf("under the PMT target %q, want the council's note %q", targets[2][0], note)
	}
	decisions, _ := f.GetRows("Keputusan Rapat")
	var kinds []string
	for _, r := range decisions[1:] {
		kinds = append(kinds, r[0]+" "+r[1])
	}
	if got := strings.Join(kinds, ", "); got != "1 Keputusan, 2 Keputusan, 3 Keputusan, 1 Rekomendasi, 2 Rekomendasi" {
		t.Errorf("decisions sheet: %s", got)
	}
	if shown, _ := f.GetCellValue("Target", "E2"); shown != "95%" {
		t.Errorf("share shows %q, want 95%%", shown)
	}
	partners, _ := f.GetRows("Mitra")
	found := false
	for i, r := range partners {
		if r[0] == evil {
			found = true
			if formula, _ := f.GetCellFormula("Mitra", fmt.Sprintf("A%d", i+1)); formula != "" {
				t.Errorf("partner name became the formula %q", formula)
			}
		}
	}
	if !found {
		t.Error("the formula-named partner is not in the partners sheet as text")
	}
	// Funds: the balance closes and equals the report's; the traced gifts
	// add up to what was allocated.
	funds, _ := f.GetRows("Dana", excelize.Options{RawCellValue: true})
	var fundTotal []string
	for _, r := range funds {
		if len(r) > 5 && r[0] == "Jumlah" {
			fundTotal = r
			break
		}
	}
	allocated := admin.count(`SELECT SUM(amount) FROM allocations WHERE allocated_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	received := admin.count(`SELECT SUM(amount) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`)
	var opening, rec, toOut, toOps, closing int64
	if len(fundTotal) > 5 {
		fmt.Sscan(fundTotal[1], &opening)
		fmt.Sscan(fundTotal[2], &rec)
		fmt.Sscan(fundTotal[3], &toOut)
		fmt.Sscan(fundTotal[4], &toOps)
		fmt.Sscan(fundTotal[5], &closing)
	}
	if rec != received || toOut+toOps != allocated || opening+rec-toOut-toOps != closing {
		t.Errorf("funds total row %v; the ledger received %d and allocated %d", fundTotal, received, allocated)
	}
	traced, _ := f.GetRows("Jejak Dana", excelize.Options{RawCellValue: true})
	if last := traced[len(traced)-1]; last[3] != fmt.Sprint(allocated) {
		t.Errorf("traced gifts total %v, allocated %d", last, allocated)
	}
	att, _ := f.GetRows("Kehadiran", excelize.Options{RawCellValue: true})
	if att[len(att)-1][4] != "115" {
		t.Errorf("attendance total %v, want 115", att[len(att)-1])
	}
	// Two charts on the summary, and printing set for the meeting.
	zr, err := zip.NewReader(bytes.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatal(err)
	}
	charts := 0
	for _, zf := range zr.File {
		if strings.HasPrefix(zf.Name, "xl/charts/chart") {
			charts++
		}
	}
	if charts != 2 {
		t.Errorf("%d charts, want 2", charts)
	}
	// Every sheet prints on A4, never shrunk below 82 % (11-point text stays
	// at 9 points or more); narrow sheets upright, wide ones across.
	for _, name := range f.GetSheetList() {
		layout, _ := f.GetPageLayout(name)
		if layout.Size == nil || *layout.Size != 9 || layout.AdjustTo == nil || *layout.AdjustTo < 82 || layout.Orientation == nil {
			t.Errorf("%s prints %+v", name, layout)
		}
	}
	if layout, _ := f.GetPageLayout("Bantuan"); *layout.Orientation != "portrait" {
		t.Errorf("the four-column outputs sheet prints %s", *layout.Orientation)
	}
	if layout, _ := f.GetPageLayout("Dana Masuk"); *layout.Orientation != "landscape" {
		t.Errorf("the nine-column money sheet prints %s", *layout.Orientation)
	}

	status, _, body = admin.download("/exports/raker.xlsx?org=BALI&from=2014-01-01&to=2014-07-31&lang=en")
	en, err := excelize.OpenReader(bytes.NewReader(body))
	if status != 200 || err != nil || en.GetSheetList()[0] != "Summary" {
		t.Fatalf("English book: %d %v", status, err)
	}
	for _, tc := range []struct {
		who    *env
		path   string
		status int
	}{
		{admin.as(auth.Partner, samudra), "/exports/raker.xlsx?org=BALI&year=2014", 403},
		{admin.as(auth.Operator, "BALI-BADUNG"), "/exports/raker.xlsx?org=BALI-GIANYAR&year=2014", 400},
		{admin, "/exports/raker.xlsx?year=2014", 400},
		{admin, "/exports/raker.xlsx?org=BALI&from=2014-08-01&to=2014-07-01", 400},
		{admin, "/exports/raker.xlsx?org=BALI&from=1990-01-01&to=2014-07-01", 400},
		{admin, "/exports/raker.xlsx?org=BALI&year=2014&lang=jv", 400},
	} {
		if status, ctype, body := tc.who.download(tc.path); status != tc.status || !strings.HasPrefix(ctype, "application/json") {
			t.Errorf("%s: %d %s %s, want %d JSON", tc.path, status, ctype, body, tc.status)
		}
	}
}

// TestWorkbookNamesSayWhatTheyHold: the download name says the workbook,
// the council (its code even when given by id), the period and the
// language.
// TestRakerBookOfOneUnit: when every type delivered in the year counts in
// the same unit, the outputs sheet totals the quantity and the summary
// says how much was delivered in that unit — both the ledger's sum.
func TestRakerBookOfOneUnit(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	pmt := admin.id(`SELECT id FROM aid_types WHERE unit = 'paket' ORDER BY seq LIMIT 1`)
	if n := admin.count(`SELECT count(*) FROM aid_outputs o JOIN organizations c ON c.id = o.organization_id
		WHERE c.code = 'BALI-BADUNG' AND o.delivered_on BETWEEN '2020-01-01' AND '2020-12-31'`); n != 0 {
		t.Fatalf("the demo has %d outputs of Badung in 2020; the test needs a year of its own", n)
	}
	for _, x := range []struct {
		on       string
		quantity int
	}{{"2020-03-03", 12}, {"2020-09-09", 30}} {
		admin.query(`mutation($o: ID!, $t: ID!, $d: Date!, $q: Int!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t,
			quantity: $q, cost: 150000, deliveredOn: $d, beneficiaryGroup: ELDERLY, pmksCategory: NEGLECT, regencyId: $o}) { id } }`,
			map[string]any{"o": badung, "t": pmt, "d": x.on, "q": x.quantity}, &struct{}{})
	}
	want := admin.count(`SELECT SUM(quantity) FROM aid_outputs o JOIN organizations c ON c.id = o.organization_id
		WHERE c.code = 'BALI-BADUNG' AND o.delivered_on BETWEEN '2020-01-01' AND '2020-12-31'`)
	rows := sheet(t, admin, "/exports/raker.xlsx?org=BALI-BADUNG&year=2020", "Bantuan")
	header, totalRow := rows[0], rows[len(rows)-1]
	if totalRow[0] != "Jumlah" || totalRow[len(header)-2] != fmt.Sprint(want) || want != 42 {
		t.Errorf("outputs total row %v under %v; want the quantity %d", totalRow, header, want)
	}
	cost := admin.count(`SELECT SUM(cost) FROM aid_outputs o JOIN organizations c ON c.id = o.organization_id
		WHERE c.code = 'BALI-BADUNG' AND o.delivered_on BETWEEN '2020-01-01' AND '2020-12-31'`)
	var summarised []string
	for _, r := range sheet(t, admin, "/exports/raker.xlsx?org=BALI-BADUNG&year=2020", "Ringkasan") {
		if len(r) > 1 && (strings.HasPrefix(r[0], "Bantuan tersalur") || strings.HasPrefix(r[0], "Jenis bantuan") || r[0] == "Biaya bantuan tersalur") {
			summarised = append(summarised, r[0]+" "+r[1])
		}
	}
	if got, wantSummary := strings.Join(summarised, "; "), fmt.Sprintf("Bantuan tersalur (paket) %d; Biaya bantuan tersalur %d", want, cost); got != wantSummary {
		t.Errorf("summary says %q, want %q", got, wantSummary)
	}
}

func TestWorkbookNamesSayWhatTheyHold(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	for path, want := range map[string]string{
		"/exports/raker.xlsx?org=BALI&year=2014":                                           "raker-BALI-2014-id.xlsx",
		"/exports/raker.xlsx?org=" + bali + "&year=2014&lang=en":                           "raker-BALI-2014-en.xlsx",
		"/exports/donations.xlsx?org=BALI&from=2014-01-01&to=2014-12-31":                   "donasi-BALI-2014-01-01_2014-12-31-id.xlsx",
		"/exports/box-collections.xlsx?from=2014-06-01":                                    "kotak-amal-2014-06-01_--id.xlsx",
		"/exports/partner-statement.xlsx?partner=PT%20Samudra%20Dewata%20Energi&year=2014": "pernyataan-mitra-PT-Samudra-Dewata-Energi-2014-id.xlsx",
	} {
		req, _ := http.NewRequest("GET", admin.url+path, nil)
		req.Header.Set("Authorization", "Bearer "+admin.token)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if got := res.Header.Get("Content-Disposition"); res.StatusCode != 200 || got != `attachment; filename="`+want+`"` {
			t.Errorf("%s: %d %q, want %s", path, res.StatusCode, got, want)
		}
	}
}

// TestLedgerOfAYear: a ledger asked for a year holds that year only, as
// its file name says; a year with from or to is refused.
func TestLedgerOfAYear(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	for path, table := range map[string]string{
		"/exports/donations.xlsx?org=BALI&year=2014":       `SELECT count(*) FROM donations WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`,
		"/exports/box-collections.xlsx?org=BALI&year=2013": `SELECT count(*) FROM box_collections WHERE collected_on BETWEEN '2013-01-01' AND '2013-12-31'`,
		"/exports/aid-outputs.xlsx?org=BALI&year=2013":     `SELECT count(*) FROM aid_outputs WHERE delivered_on BETWEEN '2013-01-01' AND '2013-12-31'`,
		"/exports/aid-requests.xlsx?org=BALI&year=2014":    `SELECT count(*) FROM aid_requests WHERE received_on BETWEEN '2014-01-01' AND '2014-12-31'`,
	} {
		status, _, body := admin.download(path)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		f, err := excelize.OpenReader(bytes.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		rows, _ := f.GetRows(f.GetSheetList()[0])
		f.Close()
		// The header, a row per entry, the totals row.
		if want := admin.count(table); int64(len(rows)) != want+2 || want == 0 {
			t.Errorf("%s: %d rows for %d entries of the year", path, len(rows)-2, want)
		}
	}
	for _, path := range []string{"/exports/donations.xlsx?year=2014&from=2014-02-01", "/exports/aid-outputs.xlsx?year=0",
		"/exports/audit-log.xlsx?year=2014"} {
		if status, _, body := admin.download(path); status != 400 || !strings.Contains(string(body), `"year"`) {
			t.Errorf("%s: %d %s, want 400 naming year", path, status, body)
		}
	}
}
