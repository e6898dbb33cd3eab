package server_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestReceiptNumbersAreGapFree: every donation has a receipt; numbers run
// 1, 2, 3 … per receiving organization and year with no gap and no
// duplicate, also when many donations are recorded at once and some of
// them fail.
func TestReceiptNumbersAreGapFree(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	if n := admin.count(`SELECT count(*) FROM donations d WHERE reverses_id IS NULL
		AND (SELECT count(*) FROM receipts r WHERE r.donation_id = d.id AND r.copy_of IS NULL) <> 1`); n != 0 {
		t.Errorf("%d donations without exactly one numbered receipt", n)
	}
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	var wg sync.WaitGroup
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			partner := any(nil)
			if i%5 == 0 {
				partner = "00000000-0000-4000-8000-000000000000" // refused: no such partner
			}
			admin.post(`mutation($o: ID!, $p: ID) { recordDonation(input: {organizationId: $o, partnerId: $p, source: INDIVIDUAL, kind: MONEY,
				receivedOn: "2015-04-01", amount: 1000}) { id } }`, map[string]any{"o": badung, "p": partner})
		}()
	}
	wg.Wait()
	var numbers []int
	if err := admin.db.Select(&numbers, `SELECT number FROM receipts WHERE organization_id = $1 AND year = 2015 AND copy_of IS NULL ORDER BY number`, badung); err != nil {
		t.Fatal(err)
	}
	if len(numbers) != 32 {
		t.Errorf("%d receipts for 32 donations", len(numbers))
	}
	for i, n := range numbers {
		if n != i+1 {
			t.Fatalf("receipt numbers %v: a gap or a duplicate at %d", numbers, i+1)
		}
	}
	// Across the demo too: per organization and year, count = highest = distinct.
	if n := admin.count(`SELECT count(*) FROM (SELECT organization_id, year FROM receipts WHERE copy_of IS NULL
		GROUP BY 1, 2 HAVING count(*) <> max(number) OR count(DISTINCT number) <> count(*)) x`); n != 0 {
		t.Errorf("%d organization-years with gaps or duplicates", n)
	}
}

func TestReceiptVoidReissueAndPDF(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	own := admin.as(auth.Partner, samudra)
	gift := admin.id(`SELECT d.id FROM donations d JOIN partners p ON p.id = d.partner_id WHERE p.name = $1 ORDER BY d.seq LIMIT 1`, samudra)
	type rec struct {
		ID, Number, PdfPath string
		IsCopy, Voided      bool
	}
	var got struct {
		Donation struct{ Receipt rec }
	}
	own.query(`query($d: ID!) { donation(id: $d) { receipt { id number pdfPath isCopy voided } } }`, map[string]any{"d": gift}, &got)
	first := got.Donation.Receipt
	if first.ID == "" || first.IsCopy || first.Voided || first.PdfPath != "/receipts/"+first.ID+".pdf" {
		t.Fatalf("receipt %+v", first)
	}
	status, ctype, body := own.download(first.PdfPath)
	if status != 200 || ctype != "application/pdf" || !bytes.HasPrefix(body, []byte("%PDF")) {
		t.Fatalf("the partner's receipt: %d %s %.40q", status, ctype, body)
	}
	// Reissuing a receipt in force is refused; void, then reissue: a copy with the same number.
	if r := admin.post(`mutation($d: ID!) { reissueReceipt(input: {donationId: $d}) { id } }`, map[string]any{"d": gift}); len(r.Errors) != 1 ||
		r.Errors[0].Extensions["field"] != "input.donationId" {
		t.Errorf("reissuing a receipt in force: %+v", r.Errors)
	}
	var voided struct{ VoidReceipt rec }
	admin.query(`mutation($r: ID!) { voidReceipt(input: {receiptId: $r, reason: "hilang di jalan"}) { id number voided isCopy pdfPath } }`,
		map[string]any{"r": first.ID}, &voided)
	var copy struct{ ReissueReceipt rec }
	admin.query(`mutation($d: ID!) { reissueReceipt(input: {donationId: $d}) { id number voided isCopy pdfPath } }`, map[string]any{"d": gift}, &copy)
	if !voided.VoidReceipt.Voided || !copy.ReissueReceipt.IsCopy || copy.ReissueReceipt.Number != first.Number || copy.ReissueReceipt.ID == first.ID {
		t.Errorf("voided %+v, copy %+v of %+v", voided.VoidReceipt, copy.ReissueReceipt, first)
	}
	own.query(`query($d: ID!) { donation(id: $d) { receipt { id number pdfPath isCopy voided } } }`, map[string]any{"d": gift}, &got)
	if got.Donation.Receipt.ID != copy.ReissueReceipt.ID {
		t.Errorf("the receipt in force is %+v, want the copy", got.Donation.Receipt)
	}
	if status, _, copyPDF := own.download(copy.ReissueReceipt.PdfPath); status != 200 || bytes.Equal(copyPDF, body) {
		t.Errorf("the copy's PDF: %d, same bytes as the original: %v", status, bytes.Equal(copyPDF, body))
	}
	// Another partner's receipt, or a made-up one, is not found.
	other := admin.id(`SELECT r.id FROM receipts r JOIN donations d ON d.id = r.donation_id JOIN partners p ON p.id = d.partner_id
		WHERE p.name <> $1 LIMIT 1`, samudra)
	for _, path := range []string{"/receipts/" + other + ".pdf", "/receipts/00000000-0000-4000-8000-000000000000.pdf", "/receipts/" + first.ID} {
		if status, _, _ := own.download(path); status != 404 {
			t.Errorf("%s for the partner: %d, want 404", path, status)
		}
	}
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'receipt' AND action IN ('void', 'reissue')
		AND entity_id IN ($1::uuid, $2::uuid)`, first.ID, copy.ReissueReceipt.ID); n != 2 {
		t.Errorf("%d audit rows for the void and the reissue", n)
	}
	_ = fmt.Sprint
}
