package mirror

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/clawgov/clawgov/internal/registry"
)

func TestParseSlugs(t *testing.T) {
	refs, err := ParseSlugs(strings.NewReader("# mirror list\n\nhello-claw\nweather@2.0.1  # pinned\n@acme/notes\nacme/notes@1.0.0\nhello-claw\n"), "s.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := []string{}
	for _, r := range refs {
		got = append(got, r.String())
	}
	if strings.Join(got, " ") != "hello-claw weather@2.0.1 @acme/notes @acme/notes@1.0.0" {
		t.Fatalf("refs %v", got)
	}
	for in, want := range map[string]string{
		"Hello_Claw\n":            `s.txt:1: "Hello_Claw": slug "Hello_Claw": want lowercase`,
		"ok\nbad@\n":              `s.txt:2: "bad@": version "": want`,
		"@Acme/x\n":               `s.txt:1: "@Acme/x": owner "Acme" is not a lowercase handle`,
		"@nope\n":                 `s.txt:1: "@nope": want @owner/slug`,
		"# only comments\n":       "s.txt: no skills listed",
		"a/b/c\n":                 `s.txt:1: "a/b/c": slug "b/c"`,
		strings.Repeat("x", 5000): "s.txt:1: bufio.Scanner: token too long",
	} {
		if _, err := ParseSlugs(strings.NewReader(in), "s.txt"); err == nil || !strings.HasPrefix(err.Error(), want) {
			t.Errorf("%.20q: %v, want %q", in, err, want)
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"34":                            34 * time.Second,
		" 0 ":                           0,
		"Tue, 01 Dec 2026 12:00:30 GMT": 30 * time.Second,
		"Tue, 01 Dec 2026 11:00:00 GMT": 0,
	} {
		if d, ok := ParseRetryAfter(in, now); !ok || d != want {
			t.Errorf("%q: %v %v, want %v", in, d, ok, want)
		}
	}
	for _, in := range []string{"", "-1", "soon", "1.5", "99999999999"} {
		if _, ok := ParseRetryAfter(in, now); ok {
			t.Errorf("%q accepted", in)
		}
	}
	h := http.Header{"X-Ratelimit-Reset": {"1796126412"}}
	if d := retryAfter(h, time.Unix(1796126400, 0)); d != 12*time.Second {
		t.Errorf("X-RateLimit-Reset: %v", d)
	}
	h = http.Header{"Retry-After": {"3"}, "Ratelimit-Reset": {"40"}}
	if d := retryAfter(h, now); d != 3*time.Second {
		t.Errorf("Retry-After before RateLimit-Reset: %v", d)
	}
}

func TestDecodeDetailFlags(t *testing.T) {
	base := `{"skill":{"slug":"s"%s},"latestVersion":{"version":"1.0.0","createdAt":0,"changelog":""},"owner":{"handle":"Acme"}%s}`
	for _, c := range []struct{ skill, mod, hidden, blocked string }{
		{"", "", "", ""},
		{`,"isHidden":true`, "", "marked hidden", ""},
		{`,"softDeletedAt":1700000000000`, "", "deleted", ""},
		{`,"softDeletedAt":null`, "", "", ""},
		{"", `,"moderation":{"isSuspicious":false,"isMalwareBlocked":true}`, "", "malware-blocked"},
		{"", `,"moderation":{"isSuspicious":true,"isMalwareBlocked":false,"verdict":"suspicious"}`, "", ""},
		{"", `,"moderation":{"isSuspicious":false,"isMalwareBlocked":false,"reasonCodes":["malicious.exfiltration"]}`, "", "malicious.exfiltration"},
		{"", `,"moderation":{"isSuspicious":false,"isMalwareBlocked":false,"status":"Quarantined"}`, "", "quarantined"},
		{"", `,"moderation":null`, "", ""},
	} {
		d, err := DecodeDetail([]byte(strings.Replace(strings.Replace(base, "%s", c.skill, 1), "%s", c.mod, 1)), "s", "")
		if err != nil {
			t.Fatalf("%+v: %v", c, err)
		}
		if d.Owner != "acme" || d.Latest != "1.0.0" || !strings.Contains(d.Hidden, c.hidden) || (c.hidden == "") != (d.Hidden == "") {
			t.Errorf("%+v: %+v", c, d)
		}
		if b := d.Moderation.Blocked(); !strings.Contains(b, c.blocked) || (c.blocked == "") != (b == "") {
			t.Errorf("%+v: blocked %q", c, b)
		}
	}
	for in, want := range map[string]string{
		`[]`:                                     "not the expected JSON",
		`{"skill":null,"owner":{"handle":"a1"}}`: "no skill.slug",
		`{"skill":{"slug":"s"}}`:                 "no owner.handle",
		`{"skill":{"slug":"s"},"owner":{"handle":"a b"}}`:                                   "not a handle",
		`{"skill":{"slug":"s"},"owner":{"handle":"ab"},"latestVersion":{"version":"../x"}}`: "not a valid version",
		`{"skill":{"slug":"s"},"owner":{"handle":"ab"}}` + "x":                              "not the expected JSON",
	} {
		if _, err := DecodeDetail([]byte(in), "s", ""); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", in, err, want)
		}
	}
	if _, err := DecodeDetail([]byte(`{"skill":{"slug":"s"},"owner":{"handle":"ab"}}`), "s", "cd"); err == nil || !strings.Contains(err.Error(), "not the cd asked for") {
		t.Errorf("owner mismatch: %v", err)
	}
}

func TestDecodeVerdicts(t *testing.T) {
	pass := `{"items":[{"requestedSlug":"s","requestedOwnerHandle":"acme","requestedVersion":"1","ok":true,"decision":"pass","reasons":[],"version":"1","publisherHandle":"acme","security":{"status":"clean","passed":true}}]}`
	v, err := DecodeVerdicts([]byte(pass), "s", "acme", "1")
	if err != nil || !v.Pass || v.Blocked() != "" || v.Review() {
		t.Fatalf("pass: %+v %v", v, err)
	}
	for name, c := range map[string]struct{ from, to, want string }{
		"passed missing":     {`"passed":true`, `"x":1`, "passes without a status"},
		"publisher case":     {`"publisherHandle":"acme"`, `"publisherHandle":"ACME"`, `publisher is "ACME"`},
		"owner echoed wrong": {`"requestedOwnerHandle":"acme"`, `"requestedOwnerHandle":"evil"`, `for owner "evil"`},
		"no reasons":         {`"reasons":[],`, ``, "no reasons array"},
		"no identity":        {`"requestedSlug":"s",`, ``, "omits the request identity"},
	} {
		if _, err := DecodeVerdicts([]byte(strings.Replace(pass, c.from, c.to, 1)), "s", "acme", "1"); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", name, err, c.want)
		}
	}
	if _, err := DecodeVerdicts([]byte(pass), "s", "", "1"); err == nil || !strings.Contains(err.Error(), "unqualified") {
		t.Errorf("unqualified request answered with an owner: %v", err)
	}
	review := strings.NewReplacer(`"ok":true`, `"ok":false`, `"decision":"pass"`, `"decision":"fail"`, `"status":"clean","passed":true`, `"status":"suspicious","passed":false`).Replace(pass)
	if v, err := DecodeVerdicts([]byte(review), "s", "acme", "1"); err != nil || v.Pass || !v.Review() {
		t.Errorf("review: %+v %v", v, err)
	}
}

// The upstream's answers are untrusted: whatever they hold, the decoders
// return an error or values that satisfy the registry's own validation.
func FuzzDecodeDetail(f *testing.F) {
	f.Add([]byte(`{"skill":{"slug":"s","displayName":"S"},"latestVersion":{"version":"1.0.0"},"owner":{"handle":"acme"},"moderation":{"isSuspicious":false,"isMalwareBlocked":false}}`), "s", "")
	f.Add([]byte(`{"skill":{"slug":"s","isHidden":true},"owner":{"handle":"A"}}`), "s", "a")
	f.Add([]byte(`{"skill":{"slug":"s"},"owner":{"handle":"ab"},"moderation":{"isSuspicious":true,"isMalwareBlocked":false,"reasonCodes":["x.blocked"]}}`), "s", "")
	f.Fuzz(func(t *testing.T, body []byte, slug, owner string) {
		d, err := DecodeDetail(body, slug, owner)
		if err != nil {
			if len(err.Error()) > 400 || strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("error not one short line: %q", err)
			}
			return
		}
		if d.Slug != slug || !registry.ValidHandle(d.Owner) || (owner != "" && d.Owner != owner) || (d.Latest != "" && !registry.ValidVersion(d.Latest)) {
			t.Fatalf("accepted %+v for %q/%q", d, slug, owner)
		}
		if m := d.Moderation; m != nil && m.IsMalwareBlocked && m.Blocked() == "" {
			t.Fatal("malware-blocked not blocked")
		}
	})
}

func FuzzDecodeVersion(f *testing.F) {
	f.Add([]byte(`{"version":{"version":"1.0.0","files":[{"path":"SKILL.md","size":3,"sha256":"`+strings.Repeat("a", 64)+`"}]}}`), "1.0.0")
	f.Add([]byte(`{"version":null,"skill":null}`), "1")
	f.Add([]byte(`{"version":{"version":"1","files":[{"path":"../x","sha256":"00"}]}}`), "1")
	f.Fuzz(func(t *testing.T, body []byte, ver string) {
		vi, ok, err := DecodeVersion(body, ver)
		if err != nil || !ok {
			return
		}
		if vi.Version != ver || len(vi.Files) > registry.MaxFiles {
			t.Fatalf("accepted %+v for %q", vi, ver)
		}
		for _, f := range vi.Files {
			if _, err := registry.CleanPath(f.Path); err != nil || !isHex64(f.SHA256) {
				t.Fatalf("unsafe file accepted: %+v", f)
			}
		}
	})
}

func FuzzDecodeVerdicts(f *testing.F) {
	f.Add([]byte(`{"items":[{"requestedSlug":"s","requestedVersion":"1","ok":true,"decision":"pass","reasons":[],"version":"1","publisherHandle":"acme","security":{"status":"clean","passed":true}}]}`), "s", "", "1")
	f.Add([]byte(`{"items":[{"requestedSlug":"s","requestedOwnerHandle":"acme","requestedVersion":"1","ok":false,"decision":"blocked","reasons":["policy.not_approved_blocked"],"version":"1","publisherHandle":"acme"}]}`), "s", "acme", "1")
	f.Fuzz(func(t *testing.T, body []byte, slug, owner, ver string) {
		v, err := DecodeVerdicts(body, slug, owner, ver)
		if err != nil {
			return
		}
		if v.Pass && (v.Blocked() != "" || v.NotFound || v.Status == "") {
			t.Fatalf("a pass that blocks or lacks a status: %+v", v)
		}
		if v.Decision == "blocked" && v.Blocked() == "" {
			t.Fatal("blocked decision not blocking")
		}
	})
}

func FuzzParseSlugs(f *testing.F) {
	f.Add("hello-claw\n# c\nweather@1.0.0 # pin\n@acme/notes\n")
	f.Add("Bad\n")
	f.Fuzz(func(t *testing.T, in string) {
		refs, err := ParseSlugs(strings.NewReader(in), "f")
		if err != nil {
			if strings.ContainsAny(err.Error(), "\n\r") {
				t.Fatalf("multi-line error %q", err)
			}
			return
		}
		for _, r := range refs {
			if !registry.ValidSlug(r.Slug) || (r.Owner != "" && !registry.ValidHandle(r.Owner)) || (r.Version != "" && !registry.ValidVersion(r.Version)) {
				t.Fatalf("bad ref accepted: %+v", r)
			}
			back, err := ParseRef(r.String())
			if err != nil || back != r {
				t.Fatalf("%+v does not round-trip: %+v %v", r, back, err)
			}
		}
	})
}

func FuzzParseRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Wed, 21 Oct 2015 07:28:00 GMT")
	f.Fuzz(func(t *testing.T, v string) {
		d, ok := ParseRetryAfter(v, time.Unix(1700000000, 0))
		if ok && d < 0 {
			t.Fatalf("%q: negative wait %v", v, d)
		}
	})
}

// Upstream text in messages never carries terminal escapes or newlines.
func TestUpstreamTextInert(t *testing.T) {
	r := &Response{Body: []byte("Skill\x1b[31m not\r\nfound\x9b2J " + strings.Repeat("é", 300))}
	got := r.Text()
	if strings.ContainsAny(got, "\x1b\r\n") || strings.Contains(got, string([]byte{0x9b})) || !strings.HasPrefix(got, "Skill?[31m not found?2J é") || len([]rune(got)) != 201 {
		t.Fatalf("%q", got)
	}
	if c := clip(string([]byte{'a', 0x1b, 'b', 0xff, 'c'})); c != "a?b?c" {
		t.Fatalf("clip: %q", c)
	}
}
