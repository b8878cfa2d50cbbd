package fhir

import (
	"context"
	"net/http"
)

// everything answers GET /fhir/Patient/{id}/$everything: Everything's
// gathering of the patient's record as the caller may read it, in one
// view (one read transaction, one audit row), as a searchset Bundle (the
// Patient and the rest of the record as matches, every reference
// resolving inside it). It is whole, not paged: one patient's record.
func (h *Handler) everything(w http.ResponseWriter, r *http.Request, ct string, c *caller, id string) {
	if !ValidID(id) {
		h.fail(w, r, ct, http.StatusNotFound, "not-found", "We could not find that resource.")
		return
	}
	var b *Bundle
	err := h.inView(r.Context(), c, id, func(ctx context.Context) error {
		var err error
		b, err = Everything(ctx, h.Store, c.actor, id, c.m)
		return err
	})
	if err != nil {
		h.error(w, r, ct, err)
		return
	}
	b.Type, b.Total = "searchset", Int(len(b.Entry))
	b.Link = []BundleLink{{Relation: "self", URL: c.base + "/Patient/" + id + "/$everything"}}
	for i := range b.Entry {
		b.Entry[i].Search = &BundleSearch{Mode: "match"}
	}
	h.write(w, r, ct, http.StatusOK, b)
}
