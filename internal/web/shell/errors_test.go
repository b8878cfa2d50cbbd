package shell

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kapstone/kapstone/internal/store/storetest"
)

// TestErrorMissingRowAndClientGone: an untyped "no rows" from a store read
// answers 404, never a 500; a request whose client went away (its context
// cancelled; the driver's error then is sqlite's "interrupted" or
// context.Canceled) is not logged at ERROR.
func TestErrorMissingRowAndClientGone(t *testing.T) {
	var logs bytes.Buffer
	app, err := New(Config{Country: "US"}, storetest.Open(t), slog.New(slog.NewJSONHandler(&logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	app.Error(rec, httptest.NewRequest("GET", "/account", nil), fmt.Errorf("reminders: %w", sql.ErrNoRows))
	if rec.Code != http.StatusNotFound || strings.Contains(logs.String(), `"level":"ERROR"`) {
		t.Errorf("an untyped missing row = %d (want 404), logs %s", rec.Code, logs.String())
	}
	for _, cause := range []error{context.Canceled, errors.New("sqlite3: interrupted")} {
		logs.Reset()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		rec := httptest.NewRecorder()
		app.Error(rec, httptest.NewRequest("GET", "/patients", nil).WithContext(ctx), cause)
		if rec.Code == http.StatusInternalServerError || strings.Contains(logs.String(), `"level":"ERROR"`) {
			t.Errorf("client gone with %v = %d, logs %s", cause, rec.Code, logs.String())
		}
	}
}
