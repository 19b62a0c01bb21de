package report

import (
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
)

// A check whose only finding is "skip" (not applicable, e.g. a live check
// without --deep) must report skip: never pass.
func TestSkipOnlyCheckIsSkipNotPass(t *testing.T) {
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	ids := cat.CheckIDs()
	if len(ids) < 2 {
		t.Fatal("catalog too small")
	}
	a, b := ids[0], ids[1]
	r, err := Build(cat, Input{
		Kind: "audit", Now: time.Unix(0, 0), Lang: catalog.EN, ProfileID: "miit-2026",
		Ran:      []string{a, b},
		Findings: []finding.Finding{{CheckID: a, Status: finding.Skip, Message: "not applicable"}, {CheckID: b, Status: finding.Skip}, {CheckID: b, Status: finding.Fail}},
	})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]finding.Status{}
	for _, c := range r.Checks {
		got[c.ID] = c.Status
	}
	if got[a] != finding.Skip {
		t.Errorf("%s with only a skip finding: %s, want skip", a, got[a])
	}
	if got[b] != finding.Fail {
		t.Errorf("%s with skip and fail findings: %s, want fail", b, got[b])
	}
}
