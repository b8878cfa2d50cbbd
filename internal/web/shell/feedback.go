package shell

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
)

// Form feedback: every form answer lands where the form is.
//
// The one mechanism, for every face, works without JavaScript:
//
//   - Each form section has a stable id, and the form's action carries it as
//     a fragment: <form method="post" action="/patients/7/appointments#book">.
//     A 422 answer to that post is shown at the fragment (the browser keeps
//     the action's fragment for the page it shows).
//   - On success the handler answers with SeeOther(w, r, path, id): a 303
//     to path with the fragment of the section posted, where the notice is.
//   - At the top of the form posted, the template calls the partial
//     {{template "error-summary" (summary POSTED "id" ERRORS "name=field-id" ...)}}:
//     a GOV.UK-style summary (role="alert", "There is a problem", each error
//     a link to its field's id; app.js focuses it on load). It is empty
//     unless POSTED (the id of the form that was posted, set by the
//     handler) is "id", so only the form posted shows its errors.
//   - Next to the form posted, {{template "form-notice" (notice POSTED "id" TEXT)}}
//     shows the success notice (role="status").
//
// Fields keep what was typed and show their error at the field with
// aria-describedby and aria-invalid (see _fields.html).

// SummaryItem is one error in an error summary: the message, and the id of
// the field it is about (the link's target).
type SummaryItem struct {
	Message string
	Field   string
	count   int // of fields with this message, in a family
}

// ErrorSummary is the list of errors shown at the top of the form posted.
type ErrorSummary struct {
	Form  string // the id of the form's section
	Items []SummaryItem
}

// Summary builds the error summary of form from errs when posted is form,
// and an empty one otherwise. Each of fields is a field's name, or
// "name=id" when the field's element id differs from its name, or
// "prefix*=idprefix*" for a family of fields ("prefix*=idprefix*:noun"
// lists one message shared by many of them once, as "message (N noun)");
// the items follow fields' order, and an error of a field not listed links to the
// form's section itself.
func Summary(posted, form string, errs map[string]string, fields ...string) ErrorSummary {
	out := ErrorSummary{Form: form}
	if posted != form || len(errs) == 0 {
		return out
	}
	seen := map[string]bool{}
	for _, f := range fields {
		name, id, ok := strings.Cut(f, "=")
		if !ok {
			id = name
		}
		if prefix, ok := strings.CutSuffix(name, "*"); ok {
			// A family of fields: "override_*=o-*", or "q_*=q_*:questions"
			// (the same message at many of them is listed once, linking
			// to the first, with how many there are).
			id, noun, _ := strings.Cut(id, ":")
			var names []string
			for n := range errs {
				if strings.HasPrefix(n, prefix) && !seen[n] {
					names = append(names, n)
				}
			}
			slices.Sort(names)
			at := map[string]int{}  // message -> its item
			first := len(out.Items) // this family's items start here
			for _, n := range names {
				seen[n] = true
				if i, ok := at[errs[n]]; ok && noun != "" {
					out.Items[i].count++
					continue
				}
				at[errs[n]] = len(out.Items)
				out.Items = append(out.Items, SummaryItem{Message: errs[n], Field: strings.TrimSuffix(id, "*") + strings.TrimPrefix(n, prefix), count: 1})
			}
			for i := first; i < len(out.Items); i++ {
				if c := out.Items[i].count; c > 1 {
					out.Items[i].Message += " (" + strconv.Itoa(c) + " " + noun + ")"
				}
			}
			continue
		}
		if msg, has := errs[name]; has && !seen[name] {
			out.Items = append(out.Items, SummaryItem{Message: msg, Field: id})
			seen[name] = true
		}
	}
	var rest []string
	for name := range errs {
		if !seen[name] {
			rest = append(rest, name)
		}
	}
	slices.Sort(rest)
	for _, name := range rest {
		out.Items = append(out.Items, SummaryItem{Message: errs[name], Field: form})
	}
	return out
}

// FormNotice is a success notice shown next to the form posted.
type FormNotice struct {
	Form string
	Text string
}

// Notice is text as the notice of form when posted is form, and empty
// otherwise.
func Notice(posted, form, text string) FormNotice {
	if posted != form {
		return FormNotice{Form: form}
	}
	return FormNotice{Form: form, Text: text}
}

// ErrorsFor is errs when posted is form, and nil otherwise: two forms on
// one page may share a field name (each has a "reason"), and an error
// belongs only to the form that was posted.
func ErrorsFor(posted, form string, errs map[string]string) map[string]string {
	if posted != form {
		return nil
	}
	return errs
}

// SeeOther answers a successful form post with a 303 to path, landing at
// the section with id fragment (where the form and its notice are). path
// must be a local path built by the handler; fragment may be empty.
func SeeOther(w http.ResponseWriter, r *http.Request, path, fragment string) {
	if fragment != "" {
		path += "#" + fragment
	}
	http.Redirect(w, r, path, http.StatusSeeOther)
}
