package catalog

import (
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
)

func TestSectorProfilesCompose(t *testing.T) {
	c := MustDefault()
	for _, id := range []string{"miit-2026-finance", "miit-2026-healthcare", "miit-2026-cii", "miit-2026-government"} {
		p, err := c.Profile(id)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !p.WarnAsFail {
			t.Errorf("%s: inherits warn_as_fail from miit-2026-strict", id)
		}
		if p.Thresholds.LogRetentionDays != 180 {
			t.Errorf("%s: log retention %d, want 180 from the regulated layer", id, p.Thresholds.LogRetentionDays)
		}
		if _, ok := p.Required("CG-BRW-001"); !ok {
			t.Errorf("%s: DONT-5 enforcement (CG-BRW-001) not required", id)
		}
		if len(p.Attestations) < 3 {
			t.Errorf("%s: %d attestations, want the regulated layer's two plus its own", id, len(p.Attestations))
		}
		for _, r := range p.Requires {
			if title := p.SourceTitle(r.Source, EN); title == r.Source {
				t.Errorf("%s: requirement %s cites %s with no title", id, r.Check, r.Source)
			}
		}
		if p.Digest == "" {
			t.Errorf("%s: no digest", id)
		}
	}
	fin, _ := c.Profile("miit-2026-finance")
	if fin.Thresholds.MaxDaysBehind != 14 {
		t.Errorf("finance overrides max_days_behind: got %d", fin.Thresholds.MaxDaysBehind)
	}
	base, _ := c.Profile("miit-2026")
	if base.WarnAsFail || len(base.Requires) != 0 || base.Thresholds != (Thresholds{}) {
		t.Errorf("baseline must stay unchanged: %+v", base)
	}
	if base.Digest == fin.Digest {
		t.Error("different profiles share a digest")
	}
}

func TestLocalProfileFiles(t *testing.T) {
	c := MustDefault()
	c2, err := c.WithProfileFiles([]string{"testdata/profiles/branch.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	p, err := c2.Profile("branch-sh")
	if err != nil {
		t.Fatal(err)
	}
	if p.Thresholds.MaxDaysBehind != 7 || p.Thresholds.LogRetentionDays != 180 {
		t.Errorf("thresholds %+v", p.Thresholds)
	}
	if p.SeverityOverrides["CG-GW-004"] != finding.High {
		t.Errorf("severity override lost")
	}
	if _, ok := p.Required("CG-TL-001"); !ok {
		t.Error("finance requirement not inherited")
	}
	if _, err := c.Profile("branch-sh"); err == nil {
		t.Error("local profile leaked into the embedded catalog")
	}

	bad := map[string]string{
		"unknown-check.yaml": `testdata/profiles/unknown-check.yaml:8: profile bad-check: requires unknown check "CG-NOPE-001"`,
		"uncited.yaml":       `testdata/profiles/uncited.yaml:5: profile uncited: requires CG-GW-001: source "nowhere" is not declared under sources`,
		"shadow.yaml":        "testdata/profiles/shadow.yaml:1: profile miit-2026 is already defined in the embedded profiles",
		"unknown-field.yaml": "testdata/profiles/unknown-field.yaml: line 3: field require not found",
	}
	for file, want := range bad {
		_, err := c.WithProfileFiles([]string{"testdata/profiles/" + file})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s:\n got  %v\n want %s", file, err, want)
		}
	}
	_, err = c.WithProfileFiles([]string{"testdata/profiles/cycle-a.yaml", "testdata/profiles/cycle-b.yaml"})
	if err == nil || !strings.Contains(err.Error(), "testdata/profiles/cycle-a.yaml:2: profile cyc-a: extends cycle cyc-a -> cyc-b -> cyc-a") {
		t.Errorf("cycle: %v", err)
	}
}
