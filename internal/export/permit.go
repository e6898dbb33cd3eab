package export

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// PermitReportQuery reads the parameters of a permit's accountability
// report: permit (its id or number), lang.
func PermitReportQuery(q url.Values) (string, Language, error) {
	if err := checkParams(q); err != nil {
		return "", "", err
	}
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return "", "", err
	}
	ref := strings.TrimSpace(q.Get("permit"))
	if ref == "" {
		return "", "", fault.Refuse("permit", fault.Required, "name the permit by its id or number")
	}
	return ref, lang, nil
}

var methodLabels = map[permit.Method][2]string{
	permit.DonationBox: {"Kotak sumbangan", "Donation boxes"},
	permit.Appeal:      {"Seruan/permintaan langsung", "Appeal"},
}

// PermitReport writes a permit's accountability report (laporan
// pertanggungjawaban PUB), the figures of permit.Store.Report: a summary,
// collections by box and by month, operating costs against the cap, uses,
// and the entries recorded under a permit exception. A partner account's
// version says on its first page that it holds only its own boxes.
func PermitReport(ctx context.Context, sc auth.Scope, permits *permit.Store, ref string, lang Language, now time.Time, w io.Writer) error {
	r, err := permits.Report(ctx, sc, ref)
	if err != nil {
		return err
	}
	p := r.Permit
	L := func(id, en string) string { return pick(lang, id, en) }
	title := L("Laporan Pertanggungjawaban Pengumpulan Uang atau Barang (PUB)", "Public fundraising (PUB) accountability report")
	b, err := xlsx.NewBook(xlsx.Properties{
		Title:       title + " " + p.Number,
		Subject:     r.Organiser,
		Description: L("Hasil pengumpulan di bawah izin, biaya operasional, penggunaan dan saldo, dari buku Sinergi.", "What was collected under the permit, its costs, uses and balance, from Sinergi's ledgers."),
		Created:     now,
		English:     lang == English,
	})
	if err != nil {
		return err
	}
	defer b.Close()

	heading := []string{title, r.Organiser + " — " + L("Izin No. ", "Permit no. ") + p.Number}
	if r.Partial {
		heading = append(heading, L("Versi mitra: hanya kotak yang ditempatkan di mitra ini dan sumbangannya sendiri", "Partner's version: only the boxes this partner hosts and its own gifts"))
	}
	sum, err := b.TitledSheet(L("Ringkasan", "Summary"), heading, []xlsx.Column{{Header: L("Uraian", "Item"), Width: 42}, {Header: L("Nilai", "Value"), Width: 46, Wrap: true}})
	if err != nil {
		return err
	}
	methods := make([]string, len(p.Methods()))
	for i, m := range p.Methods() {
		methods[i] = label(methodLabels, lang, m)
	}
	extension := L("tidak ada", "none")
	if ext := p.Extensions(); len(ext) > 0 {
		parts := make([]string, len(ext))
		for i, e := range ext {
			parts[i] = fmt.Sprintf("%s %s %s", e.Number, L("s.d.", "to"), longDate(lang, e.ValidTo))
		}
		extension = strings.Join(parts, "; ")
	}
	var capPercent, share any = L("tanpa batas", "no cap"), nil
	if pc := p.CostCapPercent(); pc != nil {
		capPercent = xlsx.Percent(*pc / 100)
	}
	if s := r.CostShare(); s != nil {
		share = xlsx.Percent(*s / 100)
	}
	var costCap any
	if r.CostCap != nil {
		costCap = *r.CostCap
	}
	for _, row := range [][2]any{
		{L("Nomor izin", "Permit number"), p.Number},
		{L("Diterbitkan oleh", "Issued by"), p.Authority},
		{L("Penyelenggara", "Organiser"), r.Organiser},
		{L("Tujuan", "Purpose"), p.Purpose},
		{L("Cara pengumpulan", "Collected by"), strings.Join(methods, ", ")},
		{L("Wilayah", "Area"), strings.Join(r.Area, ", ")},
		{L("Berlaku sejak", "Valid from"), p.ValidFrom},
		{L("Berlaku sampai (izin awal)", "Valid to (as issued)"), p.ValidTo},
		{L("Perpanjangan", "Extension"), extension},
		{L("Berlaku sampai (dengan perpanjangan)", "Valid through (extended)"), p.ValidThrough()},
		{L("Batas biaya operasional", "Operating cost cap"), capPercent},
		{L("Terkumpul (bersih)", "Collected (net)"), r.Collected},
		{L("   dari kotak sumbangan", "   from boxes"), r.FromBoxes},
		{L("   dari seruan", "   from appeals"), r.FromAppeals},
		{L("Jumlah pembukaan kotak", "Box openings"), r.Openings},
		{L("Biaya operasional", "Operating costs"), r.Costs},
		{L("Batas biaya operasional (Rp)", "Operating cost cap (Rp)"), costCap},
		{L("Biaya terhadap hasil", "Costs as a share of collection"), share},
		{L("Disalurkan untuk bantuan", "Spent on aid"), r.Uses},
		{L("Saldo", "Balance"), r.Balance()},
		{L("Dicatat dengan pengecualian izin", "Recorded under a permit exception"), r.Exceptions},
		{L("Dibuat pada (UTC)", "Generated at (UTC)"), now.UTC()},
	} {
		if err := sum.Add(row[0], row[1]); err != nil {
			return err
		}
	}
	if r.CostCap != nil && r.Costs > *r.CostCap {
		// Possible after a collection was reversed: the cap held when the
		// costs were booked.
		if err := sum.Note(L("Biaya operasional melebihi batas karena hasil pengumpulan berkurang setelah biaya dicatat (koreksi).",
			"Operating costs exceed the cap because the collection shrank after they were booked (a correction)."), 2); err != nil {
			return err
		}
	}

	boxes, err := b.Sheet(L("Per Kotak", "By Box"), []xlsx.Column{{Header: L("Kode kotak", "Box"), Width: 14},
		{Header: L("Tempat (mitra)", "Host"), Width: 30}, {Header: L("Kabupaten/Kota", "Regency/city"), Width: 26},
		{Header: L("Pembukaan", "Openings"), Width: 12}, {Header: L("Terkumpul", "Collected"), Width: 18},
		{Header: L("Pengecualian", "Exceptions"), Width: 14}})
	if err != nil {
		return err
	}
	for _, x := range r.Boxes {
		if err := boxes.Add(x.Code, x.Host, x.Regency, x.Openings, x.Total, x.Exceptions); err != nil {
			return err
		}
	}
	if err := boxes.Total(L("Jumlah", "Total"), nil, nil, r.Openings, r.FromBoxes, boxExceptions(r)); err != nil {
		return err
	}

	hosts, err := b.Sheet(L("Per Mitra", "By Host"), []xlsx.Column{{Header: L("Tempat (mitra)", "Host"), Width: 32},
		{Header: L("Kotak", "Boxes"), Width: 10}, {Header: L("Pembukaan", "Openings"), Width: 12}, {Header: L("Terkumpul", "Collected"), Width: 18}})
	if err != nil {
		return err
	}
	for _, h := range r.Hosts {
		if err := hosts.Add(h.Host, h.Boxes, h.Openings, h.Total); err != nil {
			return err
		}
	}
	if err := hosts.Total(L("Jumlah", "Total"), len(r.Boxes), r.Openings, r.FromBoxes); err != nil {
		return err
	}

	months, err := b.Sheet(L("Per Bulan", "By Month"), []xlsx.Column{{Header: L("Bulan", "Month"), Width: 14},
		{Header: L("Dari kotak", "From boxes"), Width: 18}, {Header: L("Dari seruan", "From appeals"), Width: 18}, {Header: L("Jumlah", "Total"), Width: 18}})
	if err != nil {
		return err
	}
	for _, m := range r.Months {
		first, err := calendar.Parse(m.Month + "-01")
		if err != nil {
			return fmt.Errorf("month %q: %w", m.Month, err)
		}
		if err := months.Add(monthName(lang, first), m.FromBoxes, m.FromAppeals, m.FromBoxes+m.FromAppeals); err != nil {
			return err
		}
	}
	if err := months.Total(L("Jumlah", "Total"), r.FromBoxes, r.FromAppeals, r.Collected); err != nil {
		return err
	}

	costs, err := b.Sheet(L("Biaya Operasional", "Operating Costs"), []xlsx.Column{{Header: L("Tanggal", "Date"), Width: 14},
		{Header: L("Uraian", "Description"), Width: 48}, {Header: L("Ditanggung oleh", "Borne by"), Width: 30}, {Header: L("Jumlah", "Amount"), Width: 18}})
	if err != nil {
		return err
	}
	for _, c := range r.CostLines {
		what := c.Description
		if c.Release {
			what = L("(dibatalkan) ", "(released) ") + what
		}
		if err := costs.Add(c.On, what, c.Council, c.Amount); err != nil {
			return err
		}
	}
	if err := costs.Total(L("Jumlah", "Total"), nil, nil, r.Costs); err != nil {
		return err
	}

	uses, err := b.Sheet(L("Penggunaan", "Uses"), []xlsx.Column{{Header: L("Jenis bantuan", "Aid type"), Width: 40},
		{Header: L("Kabupaten/Kota", "Regency/city"), Width: 26}, {Header: L("Kelompok penerima", "Beneficiary group"), Width: 22},
		{Header: L("Jumlah output", "Outputs"), Width: 14}, {Header: L("Dibiayai dari hasil PUB", "Paid from the collection"), Width: 22}})
	if err != nil {
		return err
	}
	for _, u := range r.UseLines {
		if err := uses.Add(pick(lang, u.AidType, u.AidTypeEN)+" ("+u.Unit+")", u.Regency, label(groupLabels, lang, u.BeneficiaryGroup), u.Outputs, u.Amount); err != nil {
			return err
		}
	}
	if err := uses.Total(L("Jumlah", "Total"), nil, nil, nil, r.Uses); err != nil {
		return err
	}

	exc, err := b.Sheet(L("Pengecualian Izin", "Permit Exceptions"), []xlsx.Column{{Header: L("Tanggal", "Date"), Width: 14},
		{Header: L("Kotak", "Box"), Width: 12}, {Header: L("Referensi", "Reference"), Width: 20}, {Header: L("Diterima oleh", "Received by"), Width: 26},
		{Header: L("Jumlah", "Amount"), Width: 16}, {Header: L("Alasan", "Reason"), Width: 50, Wrap: true}})
	if err != nil {
		return err
	}
	var excepted money.Rupiah
	for _, x := range r.ExceptionLines {
		if err := exc.Add(x.On, deref(x.BoxCode), deref(x.Reference), x.Receiver, x.Amount, x.Reason); err != nil {
			return err
		}
		excepted += x.Amount
	}
	if err := exc.Total(L("Jumlah", "Total"), nil, nil, nil, excepted, nil); err != nil {
		return err
	}
	_, err = b.WriteTo(w)
	return err
}

// boxExceptions counts the box openings among a report's exceptions.
func boxExceptions(r permit.Report) int {
	n := 0
	for _, b := range r.Boxes {
		n += b.Exceptions
	}
	return n
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
