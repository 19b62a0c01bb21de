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

// TestCorpusAccuracy prints recall on malicious skills and false-positive
// rates on benign skills and hard negatives, per sample and per distinct
// SKILL.md text (many malicious samples are clones), with and without the
// campaign indicators. "Flagged" means verdict malicious or suspicious.
func TestCorpusAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("corpus accuracy skipped in -short mode")
	}
	root, samples := loadCorpus(t)
	for _, withInd := range []bool{true, false} {
		s, err := New(Options{NoIndicators: !withInd, Skip: harnessFile})
		if err != nil {
			t.Fatal(err)
		}
		for i := range samples {
			sm := &samples[i]
			dir := filepath.Join(root, sm.path)
			sm.res = s.ScanDir(context.Background(), dir, sm.path)
			if b, err := os.ReadFile(filepath.Join(dir, "SKILL.md")); err == nil {
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
		mal := perSample[key{"malicious", "malicious"}]
		ben := perSample[key{"benign", "benign"}]
		hn := perSample[key{"hard_negatives", "benign"}]
		// The project targets (recall >= 98%, benign FP <= 2%, hard
		// negatives <= 10%) hold with and without indicators; a rule
		// change that breaks one fails here.
		if mal != nil && ben != nil && hn != nil {
			if mal.frac() < 0.98 {
				t.Errorf("indicators=%v: malicious recall %s below the 98%% target", withInd, mal)
			}
			if ben.frac() > 0.02 {
				t.Errorf("indicators=%v: benign FP %s above the 2%% target", withInd, ben)
			}
			if hn.frac() > 0.10 {
				t.Errorf("indicators=%v: hard-negative FP %s above the 10%% target", withInd, hn)
			}
		}
	}
}
