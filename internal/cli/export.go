package cli

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/export"
)

const exportUsage = `Usage:
  sinergi export audit-log -o FILE.xlsx [-from DATE] [-to DATE] [-entity NAME] [-actor TEXT] [-lang id|en]

Writes the same workbook as GET /exports/audit-log.xlsx.
`

func exports(ctx context.Context, args []string, log *slog.Logger, stderr io.Writer) error {
	if len(args) == 0 || args[0] != "audit-log" {
		fmt.Fprint(stderr, exportUsage)
		if len(args) == 0 || args[0] == "-h" || args[0] == "--help" {
			return flag.ErrHelp
		}
		return fmt.Errorf("unknown export %q", args[0])
	}
	fs := flag.NewFlagSet("sinergi export audit-log", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	out := fs.String("o", "", "the file to write")
	from := fs.String("from", "", "first day (YYYY-MM-DD, UTC)")
	to := fs.String("to", "", "last day (YYYY-MM-DD, UTC)")
	entity := fs.String("entity", "", "only this kind of record, e.g. donation")
	actor := fs.String("actor", "", "only actors whose name contains this")
	lang := fs.String("lang", "id", "labels: id (Indonesian) or en (English)")
	if err := parse(fs, args[1:]); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("give the file to write with -o")
	}
	language, err := export.ParseLanguage(*lang)
	if err != nil {
		return err
	}
	var f audit.Filter
	if *from != "" {
		d, err := calendar.Parse(*from)
		if err != nil {
			return fmt.Errorf("-from: %w", err)
		}
		t := d.Time()
		f.From = &t
	}
	if *to != "" {
		d, err := calendar.Parse(*to)
		if err != nil {
			return fmt.Errorf("-to: %w", err)
		}
		t := d.Time().Add(24*time.Hour - time.Nanosecond)
		f.To = &t
	}
	if *entity != "" {
		f.Entity = entity
	}
	if *actor != "" {
		f.Actor = actor
	}
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	// Built in memory first: a failure leaves no half-written file.
	var buf bytes.Buffer
	if err := export.AuditLog(ctx, audit.NewStore(db), f, language, time.Now(), &buf); err != nil {
		return err
	}
	if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", *out, err)
	}
	log.Info("workbook written", "file", *out, "bytes", buf.Len())
	return nil
}
