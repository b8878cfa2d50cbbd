package account_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/auth"
	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/web/webtest"
)

// TestAccountPatientWithoutRecord: a patient account with no patient
// record (as make bench signs in) gets its account page, without the
// reminder switch, never a 500 (store.RemindersOn returned a bare "no
// rows"); the store answers ENotFound.
func TestAccountPatientWithoutRecord(t *testing.T) {
	f := webtest.NewFixture(t)
	hash, _ := auth.HashPassword(webtest.TestPassword, webtest.Cheap)
	u := &clinic.User{Email: "lone@example.org", DisplayName: "Lone Patient", Role: clinic.RolePatient}
	if err := f.St.CreateUser(context.Background(), store.System, u, hash); err != nil {
		t.Fatal(err)
	}
	f.Users[u.Email] = u
	if _, err := f.St.RemindersOn(t.Context(), f.As(u.Email)); clinic.ErrorCode(err) != clinic.ENotFound {
		t.Errorf("RemindersOn without a record = %v, want ENotFound", err)
	}
	r := f.Do("GET", "/account", nil, f.SignIn(u.Email))
	if r.Status != http.StatusOK {
		t.Fatalf("GET /account as a patient without a record = %d, want 200", r.Status)
	}
	if strings.Contains(r.Body, "Turn reminders") {
		t.Error("the account page offers reminders for a record that does not exist")
	}
	// A patient with a record still sees the switch.
	if r := f.Do("GET", "/account", nil, f.SignIn("pat@example.org")); r.Status != http.StatusOK || !strings.Contains(r.Body, "Turn reminders off") {
		t.Errorf("GET /account as a patient = %d, reminder switch shown: %v", r.Status, strings.Contains(r.Body, "Turn reminders off"))
	}
}
