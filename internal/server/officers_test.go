package server_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/sinergi-id/sinergi/internal/auth"
)

// TestOfficersSignFromTheirDate: a council's officers are recorded with the
// date they take over; officers(on:) answers those in office on a day, so
// the books of an earlier meeting keep the names of their time.
func TestOfficersSignFromTheirDate(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	bali := admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)
	const record = `mutation($o: ID!, $d: Date!, $c: String!) { recordOfficers(input: {organizationId: $o, effectiveFrom: $d,
		chairName: $c, secretaryName: "Ni Wayan Suci", seat: "Denpasar"}) { id effectiveFrom chairName recordedBy organization { code } } }`
	var got struct {
		RecordOfficers struct {
			ID, EffectiveFrom, ChairName, RecordedBy string
			Organization                             struct{ Code string }
		}
	}
	admin.query(record, map[string]any{"o": bali, "d": "2015-03-01", "c": "I Nyoman Baru"}, &got)
	if got.RecordOfficers.ChairName != "I Nyoman Baru" || got.RecordOfficers.Organization.Code != "BALI" || got.RecordOfficers.EffectiveFrom != "2015-03-01" {
		t.Errorf("recorded %+v", got.RecordOfficers)
	}
	officersOn := func(e *env, day string) string {
		t.Helper()
		var out struct {
			Organization struct {
				Officers *struct{ ChairName, SecretaryName, Seat string }
			}
		}
		e.query(`query($o: ID!, $d: Date) { organization(id: $o) { officers(on: $d) { chairName secretaryName seat } } }`,
			map[string]any{"o": bali, "d": day}, &out)
		if out.Organization.Officers == nil {
			return ""
		}
		return out.Organization.Officers.ChairName
	}
	// The demo's officers sign 2014's books; the new chair from March 2015.
	for day, want := range map[string]string{"2011-12-31": "", "2014-07-17": "Dr. I Made Wirata, M.Si.", "2015-02-28": "Dr. I Made Wirata, M.Si.",
		"2015-03-01": "I Nyoman Baru", "2020-01-01": "I Nyoman Baru"} {
		if chair := officersOn(admin, day); chair != want {
			t.Errorf("chair on %s: %q, want %q", day, chair, want)
		}
	}
	// Names on the council's documents: a partner reads them too.
	if chair := officersOn(admin.as(auth.Partner, samudra), "2014-07-17"); chair != "Dr. I Made Wirata, M.Si." {
		t.Errorf("partner reads chair %q", chair)
	}
	// Refused: an institution, an operator's council outside its subtree,
	// empty names; all fields at once, nothing written.
	badung := admin.as(auth.Operator, "BALI-BADUNG")
	before := admin.written()
	inst := admin.id(`SELECT id FROM organizations WHERE kind = 'INSTITUTION' ORDER BY seq LIMIT 1`)
	r := admin.post(`mutation($o: ID!) { recordOfficers(input: {organizationId: $o, effectiveFrom: "2015-01-01", chairName: " ", secretaryName: "", seat: "Denpasar"}) { id } }`,
		map[string]any{"o": inst})
	fields := map[string]bool{}
	for _, e := range r.Errors {
		fields[fmt.Sprint(e.Extensions["field"])] = true
	}
	if !fields["input.organizationId"] || !fields["input.chairName"] || !fields["input.secretaryName"] {
		t.Errorf("refusal names %v, want organizationId, chairName and secretaryName: %+v", fields, r.Errors)
	}
	r = badung.post(record, map[string]any{"o": bali, "d": "2016-01-01", "c": "X"})
	if len(r.Errors) == 0 || r.Errors[0].Extensions["field"] != "input.organizationId" || !strings.Contains(r.Errors[0].Message, "outside the part of the council tree") {
		t.Errorf("an operator of Badung recording Bali's officers: %+v", r.Errors)
	}
	if after := admin.written(); !equal(before, after) {
		t.Errorf("refused writes changed %v into %v", before, after)
	}
	// The write is audited with the stored record.
	if n := admin.count(`SELECT count(*) FROM audit_log WHERE entity = 'officers' AND action = 'create' AND entity_id = $1
		AND after->>'chairName' = 'I Nyoman Baru'`, got.RecordOfficers.ID); n != 1 {
		t.Errorf("%d audit rows for the officers", n)
	}
}

// TestNarrativesAndDecisions: a council's note on a target (the latest
// stands) and a meeting's decisions (added in order) are written until the
// period is closed, and refused after it, so the closed book stays as it was.
func TestNarrativesAndDecisions(t *testing.T) {
	t.Parallel()
	admin := newEnv(t)
	target := admin.id(`SELECT t.id FROM programme_targets t JOIN aid_types a ON a.id = t.aid_type_id WHERE a.code = 'PMT' AND t.year = 2014`)
	meeting := admin.id(`SELECT id FROM work_meetings ORDER BY seq LIMIT 1`)
	var got struct {
		WriteProgrammeNarrative struct{ Narrative string }
	}
	admin.query(`mutation($t: ID!) { writeProgrammeNarrative(input: {targetId: $t, text: "Catatan baru"}) { narrative } }`, map[string]any{"t": target}, &got)
	if got.WriteProgrammeNarrative.Narrative != "Catatan baru" {
		t.Errorf("narrative %q", got.WriteProgrammeNarrative.Narrative)
	}
	var m struct {
		RecordMeetingDecisions struct {
			Decisions []struct{ Kind, Text string }
		}
	}
	admin.query(`mutation($m: ID!) { recordMeetingDecisions(input: {meetingId: $m, decisions: [{kind: RECOMMENDATION, text: "Tambahan"}]}) { decisions { kind text } } }`,
		map[string]any{"m": meeting}, &m)
	ds := m.RecordMeetingDecisions.Decisions
	if len(ds) != 6 || ds[5].Kind != "RECOMMENDATION" || ds[5].Text != "Tambahan" || ds[0].Kind != "DECISION" {
		t.Errorf("decisions after adding one: %+v", ds)
	}
	// Bad input: every field at once, nothing written.
	before := admin.written()
	r := admin.post(`mutation($m: ID!) { recordMeetingDecisions(input: {meetingId: $m, decisions: [{kind: DECISION, text: ""}, {kind: DECISION, text: " "}]}) { id } }`,
		map[string]any{"m": meeting})
	fields := map[string]bool{}
	for _, e := range r.Errors {
		fields[fmt.Sprint(e.Extensions["field"])] = true
	}
	if !fields["input.decisions.0.text"] || !fields["input.decisions.1.text"] {
		t.Errorf("empty decisions: %+v", r.Errors)
	}
	// Closed through the meeting: both are refused, naming the close.
	admin.query(`mutation($o: ID!) { closePeriod(input: {organizationId: $o, through: "2014-07-31"}) { id } }`,
		map[string]any{"o": admin.id(`SELECT id FROM organizations WHERE code = 'BALI'`)}, &struct{}{})
	before = admin.written()
	for name, q := range map[string]string{
		"narrative": `mutation($x: ID!) { writeProgrammeNarrative(input: {targetId: $x, text: "Terlambat"}) { id } }`,
		"decisions": `mutation($x: ID!) { recordMeetingDecisions(input: {meetingId: $x, decisions: [{kind: DECISION, text: "Terlambat"}]}) { id } }`,
	} {
		id := map[string]string{"narrative": target, "decisions": meeting}[name]
		r := admin.post(q, map[string]any{"x": id})
		if len(r.Errors) != 1 || r.Errors[0].Extensions["reason"] != "CLOSED_PERIOD" || !strings.Contains(r.Errors[0].Message, "BALI") {
			t.Errorf("%s in a closed period: %+v", name, r.Errors)
		}
	}
	if after := admin.written(); !equal(before, after) {
		t.Errorf("refused writes changed %v into %v", before, after)
	}
}
