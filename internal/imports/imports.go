// Package imports brings a council's existing records in from its own
// spreadsheets: the import templates filled in, or ledgers exported by
// Sinergi. Every row goes through the same write as GraphQL, all rows in
// one transaction: a dry run rolls it back and reports, a real import
// commits only when no row is refused. Each row's natural key makes a
// second import of the same or an edited file create only the new rows.
package imports

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/change"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/export"
	"github.com/sinergi-id/sinergi/internal/fault"
)

// Kinds are the records that can be imported, as the templates name them.
var Kinds = export.TemplateKinds

// Options are how one import runs.
type Options struct {
	DryRun   bool
	FileName string // as uploaded, for the audit trail
	Limits   Limits
	// Progress, when set, is told every so often how many rows are done.
	Progress func(done, total int)
}

// Problem is one refused cell (or row, when Column is empty).
type Problem struct {
	Sheet   string `json:"sheet"`
	Row     int    `json:"row"`
	Column  string `json:"column,omitempty"` // the header as the file has it
	Cell    string `json:"cell,omitempty"`   // e.g. "E7"
	Reason  string `json:"reason"`           // fault's reasons, or CONFLICT
	Message string `json:"message"`
}

// Conflict is the reason of a row whose natural key names a record already
// there with other content: correct that record by reversal, never here.
const Conflict = "CONFLICT"

// Skip is a row that is already there, or the template's example.
type Skip struct {
	Sheet  string `json:"sheet"`
	Row    int    `json:"row"`
	Reason string `json:"reason"`
}

// Result is what an import did or, in a dry run, would do.
type Result struct {
	ImportID   string    `json:"importId,omitempty"` // set once committed
	Kind       string    `json:"kind"`
	DryRun     bool      `json:"dryRun"`
	Committed  bool      `json:"committed"`
	FileSHA256 string    `json:"fileSha256"`
	Rows       int       `json:"rows"`    // data rows read
	Created    int       `json:"created"` // records written (or that would be)
	Skipped    []Skip    `json:"skipped"`
	Errors     []Problem `json:"errors"`
}

// Stores are what an import reads besides its transaction: the template's
// lists, to recognise the example row left in.
type Stores = export.TemplateStores

// Run imports file as records of kind for the caller. A workbook refused
// as a whole is a *Refused error; refused rows are in the result's Errors
// and nothing is written.
func Run(ctx context.Context, db *sqlx.DB, sc auth.Scope, st Stores, kind string, file []byte, opt Options) (Result, error) {
	res := Result{Kind: kind, DryRun: opt.DryRun, FileSHA256: sha256Hex(file), Skipped: []Skip{}, Errors: []Problem{}}
	if err := sc.CanWrite(); err != nil {
		return res, err
	}
	spec, ok := specs[kind]
	if !ok {
		return res, fault.Refuse("kind", fault.Invalid, "must be one of "+strings.Join(Kinds, ", "))
	}
	if opt.Limits == (Limits{}) {
		opt.Limits = DefaultLimits
	}
	layouts, rows, err := readFile(file, spec.columns, opt.Limits)
	if err != nil {
		return res, err
	}
	res.Rows = len(rows)
	if opt.Progress != nil {
		opt.Progress(0, len(rows))
	}
	examples, err := exampleRows(ctx, sc, st, kind)
	if err != nil {
		return res, err
	}
	r := &run{ctx: ctx, sc: sc, kind: kind, layouts: layouts, res: &res, keys: map[string]string{}, prior: map[string]priorRow{}}
	err = change.RunImport(ctx, db, sc, func(im *change.Import) (bool, error) {
		r.im = im
		if err := donation.DeferMonths(ctx, im); err != nil {
			return false, err
		}
		h := spec.handler(r)
		if err := r.loadPrior(h.keys(rows)); err != nil {
			return false, err
		}
		for i, row := range rows {
			if err := ctx.Err(); err != nil {
				return false, err
			}
			if isExample(row, spec.columns, examples) {
				res.Skipped = append(res.Skipped, Skip{row.sheet, row.n, "the template's example row: change it or delete it to import it"})
			} else if err := h.row(row); err != nil {
				return false, fmt.Errorf("%s row %d: %w", row.sheet, row.n, err)
			}
			if opt.Progress != nil && (i+1)%1000 == 0 {
				opt.Progress(i+1, len(rows))
			}
		}
		if err := h.finish(); err != nil {
			return false, err
		}
		if opt.Progress != nil {
			opt.Progress(len(rows), len(rows))
		}
		if len(res.Errors) > 0 || opt.DryRun {
			return false, nil
		}
		if err := r.record(opt.FileName); err != nil {
			return false, err
		}
		res.Committed = true
		return true, nil
	})
	if err != nil {
		res.Committed, res.ImportID = false, "" // a failed commit kept nothing
		return res, fmt.Errorf("import %s: %w", kind, err)
	}
	slices.SortStableFunc(res.Errors, func(a, b Problem) int {
		return strings.Compare(a.Sheet, b.Sheet)*1_000_000 + (a.Row - b.Row)
	})
	return res, nil
}

// spec is what one kind of import reads and how it writes a row.
type spec struct {
	columns []column
	handler func(r *run) handler
}

// handler writes the rows of one kind.
type handler interface {
	keys(rows []row) []string // the natural keys the file may already have imported
	row(r row) error          // writes r or records why not; an error stops the import
	finish() error            // after every row: what waits for others (reversals)
}

var specs = map[string]spec{}

// run is one import in progress.
type run struct {
	ctx     context.Context
	sc      auth.Scope
	im      *change.Import
	kind    string
	layouts []sheetLayout
	res     *Result
	keys    map[string]string // natural key → record id, written in this run
	prior   map[string]priorRow
	written []writtenRow
}

// priorRow is a row an earlier import wrote.
type priorRow struct {
	Key      string `db:"natural_key"`
	Content  string `db:"content_sha256"`
	RecordID string `db:"record_id"`
}

type writtenRow struct{ key, content, record string }

func (r *run) loadPrior(keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	var rows []priorRow
	if err := r.im.SelectContext(r.ctx, &rows, `SELECT natural_key, content_sha256, record_id::text AS record_id
		FROM import_rows WHERE kind = $1 AND natural_key = ANY($2)`, r.kind, pq.Array(keys)); err != nil {
		return fmt.Errorf("read earlier imports' rows: %w", err)
	}
	for _, p := range rows {
		r.prior[p.Key] = p
	}
	return nil
}

// seen says what is known of a natural key: in this file already, or from
// an earlier import (with its content's hash).
func (r *run) seen(key string) (record string, prior *priorRow) {
	if id, ok := r.keys[key]; ok {
		return id, nil
	}
	if p, ok := r.prior[key]; ok {
		return p.RecordID, &p
	}
	return "", nil
}

// wrote notes that the row with key and content became record.
func (r *run) wrote(key, content, record string) {
	r.keys[key] = record
	r.written = append(r.written, writtenRow{key, content, record})
	r.res.Created++
}

func (r *run) skip(row row, reason string) {
	r.res.Skipped = append(r.res.Skipped, Skip{row.sheet, row.n, reason})
}

// refuse records a problem at the column with key (none for the row).
func (r *run) refuse(row row, key, reason, message string) {
	p := Problem{Sheet: row.sheet, Row: row.n, Reason: reason, Message: message}
	for _, l := range r.layouts {
		if l.sheet != row.sheet {
			continue
		}
		if col, ok := l.cols[key]; ok {
			p.Column, p.Cell = l.headers[key], row.cell(col)
		}
	}
	r.res.Errors = append(r.res.Errors, p)
}

// refused records err's refused fields against their columns, paths says
// which column an input path is (the longest matching prefix wins), and
// reports whether err was about the input at all.
func (r *run) refused(row row, err error, paths map[string]string) bool {
	var in *fault.InvalidInput
	if !errors.As(err, &in) {
		return false
	}
	for _, f := range in.Fields {
		key, best := "", -1
		for prefix, k := range paths {
			if strings.HasPrefix(f.Path, prefix) && len(prefix) > best {
				key, best = k, len(prefix)
			}
		}
		r.refuse(row, key, f.Reason, f.Message)
	}
	return true
}

// record writes the import itself: its rows' natural keys and one audit
// entry with the file's hash.
func (r *run) record(fileName string) error {
	var id string
	if err := r.im.GetContext(r.ctx, &id, `
		INSERT INTO imports (kind, file_name, file_sha256, rows, created, skipped, imported_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
		r.kind, cut(fileName, 255), r.res.FileSHA256, r.res.Rows, r.res.Created, len(r.res.Skipped), r.sc.Principal().Name()); err != nil {
		return fmt.Errorf("record import: %w", err)
	}
	keys, contents, records := make([]string, len(r.written)), make([]string, len(r.written)), make([]string, len(r.written))
	for i, w := range r.written {
		keys[i], contents[i], records[i] = w.key, w.content, w.record
	}
	if _, err := r.im.ExecContext(r.ctx, `
		INSERT INTO import_rows (kind, natural_key, content_sha256, record_id, import_id)
		SELECT $1, k, c, rec::uuid, $5 FROM unnest($2::text[], $3::text[], $4::text[]) AS t(k, c, rec)`,
		r.kind, pq.Array(keys), pq.Array(contents), pq.Array(records), id); err != nil {
		return fmt.Errorf("record the import's rows: %w", err)
	}
	r.res.ImportID = id
	return audit.Record(r.ctx, r.im.Tx, r.sc.Principal().Name(), "import", "import", id, nil, struct {
		Kind       string    `json:"kind"`
		FileName   string    `json:"fileName"`
		FileSHA256 string    `json:"fileSha256"`
		Rows       int       `json:"rows"`
		Created    int       `json:"created"`
		Skipped    int       `json:"skipped"`
		At         time.Time `json:"at"`
	}{r.kind, fileName, r.res.FileSHA256, r.res.Rows, r.res.Created, len(r.res.Skipped), time.Now().UTC()})
}

func cut(s string, n int) string {
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// contentHash is the hash of a row's meaning: the values it records, in
// order, as the write would store them.
func contentHash(values ...any) string {
	h := sha256.New()
	for _, v := range values {
		fmt.Fprintf(h, "%v\x1f", v)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
