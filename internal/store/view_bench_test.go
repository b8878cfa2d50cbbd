package store_test

import (
	"context"
	"testing"
	"time"

	"github.com/kapstone/kapstone/internal/clinic"
	"github.com/kapstone/kapstone/internal/store"
	"github.com/kapstone/kapstone/internal/store/storetest"
)

// BenchmarkChartReads reads what the chart page reads of one patient
// (chart, measures, consents, preparation, dosing, notes, timeline, care
// team), three ways in one run so they compare on a busy machine: each read
// its own audited transaction, as before issue 18 (separate); one View
// (one read transaction, one audit row); and the View with every query
// compiled afresh (view-nocache: StatementCache 0, SQLite only differs).
func BenchmarkChartReads(b *testing.B) {
	for _, c := range []struct {
		name  string
		view  bool
		cache int
	}{{"separate", false, store.StatementCache}, {"view", true, store.StatementCache}, {"view-nocache", true, 0}} {
		b.Run(c.name, func(b *testing.B) {
			old := store.StatementCache
			store.StatementCache = c.cache
			st := storetest.Open(b)
			store.StatementCache = old
			ctx := context.Background()
			th := &clinic.User{Email: "thea@example.org", DisplayName: "Thea", Role: clinic.RoleTherapist}
			if err := st.CreateUser(ctx, store.System, th, "x"); err != nil {
				b.Fatal(err)
			}
			actor := store.Actor{UserID: th.ID, Role: th.Role}
			p := &store.Patient{DisplayName: "Pat", Email: "pat@example.org"}
			if err := st.CreatePatient(ctx, actor, p, ""); err != nil {
				b.Fatal(err)
			}
			if err := st.AssignMeasure(ctx, actor, p.ID, "phq9", "weekly"); err != nil {
				b.Fatal(err)
			}
			if err := st.PostConsult(ctx, actor, p.ID, "First visit went well."); err != nil {
				b.Fatal(err)
			}
			for i := range 3 {
				if err := st.CreateAppointment(ctx, actor, p.ID, &store.Appointment{Kind: "integration", StartsAt: time.Now().Add(time.Duration(48+24*i) * time.Hour), Minutes: 60}); err != nil {
					b.Fatal(err)
				}
			}
			reads := func(ctx context.Context) error {
				if _, err := st.FindChart(ctx, actor, p.ID, store.ChartOptions{}); err != nil {
					return err
				}
				if _, err := st.FindMeasures(ctx, actor, p.ID); err != nil {
					return err
				}
				if _, err := st.PatientConsents(ctx, actor, p.ID); err != nil {
					return err
				}
				if _, err := st.PreparationHistory(ctx, actor, p.ID); err != nil {
					return err
				}
				if _, err := st.DosingSessions(ctx, actor, p.ID); err != nil {
					return err
				}
				if _, err := st.Notes(ctx, actor, p.ID, 1); err != nil {
					return err
				}
				_, err := st.CareTeam(ctx, actor, p.ID)
				return err
			}
			b.ReportAllocs()
			for b.Loop() {
				if !c.view {
					if err := reads(ctx); err != nil {
						b.Fatal(err)
					}
					continue
				}
				vctx, v, err := st.BeginView(ctx, actor, p.ID, "chart.read")
				if err != nil {
					b.Fatal(err)
				}
				if err := reads(vctx); err != nil {
					b.Fatal(err)
				}
				if err := v.Finish(ctx); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "views/s")
		})
	}
}
