package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/report"
	"github.com/sinergi-id/sinergi/internal/token"
)

type config struct {
	url, dsn             string
	clients              int
	duration             time.Duration
	rounds               int // each side's duration is split into this many turns
	province             string
	year                 int
	exportFrom, exportTo string
	serverPID            int
	compare              string
}

// load holds what the workloads share: the HTTP client and token, the
// stores of the floor, and the records the requests name.
type load struct {
	cfg       config
	db        *sqlx.DB
	http      *http.Client
	token     string
	sc        auth.Scope
	orgs      *organization.Store
	donations *donation.Store
	aid       *aid.Store

	province      string   // id
	regencies     []string // the province's regency councils: writers spread over them, as councils record their own gifts
	donationCount int64
	runID         string
	compareWrites atomic.Int64 // references of the compared server's writes
}

func newLoad(ctx context.Context, db *sqlx.DB, cfg config) (*load, error) {
	l := &load{cfg: cfg, db: db, sc: auth.System("load"),
		http: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * cfg.clients}, Timeout: 10 * time.Minute},
		orgs: organization.NewStore(db), donations: donation.NewStore(db), aid: aid.NewStore(db),
		runID: strconv.FormatInt(time.Now().UnixNano(), 36)}
	if err := db.GetContext(ctx, &l.province, `SELECT id FROM organizations WHERE code = $1`, cfg.province); err != nil {
		return nil, fmt.Errorf("province %s: %w", cfg.province, err)
	}
	if err := db.SelectContext(ctx, &l.regencies, `SELECT id FROM organizations WHERE parent_id = $1 AND kind = 'REGENCY_COUNCIL' ORDER BY seq`, l.province); err != nil || len(l.regencies) == 0 {
		return nil, fmt.Errorf("the regencies of %s: %v", cfg.province, err)
	}
	if err := db.GetContext(ctx, &l.donationCount, `SELECT count(*) FROM donations`); err != nil {
		return nil, err
	}
	secret, _, err := token.NewStore(db).CreateToken(ctx, l.sc, token.NewToken{Account: "load-" + l.runID, Role: auth.Admin, Name: "load"})
	if err != nil {
		return nil, fmt.Errorf("make a token: %w", err)
	}
	l.token = secret
	return l, nil
}

// result is what one side of a workload did.
type result struct {
	n, errors int
	took      time.Duration
	latencies []time.Duration
	firstErr  error
	cpu       time.Duration // the server process's CPU time meanwhile, when its pid is known
}

func (r result) rate() float64 { return float64(r.n) / r.took.Seconds() }

func (r result) pct(p float64) time.Duration {
	if len(r.latencies) == 0 {
		return 0
	}
	return r.latencies[min(len(r.latencies)-1, int(float64(len(r.latencies))*p))]
}

func (r result) String() string {
	s := fmt.Sprintf("%8.0f req/s  p50 %6.1f ms  p95 %6.1f ms  p99 %6.1f ms", r.rate(), ms(r.pct(0.50)), ms(r.pct(0.95)), ms(r.pct(0.99)))
	if r.cpu > 0 && r.n > 0 {
		// Steadier than req/s on a shared machine: what one request costs the server.
		s += fmt.Sprintf("  server CPU %.2f ms/req", ms(r.cpu)/float64(r.n))
	}
	if r.errors > 0 {
		s += fmt.Sprintf("  %d errors (first: %v)", r.errors, r.firstErr)
	}
	return s
}

// add is r and o together: two turns of one side.
func (r result) add(o result) result {
	r.n += o.n
	r.errors += o.errors
	r.took += o.took
	r.cpu += o.cpu
	if r.firstErr == nil {
		r.firstErr = o.firstErr
	}
	r.latencies = append(r.latencies, o.latencies...)
	slices.Sort(r.latencies)
	return r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// sides runs a workload's floor, its server side and (with -compare and
// a compareOp) the compared server for the workload's duration each, in
// turns: -rounds turns of duration/rounds, one side after the other. On a
// shared machine whose speed drifts over minutes, the drift then falls on
// every side alike rather than on whichever ran last. Each client's
// request numbers go on from turn to turn (W3's keys and replays rely on
// them). other is zero without a compared server.
func (l *load) sides(ctx context.Context, floorOp, serverOp, compareOp func(ctx context.Context, client, i int) error) (floor, server, other result) {
	turns := max(l.cfg.rounds, 1)
	d := l.cfg.duration / time.Duration(turns)
	numbered := func(op func(ctx context.Context, client, i int) error) func(ctx context.Context, client, i int) error {
		next := make([]int, l.cfg.clients) // each client's goroutine touches only its own, one turn at a time
		return func(ctx context.Context, client, _ int) error {
			i := next[client]
			next[client]++
			return op(ctx, client, i)
		}
	}
	floorOp, serverOp = numbered(floorOp), numbered(serverOp)
	withCompared := l.cfg.compare != "" && compareOp != nil
	if withCompared {
		compareOp = numbered(compareOp)
	}
	for range turns {
		floor = floor.add(hammer(ctx, l.cfg.clients, d, floorOp))
		server = server.add(l.hammerServer(ctx, l.cfg.clients, d, serverOp))
		if withCompared {
			other = other.add(hammer(ctx, l.cfg.clients, d, compareOp))
		}
	}
	return floor, server, other
}

// hammer runs op from clients goroutines for d and measures each call.
func hammer(ctx context.Context, clients int, d time.Duration, op func(ctx context.Context, client, i int) error) result {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var mu sync.Mutex
	var res result
	var wg sync.WaitGroup
	start := time.Now()
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			errs := 0
			var first error
			for i := 0; ctx.Err() == nil; i++ {
				t := time.Now()
				err := op(context.WithoutCancel(ctx), c, i)
				if err != nil {
					errs++
					if first == nil {
						first = err
					}
					continue
				}
				mine = append(mine, time.Since(t))
			}
			mu.Lock()
			res.latencies = append(res.latencies, mine...)
			res.errors += errs
			if res.firstErr == nil {
				res.firstErr = first
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	res.took = time.Since(start)
	res.n = len(res.latencies)
	slices.Sort(res.latencies)
	return res
}

// graphql posts a query and fails on any error in the answer.
func (l *load) graphql(ctx context.Context, query string, vars map[string]any) error {
	return l.post(ctx, l.cfg.url+"/graphql", "Bearer "+l.token, query, vars)
}

// compared posts a query to the server compared with (it has no tokens).
func (l *load) compared(ctx context.Context, query string, vars map[string]any) error {
	return l.post(ctx, l.cfg.compare, "", query, vars)
}

func (l *load) post(ctx context.Context, url, authorization, query string, vars map[string]any) error {
	body, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	req, err := http.NewRequestWithContext(ctx, "POST", url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	res, err := l.http.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return err
	}
	if res.StatusCode != 200 || bytes.Contains(b, []byte(`"errors"`)) {
		return fmt.Errorf("HTTP %d: %.200s", res.StatusCode, b)
	}
	return nil
}

const dashboardQuery = `query($o: ID!, $y: Int!) { report(organizationId: $o, year: $y) {
	outputsByAidTypeAndRegency { aidType { name } regency { name } quantity cost }
	donationsBySourceAndMonth { source month amount }
	outputsByAidType { aidType { name } quantity cost } } }`

const listQuery = `query($o: ID!) { donations(first: 50, filter: {organizationId: $o}) { edges { node {
	id receivedOn amount source organization { name parent { name } } partner { name } } } } }`

const writeQuery = `mutation($o: ID!, $a: Rupiah!, $r: String!, $k: String!) { recordDonation(input: {organizationId: $o,
	source: INDIVIDUAL, kind: MONEY, receivedOn: "2014-06-02", amount: $a, reference: $r, idempotencyKey: $k}) { id } }`

// The same workloads in PostGraphile's reflected schema, over the functions
// of bench/postgraphile/compare.sql.
const (
	compareDashboardQuery = `query($o: UUID!, $f: Date!, $t: Date!) {
	outputsByTypeAndRegency(root: $o, fromDate: $f, toDate: $t) { nodes { aidType regency quantity cost } }
	donationsBySourceAndMonth(root: $o, fromDate: $f, toDate: $t) { nodes { source month amount } }
	outputsByType(root: $o, fromDate: $f, toDate: $t) { nodes { aidType quantity cost } } }`

	compareListQuery = `query($o: UUID!) { donationsIn(root: $o, first: 50) { nodes {
	id receivedOn amount source organizationByOrganizationId { name organizationByParentId { name } } partnerByPartnerId { name } } } }`

	compareWriteQuery = `mutation($o: UUID!, $a: BigInt!, $r: String!) { createDonation(input: {donation: {organizationId: $o,
	source: "INDIVIDUAL", kind: "MONEY", receivedOn: "2014-06-02", amount: $a, reference: $r}}) { donation { id } } }`
)

func (l *load) compareVars() map[string]any {
	return map[string]any{"o": l.province, "f": fmt.Sprintf("%d-01-01", l.cfg.year), "t": fmt.Sprintf("%d-12-31", l.cfg.year)}
}

// compareWrite records a donation through PostGraphile's generated
// mutation. It has no idempotency keys, so every write is a new one: no
// replays (a replay would be refused by the reference's unique key).
func (l *load) compareWrite(ctx context.Context, client, i int) error {
	ref := fmt.Sprintf("load-%s-compare-%d", l.runID, l.compareWrites.Add(1))
	return l.compared(ctx, compareWriteQuery, map[string]any{"o": l.regencies[client%len(l.regencies)], "a": strconv.Itoa(10_000 + i), "r": ref})
}

// dashboardFloor is W1 straight to PostgreSQL: the store calls the
// report's resolvers make, with the request's memo of councils and the
// names their loaders fetch (the regencies' come with the report's list).
func (l *load) dashboardFloor(ctx context.Context) error {
	ctx = organization.WithMemo(ctx)
	y := l.cfg.year
	s, err := report.Resolve(ctx, l.sc, l.orgs, l.province, nil, nil, &y)
	if err != nil {
		return err
	}
	of := aid.OutputFilter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
	groups, err := l.aid.ByTypeAndRegency(ctx, l.sc, of)
	if err != nil {
		return err
	}
	if _, err := report.Regencies(ctx, l.sc, l.orgs, s); err != nil {
		return err
	}
	if _, err := l.donations.BySourceAndMonth(ctx, l.sc, donation.Filter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}); err != nil {
		return err
	}
	if _, err := l.aid.TotalsByType(ctx, l.sc, of); err != nil {
		return err
	}
	var types []string
	for _, g := range groups {
		types = append(types, g.Key)
	}
	_, err = l.aid.TypesByIDs(ctx, l.sc, types)
	return err
}

// listFloor is W2 straight to PostgreSQL: the page with its councils, their
// parents and partners in one statement, as the server sends it.
func (l *load) listFloor(ctx context.Context) error {
	first := 50
	_, err := l.donations.ListWithNames(ctx, l.sc, donation.Filter{OrganizationID: &l.province}, page.Request{First: &first}, donation.SummaryColumns)
	return err
}

// key is the idempotency key of write i of a client; one write in ten
// repeats an earlier one (a client retrying), which must not record twice.
func (l *load) key(side string, client, i int) (string, int) {
	if i > 10 && rand.IntN(10) == 0 {
		i = rand.IntN(i)
	}
	return fmt.Sprintf("load-%s-%s-%d-%d", l.runID, side, client, i), i
}

func (l *load) writeFloor(ctx context.Context, client, i int) error {
	k, i := l.key("floor", client, i)
	amount := money.Rupiah(10_000 + i)
	ref := k
	_, err := l.donations.Create(ctx, l.sc, donation.NewDonation{OrganizationID: l.regencies[client%len(l.regencies)], Source: donation.Individual, Kind: donation.Money,
		ReceivedOn: calendar.New(2014, time.June, 2), Amount: &amount, Reference: &ref, IdempotencyKey: k})
	return err
}

func (l *load) write(ctx context.Context, client, i int) error {
	k, i := l.key("http", client, i)
	return l.graphql(ctx, writeQuery, map[string]any{"o": l.regencies[client%len(l.regencies)], "a": 10_000 + i, "r": k, "k": k})
}

// checkWrites counts each side's writes: one donation per key, however
// often it was sent.
func (l *load) checkWrites(ctx context.Context, side string) (string, error) {
	var n, keys int
	if err := l.db.GetContext(ctx, &n, `SELECT count(*) FROM donations WHERE reference LIKE $1`, "load-"+l.runID+"-"+side+"-%"); err != nil {
		return "", err
	}
	// A key is stored under the account that sent it ("account:key").
	if err := l.db.GetContext(ctx, &keys, `SELECT count(*) FROM idempotency_keys WHERE key LIKE $1`, "%load-"+l.runID+"-"+side+"-%"); err != nil {
		return "", err
	}
	if n != keys {
		return "", fmt.Errorf("%s: %d donations for %d keys: a replay wrote twice", side, n, keys)
	}
	return fmt.Sprintf("%d donations for %d keys", n, keys), nil
}

func (l *load) exportURL() string {
	return fmt.Sprintf("%s/exports/donations.xlsx?org=NAS&from=%s&to=%s", l.cfg.url, l.cfg.exportFrom, l.cfg.exportTo)
}

// export downloads the ledger and answers its size.
func (l *load) export(ctx context.Context) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, "GET", l.exportURL(), nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+l.token)
	res, err := l.http.Do(req)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	n, err := io.Copy(io.Discard, res.Body)
	if err == nil && res.StatusCode != 200 {
		err = fmt.Errorf("HTTP %d", res.StatusCode)
	}
	return n, err
}

func (l *load) exportFloor(ctx context.Context) error {
	from, to := calendar.MustParse(l.cfg.exportFrom), calendar.MustParse(l.cfg.exportTo)
	nas, err := l.orgs.ByCode(ctx, l.sc, "NAS")
	if err != nil {
		return err
	}
	return export.Donations(ctx, l.sc, l.donations, donation.Filter{From: &from, To: &to, OrganizationID: &nas.ID}, export.Indonesian, time.Now(), io.Discard)
}

// hammerServer is hammer against the server, with the CPU time the server
// process spent meanwhile.
func (l *load) hammerServer(ctx context.Context, clients int, d time.Duration, op func(ctx context.Context, client, i int) error) result {
	before := cpuTime(l.cfg.serverPID)
	r := hammer(ctx, clients, d, op)
	if before > 0 {
		r.cpu = cpuTime(l.cfg.serverPID) - before
	}
	return r
}

// cpuTime reads a process's user and system CPU time from /proc; 0 when
// it cannot.
func cpuTime(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name (field 2) may hold spaces; utime and stime are the
	// 12th and 13th fields after its closing parenthesis, in clock ticks
	// of 10 ms (USER_HZ is 100 on Linux).
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 13 {
		return 0
	}
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond
}

// rss reads a process's resident memory and its peak, in MB.
func rss(pid int) (now, peak float64) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		field, rest, _ := strings.Cut(line, ":")
		kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
		switch field {
		case "VmRSS":
			now = kb / 1024
		case "VmHWM":
			peak = kb / 1024
		}
	}
	return now, peak
}

// compareWith runs a workload against the compared server, when there is
// one, and prints it beside Sinergi's figures.
func (l *load) compareWith(ctx context.Context, sinergi result, op func(ctx context.Context, client, i int) error) {
	if l.cfg.compare == "" {
		return
	}
	printCompared(sinergi, hammer(ctx, l.cfg.clients, l.cfg.duration, op))
}

// printCompared prints the compared server's figures beside Sinergi's.
func printCompared(sinergi, other result) {
	fmt.Printf("  %-8s %s\n", "compared", other)
	fmt.Printf("  sinergi  %.2f× the compared server's throughput, p99 %.2f× its p99\n\n",
		sinergi.rate()/max(other.rate(), 0.001), ms(sinergi.pct(0.99))/max(ms(other.pct(0.99)), 0.001))
}

func (l *load) run(ctx context.Context, name string) error {
	c, d := l.cfg.clients, l.cfg.duration
	vars := map[string]any{"o": l.province, "y": l.cfg.year}
	side := func(label string, r result, target string) {
		fmt.Printf("  %-8s %s%s\n", label, r, target)
	}
	ratio := func(floor, server result) {
		fmt.Printf("  ratio    %.2f× the floor's throughput, p99 %.1f× the floor's\n\n", server.rate()/floor.rate(), ms(server.pct(0.99))/max(ms(floor.pct(0.99)), 0.001))
	}
	switch name {
	case "W1":
		fmt.Println("W1 dashboard: a province's year report (by aid type × regency, by source × month, by aid type)")
		floor, server, other := l.sides(ctx, func(ctx context.Context, _, _ int) error { return l.dashboardFloor(ctx) },
			func(ctx context.Context, _, _ int) error { return l.graphql(ctx, dashboardQuery, vars) },
			func(ctx context.Context, _, _ int) error {
				return l.compared(ctx, compareDashboardQuery, l.compareVars())
			})
		side("floor", floor, "")
		side("sinergi", server, "   (target ≥ 450 req/s, p99 ≤ 40 ms)")
		ratio(floor, server)
		if l.cfg.compare != "" {
			printCompared(server, other)
		}
	case "W2":
		fmt.Println("W2 list: a page of 50 donations with organization, its parent and partner")
		floor, server, other := l.sides(ctx, func(ctx context.Context, _, _ int) error { return l.listFloor(ctx) },
			func(ctx context.Context, _, _ int) error { return l.graphql(ctx, listQuery, vars) },
			func(ctx context.Context, _, _ int) error { return l.compared(ctx, compareListQuery, vars) })
		side("floor", floor, "")
		side("sinergi", server, "   (target ≥ 2,000 req/s, p99 ≤ 15 ms)")
		ratio(floor, server)
		if l.cfg.compare != "" {
			printCompared(server, other)
		}
	case "W3":
		fmt.Println("W3 write: recordDonation with an idempotency key, one in ten a replay")
		floor, server, other := l.sides(ctx, l.writeFloor, l.write, l.compareWrite)
		side("floor", floor, "")
		side("sinergi", server, "   (target ≥ 2,000 req/s, p99 ≤ 15 ms)")
		for _, s := range []string{"floor", "http"} {
			got, err := l.checkWrites(ctx, s)
			if err != nil {
				return err
			}
			fmt.Printf("  %-8s %s\n", s, got)
		}
		ratio(floor, server)
		if l.cfg.compare != "" {
			printCompared(server, other)
		}
	case "W4":
		fmt.Printf("W4 export: the donation ledger of every council, %s to %s\n", l.cfg.exportFrom, l.cfg.exportTo)
		var rows int64
		if err := l.db.GetContext(ctx, &rows, `SELECT count(*) FROM donations WHERE received_on BETWEEN $1 AND $2`, l.cfg.exportFrom, l.cfg.exportTo); err != nil {
			return err
		}
		start := time.Now()
		if err := l.exportFloor(ctx); err != nil {
			return err
		}
		floor := time.Since(start)
		before, _ := rss(l.cfg.serverPID)
		start = time.Now()
		size, err := l.export(ctx)
		if err != nil {
			return err
		}
		one := time.Since(start)
		_, peak := rss(l.cfg.serverPID)
		fmt.Printf("  floor    %d rows in %.1f s (the ledger written in this process to nowhere)\n", rows, floor.Seconds())
		fmt.Printf("  sinergi  %.1f s over HTTP, %.1f MB; server memory %.0f MB before, peak %.0f MB   (target ≤ 18 s, ≤ 250 MB growth)\n",
			one.Seconds(), float64(size)/1e6, before, peak)
		// Two at once, while the list workload runs.
		var wg sync.WaitGroup
		var twoTook [2]time.Duration
		var twoErr [2]error
		for i := range 2 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t := time.Now()
				_, twoErr[i] = l.export(ctx)
				twoTook[i] = time.Since(t)
			}()
		}
		var exporting atomic.Bool
		exporting.Store(true)
		go func() { wg.Wait(); exporting.Store(false) }()
		list := hammer(ctx, c, max(one, time.Second), func(ctx context.Context, _, _ int) error { return l.graphql(ctx, listQuery, vars) })
		wg.Wait()
		for i, err := range twoErr {
			if err != nil {
				return fmt.Errorf("export %d of two: %w", i+1, err)
			}
		}
		fmt.Printf("  two at once: %.1f s and %.1f s (%.2f× and %.2f× one alone; target ≤ 2×)\n",
			twoTook[0].Seconds(), twoTook[1].Seconds(), twoTook[0].Seconds()/one.Seconds(), twoTook[1].Seconds()/one.Seconds())
		side("W2 meanwhile", list, "   (target p99 ≤ 50 ms)")
		fmt.Printf("  ratio    %.2f× the floor's time\n\n", one.Seconds()/floor.Seconds())
	case "W5":
		fmt.Println("W5 mixed: 70% list, 20% dashboard, 10% write, with one export running")
		mix := func(list, dash func(context.Context) error, write func(context.Context, int, int) error) func(context.Context, int, int) error {
			return func(ctx context.Context, client, i int) error {
				switch r := rand.IntN(10); {
				case r < 7:
					return list(ctx)
				case r < 9:
					return dash(ctx)
				default:
					return write(ctx, client, i)
				}
			}
		}
		background := func() (stop func()) {
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					if _, err := l.export(ctx); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
						fmt.Println("  background export:", err)
						return
					}
				}
			}()
			return func() { cancel(); <-done }
		}
		stopFloorExport := func() func() {
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() {
				defer close(done)
				for ctx.Err() == nil {
					l.exportFloor(ctx)
				}
			}()
			return func() { cancel(); <-done }
		}()
		floor := hammer(ctx, c, d, mix(l.listFloor, l.dashboardFloor, l.writeFloor))
		stopFloorExport()
		stop := background()
		server := l.hammerServer(ctx, c, d, mix(func(ctx context.Context) error { return l.graphql(ctx, listQuery, vars) },
			func(ctx context.Context) error { return l.graphql(ctx, dashboardQuery, vars) }, l.write))
		stop()
		side("floor", floor, "")
		side("sinergi", server, "   (target ≥ 0.9× the floor)")
		ratio(floor, server)
		if l.cfg.compare != "" {
			// The export runs beside it too: PostGraphile has none, so
			// Sinergi's own runs in the background, as above.
			stop := background()
			l.compareWith(ctx, server, mix(func(ctx context.Context) error { return l.compared(ctx, compareListQuery, vars) },
				func(ctx context.Context) error { return l.compared(ctx, compareDashboardQuery, l.compareVars()) }, l.compareWrite))
			stop()
		}
	default:
		return fmt.Errorf("no workload %q (W1–W5)", name)
	}
	return nil
}
