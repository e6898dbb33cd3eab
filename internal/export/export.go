// Package export writes the workbooks that auditors download and the Raker
// prints, the same bytes whether asked over HTTP or at the command line.
package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sinergi-id/sinergi/internal/audit"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// Language of a workbook's labels: Indonesian unless English is asked for.
type Language string

// The languages.
const (
	Indonesian Language = "id"
	English    Language = "en"
)

// ParseLanguage reads lang ("" is Indonesian).
func ParseLanguage(lang string) (Language, error) {
	switch lang {
	case "", "id":
		return Indonesian, nil
	case "en":
		return English, nil
	}
	return "", fault.Refuse("lang", fault.Invalid, "must be id or en")
}

// pick returns the label in lang.
func pick(lang Language, id, en string) string {
	if lang == English {
		return en
	}
	return id
}

// AuditLog writes the audit trail that f selects as a workbook to w. The
// whole workbook is built before the first byte is written, so a failure
// never leaves a half-written file behind.
func AuditLog(ctx context.Context, sc auth.Scope, store *audit.Store, f audit.Filter, lang Language, now time.Time, w io.Writer) error {
	return ledger(ctx, w, pick(lang, "Jejak Audit", "Audit Trail"), xlsx.Properties{
		Title:       pick(lang, "Jejak audit Sinergi", "Sinergi audit trail"),
		Subject:     pick(lang, "Setiap perubahan data: siapa, kapan, apa", "Every write: who, when, what"),
		Description: describe(lang, f),
		Created:     now,
	}, []xlsx.Column{
		{Header: pick(lang, "Waktu (UTC)", "Time (UTC)"), Kind: xlsx.Instant, Width: 20},
		{Header: pick(lang, "Pelaku", "Actor"), Kind: xlsx.Text, Width: 28},
		{Header: pick(lang, "ID permintaan", "Request ID"), Kind: xlsx.Text, Width: 18},
		{Header: pick(lang, "Aksi", "Action"), Kind: xlsx.Text, Width: 10},
		{Header: pick(lang, "Entitas", "Entity"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "ID entitas", "Entity ID"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Sebelum", "Before"), Kind: xlsx.Text, Width: 60},
		{Header: pick(lang, "Sesudah", "After"), Kind: xlsx.Text, Width: 60},
	}, func(emit func(...any) error) error {
		return store.Each(ctx, sc, f, func(e audit.Entry) error {
			return emit(e.At, e.Actor, e.RequestID, e.Action, e.Entity, e.EntityID, e.Before, e.After)
		})
	}, func(rows int) string { return fmt.Sprintf(pick(lang, "Jumlah entri: %d", "Entries: %d"), rows) })
}

func describe(lang Language, f audit.Filter) string {
	s := pick(lang, "Saringan:", "Filters:")
	if f.From != nil {
		s += pick(lang, " dari ", " from ") + f.From.UTC().Format(time.RFC3339)
	}
	if f.To != nil {
		s += pick(lang, " sampai ", " to ") + f.To.UTC().Format(time.RFC3339)
	}
	if f.Entity != nil {
		s += pick(lang, " entitas ", " entity ") + *f.Entity
	}
	if f.Actor != nil {
		s += pick(lang, " pelaku ", " actor ") + *f.Actor
	}
	if s == pick(lang, "Saringan:", "Filters:") {
		s += pick(lang, " semua", " none")
	}
	return s
}

// period describes a from–to filter; either end may be open.
func period(lang Language, from, to *calendar.Date) string {
	s := pick(lang, "Periode: ", "Period: ")
	switch {
	case from == nil && to == nil:
		return s + pick(lang, "semua", "all")
	case from == nil:
		return s + pick(lang, "sampai ", "until ") + to.String()
	case to == nil:
		return s + pick(lang, "sejak ", "from ") + from.String()
	}
	return s + from.String() + " – " + to.String()
}
