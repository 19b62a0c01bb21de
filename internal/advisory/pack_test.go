package advisory

import (
	_ "embed"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/packed"
)

// The JSON sources of the packed data the binary embeds.
var (
	//go:embed data/advisories.json
	advisoriesJSON []byte
	//go:embed data/releases.json
	releasesJSON []byte
)

const regenerate = "run `go generate ./internal/advisory` and commit data/*.pack"

// TestPackedUpToDate fails when advisories.json or releases.json changed
// without regenerating the packed form the binary embeds.
func TestPackedUpToDate(t *testing.T) {
	for _, tc := range []struct {
		name     string
		src      []byte
		embedded string
		pack     func([]byte) ([]byte, error)
	}{
		{"advisories", advisoriesJSON, packedDB, PackDB},
		{"releases", releasesJSON, packedReleases, PackReleases},
	} {
		b, err := tc.pack(tc.src)
		if err != nil {
			t.Fatalf("data/%s.json: %v", tc.name, err)
		}
		if string(b) != tc.embedded {
			t.Errorf("data/%s.pack is stale: it does not match data/%s.json; %s", tc.name, tc.name, regenerate)
		}
	}
}

// TestPackedEqualsParsed checks the codec: the decoded database and
// release table equal, index included, what parsing the JSON gives.
func TestPackedEqualsParsed(t *testing.T) {
	want, err := ParseDB(advisoriesJSON)
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpackDB(packedDB)
	if err != nil {
		t.Fatalf("%v; %s", err, regenerate)
	}
	if !reflect.DeepEqual(got, want) {
		for i := range want.Advisories {
			if i < len(got.Advisories) && !reflect.DeepEqual(got.Advisories[i], want.Advisories[i]) {
				t.Errorf("advisory %s differs:\n got  %+v\n want %+v", want.Advisories[i].ID, got.Advisories[i], want.Advisories[i])
				break
			}
		}
		t.Fatalf("decoded database differs from data/advisories.json; %s (or fix pack.go)", regenerate)
	}
	wantR, err := ParseReleases(releasesJSON)
	if err != nil {
		t.Fatal(err)
	}
	gotR, err := unpackReleases(packedReleases)
	if err != nil {
		t.Fatalf("%v; %s", err, regenerate)
	}
	if !reflect.DeepEqual(gotR, wantR) {
		t.Fatalf("decoded release table differs from data/releases.json; %s (or fix pack.go)", regenerate)
	}
}

// TestPackedFields makes adding a field to a packed type without packing
// it fail here, instead of silently dropping it from the binary.
func TestPackedFields(t *testing.T) {
	want := map[reflect.Type]string{
		reflect.TypeFor[DB]():       "Schema Attribution Sources Modified Advisories ids index lazy",
		reflect.TypeFor[Advisory](): "ID Aliases Summary Severity CVSS CWE Published Modified Withdrawn Affected References Tags Detail Notes Provenance",
		reflect.TypeFor[CVSS]():     "Version Vector Score",
		reflect.TypeFor[Affected](): "Package Ranges Versions RangeKnown",
		reflect.TypeFor[Interval](): "Introduced Fixed LastAffected",
		reflect.TypeFor[Releases](): "Package Source Modified DistTags Releases byVersion",
		reflect.TypeFor[Release]():  "Version Published Integrity Shasum Commit Deprecated v",
	}
	for typ, fields := range want {
		var have []string
		for i := range typ.NumField() {
			have = append(have, typ.Field(i).Name)
		}
		if got := strings.Join(have, " "); got != fields {
			t.Errorf("%s fields are %q; pack.go handles %q: extend pack/unpack, this test and packVersion", typ.Name(), got, fields)
		}
	}
}

func TestUnpackCorrupt(t *testing.T) {
	for name, data := range map[string]string{
		"empty":     "",
		"truncated": packedDB[:len(packedDB)/2],
		"trailing":  packedDB + "\x00",
	} {
		if _, err := unpackDB(data); !errors.Is(err, packed.ErrCorrupt) {
			t.Errorf("db %s: err = %v, want ErrCorrupt", name, err)
		}
		if _, err := unpackReleases(strings.Replace(data, packedDB, packedReleases, 1)); err == nil {
			t.Errorf("releases %s: no error", name)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add([]byte(packedDB[:4096]))
	f.Add([]byte(packedReleases))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = unpackDB(string(b)) // must not panic
		_, _ = unpackReleases(string(b))
	})
}

// The lite database the audit uses must match exactly like the full one
// and hand out complete advisories.
func TestLiteMatchesFull(t *testing.T) {
	full, err := unpack(packedDB, false)
	if err != nil {
		t.Fatal(err)
	}
	lite, err := unpack(packedDB, true)
	if err != nil {
		t.Fatal(err)
	}
	if lite.Modified != full.Modified || !reflect.DeepEqual(lite.Sources, full.Sources) {
		t.Fatal("lite database header differs")
	}
	// Before any use, a lite database holds records, not advisories.
	if lite.Advisories != nil || lite.lazy == nil || len(lite.lazy.recs) != len(full.Advisories) {
		t.Fatal("the lite database decoded every advisory in full")
	}
	versions := map[string]bool{}
	for _, a := range full.Advisories {
		for _, af := range a.Affected {
			for _, r := range af.Ranges {
				for _, v := range []string{r.Introduced, r.Fixed, r.LastAffected} {
					if v != "" && v != "0" {
						versions[af.Package+"@"+v] = true
					}
				}
			}
		}
	}
	versions["openclaw@2026.9.6"] = true
	versions["openclaw@2026.1.1"] = true
	n := 0
	for pv := range versions {
		pkg, vs, _ := strings.Cut(pv, "@")
		v, err := ParseVersion(vs)
		if err != nil {
			continue
		}
		fm, lm := full.Match(pkg, v), lite.Match(pkg, v)
		if len(fm) != len(lm) {
			t.Fatalf("%s: %d matches, lite %d", pv, len(fm), len(lm))
		}
		for i := range fm {
			n++
			fa, la := *fm[i].Advisory, *lm[i].Advisory
			if fm[i].Kind == MatchUnknown {
				// Lite on purpose: what the unknown-range finding uses.
				if fa.ID != la.ID || fa.Summary != la.Summary || fa.Published != la.Published || fa.Severity != la.Severity {
					t.Fatalf("%s: unknown match %d lacks its listing fields: %+v", pv, i, la)
				}
				fa, la = Advisory{}, Advisory{}
			}
			if !reflect.DeepEqual(fa, la) || fm[i].Range != lm[i].Range || fm[i].Fixed != lm[i].Fixed || fm[i].Kind != lm[i].Kind {
				t.Fatalf("%s: match %d differs:\n full %+v\n lite %+v", pv, i, fm[i], lm[i])
			}
		}
	}
	if n == 0 {
		t.Fatal("no version matched anything: the test checks nothing")
	}
	// Get and Encode complete what they hand out.
	a, ok := lite.Get(full.Advisories[0].ID)
	if !ok || !reflect.DeepEqual(*a, full.Advisories[0]) {
		t.Error("Get on the lite database returned a partial advisory")
	}
	fe, _ := full.Encode()
	le, _ := lite.Encode()
	if string(fe) != string(le) {
		t.Error("Encode of the lite database differs")
	}
}
