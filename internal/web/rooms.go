package web

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

// handleRooms lists the practice's rooms, with a form to add one (admins).
func (s *Server) handleRooms(w http.ResponseWriter, r *http.Request) {
	s.roomsPage(w, r, roomsData{}, http.StatusOK)
}

func (s *Server) roomsPage(w http.ResponseWriter, r *http.Request, d roomsData, status int) {
	var err error
	if d.Rooms, err = s.store.Rooms(r.Context()); err != nil {
		s.error(w, r, err)
		return
	}
	switch r.URL.Query().Get("done") {
	case "added":
		d.Notice = "Room added."
	case "archived":
		d.Notice = "Room taken out of use. Its past appointments keep it."
	}
	s.render(w, r, status, "rooms", "Rooms", d)
}

func (s *Server) handleRoomCreate(w http.ResponseWriter, r *http.Request) {
	room := &store.Room{Name: r.PostFormValue("name"), Dosing: r.PostFormValue("dosing") == "yes"}
	err := s.store.CreateRoom(r.Context(), s.actor(r), room)
	if e, ok := err.(*clinic.Error); ok && e.Code == clinic.EInvalid {
		s.roomsPage(w, r, roomsData{Form: r.PostForm, Errors: e.Fields}, http.StatusUnprocessableEntity)
		return
	}
	if err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/rooms?done=added", http.StatusSeeOther)
}

func (s *Server) handleRoomArchive(w http.ResponseWriter, r *http.Request) {
	if err := s.store.ArchiveRoom(r.Context(), s.actor(r), r.PathValue("room")); err != nil {
		s.error(w, r, err)
		return
	}
	http.Redirect(w, r, "/admin/rooms?done=archived", http.StatusSeeOther)
}
