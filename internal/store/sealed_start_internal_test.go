package store

import (
	"io/fs"
	"regexp"
	"testing"
)

// TestSealPlainSkipsNeverPlain: the sealing of plain values at every start
// (sealPlain) reads only the columns that may hold them, so a start does not
// read every psychotherapy note (issue 18: a start that grew with the
// practice); and a column is NeverPlain only where both engines' schema has
// the CHECK that makes it so.
func TestSealPlainSkipsNeverPlain(t *testing.T) {
	read := map[string]bool{}
	for _, c := range plainCandidates() {
		read[c.name()] = true
	}
	never := 0
	for _, c := range sealedColumns {
		if read[c.name()] == c.NeverPlain {
			t.Errorf("%s: NeverPlain %v, read by sealPlain %v", c.name(), c.NeverPlain, read[c.name()])
		}
		if !c.NeverPlain {
			continue
		}
		never++
		check := regexp.MustCompile(`(?s)CREATE TABLE ` + c.Table + ` \(.*\b` + c.Column + `\b[^,]*CHECK \(` + c.Column + ` LIKE 'seal1:%'\)`)
		for _, engine := range []string{"sqlite", "postgres"} {
			found := false
			fs.WalkDir(migrationFS, "migrations/"+engine, func(path string, d fs.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					b, _ := fs.ReadFile(migrationFS, path)
					found = found || check.Match(b)
				}
				return nil
			})
			if !found {
				t.Errorf("%s is NeverPlain, but no %s migration has its CHECK (%s LIKE 'seal1:%%')", c.name(), engine, c.Column)
			}
		}
	}
	if read["psychotherapy_notes.body_sealed"] {
		t.Error("sealPlain reads every psychotherapy note at start")
	}
	t.Logf("%d sealed columns, %d never plain", len(sealedColumns), never)
}
