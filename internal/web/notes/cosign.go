package notes

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/shell"
)

// Co-signature (issue 16 item 3): the supervisor's list of notes awaiting
// their co-signature, and the page of one, where they co-sign it or
// return it to its author with a comment. The store decides who reaches a
// note (auth.RelCosigner: the note names them as its co-signer).

// cosignList is the list page's data.
type cosignList struct {
	List   *store.CosignList
	Zone   string
	Notice string
}

// CosignList lists the notes awaiting the signed-in clinician's
// co-signature, a page at a time.
func (s *Handlers) CosignList(w http.ResponseWriter, r *http.Request) {
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	list, err := s.Store.NotesAwaitingCosign(r.Context(), s.Actor(r), page)
	if err != nil {
		s.Error(w, r, err)
		return
	}
	_, zone := s.PracticeZone(r)
	w.Header().Set("Cache-Control", "no-store")
	d := cosignList{List: list, Zone: zone}
	if r.URL.Query().Get("done") == "returned" {
		d.Notice = "Returned to its author with your comment. It is a draft again, and comes back to this list when they sign it."
	}
	s.Render(w, r, http.StatusOK, "cosign_list", "Notes awaiting your co-signature", d)
}

// cosignPage is the co-signature page's data.
type cosignPage struct {
	Note     *store.Note
	Sections []noteSectionView
	Zone     string
	Notice   string
	Posted   string
	Errors   map[string]string
	Conflict string
	Form     url.Values
	Attest   bool
}

func cosignPath(noteID string) string { return "/notes/cosign/" + noteID }

// Cosign shows a note to its co-signer.
func (s *Handlers) Cosign(w http.ResponseWriter, r *http.Request) {
	d := cosignPage{}
	if r.URL.Query().Get("done") == "cosigned" {
		d.Notice, d.Posted = "Co-signed. The note is signed and locked; both signatures are shown below.", "cosign"
	}
	s.cosignPage(w, r, http.StatusOK, d, nil)
}

func (s *Handlers) cosignPage(w http.ResponseWriter, r *http.Request, status int, d cosignPage, err error) {
	if err != nil {
		switch clinic.ErrorCode(err) {
		case clinic.EInvalid:
			status = http.StatusUnprocessableEntity
			if e, ok := err.(*clinic.Error); ok {
				d.Errors = e.Fields
			}
		case clinic.EConflict:
			status, d.Conflict = http.StatusConflict, clinic.ErrorMessage(err)
		default:
			s.Error(w, r, err)
			return
		}
	}
	n, nerr := s.Store.NoteForCosign(r.Context(), s.Actor(r), r.PathValue("note"))
	if nerr != nil {
		s.Error(w, r, nerr)
		return
	}
	_, d.Zone = s.PracticeZone(r)
	d.Note = n
	f, _ := clinic.NoteFormatOf(n.Format)
	for _, sec := range f.Sections {
		d.Sections = append(d.Sections, noteSectionView{Key: sec.Key, Title: sec.Title, Text: n.Sections[sec.Key]})
	}
	w.Header().Set("Cache-Control", "no-store")
	s.Render(w, r, status, "cosign", "Co-sign: "+clinic.AppointmentTitle(n.Kind)+" note", d)
}

// CosignSign co-signs the note.
func (s *Handlers) CosignSign(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("note")
	if _, err := s.Store.CosignNote(r.Context(), s.Actor(r), id, r.PostFormValue("attest") == "yes"); err != nil {
		s.cosignPage(w, r, 0, cosignPage{Posted: "cosign", Form: r.PostForm, Attest: r.PostFormValue("attest") == "yes"}, err)
		return
	}
	shell.SeeOther(w, r, cosignPath(id)+"?done=cosigned", "cosign")
}

// CosignReturn returns the note to its author with a comment.
func (s *Handlers) CosignReturn(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.ReturnNote(r.Context(), s.Actor(r), r.PathValue("note"), r.PostFormValue("comment")); err != nil {
		s.cosignPage(w, r, 0, cosignPage{Posted: "return", Form: r.PostForm}, err)
		return
	}
	shell.SeeOther(w, r, "/notes/cosign?done=returned", "")
}
