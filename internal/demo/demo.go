// Package demo loads a deterministic picture of the Bali provincial council
// and its nine regency/city councils for 2013 and 2014: institutions,
// partners, donations, donation boxes with monthly collections, aid outputs
// (the 2014 figures of the council's Raker report), programme targets and
// the 2014 Raker. People and companies are invented.
package demo

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fund"
	"github.com/sinergi-id/sinergi/internal/meeting"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/nik"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/page"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/permit"
	"github.com/sinergi-id/sinergi/internal/programme"
	"github.com/sinergi-id/sinergi/internal/receipt"
	"github.com/sinergi-id/sinergi/internal/request"
)

// ErrNotEmpty is returned when the database already holds organizations.
var ErrNotEmpty = errors.New("the database already has data; demo data goes into an empty database only")

// Summary counts what Load created.
type Summary struct {
	Organizations, Partners, Donations, Boxes, Collections, AidOutputs, Allocations, Pledges, Targets, Meetings, Requests, Permits int
}

func (s Summary) String() string {
	return fmt.Sprintf("demo data: %d organizations, %d partners, %d donations, %d boxes, %d box collections, %d aid outputs, %d allocations, %d pledges, %d programme targets, %d meetings, %d aid requests, %d fundraising permits",
		s.Organizations, s.Partners, s.Donations, s.Boxes, s.Collections, s.AidOutputs, s.Allocations, s.Pledges, s.Targets, s.Meetings, s.Requests, s.Permits)
}

// Regencies are Bali's nine regencies and city, in the order the demo uses.
var Regencies = []struct{ Code, Name string }{
	{"BALI-BADUNG", "KKKS Kabupaten Badung"},
	{"BALI-BANGLI", "KKKS Kabupaten Bangli"},
	{"BALI-BULELENG", "KKKS Kabupaten Buleleng"},
	{"BALI-GIANYAR", "KKKS Kabupaten Gianyar"},
	{"BALI-JEMBRANA", "KKKS Kabupaten Jembrana"},
	{"BALI-KARANGASEM", "KKKS Kabupaten Karangasem"},
	{"BALI-KLUNGKUNG", "KKKS Kabupaten Klungkung"},
	{"BALI-TABANAN", "KKKS Kabupaten Tabanan"},
	{"BALI-DENPASAR", "KKKS Kota Denpasar"},
}

var regencyPlaces = []string{"Badung", "Bangli", "Buleleng", "Gianyar", "Jembrana", "Karangasem", "Klungkung", "Tabanan", "Denpasar"}

// loader carries the stores and what has been created so far.
type loader struct {
	sc         auth.Scope // the demo loader acts as the system
	orgs       *organization.Store
	partners   *partner.Store
	donations  *donation.Store
	boxes      *box.Store
	aid        *aid.Store
	funds      *fund.Store
	receipts   *receipt.Store
	programmes *programme.Store
	meetings   *meeting.Store
	requests   *request.Store
	permits    *permit.Store
	rng        *rand.Rand
	sum        Summary

	province     organization.Organization
	regencies    []organization.Organization
	institutions []organization.Organization
	csr          []partner.Partner
	retail       []partner.Partner
	government   []partner.Partner
	individuals  []partner.Partner
	businesses   []partner.Partner
	communities  []partner.Partner
	types        map[string]aid.Type
	placed       []box.Box // the boxes placed, in order
	permit       permit.Permit
}

// Load creates the demo data in an empty database through the domain
// stores, so it passes the same checks as data typed by a person. The
// applicants' (invented) NIKs are sealed with key.
func Load(ctx context.Context, db *sqlx.DB, key *nik.Key) (Summary, error) {
	l, err := newLoader(ctx, db, key)
	if err != nil {
		return Summary{}, err
	}
	return l.run(ctx, l.tree, l.givers, l.catalogue, l.gifts, l.placeBoxes, l.boxPermit, l.boxCollections, l.outputs, l.funding,
		l.permitCosts, l.pledges, l.targets, l.aidRequests, l.raker)
}

// LoadReference creates only what the demo's records refer to — the
// council tree, partners, the aid catalogue, the placed boxes and their
// fundraising permit — in an empty database: where a council that adopts
// Sinergi starts before it imports its spreadsheets.
func LoadReference(ctx context.Context, db *sqlx.DB) (Summary, error) {
	l, err := newLoader(ctx, db, nil)
	if err != nil {
		return Summary{}, err
	}
	return l.run(ctx, l.tree, l.givers, l.catalogue, l.placeBoxes, l.boxPermit)
}

func newLoader(ctx context.Context, db *sqlx.DB, key *nik.Key) (*loader, error) {
	var exists bool
	if err := db.GetContext(ctx, &exists, `SELECT EXISTS (SELECT 1 FROM organizations)`); err != nil {
		return nil, fmt.Errorf("check for data: %w", err)
	}
	if exists {
		return nil, ErrNotEmpty
	}
	return &loader{
		sc:   auth.System("demo"),
		orgs: organization.NewStore(db), partners: partner.NewStore(db), donations: donation.NewStore(db),
		boxes: box.NewStore(db), aid: aid.NewStore(db), funds: fund.NewStore(db), receipts: receipt.NewStore(db), programmes: programme.NewStore(db), meetings: meeting.NewStore(db),
		requests: request.NewStore(db, key, request.DefaultDeadlines()),
		permits:  permit.NewStore(db, permit.DefaultRules()),
		rng:      rand.New(rand.NewPCG(2014, 717)), types: map[string]aid.Type{},
	}, nil
}

func (l *loader) run(ctx context.Context, steps ...func(context.Context) error) (Summary, error) {
	for _, step := range steps {
		if err := step(ctx); err != nil {
			return l.sum, fmt.Errorf("load demo data: %w", err)
		}
	}
	return l.sum, nil
}

func ptr[T any](v T) *T { return &v }

func (l *loader) tree(ctx context.Context) error {
	var err error
	l.province, err = l.orgs.Create(ctx, l.sc, organization.NewOrganization{
		Kind: organization.ProvinceCouncil, Code: "BALI", Name: "BKKKS Provinsi Bali",
		TimeZone: ptr("Asia/Makassar"), Address: "Jl. Contoh Raya No. 1, Denpasar",
	})
	if err != nil {
		return err
	}
	l.sum.Organizations++
	institutionKinds := []string{"Panti Werdha Sukma Lestari", "Yayasan Welas Asih", "Panti Asuhan Tunas Harapan"}
	for i, r := range Regencies {
		reg, err := l.orgs.Create(ctx, l.sc, organization.NewOrganization{
			ParentID: &l.province.ID, Kind: organization.RegencyCouncil, Code: r.Code, Name: r.Name,
			Address: "Jl. Contoh No. " + fmt.Sprint(i+2) + ", " + regencyPlaces[i],
		})
		if err != nil {
			return err
		}
		l.regencies = append(l.regencies, reg)
		l.sum.Organizations++
		for j, kind := range institutionKinds {
			inst, err := l.orgs.Create(ctx, l.sc, organization.NewOrganization{
				ParentID: &reg.ID, Kind: organization.Institution,
				Code: fmt.Sprintf("%s-I%d", r.Code, j+1), Name: kind + " " + regencyPlaces[i],
				Address: "Banjar Contoh, " + regencyPlaces[i],
			})
			if err != nil {
				return err
			}
			l.institutions = append(l.institutions, inst)
			l.sum.Organizations++
		}
	}
	return nil
}

func (l *loader) givers(ctx context.Context) error {
	groups := []struct {
		kind  partner.Kind
		names []string
		into  *[]partner.Partner
	}{
		{partner.CSRCompany, []string{"PT Samudra Dewata Energi", "PT Cahaya Nusa Lestari", "PT Tirta Segara Abadi",
			"PT Mitra Karya Sejahtera", "PT Bank Sentosa Makmur"}, &l.csr},
		{partner.Retail, []string{"Swalayan Sinar Jaya", "Minimarket Karya Dewata"}, &l.retail},
		{partner.GovernmentUnit, []string{"Dinas Sosial Provinsi (contoh)", "Biro Kesejahteraan Rakyat (contoh)",
			"Badan Penanggulangan Bencana Daerah (contoh)"}, &l.government},
		{partner.Individual, []string{"Ni Made Sari Wulandari", "I Ketut Arta Wibawa", "Hendra Gunawan Tjandra",
			"Luh Putu Ayu Pertiwi"}, &l.individuals},
		{partner.Business, []string{"UD Sumber Rejeki", "CV Karya Mandiri", "Hotel Puri Santhi Contoh"}, &l.businesses},
		{partner.Community, []string{"Komunitas Peduli Lansia", "Paguyuban Pedagang Pasar Contoh"}, &l.communities},
	}
	for _, g := range groups {
		for _, name := range g.names {
			p, err := l.partners.Create(ctx, l.sc, partner.NewPartner{Kind: g.kind, Name: name})
			if err != nil {
				return err
			}
			*g.into = append(*g.into, p)
			l.sum.Partners++
		}
	}
	return nil
}

func (l *loader) catalogue(ctx context.Context) error {
	types, err := l.aid.Types(ctx, l.sc)
	if err != nil {
		return err
	}
	for _, t := range types {
		l.types[t.Code] = t
	}
	return nil
}

// amount returns a random amount between lo and hi, rounded to Rp 1,000.
func (l *loader) amount(lo, hi money.Rupiah) money.Rupiah {
	return (lo + money.Rupiah(l.rng.Int64N(int64(hi-lo)))) / 1000 * 1000
}

func (l *loader) day(year int, month time.Month) calendar.Date {
	return calendar.New(year, month, 1+l.rng.IntN(28))
}

func (l *loader) gift(ctx context.Context, in donation.NewDonation) error {
	if _, err := l.donations.Create(ctx, l.sc, in); err != nil {
		return err
	}
	l.sum.Donations++
	return nil
}

func (l *loader) gifts(ctx context.Context) error {
	for _, year := range []int{2013, 2014} {
		for m := time.January; m <= time.December; m++ {
			// CSR programmes pay quarterly, each company in its own month.
			for i, p := range l.csr {
				if int(m)%3 == i%3 {
					if err := l.gift(ctx, donation.NewDonation{
						OrganizationID: l.province.ID, Source: donation.CSR, PartnerID: &p.ID, Kind: donation.Money,
						ReceivedOn: l.day(year, m), Amount: ptr(l.amount(5_000_000, 50_000_000)),
						Reference: ptr(fmt.Sprintf("CSR-%d-%02d-%d", year, m, i+1)),
					}); err != nil {
						return err
					}
				}
			}
			// Government units support twice a year.
			if m == time.March || m == time.September {
				for i, p := range l.government {
					if err := l.gift(ctx, donation.NewDonation{
						OrganizationID: l.province.ID, Source: donation.Government, PartnerID: &p.ID, Kind: donation.Money,
						ReceivedOn: l.day(year, m), Amount: ptr(l.amount(20_000_000, 100_000_000)),
						Reference: ptr(fmt.Sprintf("SKPD-%d-%02d-%d", year, m, i+1)),
					}); err != nil {
						return err
					}
				}
			}
			// Citizens give monthly to a regency council, one anonymously.
			ind := l.individuals[int(m)%len(l.individuals)]
			reg := l.regencies[int(m)%len(l.regencies)]
			if err := l.gift(ctx, donation.NewDonation{
				OrganizationID: reg.ID, Source: donation.Individual, PartnerID: &ind.ID, Kind: donation.Money,
				ReceivedOn: l.day(year, m), Amount: ptr(l.amount(500_000, 5_000_000)),
			}); err != nil {
				return err
			}
			if m%4 == 0 {
				if err := l.gift(ctx, donation.NewDonation{
					OrganizationID: reg.ID, Source: donation.Individual, Kind: donation.Money,
					ReceivedOn: l.day(year, m), Amount: ptr(l.amount(100_000, 1_000_000)), Notes: "Hamba Tuhan (anonim)",
				}); err != nil {
					return err
				}
			}
			// Businesses give goods every other month.
			if m%2 == 0 {
				b := l.businesses[int(m/2)%len(l.businesses)]
				sacks := 10 + l.rng.IntN(30)
				if err := l.gift(ctx, donation.NewDonation{
					OrganizationID: l.province.ID, Source: donation.Business, PartnerID: &b.ID, Kind: donation.Goods,
					ReceivedOn: l.day(year, m),
					Items: []donation.NewItem{
						{Description: "Beras 25 kg", Quantity: sacks, Unit: "karung", EstimatedValue: money.Rupiah(sacks) * 300_000},
						{Description: "Minyak goreng 2 liter", Quantity: 2 * sacks, Unit: "botol", EstimatedValue: money.Rupiah(2*sacks) * 35_000},
					},
				}); err != nil {
					return err
				}
			}
			// A charity bazaar's proceeds each November, from no single giver.
			if m == time.November {
				if err := l.gift(ctx, donation.NewDonation{
					OrganizationID: l.province.ID, Source: donation.Other, Kind: donation.Money,
					ReceivedOn: l.day(year, m), Amount: ptr(l.amount(3_000_000, 12_000_000)), Notes: "Hasil bazar amal",
				}); err != nil {
					return err
				}
			}
			// Community groups collect for the provincial programme each half year.
			if m == time.June || m == time.December {
				for _, c := range l.communities {
					if err := l.gift(ctx, donation.NewDonation{
						OrganizationID: l.province.ID, Source: donation.Community, PartnerID: &c.ID, Kind: donation.Money,
						ReceivedOn: l.day(year, m), Amount: ptr(l.amount(2_000_000, 10_000_000)),
						EarmarkProgramme: ptr("Program lansia"), EarmarkAidTypeID: ptr(l.types["PMT"].ID),
					}); err != nil {
						return err
					}
				}
			}
		}
	}
	return nil
}

var counters = []string{"I Wayan Sudarma", "Ni Ketut Rasmini", "I Made Juliarta", "Ni Nyoman Sukerti", "I Gede Pramana", "Ni Luh Gede Suryani"}

// placeBoxes places the demo's donation boxes with the retail chains.
func (l *loader) placeBoxes(ctx context.Context) error {
	for i := range demoBoxes {
		host := l.retail[i%len(l.retail)]
		r := i % len(l.regencies)
		owner := l.regencies[r]
		if i%4 == 0 {
			owner = l.province // the province keeps a quarter of the boxes itself
		}
		b, err := l.boxes.Create(ctx, l.sc, box.NewBox{
			Code: fmt.Sprintf("KTK-%03d", i+1), HostPartnerID: host.ID, OrganizationID: owner.ID,
			RegencyID: l.regencies[r].ID, Address: fmt.Sprintf("%s cabang %s %d", host.Name, regencyPlaces[r], i/len(l.regencies)+1),
			PlacedOn: calendar.New(2012, time.December, 1+i%20),
		})
		if err != nil {
			return err
		}
		l.sum.Boxes++
		l.placed = append(l.placed, b)
	}
	return nil
}

// boxPermit records the province's public fundraising permit for its own
// boxes in the last months of 2014, extended once, and places them under
// it. The regencies' boxes collect under no permit kept here.
func (l *loader) boxPermit(ctx context.Context) error {
	area := make([]string, len(l.regencies))
	for i, r := range l.regencies {
		area[i] = r.ID
	}
	p, err := l.permits.Create(ctx, l.sc, permit.NewPermit{
		Number: "460/1187/PUB/DINSOS/2014", Authority: "Dinas Sosial Provinsi Bali", OrganizationID: l.province.ID,
		Purpose: "Pengumpulan uang melalui kotak sumbangan di toko ritel untuk bantuan lansia, penyandang disabilitas dan panti sosial",
		Methods: []permit.Method{permit.DonationBox}, RegencyIDs: area,
		ValidFrom: calendar.New(2014, time.September, 1), ValidTo: calendar.New(2014, time.November, 30),
	})
	if err != nil {
		return err
	}
	if p, err = l.permits.Extend(ctx, l.sc, permit.NewExtension{PermitID: p.ID, Number: "460/1187/PUB/DINSOS/2014-P1",
		ValidTo: calendar.New(2014, time.December, 31), GrantedOn: calendar.New(2014, time.November, 24)}); err != nil {
		return err
	}
	l.permit = p
	for _, b := range l.placed {
		if b.OrganizationID != l.province.ID {
			continue
		}
		if _, err := l.boxes.PlaceUnderPermit(ctx, l.sc, box.NewPlacement{BoxID: b.ID, PermitID: p.ID, PlacedOn: p.ValidFrom}); err != nil {
			return err
		}
	}
	l.sum.Permits++
	return nil
}

// permitCosts books the box programme's operating costs against its
// permit, well under the cap: seals and the counting team's transport.
func (l *loader) permitCosts(ctx context.Context) error {
	gifts, err := l.donations.List(ctx, l.sc, donation.Filter{From: ptr(calendar.New(2014, time.September, 1)),
		To: ptr(calendar.New(2014, time.December, 31)), OrganizationID: &l.province.ID, Sources: []donation.Source{donation.DonationBox}},
		page.Request{First: ptr(page.Max)})
	if err != nil {
		return err
	}
	ids := make([]string, len(gifts.Items))
	for i, d := range gifts.Items {
		ids[i] = d.ID
	}
	allocs, err := l.funds.ByDonationIDs(ctx, l.sc, ids)
	if err != nil {
		return err
	}
	given := map[string]money.Rupiah{}
	for _, a := range allocs {
		given[a.DonationID] += a.Amount
	}
	costs := []struct {
		what   string
		amount money.Rupiah
	}{{"Segel kotak sumbangan dan formulir berita acara (izin PUB 2014)", 450_000}, {"Transport tim penghitung kotak, September-Desember 2014", 900_000}}
	for _, d := range gifts.Items {
		if len(costs) == 0 {
			break
		}
		if d.PermitID == nil || d.Amount-given[d.ID] < costs[0].amount {
			continue
		}
		if _, err := l.funds.Allocate(ctx, l.sc, fund.NewAllocation{DonationID: d.ID, Operational: &costs[0].what, Amount: costs[0].amount,
			AllocatedOn: ptr(calendar.New(2014, time.December, 30))}); err != nil {
			return err
		}
		l.sum.Allocations++
		costs = costs[1:]
	}
	if len(costs) > 0 {
		return fmt.Errorf("no box donation under the permit had %s left for %q", costs[0].amount, costs[0].what)
	}
	return nil
}

// demoBoxes is how many donation boxes the demo places; every fourth is
// the province's, the last of which (KTK-029) opens late once.
const (
	demoBoxes       = 32
	lastProvinceBox = 28
)

// boxCollections opens every box monthly through 2013 and 2014 (one of the
// province's boxes in December a few days late, under a permit exception).
func (l *loader) boxCollections(ctx context.Context) error {
	for i, b := range l.placed {
		for _, year := range []int{2013, 2014} {
			for m := time.January; m <= time.December; m++ {
				a, b2 := l.rng.IntN(len(counters)), 1+l.rng.IntN(len(counters)-1)
				n := (int(year-2013))*12 + int(m)
				on, exception := calendar.New(year, m, 25), (*string)(nil)
				if i == lastProvinceBox && year == 2014 && m == time.December {
					// This box's December opening came late, after the
					// permit and its extension ended: kept as counted.
					on = calendar.New(2015, time.January, 3)
					exception = ptr("Dibuka terlambat setelah izin PUB dan perpanjangannya berakhir; izin baru masih diproses. Dicatat sesuai hasil hitung.")
				}
				if _, err := l.boxes.RecordCollection(ctx, l.sc, box.NewCollection{
					BoxID: b.ID, CollectedOn: on, Amount: l.amount(150_000, 1_500_000),
					CountedBy:   []string{counters[a], counters[(a+b2)%len(counters)]},
					SealRemoved: fmt.Sprintf("SEG-%03d-%02d", i+1, n-1), SealApplied: ptr(fmt.Sprintf("SEG-%03d-%02d", i+1, n)),
					PermitException: exception,
				}); err != nil {
					return err
				}
				l.sum.Collections++
			}
		}
	}
	return nil
}

func (l *loader) output(ctx context.Context, in aid.NewOutput) error {
	in.OrganizationID = l.province.ID
	if _, err := l.aid.CreateOutput(ctx, l.sc, in); err != nil {
		return err
	}
	l.sum.AidOutputs++
	return nil
}

// outputs records the 2014 deliveries of the council's Raker report (190
// PMT packages, 1 tripod, 1 wheelchair, 106 sports clothing sets, 4 house
// renovations) and a smaller 2013 for comparison.
func (l *loader) outputs(ctx context.Context) error {
	pmt, tripod, chair := l.types["PMT"], l.types["TRIPOD"], l.types["KURSI_RODA"]
	clothes, house, staples := l.types["PAKAIAN_OLAHRAGA"], l.types["BEDAH_RUMAH"], l.types["SEMBAKO"]
	perRegency := func(t aid.Type, year int, month time.Month, group aid.BeneficiaryGroup, pmks aid.PMKS, unitCost money.Rupiah, qty []int) error {
		for r, q := range qty {
			if err := l.output(ctx, aid.NewOutput{
				AidTypeID: t.ID, Quantity: q, Cost: unitCost * money.Rupiah(q), DeliveredOn: calendar.New(year, month, 3+2*r),
				BeneficiaryGroup: group, PMKSCategory: pmks, RegencyID: l.regencies[r].ID,
			}); err != nil {
				return err
			}
		}
		return nil
	}
	// 2014: PMT for the elderly (100), the disabled (50) and institutions (40).
	if err := perRegency(pmt, 2014, time.March, aid.Elderly, aid.Neglect, 250_000, []int{12, 11, 12, 11, 11, 11, 11, 11, 10}); err != nil {
		return err
	}
	if err := perRegency(pmt, 2014, time.May, aid.Disabled, aid.Disability, 250_000, []int{6, 5, 6, 5, 6, 5, 6, 5, 6}); err != nil {
		return err
	}
	for i := range 8 {
		inst := l.institutions[i*3%len(l.institutions)]
		reg, _ := l.regencyOf(inst)
		if err := l.output(ctx, aid.NewOutput{
			AidTypeID: pmt.ID, Quantity: 5, Cost: 5 * 250_000, DeliveredOn: calendar.New(2014, time.June, 2+i),
			BeneficiaryGroup: aid.InstitutionGrp, PMKSCategory: aid.Neglect, RegencyID: reg.ID, RecipientInstitutionID: &inst.ID,
		}); err != nil {
			return err
		}
	}
	if err := l.output(ctx, aid.NewOutput{AidTypeID: tripod.ID, Quantity: 1, Cost: 750_000, DeliveredOn: calendar.New(2014, time.April, 14),
		BeneficiaryGroup: aid.Disabled, PMKSCategory: aid.Disability, RegencyID: l.regencies[5].ID}); err != nil {
		return err
	}
	if err := l.output(ctx, aid.NewOutput{AidTypeID: chair.ID, Quantity: 1, Cost: 1_500_000, DeliveredOn: calendar.New(2014, time.April, 22),
		BeneficiaryGroup: aid.Disabled, PMKSCategory: aid.Disability, RegencyID: l.regencies[2].ID}); err != nil {
		return err
	}
	if err := perRegency(clothes, 2014, time.February, aid.Elderly, aid.Neglect, 150_000, []int{12, 12, 12, 12, 12, 12, 12, 11, 11}); err != nil {
		return err
	}
	// The 4 house renovations were finished before the meeting of 17 July.
	for i, r := range []int{1, 5, 4, 2} {
		if err := l.output(ctx, aid.NewOutput{AidTypeID: house.ID, Quantity: 1, Cost: 15_000_000, DeliveredOn: houseDelivered[i],
			BeneficiaryGroup: aid.PoorHousehold, PMKSCategory: aid.Poverty, RegencyID: l.regencies[r].ID}); err != nil {
			return err
		}
	}
	// 2013, for comparison.
	if err := perRegency(pmt, 2013, time.April, aid.Elderly, aid.Neglect, 225_000, []int{17, 16, 17, 17, 16, 17, 17, 17, 16}); err != nil {
		return err
	}
	if err := perRegency(staples, 2013, time.October, aid.PoorHousehold, aid.Poverty, 200_000, []int{9, 9, 9, 9, 9, 9, 9, 9, 8}); err != nil {
		return err
	}
	for i, r := range []int{6, 7} {
		if err := l.output(ctx, aid.NewOutput{AidTypeID: chair.ID, Quantity: 1, Cost: 1_400_000, DeliveredOn: calendar.New(2013, time.July, 10+i),
			BeneficiaryGroup: aid.Disabled, PMKSCategory: aid.Disability, RegencyID: l.regencies[r].ID}); err != nil {
			return err
		}
	}
	for i, r := range []int{0, 3, 8} {
		if err := l.output(ctx, aid.NewOutput{AidTypeID: house.ID, Quantity: 1, Cost: 14_000_000, DeliveredOn: calendar.New(2013, time.September, 2+9*i),
			BeneficiaryGroup: aid.PoorHousehold, PMKSCategory: aid.Poverty, RegencyID: l.regencies[r].ID}); err != nil {
			return err
		}
	}
	return nil
}

func (l *loader) regencyOf(inst organization.Organization) (organization.Organization, bool) {
	for _, r := range l.regencies {
		if inst.ParentID != nil && *inst.ParentID == r.ID {
			return r, true
		}
	}
	return organization.Organization{}, false
}

func (l *loader) targets(ctx context.Context) error {
	plan := []struct {
		year     int
		code     string
		quantity int
		budget   money.Rupiah
	}{
		{2014, "PMT", 200, 50_000_000}, {2014, "KURSI_RODA", 3, 4_500_000}, {2014, "TRIPOD", 2, 1_500_000},
		{2014, "PAKAIAN_OLAHRAGA", 100, 15_000_000}, {2014, "BEDAH_RUMAH", 5, 75_000_000},
		{2015, "PMT", 220, 57_200_000}, {2015, "KURSI_RODA", 4, 6_400_000}, {2015, "TRIPOD", 3, 2_400_000},
		{2015, "PAKAIAN_OLAHRAGA", 120, 19_200_000}, {2015, "BEDAH_RUMAH", 6, 96_000_000},
	}
	for _, p := range plan {
		if _, err := l.programmes.CreateTarget(ctx, l.sc, programme.NewTarget{
			OrganizationID: l.province.ID, Year: p.year, AidTypeID: l.types[p.code].ID, TargetQuantity: p.quantity, Budget: p.budget,
		}); err != nil {
			return err
		}
		l.sum.Targets++
	}
	return nil
}

// raker records the 2014 work meeting: 17 July 2014 in Denpasar, 115
// participants, evaluating January to July.
// funding pays each year's outputs from that year's gifts, as the council
// would run allocateFunds: earmarked money to matching outputs first, then
// pooled money (box collections, free gifts), oldest first; and gives a
// little of the 2014 bazaar's proceeds to printing the Raker report.
func (l *loader) funding(ctx context.Context) error {
	for _, year := range []int{2013, 2014} {
		from, to := calendar.New(year, time.January, 1), calendar.New(year, time.December, 31)
		plan, err := l.funds.AllocateFunds(ctx, l.sc, l.province.ID, from, to, &from, false)
		if err != nil {
			return err
		}
		l.sum.Allocations += len(plan.Allocations)
	}
	bazaar, err := l.donations.List(ctx, l.sc, donation.Filter{From: ptr(calendar.New(2014, time.November, 1)),
		To: ptr(calendar.New(2014, time.November, 30)), OrganizationID: &l.province.ID, Sources: []donation.Source{donation.Other}}, page.Request{})
	if err != nil || len(bazaar.Items) == 0 {
		return fmt.Errorf("find the 2014 bazaar's proceeds: %v", err)
	}
	_, err = l.funds.Allocate(ctx, l.sc, fund.NewAllocation{DonationID: bazaar.Items[0].ID, Operational: ptr("Cetak dan jilid laporan Raker 2014"),
		Amount: 1_250_000, AllocatedOn: ptr(calendar.New(2014, time.December, 5))})
	if err != nil {
		return err
	}
	l.sum.Allocations++
	return nil
}

// pledges records two CSR commitments for 2014: one partly fulfilled by a
// December gift that names it, one written off; and one receipt lost and
// reissued as a copy.
func (l *loader) pledges(ctx context.Context) error {
	kept, err := l.funds.RecordPledge(ctx, l.sc, fund.NewPledge{PartnerID: l.csr[0].ID, OrganizationID: l.province.ID, Amount: 100_000_000,
		PledgedOn: calendar.New(2014, time.January, 10), From: calendar.New(2014, time.January, 1), To: calendar.New(2014, time.December, 31),
		Purpose: "Program PMT lansia 2014"})
	if err != nil {
		return err
	}
	if err := l.gift(ctx, donation.NewDonation{OrganizationID: l.province.ID, Source: donation.CSR, PartnerID: &l.csr[0].ID,
		Kind: donation.Money, ReceivedOn: calendar.New(2014, time.December, 20), Amount: ptr(money.Rupiah(40_000_000)),
		Reference: ptr("CSR-2014-12-JANJI"), PledgeID: &kept.ID}); err != nil {
		return err
	}
	dropped, err := l.funds.RecordPledge(ctx, l.sc, fund.NewPledge{PartnerID: l.csr[1].ID, OrganizationID: l.province.ID, Amount: 25_000_000,
		PledgedOn: calendar.New(2014, time.February, 3), From: calendar.New(2014, time.February, 1), To: calendar.New(2014, time.June, 30),
		Purpose: "Kursi roda untuk penyandang disabilitas"})
	if err != nil {
		return err
	}
	if _, err := l.funds.WriteOffPledge(ctx, l.sc, fund.WriteOff{PledgeID: dropped.ID, Reason: "Anggaran CSR perusahaan dialihkan",
		WrittenOffOn: ptr(calendar.New(2014, time.July, 15))}); err != nil {
		return err
	}
	l.sum.Pledges += 2
	// A giver lost a receipt: it is voided and a copy issued.
	gifts, err := l.donations.List(ctx, l.sc, donation.Filter{PartnerID: &l.csr[2].ID}, page.Request{})
	if err != nil || len(gifts.Items) == 0 {
		return fmt.Errorf("find a gift of %s: %v", l.csr[2].Name, err)
	}
	receipts, err := l.receipts.ByDonationIDs(ctx, l.sc, []string{gifts.Items[0].ID})
	if err != nil || len(receipts) != 1 {
		return fmt.Errorf("find the receipt of a gift of %s: %v", l.csr[2].Name, err)
	}
	if _, err := l.receipts.VoidReceipt(ctx, l.sc, receipt.Void{ReceiptID: receipts[0].ID, Reason: "Hilang, diminta salinan oleh mitra"}); err != nil {
		return err
	}
	_, err = l.receipts.ReissueReceipt(ctx, l.sc, receipt.Reissue{DonationID: gifts.Items[0].ID})
	return err
}

// raker records who signs the province council's books and its 2014 work
// meeting, which evaluated the year up to the meeting day.
func (l *loader) raker(ctx context.Context) error {
	// Fictional officers: the demo's people are made up.
	if _, err := l.orgs.RecordOfficers(ctx, l.sc, organization.NewOfficers{OrganizationID: l.province.ID,
		EffectiveFrom: calendar.New(2012, time.January, 1), ChairName: "Dr. I Made Wirata, M.Si.", SecretaryName: "Ni Ketut Sriani, S.Sos.",
		Seat: "Denpasar"}); err != nil {
		return err
	}
	m, err := l.meetings.Create(ctx, l.sc, meeting.NewMeeting{
		OrganizationID: l.province.ID, Title: "Rapat Kerja BKKKS Provinsi Bali 2014",
		HeldOn: calendar.New(2014, time.July, 17), Place: "Ruang Dekranasda, Denpasar",
		PeriodFrom: calendar.New(2014, time.January, 1), PeriodTo: calendar.New(2014, time.July, 17),
		Attendance: []meeting.Attendance{
			{Group: meeting.RegencySocialOffice, Attendees: 18},
			{Group: meeting.RegencyPlanningBoard, Attendees: 9},
			{Group: meeting.RegencyCouncil, Attendees: 27},
			{Group: meeting.ProvinceCouncil, Attendees: 15},
			{Group: meeting.ProvinceGovernmentUnit, Attendees: 10},
			{Group: meeting.Institution, Attendees: 36},
		},
	})
	if err != nil {
		return err
	}
	l.sum.Meetings++
	if _, err := l.meetings.RecordDecisions(ctx, l.sc, meeting.NewDecisions{MeetingID: m.ID, Decisions: []meeting.Decision{
		{Kind: meeting.Decided, Text: "Sisa target PMT 2014 (10 paket) disalurkan paling lambat Agustus 2014 melalui KKKS kabupaten/kota."},
		{Kind: meeting.Decided, Text: "Bedah rumah 2014 ditambah satu unit untuk Kabupaten Klungkung dari dana kotak amal yang belum teralokasi."},
		{Kind: meeting.Decided, Text: "Laporan penggunaan dana kotak amal disampaikan kepada mitra ritel setiap triwulan."},
		{Kind: meeting.Recommended, Text: "Dinas Sosial kabupaten/kota menyampaikan data PMKS terbaru sebelum penyusunan program 2015."},
		{Kind: meeting.Recommended, Text: "Mitra CSR diajak menetapkan peruntukan dana sejak awal tahun agar penyaluran tidak menumpuk di semester kedua."},
	}}); err != nil {
		return err
	}
	// The council's notes on two of the year's targets.
	year, all := 2014, page.Max
	targets, err := l.programmes.List(ctx, l.sc, programme.Filter{Year: &year, OrganizationID: &l.province.ID}, page.Request{First: &all})
	if err != nil {
		return err
	}
	notes := map[string]string{
		l.types["PMT"].ID:         "190 dari 200 paket tersalur hingga Juli; sisanya menunggu data lansia terbaru dari Kabupaten Bangli dan Tabanan.",
		l.types["BEDAH_RUMAH"].ID: "Empat rumah selesai sebelum rapat kerja; satu permohonan dari Klungkung masih menunggu keputusan pengurus.",
	}
	for _, t := range targets.Items {
		if note, ok := notes[t.AidTypeID]; ok {
			if _, err := l.programmes.WriteNarrative(ctx, l.sc, programme.NewNarrative{TargetID: t.ID, Text: note}); err != nil {
				return err
			}
		}
	}
	return nil
}

// houseDelivered are the days the 2014 house renovations were handed over.
var houseDelivered = [4]calendar.Date{calendar.New(2014, time.July, 1), calendar.New(2014, time.July, 4),
	calendar.New(2014, time.July, 8), calendar.New(2014, time.July, 11)}

// DuplicateNIK is the demo applicant who asked twice, at two councils.
const DuplicateNIK = "5108034507560001"

// aidRequests records the 2014 requests behind the outputs they became:
// the wheelchair and the 4 house renovations came from requests that
// regency councils forwarded to the province; a panti asked the province
// directly for PMT. Some still wait, one was rejected, one withdrawn, and
// the wheelchair's applicant asked again at another council.
func (l *loader) aidRequests(ctx context.Context) error {
	pmt, chair, house := l.types["PMT"], l.types["KURSI_RODA"], l.types["BEDAH_RUMAH"]
	d := func(month time.Month, day int) *calendar.Date { v := calendar.New(2014, month, day); return &v }
	type step struct {
		action request.Action
		on     *calendar.Date
		note   string
	}
	type demoRequest struct {
		regency  int
		province bool // received by the province directly
		in       request.NewRequest
		steps    []step
		fulfil   func() ([]string, error)
	}
	outputsOf := func(t aid.Type, on calendar.Date, regency int) func() ([]string, error) {
		return func() ([]string, error) {
			f := aid.OutputFilter{AidTypeID: &t.ID, From: &on, To: &on}
			if regency >= 0 {
				f.RegencyID = &l.regencies[regency].ID
			}
			p, err := l.aid.Outputs(ctx, l.sc, f, page.Request{})
			if err != nil || len(p.Items) == 0 {
				return nil, fmt.Errorf("demo output of %s on %s: %w (found %d)", t.Code, on, err, len(p.Items))
			}
			return []string{p.Items[0].ID}, nil
		}
	}
	person := func(name, nikNo, address string, t aid.Type, qty int, group aid.BeneficiaryGroup, pmks aid.PMKS, budget money.Rupiah, on calendar.Date) request.NewRequest {
		return request.NewRequest{ReceivedOn: on, ApplicantKind: request.Person, ApplicantName: name, NIK: nikNo, Address: address,
			AidTypeID: t.ID, Quantity: qty, PMKSCategory: pmks, Group: group, EstimatedBudget: budget}
	}
	forwarded := func(ver, fwd, appr *calendar.Date) []step {
		return []step{{request.Verify, ver, "berkas lengkap, survei lapangan"}, {request.Forward, fwd, "melebihi kemampuan anggaran kabupaten"},
			{request.Approve, appr, "disetujui rapat pengurus"}}
	}
	houses := []struct {
		regency     int
		name, nikNo string
		delivered   calendar.Date
	}{
		{1, "I Wayan Sukra", "5106031203640002", houseDelivered[0]},
		{5, "Ni Nyoman Rai", "5107056108590004", houseDelivered[1]},
		{4, "I Ketut Darma", "5101021707700003", houseDelivered[2]},
		{2, "I Made Suarta", "5108040102660005", houseDelivered[3]},
	}
	all := []demoRequest{{
		regency: 2, in: person("Ni Luh Sekar", DuplicateNIK, "Banjar Dinas Kaja, Desa Bungkulan, Sawan, Buleleng", chair, 1,
			aid.Disabled, aid.Disability, 1_500_000, calendar.New(2014, time.March, 3)),
		steps:  forwarded(d(time.March, 5), d(time.March, 10), d(time.March, 24)),
		fulfil: outputsOf(chair, calendar.New(2014, time.April, 22), 2),
	}}
	for i, h := range houses {
		all = append(all, demoRequest{
			regency: h.regency, in: person(h.name, h.nikNo, "Desa "+regencyPlaces[h.regency]+", Kabupaten "+regencyPlaces[h.regency], house, 1,
				aid.PoorHousehold, aid.Poverty, 15_000_000, calendar.New(2014, time.April, 7+7*i)),
			steps:  forwarded(d(time.April, 10+7*i), d(time.April, 14+7*i), d(time.June, 16+i)),
			fulfil: outputsOf(house, h.delivered, h.regency),
		})
	}
	inst := l.institutions[0]
	instReg, _ := l.regencyOf(inst)
	instRegency := slices.IndexFunc(l.regencies, func(o organization.Organization) bool { return o.ID == instReg.ID })
	all = append(all,
		demoRequest{province: true, regency: instRegency, in: request.NewRequest{ReceivedOn: calendar.New(2014, time.May, 2),
			ApplicantKind: request.InstitutionKind, ApplicantName: inst.Name, Address: "Kabupaten " + regencyPlaces[instRegency],
			AidTypeID: pmt.ID, Quantity: 5, PMKSCategory: aid.Neglect, Group: aid.InstitutionGrp, EstimatedBudget: 1_250_000},
			steps:  []step{{request.Verify, d(time.May, 5), ""}, {request.Approve, d(time.May, 12), ""}},
			fulfil: outputsOf(pmt, calendar.New(2014, time.June, 2), instRegency)},
		// The wheelchair's applicant asks again, at Badung: waiting, with a match.
		demoRequest{regency: 0, in: person("Ni Luh Sekar", DuplicateNIK, "Jalan Raya Kuta, Badung", chair, 1,
			aid.Disabled, aid.Disability, 1_500_000, calendar.New(2014, time.June, 10)),
			steps: []step{{request.Verify, d(time.June, 12), "pemohon pindah domisili ke Badung"}}},
		demoRequest{regency: 3, in: person("I Nyoman Sudarsana", "5104052509480006", "Desa Mas, Ubud, Gianyar", pmt, 1,
			aid.Elderly, aid.Neglect, 250_000, calendar.New(2014, time.June, 20)),
			steps: []step{{request.Verify, d(time.June, 25), ""}}},
		demoRequest{regency: 7, in: person("Ni Wayan Lestari", "5102064411720007", "Desa Kediri, Tabanan", pmt, 1,
			aid.Disabled, aid.Disability, 250_000, calendar.New(2014, time.July, 1))},
		demoRequest{regency: 6, in: person("I Gede Arsana", "5105011010550008", "Desa Dawan, Klungkung", house, 1,
			aid.PoorHousehold, aid.Poverty, 15_000_000, calendar.New(2014, time.May, 15)),
			steps: []step{{request.Verify, d(time.May, 20), ""}, {request.Forward, d(time.May, 28), ""}}},
		demoRequest{regency: 8, in: person("Ni Made Ayu Sari", "5171015203800009", "Jalan Gatot Subroto, Denpasar", house, 1,
			aid.PoorHousehold, aid.Poverty, 15_000_000, calendar.New(2014, time.April, 2)),
			steps: []step{{request.Verify, d(time.April, 7), ""},
				{request.Reject, d(time.April, 14), "rumah telah direhabilitasi Dinas Sosial Kota Denpasar tahun 2013"}}},
		demoRequest{regency: 5, in: person("I Komang Wirawan", "5107032008610010", "Desa Sidemen, Karangasem", pmt, 1,
			aid.Elderly, aid.Neglect, 250_000, calendar.New(2014, time.February, 10)),
			steps: []step{{request.Cancel, d(time.February, 20), "pemohon pindah ke luar Bali"}}},
	)
	for _, dr := range all {
		in := dr.in
		in.RegencyID = l.regencies[dr.regency].ID
		in.ReceivedByID = l.regencies[dr.regency].ID
		if dr.province {
			in.ReceivedByID = l.province.ID
		}
		r, err := l.requests.Submit(ctx, l.sc, in)
		if err != nil {
			return err
		}
		for _, st := range dr.steps {
			if _, err := l.requests.Transition(ctx, l.sc, request.Move{Action: st.action, RequestID: r.ID, On: st.on, Note: st.note}); err != nil {
				return err
			}
		}
		if dr.fulfil != nil {
			ids, err := dr.fulfil()
			if err != nil {
				return err
			}
			o, err := l.aid.Output(ctx, l.sc, ids[0])
			if err != nil {
				return err
			}
			if _, err := l.requests.Transition(ctx, l.sc, request.Move{Action: request.Fulfil, RequestID: r.ID, On: &o.DeliveredOn, OutputIDs: ids}); err != nil {
				return err
			}
		}
		l.sum.Requests++
	}
	return nil
}
