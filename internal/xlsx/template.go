package xlsx

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/money"
)

// Field is one column of an import template: its header, what it takes
// (explained on the template's second sheet), an example, and the values
// it may hold when they are a fixed list (a drop-down in the cell).
type Field struct {
	Header   string
	Kind     Kind // Text, Integer, Money or Date: the cells' format
	Width    float64
	Required bool
	Explain  string
	Example  any
	Choices  []string
}

// TemplateLabels are the words of a template's own sheets.
type TemplateLabels struct {
	Data, Help, Choices       string // sheet names
	Column, Required, Content string // the help sheet's headers
	Example, Yes, No          string
}

// templateRows is how many rows of a template carry formats and drop-downs.
const templateRows = 1000

// WriteTemplate writes an import template: a data sheet with the headers,
// one example row and, over the rows below, the columns' formats and
// drop-down lists; a sheet explaining each column; and a hidden sheet that
// holds the drop-downs' choices.
func WriteTemplate(w io.Writer, props Properties, l TemplateLabels, fields []Field) error {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetDocProps(&excelize.DocProperties{Title: props.Title, Description: props.Description, Creator: "Sinergi",
		Created: props.Created.UTC().Format(time.RFC3339), Language: "id-ID"}); err != nil {
		return fmt.Errorf("document properties: %w", err)
	}
	if err := f.SetDefaultFont(Font); err != nil {
		return err
	}
	if err := f.SetSheetName("Sheet1", l.Data); err != nil {
		return err
	}
	header, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Family: Font}, Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	rupiah, integer := RupiahFormat, IntegerFormat
	formats := map[Kind]*excelize.Style{Money: {CustomNumFmt: &rupiah}, Integer: {CustomNumFmt: &integer}, Date: {CustomNumFmt: ptr("dd/mm/yyyy")}, Text: {NumFmt: 49}}
	styles := map[Kind]int{}
	for k, st := range formats {
		if styles[k], err = f.NewStyle(st); err != nil {
			return err
		}
	}
	if _, err := f.NewSheet(l.Choices); err != nil {
		return err
	}
	choiceCol := 0
	for i, fd := range fields {
		col := i + 1
		name, _ := excelize.ColumnNumberToName(col)
		if err := f.SetColWidth(l.Data, name, name, fd.Width); err != nil {
			return err
		}
		// The column's format over its rows; the header is styled after.
		if err := f.SetCellStyle(l.Data, cellName(col, 2), cellName(col, templateRows+1), styles[fd.Kind]); err != nil {
			return err
		}
		if err := f.SetCellStr(l.Data, cellName(col, 1), fd.Header); err != nil {
			return err
		}
		if err := setExample(f, l.Data, cellName(col, 2), fd.Example); err != nil {
			return err
		}
		if len(fd.Choices) == 0 {
			continue
		}
		choiceCol++
		for j, c := range fd.Choices {
			if err := f.SetCellStr(l.Choices, cellName(choiceCol, j+1), c); err != nil {
				return err
			}
		}
		first, _ := excelize.CoordinatesToCellName(choiceCol, 1, true)
		last, _ := excelize.CoordinatesToCellName(choiceCol, len(fd.Choices), true)
		dv := excelize.NewDataValidation(true)
		dv.Sqref = cellName(col, 2) + ":" + cellName(col, templateRows+1)
		dv.SetSqrefDropList(fmt.Sprintf("'%s'!%s:%s", l.Choices, first, last))
		if err := f.AddDataValidation(l.Data, dv); err != nil {
			return fmt.Errorf("drop-down of %s: %w", fd.Header, err)
		}
	}
	if err := f.SetCellStyle(l.Data, "A1", cellName(len(fields), 1), header); err != nil {
		return err
	}
	if err := f.SetRowHeight(l.Data, 1, 32); err != nil {
		return err
	}
	if err := f.SetPanes(l.Data, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	width := 0.0
	for _, fd := range fields {
		width += fd.Width
	}
	if err := PrintTable(f, l.Data, props, width); err != nil {
		return err
	}
	if err := f.SetSheetVisible(l.Choices, false); err != nil {
		return err
	}

	// The help sheet: one row per column.
	if _, err := f.NewSheet(l.Help); err != nil {
		return err
	}
	for i, h := range []string{l.Column, l.Required, l.Content, l.Example} {
		if err := f.SetCellStr(l.Help, cellName(i+1, 1), h); err != nil {
			return err
		}
	}
	if err := f.SetCellStyle(l.Help, "A1", "D1", header); err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	for i, fd := range fields {
		row := i + 2
		req := l.No
		if fd.Required {
			req = l.Yes
		}
		explain := fd.Explain
		if len(fd.Choices) > 0 && len(fd.Choices) <= 12 {
			explain += " (" + strings.Join(fd.Choices, ", ") + ")"
		}
		for j, v := range []string{fd.Header, req, explain, fmt.Sprint(shown(fd.Example))} {
			if err := f.SetCellStr(l.Help, cellName(j+1, row), v); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(l.Help, cellName(3, row), cellName(3, row), wrap); err != nil {
			return err
		}
		if err := f.SetRowHeight(l.Help, row, float64(15*wrappedLines(explain, 70)+3)); err != nil {
			return err
		}
	}
	for col, width := range map[string]float64{"A": 26, "B": 8, "C": 72, "D": 24} {
		if err := f.SetColWidth(l.Help, col, col, width); err != nil {
			return err
		}
	}
	if err := f.SetSheetVisible(l.Help, true); err != nil {
		return err
	}
	if _, err := f.WriteTo(w); err != nil {
		return fmt.Errorf("write template: %w", err)
	}
	return nil
}

func setExample(f *excelize.File, sheet, cell string, v any) error {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return f.SetCellStr(sheet, cell, x)
	case money.Rupiah:
		return f.SetCellInt(sheet, cell, int64(x))
	case int:
		return f.SetCellInt(sheet, cell, int64(x))
	case calendar.Date:
		return f.SetCellValue(sheet, cell, x.Time())
	}
	return f.SetCellStr(sheet, cell, fmt.Sprint(v))
}

// shown is an example as the help sheet writes it.
func shown(v any) any {
	switch x := v.(type) {
	case nil:
		return ""
	case money.Rupiah:
		return int64(x)
	case calendar.Date:
		return x.Time().Format("02/01/2006")
	}
	return v
}
