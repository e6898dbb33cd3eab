package server_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sinergi-id/sinergi/internal/money"
)

// TestPrintedBooks prints the demo meeting's Raker book and every ledger
// as a council secretary does — LibreOffice converts them to PDF — and
// reads the pages: A4, "Halaman N dari M" on every page, no text under 9
// points, and in the book the title and signature blocks and the figures
// of the ledger. With SINERGI_ARTIFACTS set, the PDFs and the book's pages
// as images are kept there for a person to look at.
func TestPrintedBooks(t *testing.T) {
	t.Parallel()
	tools := map[string]string{}
	for _, tool := range []string{"soffice", "pdfinfo", "pdftotext", "pdftoppm"} {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Fatalf("%s is needed to check printed workbooks: apt-get install libreoffice-calc-nogui poppler-utils fonts-liberation (.ci/run installs them)", tool)
		}
		tools[tool] = path
	}
	admin := newEnv(t)
	dir := t.TempDir()
	books := map[string]string{
		"raker":             "/exports/raker.xlsx?org=BALI&from=2014-01-01&to=2014-07-17",
		"donations":         "/exports/donations.xlsx?org=BALI&year=2014",
		"box-collections":   "/exports/box-collections.xlsx?org=BALI-BADUNG&year=2014",
		"aid-outputs":       "/exports/aid-outputs.xlsx?org=BALI&year=2014",
		"aid-requests":      "/exports/aid-requests.xlsx?org=BALI&year=2014",
		"audit-log":         "/exports/audit-log.xlsx?entity=officers",
		"partner-statement": "/exports/partner-statement.xlsx?partner=PT%20Samudra%20Dewata%20Energi&year=2014",
		"pub-report":        "/exports/pub-report.xlsx?permit=460%2F1187%2FPUB%2FDINSOS%2F2014",
	}
	var inputs []string
	for name, path := range books {
		status, _, body := admin.download(path)
		if status != 200 {
			t.Fatalf("%s: %d %s", path, status, body)
		}
		file := filepath.Join(dir, name+".xlsx")
		if err := os.WriteFile(file, body, 0o600); err != nil {
			t.Fatal(err)
		}
		inputs = append(inputs, file)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	// A profile of its own: a LibreOffice already running for the user
	// would otherwise take the job and answer nothing.
	args := append([]string{"--headless", "-env:UserInstallation=file://" + filepath.Join(dir, "profile"), "--convert-to", "pdf", "--outdir", dir}, inputs...)
	if out, err := exec.CommandContext(ctx, tools["soffice"], args...).CombinedOutput(); err != nil {
		t.Fatalf("LibreOffice: %v\n%s", err, out)
	}

	run := func(tool string, args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, tools[tool], args...).Output()
		if err != nil {
			t.Fatalf("%s %v: %v", tool, args, err)
		}
		return string(out)
	}
	texts := map[string]string{}
	for name := range books {
		pdf := filepath.Join(dir, name+".pdf")
		info := run("pdfinfo", "-f", "1", "-l", "1000", pdf)
		pages := 0
		for _, m := range regexp.MustCompile(`Page +\d+ size: +([\d.]+) x ([\d.]+) pts`).FindAllStringSubmatch(info, -1) {
			pages++
			w, _ := strconv.ParseFloat(m[1], 64)
			h, _ := strconv.ParseFloat(m[2], 64)
			if !a4(w, h) {
				t.Errorf("%s page %d is %.0f × %.0f pt, not A4", name, pages, w, h)
			}
		}
		text := run("pdftotext", "-layout", pdf, "-")
		texts[name] = text
		for i, page := range strings.Split(strings.TrimSuffix(text, "\f"), "\f") {
			if want := fmt.Sprintf("Halaman %d dari %d", i+1, pages); !strings.Contains(page, want) {
				t.Errorf("%s page %d lacks %q", name, i+1, want)
			}
		}
		if pages == 0 {
			t.Errorf("%s printed no page", name)
		}
		// The smallest text: poppler boxes a word of Liberation Sans 1.299
		// em high, so 9 points print 11.69 pt high.
		box := run("pdftotext", "-bbox", pdf, "-")
		for _, m := range regexp.MustCompile(`yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)">([^<]*)<`).FindAllStringSubmatch(box, -1) {
			lo, _ := strconv.ParseFloat(m[1], 64)
			hi, _ := strconv.ParseFloat(m[2], 64)
			if hi-lo < 11.6 {
				t.Errorf("%s: %q prints at %.1f pt high, under 9 points", name, m[3], hi-lo)
				break
			}
		}
		if name == "raker" && (pages < 8 || pages > 30) {
			t.Errorf("the Raker book prints on %d pages", pages)
		}
	}

	// The book: its title and signature blocks, and the figures of the
	// ledger for the meeting's period, as printed.
	book := texts["raker"]
	net := money.Rupiah(admin.count(`SELECT SUM(d.amount) FROM donations d JOIN organizations o ON o.id = d.organization_id
		WHERE o.code LIKE 'BALI%' AND d.received_on BETWEEN '2014-01-01' AND '2014-07-17'`))
	cost := money.Rupiah(admin.count(`SELECT SUM(cost) FROM aid_outputs WHERE delivered_on BETWEEN '2014-01-01' AND '2014-07-17'`))
	want := []string{"BKKKS Provinsi Bali", "Rapat Kerja BKKKS Provinsi Bali 2014", "Periode evaluasi: 1 Januari 2014 – 17 Juli 2014",
		"Rapat: 17 Juli 2014, Ruang Dekranasda, Denpasar", "Denpasar, 17 Juli 2014", "Dr. I Made Wirata, M.Si.", "Ni Ketut Sriani, S.Sos.",
		net.String(), cost.String()}
	// The figures the council reported at the meeting.
	for code, seed := range map[string]int64{"PMT": 190, "TRIPOD": 1, "KURSI_RODA": 1, "PAKAIAN_OLAHRAGA": 106, "BEDAH_RUMAH": 4} {
		q := admin.count(`SELECT SUM(a.quantity) FROM aid_outputs a JOIN aid_types t ON t.id = a.aid_type_id
			WHERE t.code = $1 AND a.delivered_on BETWEEN '2014-01-01' AND '2014-07-17'`, code)
		if q != seed {
			t.Errorf("%s: the ledger holds %d by the meeting, the council reported %d", code, q, seed)
		}
		name := admin.id(`SELECT name FROM aid_types WHERE code = $1`, code)
		if !regexp.MustCompile(regexp.QuoteMeta(name) + `\s+\S+\s+` + strconv.FormatInt(q, 10) + `\s`).MatchString(book) {
			t.Errorf("the book does not print %s: %d", name, q)
		}
	}
	for _, w := range want {
		if !strings.Contains(book, w) {
			t.Errorf("the printed book lacks %q", w)
		}
	}

	if out := os.Getenv("SINERGI_ARTIFACTS"); out != "" {
		pagesDir := filepath.Join(out, "raker-pages")
		if err := os.MkdirAll(pagesDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name := range books {
			pdf, err := os.ReadFile(filepath.Join(dir, name+".pdf"))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(out, name+".pdf"), pdf, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		run("pdftoppm", "-png", "-r", "70", filepath.Join(dir, "raker.pdf"), filepath.Join(pagesDir, "halaman"))
	}
}

// a4 reports whether a page of w × h points is A4, either way up.
func a4(w, h float64) bool {
	near := func(a, b float64) bool { return a > b-2 && a < b+2 }
	return near(w, 595.3) && near(h, 841.9) || near(w, 841.9) && near(h, 595.3)
}
