package admin

import (
	"net/http"
	"net/url"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
)

type roomsData struct {
	Rooms  []store.Room
	Form   url.Values
	Errors map[string]string
	Notice string
}

// Rooms lists the practice's rooms, with a form to add one (admins).
func (s *Handlers) Rooms(w http.ResponseWriter, r *http.Request) {
	s.roomsPage(w, r, roomsData{}, http.StatusOK)
}

func (s *Handlers) roomsPage(w http.ResponseWriter, r *http.Request, d roomsData, status int) {
	var err error
	if d.Rooms, err = s.Store.Rooms(r.Context()); err != nil {
		s.Error(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "added":
		d.Notice = "Room added."
	case "archived":
		d.Notice = "Room taken out of use. Its past appointments keep it."
	}
	s.Render(w, r, status, "rooms", "Rooms", d)
}

func (s *Handlers) RoomCreate(w http.ResponseWriter, r *http.Request) {
	room := &store.Room{Name: r.PostFormValue("name"), Dosing: r.PostFormValue("dosing") == "yes"}
	err := s.Store.CreateRoom(r.Context(), s.Actor(r), room)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.roomsPage(w, r, roomsData{Form: r.PostForm, Errors: e.Fields}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/rooms?done=added", http.StatusSeeOther)
}

func (s *Handlers) RoomArchive(w http.ResponseWriter, r *http.Request) {
	if err := s.Store.ArchiveRoom(r.Context(), s.Actor(r), r.PathValue("room")); err != nil {
		s.Error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/rooms?done=archived", http.StatusSeeOther)
}
