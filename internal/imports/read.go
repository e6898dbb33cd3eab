package imports

import (
	"archive/zip"
	"bytes"
	"fmt"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
)

// Limits bound what an uploaded workbook may make the server do. A
// workbook is a zip of XML: a few hundred kilobytes can unpack into
// gigabytes, so every size is checked before anything is unpacked.
type Limits struct {
	Unzipped int64 // all parts together, unpacked
	Parts    int   // files inside the zip
	Sheets   int
	Rows     int // rows read over all data sheets, empty ones included
}

// DefaultLimits fit 200,000 rows of any kind with room to spare.
var DefaultLimits = Limits{Unzipped: 256 << 20, Parts: 1000, Sheets: 32, Rows: 200_000}

// Refused is a workbook refused as a whole, before any row is read.
type Refused struct{ Reason string }

func (e *Refused) Error() string { return "workbook refused: " + e.Reason }

// checkArchive refuses a file that is not a workbook or unpacks beyond
// the limits. The sizes are those the zip declares; Go's zip reader fails
// a part that unpacks to more than it declared, so they cannot lie.
func checkArchive(file []byte, l Limits) error {
	zr, err := zip.NewReader(bytes.NewReader(file), int64(len(file)))
	if err != nil {
		return &Refused{"not an .xlsx workbook (it is not a zip archive)"}
	}
	if len(zr.File) > l.Parts {
		return &Refused{fmt.Sprintf("it holds %d parts, more than the %d a workbook needs", len(zr.File), l.Parts)}
	}
	var total uint64
	var sheets, workbook int
	for _, f := range zr.File {
		total += min(f.UncompressedSize64, uint64(l.Unzipped)+1) // no overflow from made-up sizes
		name := strings.ToLower(f.Name)
		if strings.HasPrefix(name, "xl/worksheets/sheet") {
			sheets++
		}
		if name == "xl/workbook.xml" {
			workbook++
		}
	}
	if workbook == 0 {
		return &Refused{"not an .xlsx workbook (no xl/workbook.xml inside)"}
	}
	if total > uint64(l.Unzipped) {
		return &Refused{fmt.Sprintf("it unpacks to more than the %d MB accepted", l.Unzipped>>20)}
	}
	if sheets > l.Sheets {
		return &Refused{fmt.Sprintf("it has %d sheets, more than the %d accepted", sheets, l.Sheets)}
	}
	// The spreadsheet library stops quietly where a part unpacks to more
	// than it declared, which would drop rows without a word: every part
	// is unpacked once here, within the sizes checked above, and one whose
	// size or checksum is wrong refuses the file.
	for _, f := range zr.File {
		r, err := f.Open()
		if err == nil {
			_, err = io.Copy(io.Discard, r)
			r.Close()
		}
		if err != nil {
			return &Refused{fmt.Sprintf("the workbook cannot be read: its part %s is damaged (%v)", f.Name, err)}
		}
	}
	return nil
}

// open opens a checked workbook with excelize's own limits set to the
// same bounds, reading cells as stored: a formula's cached value, never
// evaluated, and numbers without their display format.
func open(file []byte, l Limits) (*excelize.File, error) {
	if err := checkArchive(file, l); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(file), excelize.Options{
		UnzipSizeLimit: l.Unzipped, UnzipXMLSizeLimit: min(l.Unzipped, 16<<20), RawCellValue: true})
	if err != nil {
		return nil, &Refused{"the workbook cannot be read: " + err.Error()}
	}
	return f, nil
}

// readFile reads the data rows of a workbook. A file that makes the
// spreadsheet library panic is refused like any unreadable file.
func readFile(file []byte, columns []column, l Limits) (layouts []sheetLayout, rows []row, err error) {
	defer func() {
		if p := recover(); p != nil {
			layouts, rows, err = nil, nil, &Refused{fmt.Sprintf("the workbook cannot be read (%v)", p)}
		}
	}()
	f, err := open(file, l)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	return readRows(f, columns, l)
}

// row is one data row of a sheet: its number as Excel shows it and its
// cells by column key.
type row struct {
	sheet string
	n     int
	cells map[string]string
}

// cell is where a column of a row sits: "E7".
func (r row) cell(col int) string {
	name, _ := excelize.CoordinatesToCellName(col, r.n)
	return name
}

// column is one column an import reads, found by its header in either
// language, as the template or the exported ledger writes it.
type column struct {
	key      string
	headers  []string // lower case
	required bool     // the sheet must have it
	kind     cellKind
}

// cellKind is what a column holds, for comparing a row with the
// template's example.
type cellKind int

const (
	text cellKind = iota
	date
	number
)

// normalHeader is a header as compared: lower case, single spaces.
func normalHeader(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(s)), " ")
}

// sheetLayout is where a sheet's columns are: key → 1-based column.
type sheetLayout struct {
	sheet   string
	cols    map[string]int
	headers map[string]string // key → the header as the file has it
}

// readRows reads every data sheet of f: a sheet is one when its first row
// has the headers of the required columns (the template's help sheet and
// hidden choices are not). Rows whose cells are all empty are left out.
func readRows(f *excelize.File, columns []column, l Limits) ([]sheetLayout, []row, error) {
	var layouts []sheetLayout
	var rows []row
	var missing []string
	read := 0
	for _, sheet := range f.GetSheetList() {
		it, err := f.Rows(sheet)
		if err != nil {
			return nil, nil, &Refused{"sheet " + sheet + " cannot be read: " + err.Error()}
		}
		layout, ok, miss, err := readSheet(it, sheet, columns, l, &read, &rows)
		it.Close()
		if err != nil {
			return nil, nil, err
		}
		if ok {
			layouts = append(layouts, layout)
		} else if len(miss) > 0 && len(miss) < len(requiredOf(columns)) && missing == nil {
			missing = miss
		}
	}
	if len(layouts) == 0 {
		msg := "no sheet has this import's headers in its first row (" + strings.Join(requiredHeaders(columns), ", ") + "); start from the template"
		if missing != nil {
			msg = "the sheet lacks the columns " + strings.Join(missing, ", ")
		}
		return nil, nil, &Refused{msg}
	}
	return layouts, rows, nil
}

func requiredOf(columns []column) []column {
	var out []column
	for _, c := range columns {
		if c.required {
			out = append(out, c)
		}
	}
	return out
}

func requiredHeaders(columns []column) []string {
	var out []string
	for _, c := range requiredOf(columns) {
		out = append(out, c.headers[0])
	}
	return out
}

func readSheet(it *excelize.Rows, sheet string, columns []column, l Limits, read *int, rows *[]row) (sheetLayout, bool, []string, error) {
	layout := sheetLayout{sheet: sheet, cols: map[string]int{}, headers: map[string]string{}}
	n := 0
	for it.Next() {
		n++
		*read++
		if *read > l.Rows {
			return layout, false, nil, &Refused{fmt.Sprintf("it has more than %d rows (empty rows count too: delete those below the data)", l.Rows)}
		}
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return layout, false, nil, &Refused{fmt.Sprintf("sheet %s row %d cannot be read: %v", sheet, n, err)}
		}
		if n == 1 {
			for i, h := range cells {
				for _, c := range columns {
					if _, seen := layout.cols[c.key]; !seen && containsString(c.headers, normalHeader(h)) {
						layout.cols[c.key] = i + 1
						layout.headers[c.key] = strings.TrimSpace(h)
					}
				}
			}
			var miss []string
			for _, c := range requiredOf(columns) {
				if _, ok := layout.cols[c.key]; !ok {
					miss = append(miss, c.headers[0])
				}
			}
			if len(miss) > 0 {
				return layout, false, miss, nil // not a data sheet: a help sheet, say
			}
			continue
		}
		r := row{sheet: sheet, n: n, cells: map[string]string{}}
		empty := true
		for key, col := range layout.cols {
			if col <= len(cells) {
				v := strings.TrimSpace(cells[col-1])
				if v != "" {
					r.cells[key] = v
					empty = false
				}
			}
		}
		if !empty {
			*rows = append(*rows, r)
		}
	}
	if err := it.Error(); err != nil {
		return layout, false, nil, &Refused{fmt.Sprintf("sheet %s cannot be read: %v", sheet, err)}
	}
	return layout, n > 0, nil, nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// parseDate reads a business date as a spreadsheet holds it: a date cell
// (a serial number), or text as 31/12/2014, 31-12-2014 or 2014-12-31.
func parseDate(v *fault.InvalidInput, path, s string) calendar.Date {
	if serial, err := strconv.ParseFloat(s, 64); err == nil {
		if serial < 1 || serial > 2958465 || serial != math.Trunc(serial) {
			v.Add(path, fault.Invalid, "is not a date")
			return calendar.Date{}
		}
		t, err := excelize.ExcelDateToTime(serial, false)
		if err != nil {
			v.Add(path, fault.Invalid, "is not a date")
			return calendar.Date{}
		}
		return calendar.New(t.Year(), t.Month(), t.Day())
	}
	for _, layout := range []string{"02/01/2006", "2/1/2006", "02-01-2006", "2-1-2006", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return calendar.New(t.Year(), t.Month(), t.Day())
		}
	}
	v.Add(path, fault.Invalid, "is not a date: write it as day/month/year, e.g. 03/03/2014")
	return calendar.Date{}
}

// parseInteger reads a whole number as a cell holds it (1500000, 1.5E6)
// or as a person types it in Indonesian (Rp 1.500.000, 1.500.000,00).
func parseInteger(v *fault.InvalidInput, path, s string) (int64, bool) {
	t := strings.NewReplacer(" ", "", "\u00a0", "").Replace(s)
	if len(t) >= 2 && strings.EqualFold(t[:2], "rp") {
		t = t[2:]
	}
	if m := grouped.FindStringSubmatch(t); m != nil {
		if strings.Trim(m[2], "0") != "" {
			v.Add(path, fault.Invalid, "must be whole rupiah, without cents")
			return 0, false
		}
		t = strings.ReplaceAll(m[1], ".", "")
	}
	f, err := strconv.ParseFloat(t, 64)
	if err != nil {
		v.Add(path, fault.Invalid, "is not a number")
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1e15 {
		v.Add(path, fault.Invalid, "must be a whole number")
		return 0, false
	}
	return int64(f), true
}

// grouped is a number written with dots between thousands and, perhaps,
// a decimal comma: 1.500.000 or 1.500.000,00.
var grouped = regexp.MustCompile(`^(-?\d{1,3}(?:\.\d{3})+)(?:,(\d+))?$`)

// parseRupiah is parseInteger for an amount of money.
func parseRupiah(v *fault.InvalidInput, path, s string) (money.Rupiah, bool) {
	n, ok := parseInteger(v, path, s)
	return money.Rupiah(n), ok
}
