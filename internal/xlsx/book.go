package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/money"
)

// Book is a workbook of small sheets, printed for a meeting: each sheet has
// a bold header row that is frozen and repeated on every printed page, and
// prints landscape, one page wide.
type Book struct {
	all     []*Sheet
	file    *excelize.File
	styles  map[Kind]int
	percent int
	year    int
	props   Properties
	header  int
	bold    int
	sheets  int
}

// Year is a calendar year, written as a plain number (2014, not 2,014).
type Year int

// Font is the one font a book is set in: Arial, which LibreOffice renders
// with the metric-compatible Liberation Sans.
const Font = "Arial"

// Percent is a share (0.95 is 95%), written as a number with a percent
// format; shares are computed here, at presentation, never stored.
type Percent float64

// NewBook starts a workbook.
func NewBook(props Properties) (*Book, error) {
	b := &Book{file: excelize.NewFile(), styles: map[Kind]int{}, props: props}
	if err := b.init(props); err != nil {
		b.file.Close()
		return nil, err
	}
	return b, nil
}

func (b *Book) init(props Properties) error {
	f := b.file
	if err := f.SetDocProps(&excelize.DocProperties{Title: props.Title, Subject: props.Subject, Description: props.Description,
		Creator: "Sinergi", Created: props.Created.UTC().Format(time.RFC3339), Language: "id-ID"}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	rupiah, integer := RupiahFormat, IntegerFormat
	for kind, style := range map[Kind]*excelize.Style{
		Money: {CustomNumFmt: &rupiah}, Date: {CustomNumFmt: ptr("dd/mm/yyyy")}, Integer: {CustomNumFmt: &integer},
		Instant: {CustomNumFmt: ptr("yyyy-mm-dd hh:mm")},
	} {
		id, err := f.NewStyle(style)
		if err != nil {
			return err
		}
		b.styles[kind] = id
	}
	var err error
	if err := f.SetDefaultFont(Font); err != nil {
		return fmt.Errorf("font: %w", err)
	}
	if b.percent, err = f.NewStyle(&excelize.Style{NumFmt: 9}); err != nil { // 0%
		return err
	}
	if b.year, err = f.NewStyle(&excelize.Style{NumFmt: 1}); err != nil { // 0
		return err
	}
	if b.header, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}}); err != nil {
		return err
	}
	b.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font}})
	return err
}

// Sheet is one sheet of a Book, filled row by row under its header.
type Sheet struct {
	book   *Book
	name   string
	row    int
	widths []float64 // the widest content of each column so far, in characters
}

// Sheet adds a sheet with the header row cols.
func (b *Book) Sheet(name string, cols []Column) (*Sheet, error) {
	f := b.file
	if b.sheets == 0 {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	b.sheets++
	s := &Sheet{book: b, name: name, row: 1}
	b.all = append(b.all, s)
	for i, c := range cols {
		s.fit(i, c.Width)
		if err := f.SetCellStr(name, cellName(i+1, 1), c.Header); err != nil {
			return nil, err
		}
	}
	if len(cols) > 0 {
		if err := f.SetCellStyle(name, "A1", cellName(len(cols), 1), b.header); err != nil {
			return nil, err
		}
		// Headers wrap (regency names over narrow number columns): room for three lines.
		if err := f.SetRowHeight(name, 1, 45); err != nil {
			return nil, err
		}
	}
	if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	landscape, fit, zero, a4 := "landscape", true, 0, 9
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &landscape, FitToHeight: &zero}); err != nil {
		return nil, err
	}
	// Room to bind on the left; the book's title above and the page number below on every page.
	if err := f.SetPageMargins(name, &excelize.PageLayoutMarginsOptions{Left: ptr(1.0), Right: ptr(0.5), Top: ptr(0.9),
		Bottom: ptr(0.9), Header: ptr(0.35), Footer: ptr(0.35)}); err != nil {
		return nil, err
	}
	footer := "&C&9Halaman &P dari &N"
	if b.props.English {
		footer = "&C&9Page &P of &N"
	}
	if err := f.SetHeaderFooter(name, &excelize.HeaderFooterOptions{
		OddHeader: "&L&9" + headerText(b.props.Title) + "&R&9" + headerText(name), OddFooter: footer}); err != nil {
		return nil, err
	}
	if err := f.SetSheetProps(name, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return nil, err
	}
	// Print the header row on every page.
	if err := f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: fmt.Sprintf("'%s'!$1:$1", name), Scope: name}); err != nil {
		return nil, err
	}
	return s, nil
}

// Add writes the next row. Cells take their kind from the value: text for
// strings (never a formula), rupiah for money.Rupiah, whole numbers, dates
// for calendar.Date, percent for Percent; nil leaves the cell empty.
func (s *Sheet) Add(values ...any) error {
	s.row++
	return s.write(s.row, false, values)
}

// Total writes the next row in bold, for totals.
func (s *Sheet) Total(values ...any) error {
	s.row++
	return s.write(s.row, true, values)
}

// Skip leaves a blank row.
func (s *Sheet) Skip() { s.row++ }

// Row returns the number of the last row written.
func (s *Sheet) Row() int { return s.row }

func (s *Sheet) write(row int, bold bool, values []any) error {
	f, b := s.book.file, s.book
	for i, v := range values {
		cell := cellName(i+1, row)
		style := 0
		var err error
		s.fit(i, shownWidth(v))
		switch x := v.(type) {
		case nil:
			continue
		case string:
			err = f.SetCellStr(s.name, cell, x)
		case money.Rupiah:
			err, style = f.SetCellInt(s.name, cell, int64(x)), b.styles[Money]
		case int:
			err, style = f.SetCellInt(s.name, cell, int64(x)), b.styles[Integer]
		case int64:
			err, style = f.SetCellInt(s.name, cell, x), b.styles[Integer]
		case calendar.Date:
			err, style = f.SetCellValue(s.name, cell, x.Time()), b.styles[Date]
		case time.Time:
			err, style = f.SetCellValue(s.name, cell, x.UTC()), b.styles[Instant]
		case Percent:
			err, style = f.SetCellFloat(s.name, cell, float64(x), 4, 64), b.percent
		case Year:
			err, style = f.SetCellInt(s.name, cell, int64(x)), b.year
		default:
			err = f.SetCellStr(s.name, cell, fmt.Sprint(x))
		}
		if err != nil {
			return fmt.Errorf("%s!%s: %w", s.name, cell, err)
		}
		if bold && style == 0 {
			style = b.bold
		}
		if style != 0 {
			if err := f.SetCellStyle(s.name, cell, cell, style); err != nil {
				return err
			}
		}
	}
	return nil
}

// fit widens column i to hold width characters, up to a page's sense.
func (s *Sheet) fit(i int, width float64) {
	for len(s.widths) <= i {
		s.widths = append(s.widths, 8)
	}
	s.widths[i] = min(max(s.widths[i], width), 60)
}

// shownWidth estimates how many characters v takes once formatted.
func shownWidth(v any) float64 {
	switch x := v.(type) {
	case nil:
		return 0
	case string:
		return float64(utf8.RuneCountInString(x)) + 1
	case money.Rupiah:
		return float64(len(x.String())) + 2
	case calendar.Date:
		return 12
	case time.Time:
		return 18
	case Percent:
		return 7
	}
	return float64(len(fmt.Sprint(v))) + 3
}

// Range returns the absolute reference of a block of this sheet, for
// charts: columns c1..c2 of rows r1..r2.
func (s *Sheet) Range(c1, r1, c2, r2 int) string {
	a, _ := excelize.CoordinatesToCellName(c1, r1, true)
	z, _ := excelize.CoordinatesToCellName(c2, r2, true)
	return fmt.Sprintf("'%s'!%s:%s", s.name, a, z)
}

// Chart places chart on the sheet at cell.
func (s *Sheet) Chart(cell string, chart *excelize.Chart) error {
	return s.book.file.AddChart(s.name, cell, chart)
}

// WriteTo sizes every column to its content and writes the workbook.
func (b *Book) WriteTo(w io.Writer) (int64, error) {
	for _, s := range b.all {
		for i, width := range s.widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := b.file.SetColWidth(s.name, col, col, width); err != nil {
				return 0, err
			}
		}
	}
	return b.file.WriteTo(w)
}

// Close releases the workbook.
func (b *Book) Close() error { return b.file.Close() }

// headerText escapes text for a page header, where & starts a code.
func headerText(s string) string { return strings.ReplaceAll(s, "&", "&&") }
