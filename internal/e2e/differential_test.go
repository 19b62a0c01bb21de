package e2e

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/clawgov/clawgov/internal/audit"
	"github.com/clawgov/clawgov/internal/catalog"
	"github.com/clawgov/clawgov/internal/finding"
	"github.com/clawgov/clawgov/internal/output"
	"github.com/clawgov/clawgov/internal/report"
)

// expectedDifference is an OpenClaw finding clawgov deliberately does not
// raise on a fixture, with the reason.
type expectedDifference struct {
	Fixture string `yaml:"fixture"` // "*" for every fixture
	CheckID string `yaml:"check_id"`
	Reason  string `yaml:"reason"`
}

func loadExpected(t *testing.T) []expectedDifference {
	t.Helper()
	b, err := os.ReadFile("testdata/differential-expected.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var out []expectedDifference
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&out); err != nil {
		t.Fatalf("differential-expected.yaml: %v", err)
	}
	for _, e := range out {
		if strings.TrimSpace(e.Reason) == "" {
			t.Fatalf("differential-expected.yaml: %s/%s has no reason", e.Fixture, e.CheckID)
		}
	}
	return out
}

// coveringChecks maps an OpenClaw checkId to the clawgov checks that
// declare it in openclaw_audit_ids (patterns may use * for templated
// segments such as channel names).
func coveringChecks(cat *catalog.Catalog, ocID string) []string {
	var ids []string
	for _, id := range cat.CheckIDs() {
		ch, _ := cat.Check(id)
		for _, pat := range ch.OpenClawAuditIDs {
			if ok, _ := path.Match(pat, ocID); ok || pat == ocID {
				ids = append(ids, id)
				break
			}
		}
	}
	return ids
}

// auditHome runs clawgov's audit on a fixture home exactly as a user whose
// HOME is that directory would, and returns the report.
func auditHome(t testing.TB, home string, logs *bytes.Buffer) *report.Report {
	t.Helper()
	env := map[string]string{"HOME": home, "PATH": os.Getenv("PATH"), "LANG": "en_US.UTF-8"}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	r, err := audit.Run(context.Background(), audit.Options{
		Profile: "miit-2026", Lang: catalog.EN, Logger: logger,
		Now:    func() time.Time { return time.Date(2026, 11, 25, 0, 0, 0, 0, time.UTC) },
		Getenv: func(k string) string { return env[k] },
	})
	if err != nil {
		t.Fatalf("clawgov audit: %v", err)
	}
	return r
}

// TestDifferentialAgainstOpenClawAudit runs `openclaw security audit
// --json` and clawgov's audit on the same real state for every fixture and
// requires every critical and warn checkId OpenClaw raises to be covered by
// a failing or warning clawgov finding, unless the expectation file says
// why not. Expectations that no longer occur fail the test too, so the
// file cannot rot.
func TestDifferentialAgainstOpenClawAudit(t *testing.T) {
	bin := openclawBin(t)
	cat, err := catalog.Default()
	if err != nil {
		t.Fatal(err)
	}
	expected := loadExpected(t)
	used := make([]bool, len(expected))
	var mu sync.Mutex
	// Each real OpenClaw audit takes seconds and ~0.5 GB: two at a time.
	sem := make(chan struct{}, 2)

	for _, fx := range fixtures() {
		t.Run(fx.name, func(t *testing.T) {
			t.Parallel()
			sem <- struct{}{}
			defer func() { <-sem }()
			home := buildFixture(t, bin, fx.ops, func(h string) {
				if fx.setup != nil {
					fx.setup(t, h)
				}
			})
			ocFindings := openclawAudit(t, bin, home)
			var logs bytes.Buffer
			r := auditHome(t, home, &logs)

			raised := map[string]bool{}
			for _, f := range r.Findings {
				if f.Status == finding.Fail || f.Status == finding.Warn {
					raised[f.CheckID] = true
				}
			}
			var missing []string
			for _, of := range ocFindings {
				if of.Severity != "critical" && of.Severity != "warn" {
					continue
				}
				covered := false
				for _, id := range coveringChecks(cat, of.CheckID) {
					if raised[id] {
						covered = true
						break
					}
				}
				if covered {
					continue
				}
				explained := false
				mu.Lock()
				for i, e := range expected {
					if (e.Fixture == fx.name || e.Fixture == "*") && e.CheckID == of.CheckID {
						used[i] = true
						explained = true
					}
				}
				mu.Unlock()
				if !explained {
					missing = append(missing, fmt.Sprintf("%s (%s): %s; covering clawgov checks: %v", of.CheckID, of.Severity, of.Title, coveringChecks(cat, of.CheckID)))
				}
			}
			sort.Strings(missing)
			if len(missing) > 0 {
				t.Errorf("OpenClaw raised findings clawgov does not cover on fixture %s:\n  %s", fx.name, strings.Join(missing, "\n  "))
			}
			assertNoSecrets(t, r, logs.String(), fx.secrets)
		})
	}
	t.Cleanup(func() {
		if t.Failed() {
			return
		}
		for i, e := range expected {
			if !used[i] {
				t.Errorf("differential-expected.yaml: %s/%s no longer occurs; remove it", e.Fixture, e.CheckID)
			}
		}
	})
}

// assertNoSecrets renders the report in every format and fails if any
// fixture secret appears in a report or in the debug log.
func assertNoSecrets(t *testing.T, r *report.Report, logs string, secrets []string) {
	t.Helper()
	for _, format := range output.Formats() {
		w, err := output.New(format, output.Options{})
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := w.Write(&buf, r); err != nil {
			t.Fatalf("%s writer: %v", format, err)
		}
		for _, s := range secrets {
			if strings.Contains(buf.String(), s) {
				t.Errorf("secret %q leaked into the %s report", s[:3]+"…", format)
			}
		}
	}
	for _, s := range secrets {
		if strings.Contains(logs, s) {
			t.Errorf("secret %q leaked into the log", s[:3]+"…")
		}
	}
}
