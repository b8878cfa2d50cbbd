package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestUserListPages: `kapstone user list` prints every account, the staff
// first, then the patients, though it reads them a page at a time: more
// than two pages of patients' accounts, each once.
func TestUserListPages(t *testing.T) {
	ctx := context.Background()
	st := storetest.Open(t)
	var want []string
	for i, u := range []*clinic.User{{Email: "ada@example.org", DisplayName: "Ada", Role: clinic.RoleAdmin}, {Email: "tam@example.org", DisplayName: "Tam", Role: clinic.RoleTherapist}} {
		if err := st.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(i, err)
		}
	}
	for i := range 2*store.DefaultPageSize + 3 {
		u := &clinic.User{Email: fmt.Sprintf("pt%03d@example.org", i), DisplayName: fmt.Sprintf("Patient %03d", i), Role: clinic.RolePatient}
		if err := st.CreateUser(ctx, store.System, u, "h"); err != nil {
			t.Fatal(err)
		}
		want = append(want, u.Email)
	}
	var out bytes.Buffer
	if err := userList(ctx, st, &runEnv{stdout: &out}); err != nil {
		t.Fatal(err)
	}
	text := out.String()
	if !strings.HasPrefix(text, "EMAIL") || strings.Count(text, "EMAIL") != 1 {
		t.Errorf("user list: want one header line first")
	}
	staffAt, firstPatient := strings.Index(text, "tam@example.org"), strings.Index(text, want[0])
	if staffAt < 0 || firstPatient < staffAt || !strings.Contains(text, "ada@example.org") {
		t.Errorf("user list: want the staff, then the patients")
	}
	for _, e := range want {
		if n := strings.Count(text, e); n != 1 {
			t.Errorf("user list shows %s %d times, want once", e, n)
		}
	}
}
