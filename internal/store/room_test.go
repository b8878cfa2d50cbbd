package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestCreateRoomConcurrentSameName: two admins adding a room of the same
// name at the same moment get one room; the other gets the form's field
// error, never another error. On PostgreSQL both duplicate checks can pass
// before either insert, and the unique index decides.
func TestCreateRoomConcurrentSameName(t *testing.T) {
	s := storetest.Open(t)
	ctx := context.Background()
	admin := &clinic.User{Email: "admin@example.org", DisplayName: "Admin", Role: clinic.RoleAdmin}
	if err := s.CreateUser(ctx, store.System, admin, "hash"); err != nil {
		t.Fatal(err)
	}
	actor := store.Actor{UserID: admin.ID, Role: clinic.RoleAdmin}
	const rounds = 40
	for i := range rounds {
		name := fmt.Sprintf("Garden room %d", i)
		start := make(chan struct{})
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for k := range errs {
			wg.Go(func() {
				<-start
				errs[k] = s.CreateRoom(ctx, actor, &store.Room{Name: name})
			})
		}
		close(start)
		wg.Wait()
		created := 0
		for _, err := range errs {
			if err == nil {
				created++
				continue
			}
			var ce *clinic.Error
			if !errors.As(err, &ce) || ce.Code != clinic.EInvalid || ce.Fields["name"] != "There is already a room with that name." {
				t.Fatalf("round %d: CreateRoom of a name being added at the same moment = %v, want the name field error", i, err)
			}
		}
		if created != 1 {
			t.Fatalf("round %d: %d of two concurrent CreateRoom calls succeeded, want 1", i, created)
		}
	}
	rooms, err := s.Rooms(ctx)
	if err != nil || len(rooms) != rounds {
		t.Errorf("Rooms = %d rooms, %v; want %d", len(rooms), err, rounds)
	}
	t.Logf("%s: %d rounds", s.Engine(), rounds)
}
