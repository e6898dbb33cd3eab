package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os/user"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/token"
)

const tokenUsage = `Usage:
  sinergi token create -role ROLE [-org CODE | -partner ID-OR-NAME] -name NAME [-account NAME] [-expires DATE-OR-DURATION]
  sinergi token list
  sinergi token revoke TOKEN-ID

Roles: admin (everything), operator (read and write within -org's subtree),
auditor (read everything, write nothing), partner (its own gifts, -partner).
The token is printed once; Sinergi keeps only its hash.
`

// cliScope is the scope of the person at the command line, who acts as
// the system on the machine itself; the audit trail names them.
func cliScope() auth.Scope {
	name := "cli"
	if u, err := user.Current(); err == nil {
		name = "cli:" + u.Username
	}
	return auth.System(name)
}

func tokens(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, tokenUsage)
		return flag.ErrHelp
	}
	fs := flag.NewFlagSet("sinergi token "+args[0], flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	var in struct{ role, org, partner, name, account, expires string }
	if args[0] == "create" {
		fs.StringVar(&in.role, "role", "", "admin, operator, auditor or partner")
		fs.StringVar(&in.org, "org", "", "operator: the code of its organization, e.g. BALI-BADUNG")
		fs.StringVar(&in.partner, "partner", "", "partner: the id or exact name of its partner")
		fs.StringVar(&in.name, "name", "", "the token's name, e.g. the device or the person's laptop")
		fs.StringVar(&in.account, "account", "", "the account the token belongs to; default: the token's name")
		fs.StringVar(&in.expires, "expires", "", "expiry: a date (2027-01-31) or a duration from now (720h); default: never")
	}
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	sc := cliScope()
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	store := token.NewStore(db)
	switch args[0] {
	case "create":
		req, err := newTokenRequest(ctx, db, in.role, in.org, in.partner, in.name, in.account, in.expires)
		if err != nil {
			return err
		}
		secret, tok, err := store.CreateToken(ctx, sc, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "Token %q of account %q (%s):\n%s\n", tok.Name, tok.AccountName, tok.Role, secret)
		fmt.Fprintln(stdout, "Keep it now: Sinergi stores only its hash. Send it as the header  Authorization: Bearer <token>")
	case "list":
		list, err := store.Tokens(ctx, sc)
		if err != nil {
			return err
		}
		w := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "ID\tACCOUNT\tROLE\tSCOPE\tNAME\tCREATED\tEXPIRES\tLAST USED\tREVOKED")
		for _, t := range list {
			scope := "-"
			if t.OrganizationCode != nil {
				scope = *t.OrganizationCode
			} else if t.PartnerName != nil {
				scope = *t.PartnerName
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", t.ID, t.AccountName, t.Role, scope, t.Name,
				day(&t.CreatedAt), day(t.ExpiresAt), day(t.LastUsedAt), day(t.RevokedAt))
		}
		w.Flush()
	case "revoke":
		if fs.NArg() != 1 {
			return errors.New("give the id of the token to revoke (see sinergi token list)")
		}
		tok, err := store.Revoke(ctx, sc, fs.Arg(0))
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "revoked token %q of account %q\n", tok.Name, tok.AccountName)
	default:
		fmt.Fprint(stderr, tokenUsage)
		return fmt.Errorf("unknown token command %q", args[0])
	}
	return nil
}

func day(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// newTokenRequest turns command-line words into a token request, finding
// the organization by code and the partner by id or name.
func newTokenRequest(ctx context.Context, db *sqlx.DB, role, org, partnerRef, name, account, expires string) (token.NewToken, error) {
	req := token.NewToken{Role: auth.Role(strings.ToUpper(role)), Name: name, Account: account}
	if req.Account == "" {
		req.Account = name
	}
	if org != "" {
		o, err := organization.NewStore(db).ByCode(ctx, cliScope(), org)
		if errors.Is(err, fault.ErrNotFound) {
			return req, fmt.Errorf("-org %q: no organization has this code", org)
		}
		if err != nil {
			return req, err
		}
		req.OrganizationID = &o.ID
	}
	if partnerRef != "" {
		p, err := partner.NewStore(db).Find(ctx, cliScope(), partnerRef)
		if errors.Is(err, fault.ErrNotFound) {
			return req, fmt.Errorf("-partner %q: no partner has this id or name", partnerRef)
		}
		if err != nil {
			return req, err
		}
		req.PartnerID = &p.ID
	}
	if expires != "" {
		at, err := time.Parse(time.DateOnly, expires)
		if err != nil {
			d, derr := time.ParseDuration(expires)
			if derr != nil {
				return req, fmt.Errorf("-expires %q: give a date (2027-01-31) or a duration (720h)", expires)
			}
			at = time.Now().Add(d)
		}
		req.ExpiresAt = &at
	}
	return req, nil
}

// demoTokens makes a fresh admin token and a partner token for the first
// demo CSR company, so a newcomer can try both at once.
func demoTokens(ctx context.Context, db *sqlx.DB, stdout io.Writer) error {
	sc := cliScope()
	store := token.NewStore(db)
	stamp := time.Now().UTC().Format("20060102-150405.000000") // unique even for restarts within a second
	expires := time.Now().Add(30 * 24 * time.Hour)
	admin, _, err := store.CreateToken(ctx, sc, token.NewToken{Account: "demo-admin", Role: auth.Admin, Name: "serve-" + stamp, ExpiresAt: &expires})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo admin token (expires in 30 days):\n  %s\n", admin)
	p, err := partner.NewStore(db).Find(ctx, cliScope(), "PT Samudra Dewata Energi")
	if errors.Is(err, fault.ErrNotFound) {
		return nil // not the demo data: no demo partner to speak for
	}
	if err != nil {
		return err
	}
	secret, _, err := store.CreateToken(ctx, sc, token.NewToken{Account: "demo-partner", Role: auth.Partner, PartnerID: &p.ID,
		Name: "serve-" + stamp, ExpiresAt: &expires})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "Demo partner token for %s (sees only its own gifts):\n  %s\n", p.Name, secret)
	fmt.Fprintln(stdout, `In GraphiQL, open "Headers" and paste: {"Authorization": "Bearer <token>"}`)
	return nil
}
