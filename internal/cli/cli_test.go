package cli_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"
	_ "github.com/lib/pq"
	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/cli"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
)

func TestMain(m *testing.M) { pgtest.Main(m) }

func run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := cli.Run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestMigrateAndDemoOnExternalDatabase(t *testing.T) {
	dsn := pgtest.DSN(t) // already migrated: migrate must be a no-op that succeeds
	if code, _, stderr := run(t, "migrate", "--database-url", dsn); code != 0 {
		t.Fatalf("migrate: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey)
	if code != 0 || !strings.Contains(stdout, "37 organizations") || !strings.Contains(stdout, "768 box collections") {
		t.Fatalf("demo: exit %d, out %q\n%s", code, stdout, stderr)
	}
	code, _, stderr = run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey)
	if code != 1 || !strings.Contains(stderr, "empty database") {
		t.Errorf("second demo: exit %d, %q; want 1 and a word about an empty database", code, stderr)
	}
}

func TestUsage(t *testing.T) {
	if code, _, stderr := run(t, "bogus"); code != 2 || !strings.Contains(stderr, "unknown command") {
		t.Errorf("unknown command: exit %d, %q", code, stderr)
	}
	for _, cmd := range []string{"serve", "migrate", "demo"} {
		code, _, stderr := run(t, cmd, "-h")
		if code != 0 || !strings.Contains(stderr, "-database-url") || !strings.Contains(stderr, "-data-dir") {
			t.Errorf("%s -h: exit %d, %q", cmd, code, stderr)
		}
	}
	if code, stdout, _ := run(t, "version"); code != 0 || !strings.HasPrefix(stdout, "sinergi ") {
		t.Errorf("version: exit %d, %q", code, stdout)
	}
}

// TestServeOnPrivateCluster runs "serve --demo" on its embedded default,
// asks it a question, stops it as Ctrl-C would, and checks that the private
// cluster stopped too and kept its data for the next start.
func TestServeOnPrivateCluster(t *testing.T) {
	t.Setenv("DATABASE_URL", "")
	dataDir := filepath.Join(pgtest.TempDir(t), "data")
	addr := freeAddr(t)
	var adminToken string
	serve := func(loads bool, check func(adminToken string)) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan int, 1)
		var out lockedBuffer
		go func() {
			done <- cli.Run(ctx, []string{"serve", "--demo", "--addr", addr, "--data-dir", dataDir}, &out, io.Discard)
		}()
		waitHealthy(t, "http://"+addr+"/readyz", done)
		printed := out.String()
		i := strings.Index(printed, "sng_")
		switch {
		case loads && (!strings.Contains(printed, "Demo admin token") || !strings.Contains(printed, "Demo partner token") || i < 0):
			t.Fatalf("serve --demo printed no tokens:\n%s", printed)
		case loads:
			adminToken = strings.Fields(printed[i:])[0]
		case i >= 0:
			// Tokens come with the demo data, once; a restart mints none.
			t.Errorf("serve --demo on a database with data printed tokens again:\n%s", printed)
		}
		check(adminToken)
		cancel()
		select {
		case code := <-done:
			if code != 0 {
				t.Fatalf("serve exited %d after the stop signal", code)
			}
		case <-time.After(60 * time.Second):
			t.Fatal("serve did not stop")
		}
		if _, err := os.Stat(filepath.Join(dataDir, "postmaster.pid")); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the private cluster is still running after serve stopped (%v)", err)
		}
	}
	query := `{"query":"{ workMeetings { edges { node { totalAttendees } } } }"}`
	serve(true, func(token string) {
		body := post(t, "http://"+addr+"/graphql", query, token)
		if !strings.Contains(body, `"totalAttendees":115`) {
			t.Errorf("demo data not served: %s", body)
		}
		// Without a token only the health checks and GraphiQL answer.
		if body := post(t, "http://"+addr+"/graphql", query, ""); !strings.Contains(body, "UNAUTHENTICATED") {
			t.Errorf("answered without a token: %s", body)
		}
		// A token made at the command line while serve runs works at once.
		var out bytes.Buffer
		code := cli.Run(context.Background(), []string{"token", "create", "-role", "operator", "-org", "BALI-GIANYAR",
			"-name", "laptop", "-data-dir", dataDir}, &out, io.Discard)
		i := strings.Index(out.String(), "sng_")
		if code != 0 || i < 0 {
			t.Fatalf("token create: exit %d, %q", code, out.String())
		}
		body = post(t, "http://"+addr+"/graphql", `{"query":"{ viewer { role organization { code } } }"}`, strings.Fields(out.String()[i:])[0])
		if !strings.Contains(body, `"role":"OPERATOR"`) || !strings.Contains(body, `"code":"BALI-GIANYAR"`) {
			t.Errorf("viewer with the new token: %s", body)
		}
	})
	// The second start reuses the data and does not load the demo twice;
	// the first start's token still works.
	serve(false, func(token string) {
		body := post(t, "http://"+addr+"/graphql", query, token)
		if strings.Count(body, "totalAttendees") != 1 {
			t.Errorf("after a restart: %s", body)
		}
		// The private PostgreSQL dies under the running server: the server
		// starts it again and answers without a restart of its own.
		b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid"))
		if err != nil {
			t.Fatal(err)
		}
		pid, _ := strconv.Atoi(strings.Fields(string(b))[0])
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			body, err := postErr("http://"+addr+"/graphql", query, token)
			if err == nil && strings.Count(body, "totalAttendees") == 1 {
				if b, err := os.ReadFile(filepath.Join(dataDir, "postmaster.pid")); err == nil && !strings.HasPrefix(string(b), strconv.Itoa(pid)+"\n") {
					break // answered by the new server
				}
			}
			if time.Since(start) > 60*time.Second {
				t.Fatalf("no answer 60 s after PostgreSQL was killed: %s %v", body, err)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Logf("answering again %v after PostgreSQL was killed", time.Since(start).Round(time.Millisecond))
		// The new server may answer a moment before the keeper has seen it
		// ready and cleared its reason: readiness follows within seconds.
		ready := false
		for deadline := time.Now().Add(10 * time.Second); !ready && time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if res, err := http.Get("http://" + addr + "/readyz"); err == nil {
				ready = res.StatusCode == http.StatusOK
				res.Body.Close()
			}
		}
		if !ready {
			t.Error("readyz did not answer 200 within 10 s of the restart")
		}
	})
}

// lockedBuffer is a bytes.Buffer that a server goroutine writes while the
// test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func waitHealthy(t *testing.T, url string, done <-chan int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case code := <-done:
			t.Fatalf("serve exited %d before it was ready", code)
		default:
		}
		if res, err := http.Get(url); err == nil {
			res.Body.Close()
			if res.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatal("serve did not become ready")
}

func post(t *testing.T, url, body, token string) string {
	t.Helper()
	req, _ := http.NewRequest("POST", url, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

func TestEnvironmentIsValidatedAtStart(t *testing.T) {
	t.Setenv("SINERGI_MAX_DEPTH", "deep")
	code, _, stderr := run(t, "serve")
	if code != 1 || !strings.Contains(stderr, "SINERGI_MAX_DEPTH") {
		t.Errorf("serve with SINERGI_MAX_DEPTH=deep: exit %d, %q; want 1 and the variable named", code, stderr)
	}
	t.Setenv("SINERGI_MAX_DEPTH", "")
	for _, flag := range []string{"--permit-cost-cap=150", "--permit-months=0"} {
		if code, _, stderr := run(t, "serve", flag); code != 1 || !strings.Contains(stderr, "permit") {
			t.Errorf("serve %s: exit %d, %q", flag, code, stderr)
		}
	}
	t.Setenv("SINERGI_MODE", "staging")
	if code, _, stderr := run(t, "serve"); code != 1 || !strings.Contains(stderr, "staging") {
		t.Errorf("serve with SINERGI_MODE=staging: exit %d, %q", code, stderr)
	}
}

func TestExportAuditLogFile(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, stderr := run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	out := filepath.Join(t.TempDir(), "audit.xlsx")
	if code, _, stderr := run(t, "export", "audit-log", "-o", out, "-entity", "work_meeting", "-lang", "en", "--database-url", dsn); code != 0 {
		t.Fatalf("export: exit %d %s", code, stderr)
	}
	f, err := excelize.OpenFile(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows("Audit Trail")
	// Header, the demo's one work meeting and its decisions, the count.
	if err != nil || len(rows) != 4 || rows[1][4] != "work_meeting" || rows[1][1] != "demo" || rows[2][3] != "decide" || rows[3][0] != "Entries: 2" {
		t.Fatalf("rows %v, %v", rows, err)
	}
	// Without -o the file is named as the download is.
	t.Chdir(t.TempDir())
	if code, _, stderr := run(t, "export", "audit-log", "-from", "2014-01-01", "--database-url", dsn); code != 0 {
		t.Errorf("export without -o: exit %d %s", code, stderr)
	}
	if _, err := os.Stat("jejak-audit-2014-01-01_--id.xlsx"); err != nil {
		t.Errorf("export without -o wrote no file named for what it holds: %v", err)
	}
	// A permit's accountability report, named for the permit.
	if code, _, stderr := run(t, "export", "pub-report", "-permit", "460/1187/pub/dinsos/2014", "--database-url", dsn); code != 0 {
		t.Fatalf("export pub-report: exit %d %s", code, stderr)
	}
	pub, err := excelize.OpenFile("laporan-pub-460-1187-pub-dinsos-2014-id.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	if rows, err := pub.GetRows("Ringkasan"); err != nil || len(rows) < 5 || rows[4][1] != "460/1187/PUB/DINSOS/2014" {
		t.Errorf("pub-report summary %v, %v", rows, err)
	}
	if code, _, stderr := run(t, "export", "pub-report", "-permit", "460/1187/PUB/DINSOS/2015", "--database-url", dsn); code == 0 ||
		!strings.Contains(stderr, "did you mean 460/1187/PUB/DINSOS/2014") {
		t.Errorf("an unknown permit: exit %d %s", code, stderr)
	}
}

// testNIKKey seals the demo NIKs where the tests load the demo into an
// external database.
const testNIKKey = "ZGVmZ2hpamtsbW5vcHFyc3R1dnd4eXp7fH1+f4CBgoM="

// TestNIKKeyIsRequiredAndRotates: outside a demo run the server refuses to
// start without a NIK key, or with another key than the stored NIKs'; after
// "sinergi nik rotate" the stored NIKs open with the new key only.
func TestNIKKeyIsRequiredAndRotates(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, stderr := run(t, "demo", "--database-url", dsn); code != 1 || !strings.Contains(stderr, "no NIK key") {
		t.Errorf("demo on an external database without a key: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	if code, _, stderr := run(t, "serve", "--database-url", dsn, "--addr", "127.0.0.1:0"); code != 1 || !strings.Contains(stderr, "no NIK key") {
		t.Errorf("serve without a key: exit %d, %s", code, stderr)
	}
	code, newKey, _ := run(t, "nik", "new-key")
	if code != 0 {
		t.Fatal("nik new-key failed")
	}
	if code, _, stderr := run(t, "serve", "--database-url", dsn, "--addr", "127.0.0.1:0", "--nik-key", newKey); code != 1 ||
		!strings.Contains(stderr, "sealed with key") {
		t.Errorf("serve with another key than the stored NIKs': exit %d, %s", code, stderr)
	}
	keyFile := filepath.Join(t.TempDir(), "new.key")
	if err := os.WriteFile(keyFile, []byte(newKey), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, stderr := run(t, "nik", "rotate", "--database-url", dsn, "--nik-key", testNIKKey, "--new-key-file", keyFile)
	if code != 0 || !strings.Contains(out, "re-sealed 11 NIKs") {
		t.Fatalf("rotate: exit %d, %q, %s", code, out, stderr)
	}
	// The old key is now the wrong one; a second rotation has nothing left to do.
	if code, _, stderr := run(t, "serve", "--database-url", dsn, "--addr", "127.0.0.1:0", "--nik-key", testNIKKey); code != 1 ||
		!strings.Contains(stderr, "sealed with key") {
		t.Errorf("serve with the old key after rotation: exit %d, %s", code, stderr)
	}
	if code, out, _ := run(t, "nik", "rotate", "--database-url", dsn, "--nik-key", testNIKKey, "--new-key-file", keyFile); code != 0 ||
		!strings.Contains(out, "re-sealed 0 NIKs") {
		t.Errorf("second rotation: exit %d, %q", code, out)
	}
}

// TestTemplateFile: sinergi template KIND writes the import template under
// the name the download has.
func TestTemplateFile(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, stderr := run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	t.Chdir(t.TempDir())
	if code, _, stderr := run(t, "template", "aid-outputs", "-lang", "en", "--database-url", dsn); code != 0 {
		t.Fatalf("template: exit %d %s", code, stderr)
	}
	f, err := excelize.OpenFile("templat-penyaluran-bantuan-en.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if rows, err := f.GetRows("Data"); err != nil || len(rows) != 2 || rows[0][1] != "Aid type code" {
		t.Errorf("template rows %v, %v", rows, err)
	}
	if code, _, _ := run(t, "template", "pledges", "--database-url", dsn); code == 0 {
		t.Error("a template of pledges was written")
	}
}

// TestImportFile: sinergi import KIND FILE checks a filled template in a
// dry run (exit 1 with every refused cell, nothing written, the file
// written back marked with --errors-to), then imports it once corrected;
// flags may follow the file.
func TestImportFile(t *testing.T) {
	dsn := pgtest.DSN(t)
	if code, _, stderr := run(t, "demo", "--database-url", dsn, "--nik-key", testNIKKey); code != 0 {
		t.Fatalf("demo: %s", stderr)
	}
	dir := t.TempDir()
	t.Chdir(dir)
	if code, _, stderr := run(t, "template", "programme-targets", "--database-url", dsn); code != 0 {
		t.Fatalf("template: %s", stderr)
	}
	f, err := excelize.OpenFile("templat-target-program-id.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	f.SetSheetRow("Data", "A3", &[]any{"BALI-BADUNG", 2016, "PMT", 120, 30_000_000})
	f.SetSheetRow("Data", "A4", &[]any{"BALI-BADUNG", 2016, "KURSI_RODAA", 10, 15_000_000})
	if err := f.SaveAs("target.xlsx"); err != nil {
		t.Fatal(err)
	}
	db, err := sqlx.Open("postgres", dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	targets := func() (n int) {
		t.Helper()
		if err := db.Get(&n, `SELECT count(*) FROM programme_targets`); err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := targets()
	code, out, stderr := run(t, "import", "programme-targets", "target.xlsx", "--dry-run", "--errors-to", "kesalahan.xlsx", "--database-url", dsn)
	if code != 1 || !strings.Contains(out, "1 errors") || !strings.Contains(out, "Data!C4 (Kode jenis bantuan): no such aid type; did you mean KURSI_RODA?") ||
		!strings.Contains(out, "skipped  Data row 2: the template's example row") {
		t.Fatalf("dry run: exit %d\n%s\n%s", code, out, stderr)
	}
	if targets() != before {
		t.Fatal("the dry run wrote targets")
	}
	marked, err := excelize.OpenFile("kesalahan.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := marked.GetCellValue("Data", "F4"); !strings.Contains(v, "no such aid type") {
		t.Errorf("the file written back says %q on row 4", v)
	}
	f.SetCellStr("Data", "C4", "KURSI_RODA")
	f.SaveAs("target.xlsx")
	if code, out, stderr := run(t, "import", "programme-targets", "target.xlsx", "--database-url", dsn); code != 0 || !strings.Contains(out, "2 created") {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	if targets() != before+2 {
		t.Errorf("%d targets written, want 2", targets()-before)
	}
	var audited int
	db.Get(&audited, `SELECT count(*) FROM audit_log WHERE action = 'import' AND after->>'fileName' = 'target.xlsx' AND actor LIKE 'cli%'`)
	if audited != 1 {
		t.Errorf("%d import audit entries", audited)
	}
}
