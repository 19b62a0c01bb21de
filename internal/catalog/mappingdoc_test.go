package catalog

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/control-mapping.md")

const mappingDoc = "../../docs/control-mapping.md"

// TestMappingDoc keeps the published mapping table in sync with the
// catalog: any change to a control list, a check or a rationale must be
// followed by regenerating the document.
func TestMappingDoc(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := c.MappingMarkdown()
	if *update {
		if err := os.MkdirAll(filepath.Dir(mappingDoc), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(mappingDoc, want, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(mappingDoc)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/catalog -run TestMappingDoc -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("%s is out of sync with the catalog: run go test ./internal/catalog -run TestMappingDoc -update", mappingDoc)
	}
}

// TestMappingDocDetectsDrift proves the sync test can fail: a catalog with
// one check moved to another control renders a different table.
func TestMappingDocDetectsDrift(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	base := c.MappingMarkdown()
	cp := *c
	cp.checks = map[string]*Check{}
	for id, ch := range c.checks {
		x := *ch
		cp.checks[id] = &x
	}
	cp.checks["CG-GW-012"].Controls = []string{"DO-2"}
	if bytes.Equal(base, cp.MappingMarkdown()) {
		t.Fatal("a changed mapping rendered the same document")
	}
	if !bytes.Contains(base, []byte("| CG-GW-012 |")) || !bytes.Contains(base, []byte("CG-CH-006")) {
		t.Fatal("document lacks a check row or the retired section")
	}
}

var controlRef = regexp.MustCompile(`\b(?:DO|DONT)-[1-6]\b`)

// TestMappingRationale requires a rationale for every mapped check that
// names exactly the controls the check decides: a why that mentions a
// control the check is not listed under (or misses one) means the data
// and its justification have drifted apart.
func TestMappingRationale(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range c.CheckIDs() {
		ch, _ := c.Check(id)
		if len(ch.Controls) == 0 {
			continue
		}
		if ch.Why == "" {
			t.Errorf("%s: no rationale in mapping.yaml", id)
			continue
		}
		named := controlRef.FindAllString(ch.Why, -1)
		slices.Sort(named)
		named = slices.Compact(named)
		have := slices.Clone(ch.Controls)
		slices.Sort(have)
		if strings.Join(named, ",") != strings.Join(have, ",") {
			t.Errorf("%s: rationale names %v, mapped to %v", id, named, have)
		}
	}
}

// TestFrameworkMappingGaps pins the mapping corrections of issue 10: forks,
// repackaged builds and mirror installs fail the official-version control
// as well as DONT-1, Control UI origin weaknesses are browser hijacking
// (DO-5) as well as exposure, and days behind latest is patch hygiene.
func TestFrameworkMappingGaps(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"CG-INS-002": {"DO-1", "DONT-1"},
		"CG-INS-004": {"DO-1", "DONT-1"},
		"CG-INS-006": {"DO-1", "DONT-1"},
		"CG-INS-008": {"DO-1", "DONT-1"},
		"CG-INS-009": {"DO-1", "DO-6", "DONT-1"},
		"CG-GW-012":  {"DO-2", "DO-5", "DONT-2"},
		"CG-GW-013":  {"DO-2", "DO-5", "DONT-2"},
		"CG-GW-003":  {"DO-2", "DO-5"},
		"CG-TL-009":  {"DO-2", "DO-3", "DONT-2"},
		"CG-EXP-011": {"DO-2", "DONT-2"},
	}
	for id, ctls := range want {
		ch, ok := c.Check(id)
		if !ok {
			t.Errorf("%s: no metadata", id)
			continue
		}
		got := slices.Clone(ch.Controls)
		slices.Sort(got)
		if strings.Join(got, ",") != strings.Join(ctls, ",") {
			t.Errorf("%s: controls %v, want %v", id, got, ctls)
		}
	}
	for _, gone := range []string{"CG-CH-006", "CG-ADV-004"} {
		if _, ok := c.Check(gone); ok {
			t.Errorf("%s is retired but still a check", gone)
		}
	}
	if got := c.Canonical("CG-CH-006"); got != "CG-TL-009" {
		t.Errorf("Canonical(CG-CH-006) = %s, want CG-TL-009", got)
	}
	if got := c.Canonical("CG-ADV-004"); got != "CG-ADV-004" {
		t.Errorf("Canonical(CG-ADV-004) = %s (no replacement)", got)
	}
}
