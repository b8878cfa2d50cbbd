package fhir

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/measure"
	"github.com/kapstone/kapstone/internal/store"
)

// IncomingQR is a QuestionnaireResponse another app sent (POST
// QuestionnaireResponse), decoded and checked against the Questionnaire
// it answers: the answers are kapstone's, ready to be scored by the same
// code as the portal's (store.RecordCheckin).
type IncomingQR struct {
	Instrument string          // "phq9", "gad7", "phq2"
	PatientID  string          // from subject "Patient/<id>"
	Answers    measure.Answers // by kapstone's item id, each on the item's scale
	Authored   time.Time       // zero when the response did not say
}

// MaxQuestionnaireResponse is the largest body DecodeQuestionnaireResponse
// reads: a PHQ-9 with every element written at length is a few KB.
const MaxQuestionnaireResponse = 64 << 10

// The elements of a QuestionnaireResponse (R4) kapstone reads or accepts
// and ignores. Every other element is refused: one kapstone does not know
// is not guessed at, and a modifier (modifierExtension, implicitRules)
// could change the meaning of what it would store.
var (
	qrTop = map[string]string{
		"resourceType": "string", "questionnaire": "string", "status": "string", "subject": "object",
		"authored": "string", "item": "array",
		// accepted and ignored
		"id": "string", "meta": "object", "text": "object", "language": "string", "identifier": "object",
		"basedOn": "array", "partOf": "array", "encounter": "object", "author": "object", "source": "object",
		"extension": "array",
	}
	qrItem      = map[string]string{"id": "string", "extension": "array", "linkId": "string", "definition": "string", "text": "string", "answer": "array", "item": "array"}
	qrAnswer    = map[string]string{"id": "string", "extension": "array", "item": "array"}
	qrCoding    = map[string]string{"id": "string", "extension": "array", "system": "string", "version": "string", "code": "string", "display": "string", "userSelected": "bool"}
	qrReference = map[string]string{"id": "string", "extension": "array", "reference": "string", "type": "string", "identifier": "object", "display": "string"}
	qrModifiers = map[string]bool{"modifierExtension": true, "implicitRules": true, "contained": true}
)

// dateTimeFull is a FHIR dateTime to the second with its time zone.
var dateTimeFull = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)

// malformed is a request kapstone cannot read as a QuestionnaireResponse:
// EInvalid without fields, which Outcome answers 400.
func malformed(format string, args ...any) error {
	return &clinic.Error{Code: clinic.EInvalid, Message: fmt.Sprintf(format, args...)}
}

// object is a JSON object read by readJSON: its keys in order and values.
type object struct {
	keys []string
	vals map[string]any
}

// readJSON reads one JSON value from dec, refusing an object that names a
// key twice (encoding/json would keep the last silently). Numbers stay
// json.Number; objects are *object.
func readJSON(dec *json.Decoder, path string) (any, error) {
	tok, err := dec.Token()
	if err != nil {
		return nil, err
	}
	switch d := tok.(type) {
	case json.Delim:
		switch d {
		case '{':
			o := &object{vals: map[string]any{}}
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, err
				}
				k := kt.(string)
				if _, dup := o.vals[k]; dup {
					return nil, malformed("%s.%s appears twice in the same object.", path, k)
				}
				v, err := readJSON(dec, path+"."+k)
				if err != nil {
					return nil, err
				}
				o.keys = append(o.keys, k)
				o.vals[k] = v
			}
			_, err := dec.Token() // '}'
			return o, err
		case '[':
			var a []any
			for i := 0; dec.More(); i++ {
				v, err := readJSON(dec, fmt.Sprintf("%s[%d]", path, i))
				if err != nil {
					return nil, err
				}
				a = append(a, v)
			}
			if a == nil {
				a = []any{}
			}
			_, err := dec.Token() // ']'
			return a, err
		}
	}
	return tok, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case *object:
		return "object"
	case []any:
		return "array"
	case string:
		return "string"
	case json.Number:
		return "number"
	case bool:
		return "bool"
	}
	return "null"
}

var kindWords = map[string]string{"object": "a JSON object", "array": "a JSON array", "string": "a JSON string", "number": "a number", "bool": "true or false", "null": "null"}

// shape checks o's elements against allowed (element -> JSON kind): an
// element not allowed, a modifier, or one of the wrong kind is malformed,
// named by its path. FHIR elements are never null and arrays never empty.
func shape(o *object, path string, allowed map[string]string) error {
	for _, k := range o.keys {
		v := o.vals[k]
		want, ok := allowed[k]
		switch {
		case qrModifiers[k]:
			return malformed("%s.%s is not accepted: kapstone does not process modifiers or contained resources, and will not store a response whose meaning they might change.", path, k)
		case !ok:
			return malformed("%s.%s is not an element kapstone accepts here (unknown, or not part of FHIR R4 QuestionnaireResponse).", path, k)
		case jsonKind(v) != want:
			return malformed("%s.%s must be %s, not %s.", path, k, kindWords[want], kindWords[jsonKind(v)])
		case want == "array" && len(v.([]any)) == 0:
			return malformed("%s.%s is an empty array: FHIR leaves an element out instead.", path, k)
		case want == "string" && v.(string) == "":
			return malformed("%s.%s is an empty string: FHIR leaves an element out instead.", path, k)
		}
	}
	return nil
}

// questionnaires lists the canonical URLs kapstone takes answers to, for
// messages.
func questionnaires() string {
	var urls []string
	for _, inst := range measure.All() {
		if _, ok := Shipped(inst.ID); ok {
			urls = append(urls, QuestionnaireURL(inst.ID))
		}
	}
	return strings.Join(urls, ", ")
}

// questionnaireOf returns the shipped instrument whose Questionnaire's
// canonical URL is url.
func questionnaireOf(url string) (measure.Instrument, bool) {
	id, ok := strings.CutPrefix(url, QuestionnaireURL(""))
	if !ok {
		return measure.Instrument{}, false
	}
	return Shipped(id)
}

// itemOf finds the item of inst a linkId names: kapstone's item id
// ("phq9_9"), the item's LOINC code ("44260-8"), or the LOINC code as an
// LForms-made Questionnaire writes it ("/44260-8", "/44249-1/44260-8").
// stem is true for the instrument's stem (a display item, no answer).
func itemOf(inst measure.Instrument, linkID string) (index int, stem, ok bool) {
	if linkID == inst.ID+"_stem" && inst.Instructions != "" {
		return -1, true, true
	}
	code := linkID
	if rest, ok := strings.CutPrefix(linkID, "/"); ok {
		code = rest
		if inst.LOINCPanel != "" {
			code = strings.TrimPrefix(code, inst.LOINCPanel+"/")
		}
	}
	for i, it := range inst.Items {
		if it.ID == linkID || it.LOINC != "" && it.LOINC == code {
			return i, false, true
		}
	}
	return 0, false, false
}

// itemName names an item for a message: "phq9_9 (LOINC 44260-8)".
func itemName(it measure.Item) string {
	if it.LOINC == "" {
		return it.ID
	}
	return it.ID + " (LOINC " + it.LOINC + ")"
}

// answerOf reads the one answer of item it at path (answer[0]): its value
// on the item's scale, or a message for the field.
func answerOf(inst measure.Instrument, it measure.Item, a *object, path string) (int, string, error) {
	var valueKeys []string
	rest := &object{vals: a.vals}
	for _, k := range a.keys {
		if strings.HasPrefix(k, "value") {
			valueKeys = append(valueKeys, k)
		} else {
			rest.keys = append(rest.keys, k)
		}
	}
	if err := shape(rest, path, qrAnswer); err != nil {
		return 0, "", err
	}
	if _, nested := a.vals["item"]; nested {
		return 0, "Questions nested under an answer are not part of the " + inst.Name + ".", nil
	}
	if len(valueKeys) != 1 {
		return 0, "", malformed("%s must have exactly one value[x] (it has %d).", path, len(valueKeys))
	}
	scale := func() string {
		var s []string
		for _, o := range it.Options {
			s = append(s, strconv.Itoa(o.Value))
		}
		return strings.Join(s, ", ")
	}
	switch k := valueKeys[0]; k {
	case "valueInteger":
		n, ok := a.vals[k].(json.Number)
		if !ok {
			return 0, "", malformed("%s.valueInteger must be a number, not %s.", path, kindWords[jsonKind(a.vals[k])])
		}
		v, err := strconv.Atoi(n.String())
		if err != nil {
			return 0, fmt.Sprintf("valueInteger %s is not a whole number; answer %s with one of %s.", n, itemName(it), scale()), nil
		}
		if _, ok := option(it, v); !ok {
			return 0, fmt.Sprintf("valueInteger %d is not one of the answers to %s (%s).", v, itemName(it), scale()), nil
		}
		return v, "", nil
	case "valueCoding":
		c, ok := a.vals[k].(*object)
		if !ok {
			return 0, "", malformed("%s.valueCoding must be a JSON object, not %s.", path, kindWords[jsonKind(a.vals[k])])
		}
		if err := shape(c, path+".valueCoding", qrCoding); err != nil {
			return 0, "", err
		}
		system, _ := c.vals["system"].(string)
		code, _ := c.vals["code"].(string)
		var known []string
		for _, o := range it.Options {
			ours := answerCoding(o)
			if system == ours.System && code == ours.Code || system == SystemAnswerValue && code == strconv.Itoa(o.Value) {
				return o.Value, "", nil
			}
			known = append(known, ours.Code)
		}
		return 0, fmt.Sprintf("valueCoding %s|%s is not one of the answers to %s: use %s codes %s, or %s with the score (%s).",
			system, code, itemName(it), answerCoding(it.Options[0]).System, strings.Join(known, ", "), SystemAnswerValue, scale()), nil
	default:
		return 0, fmt.Sprintf("%s is not accepted: answer %s with valueCoding or valueInteger.", k, itemName(it)), nil
	}
}

// DecodeQuestionnaireResponse reads a QuestionnaireResponse sent to
// kapstone (at most MaxQuestionnaireResponse bytes) and checks it against
// the Questionnaire it answers, all of it before anything is stored.
//
// It must be one JSON object of FHIR R4 elements kapstone knows (no
// element twice, no unknown element, no modifier, nothing after it);
// otherwise the error is EInvalid with a message naming the element,
// which Outcome answers 400.
//
// Its content must then follow kapstone's rules, each broken one an
// EInvalid field named by its FHIRPath, which Outcome answers 422 with one
// issue each: status completed; questionnaire the canonical URL of one of
// kapstone's Questionnaires (QuestionnaireURL of a Shipped instrument:
// PHQ-9, GAD-7, PHQ-2); subject "Patient/<id>"; authored, when given, a
// dateTime to the second with its time zone; each item named by its
// linkId, kapstone's item id or the item's LOINC code, once, with one
// answer, a valueCoding (the LOINC answer code of the Questionnaire, or
// SystemAnswerValue with the score) or a valueInteger on the item's
// scale; the stem (a display item) may be sent without an answer; every
// required (scored) item answered.
func DecodeQuestionnaireResponse(body []byte) (*IncomingQR, error) {
	if len(body) > MaxQuestionnaireResponse {
		return nil, malformed("The QuestionnaireResponse is larger than %d bytes.", MaxQuestionnaireResponse)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	v, err := readJSON(dec, "QuestionnaireResponse")
	var ce *clinic.Error
	switch {
	case errors.As(err, &ce):
		return nil, err
	case err != nil:
		return nil, malformed("The body is not valid JSON: %v.", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, malformed("The body holds something after the QuestionnaireResponse; send one JSON object.")
	}
	top, ok := v.(*object)
	if !ok {
		return nil, malformed("The body must be a JSON object (a QuestionnaireResponse), not %s.", kindWords[jsonKind(v)])
	}
	if rt, _ := top.vals["resourceType"].(string); rt != "QuestionnaireResponse" {
		if rt == "" {
			return nil, malformed("resourceType is missing: send a QuestionnaireResponse.")
		}
		return nil, malformed("resourceType is %q: only a QuestionnaireResponse is taken here.", rt)
	}
	const root = "QuestionnaireResponse"
	if err := shape(top, root, qrTop); err != nil {
		return nil, err
	}
	fields := clinic.FieldErrors{}
	in := &IncomingQR{Answers: measure.Answers{}}

	status, _ := top.vals["status"].(string)
	if status != "completed" {
		msg := "status is missing: only a completed response is taken."
		if status != "" {
			msg = fmt.Sprintf("status is %q: only a completed response is taken.", status)
		}
		fields.Add(root+".status", msg)
	}
	subject, _ := top.vals["subject"].(*object)
	if subject == nil {
		fields.Add(root+".subject", `subject is missing: name the patient as "Patient/<id>".`)
	} else {
		if err := shape(subject, root+".subject", qrReference); err != nil {
			return nil, err
		}
		ref, _ := subject.vals["reference"].(string)
		typ, _ := subject.vals["type"].(string)
		id, ok := strings.CutPrefix(ref, "Patient/")
		switch {
		case !ok || !ValidID(id):
			fields.Add(root+".subject", fmt.Sprintf(`subject.reference must be "Patient/<id>" (it is %q).`, ref))
		case typ != "" && typ != "Patient":
			fields.Add(root+".subject", fmt.Sprintf(`subject.type is %q; the subject is a Patient.`, typ))
		default:
			in.PatientID = id
		}
	}
	if s, ok := top.vals["authored"].(string); ok {
		t, err := time.Parse(time.RFC3339Nano, s)
		if !dateTimeFull.MatchString(s) || err != nil {
			fields.Add(root+".authored", fmt.Sprintf("authored %q must be a date and time to the second with its time zone (2026-12-04T09:30:00Z).", s))
		} else {
			in.Authored = t
		}
	}
	url, _ := top.vals["questionnaire"].(string)
	inst, known := questionnaireOf(url)
	if !known {
		msg := "questionnaire is missing"
		if url != "" {
			msg = fmt.Sprintf("questionnaire %q is not one kapstone takes answers to", url)
		}
		fields.Add(root+".questionnaire", msg+": use one of "+questionnaires()+".")
		return nil, fields.Err()
	}
	in.Instrument = inst.ID

	items, _ := top.vals["item"].([]any)
	seen := map[string]int{}     // item id -> the index of the item that answered it
	refused := map[string]bool{} // item id -> its answer was refused (its own message says why)
	for i, raw := range items {
		path := fmt.Sprintf("%s.item[%d]", root, i)
		it, ok := raw.(*object)
		if !ok {
			return nil, malformed("%s must be a JSON object, not %s.", path, kindWords[jsonKind(raw)])
		}
		if err := shape(it, path, qrItem); err != nil {
			return nil, err
		}
		linkID, _ := it.vals["linkId"].(string)
		if linkID == "" {
			fields.Add(path+".linkId", "linkId is missing: name the question by its linkId or its LOINC code.")
			continue
		}
		if _, nested := it.vals["item"]; nested {
			fields.Add(path+".item", "The "+inst.Name+" has no groups of questions: send each question as a top-level item.")
			continue
		}
		n, stem, ok := itemOf(inst, linkID)
		answers, _ := it.vals["answer"].([]any)
		switch {
		case !ok:
			fields.Add(path+".linkId", fmt.Sprintf("linkId %q is not a question of the %s: use %s's linkIds (%s...) or the items' LOINC codes.", linkID, inst.Name, QuestionnaireURL(inst.ID), inst.Items[0].ID))
			continue
		case stem:
			if len(answers) > 0 {
				fields.Add(path+".answer", fmt.Sprintf("%s is the instructions (a display item): it takes no answer.", linkID))
			}
			continue
		}
		q := inst.Items[n]
		if j, dup := seen[q.ID]; dup {
			fields.Add(path+".linkId", fmt.Sprintf("%s is answered twice (item[%d] and item[%d]).", itemName(q), j, i))
			continue
		}
		seen[q.ID] = i
		switch len(answers) {
		case 0:
			continue // unanswered: checked below if it is required
		case 1:
		default:
			fields.Add(path+".answer", fmt.Sprintf("%s takes one answer, not %d.", itemName(q), len(answers)))
			refused[q.ID] = true
			continue
		}
		apath := path + ".answer[0]"
		a, ok := answers[0].(*object)
		if !ok {
			return nil, malformed("%s must be a JSON object, not %s.", apath, kindWords[jsonKind(answers[0])])
		}
		val, msg, err := answerOf(inst, q, a, apath)
		switch {
		case err != nil:
			return nil, err
		case msg != "":
			fields.Add(apath, msg)
			refused[q.ID] = true
		default:
			in.Answers[q.ID] = val
		}
	}
	for _, it := range inst.Items {
		_, answered := in.Answers[it.ID]
		if it.Scored && !answered && !refused[it.ID] {
			fields.Add(fmt.Sprintf("%s.item.where(linkId='%s')", root, it.ID), fmt.Sprintf("%s is required and not answered.", itemName(it)))
		}
	}
	if err := fields.Err(); err != nil {
		return nil, err
	}
	return in, nil
}

// Recorded is what a recorded QuestionnaireResponse answers with: the
// check-in's id, the QuestionnaireResponse as stored (kapstone's own
// mapping of the check-in, so a read of it later gives the same) and the
// Observations extracted from it, and whether its answers opened or added
// to a safety alert for the care team.
type Recorded struct {
	CheckinID             string
	QuestionnaireResponse QuestionnaireResponse
	Observations          []Observation
	Alerted               bool
}

// Checkins is the store's one way to record a completed check-in sent
// from another app; *store.Store is one.
type Checkins interface {
	RecordCheckin(ctx context.Context, actor store.Actor, patientID, instrument string, answers measure.Answers, at time.Time) (*store.Checkin, error)
}

// RecordQuestionnaireResponse stores in as a completed check-in of its
// patient, as actor, through store.RecordCheckin: the same access policy,
// scoring, risk signal, alert and audit as the portal's check-in, in one
// transaction. It returns the stored response and its Observations
// mapped by m. An actor who may not is told the patient does not exist
// (ENotFound, 404). A write needs a token of write scope: that is the
// caller's check (store.APICaller.Scope), made before this.
func (m Mapper) RecordQuestionnaireResponse(ctx context.Context, st Checkins, actor store.Actor, in *IncomingQR) (*Recorded, error) {
	c, err := st.RecordCheckin(ctx, actor, in.PatientID, in.Instrument, in.Answers, in.Authored)
	if err != nil {
		var ce *clinic.Error
		if errors.As(err, &ce) && ce.Code == clinic.EInvalid && ce.Fields["completed_at"] != "" {
			msg := ce.Fields["completed_at"]
			return nil, &clinic.Error{Code: clinic.EInvalid, Message: msg, Fields: map[string]string{"QuestionnaireResponse.authored": msg}}
		}
		return nil, err
	}
	qr, err := m.QuestionnaireResponse(in.PatientID, *c)
	if err != nil {
		return nil, err
	}
	obs, err := m.CheckinObservations(in.PatientID, *c)
	if err != nil {
		return nil, err
	}
	return &Recorded{CheckinID: c.ID, QuestionnaireResponse: qr, Observations: obs, Alerted: c.Alert != nil}, nil
}
