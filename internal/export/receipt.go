package export

import (
	"fmt"
	"io"
	"time"

	"github.com/signintech/gopdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/goregular"

	"github.com/sinergi-id/sinergi/internal/donation"
	"github.com/sinergi-id/sinergi/internal/organization"
	"github.com/sinergi-id/sinergi/internal/partner"
	"github.com/sinergi-id/sinergi/internal/receipt"
)

// ReceiptData is what a receipt prints.
type ReceiptData struct {
	Receipt  receipt.Receipt
	Donation donation.Donation
	Items    []donation.Item
	Receiver organization.Organization
	Giver    *partner.Partner // nil for an anonymous gift
}

// dateID writes a date as Indonesians do: 17 Juli 2014.
func dateID(t time.Time) string {
	months := []string{"Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober", "November", "Desember"}
	return fmt.Sprintf("%d %s %d", t.Day(), months[t.Month()-1], t.Year())
}

// ReceiptPDF writes a receipt (tanda terima) on an A5 page: its number, the
// giver, the receiving council, the amount in rupiah or, for goods, the
// items and quantities (with a value only where one was recorded). A copy
// is marked SALINAN, a voided receipt DIBATALKAN.
func ReceiptPDF(d ReceiptData, now time.Time, w io.Writer) error {
	pdf := &gopdf.GoPdf{}
	pdf.Start(gopdf.Config{PageSize: *gopdf.PageSizeA5})
	pdf.SetInfo(gopdf.PdfInfo{Title: "Tanda terima " + d.Receipt.Number(), Creator: "Sinergi", CreationDate: now})
	for name, ttf := range map[string][]byte{"regular": goregular.TTF, "bold": gobold.TTF} {
		if err := pdf.AddTTFFontData(name, ttf); err != nil {
			return fmt.Errorf("receipt font: %w", err)
		}
	}
	pdf.AddPage()
	const left, width = 36.0, 348.0
	y := 40.0
	line := func(font string, size float64, text string) error {
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		pdf.SetXY(left, y)
		y += size * 1.6
		return pdf.Cell(&gopdf.Rect{W: width, H: size * 1.4}, text)
	}
	field := func(label, value string) error {
		if err := pdf.SetFont("regular", "", 9); err != nil {
			return err
		}
		pdf.SetXY(left, y)
		if err := pdf.Cell(&gopdf.Rect{W: 110, H: 13}, label); err != nil {
			return err
		}
		if err := pdf.SetFont("bold", "", 10); err != nil {
			return err
		}
		pdf.SetXY(left+110, y)
		y += 17
		return pdf.Cell(&gopdf.Rect{W: width - 110, H: 13}, value)
	}
	steps := []func() error{
		func() error { return line("bold", 12, d.Receiver.Name) },
		func() error { return line("regular", 8, d.Receiver.Address) },
		func() error { y += 6; return line("bold", 16, "TANDA TERIMA SUMBANGAN") },
		func() error { return field("Nomor", d.Receipt.Number()) },
		func() error { return field("Tanggal terima", dateID(d.Donation.ReceivedOn.Time())) },
		func() error {
			giver := "Hamba Tuhan (tanpa nama)"
			if d.Giver != nil {
				giver = d.Giver.Name
			}
			return field("Diterima dari", giver)
		},
	}
	if d.Donation.Kind == donation.Money {
		steps = append(steps, func() error { return field("Sejumlah", d.Donation.Amount.String()) })
	} else {
		steps = append(steps, func() error { return field("Berupa barang", fmt.Sprintf("%d jenis", len(d.Items))) })
		for _, it := range d.Items {
			steps = append(steps, func() error {
				text := fmt.Sprintf("%d %s %s", it.Quantity, it.Unit, it.Description)
				if it.EstimatedValue > 0 {
					text += " (taksiran " + it.EstimatedValue.String() + ")"
				}
				return field("", text)
			})
		}
	}
	if d.Donation.Reference != nil {
		steps = append(steps, func() error { return field("Referensi", *d.Donation.Reference) })
	}
	if d.Donation.EarmarkProgramme != nil {
		steps = append(steps, func() error { return field("Untuk program", *d.Donation.EarmarkProgramme) })
	}
	steps = append(steps, func() error {
		y += 10
		return line("regular", 8, "Terima kasih atas kepedulian Anda. Penggunaan sumbangan dapat ditelusuri di Sinergi.")
	}, func() error {
		// Where the receiving council signs and stamps the paper copy.
		if err := pdf.SetFont("regular", "", 9); err != nil {
			return err
		}
		pdf.SetXY(left+220, y+8)
		if err := pdf.Cell(nil, "Yang menerima,"); err != nil {
			return err
		}
		pdf.SetXY(left+220, y+60)
		if err := pdf.Cell(nil, "(______________________)"); err != nil {
			return err
		}
		y += 84
		return nil
	}, func() error {
		return line("regular", 7, "Dicetak "+now.UTC().Format("2006-01-02 15:04")+" UTC dari buku donasi Sinergi.")
	})
	for _, step := range steps {
		if err := step(); err != nil {
			return fmt.Errorf("write receipt: %w", err)
		}
	}
	// The marks a reader must not miss.
	for _, mark := range []struct {
		on   bool
		text string
	}{{d.Receipt.IsCopy(), "SALINAN"}, {d.Receipt.Voided(), "DIBATALKAN"}} {
		if !mark.on {
			continue
		}
		if err := pdf.SetFont("bold", "", 40); err != nil {
			return err
		}
		pdf.SetTextColor(190, 30, 30)
		pdf.SetXY(left+40, y+10)
		if err := pdf.Cell(nil, mark.text); err != nil {
			return err
		}
		y += 50
		pdf.SetTextColor(0, 0, 0)
	}
	if _, err := pdf.WriteTo(w); err != nil {
		return fmt.Errorf("write receipt: %w", err)
	}
	return nil
}
