package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/imports"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
)

const importUsage = `Usage: sinergi import KIND FILE.xlsx [--dry-run] [--errors-to FILE.xlsx] [database flags]

KIND is one of: ` + "donations, box-collections, aid-outputs, programme-targets" + `.
FILE is a filled import template (sinergi template KIND) or a ledger
exported by Sinergi. Every row goes through the same checks as GraphQL, all
in one transaction: with --dry-run nothing is written and the report says
what would be created, what is already there and every refused cell; without
it the file is imported only when no row is refused. --errors-to writes the
file back with the refused cells red and an error column.
`

// importFile is sinergi import KIND FILE.
func importFile(ctx context.Context, args []string, log *slog.Logger, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stderr, importUsage)
		return flag.ErrHelp
	}
	kind := args[0]
	if !slices.Contains(imports.Kinds, kind) {
		fmt.Fprint(stderr, importUsage)
		return fmt.Errorf("unknown import %q", kind)
	}
	fs := flag.NewFlagSet("sinergi import "+kind, flag.ContinueOnError)
	fs.SetOutput(stderr)
	var dbc dbConfig
	dbc.register(fs)
	dryRun := fs.Bool("dry-run", false, "check and report; write nothing")
	errorsTo := fs.String("errors-to", "", "write the file back here with its refused cells marked")
	var files []string
	rest := args[1:]
	for {
		if err := parse(fs, rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0)) // flags may follow the file
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprint(stderr, importUsage)
		return errors.New("give exactly one workbook to import")
	}
	file, err := readLimited(files[0], 256<<20)
	if err != nil {
		return err
	}
	db, closeDB, err := dbc.open(ctx, log)
	if err != nil {
		return err
	}
	defer closeDB()
	st := imports.Stores{Organizations: organization.NewStore(db), Partners: partner.NewStore(db), Aid: aid.NewStore(db), Boxes: box.NewStore(db)}
	res, err := imports.Run(ctx, db, cliScope(), st, kind, file, imports.Options{DryRun: *dryRun, FileName: filepath.Base(files[0]),
		Progress: func(done, total int) { fmt.Fprintf(stderr, "\rrows %d/%d", done, total) }})
	if res.Rows > 0 {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return err
	}
	report(stdout, res)
	if *errorsTo != "" {
		out, err := os.Create(*errorsTo)
		if err != nil {
			return err
		}
		err = imports.Annotate(file, res, imports.Limits{}, out)
		if cerr := out.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fmt.Errorf("write %s: %w", *errorsTo, err)
		}
	}
	if len(res.Errors) > 0 {
		return fmt.Errorf("%d refused cells: nothing was written", len(res.Errors))
	}
	return nil
}

// report prints what an import did for a person.
func report(w io.Writer, res imports.Result) {
	what := "imported"
	switch {
	case res.DryRun:
		what = "dry run, nothing written"
	case !res.Committed:
		what = "refused, nothing written"
	}
	fmt.Fprintf(w, "%s (%s): %d rows, %d created, %d skipped, %d errors; file sha256 %s\n",
		res.Kind, what, res.Rows, res.Created, len(res.Skipped), len(res.Errors), res.FileSHA256)
	if res.ImportID != "" {
		fmt.Fprintln(w, "import", res.ImportID)
	}
	// A re-import of a large file skips every row: a few say why.
	const shown = 20
	for i, s := range res.Skipped {
		if i == shown {
			fmt.Fprintf(w, "skipped  … and %d more rows\n", len(res.Skipped)-shown)
			break
		}
		fmt.Fprintf(w, "skipped  %s row %d: %s\n", s.Sheet, s.Row, s.Reason)
	}
	for _, p := range res.Errors {
		where := fmt.Sprintf("%s row %d", p.Sheet, p.Row)
		if p.Cell != "" {
			where = fmt.Sprintf("%s!%s (%s)", p.Sheet, p.Cell, p.Column)
		}
		fmt.Fprintf(w, "error    %s: %s [%s]\n", where, strings.TrimSpace(p.Message), p.Reason)
	}
}

// readLimited reads a file of at most limit bytes.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is larger than %d MB", path, limit>>20)
	}
	return b, nil
}
