package imports

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// ErrorHeader heads the column an annotated workbook adds.
const ErrorHeader = "Kesalahan impor / Import errors"

// Annotate writes file back with what an import refused: on each data
// sheet a last column saying, on every refused row, what is wrong, and
// the refused cells filled red, so the council corrects the file it knows
// and uploads it again. Everything else in the file is left as it was.
func Annotate(file []byte, res Result, l Limits, w io.Writer) error {
	if l == (Limits{}) {
		l = DefaultLimits
	}
	f, err := open(file, l)
	if err != nil {
		return err
	}
	defer f.Close()
	bySheet := map[string][]Problem{}
	for _, p := range res.Errors {
		bySheet[p.Sheet] = append(bySheet[p.Sheet], p)
	}
	// A workbook annotated before and sent back: what the last import
	// refused is cleared first, so only what this one refuses is shown.
	for _, sheet := range f.GetSheetList() {
		if err := clearAnnotations(f, sheet, bySheet[sheet] == nil); err != nil {
			return err
		}
	}
	red := map[int]int{} // a cell's style → that style filled red
	for sheet, problems := range bySheet {
		col, err := nextColumn(f, sheet)
		if err != nil {
			return err
		}
		head, _ := excelize.CoordinatesToCellName(col, 1)
		if err := f.SetCellStr(sheet, head, ErrorHeader); err != nil {
			return fmt.Errorf("annotate %s: %w", sheet, err)
		}
		if col > 1 { // headed as the headers before it
			before, _ := excelize.CoordinatesToCellName(col-1, 1)
			style, err := f.GetCellStyle(sheet, before)
			if err != nil {
				return err
			}
			if err := f.SetCellStyle(sheet, head, head, style); err != nil {
				return err
			}
		}
		name, _ := excelize.ColumnNumberToName(col)
		if err := f.SetColWidth(sheet, name, name, 60); err != nil {
			return err
		}
		messages := map[int][]string{}
		var rows []int
		for _, p := range problems {
			if _, seen := messages[p.Row]; !seen {
				rows = append(rows, p.Row)
			}
			msg := p.Message
			if p.Column != "" {
				msg = p.Column + ": " + msg
			}
			messages[p.Row] = append(messages[p.Row], msg)
			cells := []string{p.Cell}
			if p.Cell == "" { // the whole row: its first cell
				first, _ := excelize.CoordinatesToCellName(1, p.Row)
				cells = []string{first}
			}
			for _, cell := range cells {
				if err := fillRed(f, sheet, cell, red); err != nil {
					return err
				}
			}
		}
		width := 0.0
		for c := 1; c <= col; c++ {
			name, _ := excelize.ColumnNumberToName(c)
			w, err := f.GetColWidth(sheet, name)
			if err != nil {
				return err
			}
			width += w
		}
		if err := xlsx.PrintTable(f, sheet, xlsx.Properties{Title: "Kesalahan impor"}, width); err != nil {
			return err
		}
		for _, n := range rows {
			cell, _ := excelize.CoordinatesToCellName(col, n)
			if err := f.SetCellStr(sheet, cell, strings.Join(messages[n], "; ")); err != nil {
				return err
			}
			if err := fillRed(f, sheet, cell, red); err != nil {
				return err
			}
		}
	}
	return f.Write(w)
}

// nextColumn is the first column right of a sheet's headers.
func nextColumn(f *excelize.File, sheet string) (int, error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return 0, err
	}
	defer it.Close()
	if !it.Next() {
		return 1, it.Error()
	}
	cells, err := it.Columns()
	if err != nil {
		return 0, err
	}
	for len(cells) > 0 && strings.TrimSpace(cells[len(cells)-1]) == "" {
		cells = cells[:len(cells)-1]
	}
	if len(cells) > 0 && cells[len(cells)-1] == ErrorHeader {
		return len(cells), nil // annotated before: the column is reused
	}
	return len(cells) + 1, nil
}

// refusedFill and refusedFont are what fillRed gives a refused cell.
const refusedFill, refusedFont = "FFC7CE", "9C0006"

// clearAnnotations takes back what Annotate wrote on sheet the last time:
// the error column's messages (and its header too when dropHeader) and the
// red of the cells it filled, which get their own style back without the
// fill. A sheet never annotated is left alone.
func clearAnnotations(f *excelize.File, sheet string, dropHeader bool) error {
	col, err := nextColumn(f, sheet)
	if err != nil {
		return err
	}
	head, _ := excelize.CoordinatesToCellName(col, 1)
	if v, _ := f.GetCellValue(sheet, head); v != ErrorHeader {
		return nil
	}
	rows, err := f.GetRows(sheet)
	if err != nil {
		return fmt.Errorf("read %s: %w", sheet, err)
	}
	plain := map[int]int{} // a red style → the same without the red
	for r := range rows {
		for c := 1; c <= col; c++ {
			cell, _ := excelize.CoordinatesToCellName(c, r+1)
			if c == col && (r > 0 || dropHeader) {
				if err := f.SetCellValue(sheet, cell, nil); err != nil {
					return err
				}
			}
			id, err := f.GetCellStyle(sheet, cell)
			if err != nil {
				return err
			}
			unred, ok := plain[id]
			if !ok {
				st, err := f.GetStyle(id)
				if err != nil {
					return err
				}
				unred = id
				if len(st.Fill.Color) == 1 && st.Fill.Color[0] == refusedFill && st.Font != nil && st.Font.Color == refusedFont {
					st.Fill, st.Font.Color = excelize.Fill{}, ""
					if unred, err = f.NewStyle(st); err != nil {
						return err
					}
				}
				plain[id] = unred
			}
			if unred != id {
				if err := f.SetCellStyle(sheet, cell, cell, unred); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fillRed fills cell red, keeping its number format, font and borders.
func fillRed(f *excelize.File, sheet, cell string, red map[int]int) error {
	id, err := f.GetCellStyle(sheet, cell)
	if err != nil {
		return err
	}
	styled, ok := red[id]
	if !ok {
		st, err := f.GetStyle(id)
		if err != nil {
			return err
		}
		st.Fill = excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{refusedFill}}
		if st.Font == nil {
			st.Font = &excelize.Font{}
		}
		st.Font.Color = refusedFont
		if styled, err = f.NewStyle(st); err != nil {
			return err
		}
		red[id] = styled
	}
	return f.SetCellStyle(sheet, cell, cell, styled)
}
