package server_test

import (
	"encoding/json"
	"testing"
)

// TestOneWritePath checks what every write leaves behind the same way: the
// idempotency key under the mutation's own name, and an audit row whose
// after is the stored record under the API's field names (a reversal's
// before is the entry it reverses).
func TestOneWritePath(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	badung := admin.id(`SELECT id FROM organizations WHERE code = 'BALI-BADUNG'`)
	pmt := admin.id(`SELECT id FROM aid_types ORDER BY seq LIMIT 1`)
	host := admin.id(`SELECT id FROM partners WHERE kind = 'RETAIL' LIMIT 1`)
	type write struct {
		mutation, query string
		vars            map[string]any
		entity          string
		after           map[string]any // fields the stored record must show
	}
	var d struct{ RecordDonation struct{ ID string } }
	admin.query(`mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: INDIVIDUAL, kind: MONEY, receivedOn: "2015-01-02", amount: 5000,
		idempotencyKey: "k-recordDonation"}) { id } }`, map[string]any{"o": badung}, &d)
	var o struct{ RecordAidOutput struct{ ID string } }
	admin.query(`mutation($o: ID!, $t: ID!) { recordAidOutput(input: {organizationId: $o, aidTypeId: $t, quantity: 2, cost: 300,
		deliveredOn: "2015-01-03", beneficiaryGroup: ELDERLY, pmksCategory: POVERTY, regencyId: $o, idempotencyKey: "k-recordAidOutput"}) { id } }`,
		map[string]any{"o": badung, "t": pmt}, &o)
	for _, w := range []write{
		{"createOrganization", `mutation($o: ID!) { createOrganization(input: {parentId: $o, kind: INSTITUTION, code: "BALI-BADUNG-X", name: "Panti X",
			idempotencyKey: "k-createOrganization"}) { id } }`, map[string]any{"o": badung}, "organization", map[string]any{"code": "BALI-BADUNG-X", "kind": "INSTITUTION"}},
		{"recordDonation", `mutation($o: ID!) { recordDonation(input: {organizationId: $o, source: BUSINESS, kind: GOODS, receivedOn: "2015-01-04",
			items: [{description: "beras", quantity: 50, unit: "kg", estimatedValue: 600000}, {description: "minyak", quantity: 10, unit: "liter", estimatedValue: 150000}],
			idempotencyKey: "k-recordDonation-goods"}) { id } }`, map[string]any{"o": badung}, "donation", map[string]any{"amount": float64(750000), "kind": "GOODS"}},
		{"createPartner", `mutation { createPartner(input: {kind: BUSINESS, name: "Toko Y", idempotencyKey: "k-createPartner"}) { id } }`, nil,
			"partner", map[string]any{"name": "Toko Y"}},
		{"createAidType", `mutation { createAidType(input: {code: "SEMBAKO_WP", name: "Paket sembako", nameEn: "Staples", unit: "paket",
			idempotencyKey: "k-createAidType"}) { id } }`, nil, "aid_type", map[string]any{"code": "SEMBAKO_WP", "nameEn": "Staples"}},
		{"createProgrammeTarget", `mutation($o: ID!, $t: ID!) { createProgrammeTarget(input: {organizationId: $o, year: 2016, aidTypeId: $t,
			targetQuantity: 9, budget: 900, idempotencyKey: "k-createProgrammeTarget"}) { id } }`, map[string]any{"o": badung, "t": pmt},
			"programme_target", map[string]any{"year": float64(2016), "targetQuantity": float64(9), "organizationId": badung}},
		{"createWorkMeeting", `mutation($o: ID!) { createWorkMeeting(input: {organizationId: $o, title: "Rakor", heldOn: "2015-02-02", place: "Mangupura",
			periodFrom: "2015-01-01", periodTo: "2015-01-31", attendance: [{group: REGENCY_COUNCIL, attendees: 12}], idempotencyKey: "k-createWorkMeeting"}) { id } }`,
			map[string]any{"o": badung}, "work_meeting", map[string]any{"heldOn": "2015-02-02", "title": "Rakor"}},
		{"createDonationBox", `mutation($o: ID!, $h: ID!) { createDonationBox(input: {code: "K-WP-1", hostPartnerId: $h, organizationId: $o, regencyId: $o,
			address: "Jl. Z", placedOn: "2015-01-05", idempotencyKey: "k-createDonationBox"}) { id } }`, map[string]any{"o": badung, "h": host},
			"donation_box", map[string]any{"code": "K-WP-1", "placedOn": "2015-01-05"}},
		{"reverseDonation", `mutation($d: ID!) { reverseDonation(input: {donationId: $d, reason: "ganda", idempotencyKey: "k-reverseDonation"}) { id } }`,
			map[string]any{"d": d.RecordDonation.ID}, "donation", map[string]any{"reversesId": d.RecordDonation.ID, "amount": float64(-5000)}},
		{"reverseAidOutput", `mutation($a: ID!) { reverseAidOutput(input: {outputId: $a, reason: "ganda", idempotencyKey: "k-reverseAidOutput"}) { id } }`,
			map[string]any{"a": o.RecordAidOutput.ID}, "aid_output", map[string]any{"reversesId": o.RecordAidOutput.ID, "quantity": float64(-2)}},
	} {
		r := admin.post(w.query, w.vars)
		if len(r.Errors) > 0 {
			t.Fatalf("%s: %+v", w.mutation, r.Errors)
		}
		var data map[string]struct{ ID string }
		json.Unmarshal(r.Data, &data)
		id := data[w.mutation].ID
		if op := admin.id(`SELECT operation FROM idempotency_keys WHERE key LIKE '%:k-' || $1 || '%' ORDER BY key DESC LIMIT 1`, w.mutation); op != w.mutation {
			t.Errorf("%s: idempotency operation %q", w.mutation, op)
		}
		var before, after *string
		if err := admin.db.QueryRow(`SELECT before::text, after::text FROM audit_log WHERE entity = $1 AND entity_id = $2`, w.entity, id).Scan(&before, &after); err != nil {
			t.Fatalf("%s: audit row: %v", w.mutation, err)
		}
		var stored map[string]any
		if after == nil || json.Unmarshal([]byte(*after), &stored) != nil || stored["id"] != id {
			t.Errorf("%s: after %v is not the stored record %s", w.mutation, after, id)
			continue
		}
		for k, v := range w.after {
			if stored[k] != v {
				t.Errorf("%s: after.%s = %v, want %v", w.mutation, k, stored[k], v)
			}
		}
		if rid, ok := stored["reversesId"].(string); ok {
			var orig map[string]any
			if before == nil || json.Unmarshal([]byte(*before), &orig) != nil || orig["id"] != rid {
				t.Errorf("%s: before %v is not the reversed entry %s", w.mutation, before, rid)
			}
		} else if before != nil {
			t.Errorf("%s: a create has a before: %s", w.mutation, *before)
		}
		if items, _ := stored["items"].([]any); stored["kind"] == "GOODS" && len(items) != 2 {
			t.Errorf("goods donation audit row lacks its items: %v", stored)
		}
		if w.entity == "work_meeting" {
			if a, _ := stored["attendance"].([]any); len(a) != 1 {
				t.Errorf("meeting audit row lacks its attendance: %v", stored)
			}
		}
	}
}
