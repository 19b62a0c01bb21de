package catalog

import (
	"os"
	"strings"
	"testing"
)

// TestEmbeddedCatalogLoads is the data self-test: the embedded framework,
// check metadata and profiles parse strictly and cross-validate (every
// control lists checks, every referenced check exists, every check is
// mapped, every text has zh and en with matching placeholders).
func TestEmbeddedCatalogLoads(t *testing.T) {
	// The binary embeds the compiled form (pack.go); the validation runs
	// on the YAML it was compiled from.
	if _, err := Load(os.DirFS("data")); err != nil {
		t.Fatalf("catalog data does not load:\n%v", err)
	}
	c, err := Default()
	if err != nil {
		t.Fatalf("embedded catalog does not load:\n%v", err)
	}
	if got := len(c.Controls); got != 12 {
		t.Fatalf("controls = %d, want 12", got)
	}
	for _, ctl := range c.Controls {
		if len(ctl.Checks) == 0 {
			t.Errorf("%s lists no checks", ctl.ID)
		}
	}
}

// TestExposureChecksMapped pins the exposure/auth/channel/hook/secret/update
// checks to the controls the framework assigns them.
func TestExposureChecksMapped(t *testing.T) {
	c, err := Default()
	if err != nil {
		t.Skipf("catalog invalid (reported by TestEmbeddedCatalogLoads): %v", firstLine(err))
	}
	want := map[string][]string{
		"CG-GW-001":  {"DO-2", "DONT-2"},
		"CG-GW-002":  {"DO-2", "DONT-2"},
		"CG-GW-015":  {"DO-2"},
		"CG-CH-001":  {"DO-2", "DONT-2"},
		"CG-HK-002":  {"DO-2", "DONT-2"},
		"CG-SEC-004": {"DO-2"},
		"CG-UPD-001": {"DO-1"},
		"CG-UPD-003": {"DO-6"},
	}
	for id, ctls := range want {
		ch, ok := c.Check(id)
		if !ok {
			t.Errorf("%s: no metadata", id)
			continue
		}
		if strings.Join(ch.Controls, ",") != strings.Join(ctls, ",") {
			t.Errorf("%s: controls %v, want %v", id, ch.Controls, ctls)
		}
		if ch.Engine != "posture" {
			t.Errorf("%s: engine %q, want posture", id, ch.Engine)
		}
	}
}

func firstLine(err error) string {
	s := err.Error()
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}
