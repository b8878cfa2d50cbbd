package demo_test

import (
	"context"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/demo"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestDemoMessages: the demo shows Lena's shared inbox with two
// conversations, one she answered and one not yet, and unread messages.
func TestDemoMessages(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	if _, err := demo.Seed(ctx, st, t.TempDir(), auth.Params{Memory: 8 * 1024, Time: 1, Threads: 1}); err != nil {
		t.Fatal(err)
	}
	u, _, err := st.FindUserByEmail(ctx, "lena.ortiz@willowcreek.example")
	if err != nil {
		t.Fatal(err)
	}
	lena := store.Actor{UserID: u.ID, Role: clinic.RoleTherapist}
	inbox, _, err := st.StaffInbox(ctx, lena, 0)
	if err != nil || len(inbox) != 2 {
		t.Fatalf("Lena's inbox = %+v, %v, want 2 threads", inbox, err)
	}
	if inbox[0].Unread != 1 || len(inbox[0].Answered) != 0 || inbox[1].Unread != 1 || len(inbox[1].Answered) != 1 {
		t.Errorf("inbox = %+v, want Casey's unanswered and Jordan's answered, each with one unread", inbox)
	}
	if n, err := st.StaffUnreadMessages(ctx, lena); err != nil || n != 2 {
		t.Errorf("Lena's unread = %d, %v, want 2", n, err)
	}
}
