package fhir_test

import (
	"context"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/fhir"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// obj is a JSON object under construction.
type obj = map[string]any

// qrJSON builds a completed QuestionnaireResponse to instrument for
// patientID answering every scored item with v (item 9 of the PHQ-9 with
// item9), each answer written by answer and each item named by link.
func qrJSON(instrument, patientID string, v, item9 int, link func(measure.Item) string, answer func(measure.Item, int) obj) obj {
	inst, _ := measure.Get(instrument)
	var items []any
	for _, it := range inst.Items {
		if !it.Scored {
			continue
		}
		val := v
		if it.Risk {
			val = item9
		}
		items = append(items, obj{"linkId": link(it), "text": it.Text, "answer": []any{answer(it, val)}})
	}
	return obj{
		"resourceType":  "QuestionnaireResponse",
		"questionnaire": fhir.QuestionnaireURL(instrument),
		"status":        "completed",
		"subject":       obj{"reference": "Patient/" + patientID},
		"item":          items,
	}
}

func byID(it measure.Item) string    { return it.ID }
func byLOINC(it measure.Item) string { return it.LOINC }
func byInteger(_ measure.Item, v int) obj {
	return obj{"valueInteger": v}
}

// byLA answers with the LOINC answer code of the frequency scale, as the
// Questionnaire writes it (read back from the Questionnaire, not restated).
func byLA(it measure.Item, v int) obj {
	q, _ := m.Questionnaire(strings.SplitN(it.ID, "_", 2)[0])
	for _, qi := range q.Item {
		if qi.LinkID == it.ID {
			for _, o := range qi.AnswerOption {
				if len(o.ValueCoding.Extension) > 0 && *o.ValueCoding.Extension[0].ValueDecimal == float64(v) {
					return obj{"valueCoding": obj{"system": o.ValueCoding.System, "code": o.ValueCoding.Code, "display": o.ValueCoding.Display}}
				}
			}
		}
	}
	panic("no answer " + it.ID)
}

func byOwnSystem(_ measure.Item, v int) obj {
	return obj{"valueCoding": obj{"system": fhir.SystemAnswerValue, "code": string(rune('0' + v))}}
}

func encode(t *testing.T, o obj) []byte {
	t.Helper()
	b, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// items returns the item array of a QuestionnaireResponse under construction.
func items(o obj) []any { return o["item"].([]any) }

func item(o obj, i int) obj { return items(o)[i].(obj) }

// phq9Answers is v on every scored PHQ-9 item, item9 on item 9.
func phq9Answers(v, item9 int) measure.Answers {
	a := measure.Answers{}
	inst, _ := measure.Get("phq9")
	for _, it := range inst.Items {
		if it.Scored {
			a[it.ID] = v
		}
	}
	a["phq9_9"] = item9
	return a
}

// TestDecodeQuestionnaireResponse: every way kapstone takes an answered
// PHQ-9 (item ids or LOINC codes as linkIds, LOINC answer codes, its own
// answer codes or integers) gives the same answers; each kind of bad input
// is refused with a message naming the element: a body kapstone cannot
// read as a QuestionnaireResponse is 400, one that breaks the
// Questionnaire's rules 422 with an issue at the element's FHIRPath.
func TestDecodeQuestionnaireResponse(t *testing.T) {
	const p = "01jd0000000000000000000000"
	good := func() obj { return qrJSON("phq9", p, 1, 2, byID, byInteger) }
	want := phq9Answers(1, 2)
	for _, tc := range []struct {
		name string
		body func() obj
		want measure.Answers
		at   time.Time
	}{
		{"linkId and valueInteger", good, want, time.Time{}},
		{"LOINC linkId and LOINC answer code", func() obj { return qrJSON("phq9", p, 1, 2, byLOINC, byLA) }, want, time.Time{}},
		{"linkId and LOINC answer code", func() obj { return qrJSON("phq9", p, 1, 2, byID, byLA) }, want, time.Time{}},
		{"LOINC linkId and integer", func() obj { return qrJSON("phq9", p, 1, 2, byLOINC, byInteger) }, want, time.Time{}},
		{"kapstone's answer codes", func() obj { return qrJSON("phq9", p, 1, 2, byID, byOwnSystem) }, want, time.Time{}},
		{"LForms linkIds", func() obj {
			return qrJSON("phq9", p, 1, 2, func(it measure.Item) string { return "/44249-1/" + it.LOINC }, byLA)
		}, want, time.Time{}},
		{"authored, ignored elements, the stem and the difficulty item", func() obj {
			o := good()
			o["authored"] = "2026-12-04T09:30:00+01:00"
			o["id"], o["meta"], o["text"] = "from-app", obj{"source": "https://app.example"}, obj{"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>"}
			o["identifier"], o["author"], o["source"] = obj{"value": "42"}, obj{"reference": "Patient/" + p}, obj{"reference": "Patient/" + p}
			o["extension"] = []any{obj{"url": "https://app.example/x", "valueString": "y"}}
			o["item"] = append([]any{obj{"linkId": "phq9_stem", "text": "Over the last 2 weeks"}}, items(o)...)
			o["item"] = append(items(o), obj{"linkId": "69722-7", "answer": []any{obj{"valueCoding": obj{"system": fhir.SystemAnswerValue, "code": "1"}}}})
			return o
		}, func() measure.Answers { a := maps.Clone(want); a["phq9_difficulty"] = 1; return a }(), time.Date(2026, 12, 4, 8, 30, 0, 0, time.UTC)},
		{"an unanswered optional item", func() obj {
			o := good()
			o["item"] = append(items(o), obj{"linkId": "phq9_difficulty"})
			return o
		}, want, time.Time{}},
		{"GAD-7", func() obj { return qrJSON("gad7", p, 3, 3, byLOINC, byLA) }, measure.Answers{"gad7_1": 3, "gad7_2": 3, "gad7_3": 3, "gad7_4": 3, "gad7_5": 3, "gad7_6": 3, "gad7_7": 3}, time.Time{}},
		{"PHQ-2", func() obj { return qrJSON("phq2", p, 2, 2, byLOINC, byInteger) }, measure.Answers{"phq2_1": 2, "phq2_2": 2}, time.Time{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in, err := fhir.DecodeQuestionnaireResponse(encode(t, tc.body()))
			if err != nil {
				t.Fatalf("refused: %v", err)
			}
			if in.PatientID != p || !maps.Equal(in.Answers, tc.want) || !in.Authored.Equal(tc.at) {
				t.Errorf("decoded %+v, want patient %s, answers %v, authored %v", in, p, tc.want, tc.at)
			}
		})
	}

	// Bad input: raw bodies and edits of a good response. want400 is a
	// part of the message; want422 the expression of an issue.
	for _, tc := range []struct {
		name             string
		raw              string
		edit             func(obj)
		want400, want422 string
	}{
		{name: "not JSON", raw: `{"resourceType":`, want400: "not valid JSON"},
		{name: "an array", raw: `[]`, want400: "must be a JSON object"},
		{name: "two objects", raw: `{"resourceType":"QuestionnaireResponse"} {}`, want400: "something after"},
		{name: "a key twice", raw: `{"resourceType":"QuestionnaireResponse","status":"completed","status":"in-progress"}`, want400: "QuestionnaireResponse.status appears twice"},
		{name: "an answer value twice", raw: `{"resourceType":"QuestionnaireResponse","item":[{"linkId":"phq9_1","answer":[{"valueInteger":0,"valueInteger":3}]}]}`, want400: "QuestionnaireResponse.item[0].answer[0].valueInteger appears twice"},
		{name: "no resourceType", edit: func(o obj) { delete(o, "resourceType") }, want400: "resourceType is missing"},
		{name: "another resource", edit: func(o obj) { o["resourceType"] = "Observation" }, want400: `resourceType is "Observation"`},
		{name: "unknown element", edit: func(o obj) { o["score"] = 9 }, want400: "QuestionnaireResponse.score is not an element"},
		{name: "unknown item element", edit: func(o obj) { item(o, 0)["code"] = []any{obj{"code": "x"}} }, want400: "QuestionnaireResponse.item[0].code is not an element"},
		{name: "unknown coding element", edit: func(o obj) {
			item(o, 1)["answer"] = []any{obj{"valueCoding": obj{"system": fhir.SystemLOINC, "code": "LA6568-5", "rank": 1}}}
		}, want400: "QuestionnaireResponse.item[1].answer[0].valueCoding.rank is not an element"},
		{name: "modifierExtension", edit: func(o obj) { item(o, 2)["modifierExtension"] = []any{obj{"url": "x"}} }, want400: "item[2].modifierExtension is not accepted"},
		{name: "implicitRules", edit: func(o obj) { o["implicitRules"] = "https://x" }, want400: "QuestionnaireResponse.implicitRules is not accepted"},
		{name: "contained", edit: func(o obj) { o["contained"] = []any{obj{"resourceType": "Patient"}} }, want400: "QuestionnaireResponse.contained is not accepted"},
		{name: "status a number", edit: func(o obj) { o["status"] = 1 }, want400: "QuestionnaireResponse.status must be a JSON string"},
		{name: "item an object", edit: func(o obj) { o["item"] = obj{"linkId": "phq9_1"} }, want400: "QuestionnaireResponse.item must be a JSON array"},
		{name: "item a string", edit: func(o obj) { o["item"] = []any{"phq9_1"} }, want400: "QuestionnaireResponse.item[0] must be a JSON object"},
		{name: "null", edit: func(o obj) { o["authored"] = nil }, want400: "QuestionnaireResponse.authored must be a JSON string, not null"},
		{name: "empty item array", edit: func(o obj) { o["item"] = []any{} }, want400: "QuestionnaireResponse.item is an empty array"},
		{name: "empty string", edit: func(o obj) { item(o, 0)["text"] = "" }, want400: "item[0].text is an empty string"},
		{name: "two values", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"valueInteger": 1, "valueString": "1"}} }, want400: "answer[0] must have exactly one value[x]"},
		{name: "no value", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"id": "a"}} }, want400: "answer[0] must have exactly one value[x] (it has 0)"},
		{name: "coding a string", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"valueCoding": "LA6568-5"}} }, want400: "valueCoding must be a JSON object"},
		{name: "integer a string", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"valueInteger": "1"}} }, want400: "valueInteger must be a number"},
		{name: "too large", raw: `{"resourceType":"QuestionnaireResponse","text":{"div":"` + strings.Repeat("x", fhir.MaxQuestionnaireResponse) + `"}}`, want400: "larger than"},

		{name: "in progress", edit: func(o obj) { o["status"] = "in-progress" }, want422: "QuestionnaireResponse.status"},
		{name: "no status", edit: func(o obj) { delete(o, "status") }, want422: "QuestionnaireResponse.status"},
		{name: "no subject", edit: func(o obj) { delete(o, "subject") }, want422: "QuestionnaireResponse.subject"},
		{name: "subject a group", edit: func(o obj) { o["subject"] = obj{"reference": "Group/1"} }, want422: "QuestionnaireResponse.subject"},
		{name: "subject not an id", edit: func(o obj) { o["subject"] = obj{"reference": "Patient/a b"} }, want422: "QuestionnaireResponse.subject"},
		{name: "subject typed otherwise", edit: func(o obj) { o["subject"] = obj{"reference": "Patient/" + p, "type": "Practitioner"} }, want422: "QuestionnaireResponse.subject"},
		{name: "subject unknown element", edit: func(o obj) { o["subject"] = obj{"reference": "Patient/" + p, "ref": "x"} }, want400: "QuestionnaireResponse.subject.ref is not an element"},
		{name: "authored a date", edit: func(o obj) { o["authored"] = "2026-12-04" }, want422: "QuestionnaireResponse.authored"},
		{name: "authored without a zone", edit: func(o obj) { o["authored"] = "2026-12-04T09:30:00" }, want422: "QuestionnaireResponse.authored"},
		{name: "authored not a date", edit: func(o obj) { o["authored"] = "2026-02-30T09:30:00Z" }, want422: "QuestionnaireResponse.authored"},
		{name: "no questionnaire", edit: func(o obj) { delete(o, "questionnaire") }, want422: "QuestionnaireResponse.questionnaire"},
		{name: "another questionnaire", edit: func(o obj) { o["questionnaire"] = "http://loinc.org/q/44249-1" }, want422: "QuestionnaireResponse.questionnaire"},
		{name: "a versioned questionnaire", edit: func(o obj) { o["questionnaire"] = fhir.QuestionnaireURL("phq9") + "|2" }, want422: "QuestionnaireResponse.questionnaire"},
		{name: "PCL-5 (not shipped)", edit: func(o obj) { o["questionnaire"] = fhir.QuestionnaireURL("pcl5") }, want422: "QuestionnaireResponse.questionnaire"},
		{name: "GAD-7 answers to the PHQ-9", edit: func(o obj) { item(o, 0)["linkId"] = "gad7_1" }, want422: "QuestionnaireResponse.item[0].linkId"},
		{name: "no linkId", edit: func(o obj) { delete(item(o, 0), "linkId") }, want422: "QuestionnaireResponse.item[0].linkId"},
		{name: "an item twice", edit: func(o obj) { item(o, 1)["linkId"] = "44250-9" }, want422: "QuestionnaireResponse.item[1].linkId"},
		{name: "item 9 missing", edit: func(o obj) { o["item"] = items(o)[:8] }, want422: "QuestionnaireResponse.item.where(linkId='phq9_9')"},
		{name: "an item with no answer", edit: func(o obj) { delete(item(o, 4), "answer") }, want422: "QuestionnaireResponse.item.where(linkId='phq9_5')"},
		{name: "two answers", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"valueInteger": 1}, obj{"valueInteger": 2}} }, want422: "QuestionnaireResponse.item[0].answer"},
		{name: "integer off the scale", edit: func(o obj) { item(o, 8)["answer"] = []any{obj{"valueInteger": 4}} }, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "negative integer", edit: func(o obj) { item(o, 8)["answer"] = []any{obj{"valueInteger": -1}} }, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "fraction", edit: func(o obj) { item(o, 8)["answer"] = []any{obj{"valueInteger": 1.5}} }, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "unknown LOINC answer", edit: func(o obj) {
			item(o, 8)["answer"] = []any{obj{"valueCoding": obj{"system": fhir.SystemLOINC, "code": "LA6572-7"}}}
		}, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "answer code without system", edit: func(o obj) { item(o, 8)["answer"] = []any{obj{"valueCoding": obj{"code": "LA6570-1"}}} }, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "own answer code off the scale", edit: func(o obj) {
			item(o, 8)["answer"] = []any{obj{"valueCoding": obj{"system": fhir.SystemAnswerValue, "code": "4"}}}
		}, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "a string answer", edit: func(o obj) { item(o, 8)["answer"] = []any{obj{"valueString": "2"}} }, want422: "QuestionnaireResponse.item[8].answer[0]"},
		{name: "a nested item", edit: func(o obj) { item(o, 0)["item"] = []any{obj{"linkId": "phq9_2"}} }, want422: "QuestionnaireResponse.item[0].item"},
		{name: "an item under an answer", edit: func(o obj) { item(o, 0)["answer"] = []any{obj{"valueInteger": 1, "item": []any{obj{"linkId": "x"}}}} }, want422: "QuestionnaireResponse.item[0].answer[0]"},
		{name: "an answer to the stem", edit: func(o obj) {
			o["item"] = append(items(o), obj{"linkId": "phq9_stem", "answer": []any{obj{"valueInteger": 1}}})
		}, want422: "QuestionnaireResponse.item[9].answer"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.raw)
			if tc.raw == "" {
				o := good()
				tc.edit(o)
				body = encode(t, o)
			}
			in, err := fhir.DecodeQuestionnaireResponse(body)
			if err == nil {
				t.Fatalf("taken: %+v", in)
			}
			if clinic.ErrorCode(err) != clinic.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			status, out := fhir.Outcome(err)
			validate(t, "the OperationOutcome", out)
			switch {
			case tc.want400 != "":
				if status != http.StatusBadRequest || len(out.Issue) != 1 || !strings.Contains(out.Issue[0].Diagnostics, tc.want400) {
					t.Errorf("= %d %+v, want 400 saying %q", status, out.Issue, tc.want400)
				}
			default:
				found := false
				for _, is := range out.Issue {
					found = found || slices.Equal(is.Expression, []string{tc.want422}) && is.Diagnostics != ""
				}
				if status != http.StatusUnprocessableEntity || !found {
					t.Errorf("= %d %+v, want 422 with an issue at %s", status, out.Issue, tc.want422)
				}
			}
		})
	}
}

// TestDecodeQuestionnaireResponseAllIssues: a response with several
// problems is answered with all of them at once, one issue each.
func TestDecodeQuestionnaireResponseAllIssues(t *testing.T) {
	o := qrJSON("phq9", "01jd0000000000000000000000", 0, 0, byID, byInteger)
	o["status"] = "amended"
	item(o, 3)["answer"] = []any{obj{"valueInteger": 7}}
	o["item"] = items(o)[:8]
	_, err := fhir.DecodeQuestionnaireResponse(encode(t, o))
	status, out := fhir.Outcome(err)
	var got []string
	for _, is := range out.Issue {
		got = append(got, is.Expression...)
	}
	want := []string{"QuestionnaireResponse.item.where(linkId='phq9_9')", "QuestionnaireResponse.item[3].answer[0]", "QuestionnaireResponse.status"}
	if status != http.StatusUnprocessableEntity || !slices.Equal(got, want) {
		t.Errorf("= %d at %q, want 422 at %q (item 4's refused answer is not also reported missing)", status, got, want)
	}
}

// post decodes body and records it as actor.
func post(t *testing.T, st *store.Store, actor store.Actor, body obj) (*fhir.Recorded, error) {
	t.Helper()
	in, err := fhir.DecodeQuestionnaireResponse(encode(t, body))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return m.RecordQuestionnaireResponse(context.Background(), st, actor, in)
}

// TestPostedPHQ9Item9Alerts (issue 19's acceptance): a PHQ-9 with item 9
// = 2 answered in another app and recorded as the patient (their API
// token) is scored by the portal's code, opens the same safety alert as
// the same answers sent through the portal's form, and the therapist's
// caseload shows it; it is audited as a check-in from FHIR, and the
// response and Observations kapstone answers with validate against the
// R4 schema, the Observations derived from the response.
func TestPostedPHQ9Item9Alerts(t *testing.T) {
	ctx := context.Background()
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.As("pat@example.org")
	body := qrJSON("phq9", f.PA.ID, 1, 2, byLOINC, byLA)
	body["authored"] = f.Now.Add(-time.Hour).Format(time.RFC3339)
	rec, err := post(t, f.St, pat, body)
	if err != nil {
		t.Fatal(err)
	}

	inst, _ := measure.Get("phq9")
	res, err := measure.Score(inst, phq9Answers(1, 2))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := f.St.FindMeasures(ctx, f.As("thea@example.org"), f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Checkins) != 1 {
		t.Fatalf("check-ins = %+v, want one", ms.Checkins)
	}
	c := ms.Checkins[0]
	if c.ID != rec.CheckinID || c.Total != res.Total || c.Total != 10 || c.Band != res.Band.Label || c.Risk != string(measure.RiskPositive) ||
		!maps.Equal(c.Answers, phq9Answers(1, 2)) || !c.CompletedAt.Equal(f.Now.Add(-time.Hour)) {
		t.Errorf("stored %+v, want %s scored %d %s %s by measure, completed when authored", c, rec.CheckinID, res.Total, res.Band.Label, res.Risk)
	}

	open := f.OpenAlerts()
	if !rec.Alerted || len(open) != 1 || open[0].Urgency != measure.UrgencyUrgent || open[0].Source != "phq9" ||
		len(open[0].Signals) != 1 || open[0].Signals[0].CheckinID != rec.CheckinID {
		t.Fatalf("alerted %v, open alerts %+v: want one urgent PHQ-9 alert holding the check-in", rec.Alerted, open)
	}
	caseload, err := f.St.OpenSafetyAlerts(ctx, f.As("thea@example.org"))
	if err != nil || len(caseload) != 1 || caseload[0].PatientID != f.PA.ID {
		t.Fatalf("caseload alerts = %+v, %v: want patient A's", caseload, err)
	}
	page := f.Do("GET", "/patients", nil, f.SignIn("thea@example.org"))
	if !strings.Contains(page.Body, "Safety alerts") || !strings.Contains(page.Body, webtest.CanaryA) || !strings.Contains(page.Body, "more than half the days") {
		t.Error("the therapist's caseload page does not show the alert with item 9's answer")
	}

	// The same answers through the portal's form open the same alert.
	g := webtest.NewFixture(t)
	g.Assign("phq9", "weekly")
	if r := g.Do("POST", "/portal/checkins/phq9", webtest.PHQ9Form("complete", 1, 2), g.SignIn("pat@example.org")); r.Status != http.StatusOK {
		t.Fatalf("portal check-in = %d", r.Status)
	}
	portal := g.OpenAlerts()
	if len(portal) != 1 || portal[0].Signal != open[0].Signal || portal[0].Urgency != open[0].Urgency || portal[0].Source != open[0].Source ||
		portal[0].Signals[0].Level != open[0].Signals[0].Level || portal[0].Signals[0].Signal != open[0].Signals[0].Signal {
		t.Errorf("portal alert %+v, FHIR alert %+v: want the same", portal, open)
	}

	rows := f.AuditRows("checkin.complete")
	if len(rows) != 1 || rows[0].Detail != "phq9:fhir" || rows[0].ActorID != pat.UserID || rows[0].PatientID != f.PA.ID || rows[0].ObjectID != rec.CheckinID {
		t.Errorf("checkin.complete rows = %+v, want one by the patient, phq9:fhir", rows)
	}
	if raised := f.AuditRows("alert.raise"); len(raised) != 1 || raised[0].Detail != "source=phq9" {
		t.Errorf("alert.raise rows = %+v, want one from phq9", raised)
	}

	qr := validate(t, "the recorded QuestionnaireResponse", rec.QuestionnaireResponse)
	if rec.QuestionnaireResponse.ID != rec.CheckinID || !strings.Contains(string(qr), `"linkId":"phq9_9"`) {
		t.Errorf("QuestionnaireResponse %s, want the check-in %s", qr, rec.CheckinID)
	}
	var total bool
	for _, o := range rec.Observations {
		validate(t, "Observation "+o.ID, o)
		if len(o.DerivedFrom) != 1 || o.DerivedFrom[0].Reference != "QuestionnaireResponse/"+rec.CheckinID {
			t.Errorf("Observation %s is derived from %+v", o.ID, o.DerivedFrom)
		}
		if o.Code.Coding[0].Code == inst.LOINCTotal {
			total = o.ValueQuantity != nil && *o.ValueQuantity.Value == float64(res.Total)
		}
	}
	if len(rec.Observations) != 11 || !total { // panel, total, 9 items
		t.Errorf("%d Observations (total right: %v), want the panel, the total %d and 9 items", len(rec.Observations), total, res.Total)
	}
}

// TestPostedQuestionnaireResponseAccess: the one policy decides who may
// record: patient A's token cannot record for patient B, nor a therapist
// outside B's team (404, nothing stored, denied audited); a clinician on
// the care team may record a PHQ-9 no one asked for; a patient may not
// record a questionnaire no one asked them for, unless it carries a risk
// answer, which is kept and alerts, as in the portal; a time in the future
// is refused at authored.
func TestPostedQuestionnaireResponseAccess(t *testing.T) {
	ctx := context.Background()
	f := webtest.NewFixture(t)
	pat := f.As("pat@example.org")

	for _, who := range []string{"pat@example.org", "thea@example.org"} {
		_, err := post(t, f.St, f.As(who), qrJSON("phq9", f.PB.ID, 0, 3, byID, byInteger))
		if status, _ := fhir.Outcome(err); status != http.StatusNotFound {
			t.Errorf("%s recording for patient B = %d (%v), want 404", who, status, err)
		}
	}
	if ms, err := f.St.FindMeasures(ctx, f.As("theo@example.org"), f.PB.ID); err != nil || len(ms.Checkins)+len(ms.InProgress) != 0 {
		t.Errorf("patient B's check-ins = %+v, %v: want none", ms, err)
	}
	if open, err := f.St.OpenSafetyAlerts(ctx, f.As("theo@example.org")); err != nil || len(open) != 0 {
		t.Errorf("patient B's alerts = %+v, %v: want none", open, err)
	}
	denied := 0
	for _, r := range f.AuditRows("checkin.complete") {
		if r.Outcome == "denied" && r.PatientID == f.PB.ID {
			denied++
		}
	}
	if denied != 2 {
		t.Errorf("%d denied checkin.complete rows for patient B, want 2", denied)
	}

	// Nothing assigned: the patient's GAD-7 is refused, their PHQ-9 with
	// item 9 kept and alerted; thea's PHQ-9 is recorded.
	_, err := post(t, f.St, pat, qrJSON("gad7", f.PA.ID, 1, 1, byID, byInteger))
	if status, _ := fhir.Outcome(err); status != http.StatusNotFound {
		t.Errorf("patient's unassigned GAD-7 = %d (%v), want 404", status, err)
	}
	rec, err := post(t, f.St, pat, qrJSON("phq9", f.PA.ID, 0, 1, byID, byInteger))
	if err != nil || !rec.Alerted {
		t.Fatalf("patient's unassigned PHQ-9 with item 9 = %+v, %v: want it kept and alerted", rec, err)
	}
	if _, err := post(t, f.St, f.As("thea@example.org"), qrJSON("phq9", f.PA.ID, 0, 0, byID, byInteger)); err != nil {
		t.Fatalf("thea's unassigned PHQ-9: %v", err)
	}
	var details []string
	for _, r := range f.AuditRows("checkin.complete") {
		if r.Outcome == "success" {
			details = append(details, r.Detail)
		}
	}
	if want := []string{"phq9:fhir:not-assigned", "phq9:fhir"}; !slices.Equal(details, want) {
		t.Errorf("recorded check-ins audited %q, want %q", details, want)
	}

	future := qrJSON("phq9", f.PA.ID, 0, 0, byID, byInteger)
	future["authored"] = f.Now.Add(store.RecordSkew + time.Minute).Format(time.RFC3339)
	_, err = post(t, f.St, f.As("thea@example.org"), future)
	if status, out := fhir.Outcome(err); status != http.StatusUnprocessableEntity || len(out.Issue) != 1 || out.Issue[0].Expression[0] != "QuestionnaireResponse.authored" {
		t.Errorf("authored in the future = %d %+v, want 422 at authored", status, out)
	}
	skewed := qrJSON("phq9", f.PA.ID, 0, 0, byID, byInteger)
	skewed["authored"] = f.Now.Add(time.Minute).Format(time.RFC3339)
	if rec, err := post(t, f.St, f.As("thea@example.org"), skewed); err != nil || rec.QuestionnaireResponse.Authored != fhir.Instant(f.Now) {
		t.Errorf("authored a minute ahead = %+v, %v: want it recorded now", rec, err)
	}
}

// TestPostedQuestionnaireResponseIsWhole: a response from another app is
// a check-in of its own: the PHQ-9 the patient left half done in the
// portal stays as it was, in progress, and none of its answers (the
// difficulty question) are added to the posted one.
func TestPostedQuestionnaireResponseIsWhole(t *testing.T) {
	ctx := context.Background()
	f := webtest.NewFixture(t)
	f.Assign("phq9", "weekly")
	pat := f.As("pat@example.org")
	if _, err := f.St.SaveCheckin(ctx, pat, f.PA.ID, "phq9", measure.Answers{"phq9_1": 3, "phq9_difficulty": 2}, false); err != nil {
		t.Fatal(err)
	}
	rec, err := post(t, f.St, pat, qrJSON("phq9", f.PA.ID, 0, 0, byID, byInteger))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := f.St.FindMeasures(ctx, pat, f.PA.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms.Checkins) != 1 || ms.Checkins[0].ID != rec.CheckinID || !maps.Equal(ms.Checkins[0].Answers, phq9Answers(0, 0)) || ms.Checkins[0].Total != 0 {
		t.Errorf("completed = %+v, want the posted answers alone", ms.Checkins)
	}
	if len(ms.InProgress) != 1 || ms.InProgress[0].ID == rec.CheckinID || !maps.Equal(ms.InProgress[0].Answers, measure.Answers{"phq9_1": 3, "phq9_difficulty": 2}) {
		t.Errorf("in progress = %+v, want the portal's half-done PHQ-9 unchanged", ms.InProgress)
	}
}
