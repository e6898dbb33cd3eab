package export

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"time"

	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

var stateLabels = map[request.State][2]string{
	request.Submitted: {"Diajukan", "Submitted"}, request.Verified: {"Diverifikasi", "Verified"},
	request.Forwarded: {"Diteruskan ke provinsi", "Forwarded to the province"}, request.Approved: {"Disetujui", "Approved"},
	request.Rejected: {"Ditolak", "Rejected"}, request.Fulfilled: {"Terpenuhi", "Fulfilled"}, request.Cancelled: {"Dibatalkan", "Cancelled"},
}

var applicantLabels = map[request.ApplicantKind][2]string{
	request.Person: {"Perorangan", "Person"}, request.InstitutionKind: {"Lembaga", "Institution"},
}

// AidRequestQuery reads the parameters of the aid request ledger: from and
// to or year (received), org (id or code: received or handled in its subtree), state,
// pmks, lang.
func AidRequestQuery(ctx context.Context, sc auth.Scope, orgs *organization.Store, q url.Values) (request.Filter, Language, error) {
	if err := checkParams(q); err != nil {
		return request.Filter{}, "", err
	}
	var f request.Filter
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return f, "", err
	}
	var v fault.InvalidInput
	f.From, f.To = ledgerRange(&v, q)
	if s := q.Get("state"); s != "" {
		st := request.State(strings.ToUpper(s))
		if !st.Valid() {
			v.Add("state", fault.Invalid, "is not a request state")
		}
		f.State = &st
	}
	f.PMKSCategory = pmksParam(&v, q)
	if err := v.Err(); err != nil {
		return f, "", err
	}
	if f.OrganizationID, err = orgParam(ctx, sc, orgs, q, "org"); err != nil {
		return f, "", err
	}
	return f, lang, nil
}

// AidRequests writes the aid request ledger: every request f matches with
// where it stands. The NIK column is whole for admins only.
func AidRequests(ctx context.Context, sc auth.Scope, store *request.Store, f request.Filter, lang Language, now time.Time, w io.Writer) error {
	return ledger(ctx, w, pick(lang, "Permohonan Bantuan", "Aid Requests"), xlsx.Properties{
		Title:   pick(lang, "Buku permohonan bantuan", "Aid requests"),
		Subject: period(lang, f.From, f.To), Created: now,
		Description: pick(lang, "Setiap permohonan bantuan dengan pemohon, bantuan yang diminta dan statusnya. NIK utuh hanya untuk admin.",
			"Every aid request with its applicant, the aid asked for and where it stands. Whole NIKs for admins only."),
	}, []xlsx.Column{
		{Header: "ID", Kind: xlsx.Text, Width: 38},
		{Header: pick(lang, "Diterima", "Received on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Diterima oleh", "Received by"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Ditangani oleh", "Handled by"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Pemohon", "Applicant"), Kind: xlsx.Text, Width: 28},
		{Header: pick(lang, "Jenis pemohon", "Applicant kind"), Kind: xlsx.Text, Width: 14},
		{Header: "NIK", Kind: xlsx.Text, Width: 20},
		{Header: pick(lang, "Alamat", "Address"), Kind: xlsx.Text, Width: 34},
		{Header: pick(lang, "Kabupaten/Kota", "Regency/city"), Kind: xlsx.Text, Width: 26},
		{Header: pick(lang, "Jenis bantuan", "Aid type"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Jumlah", "Quantity"), Kind: xlsx.Integer, Width: 10, UnitIn: 11},
		{Header: pick(lang, "Satuan", "Unit"), Kind: xlsx.Text, Width: 8},
		{Header: pick(lang, "Kategori PMKS", "PMKS category"), Kind: xlsx.Text, Width: 16},
		{Header: pick(lang, "Kelompok penerima", "Beneficiary group"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "Perkiraan biaya", "Estimated budget"), Kind: xlsx.Money, Width: 16},
		{Header: pick(lang, "Status", "State"), Kind: xlsx.Text, Width: 22},
		{Header: pick(lang, "Sejak", "Since"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Anggaran disetujui", "Approved budget"), Kind: xlsx.Money, Width: 18},
		{Header: pick(lang, "Disetujui", "Approved on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Selesai", "Closed on"), Kind: xlsx.Date, Width: 14},
		{Header: pick(lang, "Catatan", "Notes"), Kind: xlsx.Text, Width: 30},
		{Header: pick(lang, "Dicatat (UTC)", "Recorded (UTC)"), Kind: xlsx.Instant, Width: 20},
	}, func(emit func(...any) error) error {
		return store.Each(ctx, sc, f, func(r request.LedgerRow) error {
			shown := r.NIKMasked
			if r.NIK != nil {
				shown = r.NIK
			}
			return emit(r.ID, r.ReceivedOn, r.ReceivedByCode, r.HandlerCode, r.ApplicantName, label(applicantLabels, lang, r.ApplicantKind),
				shown, r.Address, r.RegencyName, pick(lang, r.AidTypeName, r.AidTypeNameEN), r.Quantity, r.Unit,
				label(pmksLabels, lang, r.PMKSCategory), label(groupLabels, lang, r.Group), r.EstimatedBudget,
				label(stateLabels, lang, r.State), r.StateOn, r.ApprovedBudget, r.ApprovedOn, r.ClosedOn, r.Notes, r.CreatedAt)
		})
	}, func(rows int) string {
		return fmt.Sprintf(pick(lang, "Jumlah (%d permohonan)", "Total (%d requests)"), rows)
	})
}
