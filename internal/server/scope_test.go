package server_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/postgres/pgtest"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/token"
)

// allStores is every store of the domain packages. A new store is added
// here; a new method on a listed store is walked without anyone asking.
func allStores(db *sqlx.DB) []any {
	return []any{organization.NewStore(db), partner.NewStore(db), donation.NewStore(db), box.NewStore(db),
		aid.NewStore(db), programme.NewStore(db), meeting.NewStore(db), audit.NewStore(db), token.NewStore(db), fund.NewStore(db), receipt.NewStore(db),
		request.NewStore(db, testKey, request.DefaultDeadlines()), imports.NewJobStore(db), permit.NewStore(db, permit.DefaultRules())}
}

// unscoped lists the store methods that take no scope, each with why.
var unscoped = map[string]string{
	"token.Store.Authenticate": "it is how a request gets its principal",
	"permit.Store.Rules":       "the regulation's numbers, not records",
}

var (
	contextType = reflect.TypeFor[context.Context]()
	scopeType   = reflect.TypeFor[auth.Scope]()
	errorType   = reflect.TypeFor[error]()
	dateType    = reflect.TypeFor[calendar.Date]()
)

// storeCall is one call of a store method with arguments made from its
// signature.
type storeCall struct {
	name  string
	write bool
	call  func(sc auth.Scope) (result any, rows int, err error)
}

// storeCalls walks every exported method of every store and makes, for
// each, the calls that exercise it: string arguments take each of the
// candidate ids, codes and names in turn, lists take them all, filters and
// inputs their zero value, dates the widest period, and a row callback
// counts the rows it is handed.
func storeCalls(t *testing.T, db *sqlx.DB, candidates []string) []storeCall {
	t.Helper()
	var calls []storeCall
	for _, store := range allStores(db) {
		v := reflect.ValueOf(store)
		typ := v.Type()
		for i := range typ.NumMethod() {
			m := typ.Method(i)
			name := strings.TrimPrefix(typ.Elem().String(), "*") + "." + m.Name
			ft := m.Type // the receiver is in 0
			if ft.NumIn() < 3 || ft.In(1) != contextType || ft.In(2) != scopeType {
				if _, ok := unscoped[name]; !ok {
					t.Errorf("%s takes no auth.Scope after its context: a read or write that ignores the caller", name)
				}
				continue
			}
			variants := []string{""}
			write := false
			for j := 3; j < ft.NumIn(); j++ {
				in := ft.In(j)
				if in.Kind() == reflect.String {
					variants = candidates
				}
				n := in.Name()
				if in.Kind() == reflect.Struct && (strings.HasPrefix(n, "New") || strings.HasSuffix(n, "Reversal") ||
					n == "Retirement" || n == "Reopening" || n == "Release" || n == "Void" || n == "Reissue" || n == "WriteOff" || n == "Move") || in.Kind() == reflect.Bool {
					write = true
				}
			}
			for _, s := range variants {
				calls = append(calls, storeCall{name: fmt.Sprintf("%s(%.12s)", name, s), write: write, call: func(sc auth.Scope) (any, int, error) {
					rows := 0
					args := []reflect.Value{v, reflect.ValueOf(context.Background()), reflect.ValueOf(sc)}
					// A period runs from 2000 to 2100; a single day is the
					// later, so that what was in force by then is found.
					dates := 0
					for j := 3; j < ft.NumIn(); j++ {
						if ft.In(j) == dateType {
							dates--
						}
					}
					if dates == -1 {
						dates = 1
					} else {
						dates = 0
					}
					for j := 3; j < ft.NumIn(); j++ {
						in := ft.In(j)
						switch {
						case in.Kind() == reflect.String:
							args = append(args, reflect.ValueOf(s).Convert(in))
						case in.Kind() == reflect.Slice && in.Elem().Kind() == reflect.String:
							args = append(args, reflect.ValueOf(candidates))
						case in == dateType:
							d := calendar.New(2000, time.January, 1)
							if dates > 0 {
								d = calendar.New(2100, time.December, 31)
							}
							dates++
							args = append(args, reflect.ValueOf(d))
						case in.Kind() == reflect.Func:
							args = append(args, reflect.MakeFunc(in, func([]reflect.Value) []reflect.Value {
								rows++
								return []reflect.Value{reflect.Zero(errorType)}
							}))
						default:
							args = append(args, reflect.Zero(in))
						}
					}
					out := m.Func.Call(args)
					var err error
					if e := out[len(out)-1]; e.Type() == errorType && !e.IsNil() {
						err = e.Interface().(error)
					}
					var result any
					if len(out) > 1 {
						result = out[len(out)-2].Interface()
					}
					return result, rows, err
				}})
			}
		}
	}
	return calls
}

// empty reports whether v holds no record: a zero value, an empty list, or
// a struct of empty fields (a page without items, totals of zero).
func empty(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Invalid:
		return true
	case reflect.Slice, reflect.Map:
		return v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil() || empty(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if !empty(v.Field(i)) {
				return false
			}
		}
		return true
	}
	return v.IsZero()
}

// TestStoresFailClosedWithoutPrincipal walks every store method: each
// takes a scope (or is listed in unscoped with its reason), each read with
// the zero Scope — a request without a principal, or a partner account
// without a partner — returns an error or nothing, and each write is
// refused with nothing written. The same calls with the system's scope
// find records, so the walk is not vacuous.
func TestStoresFailClosedWithoutPrincipal(t *testing.T) {
	db := pgtest.DB(t)
	e := newEnvOn(t, db) // a token exists, for the token store
	ctx := context.Background()
	bali := e.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	if _, err := organization.NewStore(db).ClosePeriod(ctx, auth.System("test"), organization.NewClose{
		OrganizationID: bali, Through: calendar.New(2013, time.December, 31)}); err != nil {
		t.Fatal(err)
	}
	var candidates []string
	for _, table := range []string{"organizations", "partners", "donations", "donation_boxes", "box_collections", "aid_types",
		"aid_outputs", "programme_targets", "work_meetings", "api_tokens", "period_closes", "allocations", "receipts", "pledges"} {
		candidates = append(candidates, e.id(`SELECT id::text FROM `+table+` ORDER BY created_at DESC LIMIT 1`))
	}
	candidates = append(candidates, e.id(`INSERT INTO import_jobs (kind, file_name, file_sha256, dry_run, started_by)
		VALUES ('donations', 'donasi.xlsx', '', true, 'o') RETURNING id::text`), e.id(`SELECT code FROM donation_boxes ORDER BY seq LIMIT 1`))
	candidates = append(candidates, e.id(`SELECT code FROM organizations WHERE code = 'BALI'`),
		e.id(`SELECT code FROM aid_types ORDER BY seq LIMIT 1`), e.id(`SELECT name FROM partners ORDER BY seq LIMIT 1`),
		e.id(`SELECT id::text FROM permits LIMIT 1`), e.id(`SELECT number FROM permits LIMIT 1`), e.id(`SELECT box_id::text FROM box_permits LIMIT 1`))
	// The province (its closes and targets), a regency and a gift of goods.
	candidates = append(candidates, bali, e.id(`SELECT id::text FROM organizations WHERE code = 'BALI-BADUNG'`),
		e.id(`SELECT id::text FROM donations WHERE kind = 'GOODS' LIMIT 1`), e.id(`SELECT donation_id::text FROM allocations LIMIT 1`),
		e.id(`SELECT partner_id::text FROM pledges LIMIT 1`), e.id(`SELECT donation_id::text FROM box_collections LIMIT 1`),
		// A fulfilled request whose applicant asked again elsewhere.
		e.id(`SELECT id::text FROM aid_requests r WHERE state = 'FULFILLED' AND EXISTS (
			SELECT 1 FROM aid_requests o WHERE o.nik_hash = r.nik_hash AND o.id <> r.id)`))

	noPartner := "" // a partner account whose partner is gone is no partner at all
	closed := map[string]auth.Scope{
		"no principal":            {},
		"from an empty context":   auth.FromContext(ctx),
		"partner without partner": auth.ScopeOf(auth.Principal{AccountName: "p", Role: auth.Partner, PartnerID: &noPartner}),
		"operator without a tree": auth.ScopeOf(auth.Principal{AccountName: "o", Role: auth.Operator}),
		"unknown role":            auth.ScopeOf(auth.Principal{AccountName: "x", Role: "ROOT"}),
	}
	calls := storeCalls(t, db, candidates)
	if len(calls) < 80 {
		t.Fatalf("walked %d calls; the walk lost its stores", len(calls))
	}
	found := map[string]bool{}
	for _, c := range calls {
		method, _, _ := strings.Cut(c.name, "(")
		if c.write {
			continue
		}
		res, rows, err := c.call(auth.System("test"))
		if err == nil && (rows > 0 || !empty(reflect.ValueOf(res))) {
			found[method] = true
		}
	}
	for _, c := range calls {
		method, _, _ := strings.Cut(c.name, "(")
		if !c.write && !found[method] {
			t.Errorf("%s found nothing even for the system: the walk cannot tell whether it fails closed", method)
			found[method] = true // once per method
		}
	}

	before := e.written()
	for label, sc := range closed {
		for _, c := range calls {
			res, rows, err := c.call(sc)
			switch {
			case c.write && err == nil:
				t.Errorf("%s: %s wrote: %.120v", label, c.name, res)
			case !c.write && err == nil && (rows > 0 || !empty(reflect.ValueOf(res))):
				t.Errorf("%s: %s read %d rows, %.120v", label, c.name, rows, res)
			case c.write && !errors.Is(err, auth.ErrForbidden):
				t.Errorf("%s: %s failed with %v, want %v", label, c.name, err, auth.ErrForbidden)
			}
		}
	}
	if after := e.written(); !equal(before, after) {
		t.Errorf("calls without a principal changed the database: %v -> %v", before, after)
	}
}

// TestOutputSumsRefuseWhatTheyCannotShow: the output sums refuse an
// unknown council, and one the operator does not read, rather than
// answering "nothing" or a part of the whole.
func TestOutputSumsRefuseWhatTheyCannotShow(t *testing.T) {
	db := pgtest.DB(t)
	e := newEnvOn(t, db)
	ctx := context.Background()
	store := aid.NewStore(db)
	op := auth.ScopeOf(auth.Principal{AccountName: "op", Role: auth.Operator, SubtreePath: e.id(`SELECT path::text FROM organizations WHERE code = 'BALI-BADUNG'`)})
	ref := func(code string) *string {
		id := e.id(`SELECT id FROM organizations WHERE code = $1`, code)
		return &id
	}
	unknown := "7d0f5f6e-0000-4000-8000-000000000000"
	for _, tc := range []struct {
		name   string
		sc     auth.Scope
		org    *string
		reason string
	}{
		{"an unknown council", auth.System("test"), &unknown, fault.Unknown},
		{"the operator's province", op, ref("BALI"), fault.Invalid},
		{"a sibling regency", op, ref("BALI-GIANYAR"), fault.Invalid},
	} {
		f := aid.OutputFilter{OrganizationID: tc.org}
		_, err1 := store.TotalsByType(ctx, tc.sc, f)
		_, err2 := store.ByTypeAndRegency(ctx, tc.sc, f)
		for _, err := range []error{err1, err2} {
			var in *fault.InvalidInput
			if !errors.As(err, &in) || in.Fields[0].Path != "filter.organizationId" || in.Fields[0].Reason != tc.reason {
				t.Errorf("%s: %v", tc.name, err)
			}
		}
	}
	// The operator's own regency sums its outputs; the province's operator
	// reads the same figures for it.
	own, err := store.TotalsByType(ctx, op, aid.OutputFilter{OrganizationID: ref("BALI-BADUNG")})
	whole, err2 := store.TotalsByType(ctx, auth.System("test"), aid.OutputFilter{OrganizationID: ref("BALI-BADUNG")})
	if err != nil || err2 != nil || !slices.Equal(own, whole) {
		t.Errorf("Badung's sums: %v %v / %v %v", own, err, whole, err2)
	}
}
