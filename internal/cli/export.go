package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
)

const exportUsage = `Usage:
  sinergi export raker -org ID-OR-CODE (-year 2014 | -from DATE -to DATE) [-o FILE.xlsx] [-lang id|en]
  sinergi export box-collections [-o FILE.xlsx] [-year 2014 | -from DATE -to DATE] [-org ID-OR-CODE] [-box ID] [-host PARTNER-ID] [-regency ID-OR-CODE] [-lang id|en]
  sinergi export aid-outputs [-o FILE.xlsx] [-year 2014 | -from DATE -to DATE] [-org ID-OR-CODE] [-type ID-OR-CODE] [-group GROUP] [-pmks CATEGORY] [-regency ID-OR-CODE] [-lang id|en]
  sinergi export donations [-o FILE.xlsx] [-year 2014 | -from DATE -to DATE] [-org ID-OR-CODE] [-source CSR,GOVERNMENT,…] [-partner ID] [-kind MONEY|GOODS] [-lang id|en]
  sinergi export partner-statement -partner ID-OR-NAME (-year 2014 | -from DATE -to DATE) [-o FILE.xlsx] [-lang id|en]
  sinergi export pub-report -permit NUMBER-OR-ID [-o FILE.xlsx] [-lang id|en]
  sinergi export aid-requests [-o FILE.xlsx] [-year 2014 | -from DATE -to DATE] [-org ID-OR-CODE] [-state STATE] [-pmks CATEGORY] [-lang id|en] [-nik-key-file FILE]
  sinergi export audit-log [-o FILE.xlsx] [-from DATE] [-to DATE] [-entity NAME] [-actor TEXT] [-lang id|en]
  sinergi template donations|box-collections|aid-outputs|programme-targets [-o FILE.xlsx] [-lang id|en]

Writes the same workbook as GET /exports/NAME.xlsx with the same parameters,
by default to the file name the download has (raker-BALI-2014-id.xlsx).
`

// workbooks are the exports the command line writes, by name, for sc.
var workbooks = map[string]func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error{
	"donations": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		f, lang, err := export.DonationQuery(ctx, sc, organization.NewStore(db), q)
		if err != nil {
			return err
		}
		return export.Donations(ctx, sc, donation.NewStore(db), f, lang, time.Now(), w)
	},
	"box-collections": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		f, lang, err := export.BoxCollectionQuery(ctx, sc, organization.NewStore(db), q)
		if err != nil {
			return err
		}
		return export.BoxCollections(ctx, sc, box.NewStore(db), f, lang, time.Now(), w)
	},
	"aid-outputs": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		f, lang, err := export.AidOutputQuery(ctx, sc, organization.NewStore(db), aid.NewStore(db), q)
		if err != nil {
			return err
		}
		return export.AidOutputs(ctx, sc, aid.NewStore(db), f, lang, time.Now(), w)
	},
	"raker": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		st := export.RakerStores{Organizations: organization.NewStore(db), Partners: partner.NewStore(db), Donations: donation.NewStore(db),
			Aid: aid.NewStore(db), Boxes: box.NewStore(db), Programmes: programme.NewStore(db), Meetings: meeting.NewStore(db),
			Funds: fund.NewStore(db), Requests: request.NewStore(db, nil, request.DefaultDeadlines())}
		s, lang, err := export.RakerQuery(ctx, sc, st.Organizations, q)
		if err != nil {
			return err
		}
		return export.Raker(ctx, sc, st, s, lang, time.Now(), w)
	},
	"partner-statement": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		st := export.StatementStores{Funds: fund.NewStore(db), Partners: partner.NewStore(db), Organizations: organization.NewStore(db),
			Aid: aid.NewStore(db), Receipts: receipt.NewStore(db)}
		r, lang, err := export.StatementQuery(ctx, sc, st, q)
		if err != nil {
			return err
		}
		return export.PartnerStatement(ctx, sc, st, r, lang, time.Now(), w)
	},
	"pub-report": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		ref, lang, err := export.PermitReportQuery(q)
		if err != nil {
			return err
		}
		// Reading takes no rules: they bound new permits only.
		return export.PermitReport(ctx, sc, permit.NewStore(db, permit.DefaultRules()), ref, lang, time.Now(), w)
	},
	"aid-requests": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		f, lang, err := export.AidRequestQuery(ctx, sc, organization.NewStore(db), q)
		if err != nil {
			return err
		}
		return export.AidRequests(ctx, sc, request.NewStore(db, key, request.DefaultDeadlines()), f, lang, time.Now(), w)
	},
	"audit-log": func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
		f, lang, err := export.AuditQuery(q)
		if err != nil {
			return err
		}
		return export.AuditLog(ctx, sc, audit.NewStore(db), f, lang, time.Now(), w)
	},
	"template-donations":         templateWorkbook("donations"),
	"template-box-collections":   templateWorkbook("box-collections"),
	"template-aid-outputs":       templateWorkbook("aid-outputs"),
	"template-programme-targets": templateWorkbook("programme-targets"),
}

// templateWorkbook writes the import template of kind, as GET
// /templates/KIND.xlsx does.
func templateWorkbook(kind string) func(ctx context.Context, sc auth.Scope, db *sqlx.DB, key *nik.Key, q url.Values, w io.Writer) error {
	return func(ctx context.Context, sc auth.Scope, db *sqlx.DB, _ *nik.Key, q url.Values, w io.Writer) error {
		lang, err := export.TemplateQuery(q)
		if err != nil {
			return err
		}
		st := export.TemplateStores{Organizations: organization.NewStore(db), Partners: partner.NewStore(db), Aid: aid.NewStore(db), Boxes: box.NewStore(db)}
		return export.Template(ctx, sc, st, kind, lang, time.Now(), w)
	}
}

func exports(ctx context.Context, args []string, log *slog.Logger, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, exportUsage)
		return flag.ErrHelp
	}
	write, ok := workbooks[args[0]]
	if !ok {
		fmt.Fprint(stderr, exportUsage)
		return fmt.Errorf("unknown export %q", args[0])
	}
	fs := flag.NewFlagSet("sinergi export "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	var nc nikConfig
	nc.register(fs)
	out := fs.String("o", "", "the file to write (default: named for the council, period and language, as the download is)")
	params := map[string]*string{}
	for name, usage := range map[string]string{
		"from": "first day, YYYY-MM-DD", "to": "last day, YYYY-MM-DD", "org": "an organization's id or code: its subtree",
		"source": "donation sources, comma-separated", "partner": "a partner's id (partner statement: or its exact name)", "kind": "MONEY or GOODS",
		"entity": "audit log: one kind of record", "actor": "audit log: actors whose name contains this",
		"lang": "labels: id (Indonesian) or en (English)", "box": "a box's id", "host": "the host partner's id",
		"regency": "a regency/city council's id or code", "permit": "pub-report: the permit's number or id", "type": "an aid type's id or code",
		"group": "a beneficiary group, e.g. ELDERLY", "state": "aid requests: a state, e.g. FORWARDED", "pmks": "a PMKS category, e.g. POVERTY", "year": "a calendar year, instead of -from and -to (not the audit log)",
	} {
		params[name] = fs.String(name, "", usage)
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	q := url.Values{}
	for name, v := range params {
		if *v != "" {
			q.Set(name, *v)
		}
	}
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	// The aid request ledger holds applicants' NIKs: it needs the key, and
	// its file is readable by its owner only.
	var key *nik.Key
	mode := os.FileMode(0o644)
	if args[0] == "aid-requests" {
		if key, err = nc.load(log, true, dbc.clusterDir); err != nil {
			return err
		}
		mode = 0o600
	}
	if *out == "" {
		// Named as the same workbook downloads: raker-BALI-2014-id.xlsx.
		*out = export.FileName(args[0], q, func(id string) string {
			if o, err := organization.NewStore(db).Organization(ctx, cliScope(), id); err == nil {
				return o.Code
			}
			return id
		})
	}
	// Written beside the target and renamed when whole: a failure leaves no
	// half-written file under the name asked for.
	tmp, err := os.CreateTemp(filepath.Dir(*out), ".sinergi-export-*.xlsx")
	if err != nil {
		return fmt.Errorf("create %s: %w", *out, err)
	}
	defer os.Remove(tmp.Name())
	err = write(ctx, cliScope(), db, key, q, tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), *out); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	log.Info("workbook written", "file", *out)
	return nil
}
