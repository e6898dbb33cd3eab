package export

import (
	"net/url"
	"strings"

	"github.com/sinergi-id/sinergi/internal/postgres"
)

// fileStems are the workbooks' names as a download starts them.
var fileStems = map[string]string{
	"raker": "raker", "donations": "donasi", "box-collections": "kotak-amal", "aid-outputs": "penyaluran-bantuan",
	"audit-log": "jejak-audit", "partner-statement": "pernyataan-mitra", "aid-requests": "permohonan-bantuan", "pub-report": "laporan-pub",
	"template-donations": "templat-donasi", "template-box-collections": "templat-kotak-amal",
	"template-aid-outputs": "templat-penyaluran-bantuan", "template-programme-targets": "templat-target-program",
}

// FileName is the name a workbook downloads under, from its parameters: what
// it is, whose (council or partner), which period and which language, e.g.
// raker-BALI-2014-id.xlsx or donasi-BALI-2014-01-01_2014-12-31-id.xlsx. An
// organization given by id is named by its code, through codeOf.
func FileName(kind string, q url.Values, codeOf func(id string) string) string {
	parts := []string{fileStems[kind]}
	if parts[0] == "" {
		parts[0] = kind
	}
	if org := q.Get("org"); org != "" {
		if postgres.IsID(org) && codeOf != nil {
			org = codeOf(org)
		}
		parts = append(parts, strings.ToUpper(org))
	}
	if p := q.Get("permit"); p != "" {
		parts = append(parts, p) // its number, or its id
	}
	if p := q.Get("partner"); p != "" && !postgres.IsID(p) {
		parts = append(parts, p)
	}
	switch from, to, year := q.Get("from"), q.Get("to"), q.Get("year"); {
	case year != "":
		parts = append(parts, year)
	case from != "" || to != "":
		parts = append(parts, orDash(from)+"_"+orDash(to))
	}
	lang := q.Get("lang")
	if lang == "" {
		lang = string(Indonesian)
	}
	parts = append(parts, lang)
	return safeName(strings.Join(parts, "-")) + ".xlsx"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// safeName keeps letters, digits, '.', '_' and '-' and makes anything else
// a '-': the name goes into a header and onto a disk.
func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '-'
	}, s)
}
