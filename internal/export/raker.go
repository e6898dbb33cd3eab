package export

import (
	"context"
	"fmt"
	"io"
	"slices"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/report"
	"github.com/sinergi-id/sinergi/internal/request"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// RakerStores are the stores the Raker book reads; every figure comes from
// the same SQL aggregates as the report query.
type RakerStores struct {
	Organizations *organization.Store
	Partners      *partner.Store
	Donations     *donation.Store
	Aid           *aid.Store
	Boxes         *box.Store
	Programmes    *programme.Store
	Meetings      *meeting.Store
	Funds         *fund.Store
	Requests      *request.Store
}

// rakerData is every figure of the book, read before anything is written.
type rakerData struct {
	balance    fund.Balance
	traced     []fund.Traced
	org        organization.Organization
	coverage   organization.Coverage
	types      map[string]aid.Type
	typeOrder  []string
	regencies  []organization.Organization
	byTypeReg  []aid.Group
	byType     []aid.TypeTotals
	prevByType []aid.TypeTotals
	bySourceMo []donation.Group
	prevSource []donation.Group
	byPartner  []donation.Group
	partners   map[string]partner.Partner
	byKind     []donation.Group
	boxTotals  box.CollectionTotals
	activeBox  int
	perBox     []box.BoxTotal
	byHost     []box.Group
	targets    []programme.Progress
	meetings   []meeting.Meeting
	attendance map[string][]meeting.Attendance
	requests   []request.Figures
	reqPlaces  map[string]organization.Organization
	// The meeting the book is for (the last held in the period), and who
	// signs it then.
	meeting   *meeting.Meeting
	officers  *organization.Officers
	decisions []meeting.Decision
	// Money in per regency of the subtree, then what was recorded above
	// regency level.
	moneyByRegency []report.RegencyMoney
}

func (st RakerStores) read(ctx context.Context, sc auth.Scope, s report.Spec) (rakerData, error) {
	var d rakerData
	var err error
	df := donation.Filter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
	of := aid.OutputFilter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
	cf := box.CollectionFilter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}
	prev := report.Previous(s)
	steps := []func() error{
		func() (err error) { d.org, err = st.Organizations.Organization(ctx, sc, s.OrganizationID); return },
		func() (err error) { d.coverage, err = st.Organizations.Coverage(ctx, sc, s.OrganizationID); return },
		func() (err error) { d.balance, err = st.Funds.Balance(ctx, sc, s.OrganizationID, s.From, s.To); return },
		func() (err error) {
			d.traced, err = st.Funds.TracedByPartner(ctx, sc, s.OrganizationID, s.From, s.To)
			return
		},
		func() (err error) { d.byTypeReg, err = st.Aid.ByTypeAndRegency(ctx, sc, of); return },
		func() (err error) { d.byType, err = st.Aid.TotalsByType(ctx, sc, of); return },
		func() (err error) {
			d.prevByType, err = st.Aid.TotalsByType(ctx, sc, aid.OutputFilter{From: &prev.From, To: &prev.To, OrganizationID: &s.OrganizationID})
			return
		},
		func() (err error) { d.bySourceMo, err = st.Donations.BySourceAndMonth(ctx, sc, df); return },
		func() (err error) {
			d.prevSource, err = st.Donations.BySourceAndMonth(ctx, sc, donation.Filter{From: &prev.From, To: &prev.To, OrganizationID: &s.OrganizationID})
			return
		},
		func() (err error) { d.byPartner, err = st.Donations.ByPartner(ctx, sc, df); return },
		func() (err error) { d.byKind, err = st.Donations.ByKind(ctx, sc, df); return },
		func() (err error) { d.boxTotals, err = st.Boxes.CollectionTotals(ctx, sc, cf); return },
		func() (err error) {
			d.activeBox, err = st.Boxes.ActiveBoxes(ctx, sc, s.OrganizationID, s.From, s.To)
			return
		},
		func() (err error) { d.perBox, err = st.Boxes.CollectionsByBox(ctx, sc, cf); return },
		func() (err error) { d.byHost, err = st.Boxes.CollectionsByHost(ctx, sc, cf); return },
		func() (err error) {
			d.targets, err = st.Programmes.Progress(ctx, sc, s.OrganizationID, s.From, s.To)
			return
		},
		func() (err error) {
			d.requests, err = st.Requests.ByRegency(ctx, sc, s.OrganizationID, s.From, s.To)
			return
		},
		func() (err error) {
			d.moneyByRegency, err = report.MoneyByRegency(ctx, sc, st.Organizations, st.Donations, s, false)
			return
		},
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return d, err
		}
	}
	types, err := st.Aid.Types(ctx, sc)
	if err != nil {
		return d, err
	}
	d.types = map[string]aid.Type{}
	for _, t := range types {
		d.types[t.ID] = t
		d.typeOrder = append(d.typeOrder, t.ID)
	}
	// Every regency of the subtree, with nothing delivered or not, and any
	// outside it that an output went to.
	var regencyIDs, partnerIDs []string
	if d.org.Kind == organization.RegencyCouncil {
		regencyIDs = append(regencyIDs, d.org.ID)
	}
	kind, all := organization.RegencyCouncil, page.Max
	under, err := st.Organizations.List(ctx, sc, organization.Filter{Under: &s.OrganizationID, Kind: &kind}, page.Request{First: &all})
	if err != nil {
		return d, err
	}
	for _, o := range under.Items {
		regencyIDs = append(regencyIDs, o.ID)
	}
	for _, g := range d.byTypeReg {
		if !slices.Contains(regencyIDs, g.RegencyID) {
			regencyIDs = append(regencyIDs, g.RegencyID)
		}
	}
	if d.regencies, err = st.Organizations.ByIDs(ctx, sc, regencyIDs); err != nil {
		return d, err
	}
	var requestPlaces []string
	for _, f := range d.requests {
		requestPlaces = append(requestPlaces, f.RegencyID)
	}
	places, err := st.Organizations.ByIDs(ctx, sc, requestPlaces)
	if err != nil {
		return d, err
	}
	d.reqPlaces = map[string]organization.Organization{}
	for _, o := range places {
		d.reqPlaces[o.ID] = o
	}
	slices.SortFunc(d.requests, func(a, b request.Figures) int {
		return compare(d.reqPlaces[a.RegencyID].Name, d.reqPlaces[b.RegencyID].Name)
	})
	slices.SortFunc(d.regencies, func(a, b organization.Organization) int { return compare(a.Code, b.Code) })
	for _, g := range d.byPartner {
		if g.Key != "" {
			partnerIDs = append(partnerIDs, g.Key)
		}
	}
	for _, x := range d.traced {
		if x.PartnerID != "" && !slices.Contains(partnerIDs, x.PartnerID) {
			partnerIDs = append(partnerIDs, x.PartnerID)
		}
	}
	ps, err := st.Partners.ByIDs(ctx, sc, partnerIDs)
	if err != nil {
		return d, err
	}
	d.partners = map[string]partner.Partner{}
	for _, p := range ps {
		d.partners[p.ID] = p
	}
	first := page.Max
	meetings, err := st.Meetings.List(ctx, sc, meeting.Filter{From: &s.From, To: &s.To, OrganizationID: &s.OrganizationID}, page.Request{First: &first})
	if err != nil {
		return d, err
	}
	d.meetings = meetings.Items
	var ids []string
	for _, m := range d.meetings {
		ids = append(ids, m.ID)
	}
	att, err := st.Meetings.AttendanceOf(ctx, sc, ids)
	if err != nil {
		return d, err
	}
	d.attendance = map[string][]meeting.Attendance{}
	for _, a := range att {
		d.attendance[a.MeetingID] = append(d.attendance[a.MeetingID], a)
	}
	if d.decisions, err = st.Meetings.DecisionsOf(ctx, sc, ids); err != nil {
		return d, err
	}
	signedOn := s.To
	for i := range d.meetings {
		if m := &d.meetings[i]; d.meeting == nil || !m.HeldOn.Before(d.meeting.HeldOn) {
			d.meeting = m
		}
	}
	if d.meeting != nil {
		signedOn = d.meeting.HeldOn
	}
	d.officers, err = st.Organizations.OfficersOn(ctx, sc, d.org.ID, signedOn)
	return d, err
}

func compare(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

var participantLabels = map[meeting.Group][2]string{
	meeting.RegencySocialOffice: {"Dinas sosial kabupaten/kota", "Regency social offices"}, meeting.RegencyPlanningBoard: {"Bappeda kabupaten/kota", "Regency planning boards"},
	meeting.RegencyCouncil: {"KKKS kabupaten/kota", "Regency councils"}, meeting.ProvinceCouncil: {"BKKKS provinsi", "Provincial council"},
	meeting.ProvinceGovernmentUnit: {"SKPD provinsi", "Provincial government units"}, meeting.Institution: {"Lembaga / yayasan", "Institutions"},
	meeting.Other: {"Lainnya", "Other"},
}

func share(part, whole int64) any {
	if whole == 0 {
		return nil
	}
	return xlsx.Percent(float64(part) / float64(whole))
}

// Raker writes the book of a work meeting for the subtree and period of s.
func Raker(ctx context.Context, sc auth.Scope, st RakerStores, s report.Spec, lang Language, now time.Time, w io.Writer) error {
	d, err := st.read(ctx, sc, s)
	if err != nil {
		return err
	}
	L := func(id, en string) string { return pick(lang, id, en) }
	b, err := xlsx.NewBook(xlsx.Properties{
		Title:       L("Buku Rapat Kerja ", "Work meeting book ") + d.org.Name,
		Subject:     period(lang, &s.From, &s.To),
		Description: L("Dibuat oleh Sinergi dari data yang tercatat; setiap angka sama dengan kueri report.", "Made by Sinergi from the recorded data; every figure equals the report query."),
		Created:     now,
		English:     lang == English,
	})
	if err != nil {
		return err
	}
	defer b.Close()

	// Figures the summary repeats from the sheets after it.
	var net, cash, goods money.Rupiah
	for _, g := range d.byKind {
		net += g.Amount
		if g.Kind() == donation.Money {
			cash += g.Amount
		} else {
			goods += g.Amount
		}
	}
	// Quantities add up only within one unit: 5 kg and 3 paket are not 8
	// of anything. When the types delivered count in several units, the
	// summary says how many types were delivered and the outputs sheet
	// leaves its quantity total empty; the cost totals either way.
	var outQty int64
	var outCost money.Rupiah
	units := map[string]bool{}
	typesDelivered := 0 // net of reversals
	for _, t := range d.byType {
		outQty += t.Quantity
		outCost += t.Cost
		units[d.types[t.AidTypeID].Unit] = true
		if t.Quantity != 0 {
			typesDelivered++
		}
	}
	delivered := [2]any{L("Jenis bantuan tersalur", "Aid types delivered"), typesDelivered}
	var qtyTotal any
	if len(units) == 1 {
		unit := d.types[d.byType[0].AidTypeID].Unit
		delivered = [2]any{L("Bantuan tersalur ("+unit+")", "Aid delivered ("+unit+")"), outQty}
		qtyTotal = outQty
	}
	attendees := 0
	for _, as := range d.attendance {
		for _, a := range as {
			attendees += a.Attendees
		}
	}

	title := []string{d.org.Name, L("Buku Rapat Kerja", "Work meeting book"),
		L("Periode evaluasi: ", "Period evaluated: ") + longDate(lang, s.From) + " – " + longDate(lang, s.To)}
	if m := d.meeting; m != nil {
		title[1] = m.Title
		title = append(title, L("Rapat: ", "Meeting: ")+longDate(lang, m.HeldOn)+", "+m.Place)
	}
	sum, err := b.TitledSheet(L("Ringkasan", "Summary"), title, []xlsx.Column{{Header: L("Uraian", "Item"), Width: 46}, {Header: L("Nilai", "Value"), Width: 22}})
	if err != nil {
		return err
	}
	for _, row := range [][2]any{
		{L("Organisasi", "Organization"), d.org.Name},
		{L("Periode dari", "Period from"), s.From},
		{L("Periode sampai", "Period to"), s.To},
		{L("Dewan (provinsi, kabupaten/kota) tercakup", "Councils covered"), d.coverage.Councils},
		{L("Lembaga tercakup", "Institutions covered"), d.coverage.Institutions},
		{L("Dana masuk bersih", "Money in, net"), net},
		{L("  berupa uang", "  as money"), cash},
		{L("  berupa barang (taksiran)", "  as goods (estimated)"), goods},
		{L("Kotak amal aktif", "Donation boxes in service"), d.activeBox},
		{L("Pembukaan kotak amal", "Box openings"), d.boxTotals.Openings},
		{L("Hasil kotak amal", "Collected from boxes"), d.boxTotals.Amount},
		delivered,
		{L("Biaya bantuan tersalur", "Cost of aid delivered"), outCost},
		{L("Peserta rapat kerja", "Work meeting participants"), attendees},
	} {
		if err := sum.Add(row[0], row[1]); err != nil {
			return err
		}
	}

	// The charts' page follows the summary; they are drawn at the end, from
	// the sheets they plot.
	charts, err := b.Sheet(L("Grafik", "Charts"), nil)
	if err != nil {
		return err
	}

	// Outputs: by aid type, then each regency's by aid type (regencies as
	// rows, so that many regencies print as more pages, never smaller).
	out, err := b.Sheet(L("Bantuan", "Outputs"), []xlsx.Column{{Header: L("Jenis bantuan", "Aid type"), Width: 36},
		{Header: L("Satuan", "Unit"), Width: 8}, {Header: L("Jumlah", "Total"), Width: 10}, {Header: L("Biaya", "Cost"), Width: 16}})
	if err != nil {
		return err
	}
	for _, tt := range d.byType {
		t := d.types[tt.AidTypeID]
		if err := out.Add(pick(lang, t.Name, t.NameEN), t.Unit, tt.Quantity, tt.Cost); err != nil {
			return err
		}
	}
	if err := out.Total(L("Jumlah", "Total"), nil, qtyTotal, outCost); err != nil {
		return err
	}
	cols := []xlsx.Column{{Header: L("Kabupaten/Kota", "Regency/city"), Width: 26}}
	for _, tt := range d.byType {
		t := d.types[tt.AidTypeID]
		cols = append(cols, xlsx.Column{Header: pick(lang, t.Name, t.NameEN) + " (" + t.Unit + ")", Width: 13})
	}
	cols = append(cols, xlsx.Column{Header: L("Biaya", "Cost"), Width: 16})
	byRegency, err := b.Sheet(L("Bantuan per Wilayah", "Outputs by Regency"), cols)
	if err != nil {
		return err
	}
	for _, r := range d.regencies {
		row := []any{r.Name}
		var cost money.Rupiah
		for _, tt := range d.byType {
			var q int64
			for _, g := range d.byTypeReg {
				if g.Key == tt.AidTypeID && g.RegencyID == r.ID {
					q, cost = g.Quantity, cost+g.Cost
				}
			}
			row = append(row, q)
		}
		if err := byRegency.Add(append(row, cost)...); err != nil {
			return err
		}
	}
	totals := []any{L("Jumlah", "Total")}
	for _, tt := range d.byType {
		totals = append(totals, tt.Quantity)
	}
	if err := byRegency.Total(append(totals, outCost)...); err != nil {
		return err
	}

	// Money in: a month per row, a source per column.
	months := report.Months(s)
	sources := []donation.Source{donation.CSR, donation.DonationBox, donation.Government, donation.Individual, donation.Business, donation.Community, donation.Other}
	cols = []xlsx.Column{{Header: L("Bulan", "Month"), Width: 10}}
	for _, src := range sources {
		cols = append(cols, xlsx.Column{Header: label(sourceLabels, lang, src), Width: 13})
	}
	cols = append(cols, xlsx.Column{Header: L("Jumlah", "Total"), Width: 15})
	moneyIn, err := b.Sheet(L("Dana Masuk", "Money In"), cols)
	if err != nil {
		return err
	}
	sourceTotals := make([]money.Rupiah, len(sources))
	for _, m := range months {
		row := []any{monthName(lang, m)}
		var total money.Rupiah
		for i, src := range sources {
			var a money.Rupiah
			for _, g := range d.bySourceMo {
				if donation.Source(g.Key) == src && g.Month == m {
					a = g.Amount
				}
			}
			sourceTotals[i] += a
			total += a
			row = append(row, a)
		}
		if err := moneyIn.Add(append(row, total)...); err != nil {
			return err
		}
	}
	totals = []any{L("Jumlah", "Total")}
	for _, a := range sourceTotals {
		totals = append(totals, a)
	}
	if err := moneyIn.Total(append(totals, net)...); err != nil {
		return err
	}
	moneyTotalsRow := moneyIn.Row()

	// Money in per regency: what each regency council and the institutions
	// under it recorded, then the councils above regency level.
	moneyReg, err := b.Sheet(L("Dana per Wilayah", "Money by Regency"), []xlsx.Column{{Header: L("Kabupaten/Kota", "Regency/city"), Width: 34},
		{Header: L("Donasi", "Gifts"), Width: 10}, {Header: L("Jumlah", "Total"), Width: 18}})
	if err != nil {
		return err
	}
	var regGifts int
	var regTotal money.Rupiah
	for _, x := range d.moneyByRegency {
		name := L("Dicatat di luar kabupaten/kota", "Recorded outside any regency")
		if x.RegencyID != nil {
			for _, r := range d.regencies {
				if r.ID == *x.RegencyID {
					name = r.Name
				}
			}
		}
		regGifts, regTotal = regGifts+x.Donations, regTotal+x.Amount
		if err := moneyReg.Add(name, x.Donations, x.Amount); err != nil {
			return err
		}
	}
	if err := moneyReg.Total(L("Jumlah", "Total"), regGifts, regTotal); err != nil {
		return err
	}

	// Donation boxes: per box, then per host.
	boxes, err := b.Sheet(L("Kotak Amal", "Donation Boxes"), []xlsx.Column{{Header: L("Kotak", "Box"), Width: 12},
		{Header: L("Tempat (mitra)", "Host"), Width: 28}, {Header: L("Kabupaten/Kota", "Regency/city"), Width: 28},
		{Header: L("Pembukaan", "Openings"), Width: 12}, {Header: L("Jumlah", "Total"), Width: 18},
		{Header: L("Kejadian segel", "Seal incidents"), Width: 16}, {Header: L("Pengecualian izin PUB", "Permit exceptions"), Width: 16}})
	if err != nil {
		return err
	}
	incidents, exceptions := 0, 0
	for _, x := range d.perBox {
		incidents += x.Incidents
		exceptions += x.Exceptions
		if err := boxes.Add(x.Code, x.Host, x.Regency, x.Openings, x.Total, x.Incidents, x.Exceptions); err != nil {
			return err
		}
	}
	if err := boxes.Total(L("Jumlah", "Total"), nil, nil, d.boxTotals.Openings, d.boxTotals.Amount, incidents, exceptions); err != nil {
		return err
	}
	boxes.Skip()
	hostNames, err := st.Partners.ByIDs(ctx, sc, keys(d.byHost))
	if err != nil {
		return err
	}
	for _, h := range d.byHost {
		name := h.Key
		for _, p := range hostNames {
			if p.ID == h.Key {
				name = p.Name
			}
		}
		if err := boxes.Add(L("Per tempat", "By host"), name, fmt.Sprintf(L("%d kotak", "%d boxes"), h.Boxes), h.Openings, h.Total); err != nil {
			return err
		}
	}

	// Partners: what each gave.
	parts, err := b.Sheet(L("Mitra", "Partners"), []xlsx.Column{{Header: L("Mitra", "Partner"), Width: 36},
		{Header: L("Jenis mitra", "Kind"), Width: 18}, {Header: L("Donasi", "Donations"), Width: 10}, {Header: L("Jumlah", "Total"), Width: 18}})
	if err != nil {
		return err
	}
	for _, g := range d.byPartner {
		name, kind := L("Tanpa nama (anonim)", "Anonymous"), ""
		if p, ok := d.partners[g.Key]; ok {
			name, kind = p.Name, label(partnerKindLabels, lang, p.Kind)
		}
		if err := parts.Add(name, kind, g.Count, g.Amount); err != nil {
			return err
		}
	}
	if err := parts.Total(L("Jumlah", "Total"), nil, nil, net); err != nil {
		return err
	}

	if err := fundSheets(b, d, lang); err != nil {
		return err
	}

	// Targets against realisation.
	tg, err := b.Sheet(L("Target", "Targets"), []xlsx.Column{{Header: L("Jenis bantuan", "Aid type"), Width: 36},
		{Header: L("Tahun", "Year"), Width: 8}, {Header: L("Target", "Target"), Width: 10}, {Header: L("Realisasi", "Realised"), Width: 10},
		{Header: "%", Width: 8}, {Header: L("Anggaran", "Budget"), Width: 18}, {Header: L("Biaya realisasi", "Realised cost"), Width: 18}, {Header: "% ", Width: 8}})
	if err != nil {
		return err
	}
	for _, t := range d.targets {
		at := d.types[t.AidTypeID]
		if err := tg.Add(pick(lang, at.Name, at.NameEN), xlsx.Year(t.Year), t.TargetQuantity, t.RealisedQuantity,
			share(t.RealisedQuantity, int64(t.TargetQuantity)), t.Budget, t.RealisedCost, share(int64(t.RealisedCost), int64(t.Budget))); err != nil {
			return err
		}
		// The council's note, under its figures.
		if t.Narrative != "" {
			if err := tg.Note(L("Catatan: ", "Note: ")+t.Narrative, 8); err != nil {
				return err
			}
		}
	}

	// Aid requests by the applicant's regency: received, decided, fulfilled
	// and withdrawn in the period, and still waiting at its end.
	rq, err := b.Sheet(L("Permohonan", "Requests"), []xlsx.Column{{Header: L("Kabupaten/Kota", "Regency/city"), Width: 30},
		{Header: L("Diterima", "Received"), Width: 11}, {Header: L("Disetujui", "Approved"), Width: 11}, {Header: L("Ditolak", "Rejected"), Width: 11},
		{Header: L("Terpenuhi", "Fulfilled"), Width: 11}, {Header: L("Dibatalkan", "Cancelled"), Width: 11},
		{Header: L("Menunggu (akhir periode)", "Waiting (period end)"), Width: 16}})
	if err != nil {
		return err
	}
	var rt request.Figures
	for _, f := range d.requests {
		if err := rq.Add(d.reqPlaces[f.RegencyID].Name, f.Received, f.Approved, f.Rejected, f.Fulfilled, f.Cancelled, f.Waiting); err != nil {
			return err
		}
		rt.Received, rt.Approved, rt.Rejected = rt.Received+f.Received, rt.Approved+f.Approved, rt.Rejected+f.Rejected
		rt.Fulfilled, rt.Cancelled, rt.Waiting = rt.Fulfilled+f.Fulfilled, rt.Cancelled+f.Cancelled, rt.Waiting+f.Waiting
	}
	if err := rq.Total(L("Jumlah", "Total"), rt.Received, rt.Approved, rt.Rejected, rt.Fulfilled, rt.Cancelled, rt.Waiting); err != nil {
		return err
	}

	// Comparison with the previous period of equal length.
	prev := report.Previous(s)
	cmp, err := b.Sheet(L("Perbandingan", "Comparison"), []xlsx.Column{{Header: L("Uraian", "Item"), Width: 36},
		{Header: span(s.From, s.To), Width: 24}, {Header: span(prev.From, prev.To), Width: 24},
		{Header: L("Selisih", "Change"), Width: 18}})
	if err != nil {
		return err
	}
	for _, id := range d.typeOrder {
		var now_, before int64
		for _, t := range d.byType {
			if t.AidTypeID == id {
				now_ = t.Quantity
			}
		}
		for _, t := range d.prevByType {
			if t.AidTypeID == id {
				before = t.Quantity
			}
		}
		if now_ == 0 && before == 0 {
			continue
		}
		t := d.types[id]
		if err := cmp.Add(pick(lang, t.Name, t.NameEN)+" ("+t.Unit+")", now_, before, now_-before); err != nil {
			return err
		}
	}
	for _, src := range sources {
		var now_, before money.Rupiah
		for _, g := range d.bySourceMo {
			if donation.Source(g.Key) == src {
				now_ += g.Amount
			}
		}
		for _, g := range d.prevSource {
			if donation.Source(g.Key) == src {
				before += g.Amount
			}
		}
		if err := cmp.Add(L("Dana: ", "Money: ")+label(sourceLabels, lang, src), now_, before, now_-before); err != nil {
			return err
		}
	}

	// Attendance of the work meetings held in the period.
	att, err := b.Sheet(L("Kehadiran", "Attendance"), []xlsx.Column{{Header: L("Rapat", "Meeting"), Width: 40},
		{Header: L("Tanggal", "Date"), Width: 12}, {Header: L("Tempat", "Place"), Width: 16},
		{Header: L("Kelompok peserta", "Participant group"), Width: 30}, {Header: L("Peserta", "Participants"), Width: 12}})
	if err != nil {
		return err
	}
	for _, m := range d.meetings {
		total := 0
		for i, a := range d.attendance[m.ID] {
			total += a.Attendees
			// The meeting is named on its first row only.
			row := []any{nil, nil, nil, label(participantLabels, lang, a.Group), a.Attendees}
			if i == 0 {
				row[0], row[1], row[2] = m.Title, m.HeldOn, m.Place
			}
			if err := att.Add(row...); err != nil {
				return err
			}
		}
		if err := att.Total(nil, nil, nil, L("Jumlah", "Total"), total); err != nil {
			return err
		}
	}

	// What the meetings of the period decided and recommended.
	dec, err := b.Sheet(L("Keputusan Rapat", "Decisions"), []xlsx.Column{{Header: L("No.", "No."), Width: 5},
		{Header: L("Jenis", "Kind"), Width: 14}, {Header: L("Isi", "Text"), Width: 56, Wrap: true}})
	if err != nil {
		return err
	}
	for _, kind := range []meeting.DecisionKind{meeting.Decided, meeting.Recommended} {
		n := 0
		for _, x := range d.decisions {
			if x.Kind == kind {
				n++
				if err := dec.Add(n, label(decisionLabels, lang, kind), x.Text); err != nil {
					return err
				}
			}
		}
	}

	// What this book is: filters, period, when and from what it was made.
	about, err := b.Sheet(L("Keterangan", "About"), []xlsx.Column{{Header: L("Keterangan", "Item"), Width: 30}, {Header: L("Isi", "Value"), Width: 70}})
	if err != nil {
		return err
	}
	for _, row := range [][2]any{
		{L("Organisasi (dan seluruh bawahannya)", "Organization (and all below it)"), d.org.Name + " (" + d.org.Code + ")"},
		{L("Periode", "Period"), span(s.From, s.To)},
		{L("Periode pembanding", "Compared with"), span(prev.From, prev.To)},
		{L("Dibuat pada (UTC)", "Generated at (UTC)"), now.UTC()},
		{L("Sumber data", "Data"), L("Basis data Sinergi: buku donasi, kotak amal, penyaluran bantuan, target program, rapat kerja.",
			"Sinergi database: donation ledger, box collections, aid outputs, programme targets, work meetings.")},
		{L("Catatan", "Note"), L("Uang dalam rupiah penuh; dana bersih setelah pembalikan.", "Money in whole rupiah; net of reversals.")},
	} {
		if err := about.Add(row[0], row[1]); err != nil {
			return err
		}
	}
	if err := signatures(about, d, s, lang); err != nil {
		return err
	}

	// Charts on a page of their own, each in one unit (rupiah), values on
	// the bars, dark labels that survive a black-and-white copy.
	below := 1
	if len(d.regencies) > 0 {
		n := byRegency.Row() - 1 // the last regency's row
		costCol := len(d.byType) + 2
		if err := charts.Chart(fmt.Sprintf("A%d", below), rupiahBars(L("Biaya bantuan tersalur per kabupaten/kota", "Cost of aid delivered by regency"),
			byRegency.Range(1, 2, 1, n), byRegency.Range(costCol, 2, costCol, n), len(d.regencies))); err != nil {
			return fmt.Errorf("outputs chart: %w", err)
		}
		below += 2 + chartRows(len(d.regencies))
	}
	if err := charts.Chart(fmt.Sprintf("A%d", below), rupiahBars(L("Dana masuk menurut sumber", "Money in by source"),
		moneyIn.Range(2, 1, 1+len(sources), 1), moneyIn.Range(2, moneyTotalsRow, 1+len(sources), moneyTotalsRow), len(sources))); err != nil {
		return fmt.Errorf("money chart: %w", err)
	}
	if _, err := b.WriteTo(w); err != nil {
		return fmt.Errorf("write Raker book: %w", err)
	}
	return nil
}

func keys(groups []box.Group) []string {
	out := make([]string, len(groups))
	for i, g := range groups {
		out[i] = g.Key
	}
	return out
}

// fundSheets writes where the money went: the fund balance by source with
// the budgets of the period's targets against what was spent on each aid
// type, and each partner's gifts traced to what they paid for.
func fundSheets(b *xlsx.Book, d rakerData, lang Language) error {
	L := func(id, en string) string { return pick(lang, id, en) }
	funds, err := b.Sheet(L("Dana", "Funds"), []xlsx.Column{{Header: L("Sumber", "Source"), Width: 24},
		{Header: L("Saldo awal", "Opening"), Width: 18}, {Header: L("Diterima", "Received"), Width: 18},
		{Header: L("Untuk bantuan", "To aid outputs"), Width: 18}, {Header: L("Biaya operasional", "Operational costs"), Width: 18},
		{Header: L("Saldo akhir", "Closing"), Width: 18}, {Header: L("Terikat", "Restricted"), Width: 18}})
	if err != nil {
		return err
	}
	for _, x := range d.balance.BySource {
		if err := funds.Add(label(sourceLabels, lang, donation.Source(x.Source)), x.Opening, x.Received, x.ToOutputs, x.ToOperational,
			x.Closing, x.Restricted); err != nil {
			return err
		}
	}
	bal := d.balance
	if err := funds.Total(L("Jumlah", "Total"), bal.Opening, bal.Received, bal.ToOutputs, bal.ToOperational, bal.Closing, bal.Restricted); err != nil {
		return err
	}
	funds.Skip()
	spent := map[string]money.Rupiah{}
	for _, x := range d.traced {
		spent[x.AidTypeID] += x.Amount
	}
	budget := map[string]money.Rupiah{}
	for _, t := range d.targets {
		budget[t.AidTypeID] += t.Budget
	}
	if err := funds.Total(L("Anggaran dan belanja per jenis bantuan", "Budget and spending by aid type"),
		L("Anggaran target", "Target budget"), L("Dibiayai sumbangan", "Paid from gifts"), "%"); err != nil {
		return err
	}
	for _, id := range d.typeOrder {
		if budget[id] == 0 && spent[id] == 0 {
			continue
		}
		t := d.types[id]
		if err := funds.Add(pick(lang, t.Name, t.NameEN), budget[id], spent[id], share(int64(spent[id]), int64(budget[id]))); err != nil {
			return err
		}
	}
	if spent[""] != 0 {
		if err := funds.Add(L("Biaya operasional", "Operational costs"), nil, spent[""], nil); err != nil {
			return err
		}
	}

	traced, err := b.Sheet(L("Jejak Dana", "Traced Gifts"), []xlsx.Column{{Header: L("Mitra", "Partner"), Width: 36},
		{Header: L("Digunakan untuk", "Paid for"), Width: 40}, {Header: L("Penyaluran", "Outputs"), Width: 12},
		{Header: L("Jumlah", "Amount"), Width: 18}})
	if err != nil {
		return err
	}
	var total money.Rupiah
	for _, x := range d.traced {
		name := L("Tanpa nama (anonim)", "Anonymous")
		if p, ok := d.partners[x.PartnerID]; ok {
			name = p.Name
		}
		use := L("Biaya operasional", "Operational costs")
		if t, ok := d.types[x.AidTypeID]; ok {
			use = pick(lang, t.Name, t.NameEN)
		}
		total += x.Amount
		if err := traced.Add(name, use, x.Outputs, x.Amount); err != nil {
			return err
		}
	}
	return traced.Total(L("Jumlah", "Total"), nil, nil, total)
}

var decisionLabels = map[meeting.DecisionKind][2]string{meeting.Decided: {"Keputusan", "Decision"}, meeting.Recommended: {"Rekomendasi", "Recommendation"}}

var partnerKindLabels = map[partner.Kind][2]string{
	partner.CSRCompany: {"Perusahaan (CSR)", "CSR company"}, partner.Retail: {"Jaringan ritel", "Retail chain"},
	partner.GovernmentUnit: {"Instansi pemerintah (SKPD)", "Government unit"}, partner.Individual: {"Perorangan", "Individual"},
	partner.Business: {"Usaha", "Business"}, partner.Community: {"Kelompok masyarakat", "Community group"},
}

// monthName is how a month heads a column: "Jan 2014", "Agu 2014".
func monthName(lang Language, m calendar.Date) string {
	id := []string{"Jan", "Feb", "Mar", "Apr", "Mei", "Jun", "Jul", "Agu", "Sep", "Okt", "Nov", "Des"}
	en := []string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}
	return fmt.Sprintf("%s %d", pick(lang, id[m.Month-1], en[m.Month-1]), m.Year)
}

// rupiahBars is a horizontal bar chart of n rupiah figures, each bar
// labelled with its value: one series, so no legend; black text.
func rupiahBars(title, categories, values string, n int) *excelize.Chart {
	black := excelize.Font{Color: "000000", Family: xlsx.Font, Size: 9}
	gap := uint(60)
	return &excelize.Chart{Type: excelize.Bar,
		Title:     excelize.ChartTitle{Paragraph: []excelize.RichTextRun{{Text: title, Font: &excelize.Font{Bold: true, Color: "000000", Family: xlsx.Font, Size: 11}}}},
		Series:    []excelize.ChartSeries{{Name: title, Categories: categories, Values: values, Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"4F6D8F"}}, DataLabel: excelize.ChartDataLabel{Font: black}}},
		Legend:    excelize.ChartLegend{Position: "none"},
		PlotArea:  excelize.ChartPlotArea{ShowVal: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: millionsOneDecimal}},
		XAxis:     excelize.ChartAxis{Font: black, ReverseOrder: true},
		YAxis:     excelize.ChartAxis{Font: black, MajorGridLines: true, NumFmt: excelize.ChartNumFmt{CustomNumFmt: millions}},
		GapWidth:  &gap,
		Dimension: excelize.ChartDimension{Width: 560, Height: uint(chartRows(n) * 20)},
	}
}

// Charts write rupiah in millions (juta), as Indonesians abbreviate them:
// Rp 260,2 jt; the tables beside them hold the exact figures.
const (
	millions           = `[$-421]"Rp "#,##0,," jt"`
	millionsOneDecimal = `[$-421]"Rp "#,##0.0,," jt"`
)

// chartRows is how many rows of the sheet a bar chart of n bars covers.
func chartRows(n int) int { return 4 + 3*n/2 }

// signatures ends the book with the officers in office on the meeting day
// (or the period's last day) signing where the council sits.
func signatures(sh *xlsx.Sheet, d rakerData, s report.Spec, lang Language) error {
	on := s.To
	if d.meeting != nil {
		on = d.meeting.HeldOn
	}
	place, chair, secretary := "", "", ""
	if f := d.officers; f != nil {
		place, chair, secretary = f.Seat+", ", f.ChairName, f.SecretaryName
	}
	return sh.Signatures(place+longDate(lang, on),
		xlsx.Signer{Office: pick(lang, "Ketua ", "Chair, ") + d.org.Name, Name: chair},
		xlsx.Signer{Office: pick(lang, "Sekretaris ", "Secretary, ") + d.org.Name, Name: secretary})
}

// longDate writes a date in words: 17 Juli 2014, 17 July 2014.
func longDate(lang Language, d calendar.Date) string {
	id := []string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}
	return fmt.Sprintf("%d %s %d", d.Day, pick(lang, id[d.Month-1], d.Month.String()), d.Year)
}

// span writes a period as Indonesians write dates: 01/01/2014 – 31/12/2014.
func span(from, to calendar.Date) string {
	return from.Time().Format("02/01/2006") + " – " + to.Time().Format("02/01/2006")
}
