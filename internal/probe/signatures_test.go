package probe

import (
	"net/http"
	"strings"
	"testing"
	"testing/fstest"
)

// Every signature ships with its own examples; they must behave.
func TestSignatureExamples(t *testing.T) {
	s, err := DefaultSignatures()
	if err != nil {
		t.Fatalf("embedded signatures do not load: %v", err)
	}
	if len(s.Signatures) < 10 {
		t.Fatalf("only %d signatures loaded", len(s.Signatures))
	}
	for i := range s.Signatures {
		sg := &s.Signatures[i]
		t.Run(sg.ID, func(t *testing.T) {
			for j, ex := range sg.Examples.Match {
				r := ex.Response()
				if !sg.Match(r) {
					t.Errorf("match example %d does not match", j+1)
				}
				got := sg.Extracted(r)
				for k, want := range ex.Extract {
					if got[k] != want {
						t.Errorf("match example %d: extract %s = %q, want %q", j+1, k, got[k], want)
					}
				}
			}
			for j, ex := range sg.Examples.NoMatch {
				if sg.Match(ex.Response()) {
					t.Errorf("no_match example %d matches", j+1)
				}
			}
		})
	}
}

// Every request the embedded data declares is harmless by construction.
func TestEmbeddedRequestsAreSafe(t *testing.T) {
	s, err := DefaultSignatures()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range s.Requests {
		if r.Method != http.MethodGet && !(r.Method == http.MethodPost && r.Body == "{}") {
			t.Errorf("request %s: %s with body %q", r.ID, r.Method, r.Body)
		}
		for k := range r.Headers {
			if strings.Contains(strings.ToLower(k), "auth") {
				t.Errorf("request %s sends %s", r.ID, k)
			}
		}
	}
}

func TestSignatureValidationErrors(t *testing.T) {
	base := func(extra string) string {
		return `requests:
  - {id: root, path: /}
signatures:
  - id: s1
    title: t
    request: root
    matchers:
      - {type: status, status: [200]}
    sets: {candidate: "true"}
    examples:
      match: [{status: 200}]
      no_match: [{status: 404}]
` + extra
	}
	cases := []struct {
		name, yaml, want string
	}{
		{"unknown field", base("    bogus: 1\n"), "field bogus not found"},
		{"credential header", strings.Replace(base(""), "{id: root, path: /}", "{id: root, path: /, headers: {Authorization: Bearer x}}", 1), `header "Authorization" could carry a credential`},
		{"post body names tool", strings.Replace(base(""), "{id: root, path: /}", `{id: root, path: /tools/invoke, method: POST, body: '{"name":"exec"}'}`, 1), "POST body must be {}"},
		{"delete method", strings.Replace(base(""), "{id: root, path: /}", "{id: root, path: /, method: DELETE}", 1), `method "DELETE"`},
		{"off-target path", strings.Replace(base(""), "{id: root, path: /}", "{id: root, path: 'http://evil.example/'}", 1), "must be an absolute path on the target"},
		{"protocol-relative path", strings.Replace(base(""), "{id: root, path: /}", "{id: root, path: //evil.example/}", 1), "must be an absolute path on the target"},
		{"bad regex", strings.Replace(base(""), "{type: status, status: [200]}", "{type: regex, regex: ['(']}", 1), "signature s1: matcher 1: regex"},
		{"unknown fact", strings.Replace(base(""), `{candidate: "true"}`, `{candidat: "true"}`, 1), `signature s1: sets unknown fact "candidat"`},
		{"bad fact value", strings.Replace(base(""), `{candidate: "true"}`, `{auth: required}`, 1), `signature s1: fact auth="required"`},
		{"unknown request", strings.Replace(base(""), "request: root", "request: nope", 1), `request "nope" is not declared`},
		{"missing examples", strings.Replace(base(""), "      no_match: [{status: 404}]\n", "", 1), "needs at least one match and one no_match example"},
		{"bad matcher type", strings.Replace(base(""), "type: status", "type: dsl", 1), `type "dsl"`},
		{"bad extractor", strings.Replace(base(""), "    sets:", "    extract: [{name: password, regex: 'x(.)'}]\n    sets:", 1), `name "password"`},
		{"bad gate", strings.Replace(base(""), "{id: root, path: /}", "{id: root, path: /, gate: always}", 1), `gate "always"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := LoadSignatures(fstest.MapFS{"x.yaml": {Data: []byte(c.yaml)}})
			if err == nil {
				t.Fatalf("loaded; want error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q\nwant it to contain %q", err, c.want)
			}
		})
	}
	// And the base itself is valid, so each case fails for its own reason.
	if _, err := LoadSignatures(fstest.MapFS{"x.yaml": {Data: []byte(base(""))}}); err != nil {
		t.Fatalf("base fixture invalid: %v", err)
	}
}

func TestMatcherSemantics(t *testing.T) {
	r := &Response{Status: 401, Header: http.Header{"Retry-After": {"60"}, "Content-Type": {"application/json"}}, Body: []byte(`{"type":"unauthorized"}`)}
	cases := []struct {
		m    Matcher
		want bool
	}{
		{Matcher{Type: "status", Status: []int{401, 403}}, true},
		{Matcher{Type: "status", Status: []int{200}}, false},
		{Matcher{Type: "status", Status: []int{200}, Negative: true}, true},
		{Matcher{Type: "word", Words: []string{"unauthorized", "nope"}}, true},
		{Matcher{Type: "word", Words: []string{"unauthorized", "nope"}, Condition: "and"}, false},
		{Matcher{Type: "word", Words: []string{"UNAUTHORIZED"}}, false},
		{Matcher{Type: "word", Words: []string{"UNAUTHORIZED"}, CaseInsensitive: true}, true},
		{Matcher{Type: "word", Part: "header", Words: []string{"Retry-After: 60"}}, true},
		{Matcher{Type: "word", Part: "body", Words: []string{"Retry-After"}}, false},
		{Matcher{Type: "word", Part: "all", Words: []string{"Retry-After", "unauthorized"}, Condition: "and"}, true},
		{Matcher{Type: "header", Name: "retry-after"}, true},
		{Matcher{Type: "header", Name: "Server"}, false},
		{Matcher{Type: "header", Name: "Content-Type", Words: []string{"json"}}, true},
		{Matcher{Type: "header", Name: "Content-Type", Regex: []string{`^text/`}}, false},
		{Matcher{Type: "regex", Regex: []string{`"type"\s*:\s*"unauth`}}, true},
	}
	for i, c := range cases {
		if err := c.m.compile(); err != nil {
			t.Fatalf("case %d: compile: %v", i, err)
		}
		if got := c.m.Match(r); got != c.want {
			t.Errorf("case %d (%+v): got %v want %v", i, c.m, got, c.want)
		}
	}
}

// Extracted values are hostile input: anything not shaped like a version
// or build id is dropped, not reported.
func TestExtractorRejectsHostileValues(t *testing.T) {
	s, err := DefaultSignatures()
	if err != nil {
		t.Fatal(err)
	}
	var sg *Signature
	for i := range s.Signatures {
		if s.Signatures[i].ID == "startupz-started" {
			sg = &s.Signatures[i]
		}
	}
	if sg == nil {
		t.Fatal("startupz-started missing")
	}
	for _, v := range []string{`<script>alert(1)</script>`, "1.0\u001b[31m", "a b", "$(reboot)"} {
		body := `{"ok":true,"status":"started","version":"` + v + `","uptimeMs":1}`
		r := &Response{Status: 200, Header: http.Header{}, Body: []byte(body)}
		if !sg.Match(r) {
			continue
		}
		if got := sg.Extracted(r)["version"]; got != "" {
			t.Errorf("version %q extracted from hostile %q", got, v)
		}
	}
}
