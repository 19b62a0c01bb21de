package posture

import (
	"encoding/json"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/finding"
)

// recordedEnv is the gateway environment each recorded audit ran with.
var recordedEnv = map[string]map[string]string{
	"envtok": {"OPENCLAW_GATEWAY_TOKEN": "differentvalue0123456789abc"},
}

// recordedNarrower lists built-in checkIds clawgov deliberately raises in
// fewer cases, with the reason (mirrors internal/e2e's expectation file).
var recordedNarrower = map[string]string{
	"gateway.trusted_proxies_missing": "raised only when a reverse proxy is evident (CG-GW-020)",
}

// TestRecordedOpenClawAuditCoverage replays real `openclaw security audit
// --json` results recorded in testdata/openclaw-audit: every critical or
// warn checkId that one of this area's checks claims (openclaw_audit_ids)
// must be matched by a fail or warn finding of a claiming check on the
// same config. It keeps the mapping honest without needing OpenClaw at
// test time.
func TestRecordedOpenClawAuditCoverage(t *testing.T) {
	meta := loadCheckMetadata(t)
	files, err := filepath.Glob("testdata/openclaw-audit/*.audit.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded audits: %v", err)
	}
	claims := func(ocID string, onlyMine bool) []string {
		var ids []string
		for id, m := range meta {
			if onlyMine && !ownedPrefix(id) {
				continue
			}
			for _, pat := range m.AuditIDs {
				if ok, _ := path.Match(pat, ocID); ok {
					ids = append(ids, id)
					break
				}
			}
		}
		sort.Strings(ids)
		return ids
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".audit.json")
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			var rec struct {
				Findings []struct{ CheckID, Severity, Title string }
			}
			if err := json.Unmarshal(raw, &rec); err != nil {
				t.Fatal(err)
			}
			cfg, err := os.ReadFile(filepath.Join("testdata", "openclaw-audit", name+".json5"))
			if err != nil {
				t.Fatal(err)
			}
			var opts []snapOpt
			for k, v := range recordedEnv[name] {
				opts = append(opts, optEnv(k, v))
			}
			s := cfgSnap(t, string(cfg), opts...)
			raised := map[string]bool{}
			for _, id := range IDs() {
				for _, fd := range runCheck(t, id, s) {
					if fd.Status == finding.Fail || fd.Status == finding.Warn {
						raised[id] = true
					}
				}
			}
			for _, of := range rec.Findings {
				if of.Severity != "critical" && of.Severity != "warn" {
					continue
				}
				if len(claims(of.CheckID, true)) == 0 || recordedNarrower[of.CheckID] != "" {
					continue // another area's check, or deliberately narrower
				}
				covered := false
				for _, id := range claims(of.CheckID, false) {
					covered = covered || raised[id]
				}
				if !covered {
					t.Errorf("%s (%s) %q not covered; claiming checks %v raised nothing", of.CheckID, of.Severity, of.Title, claims(of.CheckID, false))
				}
			}
		})
	}
}
