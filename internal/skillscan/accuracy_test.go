package skillscan

import (
	"context"
	"crypto/sha256"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// sharedData finds ../shared/data beside the repository (CI lays it out
// that way); CLAWGOV_SHARED_DATA overrides.
func sharedData(t testing.TB) string {
	if d := os.Getenv("CLAWGOV_SHARED_DATA"); d != "" {
		return d
	}
	wd, _ := os.Getwd()
	for d := wd; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(filepath.Dir(d), "shared", "data")
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

type sample struct {
	path, set, label string
	skillSHA         string
	res              Result
}

func loadCorpus(t testing.TB) (string, []sample) {
	root := filepath.Join(sharedData(t), "skills-corpus")
	f, err := os.Open(filepath.Join(root, "labels.csv"))
	if err != nil {
		t.Skipf("labelled skill corpus not available (%v); set CLAWGOV_SHARED_DATA or lay out ../shared/data beside the repo", err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []sample
	for _, r := range rows[1:] {
		out = append(out, sample{path: r[0], set: r[1], label: r[2]})
	}
	return root, out
}

// harnessFile are label files of the upstream test suites the fixtures
// come from: they describe the expected verdict and are not skill content.
func harnessFile(rel string) bool {
	b := filepath.Base(rel)
	return b == "_expected.json" || b == "expected.json"
}

type rate struct{ hit, n int }

func (r rate) String() string {
	if r.n == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%5.1f%% (%d/%d)", 100*float64(r.hit)/float64(r.n), r.hit, r.n)
}
func (r rate) frac() float64 {
	if r.n == 0 {
		return 0
	}
	return float64(r.hit) / float64(r.n)
}

// repoSets are the labelled samples kept in this repository (testdata),
// beside the development corpus in ../shared/data: hard negatives made
// from the documentation security tools ship in their npm packages, and
// synthetic credential-harvest lures. Each sample has a SOURCE file whose
// label must agree with its folder.
var repoSets = []struct{ dir, set, label string }{
	{"testdata/hardneg", "repo_hardneg", "hard-negative"},
	{"testdata/lures", "repo_lures", "malicious"},
}

// permissive are the licences a hard negative's text may be under.
var permissive = map[string]bool{"MIT": true, "ISC": true, "BSD-2-Clause": true, "BSD-3-Clause": true, "Apache-2.0": true, "(MPL-2.0-OR-Apache-2.0)": true}

func loadRepoSets(t testing.TB) []sample {
	var out []sample
	for _, rs := range repoSets {
		ents, err := os.ReadDir(rs.dir)
		if err != nil {
			t.Fatalf("repo set %s: %v", rs.dir, err)
		}
		for _, e := range ents {
			if !e.IsDir() {
				continue
			}
			dir := filepath.Join(rs.dir, e.Name())
			b, err := os.ReadFile(filepath.Join(dir, "SOURCE"))
			if err != nil {
				t.Errorf("%s: every sample needs a SOURCE file: %v", dir, err)
				continue
			}
			fields := map[string]string{}
			for _, l := range strings.Split(string(b), "\n") {
				if k, v, ok := strings.Cut(l, ": "); ok {
					fields[k] = v
				}
			}
			if fields["label"] != rs.label {
				t.Errorf("%s: SOURCE label %q, want %q", dir, fields["label"], rs.label)
			}
			if rs.label == "hard-negative" && (fields["package"] == "" || !permissive[fields["license"]]) {
				t.Errorf("%s: hard negative needs package@version and a permissive licence, got %q %q", dir, fields["package"], fields["license"])
			}
			label := "benign"
			if rs.label == "malicious" {
				label = "malicious"
			}
			out = append(out, sample{path: dir, set: rs.set, label: label})
		}
	}
	return out
}

// Accuracy targets per set. Recall on the development malicious samples
// must stay complete; the false-positive ceilings are the project
// targets (2% of benign skills), tightened for hard negatives from 10% to
// 5% because security tools are what the context model is for; the
// synthetic lures must all be flagged and most of them called malicious.
var accuracyTargets = []struct {
	set, label string
	min, max   float64 // bounds on the flagged fraction
	minMal     float64 // lower bound on verdict=malicious
}{
	{"malicious", "malicious", 1.0, 1, 0},
	{"benign", "benign", 0, 0.02, 0},
	{"hard_negatives", "benign", 0, 0.05, 0},
	{"repo_hardneg", "benign", 0, 0.05, 0},
	{"repo_lures", "malicious", 1.0, 1, 0.5},
}

// TestCorpusAccuracy reports recall on malicious skills and false-positive
// rates on benign skills and hard negatives per set: the development
// corpus (malicious, benign, hard_negatives, scanner fixtures) and the
// repository's own sets (repo_hardneg, repo_lures), per sample and per
// distinct SKILL.md text (many malicious samples are clones), with and
// without the campaign indicators. "Flagged" means verdict malicious or
// suspicious. It fails when a set leaves its target (accuracyTargets);
// without the shared corpus only the repository sets are measured.
func TestCorpusAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus accuracy skipped in -short mode")
	}
	samples := loadRepoSets(t)
	root := filepath.Join(sharedData(t), "skills-corpus")
	if _, err := os.Stat(filepath.Join(root, "labels.csv")); err == nil {
		_, dev := loadCorpus(t)
		for i := range dev {
			dev[i].path = filepath.Join(root, dev[i].path)
		}
		samples = append(dev, samples...)
	} else {
		t.Logf("development corpus not available (%v): measuring the repository sets only", err)
	}
	for _, withInd := range []bool{true, false} {
		s, err := New(Options{NoIndicators: !withInd, Skip: harnessFile})
		if err != nil {
			t.Fatal(err)
		}
		for i := range samples {
			sm := &samples[i]
			sm.res = s.ScanDir(context.Background(), sm.path, sm.path)
			if b, err := os.ReadFile(filepath.Join(sm.path, "SKILL.md")); err == nil {
				sm.skillSHA = fmt.Sprintf("%x", sha256.Sum256(b))
			} else {
				sm.skillSHA = "nofile:" + sm.path
			}
		}
		flagged := func(r Result) bool { return r.Verdict != Clean }
		malOnly := func(r Result) bool { return r.Verdict == Malicious }
		group := func(set string) string {
			switch {
			case strings.HasPrefix(set, "fixtures"):
				return "fixtures"
			default:
				return set
			}
		}
		type key struct{ group, label string }
		perSample := map[key]*rate{}
		perSampleMal := map[key]*rate{}
		distinct := map[key]map[string][2]int{}
		for _, sm := range samples {
			k := key{group(sm.set), sm.label}
			if perSample[k] == nil {
				perSample[k], perSampleMal[k], distinct[k] = &rate{}, &rate{}, map[string][2]int{}
			}
			perSample[k].n++
			perSampleMal[k].n++
			d := distinct[k][sm.skillSHA]
			d[1]++
			if flagged(sm.res) {
				perSample[k].hit++
				d[0]++
			}
			if malOnly(sm.res) {
				perSampleMal[k].hit++
			}
			distinct[k][sm.skillSHA] = d
		}
		var keys []key
		for k := range perSample {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			if keys[i].group != keys[j].group {
				return keys[i].group < keys[j].group
			}
			return keys[i].label < keys[j].label
		})
		t.Logf("indicators=%v", withInd)
		for _, k := range keys {
			var dr rate
			for _, d := range distinct[k] {
				dr.n++
				if d[0]*2 > d[1] {
					dr.hit++
				}
			}
			what := "recall"
			if k.label != "malicious" {
				what = "FP rate"
			}
			t.Logf("  %-15s %-18s %-8s flagged per sample %s | per distinct SKILL.md %s | verdict=malicious %s",
				k.group, k.label, what, perSample[k], dr, perSampleMal[k])
		}
		if os.Getenv("CLAWGOV_CORPUS_VERBOSE") != "" {
			for _, sm := range samples {
				if (sm.label == "malicious") != flagged(sm.res) {
					t.Logf("MISS %s %s %s: %s", sm.label, sm.res.Verdict, sm.path, sm.res.Explanation)
				}
			}
		}
		for _, tg := range accuracyTargets {
			r, m := perSample[key{tg.set, tg.label}], perSampleMal[key{tg.set, tg.label}]
			if r == nil {
				continue
			}
			switch {
			case r.frac() < tg.min:
				t.Errorf("indicators=%v: %s flagged %s, below the target %.0f%%", withInd, tg.set, r, 100*tg.min)
			case r.frac() > tg.max:
				t.Errorf("indicators=%v: %s flagged %s, above the target %.0f%%", withInd, tg.set, r, 100*tg.max)
			}
			if m.frac() < tg.minMal {
				t.Errorf("indicators=%v: %s verdict=malicious %s, below the target %.0f%%", withInd, tg.set, m, 100*tg.minMal)
			}
		}
	}
}
