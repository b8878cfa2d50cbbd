package shell

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
)

// TestSummary: the error summary lists the posted form's errors in the
// fields' order, linking each to its field's id (a family of fields by its
// prefix, an unlisted error to the form's section), and is empty for any
// other form on the page.
func TestSummary(t *testing.T) {
	errs := map[string]string{"reason": "Write the reason.", "override_b.2": "Override b.", "override_a.1": "Override a.", "form": "Changed by someone else.", "decision": "Choose one."}
	got := Summary("clear", "clear", errs, "decision", "reason=clear-reason", "override_*=o-*")
	want := []SummaryItem{{Message: "Choose one.", Field: "decision"}, {Message: "Write the reason.", Field: "clear-reason"}, {Message: "Override a.", Field: "o-a.1"}, {Message: "Override b.", Field: "o-b.2"}, {Message: "Changed by someone else.", Field: "clear"}}
	for i := range got.Items {
		got.Items[i].count = 0
	}
	if !reflect.DeepEqual(got.Items, want) || got.Form != "clear" {
		t.Errorf("Summary = %+v, want %+v", got, want)
	}
	same := map[string]string{"q_a": "Please answer.", "q_b": "Please answer.", "q_c": "Too long."}
	if got := Summary("f", "f", same, "q_*=q_*:questions"); len(got.Items) != 2 || got.Items[0].Message != "Please answer. (2 questions)" || got.Items[0].Field != "q_a" || got.Items[1].Message != "Too long." {
		t.Errorf("a message shared by a family = %+v, want it once with its count, linking to the first", got.Items)
	}
	two := map[string]string{"q_a": "Please answer.", "q_b": "Please answer.", "v_a": "Too high.", "v_b": "Too high."}
	if got := Summary("f", "f", two, "q_*=q_*:questions", "v_*=v_*:values"); len(got.Items) != 2 || got.Items[0].Message != "Please answer. (2 questions)" || got.Items[1].Message != "Too high. (2 values)" {
		t.Errorf("two families = %+v, want each counted once, with its own noun", got.Items)
	}
	if got := Summary("stage", "clear", errs, "reason"); len(got.Items) != 0 {
		t.Errorf("the summary of a form not posted = %+v, want empty", got)
	}
	if got := Summary("clear", "clear", nil, "reason"); len(got.Items) != 0 {
		t.Errorf("the summary without errors = %+v, want empty", got)
	}
	if n := Notice("book", "book", "Booked."); n.Text != "Booked." || Notice("stage", "book", "Booked.").Text != "" {
		t.Error("Notice shows beside a form not posted, or not beside the one posted")
	}
	if ErrorsFor("stage", "clear", errs) != nil || ErrorsFor("clear", "clear", errs) == nil {
		t.Error("ErrorsFor gives a form errors not its own")
	}
}

// TestSeeOther: the redirect after a form carries the section's fragment.
func TestSeeOther(t *testing.T) {
	for frag, want := range map[string]string{"book": "/patients/7?done=appointments#book", "": "/patients/7?done=appointments"} {
		w := httptest.NewRecorder()
		SeeOther(w, httptest.NewRequest("POST", "/patients/7/appointments", nil), "/patients/7?done=appointments", frag)
		if w.Code != http.StatusSeeOther || w.Header().Get("Location") != want {
			t.Errorf("SeeOther(%q) = %d %q, want 303 %q", frag, w.Code, w.Header().Get("Location"), want)
		}
	}
}
