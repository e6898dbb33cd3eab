// Package xlsx builds the workbooks auditors and the Raker use: typed cells
// (money as rupiah numbers, dates as dates), frozen headers with filters,
// sized columns, and text from users always written as text, never as a
// formula. Ledgers stream row by row in bounded memory.
package xlsx

import (
	"archive/zip"
	"bufio"
	"compress/flate"
	"context"
	"fmt"
	"io"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/money"
)

// Kind is how a column's cells are written.
type Kind int

// The kinds of column.
const (
	Text    Kind = iota // written as a string cell, whatever it looks like
	Integer             // a whole number
	Money               // rupiah, as a number with the Rp format
	Ordinal             // a whole number that names rather than counts (an opening's number): not totalled
	Date                // a business date
	Instant             // a point in time (UTC)
)

// The number formats carry the Indonesian locale ([$-421]), so that a
// spreadsheet program groups digits as Indonesians write them (Rp 65.650.000)
// whatever its reader's own settings; without it LibreOffice in an English
// locale printed Rp 65,650,000.
const (
	RupiahFormat  = `[$-421]"Rp "#,##0;[$-421]-"Rp "#,##0`
	IntegerFormat = `[$-421]#,##0`
)

// MaxCellText is the most characters a spreadsheet cell holds.
const MaxCellText = 32767

// Column describes one column of a ledger.
type Column struct {
	Header string
	Kind   Kind
	Width  float64 // in characters
	// Wrap keeps a book's text column at Width and wraps longer text onto
	// more lines of the row (a council's notes); ledgers ignore it.
	Wrap bool
	// UnitIn, for an Integer column counted in a unit (a quantity of aid),
	// is the index of the column that names the unit. The ledger's total
	// is then written only when every row names the same unit: 2 kg and
	// 3 paket add up to nothing an auditor can use. Zero: no unit (column
	// 0 never names one).
	UnitIn int
}

// Properties are the workbook's document properties.
type Properties struct {
	Title, Subject, Description string
	Created                     time.Time
	// English prints a book's page footer in English; Indonesian otherwise.
	English bool
}

// Ledger is a workbook written row by row. A ledger longer than a sheet
// holds continues on the next sheet ("Donasi (2)", …) under the same
// header; the totals row ends the last.
type Ledger struct {
	file     *excelize.File
	stream   *excelize.StreamWriter
	sheet    string // the first sheet's name
	sheets   int
	perSheet int // rows a sheet holds, header included
	cols     []Column
	styles   map[Kind]int
	header   int
	row      int // the last row written on the current sheet
	rows     int // data rows written on all sheets
	sums     []int64
	units    []any  // per column counted in a unit: the first row's unit
	mixed    []bool // per column counted in a unit: rows name more than one
	props    Properties
}

// NewLedger starts a workbook with one sheet and its header row: frozen,
// bold, with the columns sized. Close it when done.
func NewLedger(sheet string, props Properties, cols []Column) (*Ledger, error) {
	f := excelize.NewFile()
	l := &Ledger{file: f, sheet: sheet, cols: cols, styles: map[Kind]int{}, sums: make([]int64, len(cols)), units: make([]any, len(cols)), mixed: make([]bool, len(cols)), perSheet: excelize.TotalRows, props: props}
	if err := l.init(props); err != nil {
		f.Close()
		return nil, err
	}
	return l, nil
}

func (l *Ledger) init(props Properties) error {
	f := l.file
	if err := f.SetSheetName("Sheet1", l.sheet); err != nil {
		return fmt.Errorf("name sheet: %w", err)
	}
	if err := f.SetDocProps(&excelize.DocProperties{
		Title: props.Title, Subject: props.Subject, Description: props.Description,
		Creator: "Sinergi", Created: props.Created.UTC().Format(time.RFC3339), Language: "id-ID",
	}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	rupiah, integer := RupiahFormat, IntegerFormat
	for kind, style := range map[Kind]*excelize.Style{
		Money:   {CustomNumFmt: &rupiah},
		Date:    {CustomNumFmt: ptr("dd/mm/yyyy")}, // as Indonesians write dates
		Instant: {CustomNumFmt: ptr("yyyy-mm-dd hh:mm:ss")},
		Integer: {CustomNumFmt: &integer},
		Ordinal: {NumFmt: 1},
	} {
		id, err := f.NewStyle(style)
		if err != nil {
			return fmt.Errorf("style: %w", err)
		}
		l.styles[kind] = id
	}
	// The ledgers are set in the books' font: a header naming none fell back
	// to a serif in LibreOffice.
	if err := f.SetDefaultFont(Font); err != nil {
		return fmt.Errorf("font: %w", err)
	}
	var err error
	if l.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}); err != nil {
		return fmt.Errorf("style: %w", err)
	}
	return l.startSheet(l.sheet)
}

// startSheet starts streaming the sheet name (created unless it exists)
// with the header row.
func (l *Ledger) startSheet(name string) error {
	f := l.file
	if idx, _ := f.GetSheetIndex(name); idx < 0 {
		if _, err := f.NewSheet(name); err != nil {
			return fmt.Errorf("add sheet %q: %w", name, err)
		}
	}
	l.sheets++
	var err error
	if l.stream, err = f.NewStreamWriter(name); err != nil {
		return fmt.Errorf("stream: %w", err)
	}
	for i, c := range l.cols {
		if err := l.stream.SetColWidth(i+1, i+1, c.Width); err != nil {
			return fmt.Errorf("column width: %w", err)
		}
	}
	if err := l.stream.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return fmt.Errorf("freeze header: %w", err)
	}
	width := 0.0
	for _, c := range l.cols {
		width += c.Width
	}
	if err := printSetup(f, name, l.props, width, 1, true); err != nil {
		return fmt.Errorf("page layout of %s: %w", name, err)
	}
	header := make([]any, len(l.cols))
	for i, c := range l.cols {
		header[i] = excelize.Cell{StyleID: l.header, Value: c.Header}
	}
	l.row = 1
	return l.stream.SetRow("A1", header)
}

func ptr[T any](v T) *T { return &v }

// Add writes one row; values follow the columns. A nil value leaves its
// cell empty.
func (l *Ledger) Add(values ...any) error {
	if len(values) != len(l.cols) {
		return fmt.Errorf("row has %d values for %d columns", len(values), len(l.cols))
	}
	if l.row >= l.perSheet {
		// The sheet is full: close it (with its filter) and go on.
		if err := l.endSheet(); err != nil {
			return err
		}
		if err := l.startSheet(fmt.Sprintf("%s (%d)", l.sheet, l.sheets+1)); err != nil {
			return err
		}
	}
	row := make([]any, len(values))
	for i, v := range values {
		cell, err := l.cell(i, v)
		if err != nil {
			return fmt.Errorf("row %d, column %q: %w", l.row+1, l.cols[i].Header, err)
		}
		row[i] = cell
		if u := l.cols[i].UnitIn; u > 0 && u < len(values) {
			unit := values[u]
			if p, ok := unit.(*string); ok {
				unit = ""
				if p != nil {
					unit = *p
				}
			}
			if l.rows == 0 {
				l.units[i] = unit
			} else if l.units[i] != unit {
				l.mixed[i] = true
			}
		}
	}
	l.row++
	l.rows++
	return l.stream.SetRow(cellName(1, l.row), row)
}

func (l *Ledger) cell(i int, v any) (any, error) {
	c := l.cols[i]
	style := l.styles[c.Kind]
	switch x := v.(type) {
	case nil:
		return nil, nil
	case *string:
		if x == nil {
			return nil, nil
		}
		return l.cell(i, *x)
	case *calendar.Date:
		if x == nil {
			return nil, nil
		}
		return l.cell(i, *x)
	case *time.Time:
		if x == nil {
			return nil, nil
		}
		return l.cell(i, *x)
	case *int:
		if x == nil {
			return nil, nil
		}
		return l.cell(i, *x)
	case *money.Rupiah:
		if x == nil {
			return nil, nil
		}
		return l.cell(i, *x)
	}
	switch c.Kind {
	case Text:
		s, ok := v.(string)
		if !ok {
			s = fmt.Sprint(v)
		}
		if utf8.RuneCountInString(s) > MaxCellText {
			return nil, fmt.Errorf("text of %d characters does not fit a cell", utf8.RuneCountInString(s))
		}
		// A string value becomes an inline string cell: "=HYPERLINK(…)" or
		// "+62 811…" stays the text it is. Text needs no style, and a bare
		// value is cheaper to stream than a styled cell.
		return s, nil
	case Money:
		r, ok := v.(money.Rupiah)
		if !ok {
			return nil, fmt.Errorf("want rupiah, got %T", v)
		}
		l.sums[i] += int64(r)
		return excelize.Cell{StyleID: style, Value: int64(r)}, nil
	case Integer:
		switch n := v.(type) {
		case int:
			l.sums[i] += int64(n)
			return excelize.Cell{StyleID: style, Value: n}, nil
		case int64:
			l.sums[i] += n
			return excelize.Cell{StyleID: style, Value: n}, nil
		}
		return nil, fmt.Errorf("want a whole number, got %T", v)
	case Ordinal:
		if n, ok := v.(int); ok {
			return excelize.Cell{StyleID: style, Value: n}, nil
		}
		return nil, fmt.Errorf("want a whole number, got %T", v)
	case Date:
		d, ok := v.(calendar.Date)
		if !ok {
			return nil, fmt.Errorf("want a date, got %T", v)
		}
		return excelize.Cell{StyleID: style, Value: d.Time()}, nil
	case Instant:
		t, ok := v.(time.Time)
		if !ok {
			return nil, fmt.Errorf("want a time, got %T", v)
		}
		return excelize.Cell{StyleID: style, Value: t.UTC()}, nil
	}
	return nil, fmt.Errorf("unknown column kind %d", c.Kind)
}

// Rows returns how many data rows were added, on all sheets.
func (l *Ledger) Rows() int { return l.rows }

// Sheets returns how many sheets the ledger has used.
func (l *Ledger) Sheets() int { return l.sheets }

// filter gives the current sheet's rows an autofilter (an Excel table).
func (l *Ledger) filter() error {
	if l.row <= 1 {
		return nil
	}
	name := "Data"
	if l.sheets > 1 {
		name = fmt.Sprintf("Data%d", l.sheets)
	}
	if err := l.stream.AddTable(&excelize.Table{Range: "A1:" + cellName(len(l.cols), l.row), Name: name,
		StyleName: "TableStyleLight1", ShowRowStripes: ptr(true)}); err != nil {
		return fmt.Errorf("filter: %w", err)
	}
	return nil
}

// endSheet closes a full sheet, which has no totals row: the last sheet
// carries the totals of them all.
func (l *Ledger) endSheet() error {
	if err := l.filter(); err != nil {
		return err
	}
	return l.stream.Flush()
}

// Finish ends the last sheet: its data gets an autofilter, and a totals row
// labelled label sums the money and number columns over every sheet. A
// sheet filled to its last row gets its totals on a sheet of their own.
func (l *Ledger) Finish(label string) error {
	if l.row >= l.perSheet {
		if err := l.endSheet(); err != nil {
			return err
		}
		if err := l.startSheet(fmt.Sprintf("%s (%d)", l.sheet, l.sheets+1)); err != nil {
			return err
		}
	}
	last := l.row
	if err := l.filter(); err != nil {
		return err
	}
	totals := make([]any, len(l.cols))
	totals[0] = excelize.Cell{StyleID: l.header, Value: label}
	for i, c := range l.cols {
		if i > 0 && (c.Kind == Money || c.Kind == Integer) && !l.mixed[i] {
			totals[i] = excelize.Cell{StyleID: l.styles[c.Kind], Value: l.sums[i]}
		}
	}
	if err := l.stream.SetRow(cellName(1, last+1), totals); err != nil {
		return err
	}
	return l.stream.Flush()
}

// WriteTo writes the finished workbook. excelize's own WriteTo assembles the
// whole zip in memory first (tens of MB for a large ledger); its zip-writer
// hook lets the archive go straight to w instead, so memory stays flat. The
// sheet is compressed at deflate's fastest level: a ledger of a million
// rows is mostly repetitive XML, and time matters more than a few percent
// of file size.
func (l *Ledger) WriteTo(w io.Writer) (int64, error) {
	cw := &countingWriter{w: w}
	bw := bufio.NewWriterSize(cw, 64<<10)
	l.file.SetZipWriter(func(io.Writer) excelize.ZipWriter {
		zw := zip.NewWriter(bw)
		zw.RegisterCompressor(zip.Deflate, func(out io.Writer) (io.WriteCloser, error) {
			return flate.NewWriter(out, flate.BestSpeed)
		})
		return zw
	})
	if _, err := l.file.WriteTo(io.Discard); err != nil { // the buffer excelize fills stays empty
		return cw.n, err
	}
	if err := bw.Flush(); err != nil {
		return cw.n, err
	}
	return cw.n, nil
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Close removes the temporary files streaming used.
func (l *Ledger) Close() error { return l.file.Close() }

func cellName(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// fillBatch is how many rows the producer hands over at a time.
const fillBatch = 512

// Fill adds the rows that produce emits. produce runs in its own goroutine,
// so reading rows (from PostgreSQL) and writing them overlap; at most a few
// batches wait between the two, so memory stays bounded.
func (l *Ledger) Fill(ctx context.Context, produce func(emit func(values ...any) error) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan [][]any, 4)
	produced := make(chan error, 1)
	go func() {
		defer close(batches)
		send := func(batch [][]any) error {
			select {
			case batches <- batch:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		var batch [][]any
		err := produce(func(values ...any) error {
			batch = append(batch, values)
			if len(batch) < fillBatch {
				return nil
			}
			err := send(batch)
			batch = make([][]any, 0, fillBatch)
			return err
		})
		if err == nil && len(batch) > 0 {
			err = send(batch)
		}
		produced <- err
	}()
	for batch := range batches {
		for _, row := range batch {
			if err := l.Add(row...); err != nil {
				cancel()
				for range batches { // let the producer see the cancel and stop
				}
				<-produced
				return err
			}
		}
	}
	return <-produced
}
