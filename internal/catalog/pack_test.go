package catalog

import (
	"embed"
	"errors"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/clawgov/clawgov/internal/packed"
)

// dataFS is the catalog source for tests that build variants of it; the
// binary embeds only the compiled catalog.pack.
//
//go:embed data
var dataFS embed.FS

const regenerate = "run `go generate ./internal/catalog` and commit catalog.pack"

// TestPackedUpToDate fails when the YAML under data/ was edited without
// regenerating the compiled form the binary embeds.
func TestPackedUpToDate(t *testing.T) {
	b, err := Compile(os.DirFS("data"))
	if err != nil {
		t.Fatalf("catalog data does not compile:\n%v", err)
	}
	if string(b) != packedCatalog {
		t.Fatalf("catalog.pack is stale: it does not match internal/catalog/data (%d bytes compiled, %d embedded); %s", len(b), len(packedCatalog), regenerate)
	}
}

// TestPackedEqualsParsed checks the codec: decoding the embedded form gives
// exactly the catalog that parsing and validating the YAML gives, derived
// fields (controls of each check, mapping rationale) included.
func TestPackedEqualsParsed(t *testing.T) {
	want, err := Load(os.DirFS("data"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := unpack(packedCatalog)
	if err != nil {
		t.Fatalf("%v; %s", err, regenerate)
	}
	if !reflect.DeepEqual(got, want) {
		for _, id := range want.CheckIDs() {
			if g, _ := got.Check(id); !reflect.DeepEqual(g, want.checks[id]) {
				t.Errorf("check %s differs:\n got  %+v\n want %+v", id, g, want.checks[id])
			}
		}
		t.Fatalf("decoded catalog differs from the parsed YAML; %s (or fix pack.go)", regenerate)
	}
}

// TestPackedLocalProfiles round-trips a catalog with local profiles, whose
// File and line table the embedded ones never have.
func TestPackedLocalProfiles(t *testing.T) {
	c := MustDefault()
	ents, err := os.ReadDir("testdata/profiles")
	if err != nil {
		t.Fatal(err)
	}
	var loaded *Catalog
	for _, e := range ents {
		if l, err := c.WithProfileFiles([]string{"testdata/profiles/" + e.Name()}); err == nil && l != c {
			loaded = l
			break
		}
	}
	if loaded == nil {
		t.Fatal("no valid local profile under testdata/profiles")
	}
	got, err := unpack(string(loaded.pack()))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, loaded) {
		t.Fatal("local profile does not survive pack/unpack")
	}
	for _, p := range got.profiles {
		if p.File != "" && len(p.lines) > 0 {
			return
		}
	}
	t.Fatal("round trip lost the local profile's file and lines")
}

// TestPackedFields makes adding a field to a catalog type without packing
// it fail here, instead of silently dropping the field from the binary.
func TestPackedFields(t *testing.T) {
	want := map[reflect.Type]string{
		reflect.TypeFor[Catalog]():         "Framework Controls checks profiles retired",
		reflect.TypeFor[Framework]():       "ID Version Published Title Issuer Source",
		reflect.TypeFor[Control]():         "ID Item Kind Title Description Checks ManualGuidance",
		reflect.TypeFor[Check]():           "ID Engine Severity Title Description Remediation Messages References OpenClawAuditIDs Controls Why",
		reflect.TypeFor[Retired]():         "ID ReplacedBy Title Reason",
		reflect.TypeFor[Profile]():         "ID Title Description Extends WarnAsFail SeverityOverrides Disabled Sources Requires Thresholds Attestations File Digest lines MinVersion",
		reflect.TypeFor[Source]():          "ID Title URL",
		reflect.TypeFor[Requirement]():     "Check Source Reason",
		reflect.TypeFor[Thresholds]():      "LogRetentionDays MaxDaysBehind MaxReleasesBehind",
		reflect.TypeFor[AttestationItem](): "ID Control Title Guidance Source",
		reflect.TypeFor[Text]():            "ZH EN",
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
		"truncated": packedCatalog[:len(packedCatalog)/2],
		"trailing":  packedCatalog + "\x00",
	} {
		if _, err := unpack(data); !errors.Is(err, packed.ErrCorrupt) {
			t.Errorf("%s: err = %v, want ErrCorrupt", name, err)
		}
	}
}

func FuzzUnpack(f *testing.F) {
	f.Add([]byte(packedCatalog[:4096]))
	f.Add([]byte("CGPK\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = unpack(string(b)) // must not panic
	})
}
