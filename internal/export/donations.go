package export

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

var sourceLabels = map[donation.Source][2]string{
	donation.CSR:         {"CSR perusahaan", "Company CSR"},
	donation.DonationBox: {"Kotak amal", "Donation box"},
	donation.Government:  {"Pemerintah (SKPD)", "Government unit"},
	donation.Individual:  {"Perorangan", "Individual"},
	donation.Business:    {"Usaha", "Business"},
	donation.Community:   {"Komunitas", "Community"},
	donation.Other:       {"Lainnya", "Other"},
}

var kindLabels = map[donation.Kind][2]string{
	donation.Money: {"Uang", "Money"},
	donation.Goods: {"Barang", "Goods"},
}

func label[K comparable](labels map[K][2]string, lang Language, k K) string {
	l, ok := labels[k]
	if !ok {
		return fmt.Sprint(k)
	}
	return pick(lang, l[0], l[1])
}

// DonationColumns are the columns of the donation ledger, in order.
func DonationColumns(lang Language) []xlsx.Column {
	return []xlsx.Column{
		{Header: "ID", Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Tanggal diterima", "Received on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Kode organisasi", "Organization code"), Kind: xlsx.Text, Width: 18},
		{Header: pick(lang, "Organisasi", "Organization"), Kind: xlsx.Text, Width: 32},
		{Header: pick(lang, "Sumber", "Source"), Kind: xlsx.Text, Width: 18},
		{Header: pick(lang, "Jenis", "Kind"), Kind: xlsx.Text, Width: 8},
		{Header: pick(lang, "Mitra", "Partner"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Jumlah", "Amount"), Kind: xlsx.Money, Width: 18},
		{Header: pick(lang, "No. referensi", "Reference"), Kind: xlsx.Text, Width: 20},
		{Header: pick(lang, "Membalik entri", "Reverses entry"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Dibalik oleh", "Reversed by"), Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Alasan pembalikan", "Reversal reason"), Kind: xlsx.Text, Width: 28},
		{Header: pick(lang, "Peruntukan", "Earmark"), Kind: xlsx.Text, Width: 24},
		{Header: pick(lang, "Catatan", "Notes"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Dicatat (UTC)", "Recorded (UTC)"), Kind: xlsx.Instant, Width: 20},
		{Header: pick(lang, "Izin PUB", "Fundraising permit"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Pengecualian izin", "Permit exception"), Kind: xlsx.Text, Width: 30},
	}
}

// Donations writes the donation ledger that f selects, one row per entry and
// reversals as rows of their own linked both ways, with the net total.
func Donations(ctx context.Context, sc auth.Scope, store *donation.Store, f donation.Filter, lang Language, now time.Time, w io.Writer) error {
	return ledger(ctx, w, pick(lang, "Buku Donasi", "Donation Ledger"), xlsx.Properties{
		Title:       pick(lang, "Buku besar donasi", "Donation ledger"),
		Subject:     period(lang, f.From, f.To),
		Description: pick(lang, "Dibuat oleh Sinergi dari data donasi; pembalikan adalah baris tersendiri.", "Made by Sinergi from the donation ledger; reversals are rows of their own."),
		Created:     now,
	}, DonationColumns(lang), func(emit func(...any) error) error {
		return store.Each(ctx, sc, f, func(r donation.LedgerRow) error {
			return emit(r.ID, r.ReceivedOn, r.OrganizationCode, r.OrganizationName, label(sourceLabels, lang, r.Source),
				label(kindLabels, lang, r.Kind), r.PartnerName, r.Amount, r.Reference, r.ReversesID, r.ReversedByID,
				r.ReversalReason, r.EarmarkProgramme, r.Notes, r.CreatedAt, r.PermitNumber, r.PermitException)
		})
	}, func(rows int) string {
		return fmt.Sprintf(pick(lang, "Jumlah bersih (%d entri)", "Net total (%d entries)"), rows)
	})
}

// codeOf returns the code a spreadsheet cell names: the code itself or its
// label in either language, in any case.
func codeOf[K ~string](labels map[K][2]string, s string) (K, bool) {
	for k, l := range labels {
		if strings.EqualFold(s, string(k)) || strings.EqualFold(s, l[0]) || strings.EqualFold(s, l[1]) {
			return k, true
		}
	}
	return "", false
}

// SourceOf reads a donation source as a spreadsheet names it.
func SourceOf(s string) (donation.Source, bool) { return codeOf(sourceLabels, s) }

// KindOf reads a donation kind (money or goods) as a spreadsheet names it.
func KindOf(s string) (donation.Kind, bool) { return codeOf(kindLabels, s) }

// GroupOf reads a beneficiary group as a spreadsheet names it.
func GroupOf(s string) (aid.BeneficiaryGroup, bool) { return codeOf(groupLabels, s) }

// PMKSOf reads a PMKS category as a spreadsheet names it.
func PMKSOf(s string) (aid.PMKS, bool) { return codeOf(pmksLabels, s) }
