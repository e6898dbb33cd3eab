package export

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/sinergi-id/sinergi/internal/aid"
	"github.com/sinergi-id/sinergi/internal/auth"
	"github.com/sinergi-id/sinergi/internal/box"
	"github.com/sinergi-id/sinergi/internal/calendar"
	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/fault"
	"github.com/sinergi-id/sinergi/internal/money"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/xlsx"
)

// TemplateKinds are the records a council brings in from its own
// spreadsheets, each with a template to fill in.
var TemplateKinds = []string{"donations", "box-collections", "aid-outputs", "programme-targets"}

// TemplateQuery reads a template's parameters: lang only.
func TemplateQuery(q url.Values) (Language, error) {
	if err := checkParams(q); err != nil {
		return "", err
	}
	return ParseLanguage(q.Get("lang"))
}

// TemplateStores are the stores a template's drop-down lists come from.
type TemplateStores struct {
	Organizations *organization.Store
	Partners      *partner.Store
	Aid           *aid.Store
	Boxes         *box.Store
}

// Template writes the import template of kind for the caller: Indonesian
// headers (English with lang), one example row, drop-down lists of the
// enums and of the caller's own organizations, partners, aid types and
// boxes, date and rupiah formats, and a sheet explaining each column. Only
// accounts that may record anything get one.
func Template(ctx context.Context, sc auth.Scope, st TemplateStores, kind string, lang Language, now time.Time, w io.Writer) error {
	title, fields, err := TemplateFields(ctx, sc, st, kind, lang)
	if err != nil {
		return err
	}
	L := func(id, en string) string { return pick(lang, id, en) }
	return xlsx.WriteTemplate(w, xlsx.Properties{Title: title, Created: now,
		Description: L("Isi satu baris per catatan, mulai baris 2 (baris contoh boleh ditimpa). Penjelasan setiap kolom ada di lembar berikutnya.",
			"One row per record from row 2 (overwrite the example). Each column is explained on the next sheet.")},
		xlsx.TemplateLabels{Data: L("Data", "Data"), Help: L("Petunjuk", "Help"), Choices: L("Pilihan", "Choices"),
			Column: L("Kolom", "Column"), Required: L("Wajib", "Required"), Content: L("Isi", "Content"), Example: L("Contoh", "Example"),
			Yes: L("ya", "yes"), No: L("tidak", "no")}, fields)
}

// TemplateFields are the columns of the caller's template of kind, with
// its title; an import uses them to recognise the example row left in.
func TemplateFields(ctx context.Context, sc auth.Scope, st TemplateStores, kind string, lang Language) (string, []xlsx.Field, error) {
	if err := sc.CanWrite(); err != nil {
		return "", nil, err
	}
	if !slices.Contains(TemplateKinds, kind) {
		return "", nil, fault.Refuse("kind", fault.Invalid, "must be one of "+strings.Join(TemplateKinds, ", "))
	}
	L := func(id, en string) string { return pick(lang, id, en) }
	orgs, err := st.Organizations.Writable(ctx, sc)
	if err != nil {
		return "", nil, err
	}
	var orgCodes, regencyCodes, institutionCodes []string
	for _, o := range orgs {
		switch o.Kind {
		case organization.Institution:
			institutionCodes = append(institutionCodes, o.Code)
		case organization.RegencyCouncil:
			regencyCodes = append(regencyCodes, o.Code)
		}
		orgCodes = append(orgCodes, o.Code)
	}
	example := func(codes []string, fallback string) string {
		if len(codes) > 0 {
			return codes[0]
		}
		return fallback
	}
	orgField := xlsx.Field{Header: L("Kode organisasi", "Organization code"), Width: 18, Required: true, Choices: orgCodes,
		Explain: L("Kode dewan atau lembaga yang mencatat (huruf besar atau kecil sama saja).",
			"Code of the council or institution that records it (upper or lower case alike)."), Example: example(orgCodes, "BALI")}
	var fields []xlsx.Field
	var title string
	switch kind {
	case "donations":
		title = L("Templat impor donasi", "Donation import template")
		partners, err := st.Partners.All(ctx, sc)
		if err != nil {
			return "", nil, err
		}
		var names []string
		for _, p := range partners {
			names = append(names, p.Name)
		}
		fields = []xlsx.Field{orgField,
			{Header: L("Tanggal diterima", "Received on"), Kind: xlsx.Date, Width: 14, Required: true,
				Explain: L("Tanggal donasi diterima (hari/bulan/tahun), tidak di masa depan dan tidak dalam periode yang sudah ditutup.",
					"The day the gift was received (day/month/year), not in the future nor in a closed period."), Example: calendar.New(2014, time.March, 3)},
			{Header: L("Sumber", "Source"), Width: 16, Required: true, Choices: codesOf(giftSources),
				Explain: L("Sumber dana: ", "Where it came from: ") + explainCodes(sourceLabels, giftSources, lang) +
					L(" Uang kotak amal masuk lewat templat pembukaan kotak.", " Donation box money comes in through the box opening template."), Example: string(donation.Individual)},
			{Header: L("Jenis", "Kind"), Width: 10, Required: true, Choices: []string{string(donation.Money), string(donation.Goods)},
				Explain: L("MONEY = uang, GOODS = barang (nilai taksiran).", "MONEY, or GOODS at their estimated value."), Example: string(donation.Money)},
			{Header: L("Jumlah (Rp)", "Amount (Rp)"), Kind: xlsx.Money, Width: 16, Required: true,
				Explain: L("Rupiah penuh, tanpa sen.", "Whole rupiah, no cents."), Example: money.Rupiah(1_500_000)},
			{Header: L("Mitra", "Partner"), Width: 30, Choices: names,
				Explain: L("Nama mitra pemberi, tepat seperti di Sinergi; kosong untuk donatur tanpa nama. Wajib untuk CSR dan pemerintah.",
					"The giver's name exactly as in Sinergi; empty for an anonymous gift. Required for CSR and government."), Example: ""},
			{Header: L("Nomor referensi", "Reference"), Width: 18,
				Explain: L("Nomor bukti milik dewan (kuitansi, transfer); satu nomor satu donasi, sehingga impor ulang tidak menggandakan.",
					"The council's own reference (receipt, transfer); one per gift, so a second import does not record it twice."), Example: "KW-2014-0001"},
			{Header: L("Catatan", "Notes"), Width: 30, Explain: L("Bebas, paling banyak 2000 karakter.", "Free text, at most 2000 characters."), Example: ""},
			{Header: L("Izin PUB", "Fundraising permit"), Width: 24,
				Explain: L("Nomor izin pengumpulan uang atau barang (PUB) tempat donasi ini digalang, bila ada: izinnya harus untuk penggalangan (APPEAL) dan mencakup tanggal dan kabupaten/kota penerima.",
					"Number of the public fundraising permit (PUB) the gift was appealed for under, if any: it must allow appeals and cover the day and the receiver's regency."), Example: ""},
			{Header: L("Pengecualian izin", "Permit exception"), Width: 30,
				Explain: L("Bila donasi di luar izin itu (tanggal atau wilayah): alasan tetap dicatat. Tanpa alasan, donasi di luar izin ditolak.",
					"If the gift falls outside that permit (day or area): why it is kept anyway. Without a reason it is refused."), Example: ""},
		}
	case "box-collections":
		title = L("Templat impor pembukaan kotak amal", "Box opening import template")
		boxes, err := st.Boxes.InService(ctx, sc)
		if err != nil {
			return "", nil, err
		}
		var codes []string
		for _, b := range boxes {
			codes = append(codes, b.Code)
		}
		fields = []xlsx.Field{
			{Header: L("Kode kotak", "Box code"), Width: 14, Required: true, Choices: codes,
				Explain: L("Kode kotak amal yang dibuka.", "Code of the box opened."), Example: example(codes, "KTK-001")},
			{Header: L("Tanggal pembukaan", "Opened on"), Kind: xlsx.Date, Width: 14, Required: true,
				Explain: L("Tidak sebelum pembukaan terakhir kotak itu.", "Not before the box's last opening."), Example: calendar.New(2014, time.March, 25)},
			{Header: L("Jumlah (Rp)", "Amount (Rp)"), Kind: xlsx.Money, Width: 16, Required: true,
				Explain: L("Uang yang dihitung, rupiah penuh.", "The money counted, whole rupiah."), Example: money.Rupiah(850_000)},
			{Header: L("Penghitung 1", "Counter 1"), Width: 18, Required: true,
				Explain: L("Dua orang berbeda menghitung.", "Two different people count."), Example: "Made"},
			{Header: L("Penghitung 2", "Counter 2"), Width: 18, Required: true, Explain: "", Example: "Ketut"},
			{Header: L("Segel dilepas", "Seal removed"), Width: 14, Required: true,
				Explain: L("Nomor segel yang dipasang pada pembukaan sebelumnya.", "The seal applied at the previous opening."), Example: "S-0001"},
			{Header: L("Segel dipasang", "Seal applied"), Width: 14, Required: true, Explain: L("Nomor segel baru.", "The new seal."), Example: "S-0002"},
		}
	case "aid-outputs":
		title = L("Templat impor penyaluran bantuan", "Aid output import template")
		typeCodes, err := aidTypeCodes(ctx, sc, st.Aid)
		if err != nil {
			return "", nil, err
		}
		fields = []xlsx.Field{orgField,
			{Header: L("Kode jenis bantuan", "Aid type code"), Width: 20, Required: true, Choices: typeCodes,
				Explain: L("Jenis bantuan dari katalog.", "The aid type, from the catalogue."), Example: example(typeCodes, "PMT")},
			{Header: L("Jumlah", "Quantity"), Kind: xlsx.Integer, Width: 10, Required: true,
				Explain: L("Dalam satuan jenis bantuan itu (paket, unit, stel).", "In the aid type's unit (package, unit, set)."), Example: 10},
			{Header: L("Biaya (Rp)", "Cost (Rp)"), Kind: xlsx.Money, Width: 16, Required: true, Explain: L("Rupiah penuh.", "Whole rupiah."), Example: money.Rupiah(2_500_000)},
			{Header: L("Tanggal penyaluran", "Delivered on"), Kind: xlsx.Date, Width: 14, Required: true, Explain: "", Example: calendar.New(2014, time.May, 6)},
			{Header: L("Kelompok penerima", "Beneficiary group"), Width: 18, Required: true, Choices: keysOf(groupLabels),
				Explain: L("Kelompok penerima: ", "Beneficiary group: ") + explainCodes(groupLabels, keysAs[aid.BeneficiaryGroup](groupLabels), lang), Example: string(aid.Elderly)},
			{Header: L("Kategori PMKS", "PMKS category"), Width: 18, Required: true, Choices: keysOf(pmksLabels),
				Explain: L("Kategori PMKS: ", "PMKS category: ") + explainCodes(pmksLabels, keysAs[aid.PMKS](pmksLabels), lang), Example: string(aid.Neglect)},
			{Header: L("Kode kabupaten/kota", "Regency code"), Width: 18, Required: true, Choices: regencyCodes,
				Explain: L("Kabupaten/kota tempat penerima.", "The regency/city of the beneficiaries."), Example: example(regencyCodes, "BALI-BADUNG")},
			{Header: L("Kode lembaga penerima", "Recipient institution code"), Width: 20, Choices: institutionCodes,
				Explain: L("Hanya bila penerimanya lembaga.", "Only when an institution received it."), Example: ""},
		}
	case "programme-targets":
		title = L("Templat impor target program", "Programme target import template")
		typeCodes, err := aidTypeCodes(ctx, sc, st.Aid)
		if err != nil {
			return "", nil, err
		}
		fields = []xlsx.Field{orgField,
			{Header: L("Tahun", "Year"), Kind: xlsx.Integer, Width: 8, Required: true, Explain: L("2000–2100.", "2000–2100."), Example: 2015},
			{Header: L("Kode jenis bantuan", "Aid type code"), Width: 20, Required: true, Choices: typeCodes, Explain: "", Example: example(typeCodes, "PMT")},
			{Header: L("Target", "Target"), Kind: xlsx.Integer, Width: 10, Required: true, Explain: L("Jumlah yang direncanakan.", "The quantity planned."), Example: 200},
			{Header: L("Anggaran (Rp)", "Budget (Rp)"), Kind: xlsx.Money, Width: 16, Required: true, Explain: L("Rupiah penuh.", "Whole rupiah."), Example: money.Rupiah(50_000_000)},
		}
	}
	return title, fields, nil
}

// giftSources are the sources a donation row may give: box money is
// recorded as box openings.
var giftSources = slices.DeleteFunc(slices.Clone(donation.Sources), func(s donation.Source) bool { return s == donation.DonationBox })

// aidTypeCodes lists the catalogue's aid type codes.
func aidTypeCodes(ctx context.Context, sc auth.Scope, store *aid.Store) ([]string, error) {
	types, err := store.Types(ctx, sc)
	var codes []string
	for _, t := range types {
		codes = append(codes, t.Code)
	}
	return codes, err
}

// codesOf lists the codes of values, in their order.
func codesOf[K ~string](values []K) []string {
	var out []string
	for _, v := range values {
		out = append(out, string(v))
	}
	return out
}

// keysOf lists the codes of a label map, sorted.
func keysOf[K ~string](labels map[K][2]string) []string {
	return codesOf(keysAs[K](labels))
}

func keysAs[K ~string](labels map[K][2]string) []K {
	var out []K
	for k := range labels {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// explainCodes says what each code means: "CSR = CSR perusahaan, …".
func explainCodes[K ~string](labels map[K][2]string, values []K, lang Language) string {
	var parts []string
	for _, v := range values {
		parts = append(parts, fmt.Sprintf("%s = %s", v, label(labels, lang, v)))
	}
	return strings.Join(parts, ", ") + "."
}
