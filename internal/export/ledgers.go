package export

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// ledger writes a one-sheet ledger: the columns, the rows that fill emits,
// a totals row labelled by totals(rows).
func ledger(ctx context.Context, w io.Writer, sheet string, props xlsx.Properties, cols []xlsx.Column,
	fill func(emit func(...any) error) error, totals func(rows int) string) error {
	l, err := xlsx.NewLedger(sheet, props, cols)
	if err != nil {
		return fmt.Errorf("start %s: %w", sheet, err)
	}
	defer l.Close()
	if err := l.Fill(ctx, fill); err != nil {
		return err
	}
	if err := l.Finish(totals(l.Rows())); err != nil {
		return fmt.Errorf("finish %s: %w", sheet, err)
	}
	if _, err := l.WriteTo(w); err != nil {
		return fmt.Errorf("write %s: %w", sheet, err)
	}
	return nil
}

// BoxCollections writes the box-collection ledger that f selects.
func BoxCollections(ctx context.Context, sc auth.Scope, store *box.Store, f box.CollectionFilter, lang Language, now time.Time, w io.Writer) error {
	return ledger(ctx, w, pick(lang, "Kotak Amal", "Box Collections"), xlsx.Properties{
		Title:   pick(lang, "Buku pembukaan kotak amal", "Donation box collections"),
		Subject: period(lang, f.From, f.To), Created: now,
		Description: pick(lang, "Setiap pembukaan kotak: dihitung dua orang, disegel ulang, menjadi donasi.",
			"Every box opening: counted by two people, resealed, recorded as a donation."),
	}, []xlsx.Column{
		{Header: "ID", Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Tanggal buka", "Collected on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Kotak", "Box"), Kind: xlsx.Text, Width: 12},
		{Header: pick(lang, "Tempat (mitra)", "Host"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Pemilik", "Owner"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Kabupaten/Kota", "Regency/city"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Pembukaan ke-", "Opening no."), Kind: xlsx.Ordinal, Width: 12},
		{Header: pick(lang, "Jumlah", "Amount"), Kind: xlsx.Money, Width: 16},
		{Header: pick(lang, "Penghitung 1", "Counted by (1)"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "Penghitung 2", "Counted by (2)"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "Segel dilepas", "Seal removed"), Kind: xlsx.Text, Width: 14},
		{Header: pick(lang, "Segel dipasang", "Seal applied"), Kind: xlsx.Text, Width: 14},
		{Header: pick(lang, "Kejadian segel", "Seal incident"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Dilaporkan oleh", "Reported by"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "ID donasi", "Donation ID"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Membalik entri", "Reverses entry"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Dibalik oleh", "Reversed by"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Alasan pembalikan", "Reversal reason"), Kind: xlsx.Text, Width: 28},
		{Header: pick(lang, "Dicatat (UTC)", "Recorded (UTC)"), Kind: xlsx.Instant, Width: 20},
		{Header: pick(lang, "Izin PUB", "Fundraising permit"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Pengecualian izin", "Permit exception"), Kind: xlsx.Text, Width: 30},
	}, func(emit func(...any) error) error {
		return store.Each(ctx, sc, f, func(r box.LedgerRow) error {
			return emit(r.ID, r.CollectedOn, r.BoxCode, r.HostName, r.OwnerCode, r.RegencyName, r.Number, r.Amount,
				r.CountedBy1, r.CountedBy2, r.SealRemoved, r.SealApplied, r.IncidentFound, r.IncidentBy, r.DonationID,
				r.ReversesID, r.ReversedByID, r.ReversalReason, r.CreatedAt, r.PermitNumber, r.PermitException)
		})
	}, func(rows int) string {
		return fmt.Sprintf(pick(lang, "Jumlah (%d entri)", "Total (%d entries)"), rows)
	})
}

var groupLabels = map[aid.BeneficiaryGroup][2]string{
	aid.Elderly: {"Lansia", "Elderly"}, aid.Disabled: {"Penyandang disabilitas", "Disabled"},
	aid.InstitutionGrp: {"Lembaga", "Institution"}, aid.PoorHousehold: {"Rumah tangga miskin", "Poor household"},
	aid.DisasterVictims: {"Korban bencana", "Disaster victims"}, aid.Children: {"Anak", "Children"}, aid.OtherGroup: {"Lainnya", "Other"},
}

var pmksLabels = map[aid.PMKS][2]string{
	aid.Poverty: {"Kemiskinan", "Poverty"}, aid.Neglect: {"Keterlantaran", "Neglect"}, aid.Disability: {"Kecacatan", "Disability"},
	aid.SocialDeviance: {"Ketunaan sosial", "Social deviance"}, aid.Disaster: {"Kebencanaan", "Disaster"},
}

// AidOutputs writes the aid-output ledger that f selects.
func AidOutputs(ctx context.Context, sc auth.Scope, store *aid.Store, f aid.OutputFilter, lang Language, now time.Time, w io.Writer) error {
	return ledger(ctx, w, pick(lang, "Penyaluran Bantuan", "Aid Outputs"), xlsx.Properties{
		Title:   pick(lang, "Buku penyaluran bantuan", "Aid outputs"),
		Subject: period(lang, f.From, f.To), Created: now,
		Description: pick(lang, "Setiap penyaluran bantuan dengan jenis, jumlah, biaya dan penerima.",
			"Every delivery of aid with its type, quantity, cost and beneficiaries."),
	}, []xlsx.Column{
		{Header: "ID", Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Tanggal", "Delivered on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Organisasi", "Organization"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Jenis bantuan", "Aid type"), Kind: xlsx.Text, Width: 34},
		{Header: pick(lang, "Satuan", "Unit"), Kind: xlsx.Text, Width: 8},
		{Header: pick(lang, "Jumlah", "Quantity"), Kind: xlsx.Integer, Width: 10, UnitIn: 4},
		{Header: pick(lang, "Biaya", "Cost"), Kind: xlsx.Money, Width: 16},
		{Header: pick(lang, "Kelompok penerima", "Beneficiary group"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "Kategori PMKS", "PMKS category"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Kabupaten/Kota", "Regency/city"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Lembaga penerima", "Recipient institution"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Catatan", "Notes"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Membalik entri", "Reverses entry"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Dibalik oleh", "Reversed by"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Alasan pembalikan", "Reversal reason"), Kind: xlsx.Text, Width: 28},
		{Header: pick(lang, "Dicatat (UTC)", "Recorded (UTC)"), Kind: xlsx.Instant, Width: 20},
	}, func(emit func(...any) error) error {
		return store.Each(ctx, sc, f, func(r aid.LedgerRow) error {
			name := pick(lang, r.AidTypeName, r.AidTypeNameEN)
			return emit(r.ID, r.DeliveredOn, r.OrganizationCode, name, r.Unit, r.Quantity, r.Cost,
				label(groupLabels, lang, r.BeneficiaryGroup), label(pmksLabels, lang, r.PMKSCategory),
				r.RegencyName, r.InstitutionName, r.Notes, r.ReversesID, r.ReversedByID, r.ReversalReason, r.CreatedAt)
		})
	}, func(rows int) string {
		return fmt.Sprintf(pick(lang, "Jumlah (%d penyaluran)", "Total (%d deliveries)"), rows)
	})
}
