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
// a bold header row repeated on every printed page, and prints on A4 at
// full size, upright or across as its width needs.
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

	title, subtitle, signName, centred, wrapped, note int
	top, topBold                                      int // text beside a wrapped cell, on the row's first line
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
	if b.bold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font}}); err != nil {
		return err
	}
	if b.top, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: Font}, Alignment: &excelize.Alignment{Vertical: "top"}}); err != nil {
		return err
	}
	if b.topBold, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font}, Alignment: &excelize.Alignment{Vertical: "top"}}); err != nil {
		return err
	}
	if b.title, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font, Size: 14}}); err != nil {
		return err
	}
	if b.subtitle, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: Font, Size: 11}}); err != nil {
		return err
	}
	b.signName, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Underline: "single", Family: Font},
		Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return err
	}
	b.centred, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: Font}, Alignment: &excelize.Alignment{Horizontal: "center"}})
	if err != nil {
		return err
	}
	b.wrapped, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: Font}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	b.note, err = f.NewStyle(&excelize.Style{Font: &excelize.Font{Family: Font, Italic: true}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	return err
}

// Sheet is one sheet of a Book, filled row by row under its header.
type Sheet struct {
	book   *Book
	name   string
	header int // the header row's number
	cols   []Column
	row    int
	widths []float64 // the widest content of each column so far, in characters
}

// Sheet adds a sheet with the header row cols.
func (b *Book) Sheet(name string, cols []Column) (*Sheet, error) {
	return b.TitledSheet(name, nil, cols)
}

// TitledSheet adds a sheet that opens with a title block — the first line
// large and bold, the others plain — above the header row cols.
func (b *Book) TitledSheet(name string, title []string, cols []Column) (*Sheet, error) {
	f := b.file
	if b.sheets == 0 {
		if err := f.SetSheetName("Sheet1", name); err != nil {
			return nil, err
		}
	} else if _, err := f.NewSheet(name); err != nil {
		return nil, err
	}
	b.sheets++
	s := &Sheet{book: b, name: name, header: 1, cols: cols}
	if len(title) > 0 {
		s.header = len(title) + 2
	}
	s.row = s.header
	b.all = append(b.all, s)
	for i, line := range title {
		cell := cellName(1, i+1)
		if err := f.SetCellStr(name, cell, line); err != nil {
			return nil, err
		}
		style := b.subtitle
		if i == 0 {
			style = b.title
		}
		if err := f.SetCellStyle(name, cell, cell, style); err != nil {
			return nil, err
		}
	}
	if len(title) > 0 {
		if err := f.SetRowHeight(name, 1, 24); err != nil {
			return nil, err
		}
	}
	for i, c := range cols {
		s.fit(i, c.Width)
		if err := f.SetCellStr(name, cellName(i+1, s.header), c.Header); err != nil {
			return nil, err
		}
	}
	if len(cols) > 0 {
		if err := f.SetCellStyle(name, cellName(1, s.header), cellName(len(cols), s.header), b.header); err != nil {
			return nil, err
		}
		// Headers wrap (long names over narrow number columns): room for
		// the longest, a line per column width of text, words not split.
		lines := 1
		for _, c := range cols {
			lines = max(lines, wrappedLines(c.Header, c.Width))
		}
		if err := f.SetRowHeight(name, s.header, float64(15*lines+3)); err != nil {
			return nil, err
		}
	}
	if len(title) == 0 {
		if err := f.SetPanes(name, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// wrappedLines counts the lines text takes when wrapped at width
// characters between words.
func wrappedLines(text string, width float64) int {
	lines, used := 1, 0
	for _, word := range strings.Fields(text) {
		n := utf8.RuneCountInString(word)
		switch {
		case used == 0:
			used = n
		case float64(used+1+n) <= width-1:
			used += 1 + n
		default:
			lines, used = lines+1, n
		}
	}
	return lines
}

// Printable widths of an A4 page within the margins above, in column-width
// characters of the book's 11-point font (about 2.25 mm each, as
// LibreOffice prints Liberation Sans): 172 mm upright, 259 mm across.
const (
	portraitChars  = 76
	landscapeChars = 115
	// minScale keeps the 11-point font at 9 points or more when a sheet is
	// shrunk to fit a page's width.
	minScale = 82
)

// layout sets how s prints, once its columns are sized.
func (s *Sheet) layout() error {
	total := 0.0
	for _, w := range s.widths {
		total += w
	}
	return printSetup(s.book.file, s.name, s.book.props, total, s.header, len(s.widths) > 0)
}

// printSetup sets how sheet name prints, its columns totalling width
// characters: on A4, upright when they fit the page's width, else across,
// shrunk to the page's width only as far as text stays at 9 points or
// more; a table wider still runs onto further pages with its first column
// repeated. The header row repeats on every page (when titled); the book's
// title is above and the page number below every page.
func printSetup(f *excelize.File, name string, props Properties, width float64, header int, titled bool) error {
	orientation, a4, scale := "portrait", 9, uint(100)
	if width > portraitChars {
		orientation = "landscape"
		if width > landscapeChars {
			scale = uint(max(minScale, int(100*landscapeChars/width)))
		}
	}
	if err := f.SetPageLayout(name, &excelize.PageLayoutOptions{Size: &a4, Orientation: &orientation, AdjustTo: &scale}); err != nil {
		return err
	}
	// Room to bind on the left.
	if err := f.SetPageMargins(name, &excelize.PageLayoutMarginsOptions{Left: ptr(1.0), Right: ptr(0.5), Top: ptr(0.9),
		Bottom: ptr(0.9), Header: ptr(0.35), Footer: ptr(0.35)}); err != nil {
		return err
	}
	// Header and footer at 9 points once the page is scaled.
	size := fmt.Sprintf("&%d", (900+scale-1)/scale)
	footer := "&C" + size + "Halaman &P dari &N"
	if props.English {
		footer = "&C" + size + "Page &P of &N"
	}
	if err := f.SetHeaderFooter(name, &excelize.HeaderFooterOptions{
		OddHeader: "&L" + size + headerText(props.Title) + "&R" + size + headerText(name), OddFooter: footer}); err != nil {
		return err
	}
	if !titled {
		return nil
	}
	titles := fmt.Sprintf("'%s'!$%d:$%d", name, header, header)
	if width*float64(scale)/100 > landscapeChars {
		titles = fmt.Sprintf("'%s'!$A:$A,%s", name, titles)
	}
	return f.SetDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", RefersTo: titles, Scope: name})
}

// PrintTable sets up sheet name of any workbook to print as Sinergi's own
// tables print (printSetup): its header row 1, its columns totalling width
// characters.
func PrintTable(f *excelize.File, name string, props Properties, width float64) error {
	// A workbook set up before (a template sent back) has its titles.
	_ = f.DeleteDefinedName(&excelize.DefinedName{Name: "_xlnm.Print_Titles", Scope: name})
	return printSetup(f, name, props, width, 1, true)
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

// Note writes text on the next row across the first span columns, wrapped
// and in italics: a remark under the row above it.
func (s *Sheet) Note(text string, span int) error {
	s.row++
	f := s.book.file
	first, last := cellName(1, s.row), cellName(span, s.row)
	if err := f.SetCellStr(s.name, first, text); err != nil {
		return err
	}
	if err := f.MergeCell(s.name, first, last); err != nil {
		return err
	}
	if err := f.SetCellStyle(s.name, first, last, s.book.note); err != nil {
		return err
	}
	width := 0.0
	for i := range span {
		if i < len(s.cols) {
			width += s.cols[i].Width
		}
	}
	return f.SetRowHeight(s.name, s.row, float64(15*wrappedLines(text, max(width, 10))+3))
}

// Skip leaves a blank row.
func (s *Sheet) Skip() { s.row++ }

// Row returns the number of the last row written.
func (s *Sheet) Row() int { return s.row }

func (s *Sheet) write(row int, bold bool, values []any) error {
	f, b := s.book.file, s.book
	lines := 1         // of the tallest wrapped cell: spreadsheet programs do not grow the row to it
	var plain []string // text cells that are not wrapped
	for i, v := range values {
		cell := cellName(i+1, row)
		style := 0
		var err error
		wrap := i < len(s.cols) && s.cols[i].Wrap
		if !wrap {
			s.fit(i, shownWidth(v))
		}
		switch x := v.(type) {
		case nil:
			continue
		case string:
			err = f.SetCellStr(s.name, cell, x)
			if wrap {
				style = b.wrapped
				lines = max(lines, wrappedLines(x, s.cols[i].Width))
			} else {
				plain = append(plain, cell)
			}
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
	if lines > 1 {
		// A label beside a wrapped text reads on its first line, not its last.
		top := b.top
		if bold {
			top = b.topBold
		}
		for _, cell := range plain {
			if err := f.SetCellStyle(s.name, cell, cell, top); err != nil {
				return err
			}
		}
		return f.SetRowHeight(s.name, row, float64(15*lines+3))
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

// Signer is one who signs a sheet: the office (Ketua) and the name, or ""
// for a name to be written in by hand.
type Signer struct{ Office, Name string }

// Signatures ends the sheet with a signature block: the place and date of
// signing above the last signer, then each signer's office, room to sign
// and name, one signer per column from the first.
func (s *Sheet) Signatures(placeAndDate string, signers ...Signer) error {
	f := s.book.file
	top := s.row + 3
	set := func(col, row int, text string, style int) error {
		cell := cellName(col, row)
		if err := f.SetCellStr(s.name, cell, text); err != nil {
			return err
		}
		return f.SetCellStyle(s.name, cell, cell, style)
	}
	if err := set(len(signers), top, placeAndDate, s.book.centred); err != nil {
		return err
	}
	for i, sg := range signers {
		name := sg.Name
		if name == "" {
			name = "(................................)"
		}
		s.fit(i, float64(utf8.RuneCountInString(name))+2)
		if err := set(i+1, top+1, sg.Office, s.book.centred); err != nil {
			return err
		}
		if err := set(i+1, top+6, name, s.book.signName); err != nil {
			return err
		}
	}
	s.row = top + 6
	return nil
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

// WriteTo sizes every column to its content, sets how each sheet prints
// and writes the workbook.
func (b *Book) WriteTo(w io.Writer) (int64, error) {
	for _, s := range b.all {
		for i, width := range s.widths {
			col, _ := excelize.ColumnNumberToName(i + 1)
			if err := b.file.SetColWidth(s.name, col, col, width); err != nil {
				return 0, err
			}
		}
		if err := s.layout(); err != nil {
			return 0, fmt.Errorf("page layout of %s: %w", s.name, err)
		}
	}
	return b.file.WriteTo(w)
}

// Close releases the workbook.
func (b *Book) Close() error { return b.file.Close() }

// headerText escapes text for a page header, where & starts a code.
func headerText(s string) string { return strings.ReplaceAll(s, "&", "&&") }
