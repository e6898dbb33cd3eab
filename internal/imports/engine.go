package imports

import (
	"slices"
	"strconv"
	"strings"

	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/postgres"
)

// The columns every exported ledger has besides its kind's own: the
// entry's id, and for a reversal the entry it reverses and why.
var ledgerColumns = []column{
	{key: "id", headers: []string{"id"}},
	{key: "reverses", headers: []string{"membalik entri", "reverses entry"}},
	{key: "reason", headers: []string{"alasan pembalikan", "reversal reason"}},
}

// entry is one row as read: the columns every ledger shares, what the
// kind read of its own, and what the import decided about it.
type entry struct {
	row
	id, reverses, reason string
	on                   calendar.Date // the row's date; a reversal is booked on it
	key                  string        // natural key
	content              string        // hash of what the row records, as resolved (conflicts)
	skip                 string        // why the row is left out, if it is
	bad                  bool          // refused while read or resolved
	input                any           // the kind's write input, once resolved
}

// kindRows is what one kind of record adds to the import of a ledger.
type kindRows interface {
	// read checks the kind's own cells of a row that records something
	// (not a reversal), refusing into v with column keys as paths, and
	// returns the row's own natural key if the kind has one ("" if not).
	read(e *entry, v *fault.InvalidInput) (ownKey string)
	// resolve looks up what the row names (organizations, partners, boxes,
	// aid types), refusing its cells, and sets e.input and e.content;
	// false when something was refused.
	resolve(e *entry) (bool, error)
	// stored finds the record the row's natural key names outside earlier
	// imports (a ledger entry id, the council's own reference) and the
	// hash of its content as resolve would make it.
	stored(e *entry) (id, content string, err error)
	create(e *entry) (id string, err error)
	// exists reports whether id is an entry of this kind the caller sees.
	exists(id string) (bool, error)
	reverse(original string, e *entry) (id string, err error)
	// paths puts the write's refused input fields in their columns.
	paths() map[string]string
	// date is the column key of the row's date ("" for none).
	date() string
}

// ledgerRows imports the rows of one kind, as filled templates or
// exported ledgers.
type ledgerRows struct {
	*run
	kind        kindRows
	required    []string // column keys a recording row must fill
	entries     map[rowID]*entry
	fromFile    map[string]string // ledger entry id in the file → the record it became
	occurrences map[string]int
	reversals   []*entry
}

type rowID struct {
	sheet string
	n     int
}

func newLedgerRows(r *run, columns []column, kind kindRows) *ledgerRows {
	l := &ledgerRows{run: r, kind: kind, entries: map[rowID]*entry{}, fromFile: map[string]string{}, occurrences: map[string]int{}}
	for _, c := range columns {
		if c.required {
			l.required = append(l.required, c.key)
		}
	}
	return l
}

// keys reads every row and names its natural key: the ledger entry it was
// exported as, else the kind's own key (the council's reference), else its
// cells and how many identical rows came before it in the file.
func (l *ledgerRows) keys(rows []row) []string {
	var keys []string
	for _, r := range rows {
		e := l.read(r)
		l.entries[rowID{r.sheet, r.n}] = e
		if e.key != "" {
			keys = append(keys, e.key)
		}
	}
	return keys
}

func (l *ledgerRows) read(r row) *entry {
	c := r.cells
	e := &entry{row: r, id: strings.ToLower(c["id"]), reverses: strings.ToLower(c["reverses"]), reason: c["reason"]}
	if e.id != "" && !postgres.IsID(e.id) {
		if l.kind.date() != "" && c[l.kind.date()] == "" {
			e.skip = "the ledger's total row"
		} else {
			l.refuse(r, "id", fault.Invalid, "is not the id of a Sinergi ledger entry; leave it empty for a new record")
			e.bad = true
		}
		return e
	}
	var v fault.InvalidInput
	required := l.required
	if e.reverses != "" {
		required = []string{l.kind.date(), "reason"}
	}
	for _, k := range required {
		if c[k] == "" {
			v.Add(k, fault.Required, "is empty")
		}
	}
	if s := c[l.kind.date()]; s != "" && l.kind.date() != "" {
		e.on = parseDate(&v, l.kind.date(), s)
	}
	var own string
	if e.reverses != "" {
		if !postgres.IsID(e.reverses) {
			v.Add("reverses", fault.Invalid, "is not the id of a Sinergi ledger entry")
		}
		e.content = contentHash("reversal", e.reverses, e.on, e.reason)
	} else {
		own = l.kind.read(e, &v)
	}
	refused := map[string]bool{} // one refusal per cell: the first says it
	for _, f := range v.Fields {
		if !refused[f.Path] {
			refused[f.Path] = true
			l.refuse(r, f.Path, f.Reason, f.Message)
		}
		e.bad = true
	}
	if e.bad || e.skip != "" {
		return e
	}
	switch {
	case e.id != "":
		e.key = "id|" + e.id
	case e.reverses != "":
		e.key = "reversal|" + e.reverses
	case own != "":
		e.key = own
	default:
		cells := contentHash(cellsOf(c))
		l.occurrences[cells]++
		e.key = "row|" + cells + "#" + strconv.Itoa(l.occurrences[cells])
	}
	return e
}

// cellsOf is a row's cells in a fixed order, case aside, for its key.
func cellsOf(c map[string]string) string {
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(k + "=" + strings.ToLower(c[k]) + "\x1f")
	}
	return b.String()
}

func (l *ledgerRows) row(r row) error {
	e := l.entries[rowID{r.sheet, r.n}]
	switch {
	case e.bad && e.input != nil && e.reverses == "":
		// Names the row gives are looked up all the same, so that one dry
		// run reports every wrong cell of the row it can.
		_, err := l.kind.resolve(e)
		return err
	case e.bad:
		return nil
	case e.skip != "":
		l.skip(r, e.skip)
		return nil
	case e.reverses != "":
		l.reversals = append(l.reversals, e) // once every entry they may reverse is in
		return nil
	}
	if ok, err := l.kind.resolve(e); !ok || err != nil {
		return err
	}
	if done, err := l.already(e); done || err != nil {
		return err
	}
	id, err := l.kind.create(e)
	if l.refused(r, err, l.kind.paths()) {
		return nil
	}
	if err != nil {
		return err
	}
	l.wrote(e.key, e.content, id)
	if e.id != "" {
		l.fromFile[e.id] = id
	}
	return nil
}

// already answers a row whose natural key names a record already there:
// skipped when it records the same, a conflict when it records otherwise.
func (l *ledgerRows) already(e *entry) (bool, error) {
	if id, prior := l.seen(e.key); id != "" {
		switch {
		case prior == nil:
			l.refuse(e.row, keyColumn(e.key), fault.Duplicate, "the file has this entry twice")
		case prior.Content != e.content:
			l.refuse(e.row, "", Conflict, "an earlier import recorded this row with other values (entry "+id+"): correct that entry by reversal, then import the new row")
		default:
			l.skip(e.row, "already imported (entry "+id+")")
		}
		return true, nil
	}
	id, content, err := l.kind.stored(e)
	if err != nil || id == "" {
		return false, err
	}
	if content != e.content {
		l.refuse(e.row, "", Conflict, "Sinergi already has this entry ("+id+") with other values: correct it by reversal, never by import")
		return true, nil
	}
	l.skip(e.row, "already recorded (entry "+id+")")
	return true, nil
}

// keyColumn is the column a natural key was read from.
func keyColumn(key string) string {
	k, _, _ := strings.Cut(key, "|")
	switch k {
	case "id":
		return "id"
	case "ref":
		return "reference"
	}
	return ""
}

// finish books the reversals the file holds, once the entries they
// reverse are in: an entry of the same file, of an earlier import, or
// already in Sinergi.
func (l *ledgerRows) finish() error {
	left := map[string]string{} // ledger entries in the file left out, and why
	for _, e := range l.entries {
		if e.id != "" && e.skip != "" {
			left[e.id] = e.skip
		}
	}
	for _, e := range l.reversals {
		if why, ok := left[e.reverses]; ok {
			l.skip(e.row, "reverses an entry left out: "+why)
			continue
		}
		if id, prior := l.seen(e.key); id != "" {
			if prior == nil {
				l.refuse(e.row, keyColumn(e.key), fault.Duplicate, "the file has this entry twice")
			} else {
				l.skip(e.row, "already imported (entry "+id+")")
			}
			continue
		}
		original := l.fromFile[e.reverses]
		if original == "" {
			original, _ = l.seen("id|" + e.reverses)
		}
		if original == "" {
			exists, err := l.kind.exists(e.reverses)
			if err != nil {
				return err
			}
			if exists {
				original = e.reverses
			}
		}
		if original == "" {
			l.refuse(e.row, "reverses", fault.Unknown, "reverses an entry that is neither in this file nor recorded before")
			continue
		}
		id, err := l.kind.reverse(original, e)
		if l.refused(e.row, err, l.kind.paths()) {
			continue
		}
		if err != nil {
			return err
		}
		l.wrote(e.key, e.content, id)
	}
	return nil
}
