package advisory

import (
	"math/rand"
	"sort"
	"strings"
	"testing"
	"testing/quick"
)

func TestParseVersion(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "2026.9.6", want: "2026.9.6"},
		{in: "v2026.2.21-2", want: "2026.2.21-2"},
		{in: "2026.5.16-beta.3", want: "2026.5.16-beta.3"},
		{in: "2026.1.5.beta.1", want: "2026.1.5-beta.1"}, // legacy dotted
		{in: "2026.4.12-alpha.1", want: "2026.4.12-alpha.1"},
		{in: "2026.1.24-3", want: "2026.1.24-3"},
		{in: "2.0.0-beta3", want: "2.0.0-beta3"},
		{in: "0.1.0", want: "0.1.0"},
		{in: "2026.9.6+build.5", want: "2026.9.6"},
		{in: "2026.09.06", want: "2026.9.6"},
		{in: "2026.9", want: "2026.9.0"},
		{in: "2026.7.1-1-beta.2", want: "2026.7.1-1-beta.2"},
		{in: "", wantErr: true},
		{in: "latest", wantErr: true},
		{in: "2026", wantErr: true},
		{in: "2026..1", wantErr: true},
		{in: "2026.1.", wantErr: true},
		{in: "2026.1.1-", wantErr: true},
		{in: "2026.1.1-0", wantErr: true},
		{in: "-1.2.3", wantErr: true},
		{in: "2026.1.1.foo", wantErr: true},
		{in: "1.2.3.4.5", wantErr: true},
		{in: "9999999999.1.1", wantErr: true},
		{in: "2026.1.1-be ta", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := ParseVersion(tt.in)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParseVersion(%q) = %v, want error", tt.in, v)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseVersion(%q): %v", tt.in, err)
			}
			if got := v.String(); got != tt.want {
				t.Errorf("ParseVersion(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestExtractVersion(t *testing.T) {
	tests := map[string]string{
		"OpenClaw 2026.9.6 (eb377ac)":        "2026.9.6",
		"2026.3.1":                           "2026.3.1",
		"OpenClaw 2026.5.16-beta.3 (abc)":    "2026.5.16-beta.3",
		"clawdbot v2026.1.24-3\n":            "2026.1.24-3",
		"OpenClaw 2026.2.21-2 (1234567) x64": "2026.2.21-2",
	}
	for in, want := range tests {
		v, err := ExtractVersion(in)
		if err != nil || v.String() != want {
			t.Errorf("ExtractVersion(%q) = %v, %v; want %s", in, v, err, want)
		}
	}
	for _, bad := range []string{"", "OpenClaw", "no version here 12"} {
		if v, err := ExtractVersion(bad); err == nil {
			t.Errorf("ExtractVersion(%q) = %v, want error", bad, v)
		}
	}
}

// TestOrderTable pins the OpenClaw ordering, which differs from semver:
// a "-N" correction is NEWER than its base.
func TestOrderTable(t *testing.T) {
	ascending := []string{
		"0.1.0",
		"2026.1.5-alpha.1",
		"2026.1.5.beta.1",
		"2026.1.5-beta.2",
		"2026.1.5-beta.10",
		"2026.1.5",
		"2026.1.5-1",
		"2026.1.5-2",
		"2026.1.29-beta.1",
		"2026.1.29",
		"2026.2.2",
		"2026.2.21",
		"2026.2.21-2",
		"2026.2.22-beta.1",
		"2026.2.22",
		"2026.6.35",
		"2026.7.1-beta.6",
		"2026.7.1",
		"2026.7.1-1",
		"2026.9.6",
		"2026.10.1",
		"2027.1.1",
	}
	for i := 0; i+1 < len(ascending); i++ {
		a, b := MustParseVersion(ascending[i]), MustParseVersion(ascending[i+1])
		if !a.Less(b) || b.Less(a) {
			t.Errorf("want %s < %s", ascending[i], ascending[i+1])
		}
	}
	if MustParseVersion("2026.1.5.beta.1").Compare(MustParseVersion("2026.1.5-beta.1")) != 0 {
		t.Error("legacy dotted beta must equal the dashed form")
	}
}

// genVersion draws versions from a small alphabet so equal cores, equal
// corrections and equal pre-releases are frequent: the interesting cases
// for antisymmetry and transitivity.
func genVersion(r *rand.Rand) Version {
	v := Version{Core: []int{2025 + r.Intn(3), 1 + r.Intn(3), r.Intn(4)}}
	if r.Intn(5) == 0 {
		v.Core = append(v.Core, r.Intn(2))
	}
	if r.Intn(3) == 0 {
		v.Correction = 1 + r.Intn(3)
	}
	if r.Intn(2) == 0 {
		words := []string{"alpha", "beta", "rc", "BETA"}
		v.Pre = []string{words[r.Intn(len(words))]}
		for n := r.Intn(3); n > 0; n-- {
			if r.Intn(2) == 0 {
				v.Pre = append(v.Pre, []string{"1", "2", "10", "01"}[r.Intn(4)])
			} else {
				v.Pre = append(v.Pre, words[r.Intn(len(words))])
			}
		}
	}
	return v
}

type qv struct{ V Version }

func (qv) Generate(r *rand.Rand, _ int) reflectValue { return reflectOf(qv{genVersion(r)}) }

func TestOrderProperties(t *testing.T) {
	cfg := &quick.Config{MaxCount: 5000, Rand: rand.New(rand.NewSource(1))}
	// Antisymmetry and consistency with String: Compare(a,b) == -Compare(b,a),
	// and equal iff the canonical strings are equal.
	if err := quick.Check(func(a, b qv) bool {
		c := a.V.Compare(b.V)
		if c != -b.V.Compare(a.V) {
			return false
		}
		return (c == 0) == (a.V.String() == b.V.String())
	}, cfg); err != nil {
		t.Error("antisymmetry:", err)
	}
	// Transitivity.
	if err := quick.Check(func(a, b, c qv) bool {
		if a.V.Compare(b.V) <= 0 && b.V.Compare(c.V) <= 0 {
			return a.V.Compare(c.V) <= 0
		}
		return true
	}, cfg); err != nil {
		t.Error("transitivity:", err)
	}
	// Round trip: parsing the canonical string gives an equal version.
	if err := quick.Check(func(a qv) bool {
		p, err := ParseVersion(a.V.String())
		return err == nil && p.Compare(a.V) == 0 && p.String() == a.V.String()
	}, cfg); err != nil {
		t.Error("round trip:", err)
	}
	// Totality: sorting a random slice gives a non-decreasing sequence
	// whatever the input order.
	r := rand.New(rand.NewSource(2))
	vs := make([]Version, 2000)
	for i := range vs {
		vs[i] = genVersion(r)
	}
	sort.Slice(vs, func(i, j int) bool { return vs[i].Less(vs[j]) })
	for i := 0; i+1 < len(vs); i++ {
		if vs[i+1].Less(vs[i]) {
			t.Fatalf("sorted order broken at %d: %s > %s", i, vs[i], vs[i+1])
		}
	}
}

// TestOrderMatchesReleaseTable checks every pair of real released versions.
func TestOrderMatchesReleaseTable(t *testing.T) {
	rel, err := EmbeddedReleases()
	if err != nil {
		t.Fatal(err)
	}
	vs := rel.Versions()
	for i := range vs {
		for j := range vs {
			c := vs[i].Compare(vs[j])
			if (i < j && c >= 0) || (i > j && c <= 0) || (i == j && c != 0) {
				t.Fatalf("table order broken: %s vs %s = %d", vs[i], vs[j], c)
			}
		}
	}
}

func FuzzParseVersion(f *testing.F) {
	for _, s := range []string{"2026.9.6", "v2026.2.21-2", "2026.1.5.beta.1", "2.0.0-beta3", "2026.7.1-1-beta.2", "OpenClaw 2026.9.6 (eb377ac)", "", "1..", "9.9.9-"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err == nil {
			// Canonical form round-trips and compares equal.
			p, err := ParseVersion(v.String())
			if err != nil || p.Compare(v) != 0 {
				t.Fatalf("%q -> %q does not round-trip: %v", s, v.String(), err)
			}
		}
		_, _ = ExtractVersion(s)
	})
}
