package export

import (
	"context"
	"io"
	"net/url"
	"time"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/report"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// StatementStores are what a partner statement reads.
type StatementStores struct {
	Funds         *fund.Store // allocations, statements and pledges
	Partners      *partner.Store
	Organizations *organization.Store
	Aid           *aid.Store
	Receipts      *receipt.Store
}

// StatementRequest is a partner statement to write.
type StatementRequest struct {
	PartnerID string
	From, To  calendar.Date
}

// StatementQuery reads the parameters of a partner statement: partner (an
// id or an exact name; a partner account's own by default), from, to or
// year, lang.
func StatementQuery(ctx context.Context, sc auth.Scope, st StatementStores, q url.Values) (StatementRequest, Language, error) {
	if err := checkParams(q); err != nil {
		return StatementRequest{}, "", err
	}
	lang, err := ParseLanguage(q.Get("lang"))
	if err != nil {
		return StatementRequest{}, "", err
	}
	var v fault.InvalidInput
	from, to := dateRange(&v, q)
	year := yearParam(&v, q)
	if err := v.Err(); err != nil {
		return StatementRequest{}, "", err
	}
	loc, err := st.Organizations.CallerLocation(ctx, sc)
	if err != nil {
		return StatementRequest{}, "", err
	}
	var r StatementRequest
	if r.From, r.To, err = report.Period(loc, from, to, year); err != nil {
		return StatementRequest{}, "", err
	}
	ref := q.Get("partner")
	if ref == "" && sc.IsPartner() {
		ref = *sc.Principal().PartnerID
	}
	if ref == "" {
		return StatementRequest{}, "", fault.Refuse("partner", fault.Required, "name the partner by id or name")
	}
	p, err := st.Partners.Find(ctx, sc, ref)
	if err != nil {
		return StatementRequest{}, "", fault.Refuse("partner", fault.Unknown, "no partner has this id or name")
	}
	r.PartnerID = p.ID
	return r, lang, nil
}

// PartnerStatement writes a partner's statement: what it gave, what each
// gift paid for, and what is left, to the rupiah.
func PartnerStatement(ctx context.Context, sc auth.Scope, st StatementStores, r StatementRequest, lang Language, now time.Time, w io.Writer) error {
	s, err := st.Funds.Statement(ctx, sc, r.PartnerID, r.From, r.To)
	if err != nil {
		return err
	}
	p, err := st.Partners.Partner(ctx, sc, r.PartnerID)
	if err != nil {
		return err
	}
	var orgIDs, giftIDs []string
	for _, g := range s.Gifts {
		giftIDs = append(giftIDs, g.Donation.ID)
		orgIDs = append(orgIDs, g.Donation.OrganizationID)
		for _, u := range g.Uses {
			orgIDs = append(orgIDs, u.OrganizationID)
			if u.RegencyID != nil {
				orgIDs = append(orgIDs, *u.RegencyID)
			}
		}
	}
	orgs, err := st.Organizations.ByIDs(ctx, sc, orgIDs)
	if err != nil {
		return err
	}
	orgName := map[string]string{}
	for _, o := range orgs {
		orgName[o.ID] = o.Name
	}
	rs, err := st.Receipts.ByDonationIDs(ctx, sc, giftIDs)
	if err != nil {
		return err
	}
	byGift := map[string][]receipt.Receipt{}
	for _, x := range rs {
		byGift[x.DonationID] = append(byGift[x.DonationID], x)
	}
	types, err := st.Aid.Types(ctx, sc)
	if err != nil {
		return err
	}
	typeName := map[string][2]string{}
	for _, t := range types {
		typeName[t.ID] = [2]string{t.Name + " (" + t.Unit + ")", t.NameEN + " (" + t.Unit + ")"}
	}
	L := func(id, en string) string { return pick(lang, id, en) }
	b, err := xlsx.NewBook(xlsx.Properties{
		Title:       L("Pernyataan mitra ", "Partner statement ") + p.Name,
		Subject:     period(lang, &s.From, &s.To),
		Description: L("Sumbangan mitra, penggunaannya dan sisanya, dari buku Sinergi.", "The partner's gifts, what they paid for and what is left, from Sinergi's ledgers."),
		Created:     now,
		English:     lang == English,
	})
	if err != nil {
		return err
	}
	defer b.Close()

	sum, err := b.Sheet(L("Ringkasan", "Summary"), []xlsx.Column{{Header: L("Uraian", "Item"), Width: 40}, {Header: L("Nilai", "Value"), Width: 40}})
	if err != nil {
		return err
	}
	for _, row := range [][2]any{
		{L("Mitra", "Partner"), p.Name},
		{L("Periode dari", "Period from"), s.From},
		{L("Periode sampai", "Period to"), s.To},
		{L("Jumlah sumbangan", "Gifts"), len(s.Gifts)},
		{L("Diterima (bersih)", "Received (net)"), s.Received},
		{L("Telah digunakan", "Allocated"), s.Allocated},
		{L("Belum digunakan", "Not yet used"), s.Available},
		{L("Dibuat pada (UTC)", "Generated at (UTC)"), now.UTC()},
	} {
		if err := sum.Add(row[0], row[1]); err != nil {
			return err
		}
	}

	gifts, err := b.Sheet(L("Sumbangan", "Gifts"), []xlsx.Column{{Header: L("Tanggal", "Received on"), Width: 14},
		{Header: L("No. tanda terima", "Receipt no."), Width: 22}, {Header: L("Referensi", "Reference"), Width: 20}, {Header: L("Diterima oleh", "Received by"), Width: 30},
		{Header: L("Jenis", "Kind"), Width: 10}, {Header: L("Diterima", "Received"), Width: 18},
		{Header: L("Digunakan", "Allocated"), Width: 18}, {Header: L("Sisa", "Available"), Width: 18}})
	if err != nil {
		return err
	}
	for _, g := range s.Gifts {
		ref := ""
		if g.Donation.Reference != nil {
			ref = *g.Donation.Reference
		}
		number := ""
		if r := receipt.Current(byGift[g.Donation.ID]); r != nil {
			number = r.Number()
		}
		if err := gifts.Add(g.Donation.ReceivedOn, number, ref, orgName[g.Donation.OrganizationID], label(kindLabels, lang, g.Donation.Kind),
			g.Received, g.Allocated, g.Available); err != nil {
			return err
		}
	}
	if err := gifts.Total(L("Jumlah", "Total"), nil, nil, nil, nil, s.Received, s.Allocated, s.Available); err != nil {
		return err
	}

	uses, err := b.Sheet(L("Penggunaan", "Uses"), []xlsx.Column{{Header: L("Sumbangan tanggal", "Gift of"), Width: 16},
		{Header: L("Penggunaan", "Use"), Width: 36}, {Header: L("Kabupaten/Kota", "Regency/city"), Width: 28},
		{Header: L("Kelompok penerima", "Beneficiary group"), Width: 22}, {Header: L("Tanggal salur", "Delivered on"), Width: 14},
		{Header: L("Oleh", "By"), Width: 30}, {Header: L("Jumlah output", "Output quantity"), Width: 14},
		{Header: L("Biaya output", "Output cost"), Width: 18}, {Header: L("Dibiayai sumbangan ini", "Paid by this gift"), Width: 20},
		{Header: L("Bagian", "Share"), Width: 10}})
	if err != nil {
		return err
	}
	for _, g := range s.Gifts {
		for _, u := range g.Uses {
			use, regency, group := "", "", ""
			var delivered any
			var qty, cost, part any
			if u.Operational != nil {
				use = L("Biaya operasional: ", "Operational costs: ") + *u.Operational
			} else {
				use = pick(lang, typeName[*u.AidTypeID][0], typeName[*u.AidTypeID][1])
				regency = orgName[*u.RegencyID]
				group = label(groupLabels, lang, aid.BeneficiaryGroup(*u.BeneficiaryGroup))
				delivered, qty, cost = *u.DeliveredOn, *u.OutputQuantity, *u.OutputCost
				part = share(int64(u.Amount), int64(*u.OutputCost))
			}
			if err := uses.Add(g.Donation.ReceivedOn, use, regency, group, delivered, orgName[u.OrganizationID], qty, cost, u.Amount, part); err != nil {
				return err
			}
		}
	}
	if err := uses.Total(L("Jumlah", "Total"), nil, nil, nil, nil, nil, nil, nil, s.Allocated, nil); err != nil {
		return err
	}

	pledges, err := st.Funds.PledgesOf(ctx, sc, []string{r.PartnerID})
	if err != nil {
		return err
	}
	ps, err := b.Sheet(L("Janji", "Pledges"), []xlsx.Column{{Header: L("Tanggal janji", "Pledged on"), Width: 14},
		{Header: L("Untuk", "Purpose"), Width: 36}, {Header: L("Periode dari", "From"), Width: 12}, {Header: L("Periode sampai", "To"), Width: 12},
		{Header: L("Dijanjikan", "Pledged"), Width: 18}, {Header: L("Dipenuhi", "Fulfilled"), Width: 18},
		{Header: L("Dihapuskan", "Written off"), Width: 18}, {Header: L("Sisa janji", "Outstanding"), Width: 18}})
	if err != nil {
		return err
	}
	for _, p := range pledges {
		if err := ps.Add(p.PledgedOn, p.Purpose, p.From, p.To, p.Amount, p.Fulfilled, p.WrittenOff, p.Outstanding()); err != nil {
			return err
		}
	}
	_, err = b.WriteTo(w)
	return err
}
